"""Plain functions that make test data with sensible defaults, through the real operations."""

import itertools
from datetime import date

from epanel.accounts import operations as account_operations
from epanel.panels import operations as panel_operations
from epanel.panels.models import Member, MemberSource, MemberStatus

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def create_user(email=None, roles=("member",), password=PASSWORD, name=None):
    number = next(_numbers)
    email = email or f"person{number}@example.org"
    return account_operations.create_user(email, name or f"Person {number}", roles, password=password)


def create_panel(slug=None, name=None, **rules):
    number = next(_numbers)
    return panel_operations.create_panel(slug or f"panel-{number}", name or f"Panel {number}", **rules)


def create_member(panels=(), *, first_name="Alex", last_name=None, status=MemberStatus.ACTIVE,
                  date_of_birth=date(1980, 1, 1), **fields):
    number = next(_numbers)
    member = Member(
        first_name=first_name,
        last_name=last_name or f"Member{number}",
        status=status,
        source=fields.pop("source", MemberSource.SIGN_UP),
        date_of_birth=date_of_birth,
        **fields,
    )
    panel_operations.add_members([(member, list(panels))])
    return member
