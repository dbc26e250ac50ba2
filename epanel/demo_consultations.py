"""Demo consultations: one open with every question kind, one closed with hundreds of answers, one draft."""

import random
from datetime import timedelta

from epanel.common.time import utcnow
from epanel.consultations import operations as authoring
from epanel.consultations.invitations import hash_invitation_token
from epanel.consultations.kinds import KINDS, OTHER, Parsed
from epanel.consultations.models import ConsultationStatus, Invitation, InvitationChannel
from epanel.consultations.queries import get_consultation_with_questions
from epanel.extensions import db
from epanel.panels.models import Member, MemberStatus
from epanel.respond.models import ResponseChannel
from epanel.respond.operations import member_snapshot, record_complete_response

# The demo member's private link, fixed so `flask epanel demo` can print it. Real links are random.
DEMO_MEMBER_TOKEN = "demo-parks-survey-link-for-sam"

PARKS_BODY = """We look after 42 parks and green spaces across the district.

Tell us how you use them and what would make them better. Your answers will shape
the **Green Spaces Plan 2027–2032**, which goes to the council's cabinet in March.

The survey takes about 10 minutes."""

TEXTS = ["More bins please", "Better lighting on the paths", "Keep the toilets open later",
         "More benches for older people", "A safe place for teenagers to meet", "Dog fouling is a problem",
         "Great as it is", "More trees and wild flowers"]


def build_parks_survey(actor):
    """An open survey that uses every question kind, with a condition and an 'Other' box."""
    survey = authoring.create_consultation(
        "Parks and green spaces survey", actor, theme="Environment", body=PARKS_BODY, for_public=True,
        summary="How do you use our parks, and what would make them better?",
        closes_at=utcnow() + timedelta(days=21),
    )
    visits = survey.sections[0]
    authoring.update_section(visits, title="Your visits", intro="First, a few questions about how you use parks.")
    often = authoring.add_question(visits, "single", "How often do you visit a park or green space?", required=True,
                                   choices=["Every day", "At least once a week", "At least once a month",
                                            "Less often", "Never"], allow_other=False)
    authoring.add_question(visits, "short_text", "What stops you visiting more often?",
                           help_text="For example, distance, safety or facilities.",
                           settings={"max_length": 200},
                           condition={"question_id": often.id, "option_codes": ["4", "5"]})
    authoring.add_question(visits, "multiple", "What do you go to parks for?",
                           choices=["Walking", "Exercise or sport", "Children's play", "Dog walking",
                                    "Nature and wildlife", "Meeting friends"],
                           allow_other=True, settings={"max_choices": 3})
    authoring.add_question(visits, "number", "How many minutes does it take you to walk to your nearest park?",
                           settings={"min": 0, "max": 120, "whole_numbers": True})
    views = authoring.add_section(survey, "Your views", "Now tell us what you think of the parks.")
    authoring.add_question(views, "agreement", "Our parks are well looked after.", required=True)
    authoring.add_question(views, "rating", "How likely are you to recommend your local park to a friend?")
    authoring.add_question(views, "grid", "How do you rate these in your local park?",
                           rows=["Cleanliness", "Safety", "Play areas", "Toilets"],
                           choices=[("4", "Very good"), ("3", "Good"), ("2", "Poor"), ("1", "Very poor")])
    authoring.add_question(views, "ranking", "Put these improvements in order of importance to you.",
                           choices=["More seating", "Better lighting", "Public toilets", "More trees"])
    future = authoring.add_section(survey, "The future", "Finally, your ideas.")
    authoring.add_question(future, "yes_no", "Should we create a new nature reserve at Harbour Fields?",
                           required=True)
    authoring.add_question(future, "long_text", "Is there anything else you would like to tell us?",
                           settings={"max_length": 2000})
    authoring.move_to(survey, ConsultationStatus.OPEN, actor)
    return survey


def build_budget_survey(actor):
    return _closed_survey(actor)


def _closed_survey(actor):
    survey = authoring.create_consultation(
        "Budget priorities 2026/27", actor, theme="Budget",
        summary="Where should the council spend, and save, next year?",
        opens_at=utcnow() - timedelta(days=60), for_public=True,
    )
    page = survey.sections[0]
    authoring.update_section(page, title="Your priorities", intro="")
    authoring.add_question(page, "multiple", "Which three services matter most to you?", required=True,
                           choices=["Bin collections", "Roads and pavements", "Parks", "Libraries",
                                    "Youth services", "Social care", "Community safety"],
                           settings={"max_choices": 3})
    authoring.add_question(page, "agreement", "The council gives good value for money.", required=True)
    authoring.add_question(page, "single", "Should council tax rise to protect services?", required=True,
                           choices=["Yes, by up to 5%", "Yes, by up to 3%", "No, keep it the same", "Don't know"])
    authoring.add_question(page, "rating", "How satisfied are you with the council overall?")
    authoring.add_question(page, "long_text", "Any other comments on the budget?", settings={"max_length": 1000})
    authoring.move_to(survey, ConsultationStatus.OPEN, actor)
    return survey


