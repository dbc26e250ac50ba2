"""The API's request and response shapes (marshmallow): they validate what comes in and document what goes out."""

from marshmallow import Schema, fields, validate

from epanel.respond.models import ResponseChannel


class StrictSchema(Schema):
    """Unknown fields are refused (marshmallow's default), so a misspelt field name is reported, not ignored."""


# --- errors ------------------------------------------------------------------------------------


class FieldErrorSchema(StrictSchema):
    field = fields.String(required=True, metadata={"description": "The field, as a dotted path, e.g. answers.0.value"})
    message = fields.String(required=True)


class ProblemSchema(StrictSchema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
    submission_id = fields.String()


# --- consultations and questions -------------------------------------------------------------


class PageArgsSchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ConsultationListArgsSchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(["draft", "scheduled", "open", "closed", "published"]),
                           metadata={"description": "Only consultations in this state"})


class ConsultationSchema(StrictSchema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    theme = fields.String(required=True)
    status = fields.String(required=True)
    opens_at = fields.DateTime(allow_none=True, required=True)
    closes_at = fields.DateTime(allow_none=True, required=True)
    accepts_responses = fields.Boolean(required=True, metadata={"description": "Open now: partner submissions are accepted"})


class ConsultationPageSchema(StrictSchema):
    items = fields.List(fields.Nested(ConsultationSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class OptionSchema(StrictSchema):
    code = fields.String(required=True)
    label = fields.String(required=True)


class ConditionSchema(StrictSchema):
    question = fields.String(required=True, metadata={"description": "Code of the earlier question"})
    option_codes = fields.List(fields.String(), required=True)


class QuestionSchema(StrictSchema):
    code = fields.String(required=True)
    number = fields.Integer(required=True)
    page = fields.Integer(required=True)
    kind = fields.String(required=True)
    text = fields.String(required=True)
    help_text = fields.String(required=True)
    required = fields.Boolean(required=True)
    allow_other = fields.Boolean(required=True)
    options = fields.List(fields.Nested(OptionSchema), required=True)
    rows = fields.List(fields.Nested(OptionSchema), required=True)
    settings = fields.Dict(keys=fields.String(), required=True)
    shown_if = fields.Nested(ConditionSchema, allow_none=True, required=True)
    answer_format = fields.String(required=True, metadata={"description": "How to send this question's answer"})


class ConsultationDetailSchema(ConsultationSchema):
    body = fields.String(required=True)
    questions = fields.List(fields.Nested(QuestionSchema), required=True)


class QuestionListSchema(StrictSchema):
    items = fields.List(fields.Nested(QuestionSchema), required=True)


# --- results -----------------------------------------------------------------------------------


class ResultsArgsSchema(StrictSchema):
    channel = fields.String(validate=validate.OneOf([channel.value for channel in ResponseChannel]))
    ward = fields.String(validate=validate.Length(max=80))
    age_band = fields.String(validate=validate.Length(max=20))
    gender = fields.String(validate=validate.Length(max=60))


class ShareSchema(StrictSchema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(allow_none=True, required=True)
    percent = fields.Float(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)


class GridRowSchema(StrictSchema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    base = fields.Integer(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)
    shares = fields.List(fields.Nested(ShareSchema), required=True)


class NumbersSchema(StrictSchema):
    mean = fields.Float(allow_none=True, required=True)
    median = fields.Float(allow_none=True, required=True)
    minimum = fields.Float(allow_none=True, required=True)
    maximum = fields.Float(allow_none=True, required=True)


class QuestionResultSchema(StrictSchema):
    code = fields.String(required=True)
    number = fields.Integer(required=True)
    text = fields.String(required=True)
    kind = fields.String(required=True)
    shape = fields.String(required=True, metadata={"description": "shares, numbers, ranks (share ranked first), grid or text"})
    base = fields.Integer(allow_none=True, required=True,
                          metadata={"description": "Respondents who answered; null when fewer than min_base"})
    suppressed = fields.Boolean(required=True)
    shares = fields.List(fields.Nested(ShareSchema), required=True)
    rows = fields.List(fields.Nested(GridRowSchema), required=True)
    numbers = fields.Nested(NumbersSchema, allow_none=True, required=True)


class ResultsSchema(StrictSchema):
    consultation = fields.String(required=True)
    min_base = fields.Integer(required=True, metadata={"description": "Figures resting on fewer respondents are withheld"})
    responses = fields.Integer(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)
    filters = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    questions = fields.List(fields.Nested(QuestionResultSchema), required=True)


# --- responses -----------------------------------------------------------------------------------


class AnswerOutSchema(StrictSchema):
    question = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True)
    other_text = fields.String(allow_none=True, required=True)


class ResponseSchema(StrictSchema):
    reference = fields.String(required=True)
    submission_id = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True, required=True)
    age_band = fields.String(allow_none=True, required=True)
    gender = fields.String(allow_none=True, required=True)
    ward = fields.String(allow_none=True, required=True)
    answers = fields.List(fields.Nested(AnswerOutSchema), required=True)


class ResponsePageSchema(StrictSchema):
    items = fields.List(fields.Nested(ResponseSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class ResponseListArgsSchema(PageArgsSchema):
    status = fields.String(load_default="complete", validate=validate.OneOf(["complete", "all"]))


# --- partner submissions --------------------------------------------------------------------------


class AnswerInSchema(StrictSchema):
    question = fields.String(required=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "The question's code, e.g. Q1"})
    value = fields.Raw(required=True, allow_none=True, metadata={
        "description": "An option code (string) for single choice, agreement and yes/no; a list of option codes for "
                       "multiple choice; a number for ratings and numbers; text for text questions; an object "
                       "{option code: rank} for rankings and {row code: option code} for grids"})
    other_text = fields.String(validate=validate.Length(max=500),
                               metadata={"description": "The words of an 'Other (please say)' answer"})


class RespondentSchema(StrictSchema):
    postcode = fields.String(validate=validate.Length(max=10))
    age_band = fields.String(validate=validate.Length(max=20))


class SubmissionSchema(StrictSchema):
    submission_id = fields.String(required=True, validate=[
        validate.Length(min=8, max=40),
        validate.Regexp(r"^[A-Za-z0-9._:-]+$", error="Use 8 to 40 letters, digits, dots, dashes, colons or underscores."),
    ], metadata={"description": "Your unique id for this submission: sending it again returns the first result"})
    answers = fields.List(fields.Nested(AnswerInSchema), required=True, validate=validate.Length(max=500))
    respondent = fields.Nested(RespondentSchema, load_default=dict)


class SubmissionResultSchema(StrictSchema):
    reference = fields.String(required=True)
    submission_id = fields.String(required=True)
    consultation = fields.String(required=True)
    channel = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)
    created = fields.Boolean(required=True, metadata={"description": "false when this repeats an earlier submission"})


class TokenInfoSchema(StrictSchema):
    name = fields.String(required=True)
    scope = fields.String(required=True)
    can_read_responses = fields.Boolean(required=True)
    officer = fields.String(required=True)
