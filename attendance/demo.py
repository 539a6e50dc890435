"""Demo attendance for `manage.py seed_demo`: a year of register, leave in every state, self check-ins in one
county, month confirmations and a few cadres below the quarterly minimum, on top of the organisation that
cadres.demo seeds.

The register runs from the start of the quarter that holds `today` minus twelve months (so every quarter
in it is complete) to yesterday; approved leave also fills its future days, as an approval does.

Deterministic and idempotent. Every choice is a hash of fixed parts (a cadre's ID number, a date, a label),
never a clock or a random generator's running state, so for a given `today` a fresh database always gets the
same rows, and a day's register status is the same whatever `today` is. Rows are found again by natural keys
(register: cadre and day; leave: cadre and start date; check-in: cadre and time; evidence: cadre, day and
source; confirmation: township and month) and only missing ones are written: a second run writes nothing,
and a day the township changed in the app (it has register history) is never touched.

Why not the services one row at a time: 150,000 register days through register_write would take minutes and
write as many history rows, and the leave services read the real clock (a request starting before
`timezone.localdate()` is refused), which would tie the data to the day the command runs instead of `today`.
So rows are written in bulk with the fields the services would set, routing included (route_for and
region_at_level decide approver and filing exactly as leave_request does), and the tallies are rebuilt with
recompute_tallies afterwards, so tally_differences() stays empty.

The scenes the demo accounts open on (see cadres.demo for the accounts):
- `township` (白沙镇): three pending requests of three days or less in the queue, an overdue return, a late
  return recorded as absence, a retroactive (补办) leave, two cadres flagged below the minimum, and the
  previous month not yet confirmed, with a few gaps left to fill (every other township has confirmed it).
- `county` (云溪县): pending requests over three days; `city`: their filings; `township2`: the first part
  of an extension chain (续假) that the county approved.
- `cadre` (吴晨博): one returned leave in the past and nothing pending, so the browser tests start clean.
- 柳江区 enables self check-in (its own policy row); its cadres' check-ins of the last two weeks wait as
  evidence in the register. 云溪县 keeps the default: off.
"""
import datetime
import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TextIO

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cadres.audit import audit_record
from cadres.demo import CITY_CODE, CITY_PREFIX, DEMO_TOWNSHIP, DEMO_TOWNSHIP2
from cadres.models import Posting, Role, User
from villages.models import Policy, Region, RegionLevel

from .models import (
    AttendanceChange,
    AttendanceDay,
    CheckIn,
    DaySource,
    DayStatus,
    EvidenceDay,
    EvidenceSource,
    HalfDay,
    LeaveEvent,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    MonthConfirmation,
    MonthlyTally,
)
from .notifications import notify_region_users
from .services.checkin import haversine_m
from .services.leave import region_at_level, route_for
from .services.register import month_days, month_start, next_month, recompute_tallies

ONE_DAY = datetime.timedelta(days=1)
COUNTY_YUNXI, COUNTY_SHIMEN, COUNTY_LIUJIANG = "369901000000", "369902000000", "369903000000"
CHECKIN_COUNTY = COUNTY_LIUJIANG
# Spring Festival (春节) dates: many cadres take a family-visit leave around it.
SPRING_FESTIVAL = {
    2025: datetime.date(2025, 1, 29), 2026: datetime.date(2026, 2, 17), 2027: datetime.date(2027, 2, 6),
    2028: datetime.date(2028, 1, 26), 2029: datetime.date(2029, 2, 13), 2030: datetime.date(2030, 2, 3),
}
HISTORY_LEAVE_RATE = 0.026  # chance of a leave per cadre and month
FESTIVAL_LEAVE_RATE = 0.10
LOW_CADRES_BAISHA, LOW_CADRES_ELSEWHERE = 2, 8
CHECKIN_CADRES = 8
CHECKIN_DAYS = 14
RECENT_DAYS = 5  # the last days before today, mostly still unrecorded
# A leave placed around today is not placed again while the cadre has another request this close to it: a run
# on a later day would otherwise add the same scene a few days further on.
SCENE_MARGIN = datetime.timedelta(days=21)
# Days after an unreturned leave stay unrecorded only while the leave ended recently; for an older one the
# township evidently kept the register (the cadre is back, only the 销假 is missing in the system).
OVERDUE_GAP_DAYS = 10

REASONS = {
    LeaveKind.PERSONAL: [
        "家中老人身体不适,需回家照料", "孩子学校召开家长会", "办理房屋过户手续,须本人到场", "家中房屋漏雨需修缮",
        "配偶住院手术,需陪护", "回原单位办理职称评审材料",
    ],
    LeaveKind.SICK: [
        "急性肠胃炎,需就医治疗", "腰椎间盘突出复查", "重感冒发烧,遵医嘱休息", "牙周手术及复诊", "眼疾就医",
    ],
    LeaveKind.FAMILY: ["回老家探望年迈父母", "探望在外地工作的配偶", "春节回家探亲"],
    LeaveKind.WEDDING_FUNERAL: ["本人子女结婚", "祖母去世,回家奔丧", "本人结婚"],
    LeaveKind.OTHER: ["参加职称考试", "参加在职研究生课程考试", "驾驶证换证体检"],
}
REJECT_COMMENTS = [
    "该时段村里开展人居环境整治验收,请调整请假时间。", "近期防汛进入关键期,暂不批准,请汛后再申请。",
    "村“两委”换届工作期间,原则上不批准请假。", "请假事由不充分,请补充说明后重新申请。",
]
RETRO_REASONS = [
    "突发急病住院,无法事先请假,由审批单位补办。", "夜间家中老人突发疾病送医,次日补办请假手续。",
]
PHONES = [
    "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 12; PGJM10) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/110.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; 23113RKC6C) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
]
SIX_PLACES = Decimal("0.000001")
METRES_PER_DEGREE = 111_195.08


# --- hashing ---------------------------------------------------------------------------------------------


