"""Demo data: a believable district council, loaded once by `flask epanel demo`.

Later parts of ePanel add to load_demo so that `make run` always shows the whole product.
"""

import logging
import random
from datetime import date, timedelta

from epanel.accounts.operations import create_user
from epanel.panels.models import Member, MemberSource, MemberStatus
from epanel.panels.operations import add_members, create_panel
from epanel.panels.queries import get_panel_by_slug

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-2026"

DEMO_USERS = [
    ("admin@avonmere.example", "Alex Morgan", ["admin"]),
    ("officer@avonmere.example", "Priya Shah", ["officer"]),
    ("teacher@avonmere.example", "Tom Reilly", ["teacher"]),
    ("councillor@avonmere.example", "Cllr Janet Hughes", ["councillor"]),
    ("member@avonmere.example", "Sam Okafor", ["member"]),
]

WARDS = [
    "Abbey", "Brookside", "Castle Hill", "Dunmore", "Eastgate",
    "Fernlea", "Greenbank", "Harbour", "Kingsmead", "Riverside",
]
FIRST_NAMES = [
    "Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Ivy", "Leo",
    "Fatima", "Mohammed", "Zara", "Aarav", "Chloe", "Kwame", "Siobhan", "Rhys", "Megan",
    "Tomasz", "Agnieszka", "Mei", "Jun", "Grace", "Daniel", "Aisha", "Connor", "Niamh",
    "Olu", "Precious", "Harjit", "Sunita", "Margaret", "Derek", "Brenda", "Keith",
]
LAST_NAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Khan", "Patel", "Begum", "Nowak", "Kowalski", "Chen", "Wong", "Mensah", "Okafor",
    "O'Brien", "Murphy", "MacLeod", "Thomas", "Roberts", "Hughes", "Singh", "Ahmed",
]
GENDERS = ["Woman", "Man", "Woman", "Man", "Non-binary", "Prefer not to say"]


def load_demo(member_count: int = 300, seed: int = 2026) -> bool:
    """Load the demo council once; returns False (and changes nothing) if it is already there."""
    if get_panel_by_slug("citizens") is not None:
        return False
    rng = random.Random(seed)
    accounts = {
        email: create_user(email, name, roles, password=DEMO_PASSWORD)
        for email, name, roles in DEMO_USERS
    }
    citizens = create_panel(
        "citizens",
        "Citizens' Panel",
        description="Residents aged 18 and over who give their views on council services and plans.",
        min_age=18,
    )
    youth = create_panel(
        "youth",
        "Youth Panel",
        description="Young people aged 11 to 25 who help shape services for young people.",
        min_age=11,
        max_age=25,
        is_youth_panel=True,
    )
    groups = create_panel(
        "community-groups",
        "Community Groups",
        description="Parish councils, community groups and youth clubs responding for their members.",
    )
    today = date.today()
    rows = [
        (
            Member(
                user_id=accounts["member@avonmere.example"].id,
                first_name="Sam",
                last_name="Okafor",
                email="member@avonmere.example",
                mobile="+447700900000",
                postcode="AV1 2BX",
                ward="Riverside",
                date_of_birth=date(1988, 5, 14),
                gender="Man",
                status=MemberStatus.ACTIVE,
                source=MemberSource.SIGN_UP,
            ),
            [citizens],
        )
    ]
    for number in range(1, member_count):
        age = rng.choice([rng.randint(11, 25), rng.randint(18, 90), rng.randint(18, 90)])
        born = today - timedelta(days=age * 365 + rng.randint(0, 364))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        panels = [youth] if age < 18 else [citizens] if age > 25 else rng.choice([[youth], [citizens], [youth, citizens]])
        if age >= 18 and rng.random() < 0.06:
            panels = panels + [groups]
        rows.append(
            (
                Member(
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}.{number}@example.org".lower().replace("'", ""),
                    mobile=f"+4477009{number:05d}" if number < 1000 and rng.random() < 0.7 else None,
                    postcode=f"AV{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                    ward=rng.choice(WARDS),
                    date_of_birth=born,
                    gender=rng.choice(GENDERS),
                    status=rng.choices(list(MemberStatus), weights=[5, 85, 5, 5])[0],
                    source=rng.choices(list(MemberSource), weights=[45, 30, 15, 5, 5])[0],
                ),
                panels,
            )
        )
    add_members(rows)
    log.info("demo council loaded with %d members", len(rows))
    return True
