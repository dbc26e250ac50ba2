"""Closing the loop: "You said, we did", the community plan, councillors and community groups."""
