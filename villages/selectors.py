"""Reads of the organisation tree, always scoped to a user (see cadres.jurisdiction)."""
from django.db.models import Count, Q, QuerySet

from cadres.jurisdiction import scope_of

from .models import DispatchingUnit, Region, Village
from .validators import SIGNIFICANT_DIGITS


def _ancestor_codes(codes: set[str]) -> set[str]:
    """The 12-digit codes of every province/city/county/township containing any of `codes`."""
    result = set()
    for code in codes:
        for level in (1, 2, 3, 4):
            digits = SIGNIFICANT_DIGITS[level]
            result.add(code[:digits].ljust(12, "0"))
    return result


def _linked_village_ids(scope) -> QuerySet:
    from cadres.models import Posting

    if scope.unit_id:
        postings = Posting.objects.filter(Q(unit_id=scope.unit_id) | Q(cadre__unit_id=scope.unit_id))
    else:
        postings = Posting.objects.filter(cadre_id=scope.cadre_id)
    return postings.values("village_id")


def village_list(*, user) -> QuerySet[Village]:
    scope = scope_of(user)
    qs = Village.objects.select_related("township", "township__parent")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.unit_id or scope.cadre_id:
        return qs.filter(id__in=_linked_village_ids(scope))
    return qs.none()


def region_list(*, user) -> QuerySet[Region]:
    scope = scope_of(user)
    qs = Region.objects.select_related("parent")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.unit_id or scope.cadre_id:
        codes = set(Village.objects.filter(id__in=_linked_village_ids(scope)).values_list("code", flat=True))
        return qs.filter(code__in=_ancestor_codes(codes))
    return qs.none()


def unit_list(*, user) -> QuerySet[DispatchingUnit]:
    scope = scope_of(user)
    qs = DispatchingUnit.objects.select_related("region")
    if scope.everything:
        return qs
    if scope.region is not None:
        from cadres.models import Posting

        # A county also sees the city and provincial units whose cadres serve in its villages.
        sending = Posting.objects.filter(village__code__startswith=scope.prefix).values("unit_id")
        return qs.filter(Q(region__code__startswith=scope.prefix) | Q(id__in=sending))
    if scope.unit_id:
        return qs.filter(pk=scope.unit_id)
    if scope.cadre_id:
        from cadres.models import Cadre, Posting

        return qs.filter(
            Q(id__in=Posting.objects.filter(cadre_id=scope.cadre_id).values("unit_id"))
            | Q(id__in=Cadre.objects.filter(pk=scope.cadre_id).values("unit_id"))
        )
    return qs.none()


def township_choices(*, user) -> QuerySet[Region]:
    return region_list(user=user).filter(level=Region.Level.TOWNSHIP)


def region_children_with_counts(*, user, region: Region) -> QuerySet[Region]:
    return (
        region_list(user=user)
        .filter(parent=region)
        .annotate(n_children=Count("children", distinct=True), n_villages=Count("villages", distinct=True))
        .order_by("code")
    )


# ---------------------------------------------------------------------------------------------------------
# Dispatching-unit support (帮扶台账). Figures are computed from the SupportRecord rows and the unit's postings;
# nothing is typed twice. Imports are local: this block was appended to a module owned by other features.

HALF_YEARS = (1, 2)


def support_list(*, user) -> QuerySet:
    """Support records the user may see: those that went to villages in their region, their own unit's,
    or (a cadre) those of the villages they are or were posted to."""
    from .models import SupportRecord

    scope = scope_of(user)
    qs = SupportRecord.objects.select_related("unit", "village", "village__township", "recorded_by")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(village__code__startswith=scope.prefix)
    if scope.unit_id:
        return qs.filter(unit_id=scope.unit_id)
    if scope.cadre_id:
        from cadres.models import Posting

        return qs.filter(village_id__in=Posting.objects.filter(cadre_id=scope.cadre_id).values("village_id"))
    return qs.none()


def hearings_required(per_year: int) -> tuple[int, int]:
    """Hearings required in the first and in the second half-year: half the yearly number (rounded down),
    then the rest. 2 a year → 1 + 1; 1 a year → 0 + 1; 3 a year → 1 + 2."""
    first = per_year // 2
    return first, per_year - first


def half_year_bounds(year: int, half: int):
    import datetime

    if half == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


class SupportFlag:
    """A missing visit or hearing. `pending` when its period is still running: a reminder, not yet a shortfall."""

    __slots__ = ("code", "message", "pending", "year", "half", "village_id")

    def __init__(self, *, code: str, message: str, pending: bool, year: int, half: int | None = None,
                 village_id: int | None = None):
        self.code, self.message, self.pending = code, message, pending
        self.year, self.half, self.village_id = year, half, village_id

    def __repr__(self) -> str:
        return f"SupportFlag({self.code!r}, {self.message!r}, pending={self.pending})"


