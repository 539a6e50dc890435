"""Reads of cadres, rounds and postings, always scoped to a user (see cadres.jurisdiction)."""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from villages.models import Policy, Region, RegionLevel, Village
from villages.selectors import village_list
from villages.validators import code_prefix

from .jurisdiction import can_manage, org_level, scope_of
from .models import (
    AwardRecord,
    Cadre,
    DispatchRound,
    Evaluation,
    EvaluationGrade,
    Posting,
    PostingRole,
    PostingStatus,
    Recall,
    RecallStatus,
    Role,
)


def today() -> datetime.date:
    return timezone.localdate()


def cadre_list(*, user) -> QuerySet[Cadre]:
    scope = scope_of(user)
    qs = Cadre.objects.select_related("unit")
    if scope.everything:
        return qs
    if scope.region is not None:
        posted_here = Posting.objects.filter(village__code__startswith=scope.prefix).values("cadre_id")
        # The unit test first: PostgreSQL evaluates OR arms in order, and the IN arm hashes every posting of
        # the jurisdiction (60,000 for a province, ~60 ms) the first time it is needed. Most cadres come from
        # a unit inside the jurisdiction, so on a filtered page the hash is built for few rows or never.
        return qs.filter(Q(unit__region__code__startswith=scope.prefix) | Q(id__in=posted_here))
    if scope.unit_id:
        sent = Posting.objects.filter(unit_id=scope.unit_id).values("cadre_id")
        return qs.filter(Q(unit_id=scope.unit_id) | Q(id__in=sent))
    if scope.cadre_id:
        return qs.filter(pk=scope.cadre_id)
    return qs.none()


def posting_list(*, user) -> QuerySet[Posting]:
    scope = scope_of(user)
    qs = Posting.objects.select_related("cadre", "village", "village__township", "round", "unit")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(village__code__startswith=scope.prefix)
    if scope.unit_id:
        return qs.filter(Q(unit_id=scope.unit_id) | Q(cadre__unit_id=scope.unit_id))
    if scope.cadre_id:
        return qs.filter(cadre_id=scope.cadre_id)
    return qs.none()


def round_list(*, user) -> QuerySet[DispatchRound]:
    """Rounds issued inside the user's region or by a region above it (a county works in the city's rounds)."""
    scope = scope_of(user)
    qs = DispatchRound.objects.select_related("region")
    if scope.everything:
        return qs
    if scope.region is not None:
        above = [r.pk for r in scope.region.ancestors()]
        return qs.filter(Q(region__code__startswith=scope.prefix) | Q(region_id__in=above))
    if scope.unit_id or scope.cadre_id:
        return qs.filter(id__in=posting_list(user=user).values("round_id"))
    return qs.none()


def policy_for(region: Region | None) -> Policy:
    """The nearest policy row up the tree from `region`; with none, an unsaved Policy holding the defaults."""
    if region is not None:
        chain = region.ancestors()
        found = {p.region_id: p for p in Policy.objects.filter(region__in=chain)}
        for node in chain:
            if node.pk in found:
                return found[node.pk]
    return Policy(region=region)


def policies_for(townships) -> dict[int, Policy]:
    """policy_for() of many townships in one query: {township id: Policy}. Ancestors are found by their
    division codes (a township's county is its first 6 digits padded with zeros, and so on), so no parent
    rows need loading and the number of queries does not grow with the number of townships."""
    townships = {t.pk: t for t in townships}
    if not townships:
        return {}
    chains = {}
    codes = set()
    for pk, township in townships.items():
        chain = [code_prefix(township.code, level).ljust(12, "0") for level in (4, 3, 2, 1) if level <= township.level]
        chains[pk] = chain
        codes.update(chain)
    found = {p.region.code: p for p in Policy.objects.filter(region__code__in=codes).select_related("region")}
    result = {}
    for pk, chain in chains.items():
        policy = next((found[code] for code in chain if code in found), None)
        result[pk] = policy if policy is not None else Policy(region=townships[pk])
    return result


