"""Exports of a consultation's responses: CSV wide and long, XLSX, SPSS .sav and JSON with a codebook.

Responses are read a page at a time by keyset (`id > last`, never OFFSET), with their answers fetched
by response id range, so the cost grows with the number of rows and memory stays flat. CSV and JSON
stream to the browser as they are written; XLSX is written by openpyxl's write-only workbook to a
temporary file, then streamed; SPSS files are built in memory by pyreadstat (one column per variable),
which is the one format whose memory grows with the responses.

Formula injection: CSV cells pass through `epanel.common.spreadsheets.safe_cell` (the one CSV writer),
so an answer starting with = + - @ (or a tab or carriage return) gets a leading apostrophe and is never
run as a formula. XLSX cells are typed: text is stored as a string cell, never a formula cell, so it
is kept exactly and still never runs. SPSS and JSON have no formulas and keep answers exactly."""

import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select

from epanel.analysis.filters import LONDON, ResponseFilter
from epanel.analysis.weighting import Weighting
from epanel.common.spreadsheets import csv_lines
from epanel.consultations.kinds import OTHER, AnswerRow, ExportColumn, kind_of
from epanel.consultations.models import Consultation
from epanel.extensions import db
from epanel.respond.models import Answer, Response, ResponseChannel

PAGE_SIZE = 2000
WEIGHT_INDEX = 15  # where the weight sits among response_columns
CHUNK = 64 * 1024
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters an XLSX cell cannot hold

CHANNEL_LABELS = {index: channel.label for index, channel in enumerate(ResponseChannel, start=1)}
CHANNEL_CODES = {channel: index for index, channel in enumerate(ResponseChannel, start=1)}


def response_columns(weighting: Weighting | None) -> list[ExportColumn]:
    """The columns every export starts with: who, how and when, the analysis attributes and the weight."""
    columns = [
        ExportColumn("response_id", "Response number", numeric=True),
        ExportColumn("reference", "Reference given to the respondent"),
        ExportColumn("channel", "How the response came in", numeric=True, value_labels=CHANNEL_LABELS),
        ExportColumn("status", "Complete or partial"),
        ExportColumn("submitted_at", "When submitted (UK time)"),
        ExportColumn("group_response", "Given on behalf of a group", numeric=True, value_labels={0: "No", 1: "Yes"}),
        ExportColumn("group_size", "People the group speaks for", numeric=True),
        ExportColumn("age_band", "Age band"),
        ExportColumn("gender", "Gender"),
        ExportColumn("ward", "Ward"),
        ExportColumn("parish", "Parish"),
        ExportColumn("postcode_district", "Postcode district"),
        ExportColumn("panels", "Panels"),
        ExportColumn("school", "School (class sessions)"),
        ExportColumn("year_group", "Year group (class sessions)"),
    ]
    if weighting:
        columns.append(ExportColumn("weight", "Weight (raked to population targets)", numeric=True))
    return columns


@dataclass
class Layout:
    """The columns of a consultation's wide exports, and which question fills which."""

    consultation: Consultation
    weighting: Weighting | None
    base: list[ExportColumn]
    questions: list[tuple]  # (question, exporter, columns): the exporter turns answer rows into values

    @property
    def columns(self) -> list[ExportColumn]:
        return self.base + [column for _q, _k, columns in self.questions for column in columns]


def make_layout(consultation: Consultation, weighting: Weighting | None) -> Layout:
    questions = [(question, kind_of(question).exporter(question), kind_of(question).export_columns(question))
                 for question in consultation.questions]
    return Layout(consultation, weighting, response_columns(weighting), questions)


def _uk(moment: datetime | None) -> str | None:
    return moment.astimezone(LONDON).isoformat(sep=" ", timespec="seconds")[:19] if moment else None


