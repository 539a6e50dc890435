"""The one Excel writer (reports/excel.py) on a tiny table, read back with openpyxl: layout of a government
statistical table, print setup, totals, and formula neutralisation. No database needed."""
import pytest

from reports.excel import Column, Table, new_workbook, write_list, write_notes, write_table

from .helpers import load, values

COLUMNS = [
    Column("单位", width=14),
    Column("村数", width=8, number_format="0", total=True),
    Column("第一书记", group="在岗干部(人)", width=9, number_format="0", total=True),
    Column("队员", group="在岗干部(人)", width=7, number_format="0", total=True),
    Column("人均(天)", group="在村天数", width=8, number_format="0.0"),
    Column("完整率", width=8, number_format="0.0%"),
]
ROWS = [
    ["城关镇", 2, 1, 3, 24.5, 0.75],
    ["河口乡", 1, 1, 0, 31.0, 1.0],
    ["石门镇", 4, 2, 5, 12.25, 0.5],
]


@pytest.fixture
def table_file(tmp_path):
    wb = new_workbook()
    count = write_table(wb, "汇总", Table(
        title="云溪县驻村干部2026年10月工作情况统计表", unit_line="填报单位:云溪县委组织部        统计期间:2026年10月",
        columns=COLUMNS, rows=iter(ROWS), totals_override={4: 99.5}, notes=["注:一", "注:二"],
    ))
    assert count == 3
    path = tmp_path / "t.xlsx"
    wb.save(path)
    return path


def test_it_creates_write_only_workbooks():
    assert new_workbook().write_only is True