def _h(*parts: Any) -> int:
    text = "|".join(p.isoformat() if isinstance(p, datetime.date) else str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _u(*parts: Any) -> float:
    """A uniform number in [0, 1) fixed by its parts."""
    return _h(*parts) / 2**64


def _pick(options: list, *parts: Any):
    return options[_h(*parts) % len(options)]


def _at(day: datetime.date, minutes: int) -> datetime.datetime:
    """An aware local datetime `minutes` after midnight of `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min) + datetime.timedelta(minutes=minutes))


def _days(first: datetime.date, last: datetime.date) -> Iterable[datetime.date]:
    for i in range((last - first).days + 1):
        yield first + datetime.timedelta(days=i)


def _quarter_start(day: datetime.date) -> datetime.date:
    return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _fits(posting: Posting, first: datetime.date, last: datetime.date) -> bool:
    return posting.start_date <= first and (posting.end_date is None or posting.end_date >= last)


# --- the calendar ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    """The dates everything is planned around, all derived from `today`."""

    today: datetime.date

    @property
    def yesterday(self) -> datetime.date:
        return self.today - ONE_DAY

    @property
    def start(self) -> datetime.date:
        """The register starts at the quarter holding `today` minus twelve months, so every quarter it
        covers is complete and its compliance figures mean something."""
        year_ago = datetime.date(self.today.year - 1, self.today.month, min(self.today.day, 28))
        return _quarter_start(year_ago)

    @property
    def current_month(self) -> datetime.date:
        return month_start(self.today)

    @property
    def previous_month(self) -> datetime.date:
        return month_start(self.current_month - ONE_DAY)

    @property
    def quarter(self) -> datetime.date:
        return _quarter_start(self.today)

    @property
    def previous_quarter(self) -> datetime.date:
        return _quarter_start(self.quarter - ONE_DAY)

    def months(self) -> list[datetime.date]:
        months, month = [], month_start(self.start)
        while month <= self.current_month:
            months.append(month)
            month = next_month(month)
        return months


def training_days(first: datetime.date, last: datetime.date, county_codes: list[str]) -> dict[str, dict]:
    """Organized training (培训), the same days for everyone in post: a two-day city-wide course each March
    and September (Tuesday and Wednesday of the second week), a one-day county course each June and
    December (a different Thursday per county). {county code: {day: note}}."""
    city: dict[datetime.date, str] = {}
    per_county: dict[str, dict[datetime.date, str]] = {code: {} for code in county_codes}
    for year in range(first.year, last.year + 1):
        for month, label in ((3, "春季"), (9, "秋季")):
            day = datetime.date(year, month, 8)
            day += datetime.timedelta(days=(1 - day.weekday()) % 7)
            for d in (day, day + ONE_DAY):
                city[d] = f"{year}年{label}全市驻村干部轮训班"
        for month in (6, 12):
            for index, code in enumerate(county_codes):
                day = datetime.date(year, month, 1)
                day += datetime.timedelta(days=(3 - day.weekday()) % 7 + 7 * (index + 1))
                per_county[code][day] = f"{year}年{month}月驻村干部业务培训(县级)"
    return {code: {**city, **days} for code, days in per_county.items()}


# --- the context: what the organisation seed left in the database ----------------------------------------


@dataclass
class Context:
    cal: Calendar
    postings: list[Posting]
    by_cadre: dict[int, list[Posting]]
    approvers: dict[tuple[int, str], User]  # (region id, role) → the first such account
    cadre_users: dict[int, User]
    demo_cadre_id: int | None
    baisha: Region
    township2: Region | None
    low: dict[int, Posting] = field(default_factory=dict)  # cadre id → posting, below the minimum
    routes: dict[tuple[int, Decimal], tuple] = field(default_factory=dict)

    def township_user(self, township_id: int) -> User | None:
        return self.approvers.get((township_id, Role.TOWNSHIP))

    def approver(self, region: Region, level: int) -> User | None:
        role = Role.TOWNSHIP if level == RegionLevel.TOWNSHIP else Role.ORG_DEPT
        return self.approvers.get((region.pk, role))

    def route(self, township: Region, total: Decimal) -> tuple[int, Region, list[Region]]:
        """(approver level, approver region, filing regions), exactly as leave_request routes."""
        key = (township.pk, total)
        if key not in self.routes:
            route = route_for(township=township, total_days=total)
            filing = [region_at_level(township, int(level)) for level in route.filing_levels]
            self.routes[key] = (
                route.approver_level, region_at_level(township, route.approver_level), [r for r in filing if r],
            )
        return self.routes[key]


def _context(today: datetime.date) -> Context | None:
    cal = Calendar(today)
    baisha = Region.objects.filter(code=DEMO_TOWNSHIP).first()
    if baisha is None:
        return None
    postings = list(
        Posting.objects.filter(village__code__startswith=CITY_PREFIX)
        .overlapping(cal.start, today + datetime.timedelta(days=120))
        .select_related("cadre", "village__township__parent__parent")
        .order_by("cadre__id_number", "start_date", "pk")
    )
    by_cadre: dict[int, list[Posting]] = defaultdict(list)
    for posting in postings:
        by_cadre[posting.cadre_id].append(posting)
    approvers: dict[tuple[int, str], User] = {}
    cadre_users: dict[int, User] = {}
    for user in User.objects.filter(is_active=True).order_by("username"):
        if user.role in (Role.TOWNSHIP, Role.ORG_DEPT) and user.region_id:
            approvers.setdefault((user.region_id, user.role), user)
        elif user.role == Role.CADRE and user.cadre_id:
            cadre_users.setdefault(user.cadre_id, user)
    demo = User.objects.filter(username="cadre", role=Role.CADRE).values_list("cadre_id", flat=True).first()
    return Context(
        cal=cal, postings=postings, by_cadre=by_cadre, approvers=approvers, cadre_users=cadre_users,
        demo_cadre_id=demo, baisha=baisha, township2=Region.objects.filter(code=DEMO_TOWNSHIP2).first(),
    )


def _pool(ctx: Context, first: datetime.date, last: datetime.date, where, taken: set[int], tag: str) -> list[Posting]:
    """Postings in force over [first, last] matching `where`, not the demo cadre's and not already used by
    another scene, in a fixed pseudo-random order."""
    found = [
        p for p in ctx.postings
        if _fits(p, first, last) and where(p) and p.cadre_id not in taken and p.cadre_id != ctx.demo_cadre_id
    ]
    return sorted(found, key=lambda p: _h(tag, p.cadre.id_number))


def _choose_low(ctx: Context) -> None:
    """About ten cadres who spend far too little time in the village from the start of the previous quarter:
    two in 白沙镇 (the `township` account's), the others in different townships elsewhere."""
    first, last = ctx.cal.previous_quarter, ctx.cal.today + datetime.timedelta(days=20)
    baisha = _pool(ctx, first, last, lambda p: p.village.township_id == ctx.baisha.pk, set(), "low")
    others = _pool(ctx, first, last, lambda p: p.village.township_id != ctx.baisha.pk, set(), "low")
    for posting in baisha[:LOW_CADRES_BAISHA]:
        ctx.low[posting.cadre_id] = posting
    townships: set[int] = set()
    for posting in others:
        if len(ctx.low) >= LOW_CADRES_BAISHA + LOW_CADRES_ELSEWHERE:
            break
        if posting.village.township_id not in townships:
            townships.add(posting.village.township_id)
            ctx.low[posting.cadre_id] = posting


# --- leave ------------------------------------------------------------------------------------------------


@dataclass
class LeavePlan:
    posting: Posting
    kind: str
    start: datetime.date
    end: datetime.date
    reason: str
    status: str  # the final status
    scene: str
    start_half: str = HalfDay.AM
    end_half: str = HalfDay.PM
    returned_on: datetime.date | None = None
    retroactive_reason: str = ""
    decision_comment: str = ""
    approved_before_withdrawal: bool = False
    extends: "LeavePlan | None" = None
    extended: bool = False  # an approved extension follows: the lateness of a return sits on that one
    around_today: bool = False  # a scene placed relative to today (see SCENE_MARGIN)
    submitted_on: datetime.date | None = None  # default: a few days before the start

    @property
    def days(self) -> Decimal:
        return LeaveRequest.length(self.start, self.start_half, self.end, self.end_half)

    @property
    def total(self) -> Decimal:
        return self.days + (self.extends.total if self.extends else Decimal(0))


class LeavePlanner:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.plans: list[LeavePlan] = []
        self.busy: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
        self.taken: set[int] = set(ctx.low)
        self.placing_scenes = False

    def free(self, cadre_id: int, start: datetime.date, end: datetime.date, gap: int = 3) -> bool:
        margin = datetime.timedelta(days=gap)
        return all(end + margin < a or start - margin > b for a, b in self.busy[cadre_id])

    def add(self, plan: LeavePlan, *, check: bool = True) -> LeavePlan | None:
        posting = plan.posting
        if not _fits(posting, plan.start, plan.end) or plan.start < self.ctx.cal.start:
            return None
        if check and not self.free(posting.cadre_id, plan.start, plan.end):
            return None
        plan.around_today = self.placing_scenes
        self.busy[posting.cadre_id].append((plan.start, plan.end))
        self.plans.append(plan)
        self.taken.add(posting.cadre_id)
        return plan

    def scenes(self) -> None:
        """The leave the demo accounts need to see, placed around today."""
        ctx, cal = self.ctx, self.ctx.cal
        self.placing_scenes = True
        t = cal.today
        d = lambda n: t + datetime.timedelta(days=n)  # noqa: E731
        in_baisha = lambda p: p.village.township_id == ctx.baisha.pk  # noqa: E731
        in_yunxi_outside_baisha = lambda p: (  # noqa: E731
            p.village.code.startswith(COUNTY_YUNXI[:6]) and p.village.township_id != ctx.baisha.pk
        )

        def pool(where, tag: str) -> list[Posting]:
            return _pool(ctx, d(-50), d(40), where, self.taken, tag)

        # The `cadre` account: one returned two-day leave, approved by its township, nothing else.
        if ctx.demo_cadre_id is not None:
            for posting in ctx.by_cadre.get(ctx.demo_cadre_id, []):
                if _fits(posting, d(-40), d(-39)):
                    self.add(LeavePlan(
                        posting, LeaveKind.PERSONAL, d(-40), d(-39), "孩子学校召开家长会,需回家两天",
                        LeaveStatus.RETURNED, "demo_cadre", returned_on=d(-38),
                    ))
                    break
        # The cadres below the minimum who can no longer reach it: a long sick leave running now.
        low_baisha = [p for p in ctx.low.values() if in_baisha(p)]
        low_shimen = [p for p in ctx.low.values() if p.village.code.startswith(COUNTY_SHIMEN[:6])]
        low_other = [p for p in ctx.low.values() if not in_baisha(p)]
        for posting in (low_baisha[:1] + (low_shimen or low_other)[:1]):
            self.add(LeavePlan(
                posting, LeaveKind.SICK, d(-33), d(14), "腰椎间盘突出手术,术后康复治疗", LeaveStatus.APPROVED,
                "long_sick",
            ))
        # 白沙镇, for the `township` account.
        baisha = pool(in_baisha, "baisha")
        pending = [(2, 2, HalfDay.AM, HalfDay.PM), (4, 5, HalfDay.PM, HalfDay.PM), (7, 9, HalfDay.AM, HalfDay.PM)]
        for (a, b, h1, h2), kind in zip(pending, (LeaveKind.PERSONAL, LeaveKind.SICK, LeaveKind.OTHER), strict=True):
            self._first(baisha, lambda p, a=a, b=b, h1=h1, h2=h2, kind=kind: LeavePlan(
                p, kind, d(a), d(b), _pick(REASONS[kind], "r", p.cadre.id_number, a), LeaveStatus.SUBMITTED,
                "pending_township", start_half=h1, end_half=h2, submitted_on=d(-1),
            ))
        self._first(baisha, lambda p: LeavePlan(
            p, LeaveKind.PERSONAL, d(-5), d(-3), "回家处理宅基地确权事宜", LeaveStatus.APPROVED, "overdue",
        ))
        self._first(baisha, lambda p: LeavePlan(
            p, LeaveKind.FAMILY, d(-20), d(-17), "回老家探望年迈父母", LeaveStatus.RETURNED, "late_return",
            returned_on=d(-14),
        ))
        self._first(baisha, lambda p: LeavePlan(
            p, LeaveKind.SICK, d(-12), d(-11), "急性阑尾炎住院治疗", LeaveStatus.RETURNED, "retroactive",
            returned_on=d(-10), retroactive_reason=RETRO_REASONS[0],
        ))
        self._first(baisha, lambda p: LeavePlan(
            p, LeaveKind.PERSONAL, d(1), d(2), "办理孩子转学手续", LeaveStatus.REJECTED, "rejected",
            decision_comment=REJECT_COMMENTS[0], submitted_on=d(-3),
        ))
        self._first(baisha, lambda p: LeavePlan(
            p, LeaveKind.PERSONAL, d(9), d(10), "陪同家人体检", LeaveStatus.WITHDRAWN, "withdrawn",
            submitted_on=d(-2),
        ))
        # 云溪县 outside 白沙镇, for the `county` account (and `township2`'s extension chain).
        yunxi = pool(in_yunxi_outside_baisha, "yunxi")
        for a, b, kind in ((3, 6, LeaveKind.FAMILY), (6, 10, LeaveKind.WEDDING_FUNERAL), (11, 17, LeaveKind.SICK)):
            self._first(yunxi, lambda p, a=a, b=b, kind=kind: LeavePlan(
                p, kind, d(a), d(b), _pick(REASONS[kind], "r", p.cadre.id_number, a), LeaveStatus.SUBMITTED,
                "pending_county", submitted_on=d(-1),
            ))
        if ctx.township2 is not None:
            in_t2 = lambda p: p.village.township_id == ctx.township2.pk  # noqa: E731
            t2 = pool(in_t2, "township2")
            self._first(t2, lambda p: LeavePlan(
                p, LeaveKind.PERSONAL, d(5), d(5), "到县人民医院陪护住院的母亲", LeaveStatus.SUBMITTED,
                "pending_township", submitted_on=d(-1),
            ))
            original = self._first(t2, lambda p: LeavePlan(
                p, LeaveKind.SICK, d(-30), d(-28), "重感冒发烧,遵医嘱休息", LeaveStatus.RETURNED, "extension",
                returned_on=d(-25),
            ))
            if original is not None:
                original.extended = True
                self.add(LeavePlan(
                    original.posting, LeaveKind.SICK, d(-27), d(-26), "病情反复,医生建议再休息两天",
                    LeaveStatus.RETURNED, "extension", returned_on=d(-25), extends=original, submitted_on=d(-28),
                ), check=False)
        self._first(yunxi, lambda p: LeavePlan(
            p, LeaveKind.SICK, d(-2), d(2), "带状疱疹,遵医嘱治疗休息", LeaveStatus.APPROVED, "in_progress",
            submitted_on=d(-4),
        ))
        self._first(yunxi, lambda p: LeavePlan(
            p, LeaveKind.FAMILY, d(15), d(18), "回老家探望年迈父母", LeaveStatus.APPROVED, "approved_future",
            submitted_on=d(-2),
        ))
        shimen = pool(lambda p: p.village.code.startswith(COUNTY_SHIMEN[:6]), "shimen")
        self._first(shimen, lambda p: LeavePlan(
            p, LeaveKind.WEDDING_FUNERAL, d(12), d(17), "本人结婚", LeaveStatus.APPROVED, "approved_future",
            submitted_on=d(-3),
        ))
        self.placing_scenes = False

    def _first(self, pool: list[Posting], make) -> LeavePlan | None:
        while pool:
            posting = pool.pop(0)
            if posting.cadre_id in self.taken:
                continue
            plan = self.add(make(posting))
            if plan is not None:
                return plan
        return None

    def history(self) -> None:
        """Past leave of all cadres in post: about one in forty cadre-months, plus family visits at the Spring
        Festival; placed by hashes of the cadre and the month, so the same leave is planned whatever today is."""
        ctx, cal = self.ctx, self.ctx.cal
        last_end = cal.today - datetime.timedelta(days=3)
        for posting in ctx.postings:
            if posting.cadre_id == ctx.demo_cadre_id:
                continue
            idn = posting.cadre.id_number
            for year, festival in SPRING_FESTIVAL.items():
                if _u("festival", idn, year) < FESTIVAL_LEAVE_RATE:
                    start = festival - datetime.timedelta(days=2 + _h("fs", idn, year) % 3)
                    end = start + datetime.timedelta(days=4 + _h("fl", idn, year) % 4)
                    if end <= last_end:
                        self._history_leave(posting, LeaveKind.FAMILY, start, end, "春节回家探亲", "festival")
            for month in cal.months():
                if _u("leave", idn, month) >= HISTORY_LEAVE_RATE:
                    continue
                start = month + datetime.timedelta(days=_h("ld", idn, month) % len(month_days(month)))
                kind, length, h1, h2 = self._shape(idn, month)
                end = start + datetime.timedelta(days=length - 1)
                if end > last_end:
                    continue
                self._history_leave(posting, kind, start, end, _pick(REASONS[kind], "r", idn, month), "history",
                                    h1, h2)

    @staticmethod
    def _shape(idn: str, month: datetime.date) -> tuple[str, int, str, str]:
        u, k = _u("len", idn, month), _u("kind", idn, month)
        am, pm = HalfDay.AM, HalfDay.PM
        if u < 0.10:
            length, h1, h2 = 1, am, am  # half a day
        elif u < 0.16:
            length, h1, h2 = 2, pm, pm  # a day and a half
        elif u < 0.42:
            length, h1, h2 = 1, am, pm
        elif u < 0.64:
            length, h1, h2 = 2, am, pm
        elif u < 0.78:
            length, h1, h2 = 3, am, pm
        elif u < 0.90:
            length, h1, h2 = 4 + int(k * 2), am, pm
        elif u < 0.97:
            length, h1, h2 = 6 + int(k * 3), am, pm
        else:
            return LeaveKind.SICK, 12 + int(k * 10), am, pm
        kind = (
            LeaveKind.PERSONAL if k < 0.5 else LeaveKind.SICK if k < 0.78 else LeaveKind.FAMILY if k < 0.88
            else LeaveKind.WEDDING_FUNERAL if k < 0.93 else LeaveKind.OTHER
        )
        return kind, length, h1, h2

    def _history_leave(self, posting: Posting, kind: str, start: datetime.date, end: datetime.date, reason: str,
                       scene: str, h1: str = HalfDay.AM, h2: str = HalfDay.PM) -> None:
        idn = posting.cadre.id_number
        u = _u("state", idn, start)
        plan = LeavePlan(posting, kind, start, end, reason, LeaveStatus.RETURNED, scene, start_half=h1, end_half=h2)
        if u < 0.07:
            plan.status, plan.decision_comment = LeaveStatus.REJECTED, _pick(REJECT_COMMENTS, "c", idn, start)
        elif u < 0.15:
            plan.status, plan.approved_before_withdrawal = LeaveStatus.WITHDRAWN, u < 0.11
        else:
            expected = end if h2 == HalfDay.AM else end + ONE_DAY
            plan.returned_on = expected
            if (end - start).days >= 2 and u > 0.88:
                plan.returned_on = start + datetime.timedelta(days=1 + _h("early", idn, start) % (end - start).days)
            if kind == LeaveKind.SICK and plan.days <= 2 and _u("retro", idn, start) < 0.3:
                plan.retroactive_reason = _pick(RETRO_REASONS, "rr", idn, start)
                plan.scene = "retroactive"
        self.add(plan)


def _write_leave(ctx: Context, plans: list[LeavePlan], stats: Counter) -> list[LeaveRequest]:
    """Create the planned requests that are not there yet (by cadre and start date, and not overlapping
    another request of the cadre), with the fields, events and filings the services would have written."""
    cadre_ids = {p.posting.cadre_id for p in plans}
    existing: dict[tuple[int, datetime.date], LeaveRequest] = {}
    spans: dict[int, list[tuple[datetime.date, datetime.date]]] = defaultdict(list)
    for leave in LeaveRequest.objects.filter(cadre_id__in=cadre_ids):
        existing[(leave.cadre_id, leave.start_date)] = leave
        spans[leave.cadre_id].append((leave.start_date, leave.end_date))
    created: list[LeaveRequest] = []
    saved: dict[int, LeaveRequest] = {}  # id(plan) → row, for extensions
    events: list[tuple[LeaveEvent, datetime.datetime]] = []
    filings = []
    notices = []
    # Scenes first (history keeps clear of them), extensions after their originals.
    order = lambda p: (p.extends is not None, not p.around_today, p.posting.cadre.id_number, p.start)  # noqa: E731
    for plan in sorted(plans, key=order):
        cadre_id = plan.posting.cadre_id
        key = (cadre_id, plan.start)
        if key in existing:
            saved[id(plan)] = existing[key]
            continue
        margin = SCENE_MARGIN if plan.around_today and plan.extends is None else datetime.timedelta(0)
        if any(plan.start - margin <= b and plan.end + margin >= a for a, b in spans[cadre_id]):
            stats["leaves_skipped"] += 1
            continue
        extends = None
        if plan.extends is not None:
            extends = saved.get(id(plan.extends))
            if extends is None:
                continue
        row, row_events, filed = _leave_row(ctx, plan, extends)
        row.save()
        saved[id(plan)] = row
        spans[cadre_id].append((plan.start, plan.end))
        created.append(row)
        events += [(LeaveEvent(leave=row, actor=actor, action=action, comment=comment[:300]), at)
                   for at, actor, action, comment in row_events]
        filings += [LeaveRequest.filed_with.through(leaverequest_id=row.pk, region_id=r.pk) for r in filed]
        if row.status == LeaveStatus.SUBMITTED:
            notices.append(row)
    LeaveRequest.filed_with.through.objects.bulk_create(filings)
    rows = LeaveEvent.objects.bulk_create([e for e, _at in events])
    for event, (_e, at) in zip(rows, events, strict=True):
        event.at = at
    LeaveEvent.objects.bulk_update(rows, ["at"], batch_size=500)
    for row in created:
        row.created_at = row.submitted_at
    LeaveRequest.objects.bulk_update(created, ["created_at"], batch_size=500)
    for row in notices:
        role = Role.TOWNSHIP if row.approver_level == RegionLevel.TOWNSHIP else Role.ORG_DEPT
        notify_region_users(
            region=row.approver_region, role=role, url=row.get_absolute_url(),
            text=f"{row.cadre.name} 申请{row.get_kind_display()}{row.days}天({row.start_date}至{row.end_date}),请审批",
        )
    for row in created:
        if row.late_days:
            notify_region_users(
                region=row.village.township, role=Role.TOWNSHIP, url=row.get_absolute_url(),
                text=f"{row.cadre.name} 销假逾期{row.late_days}天,已记为缺勤",
            )
    stats["leaves_created"] += len(created)
    return created


def _leave_row(ctx: Context, plan: LeavePlan, extends: LeaveRequest | None):
    posting = plan.posting
    township = posting.village.township
    idn = posting.cadre.id_number
    level, approver_region, filed = ctx.route(township, plan.total)
    approver = ctx.approver(approver_region, level)
    own = ctx.cadre_users.get(posting.cadre_id)
    township_user = ctx.township_user(township.pk)
    retro = bool(plan.retroactive_reason)
    minute = 8 * 60 + 20 + _h("min", idn, plan.start) % 540
    if retro:
        submitted = _at(plan.start + ONE_DAY, minute)
        requester = approver
    else:
        day = plan.submitted_on or plan.start - datetime.timedelta(days=1 + _h("sub", idn, plan.start) % 5)
        submitted = _at(min(day, ctx.cal.yesterday), minute)
        requester = own
    if retro:
        decided = submitted
    else:
        # Decided within a day, before the leave starts and before today.
        latest = _at(max(submitted.date(), min(plan.start - ONE_DAY, ctx.cal.yesterday)), 17 * 60 + 50)
        decided = min(submitted + datetime.timedelta(hours=1 + _h("dec", idn, plan.start) % 20), latest)
        decided = max(decided, submitted + datetime.timedelta(minutes=20))
    row = LeaveRequest(
        cadre=posting.cadre, posting=posting, village=posting.village, kind=plan.kind, start_date=plan.start,
        start_half=plan.start_half, end_date=plan.end, end_half=plan.end_half, days=plan.days,
        total_days=plan.total, reason=plan.reason, status=plan.status, extends=extends, is_retroactive=retro,
        retroactive_reason=plan.retroactive_reason, approver_level=level, approver_region=approver_region,
        requested_by=requester, submitted_at=submitted,
    )
    events = [(submitted, requester, "submit", f"补办:{plan.retroactive_reason}" if retro else "")]
    approved = plan.status in (LeaveStatus.APPROVED, LeaveStatus.RETURNED) or plan.approved_before_withdrawal
    if approved or plan.status == LeaveStatus.REJECTED:
        row.decided_by, row.decided_at = approver, decided
        row.decision_comment = plan.decision_comment or ("补办" if retro else "")
        events.append((decided, approver, "approve" if approved else "reject", row.decision_comment))
    if plan.status == LeaveStatus.WITHDRAWN:
        at = (decided if approved else submitted) + datetime.timedelta(hours=3)
        events.append((at, own or township_user, "withdraw", ""))
    if plan.status == LeaveStatus.RETURNED:
        expected = plan.end if plan.end_half == HalfDay.AM else plan.end + ONE_DAY
        row.returned_on = plan.returned_on
        row.returned_at = _at(plan.returned_on, 8 * 60 + 45 + _h("ret", plan.returned_on, idn) % 90)
        row.late_days = 0 if plan.extended else max(0, (plan.returned_on - expected).days)
        events.append((row.returned_at, own or township_user, "return", f"返岗日期 {plan.returned_on.isoformat()}"))
    return row, events, filed


def _leave_days(ctx: Context, leaves: Iterable[LeaveRequest]):
    """The register days approved leave fills (full days only, within the posting, up to an early return)
    and the absent days of a late return, as {(cadre id, day): (posting id, status, source, leave id, flagged,
    note, set_by id)}."""
    days: dict[tuple[int, datetime.date], tuple] = {}
    for leave in leaves:
        if leave.status not in (LeaveStatus.APPROVED, LeaveStatus.RETURNED):
            continue
        posting = leave.posting
        for day in leave.full_days():
            if not posting.is_in_force_on(day):
                continue
            if leave.status == LeaveStatus.RETURNED and leave.returned_on is not None and day >= leave.returned_on:
                continue
            days[(leave.cadre_id, day)] = (
                posting.pk, DayStatus.LEAVE, DaySource.LEAVE, leave.pk, False, "", leave.decided_by_id,
            )
        if leave.late_days and leave.returned_on is not None:
            expected = leave.end_date if leave.end_half == HalfDay.AM else leave.end_date + ONE_DAY
            user = ctx.township_user(leave.village.township_id)
            for i in range(leave.late_days):
                day = expected + datetime.timedelta(days=i)
                if posting.is_in_force_on(day):
                    days[(leave.cadre_id, day)] = (
                        posting.pk, DayStatus.ABSENT, DaySource.RETURN, None, True, "销假逾期,无批准的续假",
                        user.pk if user else None,
                    )
    return days


# --- the register -----------------------------------------------------------------------------------------


class RegisterPlanner:
    """One status per cadre and day, from a hash of the ID number and the date."""

    def __init__(self, ctx: Context, training: dict[str, dict]) -> None:
        self.ctx = ctx
        self.training = training
        self.low_from = ctx.cal.previous_quarter
        self.profiles: dict[int, tuple[float, float]] = {}

    def profile(self, posting: Posting, day: datetime.date) -> tuple[float, float]:
        """(share present, share present or on business) of the cadre; the rest of the days are absent. Most
        cadres are in the village two days in three or more; the cadres below the minimum far less."""
        if posting.cadre_id in self.ctx.low and day >= self.low_from:
            return 0.30, 0.38
        key = posting.cadre_id
        if key not in self.profiles:
            idn = posting.cadre.id_number
            present = 0.66 + 0.16 * _u("present", idn)
            self.profiles[key] = (present, 1 - 0.004 - 0.014 * _u("absent", idn))
        return self.profiles[key]

    def base(self, posting: Posting, day: datetime.date, bits: int) -> str:
        u = (bits & 0xFFFF) / 65536
        present, counted = self.profile(posting, day)
        if u < present:
            return DayStatus.PRESENT
        if u < counted:
            return DayStatus.BUSINESS
        return DayStatus.ABSENT

    def recorded(self, township_id: int, day: datetime.date, bits: int) -> bool:
        """Months before the previous one are complete (they are confirmed); so is the previous month except
        in 白沙镇, which still has to fill a few gaps and confirm it; the current month is mostly recorded,
        weekends less, and the last few days mostly not yet."""
        cal = self.ctx.cal
        if self.must_complete(township_id, day):
            return True
        u = ((bits >> 16) & 0xFFFF) / 65536
        if day < cal.current_month:
            return u < 0.94
        if day >= cal.today - datetime.timedelta(days=RECENT_DAYS):
            return u < 0.35
        return u < (0.95 if day.weekday() < 5 else 0.72)

    def must_complete(self, township_id: int, day: datetime.date) -> bool:
        cal = self.ctx.cal
        return day < cal.previous_month or (day < cal.current_month and township_id != self.ctx.baisha.pk)


def _plan_checkins(ctx: Context, planner: RegisterPlanner, leave_days: dict, policy: Policy) -> list[dict]:
    """Self check-ins of a few 柳江区 cadres over the last two weeks, on days they were in the village; one
    cadre habitually checks in from the township seat (flagged), others now and then have a poor fix."""
    cal = ctx.cal
    first, last = cal.today - datetime.timedelta(days=CHECKIN_DAYS), cal.yesterday
    pool = _pool(ctx, first, last, lambda p: p.village.code.startswith(CHECKIN_COUNTY[:6])
                 and p.village.latitude is not None, set(), "checkin")
    plans = []
    for index, posting in enumerate(pool[:CHECKIN_CADRES]):
        village = posting.village
        idn = posting.cadre.id_number
        habitual = index == 0
        for day in _days(first, last):
            bits = _h(idn, day)
            training = planner.training.get(village.township.parent.code, {})
            if (posting.cadre_id, day) in leave_days or day in training:
                continue
            if planner.base(posting, day, bits) != DayStatus.PRESENT or ((bits >> 32) & 0xFFFF) / 65536 > 0.85:
                continue
            u = ((bits >> 48) & 0xFFFF) / 65536
            outside = u < (0.5 if habitual else 0.06)
            poor = not outside and u < (0.5 if habitual else 0.06) + 0.06
            if outside:
                distance, accuracy = 1800 + _h("far", idn, day) % 4200, 15 + _h("acc", idn, day) % 40
            elif poor:
                distance, accuracy = 100 + _h("far", idn, day) % 500, 650 + _h("acc", idn, day) % 1300
            else:
                distance, accuracy = 20 + _h("far", idn, day) % 650, 8 + _h("acc", idn, day) % 55
            bearing = 2 * math.pi * _u("bearing", idn, day)
            lat0, lon0 = float(village.latitude), float(village.longitude)
            lat = lat0 + distance * math.cos(bearing) / METRES_PER_DEGREE
            lon = lon0 + distance * math.sin(bearing) / (METRES_PER_DEGREE * math.cos(math.radians(lat0)))
            lat_d = Decimal(str(lat)).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)
            lon_d = Decimal(str(lon)).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)
            measured = round(haversine_m(float(lat_d), float(lon_d), lat0, lon0))
            at = _at(day, 7 * 60 + 20 + _h("time", idn, day) % 150)
            plans.append({
                "posting": posting, "day": day, "at": at, "latitude": lat_d, "longitude": lon_d,
                "accuracy_m": accuracy, "distance_m": measured,
                "outside_radius": measured > policy.checkin_radius_m,
                "poor_accuracy": accuracy > policy.checkin_max_accuracy_m,
                "ip": f"117.44.{_h('ip', idn) % 250 + 1}.{_h('ip', idn, day) % 250 + 1}",
                "user_agent": _pick(PHONES, "ua", idn),
            })
    return plans