@dataclass
class Team:
    """驻村工作队: the postings of one village in one round, with composition warnings (never blocking)."""

    round: DispatchRound
    postings: list[Posting]
    warnings: list[str] = field(default_factory=list)

    @property
    def in_force(self) -> list[Posting]:
        return [p for p in self.postings if p.status == PostingStatus.IN_POST]


def team_warnings(*, village: Village, postings: list[Posting], policy: Policy, is_priority: bool) -> list[str]:
    by_role: dict[str, int] = defaultdict(int)
    for p in postings:
        if p.status == PostingStatus.IN_POST:
            by_role[p.role] += 1
    return team_count_warnings(by_role=by_role, policy=policy, is_priority=is_priority)


def team_count_warnings(*, by_role: dict[str, int], policy: Policy, is_priority: bool) -> list[str]:
    """The composition rules over the number of cadres in post per role of one village's team."""
    warnings = []
    active = sum(by_role.values())
    if not active:
        return warnings
    secretaries = by_role.get(PostingRole.FIRST_SECRETARY, 0)
    if not secretaries:
        warnings.append(_("工作队没有在岗的第一书记。"))
    elif secretaries > 1:
        warnings.append(_("工作队有%(n)d名在岗第一书记,一般只应有1名。") % {"n": secretaries})
    if is_priority and active < policy.team_min_priority:
        warnings.append(
            _("重点村工作队一般不少于%(min)d人,目前在岗%(n)d人。") % {"min": policy.team_min_priority, "n": active}
        )
    if active > policy.team_max:
        warnings.append(_("工作队一般不超过%(max)d人,目前在岗%(n)d人。") % {"max": policy.team_max, "n": active})
    return warnings


def village_teams(*, user, village: Village) -> list[Team]:
    """The village's teams across rounds, newest round first, each with its composition warnings."""
    postings = list(
        posting_list(user=user).filter(village=village).select_related("replaces__cadre").order_by(
            "-round__start_date", "role", "start_date"
        )
    )
    policy = policy_for(village.township)
    is_priority = village.categories.filter(is_priority=True).exists()
    teams: dict[int, Team] = {}
    for posting in postings:
        team = teams.setdefault(posting.round_id, Team(round=posting.round, postings=[]))
        team.postings.append(posting)
    for team in teams.values():
        team.warnings = team_warnings(village=village, postings=team.postings, policy=policy, is_priority=is_priority)
    return list(teams.values())


