"""A synthetic province at production scale, for load tests and the benchmark (`manage.py generate_scale`).

For N cadres (default 60,000) and one year Y it builds, in the configured database:

- the fictional 青川省 (division code 98…, so it never meets a real code or the 青山市 demo): one province row,
  about N/4200 cities, N/600 counties, N/50 townships and N/4 villages with valid 12-digit codes, names,
  coordinates and categories; N/20 dispatching units at province, city, county and township level;
- N cadres with valid resident ID numbers (GB 11643 check digit, an address code stdnum knows for the birth
  year) and unique mobile numbers, one round ((Y-1)-03-01 to (Y+1)-02-28) and one posting per cadre: about four
  per village (a first secretary, members, a team leader from the township in some townships); about 2% of
  the postings are recalled during Y (with the approved Recall row) and replaced by a new cadre of the same
  unit, in the same village, after the recall date;
- accounts: one organization-department account per province, city and county, one per township, one per
  unit and one per cadre, all with the password SCALE_PASSWORD;
- for Y: the register (one row per cadre and day in post, ≈ N × 365 rows), the monthly tallies computed from
  the same statuses (so attendance.services.register.tally_differences() is empty), month confirmations,
  about two leave requests per cadre in every state with the routing of the default policy (≤ 3 days: the
  township; longer: the county, filed with the city) and their history, training events with participants,
  inspections with a finding for every cadre present in the inspected villages, rectification items, work
  diary entries, annual evaluations, awards and discipline, and the units' support ledger.

The register is consistent with the other records the way the services would have left it: approved leave
fills its full days (source leave) up to an early return, a late return is absent (source return, flagged),
organized training fills its days (source training), an inspection's "not in post" is absent (source
inspection, flagged), a diary entry's day is a day in the village, and unrecorded days occur only in months
the township has not confirmed. Evaluations respect the rules of cadres.selectors.evaluation_limits (absences
found, recall in the year).

Why not the services: they write one day at a time with locks, history and audit entries, which would take
days for 22 million rows. Rows are generated in Python and streamed with COPY (PostgreSQL) or batched INSERTs
(elsewhere, for tests at a tiny scale); ids are assigned here so rows can point at each other without a
round trip. Nothing of the 22 million rows is held in memory: the register, tallies, findings, training
participants and diary are generated cadre by cadre and written in chunks.

Deterministic: every random choice comes from a generator seeded by (seed, stage), drawn in a fixed order,
and every timestamp is derived from the data, so the same seed gives the same rows. The one exception is
the status of postings at the end of the round: "completed" when the round has ended before today, else
"in post".
"""
import datetime
import os
import random
import time
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from graphlib import TopologicalSorter
from typing import Any, TextIO

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from stdnum.cn import ric

from attendance.models import (
    AttendanceDay,
    DaySource,
    DayStatus,
    HalfDay,
    LeaveEvent,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    MonthConfirmation,
    MonthlyTally,
)
from cadres.demo import (
    CLAN_SUFFIXES,
    CLAN_SURNAMES,
    COMMUNITY_NAMES,
    GIVEN,
    MOBILE_PREFIXES,
    SURNAME_WEIGHTS,
    SURNAMES,
    VILLAGE_ROOTS,
)
from cadres.models import (
    AuditEntry,
    Cadre,
    DispatchRound,
    Education,
    Gender,
    PoliticalStatus,
    Posting,
    PostingRole,
    PostingStatus,
    Rank,
    Role,
    User,
)
from villages.models import (
    DEFAULT_LEAVE_ROUTES,
    DispatchingUnit,
    Region,
    RegionLevel,
    Village,
    VillageCategory,
)

PROVINCE_PREFIX = "98"
PROVINCE_CODE = PROVINCE_PREFIX + "0" * 10
PROVINCE_NAME = "青川省"
SCALE_PASSWORD = "Scale@2025"  # noqa: S105 - the published password of the generated accounts, not a secret
PASSWORD_SALT = "scalegen2025"  # noqa: S105 - a fixed salt, so the same seed gives the same password hash
RECALL_SHARE = 0.02
MAX_CADRES = 400_000  # 99 cities at most in a 2-digit code
ONE_DAY = datetime.timedelta(days=1)

# Latitude/longitude box of the province (a plain with hills to the south-east).
LAT_RANGE, LON_RANGE = (31.2, 35.8), (112.6, 118.9)



def _words(text: str) -> list[str]:
    return text.split()


# Resident ID address codes (Shandong, including the old prefecture codes 372x of people born before the
# 1980s). stdnum knows when each code was in use; a code is only drawn for birth years it accepts.
ADDRESS_CODES = _words(
    "370101 370102 370103 370104 370105 370123 370201 370202 370203 370205 370211 370301 370302 370521 "
    "370522 372301 372321 372323 372324 372325 372328 372330 372401 372421 372422 372423 372424 372425 "
    "372428 372431 372432 372522 372523 372524 372525 372526 372527 372922 372923 372924 372925 372926 "
    "372928 372929 372930"
)

CITY_STEMS = ("青云临安东南西北江河永长清金宁平兴泰德昌丰华嘉新通盛鹤桐松梅兰", "阳州山川宁平安源丰泉城林庆华江溪岭原")
COUNTY_STEMS = (
    "石龙凤白桃柳枫竹杉松桂荷梅黄红双三五高大上新古文武仁义和乐安永广博茂瑞祥福寿康",
    "溪门江山源水川河阳泉坪林田湖岭口塘桥峰城亭陵谷原",
)
TOWN_STEMS = (
    "白金银铜铁马牛羊鹿龙虎鹤燕鱼茶桑麻稻麦枣杏李桃梨瓜蒲芦花草木泉溪湖塘官庙寺店集",
    "沙潭源水溪坪岗岭坝冲湾洲港集店铺庄寨堡关营畈垸垄",
)
# Dispatching units, by the part after the region's name (青川省 + 财政厅, 青阳市 + 财政局, 云溪县 + 财政局).
PROVINCE_BODIES = _words(
    "委办公厅 人民政府办公厅 委组织部 委宣传部 委统战部 委政法委员会 纪委监委 发展和改革委员会 教育厅 科学技术厅 "
    "工业和信息化厅 民族宗教事务委员会 公安厅 民政厅 司法厅 财政厅 人力资源和社会保障厅 自然资源厅 生态环境厅 "
    "住房和城乡建设厅 交通运输厅 水利厅 农业农村厅 商务厅 文化和旅游厅 卫生健康委员会 退役军人事务厅 应急管理厅 "
    "审计厅 市场监督管理局 统计局 医疗保障局 林业局 乡村振兴局 供销合作社联合社 农业科学院 社会科学院 委党校 "
    "人民医院 总工会 妇女联合会 科学技术协会 广播电视局 体育局 粮食和物资储备局 地方金融监督管理局 信访局 气象局 "
    "烟草专卖局 地质矿产勘查开发局 农村信用社联合社 交通投资集团有限公司 农业技术推广总站 水利科学研究院 "
    "疾病预防控制中心 肿瘤医院 中医院 图书馆 档案馆 机关事务管理局"
)
CITY_BODIES = _words(
    "委办公室 人民政府办公室 委组织部 委宣传部 委统战部 委政法委员会 纪委监委 发展和改革委员会 教育局 科学技术局 "
    "工业和信息化局 公安局 民政局 司法局 财政局 人力资源和社会保障局 自然资源和规划局 生态环境局 住房和城乡建设局 "
    "交通运输局 水利局 农业农村局 商务局 文化广电旅游局 卫生健康委员会 退役军人事务局 应急管理局 审计局 "
    "市场监督管理局 统计局 医疗保障局 林业局 乡村振兴局 供销合作社 总工会 妇女联合会 科学技术协会 委党校 人民医院 "
    "中医院 第一中学 农业科学研究所 疾病预防控制中心 不动产登记中心 就业创业服务中心 农业技术推广中心 "
    "公路事业发展中心 水利工程管理中心 气象局 烟草专卖局 税务局 信访局 档案馆 图书馆 职业技术学院 融媒体中心 "
    "住房公积金管理中心 机关事务管理局 政务服务管理局 城市管理局"
)
COUNTY_BODIES = _words(
    "委办公室 人民政府办公室 委组织部 委宣传部 纪委监委 发展和改革局 教育体育局 公安局 民政局 司法局 财政局 "
    "人力资源和社会保障局 自然资源局 住房和城乡建设局 交通运输局 水利局 农业农村局 商务局 文化广电旅游局 "
    "卫生健康局 退役军人事务局 应急管理局 审计局 市场监督管理局 统计局 医疗保障局 林业局 乡村振兴局 供销合作社 "
    "总工会 妇女联合会 人民医院 中医院 第一中学 第二中学 实验小学 疾病预防控制中心 农业技术推广中心 "
    "农村经营管理站 就业创业服务中心 不动产登记中心 融媒体中心 税务局 气象局 畜牧兽医服务中心"
)
INSTITUTION_TITLES = ("工作人员", "技术员", "助理工程师", "工程师", "医师", "教师", "农艺师")

LEAVE_REASONS = {
    LeaveKind.PERSONAL: ("家中老人身体不适,需回家照料", "孩子学校召开家长会", "办理房屋过户手续,须本人到场",
                         "配偶住院手术,需陪护", "回原单位办理职称评审材料", "家中房屋修缮"),
    LeaveKind.SICK: ("急性肠胃炎,需就医治疗", "腰椎间盘突出复查", "重感冒发烧,遵医嘱休息", "牙周手术及复诊", "眼疾就医"),
    LeaveKind.FAMILY: ("回老家探望年迈父母", "探望在外地工作的配偶", "春节回家探亲"),
    LeaveKind.WEDDING_FUNERAL: ("本人子女结婚", "祖母去世,回家奔丧", "本人结婚"),
    LeaveKind.OTHER: ("参加职称考试", "参加在职研究生课程考试", "驾驶证换证体检"),
}
REJECT_COMMENTS = ("该时段村里开展人居环境整治验收,请调整请假时间。", "近期防汛进入关键期,暂不批准,请汛后再申请。",
                   "村“两委”换届工作期间,原则上不批准请假。", "请假事由不充分,请补充说明后重新申请。")
RETRO_REASONS = ("突发急病住院,无法事先请假,由审批单位补办。", "夜间家中老人突发疾病送医,次日补办请假手续。")
# Spring Festival: many family-visit leaves cluster around it.
SPRING_FESTIVAL = {
    2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
    2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11),
}
ABSENCE_NOTES = ("电话联系称回原单位办事,未请假", "村干部称其已两天未到村", "本人称在县城办理私事,未履行请假手续", "")
INSPECTION_NOTES = ("查看驻村工作日志、民情日记和考勤簿,抽查走访农户。", "暗访驻村干部在岗情况,走访村民了解帮扶成效。",
                    "检查工作队吃住在村情况和帮扶项目推进情况。", "核查考勤簿与请假审批记录是否一致。")
RECTIFY_GENERAL = ("驻村工作日志记录不规范,限期补齐。", "考勤簿与请假记录不一致,请核对更正。",
                   "帮扶项目台账不完整,请完善。", "工作队住村条件较差,请乡镇协调改善。")
DIARY_TOPICS = ("产业发展", "人居环境整治", "防返贫监测", "医保缴费", "危房改造", "留守老人生活", "春耕备耕", "秋收秋种",
                "村集体经济", "饮水安全", "就业务工", "党员教育", "防汛防火", "移风易俗", "农村电商")
DIARY_MATTERS = ("帮助村民办理医保报销", "协调修复村内路灯", "联系农技人员指导果树管理", "帮助留守老人代购药品",
                 "协调解决灌溉用水", "为困难户申请临时救助")
DIARY_PROJECTS = ("食用菌种植", "光伏发电", "乡村旅游", "茶叶加工", "稻虾共养", "特色养殖", "农产品电商")
MAJOR_EVENTS = ("村民因宅基地纠纷到乡镇上访,已报告乡镇党委", "暴雨导致村道塌方,已组织群众转移并报告", "发现一户返贫风险,已纳入监测")
EVALUATION_COMMENTS = {
    "excellent": "驻村工作扎实,吃住在村,群众评价高,帮扶成效明显。",
    "competent": "能够履行驻村工作职责,较好完成各项工作任务。",
    "basic": "驻村工作有一定成效,但在村时间和工作主动性有待加强。",
    "incompetent": "驻村期间履职不力,经研究确定为不称职。",
}


# --- sizes ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    cadres: int
    villages: int
    townships: int
    counties: int
    cities: int
    units: int
    recalls: int