def _describe(plan: dict, policy: Policy) -> str:
    """The evidence line, worded as attendance.services.checkin words it."""
    parts = [f"{timezone.localtime(plan['at']):%H:%M}签到", f"距村{plan['distance_m']}米", f"定位精度{plan['accuracy_m']}米"]
    if plan["outside_radius"]:
        parts.append(f"超出签到范围({policy.checkin_radius_m}米)")
    if plan["poor_accuracy"]:
        parts.append(f"定位精度差(上限{policy.checkin_max_accuracy_m}米)")
    return ",".join(parts)


def _write_checkins(plans: list[dict], policy: Policy, stats: Counter) -> dict[tuple[int, datetime.date], EvidenceDay]:
    cadre_ids = {p["posting"].cadre_id for p in plans}
    have = set(CheckIn.objects.filter(cadre_id__in=cadre_ids).values_list("cadre_id", "at"))
    new = [
        CheckIn(cadre_id=p["posting"].cadre_id, posting=p["posting"], at=p["at"], latitude=p["latitude"],
                longitude=p["longitude"], accuracy_m=p["accuracy_m"], distance_m=p["distance_m"], ip=p["ip"],
                user_agent=p["user_agent"], outside_radius=p["outside_radius"], poor_accuracy=p["poor_accuracy"])
        for p in plans if (p["posting"].cadre_id, p["at"]) not in have
    ]
    CheckIn.objects.bulk_create(new, batch_size=1000)
    stats["checkins_created"] += len(new)
    evidence = {
        (e.cadre_id, e.day): e
        for e in EvidenceDay.objects.filter(cadre_id__in=cadre_ids, source=EvidenceSource.CHECKIN)
    }
    fresh = []
    for p in plans:
        key = (p["posting"].cadre_id, p["day"])
        if key in evidence:
            continue
        flagged = p["outside_radius"] or p["poor_accuracy"]
        evidence[key] = EvidenceDay(
            cadre_id=key[0], day=key[1], source=EvidenceSource.CHECKIN, status=DayStatus.PRESENT, flagged=flagged,
            detail=_describe(p, policy)[:300],
        )
        fresh.append(evidence[key])
    EvidenceDay.objects.bulk_create(fresh, batch_size=1000)
    stats["evidence_created"] += len(fresh)
    return evidence


