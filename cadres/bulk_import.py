"""Bulk import of villages, dispatching units, cadres and postings from Excel, for organization departments.

A file is all-or-nothing. Its rows are applied in order inside one transaction, each through the service a form
uses (village_save, unit_save, cadre_save, posting_save) in a savepoint of its own, so every rule (ID checksum,
a village code under its township, one posting in force per cadre, ...) is the service's, written once, and a
later row sees the earlier ones: two overlapping postings in one file clash exactly like a posting that clashes
with the database. Every bad row is collected with its Excel row number and reason; when there is any, or on a
dry run, the transaction is rolled back and nothing is written (audit entries included).

Re-importing a file changes nothing: rows are matched (villages by code, units by name, cadres by ID number,
postings by cadre, village, round and start date) and a row equal to what is stored is counted as unchanged and
not saved. An empty optional cell means "keep what is stored" (or the default for a new record).

How a sheet is read: the first worksheet; the header row is the first of the first ten rows holding every
required column label; columns are found by label, in any order (a few common aliases are accepted, extra
columns are ignored); blank rows and the template's example row (序号 “示例”) are skipped. Full-width digits and
letters and stray spaces are normalised (villages.text) before anything is compared.

Scope: an organization department imports only inside its jurisdiction (villages whose township is in it,
units of regions in it, cadres of units it sees, postings into its villages). The command line without
--user acts as the system, with no limit.
"""
from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villages.models import DispatchingUnit, Region, RegionLevel, Village, VillageCategory
from villages.text import normalize_digits, normalize_text

from .audit import audit_record
from .jurisdiction import can_manage, scope_of
from .models import (
    Cadre,
    DispatchRound,
    Education,
    Gender,
    PoliticalStatus,
    Posting,
    PostingRole,
    PostingStatus,
    Rank,
)
from .validators import normalize_id_number, normalize_phone, validate_id_number, validate_phone

HEADER_SEARCH_ROWS = 10
MAX_DATA_ROWS = 5000  # a county has a few hundred villages and cadres; bigger files are split
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SEQ = "seq"
EXAMPLE_MARK = "示例"


class ImportKind(models.TextChoices):
    VILLAGES = "villages", gettext_lazy("村(社区)")
    UNITS = "units", gettext_lazy("派驻单位")
    CADRES = "cadres", gettext_lazy("驻村干部")
    POSTINGS = "postings", gettext_lazy("派驻记录")


class Outcome(models.TextChoices):
    CREATED = "created", gettext_lazy("新增")
    UPDATED = "updated", gettext_lazy("更新")
    UNCHANGED = "unchanged", gettext_lazy("无变化")


def may_import(user) -> bool:
    """Organization departments and admins (the roles that maintain these records); everyone else 403."""
    return user is not None and user.is_authenticated and can_manage(user)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """The problems of one row; `row` is the Excel row number (None: the file as a whole)."""

    row: int | None
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return ";".join(self.reasons)

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        return _("第%(row)d行:%(reason)s") % {"row": self.row, "reason": self.reason}


@dataclass(frozen=True)
class RowAction:
    row: int
    outcome: str  # Outcome
    label: str  # what the row is about, e.g. "杨家坪村(369901001201)"


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: int = 0
    actions: list[RowAction] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run

    def count(self, outcome: str) -> int:
        return sum(1 for a in self.actions if a.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count(Outcome.CREATED)

    @property
    def updated(self) -> int:
        return self.count(Outcome.UPDATED)

    @property
    def unchanged(self) -> int:
        return self.count(Outcome.UNCHANGED)

    @property
    def error_rows(self) -> list[int]:
        return [e.row for e in self.errors if e.row is not None]


class CellError(Exception):
    """A cell that cannot be read (bad date, unknown choice...). The message names the problem, not the cell."""


# ---------------------------------------------------------------- columns and cell readers


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value))


def read_text(value) -> str:
    return _text(value)


