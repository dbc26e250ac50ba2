"""Small helpers shared by every domain: time, column types, safe redirects."""