def _write_register(ctx: Context, planner: RegisterPlanner, leave_days: dict, forced: dict,
                    evidence: dict, overdue: dict[int, datetime.date], stats: Counter) -> set[int]:
    """Insert the planned days that have no row yet and were never changed in the app. `forced` (days of
    leave created by this run) also replaces an existing row, as an approval does, with history. Returns the
    postings whose rows changed."""
    cal = ctx.cal
    cadre_ids = list(ctx.by_cadre)
    existing = {
        (c, d): pk for pk, c, d in AttendanceDay.objects.filter(cadre_id__in=cadre_ids, day__gte=cal.start)
        .values_list("pk", "cadre_id", "day")
    }
    edited = set(
        AttendanceChange.objects.filter(cadre_id__in=cadre_ids, day__gte=cal.start).values_list("cadre_id", "day")
    )
    rows: list[tuple] = []
    touched: set[int] = set()

    def add(cadre_id: int, day: datetime.date, posting_id: int, status: str, source: str, leave_id=None,
            flagged=False, note="", set_by_id=None) -> None:
        if (cadre_id, day) in existing or (cadre_id, day) in edited:
            return
        rows.append((cadre_id, day, posting_id, status, source, flagged, note[:200], leave_id, set_by_id))
        touched.add(posting_id)

    for posting in ctx.postings:
        township = posting.village.township
        user = ctx.township_user(township.pk)
        user_id = user.pk if user else None
        training = planner.training.get(township.parent.code, {})
        idn = posting.cadre.id_number
        first = max(posting.start_date, cal.start)
        last = min(posting.end_date or cal.yesterday, cal.yesterday)
        if first > last:
            continue
        overdue_end = overdue.get(posting.cadre_id)
        for day in _days(first, last):
            key = (posting.cadre_id, day)
            if key in leave_days:
                continue
            if overdue_end is not None and day > overdue_end:
                continue  # not back from leave and nobody has recorded anything yet
            if day in training:
                add(posting.cadre_id, day, posting.pk, DayStatus.TRAINING, DaySource.TRAINING, note=training[day])
                continue
            bits = _h(idn, day)
            if not planner.recorded(township.pk, day, bits):
                continue
            ev = evidence.get(key)
            if ev is not None:
                if ev.flagged:
                    add(posting.cadre_id, day, posting.pk, DayStatus.PRESENT, DaySource.TOWNSHIP, set_by_id=user_id)
                else:
                    add(posting.cadre_id, day, posting.pk, DayStatus.PRESENT, DaySource.CHECKIN, note=ev.detail,
                        set_by_id=user_id)
                continue
            add(posting.cadre_id, day, posting.pk, planner.base(posting, day, bits), DaySource.TOWNSHIP,
                set_by_id=user_id)

    # Leave days (and late-return absences): missing ones are added; those of leave created now replace what
    # is there, as the approval would have.
    replace: list[AttendanceDay] = []
    history: list[AttendanceChange] = []
    replaced = {pk: key for key, pk in existing.items() if key in forced}
    old_rows = AttendanceDay.objects.in_bulk(list(replaced)) if replaced else {}
    for (cadre_id, day), (posting_id, status, source, leave_id, flagged, note, set_by_id) in leave_days.items():
        key = (cadre_id, day)
        if day < cal.start:
            continue  # before the window: left as it is
        if key in existing and key in forced:
            row = old_rows[existing[key]]
            if (row.status, row.source, row.leave_id) == (status, source, leave_id):
                continue
            history.append(AttendanceChange(
                cadre_id=cadre_id, day=day, old_status=row.status, old_source=row.source, new_status=status,
                new_source=source, changed_by_id=set_by_id, reason="请假批准" if status == DayStatus.LEAVE else "销假逾期",
            ))
            touched.update({row.posting_id, posting_id})
            row.posting_id, row.status, row.source, row.leave_id = posting_id, status, source, leave_id
            row.flagged, row.note, row.set_by_id = flagged, note, set_by_id
            replace.append(row)
            continue
        add(cadre_id, day, posting_id, status, source, leave_id=leave_id, flagged=flagged, note=note,
            set_by_id=set_by_id)
    _insert_days(rows)
    if replace:
        AttendanceDay.objects.bulk_update(
            replace, ["posting", "status", "source", "leave", "flagged", "note", "set_by", "set_at"], batch_size=1000,
        )
        AttendanceChange.objects.bulk_create(history, batch_size=1000)
    stats["register_created"] += len(rows)
    stats["register_updated"] += len(replace)
    return touched


