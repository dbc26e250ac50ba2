"""Analysis adds no tables of its own yet; it adds one index to the answers table.

Results count the people who answered each multiple-choice, ranking and grid question
(COUNT(DISTINCT response_id) per question). An index on (question_id, response_id) lets the
database answer that from the index alone, instead of visiting every answer row. It is declared
here, with the domain that needs it, and created by migration 0007."""

from sqlalchemy import Index

from epanel.respond.models import Answer

answers_by_question_and_response = Index("ix_answers_question_response", Answer.question_id, Answer.response_id)