class SupportYear:
    """One unit's support in one year: totals and flags."""

    def __init__(self, *, year: int):
        from decimal import Decimal

        self.year = year
        self.funds_yuan = Decimal("0")
        self.funds_count = 0
        self.projects = 0
        self.visits = 0
        self.hearings_by_half = {1: 0, 2: 0}
        self.visits_by_village: dict[int, int] = {}
        self.flags: list[SupportFlag] = []
        self.villages: dict[int, str] = {}  # villages the unit had cadres in that year (id → name)
        self.halves_in_force: set[int] = set()
        self.visits_required = 0
        self.hearings_required = (0, 0)

    @property
    def hearings(self) -> int:
        return self.hearings_by_half[1] + self.hearings_by_half[2]

    @property
    def shortfalls(self) -> list[SupportFlag]:
        return [f for f in self.flags if not f.pending]

    @property
    def visit_flags(self) -> list[SupportFlag]:
        return [f for f in self.flags if f.code == "leader_visit"]

    @property
    def hearing_flags(self) -> list[SupportFlag]:
        return [f for f in self.flags if f.code == "report_hearing"]

    def add(self, *, kind: str, half: int, village_id: int, n: int, total) -> None:
        from .models import SupportKind

        if kind == SupportKind.FUNDS:
            self.funds_count += n
            self.funds_yuan += total or 0
        elif kind == SupportKind.PROJECT:
            self.projects += n
        elif kind == SupportKind.LEADER_VISIT:
            self.visits += n
            self.visits_by_village[village_id] = self.visits_by_village.get(village_id, 0) + n
        elif kind == SupportKind.REPORT_HEARING:
            self.hearings_by_half[half] += n


def _support_flags(entry: SupportYear, *, policy, today) -> list[SupportFlag]:
    """Flags of one unit-year. A leaders' visit is due in each village the unit had a cadre in during the
    year; hearings are due in each half-year during which the unit had a cadre in post. Periods that have
    not begun are not judged; the running period yields pending reminders."""
    from django.utils.translation import gettext as _

    flags: list[SupportFlag] = []
    year = entry.year
    if year > today.year:
        return flags
    entry.visits_required = policy.leader_visits_per_year
    entry.hearings_required = hearings_required(policy.report_hearings_per_year)
    year_running = year == today.year
    if entry.visits_required:
        for village_id, name in sorted(entry.villages.items(), key=lambda item: item[1]):
            n = entry.visits_by_village.get(village_id, 0)
            if n >= entry.visits_required:
                continue
            if n == 0:
                message = _("%(year)d年单位领导未到%(village)s走访(要求每年至少%(min)d次)。")
            else:
                message = _("%(year)d年单位领导到%(village)s走访%(n)d次,少于每年%(min)d次的要求。")
            flags.append(SupportFlag(
                code="leader_visit", pending=year_running, year=year, village_id=village_id,
                message=message % {"year": year, "village": name, "n": n, "min": entry.visits_required},
            ))
    for half in HALF_YEARS:
        required = entry.hearings_required[half - 1]
        start, end = half_year_bounds(year, half)
        if not required or start > today or half not in entry.halves_in_force:
            continue
        n = entry.hearings_by_half[half]
        if n >= required:
            continue
        flags.append(SupportFlag(
            code="report_hearing", pending=today <= end, year=year, half=half,
            message=_("%(year)d年%(half)s听取驻村干部汇报%(n)d次,少于要求的%(min)d次。") % {
                "year": year, "half": _("上半年") if half == 1 else _("下半年"), "n": n, "min": required},
        ))
    return flags


def _support_counts(records: QuerySet) -> list[dict]:
    """Records grouped by unit, year, half-year, kind and village, in one query."""
    from django.db.models import Case, IntegerField, Sum, Value, When
    from django.db.models.functions import ExtractYear

    return list(
        records.order_by()
        .annotate(
            year=ExtractYear("date"),
            half=Case(When(date__month__lte=6, then=Value(1)), default=Value(2), output_field=IntegerField()),
        )
        .values("unit_id", "year", "half", "kind", "village_id")
        .annotate(n=Count("pk"), total=Sum("amount_yuan"))
    )


