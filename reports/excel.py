"""The one Excel writer for every report and export, in the layout of a government statistical table:
merged title, reporting-unit and period line, two-level header, data rows, totals row (合计), frozen
header, column widths, number formats, print setup (A4 landscape, fit to width, header rows repeated) and
notes. Workbooks are write-only (streamed): rows are written as they come, so memory stays flat however many
rows a province has."""
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import openpyxl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, IllegalCharacterError
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# A spreadsheet reads text starting with these as a formula (tab and carriage return too, per OWASP's
# CSV-injection advice: some programs strip them and then see the "=").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
TOTAL_FILL = PatternFill("solid", fgColor="FFF7E6")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    label: str                  # lower header row
    group: str = ""             # upper header row; consecutive columns with the same group are merged
    width: float = 10
    number_format: str | None = None  # e.g. "0", "0.0", "0.0%", "#,##0.00"
    total: bool = False         # summed in the totals row


@dataclass
class Table:
    title: str
    unit_line: str
    columns: list[Column]
    rows: Iterable[Sequence]
    totals_label: str = "合计"
    totals_override: dict[int, object] = field(default_factory=dict)  # column index → value (e.g. averages)
    notes: list[str] = field(default_factory=list)


def neutralise(value):
    """Text that a spreadsheet would read as a formula is stored as text and marked so (quote prefix)."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def _escape(text: str) -> str:
    # What openpyxl's cell writer does to a string (ElementTree's text escaping, the 32,767-character limit,
    # the refusal of control characters, xml:space="preserve" for surrounding blanks), as XML text.
    text = text[:32767]
    if ILLEGAL_CHARACTERS_RE.search(text):
        raise IllegalCharacterError(f"{text} cannot be used in worksheets.")
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    stripped = text.strip()
    if stripped and stripped != text:
        return '<is><t xml:space="preserve">' + text + "</t></is>"
    return "<is><t>" + text + "</t></is>"


def _stream_rows(ws):
    """The row stream of a write-only sheet, as openpyxl's own (WriteOnlyWorksheet._write_rows), except that a
    `_Plain` row is written as ready-made XML: one string per row instead of a cell object and an element per
    value, which is what makes openpyxl slow on a province's 60,000-row lists (several times the cost of
    computing the figures). Anything else (header, totals, styled cells) goes through openpyxl as before.
    Relies on openpyxl 3.1's write-only internals (requirements.lock pins it); tests/reports/test_excel.py
    reads both kinds of rows back."""
    writer = ws._writer
    xf = writer.xf.send(True)
    out = xf._file  # the text stream under the <sheetData> element
    with xf.element("sheetData"):
        row_idx = 1
        try:
            while True:
                row = yield
                if row.__class__ is _Plain:
                    row.write(out, xf, ws, row_idx)
                else:
                    writer.write_row(xf, ws._values_to_row(row, row_idx), row_idx)
                row_idx += 1
        except GeneratorExit:
            pass
    writer.xf.send(None)


BIG = 10**15
# The fast path writes into the text stream of openpyxl's et_xmlfile writer. With lxml installed openpyxl uses
# lxml's writer instead, which has no such stream: rows then go through openpyxl cells (slower, same output).
FAST_ROWS = not openpyxl.LXML


class _Plain(list):
    """A row of plain values (str, int, float, None) for the fast path of _stream_rows; any other value, and
    text that must be neutralised, is written through an openpyxl cell in its place."""

    __slots__ = ("sheet",)

    def write(self, out, xf, ws, row_idx: int) -> None:
        sheet = self.sheet
        letters, formatted = sheet._letters, sheet._formatted
        r = str(row_idx)
        parts = ['<row r="', r, '">']
        for j, value in enumerate(self):
            if value is None:
                continue
            cls = value.__class__
            if cls is str and not (value and value[0] in FORMULA_PREFIXES):
                if value:
                    parts.append(f'<c r="{letters[j]}{r}" t="inlineStr">{_escape(value)}</c>')
                else:
                    parts.append(f'<c r="{letters[j]}{r}" t="inlineStr"/>')
            elif j not in formatted and (
                (cls is int and -BIG < value < BIG) or (cls is float and math.isfinite(value))
            ):
                # openpyxl writes numbers as "%.16g", which is str() for an int of fewer than 16 digits.
                parts.append(f'<c r="{letters[j]}{r}" t="n"><v>{value if cls is int else "%.16g" % value}</v></c>')  # noqa: UP031
            else:
                # Neutralised text, formatted numbers and other types: through an openpyxl cell, in place.
                out("".join(parts))
                parts = []
                cell = _cell(ws, value, border=None, number_format=None if cls is str else formatted.get(j))
                cell.column, cell.row = j + 1, row_idx
                write_cell(xf, ws, cell, cell.has_style)
        parts.append("</row>")
        out("".join(parts))


def _cell(ws, value, *, font=None, fill=None, border=BORDER, alignment=None, number_format=None):
    cell = WriteOnlyCell(ws, value=value)
    if neutralise(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if number_format and not isinstance(value, str):
        cell.number_format = number_format
    return cell


class TableSheet:
    """One table on its own sheet, written as it comes: `begin()` writes the title, unit line and two-level
    header; `add(row)` streams data rows; `finish()` writes the totals row and notes. Several TableSheets of
    one write-only workbook may be filled in any order (each streams to its own temporary file), so a
    summary can be completed after the detail rows that feed it.

    Large lists (`styled=False`) write plain values — a styled cell object per value would dominate the
    cost — and print with grid lines instead of per-cell borders; small tables get bordered cells."""

    def __init__(self, wb: Workbook, sheet_title: str, *, title: str, unit_line: str, columns: list[Column],
                 styled: bool = True, totals_label: str = "合计"):
        self.ws = wb.create_sheet(title=sheet_title[:31])
        self.title, self.unit_line, self.columns = title, unit_line, columns
        self.styled, self.totals_label = styled, totals_label
        self.count = 0
        self.totals = [0] * len(columns)
        self._summed = [j for j, c in enumerate(columns) if c.total]
        # Columns whose numbers need a cell object for their format ("0" is what General shows anyway).
        self._formatted = {j: c.number_format for j, c in enumerate(columns) if c.number_format not in (None, "0")}
        self._letters = [get_column_letter(j + 1) for j in range(len(columns))]

    def _merge(self, ref: str) -> None:
        # A one-cell "merge" (a one-column table) is invalid OOXML that Excel offers to repair.
        if ":" in ref and ref.split(":")[0] != ref.split(":")[1]:
            self.ws.merged_cells.add(ref)

    def begin(self) -> "TableSheet":
        ws, columns = self.ws, self.columns
        ncols = len(columns)
        last = get_column_letter(ncols)
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        # Layout must be set before rows are streamed.
        ws.freeze_panes = "B5"
        ws.print_title_rows = "1:4"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        if not self.styled:
            ws.print_options.gridLines = True
        if not self.styled and FAST_ROWS:
            # Layout is complete: open the sheet's stream with the fast path for plain rows.
            ws._get_writer()
            ws._rows = _stream_rows(ws)
            next(ws._rows)

        ws.append([_cell(ws, self.title, font=Font(bold=True, size=16), border=None, alignment=CENTER)])
        self._merge(f"A1:{last}1")
        ws.append([_cell(ws, self.unit_line, border=None, alignment=Alignment(horizontal="left"))])
        self._merge(f"A2:{last}2")

        # Two header rows: a group label spans its columns; a column without a group spans both rows.
        upper, lower = [], []
        index = 0
        bold = Font(bold=True)
        while index < ncols:
            column = columns[index]
            if not column.group:
                upper.append(_cell(ws, column.label, font=bold, fill=HEADER_FILL, alignment=CENTER))
                lower.append(_cell(ws, None, fill=HEADER_FILL))
                self._merge(f"{get_column_letter(index + 1)}3:{get_column_letter(index + 1)}4")
                index += 1
                continue
            end = index
            while end + 1 < ncols and columns[end + 1].group == column.group:
                end += 1
            for j in range(index, end + 1):
                upper.append(_cell(ws, column.group if j == index else None, font=bold, fill=HEADER_FILL,
                                   alignment=CENTER))
                lower.append(_cell(ws, columns[j].label, font=bold, fill=HEADER_FILL, alignment=CENTER))
            if end > index:
                self._merge(f"{get_column_letter(index + 1)}3:{get_column_letter(end + 1)}3")
            index = end + 1
        ws.append(upper)
        ws.append(lower)
        return self

    def add(self, row: Sequence) -> None:
        ws, totals = self.ws, self.totals
        for j in self._summed:
            value = row[j]
            if isinstance(value, int | float):
                totals[j] += value
        if self.styled:
            ws.append([_cell(ws, value, number_format=self.columns[j].number_format) for j, value in enumerate(row)])
        elif FAST_ROWS:
            plain = _Plain(row)
            plain.sheet = self
            ws.append(plain)
        else:
            # openpyxl's own path: plain values, except text to neutralise and formatted numbers.
            ws.append([
                _cell(ws, value, border=None, number_format=None if isinstance(value, str) else self._formatted.get(j))
                if neutralise(value) or (j in self._formatted and not isinstance(value, str)) else value
                for j, value in enumerate(row)
            ])
        self.count += 1

    def finish(self, *, totals_override: dict[int, object] | None = None, notes: list[str] | None = None) -> int:
        ws, override = self.ws, totals_override or {}
        bold = Font(bold=True)
        total_cells = []
        for j, column in enumerate(self.columns):
            if j == 0:
                value = self.totals_label
            elif j in override:
                value = override[j]
            elif column.total:
                value = self.totals[j]
            else:
                value = None
            total_cells.append(_cell(ws, value, font=bold, fill=TOTAL_FILL, number_format=column.number_format))
        ws.append(total_cells)
        if notes:
            ws.append([])
            last = get_column_letter(len(self.columns))
            row_number = 4 + self.count + 2
            for note in notes:
                row_number += 1
                ws.append([_cell(ws, note, border=None, alignment=Alignment(wrap_text=True, vertical="top"))])
                self._merge(f"A{row_number}:{last}{row_number}")
        return self.count


def write_table(wb: Workbook, sheet_title: str, table: Table, *, on_row=None, styled: bool = True) -> int:
    """Write one whole table on a new sheet; returns the number of data rows. `on_row(n)` is called every
    500 rows so a task can report progress."""
    sheet = TableSheet(wb, sheet_title, title=table.title, unit_line=table.unit_line, columns=table.columns,
                       styled=styled, totals_label=table.totals_label).begin()
    for row in table.rows:
        sheet.add(row)
        if on_row is not None and sheet.count % 500 == 0:
            on_row(sheet.count)
    return sheet.finish(totals_override=table.totals_override, notes=table.notes)


def write_list(wb: Workbook, sheet_title: str, title: str, unit_line: str, columns: list[Column],
               rows: Iterable[Sequence], *, notes: list[str] | None = None, on_row=None) -> int:
    """A plain list (per-cadre sheets, raw exports): the same layout; columns marked `total` are summed."""
    return write_table(
        wb, sheet_title,
        Table(title=title, unit_line=unit_line, columns=columns, rows=rows, notes=notes or []),
        on_row=on_row, styled=False,
    )


def write_notes(wb: Workbook, sheet_title: str, lines: list[str]) -> None:
    """The notes sheet (说明): one line per formula or policy value, through the same neutralising cells."""
    ws = wb.create_sheet(title=sheet_title[:31])
    ws.column_dimensions["A"].width = 120
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    for line in lines:
        ws.append([_cell(ws, line, border=None, alignment=Alignment(wrap_text=True, vertical="top"))])
