"""Campaigns: invitations, reminders, alerts and results notices by SMS and e-mail."""


def run_due_campaigns() -> dict[str, int]:
    """Start scheduled campaigns and automatic reminders that are due."""
    return {}