def _mark_postings(entries: dict, postings, *, first_year: int | None, last_year: int) -> None:
    """Note in each unit-year the villages and half-years the unit had cadres in. `entries` maps
    (unit_id, year) → SupportYear; years outside [first_year, last_year] are skipped (first_year None: all)."""
    for p in postings:
        start, end = p["start_date"], p["end_date"]
        y_from = max(start.year, first_year) if first_year else start.year
        y_to = min(end.year if end else last_year, last_year)
        for year in range(y_from, y_to + 1):
            entry = entries.get((p["unit_id"], year))
            if entry is None:
                entry = entries[(p["unit_id"], year)] = SupportYear(year=year)
            entry.villages[p["village_id"]] = p["village__name"]
            for half in HALF_YEARS:
                h_start, h_end = half_year_bounds(year, half)
                if start <= h_end and (end is None or end >= h_start):
                    entry.halves_in_force.add(half)


def policies_for_regions(regions) -> dict:
    """The policy in force for each region (id → Policy), resolved like cadres.selectors.policy_for but with
    one query for all of them: a region's ancestors are found from its code, not by walking parents."""
    from .models import Policy

    chains = {}
    for region in regions:
        levels = range(region.level, 0, -1)
        chains[region.pk] = [region.code[: SIGNIFICANT_DIGITS[lv]].ljust(12, "0") for lv in levels]
    codes = {code for chain in chains.values() for code in chain}
    found = {p.region.code: p for p in Policy.objects.filter(region__code__in=codes).select_related("region")}
    result = {}
    for region in regions:
        policy = next((found[code] for code in chains[region.pk] if code in found), None)
        result[region.pk] = policy if policy is not None else Policy(region=region)
    return result


def unit_support_summary(*, user, unit: DispatchingUnit, today=None) -> list[SupportYear]:
    """A unit's support year by year, newest first, from the first year it had a cadre posted (or a record)
    to this year, with the flags of each year. Only records and postings the user may see are counted.
    The requirements are the policy in force for the unit's region: the duty is the unit's, wherever its
    cadres serve."""
    from django.utils import timezone

    from cadres.selectors import policy_for, posting_list

    today = today or timezone.localdate()
    entries: dict[tuple[int, int], SupportYear] = {}
    for row in _support_counts(support_list(user=user).filter(unit=unit, date__lte=today)):
        entry = entries.setdefault((unit.pk, row["year"]), SupportYear(year=row["year"]))
        entry.add(kind=row["kind"], half=row["half"], village_id=row["village_id"], n=row["n"], total=row["total"])
    postings = (
        posting_list(user=user).filter(unit=unit, start_date__lte=today)
        .values("unit_id", "village_id", "village__name", "start_date", "end_date")
    )
    _mark_postings(entries, postings, first_year=None, last_year=today.year)
    policy = policy_for(unit.region)
    result = sorted(entries.values(), key=lambda e: e.year, reverse=True)
    for entry in result:
        entry.flags = _support_flags(entry, policy=policy, today=today)
    return result


class UnitSupportRow:
    def __init__(self, unit: DispatchingUnit, entry: SupportYear):
        self.unit, self.entry = unit, entry

    @property
    def flags(self) -> list[SupportFlag]:
        return self.entry.flags

    @property
    def visit_flags(self) -> list[SupportFlag]:
        return self.entry.visit_flags

    @property
    def hearing_flags(self) -> list[SupportFlag]:
        return self.entry.hearing_flags


def support_overview(*, user, year: int, today=None) -> list[UnitSupportRow]:
    """Every unit in the user's jurisdiction that had a cadre posted in `year` (or recorded support that year),
    with the year's totals and flags. A fixed number of queries, however many units."""
    import datetime

    from django.utils import timezone

    from cadres.selectors import posting_list

    today = today or timezone.localdate()
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    units = {u.pk: u for u in unit_list(user=user)}
    entries: dict[tuple[int, int], SupportYear] = {}
    records = support_list(user=user).filter(unit_id__in=units.keys(), date__gte=first, date__lte=min(last, today))
    for row in _support_counts(records):
        entry = entries.setdefault((row["unit_id"], year), SupportYear(year=year))
        entry.add(kind=row["kind"], half=row["half"], village_id=row["village_id"], n=row["n"], total=row["total"])
    postings = (
        posting_list(user=user).filter(unit_id__in=units.keys()).overlapping(first, last)
        .filter(start_date__lte=today)
        .values("unit_id", "village_id", "village__name", "start_date", "end_date")
    )
    _mark_postings(entries, postings, first_year=year, last_year=min(year, today.year))
    policies = policies_for_regions([units[unit_id].region for unit_id, _y in entries])
    rows = []
    for (unit_id, _y), entry in entries.items():
        unit = units[unit_id]
        entry.flags = _support_flags(entry, policy=policies[unit.region_id], today=today)
        rows.append(UnitSupportRow(unit, entry))
    rows.sort(key=lambda r: (r.unit.level, r.unit.name))
    return rows