def response_pages(consultation: Consultation, filters: ResponseFilter, weighting: Weighting | None,
                   page_size: int = PAGE_SIZE) -> Iterator[list[tuple[list, dict[int, list[AnswerRow]]]]]:
    """Pages of (base values, answers by question id) for the filtered responses, in id order."""
    where = filters.conditions(consultation.id)
    cells = weighting.columns if weighting else []
    codes, row_codes = {}, {}
    choice_questions = set()
    for question in consultation.questions:
        kind = kind_of(question)
        if kind.has_choices and not kind.has_rows:
            choice_questions.add(question.id)
        for option in question.options:
            (row_codes if option.role.value == "row" else codes)[option.id] = option.code
    question_ids = [question.id for question in consultation.questions]
    known = set(question_ids)
    last = 0
    while True:
        responses = db.session.execute(
            select(Response.id, Response.reference, Response.channel, Response.status, Response.submitted_at,
                   Response.group_id, Response.group_size, Response.age_band, Response.gender, Response.ward,
                   Response.parish, Response.postcode_district, Response.panels, Response.school, Response.year_group, *cells)
            .where(*where, Response.id > last).order_by(Response.id).limit(page_size)
        ).all()
        if not responses:
            return
        last = responses[-1][0]
        wanted = {row[0] for row in responses}
        answers: dict[int, dict[int, list[AnswerRow]]] = {}
        if question_ids:
            for response_id, question_id, option_id, row_id, number, text in db.session.execute(
                select(Answer.response_id, Answer.question_id, Answer.option_id, Answer.row_id, Answer.number, Answer.text)
                # By response id range only, so the database walks the response_id index; rows of
                # filtered-out responses in the range are skipped here.
                .where(Answer.response_id >= responses[0][0], Answer.response_id <= last)
                .order_by(Answer.response_id, Answer.id)
            ):
                if response_id not in wanted or question_id not in known:
                    continue
                option = codes.get(option_id) if option_id is not None else (OTHER if question_id in choice_questions else None)
                answers.setdefault(response_id, {}).setdefault(question_id, []).append(
                    AnswerRow(option_code=option, row_code=row_codes.get(row_id), number=number, text=text))
        page = []
        for row in responses:
            values = [row[0], row[1], CHANNEL_CODES.get(row[2]), row[3].value, _uk(row[4]),
                      int(row[5] is not None or row[2] == ResponseChannel.GROUP), row[6], *row[7:15]]
            if weighting:
                values.append(round(weighting.weight_for(tuple(row[15:])), 6))
            page.append((values, answers.get(row[0], {})))
        yield page


def wide_rows(layout: Layout, filters: ResponseFilter) -> Iterator[list]:
    """One list of values per response, matching layout.columns."""
    plan = [(question.id, exporter, len(columns)) for question, exporter, columns in layout.questions]
    for page in response_pages(layout.consultation, filters, layout.weighting):
        for values, answers in page:
            row = list(values)
            for question_id, exporter, width in plan:
                given = answers.get(question_id)
                row.extend(exporter(given) if given else [None] * width)
            yield row


def labelled(layout: Layout, row: list) -> list:
    """A wide row with value labels in place of codes (for the XLSX labels sheet)."""
    return [column.value_labels.get(value, value) if column.value_labels and value is not None else value
            for column, value in zip(layout.columns, row)]


# --- the formats ---------------------------------------------------------------------------------


def _encode(lines: Iterator[str]) -> Iterator[bytes]:
    """Group small text pieces into chunks of about CHUNK bytes, so streaming is not one write per line."""
    buffer, size = [], 0
    for line in lines:
        data = line.encode("utf-8")
        buffer.append(data)
        size += len(data)
        if size >= CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def write_csv_wide(layout: Layout, filters: ResponseFilter) -> Iterator[bytes]:
    return _encode(csv_lines([column.name for column in layout.columns], wide_rows(layout, filters)))


def write_csv_long(layout: Layout, filters: ResponseFilter) -> Iterator[bytes]:
    """One row per answer: a chosen option, a ranked option, a grid cell or a typed value."""
    header = ["response_id", "question", "question_text", "row", "row_label", "option", "option_label", "number", "text"]
    if layout.weighting:
        header.append("weight")
    by_id = {question.id: question for question, _kind, _columns in layout.questions}

    def rows():
        for page in response_pages(layout.consultation, filters, layout.weighting):
            for values, answers in page:
                for question_id, answer_rows in answers.items():
                    question = by_id[question_id]
                    options = {option.code: option.label for option in question.choices}
                    grid_rows = {option.code: option.label for option in question.rows}
                    for answer in answer_rows:
                        label = "Other" if answer.option_code == OTHER else options.get(answer.option_code)
                        line = [values[0], question.code, question.text, answer.row_code, grid_rows.get(answer.row_code),
                                answer.option_code, label, answer.number, answer.text]
                        if layout.weighting:
                            line.append(values[WEIGHT_INDEX])
                        yield line

    return _encode(csv_lines(header, rows()))


def _xlsx_row(sheet, values) -> list:
    """Cells for one XLSX row: text that looks like a formula is typed as text, so it never runs."""
    cells = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_XML.sub("", value)
            if value.startswith("="):
                cell = WriteOnlyCell(sheet, value)
                cell.data_type = "s"  # openpyxl would otherwise store it as a formula
                value = cell
        cells.append(value)
    return cells


