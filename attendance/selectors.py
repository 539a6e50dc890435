"""Reads of the register, leave and compliance, scoped to a user. The compliance figures here are the ones
the pages show and the reports print: one function, one formula."""
import datetime
import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.jurisdiction import scope_of
from cadres.models import Posting, Role
from cadres.selectors import policies_for, policy_for, posting_list
from villages.models import CompliancePeriod, Region

from .models import (
    AttendanceDay,
    CheckIn,
    CorrectionRequest,
    CorrectionStatus,
    DayStatus,
    EvidenceDay,
    LeaveRequest,
    LeaveStatus,
    MonthConfirmation,
    MonthlyTally,
    Notification,
)
from .services.leave import approver_level_of
from .services.register import month_days, month_start, next_month

ONE_DAY = datetime.timedelta(days=1)
TALLIED = {"present", "leave", "business", "training", "absent"}


# ---------------------------------------------------------------- leave


def leave_list(*, user) -> QuerySet[LeaveRequest]:
    scope = scope_of(user)
    qs = LeaveRequest.objects.select_related("cadre", "village__township", "approver_region")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(village__code__startswith=scope.prefix)
    if scope.unit_id:
        return qs.filter(Q(posting__unit_id=scope.unit_id) | Q(cadre__unit_id=scope.unit_id))
    if scope.cadre_id:
        return qs.filter(cadre_id=scope.cadre_id)
    return qs.none()


def leave_queue(*, user) -> QuerySet[LeaveRequest]:
    """Requests waiting for this user's decision: exactly those routed to their region and level."""
    level = approver_level_of(user)
    if level is None:
        return LeaveRequest.objects.none()
    return leave_list(user=user).filter(
        status=LeaveStatus.SUBMITTED, approver_region_id=user.region_id, approver_level=level
    ).order_by("start_date", "pk")


def leave_filings(*, user) -> QuerySet[LeaveRequest]:
    """Approved leave filed (备案) with this user's region: for information, no action needed."""
    if user.role != Role.ORG_DEPT or not user.region_id:
        return LeaveRequest.objects.none()
    return leave_list(user=user).filter(
        filed_with=user.region, status__in=(LeaveStatus.APPROVED, LeaveStatus.RETURNED)
    ).order_by("-decided_at", "-pk")


def overdue_returns(*, user) -> QuerySet[LeaveRequest]:
    return leave_list(user=user).filter(status=LeaveStatus.APPROVED, end_date__lt=timezone.localdate())


