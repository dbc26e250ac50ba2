"""Panels: the standing groups people join, their members and memberships."""
