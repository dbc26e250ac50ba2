"""The public sign-up, one question per page, confirmed by e-mail link or SMS code."""

import re
from datetime import date, timedelta

import pytest

from epanel.extensions import db
from epanel.panels.models import Member, MemberStatus, MemberToken
from epanel.panels.operations import replace_ward_lookup
from epanel.privacy.models import Consent, ConsentKind
from tests.factories import create_member, create_panel
from tests.pages import get, path_of, submit


def born(years_ago: int, days: int = 30) -> date:
    today = date.today()
    return today.replace(year=today.year - years_ago) - timedelta(days=days)


def dob_fields(day: date) -> dict:
    return {"date_of_birth": [str(day.day), str(day.month), str(day.year)]}


@pytest.fixture
def panels(app):
    return {
        "citizens": create_panel("citizens", "Citizens' Panel", min_age=18),
        "youth": create_panel("youth", "Youth Panel", min_age=11, max_age=25, is_youth_panel=True),
    }


def answer(client, path, data) -> str:
    page = submit(client, path, data)
    assert page.status == 302, f"{path}: {page.error_summary or page.heading}"
    return path_of(page.location)


def sign_up(client, *, dob, panels=("citizens",), email="sam@example.org", mobile="", channels=("email",),
            parent=None, about=None):
    """Walk the whole journey the way a person does; returns the path after the last step."""
    assert answer(client, "/join/date-of-birth", dob_fields(dob)) == "/join/panels"
    assert answer(client, "/join/panels", {"panels": list(panels)}) == "/join/name"
    assert answer(client, "/join/name", {"first_name": "Sam", "last_name": "Okafor"}) == "/join/contact"
    assert answer(client, "/join/contact", {"email": email, "mobile": mobile}) == "/join/postcode"
    next_path = answer(client, "/join/postcode", {"postcode": "av1 2bx"})
    if next_path == "/join/ward":
        next_path = answer(client, "/join/ward", {"ward": "unknown"})
    assert next_path == "/join/about-you"
    assert answer(client, "/join/about-you", about or {}) == "/join/contact-preferences"
    next_path = answer(client, "/join/contact-preferences", {"channels": list(channels)})
    if parent:
        assert next_path == "/join/parent"
        next_path = answer(client, "/join/parent", parent)
    assert next_path == "/join/privacy"
    assert answer(client, "/join/privacy", {"agree": "y"}) == "/join/check"
    return answer(client, "/join/check", {})


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.get_content()).group(1)


def test_an_adult_joins_and_confirms_by_email_link(app, client, panels, mailbox):
    replace_ward_lookup([("AV1 2BX", "Riverside", "Avonmere St Mary")], "test")

    assert sign_up(client, dob=born(40)) == "/join/sent"

    sent = get(client, "/join/sent")
    assert sent.heading == "Check your email"
    assert "sam@example.org" in sent.text
    member = db.session.scalar(db.select(Member))
    assert member.status == MemberStatus.PENDING
    assert (member.ward, member.parish, member.postcode) == ("Riverside", "Avonmere St Mary", "AV1 2BX")
    (message,) = mailbox
    assert message["To"] == "sam@example.org"

    link = link_in(message)
    assert get(client, link).heading == "Confirm you want to join"
    done = submit(client, link, {})
    assert path_of(done.location) == "/join/done"
    assert get(client, "/join/done").soup.select_one(".govuk-panel__title").get_text(strip=True) == "You have joined"

    db.session.expire_all()
    assert member.status == MemberStatus.ACTIVE
    assert member.user_id is not None, "a member account to sign in with"
    assert get(client, "/my/profile").heading == "Your profile", "signed in after confirming"
    assert get(client, link).status == 400, "the link works once"
    consents = db.session.scalars(db.select(Consent).where(Consent.member_id == member.id)).all()
    assert {(c.kind, c.channel.value) for c in consents} == {
        (ConsentKind.PANEL_MEMBERSHIP, "web"), (ConsentKind.EMAIL, "web")}
    assert all(c.notice_version == "2026-11" for c in consents)


