"""Demo data: a believable district council, loaded once by `flask epanel demo`.

Later parts of ePanel add to load_demo so that `make run` always shows the whole product.
"""

import logging
import random
from datetime import date, timedelta

from flask import current_app

from epanel.accounts.operations import create_user
from epanel.accounts.two_factor import enrol_with_known_secret
from epanel.classroom.demo import load_demo_classroom
from epanel.common.time import utcnow
from epanel.demo_consultations import load_demo_consultations
from epanel.extensions import db
from epanel.panels.models import Member, MemberSource, MemberStatus
from epanel.panels.operations import add_members, create_panel, record_consents, replace_ward_lookup
from epanel.panels.outreach import load_demo_groups_targets_and_recruitment
from epanel.panels.profile import CARING_ANSWERS, DISABILITY_ANSWERS, ETHNIC_GROUPS
from epanel.panels.queries import get_panel_by_slug
from epanel.planning.demo import load_demo_planning
from epanel.privacy.models import ConsentChannel

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-2026"

DEMO_USERS = [
    ("admin@avonmere.example", "Alex Morgan", ["admin"]),
    ("officer@avonmere.example", "Priya Shah", ["officer"]),
    ("teacher@avonmere.example", "Tom Reilly", ["teacher"]),
    ("councillor@avonmere.example", "Janet Hughes", ["councillor"]),
    ("member@avonmere.example", "Sam Okafor", ["member"]),
]