def read_digits(value) -> str:
    """Codes typed as numbers are fine up to 15 digits (a 12-digit village code survives Excel)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_digits(str(value)).upper() if value is not None else ""


def read_id_number(value) -> str:
    if isinstance(value, int | float):
        # Excel keeps 15 significant digits: an 18-digit ID stored as a number has already lost its tail.
        raise CellError(_("身份证号码被Excel存成了数字,后几位可能已丢失;请把该列设为“文本”格式后重新填写。"))
    return normalize_id_number(str(value))


def read_valid_id_number(value) -> str:
    """An ID number that must be valid to look a cadre up (postings): the checksum rule of cadres.validators."""
    number = read_id_number(value)
    try:
        validate_id_number(number)
    except ValidationError as exc:
        raise CellError(exc.messages[0]) from exc
    return number


DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def read_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        if 1 <= value < 2958466:  # an Excel serial date in a cell formatted as a number
            return from_excel(value).date()
    text = normalize_digits(str(value))
    # An Excel datetime typed as text: "2026-03-01 00:00:00".
    text = re.sub(r"(?:T|\s)0{1,2}:0{2}(?::0{2})?$", "", text)
    for pattern in DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return datetime.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError as exc:
                raise CellError(_("日期“%(value)s”不存在。") % {"value": value}) from exc
    raise CellError(_("日期“%(value)s”无法识别,请按 2026-03-01 的格式填写。") % {"value": value})


def read_int(value) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = normalize_digits(str(value)).replace(",", "")
    if not re.fullmatch(r"\d+", text):
        raise CellError(_("“%(value)s”不是整数。") % {"value": value})
    return int(text)


def read_decimal(value) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    try:
        return Decimal(normalize_digits(str(value)).replace(",", ""))
    except InvalidOperation as exc:
        raise CellError(_("“%(value)s”不是数字。") % {"value": value}) from exc


def _choice_key(text: str) -> str:
    return normalize_text(text).replace(" ", "")


def choice_reader(choices, aliases: dict[str, str] | None = None) -> Callable:
    """Read a choice by its label (as shown on the forms) or an alias; the error lists what is accepted."""

    def read(value):
        key = _choice_key(_text(value))
        table = {_choice_key(str(label)): val for val, label in choices}
        table.update({_choice_key(k): v for k, v in (aliases or {}).items()})
        if key in table:
            return table[key]
        raise CellError(
            _("“%(value)s”不是可选值,可填:%(choices)s。")
            % {"value": _text(value), "choices": "、".join(str(label) for _v, label in choices)}
        )

    return read


YES_NO = {"是": True, "否": False, "Y": True, "N": False, "1": True, "0": False, "TRUE": True, "FALSE": False}


def read_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    key = _choice_key(_text(value)).upper()
    if key in YES_NO:
        return YES_NO[key]
    raise CellError(_("请填“是”或“否”。"))


@dataclass(frozen=True)
class Col:
    key: str
    # The header text. A file format, not page text: the same in every language, so a file made by one
    # user reads for every other; the template writes exactly this.
    label: str
    required: bool
    help: str
    example: object
    read: Callable = read_text
    aliases: tuple[str, ...] = ()
    width: float = 14
    number_format: str | None = None


SEQ_COL = Col(SEQ, "序号", False, gettext_lazy("可不填。模板中序号为“示例”的一行是示例,导入时自动跳过。"), EXAMPLE_MARK,
              width=6)


def _header_key(text) -> str:
    return _choice_key(_text(text)).replace("*", "")


# ---------------------------------------------------------------- reading the sheet


def read_rows(file) -> list[tuple]:
    """The first worksheet's rows as value tuples (at most the row cap plus the header area)."""
    import openpyxl

    if hasattr(file, "seek"):
        file.seek(0)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - zip, XML and format errors all mean "not a readable .xlsx"
        raise ValidationError(_("无法读取该文件:请上传 Excel 的 .xlsx 文件(不支持 .xls、.csv)。")) from exc
    try:
        ws = workbook.worksheets[0]
        ws.reset_dimensions()  # some programs write a wrong <dimension>; read what is really there
        rows = []
        for values in ws.iter_rows(min_row=1, values_only=True):
            rows.append(tuple(values))
            if len(rows) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS + 5:
                break
        return rows
    finally:
        workbook.close()


def find_header(rows: list[tuple], columns: list[Col]) -> tuple[int | None, dict[str, int]]:
    """(index of the header row, column key → cell index); the header is the first row with every required
    column. None when no row has them all."""
    wanted = {}
    for col in columns:
        for name in (col.label, *col.aliases):
            wanted.setdefault(_header_key(name), col.key)
    required = {c.key for c in columns if c.required}
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for position, value in enumerate(row):
            key = wanted.get(_header_key(value))
            if key is not None and key not in found:
                found[key] = position
        if required <= found.keys():
            return index, found
    return None, {}


# ---------------------------------------------------------------- importers


