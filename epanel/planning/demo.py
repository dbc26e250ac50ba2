"""The demo's closing of the loop: the budget survey's published outcome, a community plan that cites
it, a councillor's wards, comment and suggestion."""

from datetime import timedelta

from sqlalchemy import select

from epanel.common.time import utcnow
from epanel.consultations.models import Consultation, ConsultationStatus
from epanel.extensions import db
from epanel.planning import councillors, outcomes, plan
from epanel.planning.models import Outcome, PlanActionStatus

BUDGET_OUTCOME = {
    "what_we_asked": "Where the council should spend, and save, in 2026/27, and whether council tax should rise "
                     "to protect services.",
    "what_you_said": "420 residents, young people and community groups answered, on the web, on paper, by text and "
                     "in school lessons. Every service had its champions: each was in about a quarter to a third of "
                     "people's top three, and many of you asked us to keep libraries open. Seven in ten would accept "
                     "a council tax rise to protect services.",
    "what_we_did": "Full Council agreed a **2.99% council tax rise** in February. All six libraries stay open, "
                   "with shorter Monday hours at two of them; road repairs get an extra £1.2 million; and a youth "
                   "services review starts this spring, with the Youth Panel.",
}


def load_demo_planning(officer, councillor) -> None:
    """Publish the closed budget survey's outcome (as history: its notices are not re-sent), build a
    community plan that cites it, and give the demo councillor two wards, a comment and a suggestion."""
    budget = db.session.scalar(select(Consultation).where(Consultation.title == "Budget priorities 2026/27"))
    if budget is None or budget.status is not ConsultationStatus.CLOSED:
        return
    questions = {question.text: question for question in budget.questions}
    headlines = [{"question_id": questions["Which three services matter most to you?"].id, "by": ""},
                 {"question_id": questions["Should council tax rise to protect services?"].id, "by": "age_band"}]
    outcomes.save_outcome(budget, officer, headlines=headlines, **BUDGET_OUTCOME)
    # Published a week ago; the demo keeps no outbox history, so no notices are queued now.
    outcome = db.session.scalar(select(Outcome).where(Outcome.consultation_id == budget.id))
    outcome.published_at, outcome.published_by_id = utcnow() - timedelta(days=7), officer.id
    budget.status = ConsultationStatus.PUBLISHED
    db.session.commit()

    money = plan.create_theme("A budget that protects what residents value", officer,
                              description="What the council does with the 2026/27 budget, and why.")
    libraries = plan.add_action(money, officer, title="Keep all six libraries open", owner="Head of Culture",
                                status=PlanActionStatus.IN_PROGRESS, target_date=(utcnow() + timedelta(days=90)).date(),
                                area="Avonmere district",
                                description="Shorter Monday hours at Eastgate and Harbour instead of closures.")
    roads = plan.add_action(money, officer, title="Extra £1.2 million for road and pavement repairs",
                            owner="Highways", status=PlanActionStatus.PLANNED,
                            target_date=(utcnow() + timedelta(days=200)).date(), area="Avonmere district")
    plan.add_action(money, officer, title="Close the Harbour customer service desk", owner="Customer Services",
                    status=PlanActionStatus.DROPPED, area="Harbour",
                    description="Dropped after residents said they rely on it.")
    for action in (libraries, roads):
        plan.link_consultation(action, budget, officer)
    young = plan.create_theme("Young people's voice", officer,
                              description="Services for young people, shaped with the Youth Panel.")
    plan.add_action(young, officer, title="Review youth services with the Youth Panel", owner="Youth Services",
                    status=PlanActionStatus.PLANNED, target_date=(utcnow() + timedelta(days=120)).date())
    plan.add_action(young, officer, title="Youth Panel members on the parks working group", owner="Parks",
                    status=PlanActionStatus.DONE, area="Avonmere district",
                    description="Two Youth Panel members now sit on the group that plans park improvements.")

    councillors.set_wards(councillor, ["Riverside", "Castle Hill"], officer)
    councillors.add_comment(councillor, budget, "Riverside",
                            "Thank you to everyone in Riverside who answered. I will keep pressing for the "
                            "riverside path repairs in the roads programme.")
    councillors.suggest_topic(councillor, "Street lighting on the riverside path",
                              "Residents have asked about lighting after dark; a short survey would show how many "
                              "use the path and when.", "Riverside")
