"""The JSON API v1 for partner sites and officers' tools, and embeddable pages."""
