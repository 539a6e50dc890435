"""Import of a DingTalk (钉钉) or WeCom (企业微信) monthly attendance export as register evidence.

An export is evidence, not a verdict: every day it covers becomes an EvidenceDay (a suggestion the township
accepts or overrides in the register grid), never an AttendanceDay. A missing punch in particular is only a
flagged suggestion: people forget to punch, phones lose signal in the hills.

The file is all-or-nothing. `parse_attendance_export` reads it without touching the database and collects
every problem it finds; `import_attendance_export` adds the problems of matching rows to cadres, and writes
only when there are none, so the township fixes the file once instead of once per error.

Layouts accepted (both vendors change them now and then, so the parser looks for text, not positions):

* a title row or two (DingTalk: "月度汇总 统计日期:2026-10-01 至 2026-10-31"), then a header row: the first of
  the first ten rows with a cell "姓名";
* the phone column is the one headed 手机/手机号/手机号码/联系电话 (optional);
* day columns are those whose header reads as a day: "1", "01", "1日", "10-01", "10-01 周三", "2026-10-01",
  "10月1日", a date cell. When the header row has none, the row under it is read as a second header row
  (exports that group the days under a merged "考勤结果" heading);
* a row of weekday labels under the header ("三", "周四", …) is skipped.
"""
import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.audit import audit_record
from cadres.jurisdiction import is_township_official, scope_of
from cadres.models import Cadre, Posting, Role
from cadres.validators import normalize_phone
from villages.models import Region, RegionLevel
from villages.text import normalize_text

from ..models import DayStatus, EvidenceDay, EvidenceSource, ImportBatch
from .register import is_month_confirmed, month_start, next_month

HEADER_SEARCH_ROWS = 10
MAX_DATA_ROWS = 3000  # a township has tens of cadres; a bigger file is the wrong export, not a township's month
MAX_CELL_ERRORS_PER_ROW = 5

IMPORT_SOURCES = (EvidenceSource.DINGTALK, EvidenceSource.WECOM)

PHONE_HEADERS = ("手机", "联系电话", "电话")


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """One problem of the file; `row` is the Excel row number (None for the file as a whole)."""

    row: int | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("第%(row)s行:%(message)s") % {"row": self.row, "message": self.message}


@dataclass(frozen=True)
class Suggestion:
    status: str  # DayStatus
    flagged: bool
    detail: str


@dataclass
class ExportRow:
    row: int  # Excel row number
    name: str
    phone: str  # normalised; "" when the file has no phone column or the cell is empty
    days: dict[datetime.date, Suggestion] = field(default_factory=dict)


