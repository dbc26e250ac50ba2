"""The `flask --app wsgi epanel …` commands: thin wrappers over operations."""

import secrets

import click
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

    created = load_demo(member_count=members)
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    for email, name, roles in DEMO_USERS:
        click.echo(f"  {', '.join(roles):<22} {email}")