class Importer:
    """One kind of record: its columns, how a row is matched and applied. Subclasses define `columns`,
    `field_columns` (model field → column label, to name the column in a service's error), `key` and `apply`."""

    kind: str
    title: str
    columns: list[Col]
    field_columns: dict[str, str] = {}
    notes: tuple = ()

    def __init__(self, *, actor, ip: str | None = None):
        self.actor = actor
        self.ip = ip
        self._cache: dict = {}

    # Scoped querysets: the actor's jurisdiction, or everything for the system (actor None).
    def villages(self):
        from villages.selectors import village_list

        return Village.objects.all() if self.actor is None else village_list(user=self.actor)

    def regions(self):
        from villages.selectors import region_list

        return Region.objects.all() if self.actor is None else region_list(user=self.actor)

    def units(self):
        from villages.selectors import unit_list

        return DispatchingUnit.objects.all() if self.actor is None else unit_list(user=self.actor)

    def cadres(self):
        from .selectors import cadre_list

        return Cadre.objects.all() if self.actor is None else cadre_list(user=self.actor)

    def rounds(self):
        from .selectors import round_list

        return DispatchRound.objects.select_related("region") if self.actor is None else round_list(user=self.actor)

    def unit_by_name(self, name: str) -> DispatchingUnit | None:
        """Units in scope by normalised name (names are compared as a form would have saved them)."""
        if "units" not in self._cache:
            self._cache["units"] = {normalize_text(u.name): u for u in self.units().select_related("region")}
        return self._cache["units"].get(normalize_text(name))

    def unit_not_found(self, name: str) -> ValidationError:
        return ValidationError(_("未找到派驻单位“%(name)s”(或不在您的管辖范围内);请先导入派驻单位。") % {"name": name})

    def key(self, values: dict):
        raise NotImplementedError

    def duplicate_message(self, first_row: int) -> str:
        raise NotImplementedError

    def apply(self, values: dict) -> tuple[str, str]:
        """Create, update or leave the record; returns (Outcome, label). Raises ValidationError."""
        raise NotImplementedError

    def parse(self, raw: dict) -> tuple[dict, list[str]]:
        values, problems = {}, []
        for col in self.columns:
            if col.key == SEQ or col.key not in raw:
                continue
            cell = raw[col.key]
            if _text(cell) == "":
                if col.required:
                    problems.append(_("“%(column)s”不能为空。") % {"column": col.label})
                continue
            try:
                values[col.key] = col.read(cell)
            except CellError as exc:
                message = str(exc.args[0])
                if col.label not in message:
                    message = _("%(column)s:%(message)s") % {"column": col.label, "message": message}
                problems.append(message)
        return values, problems

    def messages(self, exc: ValidationError) -> list[str]:
        """A service's errors, each prefixed with its column unless the message already names it."""
        result = []
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
        for name, messages in items:
            column = self.field_columns.get(name) if name else None
            for message in messages:
                if column and column not in message:
                    message = _("%(column)s:%(message)s") % {"column": column, "message": message}
                result.append(str(message))
        return result

    @staticmethod
    def changed(obj, values: dict) -> bool:
        return any(getattr(obj, name) != value for name, value in values.items())