def scale_for(cadres: int) -> Scale:
    """Sizes proportional to the number of cadres: about four cadres per village, 12.5 villages per township,
    12 townships per county, 7 counties per city, 20 cadres per dispatching unit, 2% recalled and replaced."""
    if not 8 <= cadres <= MAX_CADRES:
        raise ValueError(f"--cadres must be between 8 and {MAX_CADRES}")
    villages = max(1, round(cadres / 4))
    townships = max(1, round(villages / 12.5))
    counties = max(1, round(townships / 12))
    cities = max(1, round(counties / 7))
    units = max(1, round(cadres / 20))
    recalls = round(cadres * RECALL_SHARE / (1 + RECALL_SHARE))
    return Scale(cadres, villages, townships, counties, cities, units, recalls)


def _split(rng: random.Random, total: int, parts: int, *, jitter: float = 0.35, minimum: int = 1) -> list[int]:
    """`total` split into `parts` sizes of at least `minimum`, each around the mean, summing exactly."""
    if parts * minimum > total:
        raise ValueError(f"cannot split {total} into {parts} parts of at least {minimum}")
    weights = [rng.uniform(1 - jitter, 1 + jitter) for _ in range(parts)]
    free, scale = total - parts * minimum, sum(weights)
    raw = [free * w / scale for w in weights]
    sizes = [minimum + int(r) for r in raw]
    for i in sorted(range(parts), key=lambda i: int(raw[i]) - raw[i])[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _weighted(pairs: Iterable[tuple[Any, float]]) -> tuple[list, list[float]]:
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def _draw(rng: random.Random, table: tuple[list, list[float]]):
    return rng.choices(table[0], cum_weights=table[1])[0]


def _stems(rng: random.Random, stems: tuple[str, str], taken: set[str]) -> Iterable[str]:
    """Two-character names from the two character lists, in a random order, skipping taken ones."""
    pool = [a + b for a in stems[0] for b in stems[1] if a != b]
    rng.shuffle(pool)
    for stem in pool:
        if stem not in taken:
            taken.add(stem)
            yield stem
    raise RuntimeError("name pool exhausted")


# --- the calendar --------------------------------------------------------------------------------------------


class Calendar:
    """The year, as day indexes 0..364 (or 365), with the strings the register rows need."""

    def __init__(self, year: int, today: datetime.date) -> None:
        self.year = year
        self.today = today
        self.first = datetime.date(year, 1, 1)
        self.last = min(datetime.date(year, 12, 31), today - ONE_DAY)
        if self.last < self.first:
            raise ValueError(f"year {year} has no past day yet (today is {today})")
        self.days = [self.first + datetime.timedelta(days=i) for i in range((self.last - self.first).days + 1)]
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        # "2025-01-01\t2025-01-01 20:00:00+08:00\t": the day and set_at columns of a register row.
        self.day_text = [f"{d.isoformat()}\t{self.at(d, 20 * 60).isoformat(sep=' ')}\t" for d in self.days]
        self.month_of = [d.month for d in self.days]
        self.month_span: dict[int, tuple[int, int]] = {}
        for i, d in enumerate(self.days):
            first, _last = self.month_span.get(d.month, (i, i))
            self.month_span[d.month] = (first, i)
        # Months a township can have confirmed: those over by the last day of the data.
        self.complete_months = [m for m, (_f, last) in self.month_span.items()
                                if self.days[last] == _month_end(self.days[last])]

    def index(self, day: datetime.date) -> int:
        return (day - self.first).days

    def at(self, day: datetime.date, minutes: int) -> datetime.datetime:
        """An aware local datetime `minutes` after midnight of `day`."""
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=self.tz) + datetime.timedelta(minutes=minutes)


def _month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - ONE_DAY


# --- records (plain Python objects; ids are assigned here) ---------------------------------------------------


@dataclass(slots=True, eq=False)
class Place:
    id: int
    code: str
    name: str
    level: int
    parent: "Place | None"
    kind: str = ""  # county: district/county; township: street/town/xiang
    lat: float = 0.0
    lon: float = 0.0
    user_id: int | None = None  # its organization-department (or township) account
    last_confirmed: int = 12  # townships: the last month of Y the township confirmed

    def up(self, level: int) -> "Place":
        node: Place | None = self
        while node is not None and node.level != level:
            node = node.parent
        if node is None:
            raise LookupError(level)
        return node


@dataclass(slots=True, eq=False)
class VillageRec:
    id: int
    code: str
    name: str
    township: Place
    lat: float
    lon: float
    population: int
    households: int
    categories: tuple[str, ...]
    priority: bool
    paired_with: int | None = None
    inspections: list = field(default_factory=list)  # (day index, InspectionRec)


@dataclass(slots=True, eq=False)
class UnitRec:
    id: int
    name: str
    level: int
    region: Place
    contact: str
    phone: str
    user_id: int | None = None


@dataclass(slots=True, eq=False)
class CadreRec:
    id: int
    name: str
    gender: str
    ethnicity: str
    birth: datetime.date
    id_number: str
    phone: str
    political: str
    education: str
    post: str
    rank: str
    reserve: bool
    unit: UnitRec
    # Share of days present, share present-or-business (the rest of the drawn days are absent), chance to be
    # found absent by an inspection, diary entries per month, and the label of the profile.
    present: float = 0.0
    counted: float = 0.0
    absent_found: float = 0.0
    diary_rate: float = 0.0
    profile: str = "normal"
    user_id: int | None = None


@dataclass(slots=True, eq=False)
class RecallRec:
    id: int
    reason: str
    date: datetime.date
    proposed_by: int | None
    proposer_body: str
    decider: Place
    decided_by: int | None


@dataclass(slots=True, eq=False)
class PostingRec:
    id: int
    cadre: CadreRec
    village: VillageRec
    unit: UnitRec
    role: str
    start: datetime.date
    end: datetime.date | None
    status: str
    replaces: "PostingRec | None" = None
    recall: RecallRec | None = None
    leaves: list = field(default_factory=list)
    absences: int = 0  # inspection absences in Y

    def window(self, cal: Calendar) -> tuple[int, int] | None:
        """First and last day index of Y in post (None when not in post in Y up to the last day)."""
        first = max(self.start, cal.first)
        last = min(self.end or cal.last, cal.last)
        return (cal.index(first), cal.index(last)) if first <= last else None


@dataclass(slots=True, eq=False)
class LeaveRec:
    id: int
    posting: PostingRec
    kind: str
    start: datetime.date
    start_half: str
    end: datetime.date
    end_half: str
    days: Decimal
    status: str
    reason: str
    approver_level: int
    approver: Place
    filed: list[Place]
    approver_user: int | None
    requested_by: int | None
    submitted_at: datetime.datetime
    decided_at: datetime.datetime | None = None
    decision_comment: str = ""
    retroactive_reason: str = ""
    returned_on: datetime.date | None = None
    returned_at: datetime.datetime | None = None
    late_days: int = 0
    withdrawn_at: datetime.datetime | None = None
    leave_days: list[int] = field(default_factory=list)  # register day indexes filled as leave
    late_absent: list[int] = field(default_factory=list)  # register day indexes absent for a late return


@dataclass(slots=True, eq=False)
class InspectionRec:
    id: int
    date: datetime.date
    kind: str  # planned / unannounced
    region: Place
    recorded_by: int | None
    label: str  # 督查 / 暗访


@dataclass(slots=True, eq=False)
class TrainingRec:
    id: int
    title: str
    kind: str
    region: Place
    start: datetime.date
    end: datetime.date
    counts: bool
    leaders_only: bool  # only first secretaries and team leaders attend


# --- writing -------------------------------------------------------------------------------------------------


