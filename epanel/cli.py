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
    from epanel.accounts.models import TWO_FACTOR_REQUIRED_ROLES
    from epanel.accounts.two_factor import DEMO_TOTP_SECRET, grouped_secret

    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    for email, _name, roles in DEMO_USERS:
        needs_code = bool(set(roles) & {role.value for role in TWO_FACTOR_REQUIRED_ROLES})
        click.echo(f"  {', '.join(roles):<22} {email}{'  (+ code)' if needs_code else ''}")
    click.echo("\nStaff marked (+ code) also enter a code from an authenticator app. Add this key to one,")
    click.echo(f"or read the code off the sign-in page (shown in development only): {grouped_secret(DEMO_TOTP_SECRET)}")
    public_url = current_app.config["PUBLIC_URL"].rstrip("/")
    click.echo(f"\nSam Okafor's private link to the open survey: {public_url}/respond/i/{DEMO_MEMBER_TOKEN}")
    click.echo(f"All consultations: {public_url}/consultations")
    from epanel.classroom.demo import demo_open_session

    class_session = demo_open_session()
    if class_session is not None:
        click.echo(f"Class session for pupils (Tom Reilly's Year 8): {public_url}/class with the code "
                   f"{class_session.join_code} (until {class_session.ends_at:%H:%M} UTC)")


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
    reminders, councillors' and groups' digests, retention purges, then settle and send the
    outbox. Safe to run from cron every minute."""
    from epanel.messaging.worker import run_tick

    click.echo(", ".join(f"{what}: failed (see the log)" if count is None else f"{count} {what}"
                         for what, count in run_tick().items()))


@epanel_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed; change nothing.")
def purge_command(dry_run):
    """Erase or anonymise personal data past its EPANEL_RETENTION_* period (tick does this too)."""
    from epanel.privacy.retention import purge_personal_data

    done = purge_personal_data(dry_run=dry_run)
    verb = "would be" if dry_run else "were"
    for what, count in done.items():
        click.echo(f"{count:>7} {what} {verb} purged")
    if not done:
        click.echo("Every EPANEL_RETENTION_* period is 0: nothing is purged.")
    if dry_run:
        click.echo("Dry run: nothing was changed.")


@epanel_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once there is nothing left to do (for tests and one-off runs).")
def worker_command(burst):
    """Send the outbox: an RQ worker when EPANEL_REDIS_URL is set, otherwise a sweeping loop."""
    from epanel.messaging.worker import run_worker

    run_worker(current_app._get_current_object(), burst=burst)


@epanel_cli.command("backup")
@click.option("--output", "output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Where to write the backup (default: EPANEL_BACKUP_DIR/epanel-<UTC time>.sqlite or .pgdump).")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Afterwards, keep only this many of the newest backups in the backup directory.")
def backup_command(output, keep):
    """Back up the database while ePanel runs: SQLite's online backup, or pg_dump (see docs/deploy.md)."""
    from pathlib import Path

    from epanel.ops import backup

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        destination = Path(output) if output else backup.default_backup_path(current_app.config["BACKUP_DIR"], url)
        made = backup.back_up_database(url, destination)
        removed = backup.prune_backups(made.path.parent, keep) if keep else []
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up to {made.path} ({made.size:,} bytes).")
    for path in removed:
        click.echo(f"Removed old backup {path}")


@epanel_cli.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--into", "into_url", default=None,
              help="Restore into this database URL instead of EPANEL_DATABASE_URL (for a restore drill).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(backup_file, into_url, yes):
    """Replace a database's contents with a backup. Stop the web and worker processes first."""
    from pathlib import Path

    from sqlalchemy import make_url

    from epanel.ops import backup

    url = into_url or current_app.config["SQLALCHEMY_DATABASE_URI"]
    shown = make_url(url).render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"Replace everything in {shown} with {backup_file}?", abort=True)
    try:
        backup.restore_database(url, Path(backup_file))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {shown} from {backup_file}. Next: flask --app wsgi db upgrade, then start ePanel.")


@epanel_cli.command("bench-data")
@click.option("--responses", default=100_000, show_default=True, help="How many complete responses to generate.")
@click.option("--seed", default=2026, show_default=True, help="Random seed, so runs are repeatable.")
@click.option("--targets/--no-targets", default=True, show_default=True,
              help="Add population targets for weighting when there are none.")
def bench_data_command(responses, seed, targets):
    """Generate a 20-question consultation with many responses, for benchmarks of results and exports."""
    import time

    from epanel.analysis.benchdata import add_bench_targets, create_bench_consultation, generate_responses

    started = time.perf_counter()
    consultation = create_bench_consultation(f"Benchmark survey {seed}-{responses}-{int(time.time())}")
    answers = generate_responses(consultation, responses, seed=seed)
    if targets:
        add_bench_targets()
    click.echo(f"Consultation {consultation.slug}: {responses:,} responses, {answers:,} answers "
               f"in {time.perf_counter() - started:.1f} s")