def test_a_person_without_email_confirms_with_a_text_message_code(app, client, panels):
    gateway = app.extensions["epanel_sms_gateway"]

    sign_up(client, dob=born(30), email="", mobile="07700 900123", channels=("sms",))

    assert get(client, "/join/sent").heading == "Enter the code we texted you"
    (text,) = gateway.sent
    assert text.to == "+447700900123"
    code = re.search(r"\b(\d{6})\b", text.body).group(1)
    wrong = submit(client, "/join/sent", {"code": "000000" if code != "000000" else "111111"})
    assert wrong.error_summary == ["The code is not right. Check the text message and try again."]

    right = submit(client, "/join/sent", {"code": code})

    assert path_of(right.location) == "/join/done"
    member = db.session.scalar(db.select(Member))
    assert member.status == MemberStatus.ACTIVE
    assert member.mobile == "+447700900123"


def test_sms_codes_expire_and_stop_after_five_wrong_tries(app, client, panels):
    sign_up(client, dob=born(30), email="", mobile="07700900124", channels=("sms",))
    code = re.search(r"\b(\d{6})\b", app.extensions["epanel_sms_gateway"].sent[-1].body).group(1)
    wrong = "000000" if code != "000000" else "111111"

    for _ in range(5):
        submit(client, "/join/sent", {"code": wrong})
    locked = submit(client, "/join/sent", {"code": code})

    assert locked.error_summary == ["Too many wrong codes. Ask for a new code."]
    resent = submit(client, "/join/resend-code", {}, form_page="/join/sent")
    assert path_of(resent.location) == "/join/sent"
    new_code = re.search(r"\b(\d{6})\b", app.extensions["epanel_sms_gateway"].sent[-1].body).group(1)
    token = db.session.scalars(db.select(MemberToken).order_by(MemberToken.id.desc())).first()
    token.expires_at = token.created_at - timedelta(seconds=1)
    db.session.commit()
    assert submit(client, "/join/sent", {"code": new_code}).error_summary == ["This code has expired. Ask for a new code."]


def test_under_13s_are_not_signed_up_online_but_told_about_school(client, panels):
    page = submit(client, "/join/date-of-birth", dob_fields(born(12)))

    assert path_of(page.location) == "/join/too-young"
    assert get(client, "/join/too-young").heading == "You can take part through your school"
    assert db.session.scalar(db.select(db.func.count(Member.id))) == 0


def test_an_under_16_gives_a_parent_who_is_told_and_can_withdraw(app, client, panels, mailbox):
    sign_up(client, dob=born(14), panels=("youth",), email="kid@example.org",
            parent={"parent_name": "Pat Parent", "parent_email": "pat@example.org"})
    confirm_link = link_in(mailbox[0])

    submit(client, confirm_link, {})

    parent_mail = [m for m in mailbox if m["To"] == "pat@example.org"]
    assert len(parent_mail) == 1
    member = db.session.scalar(db.select(Member))
    consents = db.session.scalars(db.select(Consent).where(Consent.member_id == member.id)).all()
    parent_consent = [c for c in consents if c.kind == ConsentKind.PARENT_ACKNOWLEDGEMENT]
    assert len(parent_consent) == 1
    assert "Pat Parent" in parent_consent[0].given_by
    assert all(c.notice_version.endswith("young-people") for c in consents)

    withdraw = re.search(r"https?://[^/\s]+(/parent/withdraw/\S+)", parent_mail[0].get_content()).group(1)
    client._cookies.clear()
    assert get(client, withdraw).heading == "End Sam's membership"
    submit(client, withdraw, {})
    db.session.expire_all()
    assert member.status == MemberStatus.LEFT
    assert member.panels == []


def test_young_people_see_the_plain_language_notice(client, panels):
    answer(client, "/join/date-of-birth", dob_fields(born(16)))

    page = get(client, "/join/privacy")

    assert "Nobody can tell what you said" in page.text


def test_the_equality_questions_are_optional_and_nothing_is_chosen_for_you(client, panels):
    answer(client, "/join/date-of-birth", dob_fields(born(15)))

    page = get(client, "/join/about-you")

    assert page.soup.select("input[type=radio][checked]") == []
    assert answer(client, "/join/about-you", {}) == "/join/contact-preferences"


