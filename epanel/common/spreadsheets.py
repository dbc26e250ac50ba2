"""The one CSV writer every export uses: streams rows and neutralises formula injection."""

import csv
import io

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would treat as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_lines(header: list[str], rows):
    """Yield CSV text a line at a time (with a BOM so Excel reads UTF-8), never the whole file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([safe_cell(name) for name in header])
    yield "\ufeff" + take()
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        yield take()