@dataclass
class ParsedExport:
    month: datetime.date
    source: str
    sheet: str = ""
    header_row: int | None = None
    has_phone: bool = False
    day_columns: int = 0
    rows: list[ExportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- text helpers


def _text(value) -> str:
    """A cell as text: NFKC (full-width digits, colons and letters become ASCII), spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value))


_NAME_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", "．": "·"})


def name_key(value) -> str:
    """Names compare without any spaces ("张 伟" is 张伟) and with one kind of middle dot (阿不都·热合曼)."""
    return re.sub(r"\s+", "", _text(value)).translate(_NAME_DOTS)


def phone_key(value) -> str:
    """Digits only, without a +86 country prefix: "+86 139-0000-0001", "１３９００００００01" and
    "13900000001" are one number."""
    digits = re.sub(r"\D", "", normalize_phone(_text(value)))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


# ---------------------------------------------------------------- day headers

_WEEKDAY_SUFFIX = re.compile(r"[\s(（]*(?:周|星期|礼拜)?[一二三四五六日天][)）]?$")
_FULL_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})[-/月](\d{1,2})[日号]?$")
_DAY = re.compile(r"^(\d{1,2})[日号]?$")
_WEEKDAY_LABEL = re.compile(r"^(?:周|星期|礼拜)?[一二三四五六日天]$")
_DATE_TEXT = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?"
# "2026-10-01 至 2026-10-31", "2026-10-01~2026-10-31": the period of the export, not a generation time.
_TITLE_RANGE = re.compile(_DATE_TEXT + r"\s*(?:至|到|~|-|—|–)\s*" + _DATE_TEXT)


@dataclass(frozen=True)
class DayHeader:
    text: str
    day: datetime.date | None  # None: reads as a day, but not one of the month


def parse_day_header(value, month: datetime.date) -> DayHeader | None:
    """The day a column header names, None when the header is not a day at all (姓名, 出勤天数, …)."""
    month = month_start(month)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return DayHeader(value.isoformat(), value if month_start(value) == month else None)
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return _day_of(str(value), month.year, month.month, value, month) if 1 <= value <= 31 else None
    text = _text(value)
    if not text:
        return None
    # "10-01 周三", "1\n三", "2026-10-01 星期三": the weekday says nothing the date does not.
    bare = _WEEKDAY_SUFFIX.sub("", text).replace(" ", "") if not _DAY.match(text) else text
    if m := _FULL_DATE.match(bare):
        return _day_of(text, int(m[1]), int(m[2]), int(m[3]), month)
    if m := _MONTH_DAY.match(bare):
        return _day_of(text, month.year, int(m[1]), int(m[2]), month)
    if (m := _DAY.match(bare)) and 1 <= int(m[1]) <= 31:
        return _day_of(text, month.year, month.month, int(m[1]), month)
    return None


def _day_of(text: str, year: int, mon: int, day: int, month: datetime.date) -> DayHeader | None:
    if not (1 <= mon <= 12 and 1 <= day <= 31):
        return None
    try:
        date = datetime.date(year, mon, day)
    except ValueError:  # 9月31日, 2月30日: a day header, but of no real day of that month
        return DayHeader(text, None)
    return DayHeader(text, date if month_start(date) == month else None)


# ---------------------------------------------------------------- cell texts

_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SEPARATORS = re.compile(r"[\s\-~—–至/,，;；、|()（）\[\]【】:：+]+")

# Words each vendor writes in a day cell. Order inside a group does not matter; matching removes the
# longest words first, so 休息日 is not read as 休息 + a stray 日.
ABSENT_WORDS = ("旷工",)
MISSING_PUNCH_WORDS = ("未打卡", "缺卡", "漏卡")
LEAVE_WORDS = (
    "请假", "事假", "病假", "年假", "调休", "婚假", "产假", "陪产假", "产检假", "丧假", "探亲假", "育儿假",
    "护理假", "哺乳假", "休假",
)
BUSINESS_WORDS = ("外出", "出差", "公出")
PRESENT_WORDS = ("正常", "已打卡", "打卡")
REST_WORDS = ("休息日", "休息", "法定节假日", "节假日", "公休", "休")
# Words that qualify a punch but decide nothing by themselves ("迟到5分钟 09:05 17:35" is a day in post;
# lateness is not this system's business).
QUALIFIER_WORDS = (
    "上班", "下班", "迟到", "严重迟到", "早退", "补卡", "外勤", "审批通过", "全天", "上午", "下午", "分钟", "小时",
    "天", "次", "时", "分",
)
_ALL_WORDS = sorted(
    {*ABSENT_WORDS, *MISSING_PUNCH_WORDS, *LEAVE_WORDS, *BUSINESS_WORDS, *PRESENT_WORDS, *REST_WORDS,
     *QUALIFIER_WORDS},
    key=len,
    reverse=True,
)


class UnknownCellText(ValueError):
    pass


def suggest_status(value) -> Suggestion | None:
    """The register status a day cell suggests, None for no evidence (empty, rest day).

    Raises UnknownCellText for text this parser does not understand: guessing would put words in the
    township's mouth, so the row is reported instead."""
    if value is None:
        return None
    if isinstance(value, datetime.time | datetime.datetime):
        return Suggestion(DayStatus.PRESENT, False, f"{value:%H:%M}")
    text = _text(value)
    if not text:
        return None
    detail = text[:200]  # the cell as the vendor wrote it; the source is on the EvidenceDay
    has_times = bool(_TIME.search(text))
    rest = _SEPARATORS.sub("", _NUMBER.sub("", _TIME.sub("", text)))
    found = set()
    for word in _ALL_WORDS:
        if word in rest:
            found.add(word)
            rest = rest.replace(word, "")
    if rest:
        raise UnknownCellText(text)

    def has(words) -> bool:
        return any(w in found for w in words)

    if has(LEAVE_WORDS):  # a leave cell shows the hours of the leave, not punches
        return Suggestion(DayStatus.LEAVE, False, detail)
    if has(BUSINESS_WORDS):
        return Suggestion(DayStatus.BUSINESS, False, detail)
    doubt = has(MISSING_PUNCH_WORDS) or has(ABSENT_WORDS)
    if has_times or has(PRESENT_WORDS):
        # A punch proves the cadre was in the village that day; a missing second punch (or DingTalk's
        # "旷工迟到", late beyond its threshold) is flagged for the township, not held against them.
        note = ""
        if has(ABSENT_WORDS):
            note = _("(考勤系统记为旷工,但有打卡记录,请核实)")
        elif doubt:
            note = _("(打卡记录不全,请核实)")
        return Suggestion(DayStatus.PRESENT, doubt, detail + note)
    if has(ABSENT_WORDS):
        return Suggestion(DayStatus.ABSENT, True, detail + _("(考勤系统记为旷工,请核实后确认)"))
    if has(MISSING_PUNCH_WORDS):
        return Suggestion(DayStatus.ABSENT, True, detail + _("(缺少打卡记录,不等于缺勤,请核实后确认)"))
    if has(REST_WORDS):
        return None
    # Only qualifiers ("迟到", "3次"): nothing says where the cadre was.
    raise UnknownCellText(text)


# ---------------------------------------------------------------- the file


def _month_label(month: datetime.date) -> str:
    return _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _cell(row: tuple, index: int | None):
    if index is None or index >= len(row):
        return None
    return row[index]


def _read_sheets(file) -> list[tuple[str, list[tuple]]]:
    """Every sheet's first rows (up to the data-row cap plus the header area), as tuples of values."""
    import openpyxl

    if hasattr(file, "seek"):
        file.seek(0)
    workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        sheets = []
        for ws in workbook.worksheets:
            ws.reset_dimensions()  # some exporters write a wrong <dimension>; read what is really there
            rows = []
            for values in ws.iter_rows(min_row=1, values_only=True):
                rows.append(tuple(values))
                if len(rows) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS + 2:
                    break
            sheets.append((ws.title, rows))
        return sheets
    finally:
        workbook.close()


def _find_header(rows: list[tuple]) -> int | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any("姓名" in _text(v) and len(_text(v)) <= 8 for v in row):
            return index
    return None


def _day_columns(row: tuple, month: datetime.date) -> dict[int, DayHeader]:
    columns = {}
    for index, value in enumerate(row):
        header = parse_day_header(value, month)
        if header is not None:
            columns[index] = header
    return columns


def _is_weekday_row(row: tuple, day_cols: dict[int, DayHeader], name_col: int) -> bool:
    if _text(_cell(row, name_col)):
        return False
    texts = [_text(_cell(row, i)) for i in day_cols]
    texts = [t for t in texts if t]
    return bool(texts) and all(_WEEKDAY_LABEL.match(t.replace(" ", "")) for t in texts)


def _title_month_error(rows: list[tuple], header_index: int, month: datetime.date) -> RowError | None:
    """DingTalk titles its export "统计日期:2026-10-01 至 2026-10-31": with day headers "1".."31" that title is
    the only place the file says which month it is, so a file for the wrong month is caught here."""
    for index, row in enumerate(rows[:header_index]):
        for value in row:
            m = _TITLE_RANGE.search(_text(value))
            if not m:
                continue
            try:
                start = datetime.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                continue
            if month_start(start) != month:
                return RowError(
                    index + 1,
                    _("标题中的统计日期“%(text)s”不是所选的%(month)s,请核对月份或文件。")
                    % {"text": _text(value)[:60], "month": _month_label(month)},
                )
            return None
    return None


def parse_attendance_export(*, file, month: datetime.date, source: str) -> ParsedExport:
    """Read an export into rows of suggestions. Pure: no database. Every problem found is in `.errors`
    (Excel row numbers, Chinese reasons); the rows are only meaningful when there is none."""
    month = month_start(month)
    result = ParsedExport(month=month, source=source)
    try:
        sheets = _read_sheets(file)
    except Exception:  # whatever fails inside a foreign file, the user's remedy is the same
        result.errors.append(
            RowError(None, _("文件无法读取:请上传钉钉或企业微信导出的 .xlsx 文件(旧版 .xls 请先用 Excel 另存为 .xlsx)。"))
        )
        return result

    chosen = None
    header_without_days = None
    for title, rows in sheets:
        header_index = _find_header(rows)
        if header_index is None:
            continue
        day_cols = _day_columns(rows[header_index], month)
        day_header_index = header_index
        if not day_cols and header_index + 1 < len(rows):
            day_cols = _day_columns(rows[header_index + 1], month)
            day_header_index = header_index + 1
        if day_cols:
            chosen = (title, rows, header_index, day_header_index, day_cols)
            break
        header_without_days = header_without_days or (title, header_index)
    if chosen is None:
        if header_without_days is not None:
            title, header_index = header_without_days
            result.errors.append(RowError(header_index + 1, _(
                "找到表头,但没有按日期排列的列(如“1”“10-01”“2026-10-01”)。请导出钉钉“月度汇总”或企业微信“打卡月报”。"
            )))
        else:
            result.errors.append(RowError(None, _(
                "未找到表头:文件前%(n)s行中没有“姓名”列。请上传钉钉“月度汇总”或企业微信“打卡月报”导出的原始文件。"
            ) % {"n": HEADER_SEARCH_ROWS}))
        return result

    title, rows, header_index, day_header_index, day_cols = chosen
    result.sheet = title
    result.header_row = header_index + 1
    header = rows[header_index]
    name_col = next(i for i, v in enumerate(header) if "姓名" in _text(v) and len(_text(v)) <= 8)
    phone_col = None
    for wanted in PHONE_HEADERS:  # "手机号码(必填)" too; "手机" before a plain "电话" (which may be an office line)
        phone_col = next((i for i, v in enumerate(header) if _text(v).startswith(wanted)), None)
        if phone_col is not None:
            break
    result.has_phone = phone_col is not None

    if error := _title_month_error(rows, header_index, month):
        result.errors.append(error)

    # Day headers: those of another month (or of a day the month lacks) are errors, as are two columns of
    # one day. A whole file of another month gets one message, not thirty.
    in_month = {i: h for i, h in day_cols.items() if h.day is not None}
    outside = {i: h for i, h in day_cols.items() if h.day is None}
    if outside and not in_month:
        result.errors.append(RowError(day_header_index + 1, _(
            "表头的日期(%(first)s 等)都不在所选的%(month)s,请核对月份或文件。"
        ) % {"first": next(iter(outside.values())).text, "month": _month_label(month)}))
    else:
        for i, h in outside.items():
            result.errors.append(RowError(day_header_index + 1, _(
                "表头第%(col)s列“%(text)s”不是%(month)s的日期。"
            ) % {"col": _column_letter(i), "text": h.text, "month": _month_label(month)}))
    seen_days: dict[datetime.date, int] = {}
    for i, h in in_month.items():
        if h.day in seen_days:
            result.errors.append(RowError(day_header_index + 1, _(
                "表头第%(a)s列和第%(b)s列是同一天(%(day)s)。"
            ) % {"a": _column_letter(seen_days[h.day]), "b": _column_letter(i), "day": h.day.isoformat()}))
        else:
            seen_days[h.day] = i
    result.day_columns = len(seen_days)
    day_of_col = {i: day for day, i in seen_days.items()}

    data = rows[day_header_index + 1:]
    if len(data) > MAX_DATA_ROWS:
        result.errors.append(RowError(None, _("文件行数过多(超过%(n)s行),请只导出本乡镇驻村干部的考勤。")
                                      % {"n": MAX_DATA_ROWS}))
        return result
    for offset, row in enumerate(data):
        excel_row = day_header_index + 2 + offset
        if not any(_text(v) for v in row) or _is_weekday_row(row, day_cols, name_col):
            continue
        name = normalize_text(_text(_cell(row, name_col)))
        if not name:
            if any(_text(_cell(row, i)) for i in day_cols):
                result.errors.append(RowError(excel_row, _("缺少姓名。")))
            continue  # a subtotal or department line: nothing about a person
        parsed = ExportRow(row=excel_row, name=name, phone=normalize_phone(_text(_cell(row, phone_col))))
        unknown = []
        for i, day in day_of_col.items():
            try:
                suggestion = suggest_status(_cell(row, i))
            except UnknownCellText as exc:
                unknown.append(f"{day.month}月{day.day}日“{exc}”")
                continue
            if suggestion is not None:
                parsed.days[day] = suggestion
        if unknown:
            shown = "、".join(unknown[:MAX_CELL_ERRORS_PER_ROW])
            more = _("等%(n)s处") % {"n": len(unknown)} if len(unknown) > MAX_CELL_ERRORS_PER_ROW else ""
            result.errors.append(RowError(excel_row, _(
                "%(name)s 有无法识别的考勤内容:%(cells)s%(more)s,请改为正常、打卡时间、请假、外出、出差、旷工、缺卡、"
                "休息等。"
            ) % {"name": name, "cells": shown, "more": more}))
        result.rows.append(parsed)
    if not result.rows and not result.errors:
        result.errors.append(RowError(None, _("文件中没有人员数据行。")))
    return result


# ---------------------------------------------------------------- the import


def may_import_for(user, township: Region) -> bool:
    """The township's own officials keep its register; the organization department (or an admin) whose
    jurisdiction contains the township may import on its behalf."""
    if not user.is_authenticated or township.level != RegionLevel.TOWNSHIP:
        return False
    if user.role == Role.TOWNSHIP:
        return is_township_official(user) and user.region_id == township.pk
    if user.role in (Role.ORG_DEPT, Role.ADMIN):
        scope = scope_of(user)
        return scope.everything or (scope.region is not None and township.code.startswith(scope.prefix))
    return False


def _match_rows(
    parsed: ParsedExport, postings: list[Posting]
) -> tuple[list[tuple[ExportRow, Cadre, list[Posting]]], list[RowError]]:
    by_cadre: dict[int, tuple[Cadre, list[Posting]]] = {}
    for posting in postings:
        by_cadre.setdefault(posting.cadre_id, (posting.cadre, []))[1].append(posting)
    by_name: dict[str, list[tuple[Cadre, list[Posting]]]] = {}
    by_phone: dict[str, Cadre] = {}
    for cadre, cadre_postings in by_cadre.values():
        by_name.setdefault(name_key(cadre.name), []).append((cadre, cadre_postings))
        by_phone.setdefault(phone_key(cadre.phone), cadre)

    matched, errors = [], []
    first_row_of: dict[int, int] = {}
    for row in parsed.rows:
        candidates = by_name.get(name_key(row.name), [])
        if parsed.has_phone:
            if not phone_key(row.phone):
                errors.append(RowError(row.row, _("%(name)s 的手机号为空,无法核对身份。") % {"name": row.name}))
                continue
            hits = [c for c in candidates if phone_key(c[0].phone) == phone_key(row.phone)]
            if not hits:
                if not candidates:
                    other = by_phone.get(phone_key(row.phone))
                    if other is not None:
                        errors.append(RowError(row.row, _(
                            "姓名“%(name)s”与手机号对应的干部“%(other)s”不一致。"
                        ) % {"name": row.name, "other": other.name}))
                    else:
                        errors.append(RowError(row.row, _(
                            "“%(name)s”不是本乡镇%(month)s在岗的驻村干部(姓名不符或未派驻本乡镇);"
                            "如不是驻村干部,请从文件中删除此行。"
                        ) % {"name": row.name, "month": _month_label(parsed.month)}))
                else:
                    errors.append(RowError(row.row, _(
                        "%(name)s 的手机号“%(phone)s”与系统登记的不一致。"
                    ) % {"name": row.name, "phone": row.phone}))
                continue
        else:
            if not candidates:
                errors.append(RowError(row.row, _(
                    "“%(name)s”不是本乡镇%(month)s在岗的驻村干部(姓名不符或未派驻本乡镇);"
                    "如不是驻村干部,请从文件中删除此行。"
                ) % {"name": row.name, "month": _month_label(parsed.month)}))
                continue
            if len(candidates) > 1:
                errors.append(RowError(row.row, _(
                    "本乡镇有%(n)s名驻村干部叫“%(name)s”,文件中没有手机号列,无法区分;请导出包含手机号的文件。"
                ) % {"n": len(candidates), "name": row.name}))
                continue
            hits = candidates
        cadre, cadre_postings = hits[0]
        if cadre.pk in first_row_of:
            errors.append(RowError(row.row, _("%(name)s 与第%(first)s行是同一人,重复出现。")
                                   % {"name": row.name, "first": first_row_of[cadre.pk]}))
            continue
        first_row_of[cadre.pk] = row.row
        matched.append((row, cadre, cadre_postings))
    return matched, errors


@transaction.atomic
def import_attendance_export(
    *,
    actor,
    township: Region,
    month: datetime.date,
    source: str,
    file,
    file_name: str,
    ip: str | None = None,
) -> ImportBatch:
    """Import one month's export for one township as evidence. Raises one ValidationError listing every
    problem (and writes nothing) unless the whole file is good. Re-importing replaces the previous evidence
    of the same source for the cadres in the file, so importing twice never doubles anything."""
    from ..selectors import postings_in_township_month  # selectors import services; keep the cycle lazy

    month = month_start(month)
    if not may_import_for(actor, township):
        raise ValidationError(_("您不能为%(town)s导入考勤。") % {"town": township.name})
    if source not in IMPORT_SOURCES:
        raise ValidationError(_("请选择导出文件的来源:钉钉或企业微信。"))
    if month > month_start(timezone.localdate()):
        raise ValidationError(_("%(month)s 尚未开始,不能导入。") % {"month": _month_label(month)})
    if is_month_confirmed(township=township, month=month):
        raise ValidationError(_(
            "%(town)s %(month)s 的考勤已确认锁定,不能再导入;如需更正请提交更正申请。"
        ) % {"town": township.name, "month": _month_label(month)})

    parsed = parse_attendance_export(file=file, month=month, source=source)
    errors = list(parsed.errors)
    matched: list[tuple[ExportRow, Cadre, list[Posting]]] = []
    if parsed.rows:
        postings = list(postings_in_township_month(township=township, month=month))
        matched, match_errors = _match_rows(parsed, postings)
        errors += match_errors
    if errors:
        ordered = sorted(enumerate(errors), key=lambda e: (e[1].row or 0, e[0]))
        raise ValidationError([str(e) for _i, e in ordered])

    cadre_ids = sorted(cadre.pk for _row, cadre, _p in matched)
    # Two imports of the same township at once would both delete and then both insert: serialise per cadre
    # (in pk order, as register_write does, so neither deadlocks).
    list(Cadre.objects.select_for_update().filter(pk__in=cadre_ids).order_by("pk").values_list("pk", flat=True))
    EvidenceDay.objects.filter(
        cadre_id__in=cadre_ids, source=source, day__gte=month, day__lt=next_month(month)
    ).delete()
    batch = ImportBatch.objects.create(
        source=source, township=township, month=month, file_name=(file_name or "")[-200:], rows=len(matched),
        imported_by=actor,
    )
    evidence, outside_posting = [], 0
    for row, cadre, cadre_postings in matched:
        for day, suggestion in sorted(row.days.items()):
            # Days before the posting started or after it ended are not this township's to confirm.
            if not any(p.is_in_force_on(day) for p in cadre_postings):
                outside_posting += 1
                continue
            evidence.append(EvidenceDay(
                cadre_id=cadre.pk, day=day, source=source, status=suggestion.status, flagged=suggestion.flagged,
                detail=suggestion.detail, batch=batch,
            ))
    EvidenceDay.objects.bulk_create(evidence, batch_size=1000)
    audit_record(
        actor=actor, action="register.import", obj=batch, region_code=township.code, ip=ip,
        detail={
            "month": month.isoformat(), "source": source, "file_name": batch.file_name, "people": len(matched),
            "days": len(evidence), "flagged": sum(1 for e in evidence if e.flagged),
            "outside_posting": outside_posting,
        },
    )
    return batch