DAY_COLUMNS = ("cadre", "day", "posting", "status", "source", "flagged", "note", "leave", "set_by", "set_at")


def _insert_days(rows: list[tuple]) -> None:
    """INSERT the new register rows (tuples in DAY_COLUMNS order, without set_at).

    The same rows as AttendanceDay.objects.bulk_create() would write, minus building 150,000 model instances
    and compiling their SQL, which took two thirds of the seeding time. SQLite takes a plain executemany;
    PostgreSQL one statement per 5,000 rows with a column of values per parameter (UNNEST), since it would
    otherwise execute row by row. Table, column names and types come from the model; every value is a
    parameter, dates and the timestamp adapted by the backend's own operations."""
    if not rows:
        return
    meta = AttendanceDay._meta
    ops = connection.ops
    fields = [meta.get_field(name) for name in DAY_COLUMNS]
    table = ops.quote_name(meta.db_table)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    set_at = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            sql = f"INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays})"  # noqa: S608
            for i in range(0, len(rows), 5000):
                chunk = rows[i:i + 5000]
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)] + [[set_at] * len(chunk)])
        else:
            values = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608
            cursor.executemany(
                sql, [(row[0], ops.adapt_datefield_value(row[1]), *row[2:], set_at) for row in rows]
            )


def _confirm_months(ctx: Context, stats: Counter) -> None:
    """Confirm every township's complete months up to the previous one, except 白沙镇's previous month.
    A month with any unrecorded day in post (say, cleared in the app) is left for the township, as
    register_confirm_month would refuse it."""
    cal = ctx.cal
    months = [m for m in cal.months() if m < cal.current_month]
    posting_ids = [p.pk for p in ctx.postings]
    recorded: dict[tuple[int, datetime.date], int] = {
        (t.posting_id, t.month): t.recorded
        for t in MonthlyTally.objects.filter(posting_id__in=posting_ids, month__in=months)
    }
    complete: dict[tuple[int, datetime.date], bool] = {}
    townships: dict[int, Region] = {}
    for posting in ctx.postings:
        township = posting.village.township
        townships[township.pk] = township
        for month in months:
            last = next_month(month) - ONE_DAY
            first_in, last_in = max(posting.start_date, month), min(posting.end_date or last, last)
            if first_in > last_in:
                continue
            key = (township.pk, month)
            in_post = (last_in - first_in).days + 1
            complete[key] = complete.get(key, True) and recorded.get((posting.pk, month), 0) >= in_post
    have = set(MonthConfirmation.objects.filter(township_id__in=list(townships), month__in=months)
               .values_list("township_id", "month"))
    new = []
    for (township_id, month), ok in sorted(complete.items(), key=lambda kv: (kv[0][1], townships[kv[0][0]].code)):
        if not ok or (township_id, month) in have:
            continue
        if township_id == ctx.baisha.pk and month == cal.previous_month:
            continue
        user = ctx.township_user(township_id)
        new.append(MonthConfirmation(township_id=township_id, month=month, confirmed_by=user))
    MonthConfirmation.objects.bulk_create(new)  # confirmed_at is auto_now_add: put the real dates back after
    for row in new:
        code = townships[row.township_id].code
        row.confirmed_at = _at(next_month(row.month) + datetime.timedelta(days=_h("conf", code, row.month) % 5),
                               9 * 60 + _h("cmin", code, row.month) % 480)
    MonthConfirmation.objects.bulk_update(new, ["confirmed_at"], batch_size=500)
    stats["confirmations_created"] += len(new)