class VillageImporter(Importer):
    kind = ImportKind.VILLAGES
    title = gettext_lazy("村(社区)导入模板")
    notes = (
        gettext_lazy("所属乡镇(街道)由区划代码的前9位确定,须已在系统中登记且在您的管辖范围内。"),
        gettext_lazy("按区划代码更新:代码已存在的村更新名称等信息,不存在的新增。"),
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        categories = list(VillageCategory.objects.all())
        self.categories = {normalize_text(c.name): c for c in categories}
        category_help = _("可不填。多个分类用顿号(、)或逗号分隔。可填:%(names)s。") % {
            "names": "、".join(c.name for c in categories)}
        self.columns = [
            SEQ_COL,
            Col("code", "区划代码", True, gettext_lazy("村(社区)的12位统计用区划代码。"), "369901001201",
                read=read_digits, aliases=("村代码", "村区划代码", "统计用区划代码"), width=16),
            Col("name", "村(社区)名称", True, gettext_lazy("如:杨家坪村。"), "杨家坪村", aliases=("村名称", "村名", "名称"),
                width=14),
            Col("categories", "村分类", False, category_help, "脱贫村、软弱涣散村", read=self.read_categories, width=22),
            Col("population", "户籍人口", False, gettext_lazy("可不填。整数。"), 1860, read=read_int, width=9),
            Col("households", "户数", False, gettext_lazy("可不填。整数。"), 512, read=read_int, width=8),
            Col("latitude", "纬度", False, gettext_lazy("可不填。如 27.123456。"), "27.123456", read=read_decimal, width=11),
            Col("longitude", "经度", False, gettext_lazy("可不填。如 114.123456。"), "114.123456", read=read_decimal,
                width=11),
            Col("note", "备注", False, gettext_lazy("可不填。"), "", width=20),
        ]
        self.field_columns = {"code": "区划代码", "township": "区划代码", "name": "村(社区)名称",
                              "population": "户籍人口", "households": "户数", "latitude": "纬度", "longitude": "经度",
                              "note": "备注"}

    def read_categories(self, value) -> list[VillageCategory]:
        names = [n for n in re.split(r"[、,,;;/]+", _text(value)) if n.strip()]
        unknown = [n.strip() for n in names if normalize_text(n) not in self.categories]
        if unknown:
            raise CellError(_("没有“%(names)s”这个分类。") % {"names": "、".join(unknown)})
        return sorted({self.categories[normalize_text(n)] for n in names}, key=lambda c: c.pk)

    def key(self, values):
        return values.get("code")

    def duplicate_message(self, first_row):
        return _("区划代码与第%(row)d行重复。") % {"row": first_row}

    def apply(self, values):
        from villages.services import village_save
        from villages.validators import validate_division_code

        code = values["code"]
        try:
            validate_division_code(code)
        except ValidationError as exc:
            raise ValidationError({"code": exc.messages}) from exc
        township_code = code[:9] + "000"
        township = self.regions().filter(code=township_code, level=RegionLevel.TOWNSHIP).first()
        if township is None:
            raise ValidationError({"code": _(
                "区划代码%(code)s所属的乡镇(街道)(代码%(township)s)未登记或不在您的管辖范围内。"
            ) % {"code": code, "township": township_code}})
        village = Village.objects.filter(code=code).first()
        categories = values.pop("categories", None)
        fields = {k: v for k, v in values.items() if k != "code"}
        created = village is None
        if created:
            village = Village(code=code, township=township, **fields)
        else:
            same_categories = categories is None or {c.pk for c in categories} == set(
                village.categories.values_list("pk", flat=True))
            if not self.changed(village, fields) and same_categories:
                return Outcome.UNCHANGED, self.label(village)
            for name, value in fields.items():
                setattr(village, name, value)
        village_save(actor=self.actor, village=village, categories=categories, ip=self.ip)
        return (Outcome.CREATED if created else Outcome.UPDATED), self.label(village)

    @staticmethod
    def label(village) -> str:
        return f"{village.name}({village.code})"


UNIT_LEVEL_ALIASES = {
    "省级": RegionLevel.PROVINCE, "市级": RegionLevel.CITY, "县": RegionLevel.COUNTY, "区": RegionLevel.COUNTY,
    "县区": RegionLevel.COUNTY, "县级": RegionLevel.COUNTY, "县(区)级": RegionLevel.COUNTY,
    "乡镇": RegionLevel.TOWNSHIP, "街道": RegionLevel.TOWNSHIP, "乡镇级": RegionLevel.TOWNSHIP,
}


class UnitImporter(Importer):
    kind = ImportKind.UNITS
    title = gettext_lazy("派驻单位导入模板")
    notes = (
        gettext_lazy("按单位名称更新:名称已存在的单位更新层级、区划和联系人,不存在的新增。"),
        gettext_lazy("所属区划须已在系统中登记且在您的管辖范围内;单位层级须与所属区划的级别一致(如县直单位填本县代码)。"),
    )
    columns = [
        SEQ_COL,
        Col("name", "单位名称", True, gettext_lazy("单位全称,如:云溪县农业农村局。"), "云溪县农业农村局",
            aliases=("派驻单位", "单位"), width=24),
        Col("level", "单位层级", True, gettext_lazy("可填:省、市、县(区)、乡镇(街道)。"), "县(区)",
            read=choice_reader(RegionLevel.choices, UNIT_LEVEL_ALIASES), aliases=("层级",), width=10),
        Col("region_code", "所属区划代码", True, gettext_lazy("单位所属同级区划的12位代码,如县直单位填本县代码。"),
            "369901000000", read=read_digits, aliases=("区划代码",), width=16),
        Col("contact_name", "联系人", False, gettext_lazy("可不填。"), "王明", width=10),
        Col("contact_phone", "联系电话", False, gettext_lazy("可不填。手机号或固定电话(如 0791-12345678)。"), "13800000000",
            read=lambda v: normalize_phone(read_digits(v)), width=15),
    ]
    field_columns = {"name": "单位名称", "level": "单位层级", "region": "所属区划代码", "contact_name": "联系人",
                     "contact_phone": "联系电话"}

    def key(self, values):
        return values.get("name")

    def duplicate_message(self, first_row):
        return _("单位名称与第%(row)d行重复。") % {"row": first_row}

    def apply(self, values):
        from villages.services import unit_save

        name = values["name"]
        region = self.regions().filter(code=values["region_code"]).first()
        if region is None:
            raise ValidationError({"region": _("区划代码%(code)s未登记或不在您的管辖范围内。") % {
                "code": values["region_code"]}})
        phone = values.get("contact_phone")
        if phone:
            try:
                validate_phone(phone)
            except ValidationError as exc:
                raise ValidationError({"contact_phone": exc.messages}) from exc
        unit = self._unit_any_scope(name)
        if unit is not None and self.unit_by_name(name) is None:
            raise ValidationError({"name": _("已有同名派驻单位属于其他地区,不能在此导入或修改。")})
        fields = {"name": name, "level": values["level"], "region": region}
        fields.update({k: values[k] for k in ("contact_name", "contact_phone") if k in values})
        created = unit is None
        if created:
            unit = DispatchingUnit(**fields)
        else:
            if not self.changed(unit, fields):
                return Outcome.UNCHANGED, unit.name
            for key, value in fields.items():
                setattr(unit, key, value)
        unit_save(actor=self.actor, unit=unit, ip=self.ip)
        # Later rows must see this unit (a duplicate name is caught earlier, by the row key).
        self._cache.pop("units", None)
        self._cache.pop("all_units", None)
        return (Outcome.CREATED if created else Outcome.UPDATED), unit.name

    def _unit_any_scope(self, name: str) -> DispatchingUnit | None:
        """A unit of any jurisdiction with this name once normalised (names are unique across the system)."""
        if "all_units" not in self._cache:
            self._cache["all_units"] = {normalize_text(u.name): u for u in DispatchingUnit.objects.all()}
        return self._cache["all_units"].get(normalize_text(name))


class CadreImporter(Importer):
    kind = ImportKind.CADRES
    title = gettext_lazy("驻村干部导入模板")
    notes = (
        gettext_lazy("按身份证号码更新:号码已登记的干部更新其余信息,未登记的新增。"),
        gettext_lazy("身份证号码一列请设为“文本”格式,否则Excel会把18位号码的后几位变成0。"),
        gettext_lazy("性别和出生日期可不填,按身份证号码自动填写;填写的须与身份证号码一致。"),
    )
    columns = [
        SEQ_COL,
        Col("name", "姓名", True, gettext_lazy("如:王芳。"), "王芳", width=9),
        Col("id_number", "身份证号码", True, gettext_lazy("18位居民身份证号码,末位可为X;校验位须正确。"),
            "11010519491231002X", read=read_id_number, aliases=("身份证号", "公民身份号码"), width=21),
        Col("gender", "性别", False, gettext_lazy("可不填(按身份证号码)。可填:男、女。"), "女",
            read=choice_reader(Gender.choices), width=6),
        Col("birth_date", "出生日期", False, gettext_lazy("可不填(按身份证号码)。如 1949-12-31。"),
            datetime.date(1949, 12, 31), read=read_date, width=12, number_format="yyyy-mm-dd"),
        Col("ethnicity", "民族", False, gettext_lazy("可不填,新增时默认为汉族。"), "汉族", width=8),
        Col("phone", "手机号码", True, gettext_lazy("11位手机号,或固定电话(如 0791-12345678)。"), "13800000000",
            read=lambda v: normalize_phone(read_digits(v)), aliases=("手机号", "手机", "联系电话"), width=14),
        Col("political_status", "政治面貌", False,
            gettext_lazy("可不填,新增时默认为中共党员。可填:中共党员、中共预备党员、共青团员、民主党派、群众。"), "中共党员",
            read=choice_reader(PoliticalStatus.choices, {"党员": PoliticalStatus.CPC_MEMBER,
                                                         "预备党员": PoliticalStatus.CPC_PROBATIONARY}), width=10),
        Col("education", "学历", False,
            gettext_lazy("可不填,新增时默认为大学本科。可填:研究生、大学本科、大学专科、中专及高中、其他。"), "大学本科",
            read=choice_reader(Education.choices, {"本科": Education.BACHELOR, "专科": Education.COLLEGE,
                                                   "大专": Education.COLLEGE, "硕士": Education.POSTGRADUATE,
                                                   "博士": Education.POSTGRADUATE}), width=10),
        Col("unit", "原单位", True, gettext_lazy("干部所在单位的全称,须已登记为派驻单位且在您的管辖范围内。"), "云溪县农业农村局",
            aliases=("所在单位", "工作单位", "派出单位"), width=22),
        Col("original_post", "原职务", False, gettext_lazy("可不填。"), "办公室副主任", width=14),
        Col("rank", "职级", False,
            gettext_lazy("可不填,新增时默认为科员。可填:县处级正职、县处级副职、乡科级正职、乡科级副职、科员、办事员、事业单位或国企人员。"),
            "乡科级副职", read=choice_reader(Rank.choices), width=12),
        Col("is_reserve_cadre", "后备干部", False, gettext_lazy("可不填,默认为否。填“是”或“否”。"), "否",
            read=read_bool, width=8),
    ]
    field_columns = {"name": "姓名", "id_number": "身份证号码", "gender": "性别", "birth_date": "出生日期",
                     "ethnicity": "民族", "phone": "手机号码", "political_status": "政治面貌", "education": "学历",
                     "unit": "原单位", "original_post": "原职务", "rank": "职级", "is_reserve_cadre": "后备干部"}

    def key(self, values):
        return values.get("id_number")

    def duplicate_message(self, first_row):
        return _("身份证号码与第%(row)d行重复。") % {"row": first_row}

    def apply(self, values):
        from .services import cadre_save

        unit = self.unit_by_name(values["unit"])
        if unit is None:
            raise ValidationError({"unit": self.unit_not_found(values["unit"]).messages})
        fields = {**values, "unit": unit}
        cadre = Cadre.objects.filter(id_number=values["id_number"]).first()
        created = cadre is None
        if created:
            cadre = Cadre(**fields)
        else:
            if not self.cadres().filter(pk=cadre.pk).exists():
                raise ValidationError({"id_number": _(
                    "该身份证号码已由其他地区登记为驻村干部,请联系该干部所在地的组织部。")})
            if not self.changed(cadre, fields):
                return Outcome.UNCHANGED, cadre.name
            for key, value in fields.items():
                setattr(cadre, key, value)
        cadre_save(actor=self.actor, cadre=cadre, ip=self.ip)
        if not self.cadres().filter(pk=cadre.pk).exists():
            # E.g. a county registering an unposted cadre of a city unit: the cadre would vanish from its view.
            # The savepoint of this row is rolled back.
            raise ValidationError({"unit": _(
                "该干部的原单位不属于您的辖区,且干部尚未派驻到您辖区的村:导入后您将无法查看该干部,请由原单位所在地的组织部导入。"
            )})
        return (Outcome.CREATED if created else Outcome.UPDATED), cadre.name


class PostingImporter(Importer):
    kind = ImportKind.POSTINGS
    title = gettext_lazy("派驻记录导入模板")
    notes = (
        gettext_lazy("按“身份证号码 + 村区划代码 + 轮次 + 到岗日期”更新:已有的派驻记录更新职务、单位、离岗日期和状态,没有的新增。"),
        gettext_lazy("干部、村、轮次须已在系统中登记;同一干部同一天只能有一个在岗派驻(与系统中已有的和本文件中其他行的派驻都不能重叠)。"),
        gettext_lazy("替补关系请在系统中逐条设置。"),
    )
    columns = [
        SEQ_COL,
        Col("id_number", "身份证号码", True, gettext_lazy("干部的18位身份证号码,干部须已登记。"), "11010519491231002X",
            read=read_valid_id_number, aliases=("身份证号", "公民身份号码"), width=21),
        Col("name", "姓名", False, gettext_lazy("可不填;填写的须与该身份证号码登记的姓名一致,用于核对。"), "王芳", width=9),
        Col("village_code", "村区划代码", True, gettext_lazy("派驻村的12位区划代码,须在您的管辖范围内。"), "369901001201",
            read=read_digits, aliases=("区划代码", "村代码"), width=16),
        Col("round", "轮次", True, gettext_lazy("轮次名称,与系统中登记的一致,如:第二轮。"), "第二轮",
            aliases=("轮次名称", "批次"), width=10),
        Col("role", "职务", True, gettext_lazy("可填:第一书记、工作队长、工作队员。"), "第一书记",
            read=choice_reader(PostingRole.choices, {"队长": PostingRole.TEAM_LEADER, "队员": PostingRole.MEMBER}),
            aliases=("驻村职务",), width=10),
        Col("unit", "派驻单位", False, gettext_lazy("可不填,默认为干部的原单位。"), "云溪县农业农村局", aliases=("选派单位",),
            width=22),
        Col("start_date", "到岗日期", True, gettext_lazy("如 2025-03-01,须在轮次起止日期之内。"),
            datetime.date(2025, 3, 1), read=read_date, width=12, number_format="yyyy-mm-dd"),
        Col("end_date", "离岗日期", False, gettext_lazy("在岗的不填。"), None, read=read_date, width=12,
            number_format="yyyy-mm-dd"),
        Col("status", "状态", False, gettext_lazy("可不填,新增时默认为在岗。可填:在岗、已召回、已轮换、期满、已调整;非在岗须填离岗日期。"),
            "在岗", read=choice_reader(PostingStatus.choices), width=8),
    ]
    field_columns = {"cadre": "身份证号码", "name": "姓名", "village": "村区划代码", "round": "轮次", "role": "职务", "unit": "派驻单位",
                     "start_date": "到岗日期", "end_date": "离岗日期", "status": "状态"}

    def key(self, values):
        if not {"id_number", "village_code", "round", "start_date"} <= values.keys():
            return None
        return (values["id_number"], values["village_code"], normalize_text(values["round"]), values["start_date"])

    def duplicate_message(self, first_row):
        return _("与第%(row)d行是同一条派驻记录(身份证号码、村、轮次、到岗日期相同)。") % {"row": first_row}

    def find_round(self, name: str, village: Village) -> DispatchRound:
        if "rounds" not in self._cache:
            self._cache["rounds"] = list(self.rounds())
        candidates = [r for r in self._cache["rounds"] if normalize_text(r.name) == normalize_text(name)]
        fitting = [r for r in candidates if r.region.contains_code(village.code)]
        if len(fitting) == 1:
            return fitting[0]
        if not candidates:
            raise ValidationError({"round": _("未找到轮次“%(name)s”。") % {"name": name}})
        if not fitting:
            raise ValidationError({"round": _("轮次“%(name)s”不包括该村所在的区划。") % {"name": name}})
        raise ValidationError({"round": _("有多个名为“%(name)s”的轮次(%(regions)s),无法确定。") % {
            "name": name, "regions": "、".join(str(r.region) for r in fitting)}})

    def apply(self, values):
        from .services import posting_save

        errors: dict[str, list[str]] = {}
        cadre = self.cadres().filter(id_number=values["id_number"]).first()
        if cadre is None:
            errors["cadre"] = [_("未找到身份证号码为%(id)s的干部(或不在您的管辖范围内);请先导入干部。") % {
                "id": values["id_number"]}]
        elif values.get("name") and normalize_text(values["name"]) != normalize_text(cadre.name):
            errors["name"] = [_("姓名“%(name)s”与该身份证号码登记的姓名“%(registered)s”不一致。") % {
                "name": values["name"], "registered": cadre.name}]
        village = self.villages().filter(code=values["village_code"]).first()
        if village is None:
            errors["village"] = [_("未找到区划代码为%(code)s的村(或不在您的管辖范围内)。") % {"code": values["village_code"]}]
        unit = None
        if values.get("unit"):
            unit = self.unit_by_name(values["unit"])
            if unit is None:
                errors["unit"] = self.unit_not_found(values["unit"]).messages
        if errors:
            raise ValidationError(errors)
        rnd = self.find_round(values["round"], village)
        posting = Posting.objects.filter(
            cadre=cadre, village=village, round=rnd, start_date=values["start_date"]).first()
        fields = {"role": values["role"]}
        for key in ("end_date", "status"):
            if key in values:
                fields[key] = values[key]
        if unit is not None:
            fields["unit"] = unit
        created = posting is None
        label = f"{cadre.name} → {village.name}({rnd.name})"
        if created:
            posting = Posting(cadre=cadre, village=village, round=rnd, start_date=values["start_date"], **fields)
        else:
            if not self.changed(posting, fields):
                return Outcome.UNCHANGED, label
            for key, value in fields.items():
                setattr(posting, key, value)
        posting_save(actor=self.actor, posting=posting, ip=self.ip)
        return (Outcome.CREATED if created else Outcome.UPDATED), label


IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.VILLAGES: VillageImporter,
    ImportKind.UNITS: UnitImporter,
    ImportKind.CADRES: CadreImporter,
    ImportKind.POSTINGS: PostingImporter,
}


