"""`flask epanel bench-data` makes a consultation with many responses for benchmarks."""

from epanel.analysis.filters import ResponseFilter
from epanel.analysis.queries import get_results
from epanel.consultations.models import Consultation
from epanel.extensions import db


def test_bench_data_makes_a_20_question_consultation_with_responses_and_targets(app, runner):
    result = runner.invoke(args=["epanel", "bench-data", "--responses", "250"])

    assert result.exit_code == 0, result.output
    assert "250 responses" in result.output
    consultation = db.session.scalars(db.select(Consultation)).one()
    assert len(consultation.questions) == 20
    results = get_results(consultation, ResponseFilter())
    assert results.responses == 250
    assert all(result.answered > 200 for result in results.questions if result.summary.shape != "text")
