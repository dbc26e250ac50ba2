"""The public site's fixed pages, the staff home and development tools."""