def unread_notifications(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# ---------------------------------------------------------------- register


def townships_for(*, user) -> QuerySet[Region]:
    scope = scope_of(user)
    qs = Region.objects.filter(level=Region.Level.TOWNSHIP).select_related("parent")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(code__startswith=scope.prefix)
    return qs.none()


def postings_in_township_month(*, township: Region, month: datetime.date) -> QuerySet[Posting]:
    first = month_start(month)
    last = next_month(first) - ONE_DAY
    return (
        Posting.objects.filter(village__township=township)
        .overlapping(first, last)
        .select_related("cadre", "village")
        .order_by("village__code", "role", "cadre__name", "start_date")
    )


@dataclass
class GridRow:
    posting: Posting
    cells: list[dict]
    counts: dict[str, int] = field(default_factory=dict)


def register_grid(*, township: Region, month: datetime.date) -> list[GridRow]:
    """The township's month: one row per posting in force during the month, one cell per day with the
    register status, whether the day is inside the posting, and any evidence (check-in, import).

    A cell is a dict: day, in_post, status, source, flagged, note, evidence (an EvidenceDay or None). The
    register rows are read as tuples, not model instances: a month is ~1,500 of them."""
    month = month_start(month)
    days = month_days(month)
    postings = list(postings_in_township_month(township=township, month=month))
    cadre_ids = {p.cadre_id for p in postings}
    rows = {
        (cadre_id, day): (posting_id, status, source, flagged, note)
        for cadre_id, day, posting_id, status, source, flagged, note in AttendanceDay.objects.filter(
            cadre_id__in=cadre_ids, day__gte=days[0], day__lte=days[-1]
        ).values_list("cadre_id", "day", "posting_id", "status", "source", "flagged", "note")
    }
    evidence: dict[tuple[int, datetime.date], EvidenceDay] = {}
    for ev in EvidenceDay.objects.filter(cadre_id__in=cadre_ids, day__gte=days[0], day__lte=days[-1]).order_by("source"):
        evidence.setdefault((ev.cadre_id, ev.day), ev)
    grid = []
    for posting in postings:
        cells, counts = [], defaultdict(int)
        first, last = posting.start_date, posting.end_date
        for day in days:
            in_post = first <= day and (last is None or day <= last)
            row = rows.get((posting.cadre_id, day)) if in_post else None
            if row is not None and row[0] != posting.pk:
                row = None
            status = row[1] if row else DayStatus.NOT_RECORDED
            if in_post:
                counts[status] += 1
            cells.append({
                "day": day, "in_post": in_post, "status": status, "source": row[2] if row else "",
                "flagged": bool(row and row[3]), "note": row[4] if row else "",
                "evidence": evidence.get((posting.cadre_id, day)) if in_post else None,
            })
        grid.append(GridRow(posting=posting, cells=cells, counts=dict(counts)))
    return grid


def register_cells(
    *, township: Region, month: datetime.date, cells: set[tuple[int, datetime.date]]
) -> dict[tuple[int, datetime.date], tuple[int, str, bool]]:
    """The current state of some cells of the township's month, for a save that posts only the cells it
    changed: {(posting id, day): (cadre id, status, day inside the posting)}, read in two queries whose cost
    follows the number of cells asked, not the size of the month. Cells of postings that are not in the
    township's month, or days outside the month, are left out (as register_grid would not show them)."""
    month = month_start(month)
    days = set(month_days(month))
    cells = {(pk, day) for pk, day in cells if day in days}
    if not cells:
        return {}
    postings = {
        pk: (cadre_id, start, end)
        for pk, cadre_id, start, end in postings_in_township_month(township=township, month=month)
        .filter(pk__in={pk for pk, _day in cells})
        .order_by()
        .values_list("pk", "cadre_id", "start_date", "end_date")
    }
    cells = {(pk, day) for pk, day in cells if pk in postings}
    recorded = {
        (cadre_id, day): (posting_id, status)
        for cadre_id, day, posting_id, status in AttendanceDay.objects.filter(
            cadre_id__in={postings[pk][0] for pk, _day in cells}, day__in={day for _pk, day in cells}
        ).values_list("cadre_id", "day", "posting_id", "status")
    }
    result = {}
    for pk, day in cells:
        cadre_id, start, end = postings[pk]
        in_post = start <= day and (end is None or day <= end)
        row = recorded.get((cadre_id, day)) if in_post else None
        status = row[1] if row is not None and row[0] == pk else DayStatus.NOT_RECORDED
        result[(pk, day)] = (cadre_id, status, in_post)
    return result


def register_gaps(*, township: Region, month: datetime.date) -> list[tuple[str, int]]:
    """Cadres of the township with unrecorded past days in the month: (name, number of days)."""
    gaps = []
    today = timezone.localdate()
    for row in register_grid(township=township, month=month):
        n = sum(1 for c in row.cells if c["in_post"] and c["day"] <= today and c["status"] == DayStatus.NOT_RECORDED)
        if n:
            gaps.append((row.posting.cadre.name, n))
    return gaps


def confirmation_of(*, township: Region, month: datetime.date) -> MonthConfirmation | None:
    return MonthConfirmation.objects.filter(township=township, month=month_start(month)).select_related(
        "confirmed_by"
    ).first()


def correction_list(*, user) -> QuerySet[CorrectionRequest]:
    scope = scope_of(user)
    qs = CorrectionRequest.objects.select_related("cadre", "township", "requested_by", "decided_by")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(township__code__startswith=scope.prefix)
    return qs.none()


def correction_queue(*, user) -> QuerySet[CorrectionRequest]:
    if user.role != Role.ORG_DEPT or not user.region_id:
        return CorrectionRequest.objects.none()
    return correction_list(user=user).filter(county_id=user.region_id, status=CorrectionStatus.PENDING)


def checkins_of(*, user) -> QuerySet[CheckIn]:
    scope = scope_of(user)
    qs = CheckIn.objects.select_related("cadre", "posting__village")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(posting__village__code__startswith=scope.prefix)
    if scope.cadre_id:
        return qs.filter(cadre_id=scope.cadre_id)
    return qs.none()


# ---------------------------------------------------------------- compliance


@functools.lru_cache(maxsize=1024)
def period_bounds(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First and last day of the compliance period of `kind` containing `day`. Cached: compliance of a province
    asks it once per posting, always for the same few (kind, day) pairs."""
    if kind == CompliancePeriod.MONTH:
        first = month_start(day)
        return first, next_month(first) - ONE_DAY
    if kind == CompliancePeriod.YEAR:
        return datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    q = (day.month - 1) // 3
    first = datetime.date(day.year, q * 3 + 1, 1)
    return first, next_month(next_month(next_month(first))) - ONE_DAY


def period_label(kind: str, start: datetime.date) -> str:
    if kind == CompliancePeriod.MONTH:
        return f"{start:%Y-%m}"
    if kind == CompliancePeriod.YEAR:
        return f"{start.year}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _days_between(
    posting_start: datetime.date, posting_end: datetime.date | None, start: datetime.date, end: datetime.date
) -> int:
    """Days of [start, end] inside a posting running from posting_start to posting_end (None: open)."""
    first = max(posting_start, start)
    last = min(posting_end or end, end)
    return max(0, (last - first).days + 1)


@dataclass
class CadreFigures:
    """One cadre's figures for one compliance period. See FORMULA for how each is derived."""

    cadre_id: int
    name: str
    village: str
    township: str
    township_id: int
    period_start: datetime.date
    period_end: datetime.date
    period_kind: str
    as_of: datetime.date
    days_in_post: int = 0          # days of the period inside the cadre's postings
    elapsed_in_post: int = 0       # of those, days up to and including as_of
    present: int = 0
    leave: int = 0
    business: int = 0
    training: int = 0
    absent: int = 0
    counted: int = 0               # present (+ business, + training when the policy counts them)
    minimum: int = 0               # policy minimum pro-rated to days_in_post, rounded up
    policy_minimum: int = 0
    period_days: int = 0
    counts_business: bool = True
    counts_training: bool = True

    def settle(self) -> None:
        """Once the days are added up: the pro-rated minimum and the days that count (FORMULA)."""
        self.minimum = math.ceil(self.policy_minimum * self.days_in_post / self.period_days) if self.period_days else 0
        self.counted = self.present + (self.business if self.counts_business else 0) + (
            self.training if self.counts_training else 0
        )

    @property
    def recorded(self) -> int:
        return self.present + self.leave + self.business + self.training + self.absent

    @property
    def not_recorded(self) -> int:
        return max(0, self.elapsed_in_post - self.recorded)

    @property
    def remaining(self) -> int:
        return self.days_in_post - self.elapsed_in_post

    @property
    def finished(self) -> bool:
        return self.as_of >= self.period_end

    @property
    def compliant(self) -> bool:
        return self.counted >= self.minimum

    @property
    def cannot_reach(self) -> bool:
        return not self.finished and self.counted + self.remaining < self.minimum

    @property
    def pace_target(self) -> int:
        """Days in the village expected by now at an even pace: minimum × elapsed ÷ days in post (floor)."""
        if not self.days_in_post:
            return 0
        return (self.minimum * self.elapsed_in_post) // self.days_in_post

    @property
    def behind(self) -> bool:
        return not self.finished and self.counted < self.pace_target

    @property
    def flagged(self) -> bool:
        return self.cannot_reach or self.behind

    @property
    def state(self) -> str:
        if self.finished:
            return "compliant" if self.compliant else "not_compliant"
        if self.cannot_reach:
            return "cannot_reach"
        if self.behind:
            return "behind"
        return "on_track"


FORMULA = {
    "minimum": _("折算下限 = ⌈ 政策下限 × 在岗天数 ÷ 周期天数 ⌉"),
    "counted": _("在村天数 = 在村 + 因公外出(政策计入时) + 培训(政策计入时)"),
    "pace": _("进度目标 = ⌊ 折算下限 × 已过在岗天数 ÷ 在岗天数 ⌋;在村天数低于进度目标即为“进度落后”"),
    "cannot_reach": _("在村天数 + 周期内剩余在岗天数 < 折算下限,即为“已无法达标”"),
    "not_recorded": _("未记录 = 已过在岗天数 − 已记录天数"),
}


def compliance_figures(
    *, postings: QuerySet[Posting], ref: datetime.date, as_of: datetime.date | None = None,
    policies: dict | None = None,
) -> list[CadreFigures]:
    """Figures per cadre for the compliance period containing `ref`, under each cadre's own policy.

    Counts come from the monthly tallies for finished months (they are exact) and from the raw register for
    the running month only, up to `as_of`."""
    as_of = as_of or timezone.localdate()
    source = postings
    # Oldest first, so that a cadre who moved during the period is named by the place of the latest posting.
    # Tuples, not model instances: a county has ~600 postings, a province report 60,000.
    rows = list(postings.order_by("start_date", "pk").values_list(
        "pk", "cadre_id", "start_date", "end_date", "cadre__name", "village__name",
        "village__township_id", "village__township__code", "village__township__name", "village__township__level",
    ))
    townships = {}
    for row in rows:
        if row[6] not in townships:
            townships[row[6]] = Region(pk=row[6], code=row[7], name=row[8], level=row[9])
    # Resolved policies per township (one query for all of them); a caller computing many chunks passes one
    # dict to share the lookups.
    policies = {} if policies is None else policies
    policies.update(policies_for([t for pk, t in townships.items() if pk not in policies]))
    figures: dict[int, CadreFigures] = {}
    posting_ids_by_period: dict[tuple[datetime.date, datetime.date], list[int]] = defaultdict(list)
    for pk, cadre_id, start_date, end_date, cadre_name, village_name, township_id, *_rest in rows:
        township = townships[township_id]
        policy = policies.get(township_id)
        if policy is None:
            policy = policies[township_id] = policy_for(township)
        start, end = period_bounds(policy.min_days_period, ref)
        in_post = _days_between(start_date, end_date, start, end)
        if not in_post:
            continue
        fig = figures.get(cadre_id)
        if fig is None:
            fig = figures[cadre_id] = CadreFigures(
                cadre_id=cadre_id, name=cadre_name, village=village_name,
                township=township.name, township_id=township_id, period_start=start, period_end=end,
                period_kind=policy.min_days_period, as_of=as_of, policy_minimum=policy.min_days,
                period_days=(end - start).days + 1, counts_business=policy.count_business,
                counts_training=policy.count_training,
            )
        else:
            # The latest posting's place names the row (village and township together, never mixed).
            fig.village, fig.township, fig.township_id = village_name, township.name, township_id
        fig.days_in_post += in_post
        fig.elapsed_in_post += _days_between(start_date, end_date, start, min(end, as_of)) if as_of >= start else 0
        posting_ids_by_period[(start, end)].append(pk)

    single_period = len(posting_ids_by_period) == 1
    for (start, end), ids in posting_ids_by_period.items():
        through = min(end, as_of)
        if through < start:
            continue
        # Only the user's postings: with one period (the usual case) as a subquery, not a list of ids.
        posting_filter = {"posting__in": source.values("pk")} if single_period else {"posting_id__in": ids}
        # Finished months come from the monthly tallies (exact, a few rows per cadre); only the month that is
        # still running is read from the raw register, up to `as_of`, so future leave days are not counted.
        running_from = month_start(through) if next_month(through) - ONE_DAY > through else next_month(through)
        if running_from > start:
            rows = (
                MonthlyTally.objects.filter(**posting_filter, month__gte=start, month__lt=running_from)
                .values("cadre_id")
                .annotate(
                    n_present=Sum("present"), n_leave=Sum("leave"), n_business=Sum("business"),
                    n_training=Sum("training"), n_absent=Sum("absent"),
                )
                .values_list("cadre_id", "n_present", "n_leave", "n_business", "n_training", "n_absent")
            )
            for cadre_id, present, leave, business, training, absent in rows:
                fig = figures.get(cadre_id)
                if fig is None:
                    continue
                fig.present += present or 0
                fig.leave += leave or 0
                fig.business += business or 0
                fig.training += training or 0
                fig.absent += absent or 0
        if running_from <= through:
            rows = (
                AttendanceDay.objects.filter(**posting_filter, day__gte=max(start, running_from), day__lte=through)
                .values("cadre_id", "status")
                .annotate(n=Count("pk"))
                .values_list("cadre_id", "status", "n")
            )
            for cadre_id, status, n in rows:
                fig = figures.get(cadre_id)
                if fig is not None and status in TALLIED:
                    setattr(fig, status, getattr(fig, status) + n)

    for fig in figures.values():
        fig.settle()
    # Ordered by place and name: never by days, which would rank individuals.
    return sorted(figures.values(), key=lambda f: (f.township, f.village, f.name))


def compliance_for_user(
    *, user, ref: datetime.date, region: Region | None = None, as_of: datetime.date | None = None
) -> list[CadreFigures]:
    postings = posting_list(user=user)
    if region is not None:
        postings = postings.filter(village__code__startswith=region.prefix)
    # Any policy period containing `ref` lies within its year, so postings overlapping the year suffice.
    postings = postings.overlapping(datetime.date(ref.year, 1, 1), datetime.date(ref.year, 12, 31))
    return compliance_figures(postings=postings, ref=ref, as_of=as_of)


def early_warnings(*, user, as_of: datetime.date | None = None) -> list[CadreFigures]:
    """Cadres of the user's jurisdiction who are behind the pace or can no longer reach the minimum in the
    current period. Shown to townships and counties; never ranked."""
    as_of = as_of or timezone.localdate()
    return [f for f in compliance_for_user(user=user, ref=as_of, as_of=as_of) if f.flagged]