class Loader:
    """Writes rows in bulk: COPY on PostgreSQL, batched INSERTs elsewhere (SQLite, for tests).

    Rows are tuples in the order of the given field names; a concrete field not named gets its default (so a
    field another developer adds with a default does not break the generator); one without a default stops
    the run with its name."""

    BATCH = 2000

    def __init__(self) -> None:
        connection.ensure_connection()
        self.pg = connection.vendor == "postgresql"
        self.counts: Counter = Counter()
        self.next_ids: dict[type[models.Model], int] = {}

    def next_id(self, model: type[models.Model]) -> int:
        """Ids are assigned here, after the largest one in the table: rows can point at each other before they
        are written, and COPY skips the identity column's nextval() per row (a quarter of the load time)."""
        self._start_ids(model)
        value = self.next_ids[model]
        self.next_ids[model] += 1
        return value

    def _plan(self, model: type[models.Model], names: list[str]):
        meta = model._meta
        fields = [meta.get_field(name) for name in names]
        given = {f.attname for f in fields}
        extra, extra_values = [], []
        for f in meta.concrete_fields:
            if f.attname in given or f.primary_key:
                continue
            if f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise RuntimeError(f"{meta.label}.{f.name} has no default: bench.generate must set it")
            extra.append(f)
            extra_values.append(value)
        return fields + extra, tuple(extra_values)

    def _start_ids(self, model: type[models.Model]) -> None:
        if model not in self.next_ids:
            self.next_ids[model] = (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1

    def rows(self, model: type[models.Model], names: list[str], rows: Iterable[tuple]) -> int:
        pk = model._meta.pk
        if pk.name not in names and isinstance(pk, models.AutoField):
            # The query for the first id must run before the COPY holds the connection.
            self._start_ids(model)
            names = [pk.name, *names]
            rows = ((self.next_id(model), *row) for row in rows)
        fields, extra = self._plan(model, names)
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        n = 0
        if self.pg:
            with connection.connection.cursor() as cursor, cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN"  # names from the model's _meta
            ) as copy:
                for row in rows:
                    copy.write_row(row + extra if extra else row)
                    n += 1
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
            batch: list[tuple] = []
            with connection.cursor() as cursor:
                for row in rows:
                    full = row + extra if extra else row
                    batch.append(tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, full, strict=True)))
                    if len(batch) >= self.BATCH:
                        cursor.executemany(sql, batch)
                        n += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    n += len(batch)
        self.counts[model._meta.label] += n
        return n

    def text(self, model: type[models.Model], names: list[str], chunks: list[str], rows: int) -> None:
        """Rows already in COPY text format (tab-separated, \\N for NULL, one per line). The fast path of the
        register; elsewhere the lines are parsed back into values."""
        fields, extra = self._plan(model, names)
        if extra:
            raise RuntimeError(f"{model._meta.label} has fields bench.generate does not write: update it")
        if self.pg:
            from psycopg.copy import QueuedLibpqWriter

            table = connection.ops.quote_name(model._meta.db_table)
            columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
            # The queued writer sends from a thread, so generating the next lines overlaps with sending.
            with connection.connection.cursor() as cursor, cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor)
            ) as copy:
                for chunk in chunks:
                    copy.write(chunk)
            self.counts[model._meta.label] += rows
            return

        def parse(line: str) -> tuple:
            return tuple(None if v == "\\N" else f.to_python(v) for f, v in zip(fields, line.split("\t"), strict=True))

        self.rows(model, names, (parse(line) for chunk in chunks for line in chunk.splitlines()))

    @contextmanager
    def indexes_suspended(self, models_: list[type[models.Model]], stdout: "Progress"):
        """On PostgreSQL, drop the indexes, unique and foreign-key constraints of the given tables for the
        duration of the load and rebuild them afterwards: one sorted build per index is several times faster
        than maintaining seven indexes and checking four foreign keys row by row, and the FKs are validated
        again in one pass when they are added back. Must run inside a transaction: if anything fails, the
        rollback restores the tables as they were. Constraints other tables depend on (a referenced primary
        key) stay in place."""
        if not self.pg:
            yield
            return
        restore: list[str] = []
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            _check_deferred(cursor)
            for model in models_:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, contype, pg_get_constraintdef(oid), conindid FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') ORDER BY conname",
                    [table],
                )
                constraints = cursor.fetchall()
                cursor.execute(
                    "SELECT 1 FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f' AND conrelid <> confrelid",
                    [table],
                )
                referenced = cursor.fetchone() is not None
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
                    [table],
                )
                plain = cursor.fetchall()
                qt = connection.ops.quote_name(table)
                keys = [(n, d) for n, t, d, _i in constraints if t in "pu" and not referenced]
                fks = [(n, d) for n, t, d, _i in constraints if t == "f"]
                for name, _d in fks + keys:
                    cursor.execute(f"ALTER TABLE {qt} DROP CONSTRAINT {connection.ops.quote_name(name)}")
                for name, _d in plain:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                restore += [f"ALTER TABLE {qt} ADD CONSTRAINT {connection.ops.quote_name(n)} {d}" for n, d in keys]
                restore += [d for _n, d in plain]
                restore += [f"ALTER TABLE {qt} ADD CONSTRAINT {connection.ops.quote_name(n)} {d}" for n, d in fks]
        yield
        timings = []
        with connection.cursor() as cursor:
            _check_deferred(cursor)
            for statement in restore:
                started = time.monotonic()
                cursor.execute(statement)
                timings.append((time.monotonic() - started, statement))
        stdout.say(f"重建索引和约束 {len(restore)} 个")
        if os.environ.get("GENERATE_SCALE_DEBUG"):
            for seconds, statement in sorted(timings, reverse=True)[:12]:
                stdout.say(f"  {seconds:6.1f}s {statement[:110]}")

    def reset_sequences(self, models_: list[type[models.Model]]) -> None:
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models_):
                cursor.execute(statement)

    def analyze(self, models_: list[type[models.Model]]) -> None:
        """Statistics for the planner; outside a transaction also VACUUM, so the visibility map is set (index-only
        scans) and autovacuum does not start on the fresh tables in the middle of a benchmark."""
        if not self.pg:
            return
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in models_:
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def _check_deferred(cursor) -> None:
    """Run the foreign-key checks deferred so far: PostgreSQL refuses to ALTER a table with pending trigger
    events, which an enclosing transaction (a test) leaves behind after the earlier inserts."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Progress:
    def __init__(self, stdout: TextIO | None) -> None:
        self.stdout = stdout
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(f"[{time.monotonic() - self.started:7.1f}s] {text}\n")
            flush = getattr(self.stdout, "flush", None)
            if flush is not None:
                flush()


# --- the province already there, and removing it -------------------------------------------------------------


def generated_exists() -> bool:
    return Region.objects.filter(code__startswith=PROVINCE_PREFIX).exists()


def _all_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]


def _foreign_keys(model: type[models.Model]) -> list[models.Field]:
    return [
        f for f in model._meta.concrete_fields
        if f.is_relation and (f.many_to_one or f.one_to_one) and f.target_field.primary_key
    ]


def wipe_generated(*, stdout: TextIO | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Delete the generated province and everything that depends on it, in every installed app: rows that
    point at a deleted row through a CASCADE or PROTECT key are deleted too (a report of the province, a
    user of one of its townships), rows that point through a SET_NULL key are kept and cleared.

    The set of rows to delete is worked out table by table (parents first) into temporary tables of ids; a
    table nothing points at and whose rows all go (the register, the tallies, the diary) is TRUNCATEd instead,
    which is what makes this take seconds rather than an hour at 22 million register rows."""
    progress = progress or Progress(stdout)
    qn = connection.ops.quote_name
    # Executed without parameters, so the % is the LIKE wildcard, not a placeholder.
    roots = {Region: f"{qn('code')} LIKE '{PROVINCE_PREFIX}%'", Village: f"{qn('code')} LIKE '{PROVINCE_PREFIX}%'"}
    all_models = _all_models()
    referenced = {f.related_model for m in all_models for f in _foreign_keys(m) if f.related_model is not m}
    graph = {m: {f.related_model for f in _foreign_keys(m) if f.related_model is not m} for m in all_models}
    order = list(TopologicalSorter(graph).static_order())
    gone: dict[type[models.Model], str] = {}  # model → temporary table of the ids that go
    leaves: list[tuple[type[models.Model], str]] = []
    deleted: Counter = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _check_deferred(cursor)
        for i, model in enumerate(order):
            if model not in graph:
                continue
            parts = [roots[model]] if model in roots else []
            for f in _foreign_keys(model):
                target = f.related_model
                if target in gone and target is not model and f.remote_field.on_delete in (
                    models.CASCADE, models.PROTECT, models.RESTRICT, models.DO_NOTHING
                ):
                    parts.append(f"{qn(f.column)} IN (SELECT id FROM {gone[target]})")  # noqa: S608 - names from _meta
            if not parts:
                continue
            where = " OR ".join(parts)
            table = qn(model._meta.db_table)
            if model in referenced:
                tmp = f"gen_wipe_{i}"
                pk = qn(model._meta.pk.column)
                cursor.execute(f"CREATE TEMPORARY TABLE {tmp} AS SELECT {pk} AS id FROM {table} WHERE {where}")  # noqa: S608
                cursor.execute(f"SELECT count(*) FROM {tmp}")  # noqa: S608
                if cursor.fetchone()[0]:
                    gone[model] = tmp
            else:
                leaves.append((model, where))
        # Tables nothing points at: emptied in one go when all their rows go, else the matching rows deleted.
        for model, where in leaves:
            table = qn(model._meta.db_table)
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            total = cursor.fetchone()[0]
            if not total:
                continue
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE NOT COALESCE(({where}), FALSE))")  # noqa: S608
            if connection.vendor == "postgresql" and not cursor.fetchone()[0]:
                cursor.execute(f"TRUNCATE {table}")
                deleted[model._meta.label] += total
            else:
                cursor.execute(f"DELETE FROM {table} WHERE {where}")  # noqa: S608
                deleted[model._meta.label] += cursor.rowcount
        # Rows that stay but point at a row that goes through SET_NULL are cleared.
        for model in graph:
            table = qn(model._meta.db_table)
            for f in _foreign_keys(model):
                if f.related_model in gone and f.remote_field.on_delete is models.SET_NULL:
                    stays = "1=1"
                    if model in gone:
                        stays = f"NOT {qn(model._meta.pk.column)} IN (SELECT id FROM {gone[model]})"  # noqa: S608
                    cursor.execute(
                        f"UPDATE {table} SET {qn(f.column)} = NULL "  # noqa: S608
                        f"WHERE {qn(f.column)} IN (SELECT id FROM {gone[f.related_model]}) AND {stays}"
                    )
        for model in reversed(order):
            if model in gone:
                table = qn(model._meta.db_table)
                cursor.execute(
                    f"DELETE FROM {table} WHERE {qn(model._meta.pk.column)} IN (SELECT id FROM {gone[model]})"  # noqa: S608
                )
                deleted[model._meta.label] += cursor.rowcount
        for tmp in gone.values():
            cursor.execute(f"DROP TABLE {tmp}")
        # Temporary tables of models whose set turned out empty were created too.
        for i, model in enumerate(order):
            if model in referenced and model not in gone:
                cursor.execute(f"DROP TABLE IF EXISTS gen_wipe_{i}")
    result = {label: n for label, n in sorted(deleted.items()) if n}
    progress.say(f"已删除生成的{PROVINCE_NAME}:{sum(result.values()):,} 行")
    return result


# --- resident ID numbers -------------------------------------------------------------------------------------


def _with_check_digit(first17: str) -> str:
    # calc_check_digit() expects the whole number and ignores its last character.
    return first17 + ric.calc_check_digit(first17 + "0")


class IdNumbers:
    """Unique, valid resident ID numbers: an address code stdnum accepts for the birth year, the birth date, a
    sequence number whose last digit is odd for men and even for women, and the check digit."""

    def __init__(self) -> None:
        self.codes_by_year: dict[int, list[str]] = {}
        self.taken: set[str] = set()

    def _codes(self, year: int) -> list[str]:
        if year not in self.codes_by_year:
            codes = []
            for code in ADDRESS_CODES:
                try:
                    if ric.is_valid(_with_check_digit(f"{code}{year}0601001")):
                        codes.append(code)
                except Exception:  # noqa: S112 - stdnum raises KeyError for some codes instead of an invalid verdict
                    continue
            if not codes:
                raise RuntimeError(f"no address code valid for birth year {year}")
            self.codes_by_year[year] = codes
        return self.codes_by_year[year]

    def draw(self, rng: random.Random, birth: datetime.date, gender: str) -> str:
        codes = self._codes(birth.year)
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
            number = _with_check_digit(f"{rng.choice(codes)}{birth:%Y%m%d}{sequence:03d}")
            if number not in self.taken:
                self.taken.add(number)
                return number


SURNAME_TABLE = _weighted(zip(SURNAMES, SURNAME_WEIGHTS, strict=True))


def _person(rng: random.Random, gender: str, birth_year: int) -> str:
    era = "old" if birth_year < 1980 else "young" if birth_year >= 1988 else rng.choice(("old", "young"))
    firsts, seconds = GIVEN[(gender, era)]
    surname = _draw(rng, SURNAME_TABLE)
    if rng.random() < 0.15:
        return surname + rng.choice(seconds)
    return surname + rng.choice(firsts) + rng.choice(seconds)


# --- the generator -------------------------------------------------------------------------------------------

ROLE_UNIT_LEVELS = {
    PostingRole.FIRST_SECRETARY: _weighted(
        [(RegionLevel.PROVINCE, 12), (RegionLevel.CITY, 38), (RegionLevel.COUNTY, 50)]),
    PostingRole.TEAM_LEADER: _weighted([(RegionLevel.COUNTY, 1)]),
    PostingRole.MEMBER: _weighted([(RegionLevel.PROVINCE, 3), (RegionLevel.CITY, 22), (RegionLevel.COUNTY, 75)]),
}
RECALL_REASON_TEXT = {"unit_request": "派驻单位申请", "health": "身体原因", "incompetent": "不能胜任驻村工作",
                      "inspection_absence": "督查发现多次不在岗", "discipline": "违反纪律", "other": "工作调整"}
RECALL_REASONS = _weighted([("unit_request", 30), ("health", 25), ("incompetent", 15), ("inspection_absence", 5),
                            ("discipline", 5), ("other", 20)])
LEAVE_COUNTS = _weighted([(0, 12), (1, 22), (2, 30), (3, 22), (4, 14)])  # about two a year after placement
LEAVE_LENGTHS = _weighted([(1, 30), (2, 22), (3, 18), (4, 8), (5, 8), (6, 4), (7, 5), (10, 3), (15, 2)])
LEAVE_KINDS = _weighted([(LeaveKind.PERSONAL, 45), (LeaveKind.SICK, 25), (LeaveKind.FAMILY, 20),
                         (LeaveKind.WEDDING_FUNERAL, 5), (LeaveKind.OTHER, 5)])
LEAVE_STATES = _weighted([(LeaveStatus.RETURNED, 80), (LeaveStatus.REJECTED, 7), (LeaveStatus.WITHDRAWN, 6),
                          (LeaveStatus.APPROVED, 3), (LeaveStatus.SUBMITTED, 4)])
# Register status codes in the generator (5: no row). The tallies count 0-4 in this order.
PRESENT, LEAVE, BUSINESS, TRAINING, ABSENT, NONE = range(6)
STATUS_OF_CODE = (DayStatus.PRESENT, DayStatus.LEAVE, DayStatus.BUSINESS, DayStatus.TRAINING, DayStatus.ABSENT)
REGISTER_FIELDS = ["id", "cadre", "posting", "day", "set_at", "status", "source", "flagged", "note", "leave", "set_by"]
RETURN_NOTE = "销假逾期,无批准的续假"