def _checkin_policy(stats: Counter) -> Policy | None:
    """柳江区 turns self check-in on: a policy row of its own, with every other value (routing included) as
    it inherited them. An existing row is left as the county set it."""
    county = Region.objects.filter(code=CHECKIN_COUNTY).first()
    if county is None:
        return None
    policy = Policy.objects.filter(region=county).first()
    if policy is None:
        from villages.services import policy_update

        policy_update(actor=None, region=county, data={"checkin_enabled": True})
        policy = Policy.objects.get(region=county)
        stats["policies_created"] += 1
    return policy


# --- the entry point ---------------------------------------------------------------------------------------


def seed_attendance(*, today: datetime.date | None = None, stdout: TextIO | None = None) -> dict[str, Any]:
    """Seed the demo attendance for the twelve months up to `today` (default: the local date) and return a
    summary; with `stdout`, also print it in Chinese. Needs the organisation of cadres.demo.seed_demo()."""
    today = today or timezone.localdate()
    stats: Counter = Counter()
    with transaction.atomic():
        ctx = _context(today)
        if ctx is None:
            summary = {"skipped": True}
            if stdout is not None:
                stdout.write("未找到演示区划(请先载入组织数据),跳过考勤演示数据。\n")
            return summary
        policy = _checkin_policy(stats)
        _choose_low(ctx)

        planner = LeavePlanner(ctx)
        planner.scenes()
        planner.history()
        created_leaves = _write_leave(ctx, planner.plans, stats)

        cadre_ids = list(ctx.by_cadre)
        leaves = list(
            LeaveRequest.objects.filter(cadre_id__in=cadre_ids, end_date__gte=ctx.cal.start)
            .select_related("posting", "village")
        )
        leave_days = _leave_days(ctx, leaves)
        forced = set(_leave_days(ctx, created_leaves))
        overdue = {
            leave.cadre_id: leave.end_date for leave in leaves
            if leave.status == LeaveStatus.APPROVED
            and today - datetime.timedelta(days=OVERDUE_GAP_DAYS) <= leave.end_date < ctx.cal.yesterday
        }

        county_codes = sorted({p.village.township.parent.code for p in ctx.postings})
        planner_r = RegisterPlanner(ctx, training_days(ctx.cal.start, ctx.cal.today, county_codes))
        evidence: dict = {}
        if policy is not None and policy.checkin_enabled:
            checkins = _plan_checkins(ctx, planner_r, leave_days, policy)
            evidence = _write_checkins(checkins, policy, stats)
        touched = _write_register(ctx, planner_r, leave_days, forced, evidence, overdue, stats)
        if touched:
            recompute_tallies(posting_ids=sorted(touched))
        _confirm_months(ctx, stats)

        # Planned leave that collides with a request already there is skipped: not a change.
        changes = {k: v for k, v in sorted(stats.items()) if v and k != "leaves_skipped"}
        if changes:
            audit_record(actor=None, action="demo.seed_attendance", region_code=CITY_CODE,
                         detail={"today": today.isoformat(), **changes})
        summary = _summary(ctx, changes)
        summary["leaves_skipped"] = stats["leaves_skipped"]
    if stdout is not None:
        stdout.write(format_summary(summary))
    return summary


