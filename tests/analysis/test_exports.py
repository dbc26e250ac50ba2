"""Exports: every format opens, round-trips awkward answers exactly, and runs no formula."""

import csv
import io
import json

import openpyxl
import pyreadstat

from epanel.analysis.exports import EXPORT_FORMATS, make_layout
from epanel.analysis.filters import ResponseFilter
from epanel.analysis.weighting import compute_weighting
from epanel.extensions import db
from epanel.panels.models import PopulationTarget, TargetDimension
from tests.analysis.data import build_consultation, respond

AWKWARD = "Commas, \"quotes\",\nnew lines and emoji 🌳 — =SUM(A1:A9)"
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"
LONG = ("Very long text. " * 300).strip()


def awkward_consultation():
    consultation = build_consultation()
    respond(consultation, {"Q1": ("other", "@dog walking"), "Q2": ["1", "3"], "Q3": "5", "Q4": 7, "Q5": 12.5,
                           "Q6": FORMULA, "Q7": AWKWARD, "Q8": {"1": 2, "2": 1}, "Q9": {"1": "5", "2": "1"},
                           "Q10": "1"}, age_band="18-34", gender="Woman", ward="Abbey")
    respond(consultation, {"Q1": "2", "Q4": 0, "Q6": "+44 7700 900123", "Q7": LONG, "Q10": "2"},
            age_band="35+", gender="Man", ward="Castle")
    respond(consultation, {"Q1": "1", "Q6": "-minus", "Q7": "\tTabbed"}, age_band="35+", gender="Woman", ward="Abbey")
    return consultation


def export(consultation, key, weighting=None, filters=ResponseFilter()) -> bytes:
    return b"".join(EXPORT_FORMATS[key].write(make_layout(consultation, weighting), filters))


def csv_rows(data: bytes) -> list[dict]:
    assert data.startswith("\ufeff".encode()), "a BOM, so Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_wide_has_a_row_per_response_and_01_columns_for_multiple_choice(app):
    consultation = awkward_consultation()
    rows = csv_rows(export(consultation, "csv"))

    assert len(rows) == 3
    first, second = rows[0], rows[1]
    assert first["Q1"] == "96" and first["Q1_other"] == "'@dog walking"
    assert (first["Q2_1"], first["Q2_2"], first["Q2_3"], first["Q2_4"]) == ("1", "0", "1", "0")
    assert second["Q2_1"] == "", "not answered is empty, not 0"
    assert first["Q7"] == AWKWARD
    assert first["Q6"] == "'" + FORMULA
    assert second["Q6"] == "'+44 7700 900123" and rows[2]["Q6"] == "'-minus" and rows[2]["Q7"] == "'\tTabbed"
    assert second["Q7"] == LONG
    assert (first["Q8_1"], first["Q8_2"], first["Q8_3"]) == ("2", "1", "")
    assert (first["Q9_1"], first["Q9_2"]) == ("5", "1")
    assert first["Q4"] == "7" and first["Q5"] == "12.5"
    assert first["age_band"] == "18-34" and first["channel"] == "1"


def test_no_cell_of_any_text_export_starts_with_an_active_formula(app):
    consultation = awkward_consultation()
    for key in ("csv", "csv-long"):
        for row in csv.reader(io.StringIO(export(consultation, key).decode("utf-8-sig"), newline="")):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (key, cell)


def test_csv_long_has_a_row_per_answer_with_labels(app):
    consultation = awkward_consultation()
    rows = csv_rows(export(consultation, "csv-long"))

    multiple = [row for row in rows if row["question"] == "Q2"]
    assert [row["option_label"] for row in multiple] == ["Walking", "Play"]
    grid = [row for row in rows if row["question"] == "Q9" and row["row_label"] == "Safety"]
    assert grid[0]["option_label"] == "Strongly disagree"
    other = next(row for row in rows if row["question"] == "Q1" and row["option"] == "other")
    assert other["option_label"] == "Other" and other["text"] == "'@dog walking"