def _optional(label: str) -> type[models.Model] | None:
    """Models other parts of the project add over time: generated when they exist."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _tail(status: str, source: str, *, flagged: bool = False, note: str = "", leave: int | None = None,
          set_by: int | None = None) -> str:
    """The end of a register row in COPY text format (the values never hold tabs, newlines or backslashes)."""
    if any(ch in note for ch in "\t\n\r\\"):
        raise ValueError(f"unsafe register note {note!r}")
    return (f"{status}\t{source}\t{'t' if flagged else 'f'}\t{note}\t"
            f"{leave if leave is not None else chr(92) + 'N'}\t{set_by if set_by is not None else chr(92) + 'N'}\n")


class Generator:
    def __init__(
        self,
        *,
        cadres: int,
        year: int,
        seed: int = 1,
        today: datetime.date | None = None,
        stdout: TextIO | None = None,
        progress: Progress | None = None,
        suspend_indexes: bool = True,
        chunk: int = 1000,
    ) -> None:
        self.scale = scale_for(cadres)
        self.seed = seed
        self.today = today or timezone.localdate()
        if not 2015 <= year <= self.today.year:
            raise ValueError(f"--year must be between 2015 and {self.today.year}")
        self.cal = Calendar(year, self.today)
        self.year = year
        self.progress = progress or Progress(stdout)
        self.loader = Loader()
        self.suspend_indexes = suspend_indexes
        self.chunk = chunk
        self._tails_cache: dict[int, list[str | None]] = {}
        self.round_start = datetime.date(year - 1, 3, 1)
        self.round_end = datetime.date(year + 1, 3, 1) - ONE_DAY
        # Postings still in force at the end of the round: completed once the round is over.
        self.round_over = self.round_end < self.today
        self.password = make_password(SCALE_PASSWORD, salt=PASSWORD_SALT)
        self.DiaryEntry = _optional("attendance.DiaryEntry")
        self.Inspection = _optional("attendance.Inspection")
        self.InspectionFinding = _optional("attendance.InspectionFinding")
        self.Rectification = _optional("attendance.Rectification")
        self.TrainingEvent = _optional("attendance.TrainingEvent")
        self.TrainingParticipant = _optional("attendance.TrainingParticipant")
        self.Recall = _optional("cadres.Recall")
        self.Evaluation = _optional("cadres.Evaluation")
        self.AwardRecord = _optional("cadres.AwardRecord")
        self.SupportRecord = _optional("villages.SupportRecord")
        self.skipped: list[str] = [label for label, m in (
            ("attendance.DiaryEntry", self.DiaryEntry), ("attendance.Inspection", self.Inspection),
            ("attendance.TrainingEvent", self.TrainingEvent), ("cadres.Recall", self.Recall),
            ("cadres.Evaluation", self.Evaluation), ("cadres.AwardRecord", self.AwardRecord),
            ("villages.SupportRecord", self.SupportRecord)) if m is None]

    # helpers

    def _rng(self, stage: str) -> random.Random:
        return random.Random(f"{self.seed}:{stage}")

    def _id(self, model: type[models.Model]) -> int:
        return self.loader.next_id(model)

    def _write(self, model: type[models.Model] | None, names: list[str], rows: Iterable[tuple], label: str) -> int:
        if model is None:
            return 0
        n = self.loader.rows(model, names, rows)
        self.progress.say(f"{label}: {n:,} 行")
        return n

    # the run

    def run(self) -> dict[str, int]:
        p = self.progress
        sc = self.scale
        p.say(f"生成{PROVINCE_NAME}:驻村干部 {sc.cadres:,} 人,{self.year} 年,随机种子 {self.seed},"
              f"{'PostgreSQL COPY' if self.loader.pg else '批量 INSERT'}")
        with transaction.atomic():
            self._regions()
            self._units()
            self._people()
            self._write_organisation()
            self._trainings()
            self._leave()
            self._inspections()
        with transaction.atomic():
            big = [AttendanceDay, MonthlyTally] + ([self.DiaryEntry] if self.DiaryEntry else [])
            with self.loader.indexes_suspended(big if self.suspend_indexes else [], p):
                self._register()
        with transaction.atomic():
            self._confirmations()
            self._rectifications()
            self._evaluations()
            self._awards()
            self._support()
            touched = [apps.get_model(label) for label in self.loader.counts]
            self.loader.reset_sequences(touched)
            AuditEntry.objects.create(
                action="scale.generate", object_type="", region_code=PROVINCE_CODE,
                detail={"cadres": sc.cadres, "year": self.year, "seed": self.seed,
                        "rows": dict(sorted(self.loader.counts.items()))},
            )
        p.say("更新统计信息(ANALYZE)")
        self.loader.analyze(touched)
        total = sum(self.loader.counts.values())
        p.say(f"完成:共 {total:,} 行")
        if self.skipped:
            p.say("未生成(模型不存在):" + "、".join(self.skipped))
        return dict(sorted(self.loader.counts.items()))

    # regions and villages

    def _regions(self) -> None:
        rng = self._rng("regions")
        sc = self.scale
        categories = {c.code: (c.pk, c.is_priority) for c in VillageCategory.objects.all()}
        missing = {"poverty_exit", "key_assistance", "relocation", "weak_party", "weak_economy", "advanced"} - set(categories)
        if missing:
            raise RuntimeError(f"village categories missing (run migrate first): {sorted(missing)}")
        self.categories = categories
        lat0, lon0 = sum(LAT_RANGE) / 2, sum(LON_RANGE) / 2
        self.province = Place(self._id(Region), PROVINCE_CODE, PROVINCE_NAME, RegionLevel.PROVINCE, None,
                              lat=lat0, lon=lon0, user_id=self._id(User))
        self.cities: list[Place] = []
        self.counties: list[Place] = []
        self.townships: list[Place] = []
        self.villages: list[VillageRec] = []
        per_city = _split(rng, sc.counties, sc.cities)
        per_county = _split(rng, sc.townships, sc.counties)
        per_township = _split(rng, sc.villages, sc.townships, jitter=0.45)
        city_stems = _stems(rng, CITY_STEMS, set())
        county_stems = _stems(rng, COUNTY_STEMS, set())
        rural_pool = list(VILLAGE_ROOTS) + [s + "家" + t for s in CLAN_SURNAMES for t in CLAN_SUFFIXES]
        county_sizes, township_sizes = iter(per_county), iter(per_township)
        for ci, n_counties in enumerate(per_city):
            code = f"{PROVINCE_PREFIX}{ci + 1:02d}" + "0" * 8
            city = Place(self._id(Region), code, next(city_stems) + "市", RegionLevel.CITY, self.province,
                         lat=rng.uniform(LAT_RANGE[0] + 0.5, LAT_RANGE[1] - 0.5),
                         lon=rng.uniform(LON_RANGE[0] + 0.6, LON_RANGE[1] - 0.6), user_id=self._id(User))
            self.cities.append(city)
            districts = max(1, round(n_counties * 0.3))
            if districts > 20 or n_counties - districts > 78:
                raise ValueError("too many counties in one city for 2-digit codes")
            for j in range(n_counties):
                district = j < districts
                own = j + 1 if district else 21 + j - districts
                county = Place(self._id(Region), code[:4] + f"{own:02d}" + "0" * 6,
                               next(county_stems) + ("区" if district else "县"), RegionLevel.COUNTY, city,
                               kind="district" if district else "county",
                               lat=city.lat + rng.uniform(-0.45, 0.45), lon=city.lon + rng.uniform(-0.55, 0.55),
                               user_id=self._id(User))
                self.counties.append(county)
                self._add_townships(rng, county, next(county_sizes), township_sizes, rural_pool)
        self.progress.say(
            f"区划:省 1,市 {len(self.cities)},县(区) {len(self.counties)},乡镇(街道) {len(self.townships)},"
            f"村(社区) {len(self.villages)}"
        )

    def _add_townships(self, rng: random.Random, county: Place, n: int, sizes, rural_pool: list[str]) -> None:
        if county.kind == "district":
            streets = max(1, round(n * 0.5))
            kinds = ["street"] * streets + ["town"] * (n - streets)
        else:
            streets = 1 if n >= 6 else 0
            xiang = round((n - streets) * 0.35)
            kinds = ["street"] * streets + ["town"] * (n - streets - xiang) + ["xiang"] * xiang
        stems = _stems(rng, TOWN_STEMS, set())
        counters: Counter = Counter()
        suffix = {"street": "街道", "town": "镇", "xiang": "乡"}
        base = {"street": 0, "town": 100, "xiang": 200}
        county_villages: list[VillageRec] = []
        for kind in kinds:
            counters[kind] += 1
            if counters[kind] > 99:
                raise ValueError("too many townships in one county for 3-digit codes")
            stem = next(stems)
            township = Place(self._id(Region), county.code[:6] + f"{base[kind] + counters[kind]:03d}000",
                             stem + suffix[kind], RegionLevel.TOWNSHIP, county, kind=kind,
                             lat=county.lat + rng.uniform(-0.18, 0.18), lon=county.lon + rng.uniform(-0.22, 0.22),
                             user_id=self._id(User))
            self.townships.append(township)
            size = next(sizes)
            communities = max(1, round(size * 0.75)) if kind == "street" else (1 if kind == "town" and size > 2 else 0)
            if communities > 199 or size - communities > 799:
                raise ValueError("too many villages in one township for 3-digit codes")
            rural = rng.sample(rural_pool, size - communities)
            urban = [stem] + rng.sample([c for c in COMMUNITY_NAMES if c != stem], min(communities, len(COMMUNITY_NAMES)))
            for i in range(size):
                if i < communities:
                    name = (urban[i] if i < len(urban) else rng.choice(rural_pool)) + "社区"
                    code = township.code[:9] + f"{i + 1:03d}"
                else:
                    name = rural[i - communities] + "村"
                    code = township.code[:9] + f"{201 + i - communities:03d}"
                county_villages.append(self._village(rng, code, name, township, community=i < communities))
        # A few advanced villages are paired one-to-one with a weak one of the same county (结对帮扶).
        advanced = [v for v in county_villages if "advanced" in v.categories]
        weak = [v for v in county_villages if {"weak_party", "weak_economy"} & set(v.categories)]
        for village in advanced:
            if weak and rng.random() < 0.3:
                partner = weak.pop(rng.randrange(len(weak)))
                village.paired_with = partner.id
        self.villages += county_villages

    def _village(self, rng: random.Random, code: str, name: str, township: Place, *, community: bool) -> VillageRec:
        spread = 0.015 if community else 0.05
        population = rng.randint(2800, 9500) if community else rng.randint(900, 4300)
        if community:
            roll = rng.random()
            cats: tuple[str, ...] = ("advanced",) if roll < 0.15 else ("weak_party",) if roll < 0.2 else ()
        elif rng.random() < 0.1:
            cats = ("advanced",)
        else:
            chosen = []
            if rng.random() < 0.26:
                chosen.append("poverty_exit")
                if rng.random() < 0.35:
                    chosen.append("key_assistance")
            elif rng.random() < 0.05:
                chosen.append("key_assistance")
            for cat, share in (("relocation", 0.06), ("weak_party", 0.08), ("weak_economy", 0.22)):
                if rng.random() < share:
                    chosen.append(cat)
            cats = tuple(chosen)
        return VillageRec(
            id=self._id(Village), code=code, name=name, township=township,
            lat=township.lat + rng.uniform(-spread, spread), lon=township.lon + rng.uniform(-spread, spread) * 1.2,
            population=population, households=round(population / rng.uniform(3.1, 3.8)), categories=cats,
            priority=any(self.categories[c][1] for c in cats),
        )

    # dispatching units

    def _units(self) -> None:
        rng = self._rng("units")
        target = self.scale.units
        n_province = min(len(PROVINCE_BODIES), max(1, round(target * 0.05)))
        n_township = min(len(self.townships), round(target * 0.10))
        n_city = max(len(self.cities), round(target * 0.20))
        n_county = max(len(self.counties), target - n_province - n_township - n_city)
        self.units: list[UnitRec] = []
        self.province_units: list[UnitRec] = []
        self.city_units: dict[int, list[UnitRec]] = defaultdict(list)
        self.county_units: dict[int, list[UnitRec]] = defaultdict(list)
        self.township_unit: dict[int, UnitRec] = {}
        area_codes = {city.id: f"0{531 + i}" for i, city in enumerate(self.cities)}

        def add(name: str, level: int, region: Place) -> UnitRec:
            city = region if level == RegionLevel.PROVINCE else region.up(RegionLevel.CITY) if level > 1 else region
            area = area_codes.get(city.id, "0531")
            unit = UnitRec(self._id(DispatchingUnit), name, level, region,
                           _person(rng, rng.choice("MF"), rng.randint(1968, 1995)),
                           f"{area}-{rng.randint(2000000, 8999999)}", user_id=self._id(User))
            self.units.append(unit)
            return unit

        def bodies(pool: list[str], n: int) -> list[str]:
            chosen = rng.sample(pool, min(n, len(pool)))
            return chosen + [f"第{k}中学" for k in range(3, 3 + n - len(chosen))]

        for body in bodies(PROVINCE_BODIES, n_province):
            self.province_units.append(add(PROVINCE_NAME + body, RegionLevel.PROVINCE, self.province))
        for city, n in zip(self.cities, _split(rng, n_city, len(self.cities)), strict=True):
            for body in bodies(CITY_BODIES, n):
                self.city_units[city.id].append(add(city.name + body, RegionLevel.CITY, city))
        for county, n in zip(self.counties, _split(rng, n_county, len(self.counties)), strict=True):
            for body in bodies(COUNTY_BODIES, n):
                self.county_units[county.id].append(add(county.name + body, RegionLevel.COUNTY, county))
        for township in sorted(rng.sample(self.townships, n_township), key=lambda t: t.code):
            office = "办事处" if township.kind == "street" else "人民政府"
            self.township_unit[township.id] = add(township.parent.name + township.name + office,
                                                  RegionLevel.TOWNSHIP, township)
        self.progress.say(f"派驻单位:{len(self.units):,} 个(省级 {n_province},市级 {n_city},县级 {n_county},"
                          f"乡镇 {n_township})")

    # cadres, postings, recalls

    def _pick_unit(self, rng: random.Random, village: VillageRec, role: str, level: int | None = None) -> UnitRec:
        if level is None:
            level = _draw(rng, ROLE_UNIT_LEVELS[role])
        county = village.township.parent
        pools = {
            RegionLevel.PROVINCE: self.province_units,
            RegionLevel.CITY: self.city_units[county.parent.id],
            RegionLevel.COUNTY: self.county_units[county.id],
        }
        pool = pools.get(level) or pools[RegionLevel.COUNTY]
        return rng.choice(pool)

    def _cadre(self, rng: random.Random, unit: UnitRec, role: str, ids: IdNumbers, phones: set[str]) -> CadreRec:
        gender = Gender.MALE if rng.random() < (0.8 if role != PostingRole.MEMBER else 0.66) else Gender.FEMALE
        start = datetime.date(1965, 1, 1)
        span = (datetime.date(2000, 12, 31) - start).days
        birth = start + datetime.timedelta(days=int(rng.triangular(0, span, span * 0.6)))
        age = self.year - birth.year
        if role != PostingRole.MEMBER:
            political = PoliticalStatus.CPC_MEMBER
        else:
            roll = rng.random()
            political = (PoliticalStatus.CPC_MEMBER if roll < 0.8 else PoliticalStatus.CPC_PROBATIONARY if roll < 0.86
                         else (PoliticalStatus.LEAGUE if age < 28 else PoliticalStatus.MASSES) if roll < 0.95
                         else PoliticalStatus.DEMOCRATIC_PARTY)
        roll = rng.random()
        education = (Education.POSTGRADUATE if roll < (0.2 if age < 35 else 0.07) else Education.BACHELOR if roll < 0.78
                     else Education.COLLEGE if roll < 0.96 or age < 45 else Education.SECONDARY)
        rank, post = self._career(rng, unit, role, age)
        while True:
            phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            if phone not in phones:
                phones.add(phone)
                break
        roll = rng.random()
        cadre = CadreRec(
            id=self._id(Cadre), name=_person(rng, gender, birth.year), gender=gender,
            ethnicity="回族" if roll < 0.012 else "满族" if roll < 0.02 else "汉族", birth=birth,
            id_number=ids.draw(rng, birth, gender), phone=phone, political=political, education=education,
            post=post, rank=rank, reserve=age <= 45 and rng.random() < 0.2, unit=unit, user_id=self._id(User),
        )
        # How the cadre keeps the register: most are in the village two days in three or more (the rest on
        # official business, rarely absent); a few are often away, and a very few hardly there at all, so
        # early warnings and quarters below the minimum exist.
        roll = rng.random()
        if roll < 0.015:
            cadre.profile, cadre.present = "poor", rng.uniform(0.25, 0.4)
            cadre.counted, cadre.absent_found, cadre.diary_rate = cadre.present + 0.06, 0.35, 0.5
        elif roll < 0.075:
            cadre.profile, cadre.present = "weak", rng.uniform(0.55, 0.65)
            cadre.counted, cadre.absent_found, cadre.diary_rate = 1 - rng.uniform(0.05, 0.12), 0.08, 1.5
        else:
            cadre.present = rng.uniform(0.66, 0.84)
            cadre.counted, cadre.absent_found, cadre.diary_rate = 1 - rng.uniform(0.004, 0.018), 0.012, rng.uniform(2, 4)
        return cadre

    def _career(self, rng: random.Random, unit: UnitRec, role: str, age: int) -> tuple[str, str]:
        if unit.level == RegionLevel.TOWNSHIP:
            town = unit.region.name
            title = rng.choice(["党委委员、副{t}长", "党委委员、组织委员", "党委委员、武装部部长", "人大主席团副主席"])
            return Rank.SECTION_DEPUTY, town + title.format(t=town[-1] if town[-1] in "镇乡" else "主任")
        roll = rng.random()
        institution = unit.name.endswith(("中心", "医院", "中学", "小学", "学院", "站", "所", "院", "馆"))
        if role == PostingRole.FIRST_SECRETARY and age >= 33:
            rank = Rank.SECTION_CHIEF if roll < 0.35 else Rank.SECTION_DEPUTY
        elif age < 30:
            rank = Rank.CLERK if roll < 0.25 else Rank.STAFF
        elif age < 40:
            rank = Rank.STAFF if roll < 0.6 else Rank.SECTION_DEPUTY
        else:
            rank = Rank.STAFF if roll < 0.4 else Rank.SECTION_DEPUTY if roll < 0.85 else Rank.SECTION_CHIEF
        if institution and rank in (Rank.STAFF, Rank.CLERK):
            return Rank.NON_CIVIL, unit.name + rng.choice(INSTITUTION_TITLES)
        title = {
            Rank.SECTION_CHIEF: rng.choice(["科长", "一级主任科员", "办公室主任"]),
            Rank.SECTION_DEPUTY: rng.choice(["副科长", "四级主任科员", "三级主任科员"]),
            Rank.STAFF: rng.choice(["一级科员", "二级科员", "干事"]),
            Rank.CLERK: "一级办事员",
        }[rank]
        return rank, unit.name + title

    def _people(self) -> None:
        rng = self._rng("people")
        sc = self.scale
        self.round_id = self._id(DispatchRound)
        ids, phones = IdNumbers(), set()
        self.cadres: list[CadreRec] = []
        self.postings: list[PostingRec] = []
        sizes = _split(rng, sc.cadres - sc.recalls, len(self.villages), jitter=0.3, minimum=2)
        ended_status = PostingStatus.COMPLETED if self.round_over else PostingStatus.IN_POST
        ended_date = self.round_end if self.round_over else None
        for village, size in zip(self.villages, sizes, strict=True):
            township_unit = self.township_unit.get(village.township.id)
            roles = [PostingRole.FIRST_SECRETARY]
            if township_unit is not None and size >= 3 and rng.random() < 0.8:
                roles.append(PostingRole.TEAM_LEADER)
            roles += [PostingRole.MEMBER] * (size - len(roles))
            for role in roles:
                unit = township_unit if role == PostingRole.TEAM_LEADER else self._pick_unit(rng, village, role)
                cadre = self._cadre(rng, unit, role, ids, phones)
                self.cadres.append(cadre)
                start = self.round_start
                if rng.random() < 0.1:
                    start += datetime.timedelta(days=rng.randint(5, 45))  # arrived late in the first weeks
                self.postings.append(PostingRec(self._id(Posting), cadre, village, unit, role, start, ended_date,
                                                ended_status))
        # Recalls during the year, each replaced by the unit (or another unit of the same level) with a new
        # cadre in the same village and role, arriving after the recall date (the deadline is 30 days).
        recall_from, recall_to = datetime.date(self.year, 3, 1), min(datetime.date(self.year, 10, 31),
                                                                     self.cal.last - datetime.timedelta(days=20))
        self.recalls: list[PostingRec] = []
        for posting in sorted(rng.sample(self.postings, min(sc.recalls, len(self.postings))), key=lambda p: p.id):
            low = max(recall_from, posting.start + datetime.timedelta(days=30))
            if low > recall_to:
                continue
            day = low + datetime.timedelta(days=rng.randint(0, (recall_to - low).days))
            reason = _draw(rng, RECALL_REASONS)
            county = posting.village.township.parent
            decider = county.parent if posting.unit.level <= RegionLevel.CITY else county
            if reason in ("unit_request", "health"):
                proposed_by, body = posting.unit.user_id, posting.unit.name
            else:
                proposed_by, body = county.user_id, f"{county.name}委组织部"
            posting.recall = RecallRec(self._id(self.Recall) if self.Recall else 0, reason, day, proposed_by, body,
                                       decider, decider.user_id)
            posting.status, posting.end = PostingStatus.RECALLED, day
            self.recalls.append(posting)
            unit = posting.unit if rng.random() < 0.9 else self._pick_unit(
                rng, posting.village, posting.role, level=posting.unit.level if posting.unit.level > 1 else None)
            cadre = self._cadre(rng, unit, posting.role, ids, phones)
            self.cadres.append(cadre)
            start = day + datetime.timedelta(days=rng.randint(10, 45))
            if start > self.round_end:
                continue
            self.postings.append(PostingRec(self._id(Posting), cadre, posting.village, unit, posting.role, start,
                                            ended_date, ended_status, replaces=posting))
        self.progress.say(f"干部:{len(self.cadres):,} 人,派驻记录 {len(self.postings):,} 条(召回 {len(self.recalls)})")

    def _write_organisation(self) -> None:
        cal = self.cal
        regions = [self.province, *self.cities, *self.counties, *self.townships]
        self._write(Region, ["id", "code", "name", "level", "parent"],
                    ((r.id, r.code, r.name, r.level, r.parent.id if r.parent else None) for r in regions), "区划")
        six = Decimal("0.000001")
        self._write(Village, ["id", "code", "name", "township", "latitude", "longitude", "paired_with", "population",
                              "households", "note"],
                    ((v.id, v.code, v.name, v.township.id, Decimal(v.lat).quantize(six), Decimal(v.lon).quantize(six),
                      v.paired_with, v.population, v.households, "") for v in self.villages), "村(社区)")
        self._write(Village.categories.through, ["village", "villagecategory"],
                    ((v.id, self.categories[c][0]) for v in self.villages for c in v.categories), "村分类")
        self._write(DispatchingUnit, ["id", "name", "level", "region", "contact_name", "contact_phone"],
                    ((u.id, u.name, u.level, u.region.id, u.contact, u.phone) for u in self.units), "派驻单位")
        self._write(DispatchRound, ["id", "name", "region", "start_date", "end_date", "note"],
                    [(self.round_id, "第三轮", self.province.id, self.round_start, self.round_end,
                      f"{PROVINCE_NAME}第三轮驻村工作,{self.round_start:%Y年%m月}至{self.round_end:%Y年%m月},任期两年。")],
                    "派驻轮次")
        created = cal.at(self.round_start - datetime.timedelta(days=20), 10 * 60)
        self._write(Cadre, ["id", "name", "gender", "ethnicity", "birth_date", "id_number", "id_tail", "phone",
                            "political_status", "education", "original_post", "rank", "is_reserve_cadre", "unit",
                            "created_at", "updated_at"],
                    ((c.id, c.name, c.gender, c.ethnicity, c.birth, c.id_number, c.id_number[-6:], c.phone, c.political,
                      c.education, c.post, c.rank, c.reserve, c.unit.id, created, created) for c in self.cadres),
                    "干部")

        def posting_row(p: PostingRec) -> tuple:
            made = cal.at(p.start - datetime.timedelta(days=3), 9 * 60)
            changed = cal.at(p.end, 16 * 60) if p.status == PostingStatus.RECALLED else made
            return (p.id, p.cadre.id, p.village.id, self.round_id, p.unit.id, p.role, p.status, p.start, p.end,
                    p.replaces.id if p.replaces else None, "替补召回干部" if p.replaces else "", made, changed)

        self._write(Posting, ["id", "cadre", "village", "round", "unit", "role", "status", "start_date", "end_date",
                              "replaces", "note", "created_at", "updated_at"],
                    (posting_row(p) for p in self.postings), "派驻记录")

        def recall_row(p: PostingRec) -> tuple:
            r = p.recall
            return (r.id, p.id, r.reason, f"{p.cadre.name}因{RECALL_REASON_TEXT[r.reason]}召回。", r.date,
                    "approved", r.proposed_by, r.proposer_body, cal.at(r.date - datetime.timedelta(days=14), 10 * 60),
                    r.decider.level, r.decider.id, r.decided_by, cal.at(r.date - datetime.timedelta(days=5), 15 * 60),
                    "同意召回。", r.date + datetime.timedelta(days=30))

        self._write(self.Recall, ["id", "posting", "reason", "note", "recall_date", "status", "proposed_by",
                                  "proposer_body", "proposed_at", "decider_level", "decider_region", "decided_by",
                                  "decided_at", "decision_comment", "replacement_due"],
                    (recall_row(p) for p in self.recalls), "召回")
        self._accounts()

    def _accounts(self) -> None:
        rng = self._rng("accounts")
        joined = self.cal.at(self.round_start - datetime.timedelta(days=30), 9 * 60)
        rows = []

        def add(user_id: int, username: str, name: str, role: str, region: Place | None = None,
                unit: UnitRec | None = None, cadre: CadreRec | None = None) -> None:
            rows.append((user_id, self.password, None, False, username, name[1:], name[:1], "", False, True, joined,
                         role, region.id if region else None, unit.id if unit else None, cadre.id if cadre else None,
                         cadre.phone if cadre else ""))

        def someone() -> str:
            return _person(rng, rng.choice("MMF"), rng.randint(1970, 1995))

        for place in [self.province, *self.cities, *self.counties]:
            prefix = place.code[: {1: 2, 2: 4, 3: 6}[place.level]]
            add(place.user_id, f"org{prefix}", someone(), Role.ORG_DEPT, region=place)
        for township in self.townships:
            add(township.user_id, f"tsp{township.code[:9]}", someone(), Role.TOWNSHIP, region=township)
        for i, unit in enumerate(self.units, start=1):
            add(unit.user_id, f"unit{i:05d}", unit.contact, Role.UNIT, unit=unit)
        for i, cadre in enumerate(self.cadres, start=1):
            add(cadre.user_id, f"cadre{i:06d}", cadre.name, Role.CADRE, cadre=cadre)
        self._write(User, ["id", "password", "last_login", "is_superuser", "username", "first_name", "last_name",
                           "email", "is_staff", "is_active", "date_joined", "role", "region", "unit", "cadre",
                           "phone"], rows, "账号")

    # training (培训, theory study, work exchange)

    def _trainings(self) -> None:
        self.city_trainings: dict[int, list[TrainingRec]] = defaultdict(list)
        self.county_trainings: dict[int, list[TrainingRec]] = defaultdict(list)
        self.training_tails: dict[int, str] = {}
        # Days of organized training per county (its own and its city's): inspections are not held then.
        self.busy_days: dict[int, set[int]] = defaultdict(set)
        if self.TrainingEvent is None:
            return
        rng = self._rng("training")
        cal, year = self.cal, self.year
        rows = []

        def weekday_from(day: datetime.date, weekday: int) -> datetime.date:
            return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)

        def add(title: str, kind: str, region: Place, start: datetime.date, days: int, counts: bool, leaders: bool,
                location: str, note: str, target: list[TrainingRec]) -> None:
            end = start + datetime.timedelta(days=days - 1)
            if start < cal.first or end > cal.last:
                return
            event = TrainingRec(self._id(self.TrainingEvent), title, kind, region, start, end, counts, leaders)
            target.append(event)
            self.training_tails[event.id] = _tail(DayStatus.TRAINING, DaySource.TRAINING, note=f"培训:{title}"[:200],
                                                  set_by=region.user_id)
            rows.append((event.id, title, kind, region.id, start, end, location, counts, note, None, region.user_id,
                         cal.at(start - datetime.timedelta(days=20), 10 * 60)))

        for i, city in enumerate(self.cities):
            for month, label in ((3, "春季"), (9, "秋季")):
                start = weekday_from(datetime.date(year, month, 8), 1) + datetime.timedelta(weeks=i % 2)
                add(f"{year}年{label}{city.name}驻村第一书记和工作队长轮训班", "training", city, start, 2, True, True,
                    f"{city.name}委党校", "集中脱产培训,学习乡村振兴政策和驻村工作方法。", self.city_trainings[city.id])
        for i, county in enumerate(self.counties):
            target = self.county_trainings[county.id]
            for month in (6, 12):
                start = weekday_from(datetime.date(year, month, 1), 3) + datetime.timedelta(weeks=i % 3)
                add(f"{year}年{month}月{county.name}驻村干部业务培训", "training", county, start, 1, True, False,
                    f"{county.name}委党校", "集中培训防返贫监测、村级事务管理等业务知识。", target)
            for quarter, month in enumerate((2, 5, 8, 11), start=1):
                start = weekday_from(datetime.date(year, month, 10), 4) + datetime.timedelta(weeks=i % 2)
                add(f"{year}年第{quarter}季度{county.name}驻村干部理论学习", "theory_study", county, start, 1, False, False,
                    f"{county.name}委组织部会议室", "学习党的理论和上级文件精神。", target)
            for month in (4, 10):
                start = weekday_from(datetime.date(year, month, 15), 2) + datetime.timedelta(weeks=rng.randint(0, 1))
                add(f"{year}年{month}月{county.name}驻村工作交流会", "work_exchange", county, start, 1, False, False,
                    f"{county.name}委组织部会议室", "交流驻村帮扶经验做法。", target)
            for event in target + self.city_trainings[county.parent.id]:
                if event.counts:
                    self.busy_days[county.id].update(range(cal.index(event.start), cal.index(event.end) + 1))
        self._write(self.TrainingEvent, ["id", "title", "kind", "region", "start_date", "end_date", "location",
                                         "counts_as_training", "note", "cancelled_at", "created_by", "created_at"],
                    rows, "培训学习交流")

    # leave

    def _leave(self) -> None:
        rng = self._rng("leave")
        cal = self.cal
        self.leaves: list[LeaveRec] = []
        last = cal.index(cal.last)
        for posting in self.postings:
            window = posting.window(cal)
            if window is None:
                continue
            a, b = window
            share = (b - a + 1) / 365
            taken: list[tuple[int, int]] = []
            for _ in range(_draw(rng, LEAVE_COUNTS)):
                if rng.random() < share:
                    self._place_leave(rng, posting, a, b, b == last, taken)
        self._write_leave()

    def _place_leave(self, rng: random.Random, p: PostingRec, a: int, b: int, to_the_end: bool,
                     taken: list[tuple[int, int]]) -> None:
        cal = self.cal
        kind = _draw(rng, LEAVE_KINDS)
        length = _draw(rng, LEAVE_LENGTHS)
        status = _draw(rng, LEAVE_STATES)
        if not to_the_end:
            # Pending or not yet returned only makes sense at the end of the data, not before a recall.
            status = {LeaveStatus.APPROVED: LeaveStatus.RETURNED, LeaveStatus.SUBMITTED: LeaveStatus.REJECTED}.get(
                status, status)
        if status in (LeaveStatus.APPROVED, LeaveStatus.SUBMITTED):
            low, high = max(a, b - 20), b - length + 1
        else:
            low, high = a, b - length + 1 - 4  # room for a late return
        if high < low:
            return
        festival = SPRING_FESTIVAL.get(self.year)
        for _attempt in range(8):
            start = rng.randint(low, high)
            if kind == LeaveKind.FAMILY and festival and rng.random() < 0.5:
                near = cal.index(datetime.date(self.year, *festival)) - rng.randint(0, 4)
                if low <= near <= high:
                    start = near
            end = start + length - 1
            if all(start - 3 > e or end + 5 < s for s, e in taken):
                break
        else:
            return
        taken.append((start, end))
        start_half, end_half = HalfDay.AM, HalfDay.PM
        if length == 1 and rng.random() < 0.12:
            start_half, end_half = (HalfDay.AM, HalfDay.AM) if rng.random() < 0.5 else (HalfDay.PM, HalfDay.PM)
        elif length > 1:
            start_half = HalfDay.PM if rng.random() < 0.08 else HalfDay.AM
            end_half = HalfDay.AM if rng.random() < 0.08 else HalfDay.PM
        first, last = cal.days[start], cal.days[end]
        days = LeaveRequest.length(first, start_half, last, end_half)
        route = next(r for r in DEFAULT_LEAVE_ROUTES if r["max_days"] is None or days <= r["max_days"])
        township = p.village.township
        approver = township.up(route["approver_level"])
        filed = [township.up(int(level)) for level in route["filing_levels"]]
        retro = status in (LeaveStatus.APPROVED, LeaveStatus.RETURNED) and rng.random() < 0.03
        if retro:
            submitted = cal.at(first + ONE_DAY, 9 * 60 + 30)
            requested_by = approver.user_id
        else:
            submitted = cal.at(first - datetime.timedelta(days=rng.randint(1, 5)), 8 * 60 + 20 + rng.randint(0, 540))
            requested_by = p.cadre.user_id if rng.random() < 0.9 else township.user_id
        reason = "春节回家探亲" if kind == LeaveKind.FAMILY and festival and abs(
            (first - datetime.date(self.year, *festival)).days) <= 5 else rng.choice(LEAVE_REASONS[kind])
        leave = LeaveRec(
            id=self._id(LeaveRequest), posting=p, kind=kind, start=first, start_half=start_half, end=last,
            end_half=end_half, days=days, status=status, reason=reason, approver_level=route["approver_level"],
            approver=approver, filed=filed, approver_user=approver.user_id, requested_by=requested_by,
            submitted_at=submitted,
        )
        # Decided by the approver; half the withdrawn requests were approved before they were withdrawn.
        decided = status in (LeaveStatus.APPROVED, LeaveStatus.RETURNED, LeaveStatus.REJECTED) or (
            status == LeaveStatus.WITHDRAWN and rng.random() < 0.5)
        if decided:
            if retro:
                leave.decided_at = submitted + datetime.timedelta(minutes=10)
                leave.decision_comment, leave.retroactive_reason = "补办", rng.choice(RETRO_REASONS)
            else:
                latest = cal.at(first - ONE_DAY, 17 * 60 + 50)
                decided = min(submitted + datetime.timedelta(hours=rng.randint(1, 20)), latest)
                leave.decided_at = max(decided, submitted + datetime.timedelta(minutes=20))
            if status == LeaveStatus.REJECTED:
                leave.decision_comment = rng.choice(REJECT_COMMENTS)
        if status == LeaveStatus.WITHDRAWN:
            leave.withdrawn_at = (leave.decided_at or submitted) + datetime.timedelta(hours=3)
        full = [d for d in range(start + (start_half == HalfDay.PM), end - (end_half == HalfDay.AM) + 1)]
        if status == LeaveStatus.RETURNED:
            expected = last if end_half == HalfDay.AM else last + ONE_DAY
            roll = rng.random()
            if roll < 0.85:
                returned = expected
            elif roll < 0.95 and len(full) >= 2:
                returned = cal.days[full[0]] + datetime.timedelta(days=rng.randint(1, len(full) - 1))  # early
            else:
                returned = expected + datetime.timedelta(days=rng.randint(1, 3))  # late, without an extension
            if returned >= self.today:
                leave.status = LeaveStatus.APPROVED  # not back yet
            else:
                leave.returned_on = returned
                leave.returned_at = cal.at(returned, 8 * 60 + 45 + rng.randint(0, 90))
                leave.late_days = max(0, (returned - expected).days)
                leave.late_absent = [i for i in range(cal.index(expected), cal.index(expected) + leave.late_days)
                                     if a <= i <= b]
        if leave.status in (LeaveStatus.APPROVED, LeaveStatus.RETURNED):
            until = cal.index(leave.returned_on) if leave.returned_on else b + 1
            leave.leave_days = [i for i in full if a <= i <= b and i < until]
        p.leaves.append(leave)
        self.leaves.append(leave)

    def _write_leave(self) -> None:
        def leave_row(lv: LeaveRec) -> tuple:
            p = lv.posting
            decided = lv.status in (LeaveStatus.APPROVED, LeaveStatus.RETURNED, LeaveStatus.REJECTED) or (
                lv.decided_at is not None)
            return (lv.id, p.cadre.id, p.id, p.village.id, lv.kind, lv.start, lv.start_half, lv.end, lv.end_half,
                    lv.days, lv.days, lv.reason, lv.status, None, bool(lv.retroactive_reason), lv.retroactive_reason,
                    lv.approver_level, lv.approver.id, lv.requested_by, lv.submitted_at,
                    lv.approver_user if decided else None, lv.decided_at, lv.decision_comment, lv.returned_on,
                    lv.returned_at, lv.late_days, lv.submitted_at)

        self._write(LeaveRequest, ["id", "cadre", "posting", "village", "kind", "start_date", "start_half", "end_date",
                                   "end_half", "days", "total_days", "reason", "status", "extends", "is_retroactive",
                                   "retroactive_reason", "approver_level", "approver_region", "requested_by",
                                   "submitted_at", "decided_by", "decided_at", "decision_comment", "returned_on",
                                   "returned_at", "late_days", "created_at"],
                    (leave_row(lv) for lv in self.leaves), "请假")
        self._write(LeaveRequest.filed_with.through, ["leaverequest", "region"],
                    ((lv.id, r.id) for lv in self.leaves for r in lv.filed), "请假备案")

        def events(lv: LeaveRec) -> Iterable[tuple]:
            cadre_user = lv.posting.cadre.user_id
            yield (lv.id, lv.submitted_at, lv.requested_by, "submit",
                   f"补办:{lv.retroactive_reason}" if lv.retroactive_reason else "")
            if lv.decided_at is not None:
                action = "reject" if lv.status == LeaveStatus.REJECTED else "approve"
                yield (lv.id, lv.decided_at, lv.approver_user, action, lv.decision_comment)
            if lv.withdrawn_at is not None:
                yield (lv.id, lv.withdrawn_at, cadre_user, "withdraw", "")
            if lv.returned_at is not None:
                yield (lv.id, lv.returned_at, cadre_user, "return", f"返岗日期 {lv.returned_on.isoformat()}")

        self._write(LeaveEvent, ["leave", "at", "actor", "action", "comment"],
                    (row for lv in self.leaves for row in events(lv)), "请假记录")

    # inspections

    def _inspections(self) -> None:
        self.inspections: list[tuple[InspectionRec, list[VillageRec]]] = []
        self.absent_findings: list[tuple[int, InspectionRec, PostingRec]] = []
        if self.Inspection is None or self.InspectionFinding is None:
            return
        rng = self._rng("inspections")
        cal = self.cal
        by_township: dict[int, list[VillageRec]] = defaultdict(list)
        by_county: dict[int, list[VillageRec]] = defaultdict(list)
        by_city: dict[int, list[VillageRec]] = defaultdict(list)
        for v in self.villages:
            by_township[v.township.id].append(v)
            by_county[v.township.parent.id].append(v)
            by_city[v.township.parent.parent.id].append(v)
        townships_of: dict[int, list[Place]] = defaultdict(list)
        for t in self.townships:
            townships_of[t.parent.id].append(t)
        quarters = []
        for first_month in (1, 4, 7, 10):
            spans = [cal.month_span[m] for m in range(first_month, first_month + 3) if m in cal.month_span]
            if spans:
                quarters.append((spans[0][0], spans[-1][1]))

        def visit(region: Place, kind: str, day: int, pool: list[VillageRec], n: int) -> None:
            chosen = [v for v in rng.sample(pool, min(len(pool), n))
                      if day not in self.busy_days[v.township.parent.id] and all(d != day for d, _r in v.inspections)]
            if not chosen:
                return
            record = InspectionRec(self._id(self.Inspection), cal.days[day], kind, region, region.user_id,
                                   "暗访" if kind == "unannounced" else "督查")
            for v in chosen:
                v.inspections.append((day, record))
            self.inspections.append((record, chosen))

        def weekday(low: int, high: int) -> int:
            while True:
                day = rng.randint(low, high)
                if cal.days[day].weekday() < 5 or high - low < 3:
                    return day

        # Each county's organization department at least once a quarter (several times, in practice), and
        # the city's unannounced visits across its counties.
        for county in self.counties:
            for low, high in quarters:
                for _ in range(rng.randint(3, 6)):
                    day = weekday(low, high)
                    if rng.random() < 0.7:
                        pool = by_township[rng.choice(townships_of[county.id]).id]
                    else:
                        pool = by_county[county.id]
                    visit(county, "planned" if rng.random() < 0.75 else "unannounced", day, pool, rng.randint(2, 4))
        for city in self.cities:
            for low, high in quarters:
                for _ in range(rng.randint(1, 2)):
                    visit(city, "unannounced" if rng.random() < 0.7 else "planned", weekday(low, high),
                          by_city[city.id], rng.randint(3, 5))
        for v in self.villages:
            v.inspections.sort(key=lambda item: item[0])
        names = self._rng("inspectors")
        self._write(self.Inspection, ["id", "date", "kind", "inspectors", "region", "note", "recorded_by", "created_at"],
                    ((r.id, r.date, r.kind,
                      f"{r.region.name}委组织部 {_person(names, 'M', 1975)}、{_person(names, 'F', 1985)}",
                      r.region.id, names.choice(INSPECTION_NOTES), r.recorded_by, cal.at(r.date, 18 * 60))
                     for r, _v in self.inspections), "督查")
        self._write(self.Inspection.villages.through, ["inspection", "village"],
                    ((r.id, v.id) for r, villages in self.inspections for v in villages), "督查村")

    def _plan_confirmations(self) -> None:
        """The last month each township confirmed: most have confirmed the whole year, some are a month or two
        behind. Unrecorded days only occur after it (a confirmed month has none)."""
        rng = self._rng("confirmations")
        latest = max(self.cal.complete_months, default=0)
        for township in self.townships:
            roll = rng.random()
            township.last_confirmed = min(latest, 12 if roll < 0.88 else 11 if roll < 0.96 else 10)

    # the register, tallies, findings, training participants and diary: cadre by cadre

    def _register(self) -> None:
        self._plan_confirmations()
        rng = self._rng("register")
        loader = self.loader
        self.next_register_id = self._id(AttendanceDay)  # explicit ids, see Loader.next_id
        total, done, rows = len(self.postings), 0, 0
        last_said = time.monotonic()
        for first in range(0, total, self.chunk):
            out = _Chunk()
            for posting in self.postings[first:first + self.chunk]:
                self._posting_year(rng, posting, out)
            loader.text(AttendanceDay, REGISTER_FIELDS, out.register, out.register_rows)
            loader.rows(MonthlyTally, ["posting", "cadre", "month", "present", "leave", "business", "training",
                                       "absent"], out.tallies)
            if self.InspectionFinding is not None:
                loader.rows(self.InspectionFinding, ["id", "inspection", "cadre", "posting", "village", "finding", "note"],
                            out.findings)
            if self.TrainingParticipant is not None:
                loader.rows(self.TrainingParticipant, ["event", "cadre", "attended"], out.participants)
            if self.DiaryEntry is not None:
                loader.rows(self.DiaryEntry, DIARY_FIELDS, out.diary)
            done += min(self.chunk, total - first)
            rows += out.register_rows
            if time.monotonic() - last_said > 10 or done == total:
                last_said = time.monotonic()
                self.progress.say(f"考勤簿:{done:,}/{total:,} 条派驻记录,{rows:,} 行")
        counts = loader.counts
        self.progress.say(
            f"月度统计 {counts[MonthlyTally._meta.label]:,} 行,督查结果 "
            f"{counts.get('attendance.InspectionFinding', 0):,} 行,参训记录 {counts.get('attendance.TrainingParticipant', 0):,} 行,"
            f"民情日记 {counts.get('attendance.DiaryEntry', 0):,} 行"
        )

    def _township_tails(self, township: Place) -> list[str | None]:
        """The township's own entries (present, business, absent; indexed by code) and a late return's absence."""
        tails = self._tails_cache.get(township.id)
        if tails is None:
            user = township.user_id
            tails = [
                _tail(DayStatus.PRESENT, DaySource.TOWNSHIP, set_by=user), None,
                _tail(DayStatus.BUSINESS, DaySource.TOWNSHIP, set_by=user), None,
                _tail(DayStatus.ABSENT, DaySource.TOWNSHIP, set_by=user),
                _tail(DayStatus.ABSENT, DaySource.RETURN, flagged=True, note=RETURN_NOTE, set_by=user),
            ]
            self._tails_cache[township.id] = tails
        return tails

    def _posting_year(self, rng: random.Random, p: PostingRec, out: "_Chunk") -> None:
        cal = self.cal
        window = p.window(cal)
        if window is None:
            return
        a, b = window
        cadre, village = p.cadre, p.village
        township = village.township
        tails = self._township_tails(township)
        # Days decided by a record rather than by the township's daily entry: day index → (code, row tail).
        fixed: dict[int, tuple[int, str | None]] = {}
        for leave in p.leaves:
            leave_tail = _tail(DayStatus.LEAVE, DaySource.LEAVE, leave=leave.id, set_by=leave.approver_user)
            for i in leave.leave_days:
                fixed[i] = (LEAVE, leave_tail)
            for i in leave.late_absent:
                fixed[i] = (ABSENT, tails[5])
        county = township.parent
        events = self.county_trainings.get(county.id, [])
        if p.role != PostingRole.MEMBER:
            events = events + self.city_trainings.get(county.parent.id, [])
        for event in events:
            s, e = cal.index(event.start), cal.index(event.end)
            if not (a <= s and e <= b):
                continue  # in post for the whole event only
            on_leave = any(fixed.get(i, (None,))[0] == LEAVE for i in range(s, e + 1))
            out.participants.append((event.id, cadre.id, not on_leave))
            if event.counts and not on_leave:
                for i in range(s, e + 1):
                    fixed.setdefault(i, (TRAINING, self.training_tails[event.id]))
        for day, inspection in village.inspections:
            if not a <= day <= b:
                continue
            code = fixed.get(day, (None,))[0]
            note = ""
            if code == LEAVE:
                result = "on_leave"
            elif code == TRAINING:
                result, note = "business", "参加组织培训"
            elif code == ABSENT or (p.absences < 2 and rng.random() < cadre.absent_found):
                result, note = "absent", rng.choice(ABSENCE_NOTES)
            elif rng.random() < 0.06:
                result, note = "business", rng.choice(("在乡镇参加会议", "外出协调帮扶项目", "陪同群众到县城办事"))
            else:
                result = "present"
            finding_id = self._id(self.InspectionFinding)
            out.findings.append((finding_id, inspection.id, cadre.id, p.id, village.id, result, note))
            if result == "absent" and p.absences < 2:
                # Written into the register as the inspection service does; at most two a year, so no cadre
                # reaches the not-competent threshold that would need a recall proposal.
                p.absences += 1
                text = (f"{inspection.label}发现不在岗" + (f":{note}" if note else ""))[:200]
                fixed[day] = (ABSENT, _tail(DayStatus.ABSENT, DaySource.INSPECTION, flagged=True, note=text,
                                            set_by=inspection.recorded_by))
                self.absent_findings.append((finding_id, inspection, p))
            elif result == "business":
                fixed[day] = (BUSINESS, tails[BUSINESS])
            elif result == "present":
                fixed[day] = (PRESENT, tails[PRESENT])
        if self.DiaryEntry is not None:
            expected = (b - a + 1) / 30.4 * cadre.diary_rate
            wanted = int(expected) + (rng.random() < expected - int(expected))
            chosen: set[int] = set()
            for _attempt in range(wanted * 4):
                if len(chosen) >= wanted:
                    break
                i = rng.randint(a, b)
                if i not in fixed and i not in chosen:
                    chosen.add(i)
            for i in sorted(chosen):
                fixed[i] = (PRESENT, tails[PRESENT])  # a diary day is a day in the village
                out.diary.append(self._diary_row(rng, cadre, p, cal.days[i]))
        for month in range(cal.month_of[a], cal.month_of[b] + 1):
            if month > township.last_confirmed and rng.random() < 0.6:
                # The township has not finished this month yet: its last days are still unrecorded.
                _first, month_last = cal.month_span[month]
                for i in range(max(month_last - rng.randint(1, 10) + 1, a), min(month_last, b) + 1):
                    fixed.setdefault(i, (NONE, None))
        row_id = self.next_register_id
        head = f"\t{cadre.id}\t{p.id}\t"
        day_text = cal.day_text
        present, counted = cadre.present, cadre.counted
        rnd = rng.random
        codes: list[int] = []
        lines: list[str] = []
        for i in range(a, b + 1):
            f = fixed.get(i)
            if f is None:
                r = rnd()
                code = PRESENT if r < present else BUSINESS if r < counted else ABSENT
                lines.append(str(row_id) + head + day_text[i] + tails[code])
                row_id += 1
            else:
                code = f[0]
                if f[1] is not None:
                    lines.append(str(row_id) + head + day_text[i] + f[1])
                    row_id += 1
            codes.append(code)
        self.next_register_id = row_id
        out.register.append("".join(lines))
        out.register_rows += len(lines)
        for month in range(cal.month_of[a], cal.month_of[b] + 1):
            first, last = cal.month_span[month]
            segment = codes[max(first, a) - a: min(last, b) - a + 1]
            counts = (segment.count(PRESENT), segment.count(LEAVE), segment.count(BUSINESS), segment.count(TRAINING),
                      segment.count(ABSENT))
            if any(counts):
                out.tallies.append((p.id, cadre.id, datetime.date(self.year, month, 1), *counts))

    def _diary_row(self, rng: random.Random, cadre: CadreRec, p: PostingRec, day: datetime.date) -> tuple:
        topic = rng.choice(DIARY_TOPICS)
        households = 0 if rng.random() < 0.35 else rng.randint(1, 12)
        if households:
            parts = [f"走访农户{households}户,重点了解{topic}情况。"]
        else:
            parts = [rng.choice((f"参加村“两委”会议,研究{topic}工作。", "组织党员学习,开展主题党日活动。",
                                 f"整理{topic}工作台账,完善帮扶档案。", f"到乡镇汇报{topic}工作进展。"))]
        found = resolved = matters = projects = jobs = 0
        funds = Decimal("0.00")
        major, major_note = False, ""
        if rng.random() < 0.05:
            found = rng.randint(1, 2)
            resolved = found if rng.random() < 0.8 else found - 1
            parts.append(f"排查矛盾纠纷{found}件,化解{resolved}件。")
        if rng.random() < 0.2:
            matters = rng.randint(1, 3)
            parts.append(f"为群众办实事{matters}件:{rng.choice(DIARY_MATTERS)}。")
        if rng.random() < 0.01:
            projects = 1
            parts.append(f"协调启动{rng.choice(DIARY_PROJECTS)}项目。")
        if rng.random() < 0.02:
            funds = Decimal(rng.randint(50, 3000) * 100).quantize(Decimal("0.01"))
            parts.append(f"协调帮扶资金{int(funds)}元。")
        if rng.random() < 0.02:
            jobs = rng.randint(1, 20)
            parts.append(f"联系企业带动{jobs}名村民就近务工。")
        if rng.random() < 0.003:
            major, major_note = True, rng.choice(MAJOR_EVENTS)
            parts.append(major_note + "。")
        at = self.cal.at(day, 20 * 60 + rng.randint(0, 150))
        return (cadre.id, p.id, day, "".join(parts), households, found, resolved, matters, projects, funds, jobs,
                major, major_note, at, at)

    # after the register: confirmations, rectification, evaluation, awards, support

    def _confirmations(self) -> None:
        rng = self._rng("confirmed-at")
        cal = self.cal

        def rows() -> Iterable[tuple]:
            for township in self.townships:
                for month in range(1, township.last_confirmed + 1):
                    after = _month_end(datetime.date(self.year, month, 1)) + datetime.timedelta(days=rng.randint(1, 4))
                    yield (township.id, datetime.date(self.year, month, 1), township.user_id,
                           cal.at(after, 9 * 60 + rng.randint(0, 480)))

        self._write(MonthConfirmation, ["township", "month", "confirmed_by", "confirmed_at"], rows(), "考勤月度确认")

    def _rectifications(self) -> None:
        if self.Rectification is None or self.Inspection is None:
            return
        rng = self._rng("rectifications")
        cal = self.cal
        rows = []

        def add(inspection: InspectionRec, finding: int | None, text: str, owner: str) -> None:
            deadline = inspection.date + datetime.timedelta(days=rng.choice((15, 30)))
            done_day = inspection.date + datetime.timedelta(days=rng.randint(3, 40))
            done = rng.random() < 0.85 and done_day < self.today
            rows.append((inspection.id, finding, text, owner[:100], deadline, "done" if done else "open",
                         cal.at(done_day, 16 * 60) if done else None,
                         rng.choice(("已作出书面说明,按要求在村履职。", "已整改到位。", "已补齐相关台账。")) if done else "",
                         inspection.recorded_by, cal.at(inspection.date, 18 * 60 + 30),
                         inspection.recorded_by if done else None))

        for finding, inspection, posting in self.absent_findings:
            add(inspection, finding,
                f"{posting.cadre.name}在{inspection.date.month}月{inspection.date.day}日{inspection.label}中不在岗,"
                "责令作出书面说明并整改。", f"{posting.unit.name} {posting.cadre.name}")
        for inspection, villages in self.inspections:
            if rng.random() < 0.25:
                add(inspection, None, rng.choice(RECTIFY_GENERAL), villages[0].township.name + "党委")
        self._write(self.Rectification, ["inspection", "finding", "description", "owner", "deadline", "status",
                                         "done_at", "done_note", "created_by", "created_at", "closed_by"],
                    rows, "整改事项")

    def _evaluations(self) -> None:
        """年度考核 of every cadre posted during the year, once the year is over, within the rules of
        cadres.selectors.evaluation_limits: an absence found by inspection rules out excellent, two cap the
        grade at basically competent; a recalled cadre is not excellent (not competent when recalled for
        incompetence or absences)."""
        self.grades: dict[int, str] = {}
        if self.Evaluation is None:
            return
        if self.year >= self.today.year:
            self.progress.say(f"年度考核:{self.year} 年尚未结束,不生成")
            return
        rng = self._rng("evaluations")
        cal = self.cal
        order = ["excellent", "competent", "basic", "incompetent"]
        aspects = {"excellent": ("good", "good", "fair"), "competent": ("good", "fair", "fair"),
                   "basic": ("fair", "average", "average"), "incompetent": ("average", "poor", "poor")}
        rows = []
        for p in self.postings:
            if p.window(cal) is None:
                continue
            cadre = p.cadre
            if p.recall is not None:
                grade = "incompetent" if p.recall.reason in ("incompetent", "inspection_absence", "discipline") else (
                    "competent" if rng.random() < 0.75 else "basic")
            else:
                roll = rng.random()
                grade = {"normal": "excellent" if roll < 0.22 else "competent" if roll < 0.99 else "basic",
                         "weak": "competent" if roll < 0.8 else "basic",
                         "poor": "basic" if roll < 0.85 else "competent"}[cadre.profile]
            if p.absences:
                cap = "basic" if p.absences >= 2 else "competent"
                grade = max(grade, cap, key=order.index)
            self.grades[p.id] = grade
            voters = rng.randint(15, 35)
            share = {"excellent": (0.75, 0.22, 0.03), "competent": (0.2, 0.72, 0.08), "basic": (0.03, 0.42, 0.5),
                     "incompetent": (0.0, 0.15, 0.35)}[grade]
            excellent = round(voters * share[0] * rng.uniform(0.8, 1.1))
            competent = min(voters - excellent, round(voters * share[1] * rng.uniform(0.85, 1.1)))
            basic = min(voters - excellent - competent, round(voters * share[2] * rng.uniform(0.8, 1.2)))
            county = p.village.township.parent
            day = min(datetime.date(self.year + 1, 1, rng.randint(10, 25)), self.today - ONE_DAY)
            rows.append((cadre.id, self.year, p.id, county.id, excellent, competent, basic,
                         voters - excellent - competent - basic,
                         *(rng.choice(aspects[grade]) for _ in range(5)), grade, EVALUATION_COMMENTS[grade],
                         county.user_id, cal.at(day, 15 * 60 + rng.randint(0, 120))))
        self._write(self.Evaluation, ["cadre", "year", "posting", "county", "votes_excellent", "votes_competent",
                                      "votes_basic", "votes_incompetent", "virtue", "ability", "diligence", "performance",
                                      "integrity", "grade", "comment", "decided_by", "decided_at"], rows, "年度考核")

    def _awards(self) -> None:
        """Awards to cadres with a clean record (never to one recalled in the year) and discipline after absences
        found by inspection."""
        if self.AwardRecord is None:
            return
        rng = self._rng("awards")
        cal = self.cal
        numbers: Counter = Counter()
        first_absence: dict[int, InspectionRec] = {}
        for _finding, inspection, posting in self.absent_findings:
            first_absence.setdefault(posting.id, inspection)
        rows = []

        def add(p: PostingRec, kind: str, day: datetime.date, region: Place, reason: str, numbered: bool = True) -> None:
            if day > cal.last:
                return
            numbers[region.id] += 1
            number = f"{region.name[:2]}组通〔{day.year}〕{numbers[region.id]}号" if numbered else ""
            rows.append((p.cadre.id, kind, day, region.level, f"{region.name}委组织部", number, reason,
                         region.user_id, cal.at(day, 11 * 60)))

        for p in self.postings:
            if p.window(cal) is None:
                continue
            county = p.village.township.parent
            if p.recall is None and not p.absences and p.cadre.profile == "normal":
                roll = rng.random()
                if roll < 0.04:
                    add(p, "praise", datetime.date(self.year, 7, 1), county, "驻村工作成效突出,予以通报表扬。")
                elif roll < 0.055:
                    add(p, "commendation", datetime.date(self.year, 12, 20), county.parent, "年度驻村工作先进个人。")
                elif roll < 0.058:
                    add(p, "merit_third", datetime.date(self.year, 12, 20), county.parent, "驻村帮扶成绩显著,记三等功。")
            inspection = first_absence.get(p.id)
            if inspection is not None:
                day = inspection.date + datetime.timedelta(days=10)
                if p.absences >= 2:
                    add(p, "admonition", day, county, "督查发现多次不在岗,进行诫勉谈话。", numbered=False)
                elif rng.random() < 0.5:
                    add(p, "criticism", day, county, "督查发现不在岗且未履行请假手续,予以通报批评。")
        self._write(self.AwardRecord, ["cadre", "kind", "date", "level", "issuing_body", "document_number", "reason",
                                       "recorded_by", "recorded_at"], rows, "奖惩记录")

    def _support(self) -> None:
        """The units' support ledger (帮扶台账): leader visits to each village they send cadres to, funds and
        projects, and two hearings of their cadres' reports a year."""
        if self.SupportRecord is None:
            return
        rng = self._rng("support")
        cal = self.cal
        pairs: dict[tuple[int, int], tuple[UnitRec, VillageRec, int]] = {}
        for p in self.postings:
            window = p.window(cal)
            if window is not None:
                pairs.setdefault((p.unit.id, p.village.id), (p.unit, p.village, window[0]))
        rows = []

        def add(unit: UnitRec, village: VillageRec, kind: str, day: int, title: str, text: str,
                amount: Decimal | None = None) -> None:
            date = cal.days[day]
            rows.append((unit.id, village.id, kind, date, amount, title, text, unit.user_id, cal.at(date, 16 * 60)))

        last = len(cal.days) - 1
        first_village: dict[int, VillageRec] = {}
        for unit, village, start in pairs.values():
            first_village.setdefault(unit.id, village)
            roll = rng.random()
            for _ in range(2 if roll < 0.15 else 1 if roll < 0.9 else 0):
                add(unit, village, "leader_visit", rng.randint(start, last), "单位领导到村走访调研",
                    f"{unit.name}领导到{village.name}走访,看望驻村干部,研究帮扶工作。")
            if rng.random() < 0.35:
                add(unit, village, "funds", rng.randint(start, last), f"拨付帮扶资金用于{rng.choice(DIARY_TOPICS)}",
                    "", Decimal(rng.randint(10, 500) * 1000))
            if rng.random() < 0.08:
                project = rng.choice(DIARY_PROJECTS)
                add(unit, village, "project", rng.randint(start, last), f"引进{project}项目", "",
                    Decimal(rng.randint(10, 200) * 10000) if rng.random() < 0.5 else None)
        for unit in self.units:
            village = first_village.get(unit.id)
            if village is None:
                continue
            roll = rng.random()
            for month in (6, 12)[: 2 if roll < 0.85 else 1 if roll < 0.95 else 0]:
                span = cal.month_span.get(month)
                if span is not None:
                    add(unit, village, "report_hearing", rng.randint(*span), "听取驻村干部工作汇报",
                        f"{unit.name}党组(党委)听取驻村干部工作汇报。")
        self._write(self.SupportRecord, ["unit", "village", "kind", "date", "amount_yuan", "title", "description",
                                         "recorded_by", "created_at"], rows, "帮扶台账")