def _summary(ctx: Context, changes: dict[str, int]) -> dict[str, Any]:
    from .selectors import compliance_figures

    cal = ctx.cal
    city = Q(village__code__startswith=CITY_PREFIX)
    leaves = LeaveRequest.objects.filter(city)
    by_status = Counter(leaves.values_list("status", flat=True))
    checkins = CheckIn.objects.filter(posting__village__code__startswith=CITY_PREFIX)
    postings = Posting.objects.filter(city)
    now = compliance_figures(postings=postings, ref=cal.today, as_of=cal.today)
    before = compliance_figures(postings=postings, ref=cal.quarter - ONE_DAY, as_of=cal.today)
    confirmations = MonthConfirmation.objects.filter(township__code__startswith=CITY_PREFIX)
    return {
        "today": cal.today,
        "start": cal.start,
        "changes": changes,
        "register_days": AttendanceDay.objects.filter(posting__village__code__startswith=CITY_PREFIX).count(),
        "leaves": sum(by_status.values()),
        "leaves_by_status": {s.value: by_status.get(s.value, 0) for s in LeaveStatus if s != LeaveStatus.DRAFT},
        "retroactive": leaves.filter(is_retroactive=True).count(),
        "extensions": leaves.filter(extends__isnull=False).count(),
        "overdue_returns": leaves.filter(status=LeaveStatus.APPROVED, end_date__lt=cal.today).count(),
        "checkins": checkins.count(),
        "checkins_flagged": checkins.filter(Q(outside_radius=True) | Q(poor_accuracy=True) | Q(impossible_speed=True))
        .count(),
        "confirmations": confirmations.count(),
        "baisha_previous_month_confirmed": confirmations.filter(
            township=ctx.baisha, month=cal.previous_month).exists(),
        "previous_month": cal.previous_month,
        "flagged_now": sum(f.flagged for f in now),
        "cannot_reach_now": sum(f.cannot_reach for f in now),
        "not_compliant_before": sum(f.finished and not f.compliant for f in before),
        "low_cadres": sorted(p.cadre.name for p in ctx.low.values()),
    }