def codebook_rows(layout: Layout) -> Iterator[list]:
    """Variable, label, type, value, value label: one row per variable, then one per labelled value."""
    for column in layout.columns:
        yield [column.name, column.label, "number" if column.numeric else "text", None, None]
        for value, label in (column.value_labels or {}).items():
            yield [column.name, None, None, value, label]


def write_xlsx(layout: Layout, filters: ResponseFilter) -> Iterator[bytes]:
    """Data (codes), Labels (the same with value labels) and Codebook sheets, written with constant memory."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("Data")
    labels = workbook.create_sheet("Labels")
    names = [column.name for column in layout.columns]
    data.append(names)
    labels.append(_xlsx_row(labels, [column.label for column in layout.columns]))
    for row in wide_rows(layout, filters):
        data.append(_xlsx_row(data, row))
        labels.append(_xlsx_row(labels, labelled(layout, row)))
    codebook = workbook.create_sheet("Codebook")
    codebook.append(["variable", "label", "type", "value", "value label"])
    for row in codebook_rows(layout):
        codebook.append(_xlsx_row(codebook, row))
    return _stream_file(lambda handle: workbook.save(handle))


def _stream_file(write) -> Iterator[bytes]:
    handle = tempfile.TemporaryFile()
    try:
        write(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def write_sav(layout: Layout, filters: ResponseFilter) -> Iterator[bytes]:
    """An SPSS file with variable labels and value labels (pyreadstat; built in memory, see the module note)."""
    import pandas as pd
    import pyreadstat

    columns = layout.columns
    values: list[list] = [[] for _ in columns]
    for row in wide_rows(layout, filters):
        for index, value in enumerate(row):
            values[index].append(value)
    frame = pd.DataFrame({
        column.name: pd.Series(values[index], dtype="float64" if column.numeric else "object")
        if column.numeric else pd.Series([None if v is None else str(v) for v in values[index]], dtype="object")
        for index, column in enumerate(columns)
    })
    labels = {column.name: column.label[:250] for column in columns}
    value_labels = {column.name: {float(value): label for value, label in column.value_labels.items()}
                    for column in columns if column.numeric and column.value_labels}
    handle, path = tempfile.mkstemp(suffix=".sav")
    os.close(handle)
    try:
        pyreadstat.write_sav(frame, path, column_labels=labels, variable_value_labels=value_labels)
        del frame, values
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def write_json(layout: Layout, filters: ResponseFilter) -> Iterator[bytes]:
    """{"consultation", "filters", "codebook", "responses": [{variable: value}]}, streamed a response at a time."""
    consultation = layout.consultation
    names = [column.name for column in layout.columns]
    head = {
        "consultation": {"slug": consultation.slug, "title": consultation.title},
        "filters": filters.describe(),
        "weighted": bool(layout.weighting),
        "codebook": [
            {"variable": column.name, "label": column.label, "type": "number" if column.numeric else "text",
             "values": [{"value": value, "label": label} for value, label in (column.value_labels or {}).items()]}
            for column in layout.columns
        ],
    }

    def pieces():
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "responses": ['
        first = True
        for row in wide_rows(layout, filters):
            yield ("" if first else ",") + "\n" + json.dumps(dict(zip(names, row)), ensure_ascii=False)
            first = False
        yield "\n]}\n"

    return _encode(pieces())


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    extension: str
    mimetype: str
    write: object
    description: str


EXPORT_FORMATS: dict[str, ExportFormat] = {
    export.key: export
    for export in [
        ExportFormat("csv", "CSV, one row per response", "csv", "text/csv; charset=utf-8", write_csv_wide,
                     "A column per question and a 0 or 1 column per answer of multiple-choice questions. Opens in Excel."),
        ExportFormat("csv-long", "CSV, one row per answer", "csv", "text/csv; charset=utf-8", write_csv_long,
                     "One row per chosen answer, rank, grid cell or typed answer, with its labels."),
        ExportFormat("xlsx", "Excel workbook", "xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", write_xlsx,
                     "Data, Labels and Codebook sheets."),
        ExportFormat("sav", "SPSS data file", "sav", "application/x-spss-sav", write_sav,
                     "With variable labels and value labels."),
        ExportFormat("json", "JSON with a codebook", "json", "application/json", write_json,
                     "For scripts and other systems."),
    ]
}


def export_filename(consultation: Consultation, export: ExportFormat, when: datetime) -> str:
    suffix = "-long" if export.key == "csv-long" else ""
    return f"{consultation.slug}-responses{suffix}-{when.astimezone(LONDON):%Y%m%d-%H%M}.{export.extension}"