DIARY_FIELDS = ["cadre", "posting", "day", "text", "households_visited", "disputes_found", "disputes_resolved",
                "practical_matters", "projects_started", "funds_yuan", "jobs_created", "major_event",
                "major_event_note", "created_at", "updated_at"]


@dataclass
class _Chunk:
    register: list[str] = field(default_factory=list)
    register_rows: int = 0
    tallies: list[tuple] = field(default_factory=list)
    findings: list[tuple] = field(default_factory=list)
    participants: list[tuple] = field(default_factory=list)
    diary: list[tuple] = field(default_factory=list)


def generate(*, cadres: int, year: int, seed: int = 1, force: bool = False, stdout: TextIO | None = None,
             today: datetime.date | None = None, suspend_indexes: bool = True) -> dict[str, int]:
    """Generate the province (see the module docstring). Refuses when it is already there, unless `force`,
    which deletes it (and everything depending on it) first. Returns the rows written per model label."""
    progress = Progress(stdout)
    if generated_exists():
        if not force:
            raise GenerationRefused(
                f"数据库中已有生成的{PROVINCE_NAME}(区划代码 {PROVINCE_PREFIX} 开头);如需重新生成请加 --force"
                "(将先删除该省及依附于它的全部数据)。"
            )
        wipe_generated(progress=progress)
    generator = Generator(cadres=cadres, year=year, seed=seed, today=today, progress=progress,
                          suspend_indexes=suspend_indexes)
    return generator.run()