def importer_for(kind: str, *, actor=None, ip: str | None = None) -> Importer:
    if kind not in IMPORTERS:
        raise ValueError(f"unknown import kind: {kind}")
    return IMPORTERS[kind](actor=actor, ip=ip)


# ---------------------------------------------------------------- the import


def import_file(*, actor, kind: str, file, dry_run: bool = False, file_name: str = "",
                ip: str | None = None) -> ImportResult:
    """Validate every row of `file` and, when all are good and this is not a dry run, write them in one
    transaction. `actor` None is the system (command line without --user): no jurisdiction limit."""
    if actor is not None and not may_import(actor):
        raise PermissionDenied(_("批量导入由组织部办理。"))
    importer = importer_for(kind, actor=actor, ip=ip)
    result = ImportResult(kind=kind, dry_run=dry_run)
    try:
        rows = read_rows(file)
    except ValidationError as exc:
        result.errors.append(RowError(None, tuple(exc.messages)))
        return result
    header_index, positions = find_header(rows, importer.columns)
    if header_index is None:
        missing = "、".join(c.label for c in importer.columns if c.required)
        result.errors.append(RowError(None, (_(
            "在前%(n)d行中没有找到表头:表头须包含以下各列:%(columns)s。请使用本页提供的模板。"
        ) % {"n": HEADER_SEARCH_ROWS, "columns": missing},)))
        return result
    data = [
        (index + 1, row) for index, row in enumerate(rows) if index > header_index and any(_text(v) for v in row)
    ]
    if len(data) > MAX_DATA_ROWS:
        result.errors.append(RowError(None, (_("文件超过%(n)d行,请分成几个文件导入。") % {"n": MAX_DATA_ROWS},)))
        return result

    seen: dict = {}
    with transaction.atomic():
        for row_number, row in data:
            raw = {key: (row[pos] if pos < len(row) else None) for key, pos in positions.items()}
            if SEQ in raw and _text(raw[SEQ]) == EXAMPLE_MARK:
                continue
            result.rows += 1
            values, problems = importer.parse(raw)
            key = importer.key(values) if not problems else None
            if key is not None:
                if key in seen:
                    problems.append(importer.duplicate_message(seen[key]))
                else:
                    seen[key] = row_number
            if not problems:
                try:
                    with transaction.atomic():
                        outcome, label = importer.apply(dict(values))
                except ValidationError as exc:
                    problems.extend(importer.messages(exc))
                else:
                    result.actions.append(RowAction(row_number, outcome, label))
            if problems:
                result.errors.append(RowError(row_number, tuple(problems)))
        if result.rows == 0 and not result.errors:
            result.errors.append(RowError(None, (_("文件中没有数据行(示例行不计)。"),)))
        if result.errors or dry_run:
            # All or nothing: every row above was written in a savepoint only to let the services check it.
            transaction.set_rollback(True)
        else:
            scope = scope_of(actor) if actor is not None else None
            audit_record(
                actor=actor, action=f"import.{kind}", region_code=scope.region.code if scope and scope.region else "",
                ip=ip, detail={"file": file_name[:200], "rows": result.rows, "created": result.created,
                               "updated": result.updated, "unchanged": result.unchanged},
            )
    return result