# Ward, its postcode district and its parish (town wards have none).
WARDS = [
    ("Abbey", "AV1", None), ("Brookside", "AV2", "Brookside Parish"), ("Castle Hill", "AV3", None),
    ("Dunmore", "AV4", "Dunmore and Kilby"), ("Eastgate", "AV5", None), ("Fernlea", "AV6", "Fernlea Parish"),
    ("Greenbank", "AV7", None), ("Harbour", "AV8", None), ("Kingsmead", "AV9", "Kingsmead Parish"),
    ("Riverside", "AV10", None),
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
# Like most panels, the demo over-represents older women, so "who is missing" has something to say.
GENDERS = ["Woman", "Man", "Non-binary", "Prefer not to say"]
GENDER_WEIGHTS = [58, 38, 1, 3]
CONSENT_CHANNEL = {
    MemberSource.SIGN_UP: ConsentChannel.WEB,
    MemberSource.IMPORT: ConsentChannel.IMPORT,
    MemberSource.PAPER: ConsentChannel.PAPER,
    MemberSource.SMS: ConsentChannel.SMS,
    MemberSource.SCHOOL: ConsentChannel.SCHOOL,
}


def demo_postcodes() -> list[tuple[str, str, str | None]]:
    """Ten made-up postcodes in each demo ward."""
    letters = "ABDEFGHJLN"
    return [
        (f"{district} {n}{letters[n]}{letters[(n * 3) % 10]}", ward, parish)
        for ward, district, parish in WARDS
        for n in range(10)
    ]


def _demo_member(rng, number, today, postcodes, panels) -> tuple[Member, list]:
    citizens, youth, groups = panels
    age = rng.choice([rng.randint(13, 25)] + [rng.randint(35, 90)] * 3 + [rng.randint(18, 90)] * 2)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    postcode, ward, parish = rng.choice(postcodes)
    has_mobile = number < 1000 and rng.random() < 0.6
    source = rng.choices(list(MemberSource), weights=[45, 30, 15, 5, 5])[0]
    status = rng.choices(list(MemberStatus), weights=[4, 86, 5, 5])[0]
    member = Member(
        first_name=first,
        last_name=last,
        email=f"{first}.{last}.{number}@example.org".lower().replace("'", ""),
        mobile=f"+4477009{number:05d}" if has_mobile else None,
        postcode=postcode,
        ward=ward,
        parish=parish,
        date_of_birth=today - timedelta(days=age * 365 + rng.randint(0, 364)),
        gender=rng.choices(GENDERS, weights=GENDER_WEIGHTS)[0],
        ethnic_group=rng.choices(ETHNIC_GROUPS, weights=[6, 3, 2, 85, 1, 3])[0] if rng.random() < 0.8 else None,
        disability=rng.choice(DISABILITY_ANSWERS) if rng.random() < 0.7 else None,
        caring=rng.choice(CARING_ANSWERS) if rng.random() < 0.7 else None,
        contact_by_email=rng.random() < 0.9,
        contact_by_sms=has_mobile and rng.random() < 0.7,
        contact_by_post=source == MemberSource.PAPER,
        address=f"{rng.randint(1, 120)} {rng.choice(['High Street', 'Mill Lane', 'Church Road', 'Station Road'])}"
        if source == MemberSource.PAPER else None,
        status=status,
        source=source,
        confirmed_at=None if status == MemberStatus.PENDING else utcnow(),
    )
    if age < 18:
        member.parent_name, member.parent_contact = f"{rng.choice(FIRST_NAMES)} {last}", f"parent.{number}@example.org"
        chosen = [youth]
    elif age > 25:
        chosen = [citizens]
    else:
        chosen = rng.choice([[youth], [citizens], [youth, citizens]])
    if age >= 18 and rng.random() < 0.06:
        chosen = chosen + [groups]
    return member, chosen


def load_demo(member_count: int = 300, seed: int = 2026) -> bool:
    """Load the demo council once; returns False (and changes nothing) if it is already there."""
    if get_panel_by_slug("citizens") is not None:
        return False
    rng = random.Random(seed)
    accounts = {
        email: create_user(email, name, roles, password=DEMO_PASSWORD)
        for email, name, roles in DEMO_USERS
    }
    for user in accounts.values():
        if user.must_use_two_factor:  # the demo shows the real sign-in: password, then a code
            enrol_with_known_secret(user)
    citizens = create_panel(
        "citizens", "Citizens' Panel", min_age=18, area="Avonmere district",
        description="Residents aged 18 and over who give their views on council services and plans.",
    )
    youth = create_panel(
        "youth", "Youth Panel", min_age=11, max_age=25, is_youth_panel=True, area="Avonmere district",
        description="Young people aged 11 to 25 who help shape services for young people.",
    )
    groups = create_panel(
        "community-groups", "Community Groups",
        description="Parish councils, community groups and youth clubs responding for their members.",
    )
    postcodes = demo_postcodes()
    replace_ward_lookup(postcodes, "demo")
    today = date.today()
    sam = Member(
        user_id=accounts["member@avonmere.example"].id, first_name="Sam", last_name="Okafor",
        email="member@avonmere.example", mobile="+447700900000", postcode=postcodes[-1][0],
        ward="Riverside", date_of_birth=date(1988, 5, 14), gender="Man", contact_by_email=True,
        contact_by_sms=True, status=MemberStatus.ACTIVE, source=MemberSource.SIGN_UP, confirmed_at=utcnow(),
    )
    rows = [(sam, [citizens])] + [
        _demo_member(rng, number, today, postcodes, (citizens, youth, groups))
        for number in range(1, member_count)
    ]
    add_members(rows)
    load_demo_groups_targets_and_recruitment(rng, [citizens, youth, groups])
    notice = current_app.config["PRIVACY_NOTICE_VERSION"]
    for member, _panels in rows:
        if member.status != MemberStatus.PENDING:
            record_consents(member, channel=CONSENT_CHANNEL[member.source], notice_version=notice)
    db.session.commit()
    load_demo_consultations(rng, [member for member, _panels in rows], accounts["officer@avonmere.example"], sam)
    load_demo_classroom(rng, accounts["officer@avonmere.example"])
    load_demo_planning(accounts["officer@avonmere.example"], accounts["councillor@avonmere.example"])
    log.info("demo council loaded with %d members", len(rows))
    return True
