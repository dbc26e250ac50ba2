"""Accounts: staff and member sign-in, roles, and the access rules every endpoint declares."""
