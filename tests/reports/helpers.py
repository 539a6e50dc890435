"""Helpers shared by the report tests: writing register days through the one writer, and reading back the
produced workbooks with openpyxl."""
import datetime

import openpyxl

from attendance.models import DaySource, DayStatus
from attendance.services.register import Entry, register_write


def d(day: int, month: int = 10, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


def fill(cadre, first: datetime.date, last: datetime.date, status: str = DayStatus.PRESENT,
         source: str = DaySource.TOWNSHIP) -> int:
    """Every day from first to last (inclusive) in one status, through register_write (keeps the tallies)."""
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    return register_write(entries=[Entry(cadre_id=cadre.pk, day=x, status=status) for x in days], source=source)


def load(path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def values(ws, row: int) -> list:
    return [cell.value for cell in ws[row]]


def data_rows(ws) -> dict[str, list]:
    """Rows under the two header rows, keyed by their first cell, up to and including the totals row."""
    rows = {}
    for row in ws.iter_rows(min_row=5, values_only=True):
        rows[row[0]] = list(row)
        if row[0] == "合计":
            break
    return rows


def rows_by_name(ws, name_column: int) -> dict[str, list]:
    """Data rows of a per-cadre sheet keyed by the cadre's name (0-based column)."""
    rows = {}
    for row in ws.iter_rows(min_row=5, values_only=True):
        if row[0] == "合计":
            rows["合计"] = list(row)
            break
        rows[row[name_column]] = list(row)
    return rows


def sheet_text(ws) -> str:
    return "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None)
