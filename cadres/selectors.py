"""Reads of cadres, rounds and postings, always scoped to a user (see cadres.jurisdiction)."""
import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from villages.models import Policy, Region, Village
from villages.selectors import village_list

from .jurisdiction import scope_of
from .models import Cadre, DispatchRound, Posting, PostingRole, PostingStatus


def today() -> datetime.date:
    return timezone.localdate()


def cadre_list(*, user) -> QuerySet[Cadre]:
    scope = scope_of(user)
    qs = Cadre.objects.select_related("unit")
    if scope.everything:
        return qs
    if scope.region is not None:
        posted_here = Posting.objects.filter(village__code__startswith=scope.prefix).values("cadre_id")
        return qs.filter(Q(id__in=posted_here) | Q(unit__region__code__startswith=scope.prefix))
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
    warnings = []
    active = [p for p in postings if p.status == PostingStatus.IN_POST]
    if not active:
        return warnings
    secretaries = [p for p in active if p.role == PostingRole.FIRST_SECRETARY]
    if not secretaries:
        warnings.append(_("工作队没有在岗的第一书记。"))
    elif len(secretaries) > 1:
        warnings.append(_("工作队有%(n)d名在岗第一书记,一般只应有1名。") % {"n": len(secretaries)})
    if is_priority and len(active) < policy.team_min_priority:
        warnings.append(
            _("重点村工作队一般不少于%(min)d人,目前在岗%(n)d人。") % {"min": policy.team_min_priority, "n": len(active)}
        )
    if len(active) > policy.team_max:
        warnings.append(_("工作队一般不超过%(max)d人,目前在岗%(n)d人。") % {"max": policy.team_max, "n": len(active)})
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
    """Villages in scope whose current team breaks a composition rule, computed with three queries."""
    villages = village_list(user=user).prefetch_related("categories")
    active = (
        Posting.objects.filter(status=PostingStatus.IN_POST, village__in=villages.values("pk"))
        .values("village_id", "role")
        .annotate(n=Count("pk"))
    )
    counts: dict[int, dict[str, int]] = {}
    for row in active:
        counts.setdefault(row["village_id"], {})[row["role"]] = row["n"]
    if not counts:
        return []
    policies: dict[int, Policy] = {}
    result = []
    for village in villages.filter(pk__in=counts.keys()).order_by("code"):
        by_role = counts[village.pk]
        policy = policies.get(village.township_id)
        if policy is None:
            policy = policies[village.township_id] = policy_for(village.township)
        fake = [Posting(role=role, status=PostingStatus.IN_POST) for role, n in by_role.items() for _i in range(n)]
        is_priority = any(c.is_priority for c in village.categories.all())
        warnings = team_warnings(village=village, postings=fake, policy=policy, is_priority=is_priority)
        if warnings:
            result.append((village, warnings))
            if limit and len(result) >= limit:
                break
    return result


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
