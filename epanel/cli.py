"""The `flask --app wsgi epanel …` commands: thin wrappers over operations."""

import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from epanel.accounts import operations as account_operations
from epanel.accounts.models import Role

epanel_cli = AppGroup("epanel", help="ePanel administration commands.")


@epanel_cli.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="Role to grant; repeat for several.",
)
@click.option("--name", default="", help="Display name (defaults to the e-mail address).")
@click.option(
    "--password",
    default=None,
    help="Password to set. Without it you are prompted; press Enter to generate one.",
)
def create_user_command(email, roles, name, password):
    """Create a user account with one or more roles."""
    generated = False
    if password is None:
        password = click.prompt(
            "Password (leave empty to generate one)",
            default="",
            hide_input=True,
            show_default=False,
        )
        if not password:
            password = secrets.token_urlsafe(15)
            generated = True
    try:
        user = account_operations.create_user(email, name or email, roles, password=password)
    except account_operations.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}")
    if generated:
        click.echo(f"Generated password: {password}")


@epanel_cli.command("demo")
@click.option("--members", default=300, show_default=True, help="How many demo members to create.")
def demo_command(members):
    """Load demo data once (does nothing if it is already there) and print the demo logins."""
    from epanel.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
    from epanel.demo_consultations import DEMO_MEMBER_TOKEN

    created = load_demo(member_count=members)
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    for email, _name, roles in DEMO_USERS:
        click.echo(f"  {', '.join(roles):<22} {email}")
    public_url = current_app.config["PUBLIC_URL"].rstrip("/")
    click.echo(f"\nSam Okafor's private link to the open survey: {public_url}/respond/i/{DEMO_MEMBER_TOKEN}")
    click.echo(f"All consultations: {public_url}/consultations")


@epanel_cli.command("import-members")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--panel", "panel_name", default=None,
              help="Panel (short name or name) for rows whose panel column is absent or empty.")
@click.option("--dry-run", is_flag=True, help="Check the file and print the report; save nothing.")
def import_members_command(csv_file, panel_name, dry_run):
    """Import an existing panel's members from a CSV file (see docs/officer-guide-import.md)."""
    from pathlib import Path

    from epanel.panels import importing
    from epanel.panels.queries import find_panel

    panel = find_panel(panel_name) if panel_name else None
    if panel_name and panel is None:
        raise click.BadParameter(f"there is no panel called {panel_name}", param_hint="--panel")
    path = Path(csv_file)
    try:
        report = importing.import_members(path.read_bytes(), path.name, default_panel=panel, dry_run=dry_run,
                                          actor="command line")
    except importing.ImportFileError as error:
        raise click.ClickException(str(error)) from None
    for line in report.lines:
        where = "file" if line.row_number is None else f"row {line.row_number}"
        value = f" {line.value!r}" if line.value else ""
        click.echo(f"{where:<9} {line.outcome.value:<8} {line.field or '-'}{value}: {line.reason}")
    verb = "would be" if dry_run else "were"
    click.echo(f"{report.created} members {verb} created, {report.updated} updated, "
               f"{report.unchanged} unchanged; {report.rejected} rows {verb} rejected.")
    if dry_run:
        click.echo("Dry run: nothing was saved.")


@epanel_cli.command("tick")
def tick_command():
    """Run whatever is due now: open and close consultations, start scheduled campaigns and
    reminders, settle and send the outbox. Safe to run from cron every minute."""
    from epanel.messaging.worker import run_tick

    done = run_tick()
    click.echo(", ".join(f"{count} {what}" for what, count in done.items()))


@epanel_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once there is nothing left to do (for tests and one-off runs).")
def worker_command(burst):
    """Send the outbox: an RQ worker when EPANEL_REDIS_URL is set, otherwise a sweeping loop."""
    from epanel.messaging.worker import run_worker

    run_worker(current_app._get_current_object(), burst=burst)