# ---------------------------------------------------------------- templates


def template_workbook(kind: str) -> bytes:
    """The downloadable template of a kind: a data sheet (title, how to fill, the header the parser reads, one
    example row that the parser skips) and a notes sheet explaining each column. Written by reports.excel."""
    from reports.excel import Column, Table, new_workbook, write_table

    importer = importer_for(kind)
    columns = importer.columns
    wb = new_workbook()
    example = [col.example for col in columns]
    write_table(wb, str(_("导入数据")), Table(
        title=str(importer.title),
        unit_line=str(_("填写说明见“填写说明”工作表。第5行是示例(序号为“示例”),导入时自动跳过;请从第6行起每行填写一条。")),
        columns=[Column(col.label, width=col.width, number_format=col.number_format) for col in columns],
        rows=[example],
        totals_label="",
    ))
    write_table(wb, str(_("填写说明")), Table(
        title=str(_("%(title)s填写说明") % {"title": importer.title}),
        unit_line=str(_("带“必填”的列不能为空;其余列可不填:新增时取默认值,已有记录保持不变。")),
        columns=[Column(str(_("列名")), width=16), Column(str(_("是否必填")), width=9),
                 Column(str(_("填写要求")), width=70), Column(str(_("示例")), width=22)],
        rows=[
            [col.label, str(_("必填")) if col.required else str(_("选填")), str(col.help), _example_text(col.example)]
            for col in columns
        ],
        totals_label="",
        notes=[
            str(_("整个文件无误才会导入:有任何一行有问题,全部不导入,并逐行列出行号和原因。")),
            str(_("重新导入同一个文件不会重复登记;没有变化的行不会改动。")),
            str(_("全角数字、字母和多余的空格会自动规范。")),
            *[str(n) for n in importer.notes],
        ],
    ))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _example_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