def _random_answer(rng: random.Random, question) -> Parsed:
    kind = KINDS[question.kind]
    codes = [option.code for option in question.choices]
    if question.kind in ("single", "agreement", "yes_no"):
        return Parsed(value=rng.choices(codes, weights=range(len(codes), 0, -1))[0])
    if question.kind == "multiple":
        limit = question.settings.get("max_choices") or len(codes)
        chosen = rng.sample(codes, rng.randint(1, min(limit, len(codes))))
        if question.allow_other and rng.random() < 0.05 and len(chosen) < limit:
            return Parsed(value=chosen + [OTHER], other_text="Horse riding")
        return Parsed(value=chosen)
    if question.kind == "rating":
        return Parsed(value=float(min(10, max(0, round(rng.gauss(6.5, 2))))))
    if question.kind == "number":
        return Parsed(value=float(rng.randint(question.settings.get("min", 0), 30)))
    if question.kind in ("short_text", "long_text"):
        return Parsed(value=rng.choice(TEXTS)) if rng.random() < 0.5 else Parsed()
    if question.kind == "ranking":
        order = rng.sample(codes, len(codes))
        return Parsed(value={code: rank for rank, code in enumerate(order, start=1)})
    if question.kind == "grid":
        return Parsed(value={row.code: rng.choice(codes) for row in question.rows})
    raise ValueError(f"no demo answers for {kind.key}")


def _answer_all(rng, survey, **kwargs):
    values = {q.id: _random_answer(rng, q) for q in survey.questions}
    return record_complete_response(survey, values, **kwargs)


def load_demo_consultations(rng: random.Random, members: list[Member], actor, demo_member: Member) -> None:
    """The three demo consultations, invitations for the Citizens' Panel and several hundred answers."""
    today = utcnow().date()
    parks = get_consultation_with_questions(build_parks_survey(actor).slug)
    active = [m for m in members if m.status == MemberStatus.ACTIVE and m.email]
    db.session.add(Invitation(consultation_id=parks.id, member_id=demo_member.id, channel=InvitationChannel.EMAIL,
                              token_hash=hash_invitation_token(DEMO_MEMBER_TOKEN), sent_at=utcnow()))
    answered = {member.id for member in active[:45]} - {demo_member.id}
    for member in active[:120]:
        if member.id != demo_member.id:
            # Those who answered did so through their invitation, so response rates add up.
            done = utcnow() if member.id in answered else None
            db.session.add(Invitation(consultation_id=parks.id, member_id=member.id, channel=InvitationChannel.EMAIL,
                                      token_hash=hash_invitation_token(f"demo-{rng.random()}"), sent_at=utcnow(),
                                      opened_at=done, started_at=done, completed_at=done))
    for member in active[:45]:
        if member.id in answered:
            _answer_all(rng, parks, channel=ResponseChannel.WEB, member=member, snapshot=member_snapshot(member, today))

    budget = get_consultation_with_questions(build_budget_survey(actor).slug)
    channels = [ResponseChannel.WEB] * 70 + [ResponseChannel.PAPER] * 15 + [ResponseChannel.SMS] * 10 + \
        [ResponseChannel.CLASS] * 5
    for _ in range(420):
        member = rng.choice(members)
        channel = rng.choice(channels)
        when = utcnow() - timedelta(days=rng.randint(20, 58), minutes=rng.randint(0, 1440))
        snapshot = member_snapshot(member, today) if channel != ResponseChannel.CLASS else {"age_band": "11-15"}
        _answer_all(rng, budget, channel=channel, member=member if channel != ResponseChannel.CLASS else None,
                    submitted_at=when, snapshot=snapshot)
    db.session.commit()
    authoring.update_consultation(budget, closes_at=utcnow() - timedelta(days=14))
    budget.status = ConsultationStatus.CLOSED
    db.session.commit()

    draft = authoring.create_consultation(
        "Youth services review", actor, theme="Young people",
        summary="What should youth clubs and activities offer? (Draft: not yet open.)",
        for_invited_members=True, for_schools=True,
    )
    authoring.add_question(draft.sections[0], "multiple", "What would you like your youth club to offer?",
                           choices=["Sport", "Music", "Homework help", "Trips", "Somewhere quiet"])