def villages_with_team_warnings(*, user, limit: int | None = None) -> list[tuple[Village, list[str]]]:
    """Villages in scope whose current team breaks a composition rule, in code order: counts per village and
    role in one grouped query, the rules applied to plain tuples, Village objects only for the villages shown."""
    villages = village_list(user=user)
    active = (
        Posting.objects.filter(status=PostingStatus.IN_POST, village__in=villages.values("pk"))
        .values_list("village_id", "role")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for village_id, role, n in active:
        counts.setdefault(village_id, {})[role] = n
    if not counts:
        return []
    rows = (
        villages.filter(pk__in=counts.keys())
        .annotate(priority=Exists(Village.categories.through.objects.filter(
            village_id=OuterRef("pk"), villagecategory__is_priority=True)))
        .order_by("code")
        .values_list("pk", "township_id", "priority")
    )
    rows = list(rows)
    policies = policies_for(Region.objects.filter(pk__in={township_id for _pk, township_id, _p in rows}))
    found: list[tuple[int, list[str]]] = []
    for pk, township_id, priority in rows:
        warnings = team_count_warnings(by_role=counts[pk], policy=policies[township_id], is_priority=priority)
        if warnings:
            found.append((pk, warnings))
            if limit and len(found) >= limit:
                break
    shown = Village.objects.select_related("township").in_bulk([pk for pk, _w in found])
    return [(shown[pk], warnings) for pk, warnings in found]


def current_posting(*, cadre: Cadre, day: datetime.date | None = None) -> Posting | None:
    day = day or today()
    return (
        Posting.objects.in_force_on(day)
        .filter(cadre=cadre)
        .select_related("village", "village__township", "village__township__parent", "round", "unit")
        .first()
    )


def teammates(*, posting: Posting) -> QuerySet[Posting]:
    """The other members of a cadre's current work team. A cadre may see who serves with them (names and
    roles), which is why this is not derived from posting_list(user=cadre)."""
    return (
        Posting.objects.in_force_on(today())
        .filter(village_id=posting.village_id)
        .exclude(pk=posting.pk)
        .select_related("cadre", "unit")
        .order_by("role", "start_date")
    )


def home_counts(*, user) -> dict:
    """The figures on each role's home page. Aggregates only: no individual ranking anywhere."""
    day = today()
    postings = posting_list(user=user)
    in_force = postings.in_force_on(day)
    by_role = {row["role"]: row["n"] for row in in_force.values("role").annotate(n=Count("pk"))}
    soon = day + datetime.timedelta(days=60)
    return {
        "villages": village_list(user=user).count(),
        "villages_covered": in_force.values("village_id").distinct().count(),
        "cadres_in_post": in_force.values("cadre_id").distinct().count(),
        "first_secretaries": by_role.get(PostingRole.FIRST_SECRETARY, 0),
        "team_leaders": by_role.get(PostingRole.TEAM_LEADER, 0),
        "members": by_role.get(PostingRole.MEMBER, 0),
        "ending_soon": in_force.filter(end_date__isnull=False, end_date__lte=soon).count(),
        "recalled_unreplaced": postings.filter(status=PostingStatus.RECALLED, replaced_by__isnull=True).count(),
    }


# --- Management workflows: recall and replacement, annual evaluation, awards, the dossier --------------------
# Who may act is decided here (reads), the services re-check it before they write.

GRADE_ORDER = [g.value for g in EvaluationGrade]  # best first


def year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def county_of_village(village: Village) -> Region:
    return village.township.parent


def recall_decider(*, posting: Posting) -> Region:
    """The organization department that decides a recall: the city's when the posting's unit is a city-level
    (or provincial) unit, else the county's of the village."""
    county = county_of_village(posting.village)
    if posting.unit.level <= RegionLevel.CITY:
        city = next((r for r in county.ancestors() if r.level == RegionLevel.CITY), None)
        if city is not None:
            return city
    return county


def proposer_body(user) -> str:
    """The body a proposer acts for, as it is written on the recall: 云溪县委组织部, 市财政局, or the system."""
    if user is None:
        return str(_("系统(督查结果自动提出)"))
    if user.role == Role.UNIT and user.unit_id:
        return user.unit.name
    if user.region_id:
        return str(_("%(region)s委组织部") % {"region": user.region.name})
    return user.get_full_name() or user.username


def recall_can_propose(*, user, posting: Posting) -> bool:
    """The organization department of the county or city (or province) holding the village, or the dispatching
    unit of the posting (or of the cadre), may propose a recall. Township officials and cadres may not."""
    if not posting_list(user=user).filter(pk=posting.pk).exists():
        return False
    if user.role == Role.ORG_DEPT:
        return org_level(user) is not None and org_level(user) <= RegionLevel.COUNTY
    if user.role == Role.UNIT and user.unit_id:
        return user.unit_id in (posting.unit_id, posting.cadre.unit_id)
    return False


def recall_can_decide(*, user, recall: Recall) -> bool:
    return user.role == Role.ORG_DEPT and user.region_id == recall.decider_region_id


def recall_list(*, user) -> QuerySet[Recall]:
    """Recalls of the postings the user sees (posting_list's scope, applied through the recall's own join, so
    PostgreSQL does not build the jurisdiction's whole posting set first)."""
    scope = scope_of(user)
    qs = Recall.objects.select_related(
        "posting__cadre", "posting__village__township", "posting__unit", "posting__replaced_by__cadre",
        "decider_region", "proposed_by", "decided_by",
    )
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(posting__village__code__startswith=scope.prefix)
    if scope.unit_id:
        return qs.filter(Q(posting__unit_id=scope.unit_id) | Q(posting__cadre__unit_id=scope.unit_id))
    if scope.cadre_id:
        return qs.filter(posting__cadre_id=scope.cadre_id)
    return qs.none()


def recall_queue(*, user) -> QuerySet[Recall]:
    """Proposals waiting for this user's decision (an organization department deciding for its region)."""
    if user.role != Role.ORG_DEPT or not user.region_id:
        return Recall.objects.none()
    return recall_list(user=user).filter(status=RecallStatus.PROPOSED, decider_region_id=user.region_id).order_by(
        "proposed_at", "pk"
    )


def replacements_pending(*, user, unit=None) -> QuerySet[Recall]:
    """Approved recalls whose posting nobody replaces yet, earliest deadline first (overdue ones on top)."""
    qs = recall_list(user=user).filter(status=RecallStatus.APPROVED, posting__replaced_by__isnull=True)
    if unit is not None:
        qs = qs.filter(posting__unit=unit)
    return qs.order_by("replacement_due", "pk")


def replacements_overdue(*, user, day: datetime.date | None = None, unit=None) -> QuerySet[Recall]:
    return replacements_pending(user=user, unit=unit).filter(replacement_due__lt=day or today())


def recall_history(*, user, cadre: Cadre) -> QuerySet[Recall]:
    return recall_list(user=user).filter(posting__cadre=cadre).order_by("-proposed_at", "-pk")


# --- annual evaluation -----------------------------------------------------------------------------------


def inspection_absences(*, cadre_ids, year: int) -> dict[int, list[datetime.date]]:
    """Absences found by inspection per cadre in `year`: register days with source inspection and status absent
    (a day the county later corrected no longer counts)."""
    from attendance.models import AttendanceDay, DaySource, DayStatus  # attendance depends on cadres

    start, end = year_bounds(year)
    result: dict[int, list[datetime.date]] = {}
    rows = (
        AttendanceDay.objects.filter(
            cadre_id__in=list(cadre_ids), source=DaySource.INSPECTION, status=DayStatus.ABSENT,
            day__gte=start, day__lte=end,
        )
        .order_by("day")
        .values_list("cadre_id", "day")
    )
    for cadre_id, day in rows:
        result.setdefault(cadre_id, []).append(day)
    return result


def recalled_in_year(*, cadre_ids, year: int) -> dict[int, datetime.date]:
    """The date each cadre's posting ended by recall in `year` (the first one, if several)."""
    start, end = year_bounds(year)
    result: dict[int, datetime.date] = {}
    rows = (
        Posting.objects.filter(
            cadre_id__in=list(cadre_ids), status=PostingStatus.RECALLED, end_date__gte=start, end_date__lte=end
        )
        .order_by("end_date")
        .values_list("cadre_id", "end_date")
    )
    for cadre_id, day in rows:
        result.setdefault(cadre_id, day)
    return result


def evaluation_posting(*, cadre: Cadre, year: int) -> Posting | None:
    """The posting an evaluation belongs to: the cadre's last posting in force during `year`. Its county's
    organization department decides the grade."""
    start, end = year_bounds(year)
    return (
        Posting.objects.filter(cadre=cadre)
        .overlapping(start, end)
        .select_related("village__township__parent", "unit", "round")
        .order_by("-start_date", "-pk")
        .first()
    )


def evaluation_can_decide(*, user, posting: Posting | None) -> bool:
    """The county organization department of the posting's village decides the evaluation."""
    return (
        posting is not None
        and user.role == Role.ORG_DEPT
        and user.region_id is not None
        and user.region.level == RegionLevel.COUNTY
        and user.region_id == county_of_village(posting.village).pk
    )


@dataclass
class ExcellentCap:
    """The excellent-share cap of a county and year: floor(in_post × percent / 100) may be graded excellent, where
    in_post counts the cadres the county evaluates that year (county_evaluated_in_year)."""

    percent: int
    in_post: int
    graded: int  # excellent grades already given in the county that year, this cadre's own excluded

    @property
    def maximum(self) -> int:
        return self.in_post * self.percent // 100

    @property
    def full(self) -> bool:
        return self.graded >= self.maximum

    def explain(self, *, county: Region, year: int) -> str:
        return _(
            "%(county)s优秀比例上限%(pct)d%%:%(year)d年应考核驻村干部%(n)d人,优秀最多%(n)d×%(pct)d%%="
            "%(max)d人(向下取整),已评%(done)d人。"
        ) % {"county": county.name, "pct": self.percent, "year": year, "n": self.in_post, "max": self.maximum,
             "done": self.graded}


def county_cadres_in_year(*, county: Region, year: int) -> QuerySet:
    """Ids of the cadres posted in the county's villages at some time during `year`."""
    start, end = year_bounds(year)
    return (
        Posting.objects.filter(village__code__startswith=county.prefix)
        .overlapping(start, end)
        .values("cadre_id")
        .distinct()
    )


def last_postings_in_year(*, cadre_ids, year: int) -> dict[int, Posting]:
    """Each cadre's last posting in force during `year` (the one the evaluation belongs to), in one query.
    Not scoped: callers decide what the user may see of it."""
    start, end = year_bounds(year)
    last: dict[int, Posting] = {}
    for posting in (
        Posting.objects.filter(cadre_id__in=cadre_ids).overlapping(start, end)
        .select_related("cadre", "unit", "round", "village__township__parent")
        .order_by("start_date", "pk")
    ):
        last[posting.cadre_id] = posting
    return last


def county_evaluated_in_year(*, county: Region, year: int) -> dict[int, Posting]:
    """The cadres the county evaluates for `year` — those whose last posting that year was in its villages —
    with that posting. A cadre who moved to another county during the year is evaluated there."""
    last = last_postings_in_year(cadre_ids=county_cadres_in_year(county=county, year=year), year=year)
    return {cid: p for cid, p in last.items() if county.contains_code(p.village.code)}


def excellent_cap(*, county: Region, year: int, policy: Policy, exclude_cadre_id: int | None = None) -> ExcellentCap | None:
    if policy.excellent_share_cap is None:
        return None
    graded = Evaluation.objects.filter(county=county, year=year, grade=EvaluationGrade.EXCELLENT)
    if exclude_cadre_id is not None:
        graded = graded.exclude(cadre_id=exclude_cadre_id)
    return ExcellentCap(
        percent=policy.excellent_share_cap,
        in_post=len(county_evaluated_in_year(county=county, year=year)),
        graded=graded.count(),
    )


@dataclass
class EvaluationLimits:
    """What the rules allow for one cadre and year, and why (shown on the form, enforced by the service).

    `best` is the best grade allowed by the cadre's own record (absences found, recall); `forced` means only
    不称职 is allowed; the excellent-share cap, which depends on the other cadres, is in `cap`."""

    year: int
    absences: list[datetime.date]
    recalled_on: datetime.date | None
    best: str = EvaluationGrade.EXCELLENT
    forced: bool = False
    reasons: list[str] = field(default_factory=list)
    cap: ExcellentCap | None = None
    cap_text: str = ""

    def refusal(self, grade: str) -> str | None:
        """Why `grade` is not allowed, or None when it is."""
        label = EvaluationGrade(grade).label
        if self.forced and grade != EvaluationGrade.INCOMPETENT:
            return _("不能评为“%(grade)s”:%(why)s") % {"grade": label, "why": self.reasons[0]}
        if GRADE_ORDER.index(grade) < GRADE_ORDER.index(self.best):
            return _("不能评为“%(grade)s”:%(why)s") % {"grade": label, "why": ";".join(self.reasons)}
        if grade == EvaluationGrade.EXCELLENT and self.cap is not None and self.cap.full:
            return _("不能评为“优秀”:%(why)s") % {"why": self.cap_text}
        return None

    @property
    def allowed(self) -> list[str]:
        return [g for g in GRADE_ORDER if self.refusal(g) is None]


def evaluation_limits(
    *, cadre: Cadre, year: int, policy: Policy, county: Region | None = None,
    absences: list[datetime.date] | None = None, recalled_on: datetime.date | None = None, with_cap: bool = True,
) -> EvaluationLimits:
    """The limits for one cadre (see DOMAIN.md §4): absences found by inspection in the year — at
    `absences_block_excellent` not excellent, at `absences_cap_basic` at most basically competent, at
    `absences_not_competent` not competent; a cadre recalled in the year cannot be excellent; and the county's
    excellent-share cap. Each threshold applies on its own; the most restrictive wins."""
    if absences is None:
        absences = inspection_absences(cadre_ids=[cadre.pk], year=year).get(cadre.pk, [])
    if recalled_on is None:
        recalled_on = recalled_in_year(cadre_ids=[cadre.pk], year=year).get(cadre.pk)
    limits = EvaluationLimits(year=year, absences=absences, recalled_on=recalled_on)
    n = len(absences)
    rules = [
        (policy.absences_not_competent, EvaluationGrade.INCOMPETENT,
         _("%(year)d年督查发现缺勤%(n)d次,达到%(limit)d次的评为不称职(并提出召回)。")),
        (policy.absences_cap_basic, EvaluationGrade.BASIC,
         _("%(year)d年督查发现缺勤%(n)d次,达到%(limit)d次的最高评为基本称职。")),
        (policy.absences_block_excellent, EvaluationGrade.COMPETENT,
         _("%(year)d年督查发现缺勤%(n)d次,达到%(limit)d次的不得评为优秀。")),
    ]
    # The most restrictive absence rule reached is the one to explain.
    for limit, best, text in sorted(rules, key=lambda r: -GRADE_ORDER.index(r[1])):
        if n >= limit:
            limits.best = best
            limits.forced = best == EvaluationGrade.INCOMPETENT
            limits.reasons.append(text % {"year": year, "n": n, "limit": limit})
            break
    if recalled_on is not None:
        if GRADE_ORDER.index(limits.best) < GRADE_ORDER.index(EvaluationGrade.COMPETENT):
            limits.best = EvaluationGrade.COMPETENT
        limits.reasons.append(
            _("%(date)s被召回,当年不得评为优秀。") % {"date": recalled_on.isoformat()}
        )
    if with_cap and county is not None:
        limits.cap = excellent_cap(county=county, year=year, policy=policy, exclude_cadre_id=cadre.pk)
        if limits.cap is not None:
            limits.cap_text = limits.cap.explain(county=county, year=year)
    return limits


def evaluation_list(*, user) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(posting_id__in=posting_list(user=user).values("pk")).select_related(
        "cadre", "posting__village__township", "county", "decided_by"
    )


@dataclass
class RosterRow:
    cadre: Cadre
    posting: Posting
    evaluation: Evaluation | None
    absences: int
    recalled_on: datetime.date | None
    can_edit: bool


def evaluation_roster(*, user, year: int, county: Region | None = None) -> list[RosterRow]:
    """The cadres whose evaluation for `year` belongs to the user's jurisdiction (optionally one county): those
    whose last posting that year is one the user sees. With their evaluation, the absences found and any recall
    that year: a handful of queries, not one per row."""
    start, end = year_bounds(year)
    visible = posting_list(user=user).overlapping(start, end)
    if county is not None:
        visible = visible.filter(village__code__startswith=county.prefix)
    visible_ids = set(visible.values_list("pk", flat=True))
    last = last_postings_in_year(cadre_ids=visible.values("cadre_id"), year=year)
    last = {cid: p for cid, p in last.items() if p.pk in visible_ids}
    ids = list(last)
    evaluations = {e.cadre_id: e for e in Evaluation.objects.filter(cadre_id__in=ids, year=year)}
    absences = inspection_absences(cadre_ids=ids, year=year)
    recalled = recalled_in_year(cadre_ids=ids, year=year)
    rows = [
        RosterRow(
            cadre=p.cadre, posting=p, evaluation=evaluations.get(cid), absences=len(absences.get(cid, [])),
            recalled_on=recalled.get(cid), can_edit=evaluation_can_decide(user=user, posting=p),
        )
        for cid, p in last.items()
    ]
    rows.sort(key=lambda r: (r.posting.village.code, r.posting.role, r.cadre.name))
    return rows


# --- awards and discipline -------------------------------------------------------------------------------


def award_list(*, user) -> QuerySet[AwardRecord]:
    return AwardRecord.objects.filter(cadre_id__in=cadre_list(user=user).values("pk")).select_related(
        "cadre", "cadre__unit", "recorded_by"
    )


def award_can_record(*, user, cadre: Cadre) -> bool:
    """Organization departments (and admins of a region) keep the award records of cadres they see."""
    return can_manage(user) and cadre_list(user=user).filter(pk=cadre.pk).exists()


# --- the dossier (档案) -----------------------------------------------------------------------------------


def day_ranges(days: list[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive days folded into ranges: [1,2,3,5] → [(1,3),(5,5)]."""
    ranges: list[tuple[datetime.date, datetime.date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + datetime.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def diary_summary(*, postings) -> list[dict] | None:
    """Per year, the number of diary entries and the outcomes they report; None when the diary module is not
    installed (attendance.DiaryEntry)."""
    from django.apps import apps
    from django.db.models import Sum

    try:
        diary = apps.get_model("attendance", "DiaryEntry")
    except LookupError:
        return None
    from django.db.models.functions import ExtractYear

    outcome = ("households_visited", "disputes_found", "disputes_resolved", "practical_matters",
               "projects_started", "funds_yuan", "jobs_created")
    rows = (
        diary.objects.filter(posting_id__in=postings.values("pk"))
        .annotate(year=ExtractYear("day"))
        .values("year")
        .annotate(entries=Count("pk"), major_events=Count("pk", filter=Q(major_event=True)),
                  **{name: Sum(name) for name in outcome})
        .order_by("-year")
    )
    return list(rows)


def cadre_dossier(*, user, cadre: Cadre) -> dict:
    """Everything the dossier page prints, read through the user's scope: postings, training days, evaluations,
    awards and discipline, absences found by inspection, recall history and the diary summary."""
    from attendance.models import AttendanceDay, DaySource, DayStatus

    postings = (
        posting_list(user=user).filter(cadre=cadre)
        .select_related("replaces__cadre", "replaced_by__cadre", "village__township__parent")
        .order_by("-start_date")
    )
    register = AttendanceDay.objects.filter(cadre=cadre, posting_id__in=postings.values("pk"))
    training: dict[int, list[datetime.date]] = {}
    for day in register.filter(status=DayStatus.TRAINING).order_by("day").values_list("day", flat=True):
        training.setdefault(day.year, []).append(day)
    absences = list(
        register.filter(source=DaySource.INSPECTION, status=DayStatus.ABSENT)
        .select_related("posting__village").order_by("-day")
    )
    return {
        "postings": list(postings),
        "training": [
            {"year": year, "days": len(days), "ranges": day_ranges(days)}
            for year, days in sorted(training.items(), reverse=True)
        ],
        "evaluations": list(evaluation_list(user=user).filter(cadre=cadre).order_by("-year")),
        "awards": list(award_list(user=user).filter(cadre=cadre).order_by("-date", "-pk")),
        "absences": absences,
        "recalls": list(recall_history(user=user, cadre=cadre)),
        "diary": diary_summary(postings=postings),
    }