def test_it_merges_the_title_across_the_table_and_writes_the_unit_line(table_file):
    ws = load(table_file)["汇总"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:F1" in merged
    assert "A2:F2" in merged
    assert ws["A1"].value == "云溪县驻村干部2026年10月工作情况统计表"
    assert ws["A1"].font.bold is True
    assert ws["A2"].value == "填报单位:云溪县委组织部        统计期间:2026年10月"


def test_it_writes_a_two_level_header(table_file):
    ws = load(table_file)["汇总"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # A column without a group spans both header rows; a group spans its columns on the upper row.
    assert {"A3:A4", "B3:B4", "C3:D3", "F3:F4"} <= merged
    # A group of a single column is not merged (a one-cell merge is invalid).
    assert not any(r.startswith("E3") for r in merged)
    assert values(ws, 3) == ["单位", "村数", "在岗干部(人)", None, "在村天数", "完整率"]
    assert values(ws, 4) == [None, None, "第一书记", "队员", "人均(天)", None]


def test_it_sums_the_totals_row_exactly_and_takes_overrides(table_file):
    ws = load(table_file)["汇总"]
    assert values(ws, 5) == ["城关镇", 2, 1, 3, 24.5, 0.75]
    assert values(ws, 8) == ["合计", 7, 4, 8, 99.5, None]  # not-summed column empty unless overridden
    assert ws["A8"].font.bold is True


def test_it_writes_the_notes_under_the_table_merged_across_it(table_file):
    ws = load(table_file)["汇总"]
    assert values(ws, 9) == [None] * 6  # one blank line after the totals row
    assert ws["A10"].value == "注:一"
    assert ws["A11"].value == "注:二"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A10:F10", "A11:F11"} <= merged


def test_it_freezes_the_header_and_sets_up_printing(table_file):
    ws = load(table_file)["汇总"]
    assert ws.freeze_panes == "B5"
    assert ws.print_title_rows.replace("$", "") == "1:4"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4 (Worksheet.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True


def test_it_sets_column_widths_and_number_formats(table_file):
    ws = load(table_file)["汇总"]
    assert [ws.column_dimensions[c].width for c in "ABCDEF"] == [14, 8, 9, 7, 8, 8]
    assert ws["B5"].number_format == "0"
    assert ws["E5"].number_format == "0.0"
    assert ws["F5"].number_format == "0.0%"
    assert ws["F8"].number_format == "0.0%"
    assert ws["A5"].number_format == "General"  # text keeps the general format


@pytest.mark.parametrize("text", ["=1+2", "+x", "-x", "@x", "=HYPERLINK(\"http://x\",\"y\")", "\t=1+2"])
def test_it_neutralises_text_a_spreadsheet_would_run_as_a_formula(tmp_path, text):
    wb = new_workbook()
    write_list(wb, "名单", f"标题{text}", "单位", [Column("姓名"), Column("备注"), Column("天数", number_format="0")],
               [[text, "正常", 3]])
    path = tmp_path / "n.xlsx"
    wb.save(path)
    ws = load(path)["名单"]
    cell = ws["A5"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is True
    assert ws["B5"].quotePrefix is False


def test_it_neutralises_a_title_starting_with_a_formula_sign(tmp_path):
    wb = new_workbook()
    write_list(wb, "名单", "=cmd|' /C calc'!A0", "@单位", [Column("姓名"), Column("天数")], [["x", 1]])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    ws = load(path)["名单"]
    assert (ws["A1"].data_type, ws["A1"].quotePrefix) == ("s", True)
    assert (ws["A2"].data_type, ws["A2"].quotePrefix) == ("s", True)


def test_it_keeps_numbers_numbers_even_when_negative(tmp_path):
    wb = new_workbook()
    write_list(wb, "名单", "标题", "单位",
               [Column("姓名"), Column("差额", number_format="0", total=True), Column("比率", number_format="0.0")],
               [["甲", -3, -1.5], ["乙", 5, 2.0]])
    path = tmp_path / "m.xlsx"
    wb.save(path)
    ws = load(path)["名单"]
    assert (ws["B5"].value, ws["B5"].data_type, ws["B5"].quotePrefix) == (-3, "n", False)
    assert (ws["C5"].value, ws["C5"].data_type) == (-1.5, "n")
    assert values(ws, 7)[:2] == ["合计", 2]


def test_it_writes_a_notes_sheet_through_the_neutralising_cells(tmp_path):
    wb = new_workbook()
    write_notes(wb, "说明", ["说明:", "=1+1 不是公式"])
    path = tmp_path / "notes.xlsx"
    wb.save(path)
    ws = load(path)["说明"]
    assert ws["A1"].value == "说明:"
    assert (ws["A2"].value, ws["A2"].data_type, ws["A2"].quotePrefix) == ("=1+1 不是公式", "s", True)


@pytest.mark.parametrize("fast", [True, False], ids=["ready-made XML", "openpyxl cells (lxml installed)"])
def test_it_writes_plain_list_rows_that_read_back_exactly(tmp_path, monkeypatch, fast):
    # Large lists take the fast path (ready-made XML per row) unless openpyxl writes through lxml: either way,
    # escaping, blanks, numbers, neutralised text and formatted columns must read back as openpyxl's own cells.
    monkeypatch.setattr("reports.excel.FAST_ROWS", fast)
    wb = new_workbook()
    columns = [Column("名称"), Column("数", number_format="0", total=True), Column("率", number_format="0.0%")]
    rows = [["a&b <c> d", 3, 0.25], ["  两端空白 ", None, 1 / 3], ["=SUM(A1)", 12345678, None], ["", -7, 0.5]]
    assert write_list(wb, "明细", "标题", "单位", columns, iter(rows)) == 4
    wb.save(tmp_path / "l.xlsx")
    ws = load(tmp_path / "l.xlsx")["明细"]
    assert values(ws, 5) == ["a&b <c> d", 3, 0.25]
    assert values(ws, 6) == ["  两端空白 ", None, 1 / 3]
    assert values(ws, 7) == ["=SUM(A1)", 12345678, None]
    assert (ws["A7"].data_type, ws["A7"].quotePrefix) == ("s", True)
    assert ws["C5"].number_format == "0.0%"
    assert values(ws, 8)[1:] == [-7, 0.5]
    assert values(ws, 9) == ["合计", 12345674, None]