def format_summary(summary: dict[str, Any]) -> str:
    if summary.get("skipped"):
        return "未找到演示区划,跳过考勤演示数据。\n"
    s = summary["leaves_by_status"]
    changes = summary["changes"]
    written = sum(changes.values())
    lines = [
        f"考勤演示数据:{summary['start']:%Y-%m-%d} 至 {summary['today'] - ONE_DAY:%Y-%m-%d}",
        "  本次新建考勤 {r} 天,请假 {l} 条,签到 {c} 次,月度确认 {m} 个".format(
            r=changes.get("register_created", 0), l=changes.get("leaves_created", 0),
            c=changes.get("checkins_created", 0), m=changes.get("confirmations_created", 0))
        if written else "  考勤数据已是最新,本次未作改动",
        f"  考勤记录共 {summary['register_days']} 天;月度确认 {summary['confirmations']} 个"
        f"(白沙镇 {summary['previous_month']:%Y-%m} "
        f"{'已确认' if summary['baisha_previous_month_confirmed'] else '待填报确认'})",
        f"  请假 {summary['leaves']} 条:待审批 {s['submitted']},已批准 {s['approved']},已销假 {s['returned']},"
        f"已驳回 {s['rejected']},已撤回 {s['withdrawn']};其中补办 {summary['retroactive']} 条,"
        f"续假 {summary['extensions']} 条,逾期未销假 {summary['overdue_returns']} 条",
        f"  自主签到(仅柳江区启用):{summary['checkins']} 次,其中存疑 {summary['checkins_flagged']} 次",
        f"  在村天数预警:本季度 {summary['flagged_now']} 人(已无法达标 {summary['cannot_reach_now']} 人),"
        f"上季度未达标 {summary['not_compliant_before']} 人",
    ]
    return "\n".join(lines) + "\n"