def test_xlsx_has_data_labels_and_codebook_sheets_and_round_trips(app):
    consultation = awkward_consultation()
    workbook = openpyxl.load_workbook(io.BytesIO(export(consultation, "xlsx")))

    assert workbook.sheetnames == ["Data", "Labels", "Codebook"]
    data = list(workbook["Data"].values)
    header = data[0]
    first = dict(zip(header, data[1]))
    assert first["Q7"] == AWKWARD and first["Q6"] == FORMULA and first["Q2_1"] == 1  # kept exactly, as text
    assert dict(zip(header, data[2]))["Q7"] == LONG
    labels = list(workbook["Labels"].values)
    assert dict(zip(header, labels[1]))["Q1"] == "Other" and dict(zip(header, labels[2]))["Q1"] == "Every week"
    codebook = list(workbook["Codebook"].values)
    assert ("Q3", None, None, 5, "Strongly agree") in codebook
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_sav_has_variable_and_value_labels_and_round_trips(app, tmp_path):
    consultation = awkward_consultation()
    path = tmp_path / "out.sav"
    path.write_bytes(export(consultation, "sav"))

    frame, meta = pyreadstat.read_sav(str(path))
    assert list(frame["Q1"]) == [96, 2, 1]
    assert frame["Q7"][0] == AWKWARD and frame["Q7"][1] == LONG
    assert frame["Q6"][0] == FORMULA  # SPSS runs no formulas: the answer is kept exactly
    assert meta.column_names_to_labels["Q1"] == "How often do you visit a park?"
    assert meta.variable_value_labels["Q1"] == {1.0: "Every day", 2.0: "Every week", 3.0: "Less often", 96.0: "Other"}
    assert meta.variable_value_labels["Q2_1"] == {0.0: "Not chosen", 1.0: "Chosen"}
    assert meta.variable_value_labels["Q3"][5.0] == "Strongly agree"


def test_json_has_a_codebook_and_every_answer(app):
    consultation = awkward_consultation()
    document = json.loads(export(consultation, "json"))

    assert document["consultation"]["slug"] == consultation.slug
    assert {"variable": "Q10", "label": "Do you have a dog?", "type": "number",
            "values": [{"value": 1, "label": "Yes"}, {"value": 2, "label": "No"}]} in document["codebook"]
    assert document["responses"][0]["Q7"] == AWKWARD
    assert len(document["responses"]) == 3


def test_exports_carry_a_weight_column_when_weighting_is_on(app, tmp_path):
    consultation = awkward_consultation()
    for category, share in (("Woman", 0.5), ("Man", 0.5)):
        db.session.add(PopulationTarget(dimension=TargetDimension.GENDER, category=category, share=share, source="test"))
    db.session.commit()
    weighting = compute_weighting(consultation, ResponseFilter())

    rows = csv_rows(export(consultation, "csv", weighting))
    weights = {row["gender"]: float(row["weight"]) for row in rows}
    assert weights == {"Woman": 0.75, "Man": 1.5}  # 2 women and 1 man made 50:50
    long_rows = csv_rows(export(consultation, "csv-long", weighting))
    assert {row["weight"] for row in long_rows} == {"0.75", "1.5"}
    path = tmp_path / "weighted.sav"
    path.write_bytes(export(consultation, "sav", weighting))
    frame, _meta = pyreadstat.read_sav(str(path))
    assert sorted(frame["weight"]) == [0.75, 0.75, 1.5]
    workbook = openpyxl.load_workbook(io.BytesIO(export(consultation, "xlsx", weighting)), read_only=True)
    assert "weight" in next(workbook["Data"].values)


def test_exports_follow_the_filters(app):
    consultation = awkward_consultation()
    rows = csv_rows(export(consultation, "csv", filters=ResponseFilter(gender="Man")))
    assert [row["gender"] for row in rows] == ["Man"]