def test_signing_up_with_a_members_email_reveals_nothing_and_tells_the_member(app, client, panels, mailbox):
    create_member([panels["citizens"]], email="sam@example.org", first_name="Existing")

    sign_up(client, dob=born(40))

    page = get(client, "/join/sent")
    assert page.heading == "Check your email"
    assert "sam@example.org" in page.text
    assert db.session.scalar(db.select(db.func.count(Member.id))) == 1
    (message,) = mailbox
    assert "already a member" in message["Subject"]


def test_only_panels_open_to_your_age_are_offered(client, panels):
    answer(client, "/join/date-of-birth", dob_fields(born(30)))

    page = get(client, "/join/panels")
    offered = {box["value"] for box in page.soup.select("input[name=panels]")}

    assert offered == {"citizens"}
    refused = submit(client, "/join/panels", {"panels": ["youth"]})
    assert refused.status == 200
    assert refused.error_summary == ["Choose from the options listed"]


@pytest.mark.parametrize(
    "path, data, message",
    [
        ("/join/date-of-birth", {"date_of_birth": ["", "", ""]}, "Enter your date of birth"),
        ("/join/date-of-birth", {"date_of_birth": ["31", "2", "1990"]}, "Date of birth must be a real date, like 27 3 2007"),
        ("/join/date-of-birth", {"date_of_birth": ["1", "", "1990"]}, "Date of birth must include a month"),
        ("/join/date-of-birth", {"date_of_birth": ["1", "1", str(date.today().year + 1)]}, "Date of birth must be in the past"),
        ("/join/name", {"first_name": "", "last_name": "Okafor"}, "Enter your first name"),
        ("/join/contact", {"email": "", "mobile": ""}, "Enter an email address or a UK mobile number"),
        ("/join/contact", {"email": "sam@", "mobile": ""}, "Enter an email address in the correct format, like name@example.com"),
        ("/join/contact", {"email": "", "mobile": "01632 960123"}, "Enter a UK mobile number, like 07700 900123"),
        ("/join/postcode", {"postcode": "not a postcode"}, "Enter a real postcode, like AV1 2BX"),
        ("/join/contact-preferences", {"channels": ["post"]}, "Enter your postal address, or untick post"),
        ("/join/privacy", {}, "Tick the box to say you have read how your information will be used"),
    ],
)
def test_bad_answers_get_a_clear_message_and_keep_what_was_typed(client, panels, path, data, message):
    answer(client, "/join/date-of-birth", dob_fields(born(30)))

    page = submit(client, path, data)

    assert page.status == 200
    assert page.title.startswith("Error:")
    assert message in page.error_summary
    for name, value in data.items():
        if isinstance(value, str) and value:
            assert page.soup.find(attrs={"name": name})["value"] == value


def test_the_check_page_lets_you_change_an_answer_and_come_back(client, panels):
    sign_up_until_check = [
        ("/join/date-of-birth", dob_fields(born(30))),
        ("/join/panels", {"panels": ["citizens"]}),
        ("/join/name", {"first_name": "Sam", "last_name": "Okafor"}),
        ("/join/contact", {"email": "sam@example.org", "mobile": ""}),
        ("/join/postcode", {"postcode": "AV1 2BX"}),
        ("/join/about-you", {}),
        ("/join/contact-preferences", {"channels": ["email"]}),
        ("/join/privacy", {"agree": "y"}),
    ]
    for path, data in sign_up_until_check:
        answer(client, path, data)

    changed = submit(client, "/join/name?change=1", {"first_name": "Samuel", "last_name": "Okafor"})

    assert path_of(changed.location) == "/join/check"
    assert "Samuel Okafor" in get(client, "/join/check").text


def test_the_check_page_sends_you_back_to_a_missing_answer(client, panels):
    answer(client, "/join/date-of-birth", dob_fields(born(30)))

    page = get(client, "/join/check")

    assert path_of(page.location) == "/join/panels"


def test_each_optional_question_about_you_is_asked_in_words(client, panels):
    answer(client, "/join/date-of-birth", dob_fields(born(30)))

    page = get(client, "/join/about-you")
    legends = [legend.get_text(" ", strip=True) for legend in page.soup.select("legend")]

    assert legends == [
        "What is your gender?",
        "What is your ethnic group?",
        "Are your day-to-day activities limited because of a health problem or disability?",
        "Do you look after, or give help or support to, anyone because of a long-term health problem, "
        "disability or old age?",
    ]