class GenerationRefused(Exception):
    pass


# --- checking ------------------------------------------------------------------------------------------------

CHECKED = [
    "villages.Region", "villages.Village", "villages.DispatchingUnit", "cadres.DispatchRound", "cadres.Cadre",
    "cadres.Posting", "cadres.Recall", "cadres.User", "attendance.AttendanceDay", "attendance.MonthlyTally",
    "attendance.MonthConfirmation", "attendance.LeaveRequest", "attendance.LeaveEvent", "attendance.Inspection",
    "attendance.InspectionFinding", "attendance.Rectification", "attendance.TrainingEvent",
    "attendance.TrainingParticipant", "attendance.DiaryEntry", "cadres.Evaluation", "cadres.AwardRecord",
    "villages.SupportRecord",
]


def table_counts() -> list[tuple[str, str, int]]:
    """(model label, verbose name, rows) of the tables the generator fills (whole tables)."""
    result = []
    for label in CHECKED:
        model = _optional(label)
        if model is not None:
            result.append((label, str(model._meta.verbose_name), model.objects.count()))
    return result


def tally_mismatches() -> int:
    """Number of (posting, month) whose tally disagrees with the register: one GROUP BY on PostgreSQL (the
    ORM comparison in tally_differences() reads every tally into Python), tally_differences() elsewhere."""
    if connection.vendor != "postgresql":
        from attendance.services.register import tally_differences

        return len(tally_differences())
    register, tally = AttendanceDay._meta.db_table, MonthlyTally._meta.db_table
    counted = ", ".join(f"count(*) FILTER (WHERE status = '{s}') AS {s}" for s in STATUS_OF_CODE)
    names = [str(s) for s in STATUS_OF_CODE]
    sql = f"""
        WITH raw AS (
            SELECT posting_id, date_trunc('month', day)::date AS month, {counted}
            FROM {register} GROUP BY 1, 2
        ), kept AS (
            SELECT posting_id, month, {", ".join(names)} FROM {tally}
            WHERE {" + ".join(names)} > 0
        )
        SELECT count(*) FROM raw FULL JOIN kept USING (posting_id, month)
        WHERE ({", ".join("raw." + n for n in names)}) IS DISTINCT FROM ({", ".join("kept." + n for n in names)})
    """  # noqa: S608 - table and status names from the models
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def format_counts(counts: Iterable[tuple[str, str, int]]) -> str:
    rows = list(counts)
    width = max(len(label) for label, _n, _c in rows)
    return "\n".join(f"  {label:<{width}}  {count:>12,}  {name}" for label, name, count in rows) + "\n"


__all__ = [
    "PROVINCE_CODE", "PROVINCE_PREFIX", "SCALE_PASSWORD", "Generator", "GenerationRefused", "Scale", "format_counts",
    "generate", "generated_exists", "scale_for", "table_counts", "tally_mismatches", "wipe_generated",
]

