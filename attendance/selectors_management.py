"""Reads of inspections, rectification, training and the work diary, scoped to a user, and the sums the
monthly and annual reports print.

Who sees what (scope_of decides the jurisdiction):
- organization departments, township officials and admins of a region: inspections that visited a village of
  their region (and only the findings inside it), their rectification items, events organized in their
  region or above it, and the diary entries of cadres posted in their region;
- a dispatching unit: what concerns the cadres it sent (their findings, their events, their diary entries).
  The unit backs its cadres and is accountable for them (seed 002), so it may read their diary; it writes
  nothing here;
- a cadre: their own findings, events and diary.
"""
import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from cadres.jurisdiction import scope_of
from cadres.models import Posting
from villages.validators import SIGNIFICANT_DIGITS

from .models import (
    DiaryEntry,
    FindingResult,
    Inspection,
    InspectionFinding,
    Rectification,
    RectificationStatus,
    TrainingEvent,
    TrainingParticipant,
)

OUTCOME_FIELDS = DiaryEntry.OUTCOME_FIELDS


# ---------------------------------------------------------------- inspections


def _unit_cadres(unit_id: int) -> QuerySet:
    return Posting.objects.filter(Q(unit_id=unit_id) | Q(cadre__unit_id=unit_id)).values("cadre_id")


def finding_list(*, user) -> QuerySet[InspectionFinding]:
    scope = scope_of(user)
    qs = InspectionFinding.objects.select_related("cadre", "village__township", "inspection")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(village__code__startswith=scope.prefix)
    if scope.unit_id:
        return qs.filter(cadre_id__in=_unit_cadres(scope.unit_id))
    if scope.cadre_id:
        return qs.filter(cadre_id=scope.cadre_id)
    return qs.none()


def inspection_list(*, user) -> QuerySet[Inspection]:
    """Inspections with a visited village in the user's region (or a finding about their cadres), annotated
    with the findings and absences the user may see."""
    scope = scope_of(user)
    qs = Inspection.objects.select_related("region", "recorded_by")
    if scope.everything:
        return qs.annotate(
            n_findings=Count("findings", distinct=True),
            n_absent=Count("findings", filter=Q(findings__finding=FindingResult.ABSENT), distinct=True),
        )
    if scope.region is not None:
        qs = qs.filter(
            Exists(Inspection.villages.through.objects.filter(
                inspection_id=OuterRef("pk"), village__code__startswith=scope.prefix))
        )
        visible = Q(findings__village__code__startswith=scope.prefix)
    elif scope.unit_id or scope.cadre_id:
        findings = finding_list(user=user)
        qs = qs.filter(pk__in=findings.values("inspection_id"))
        visible = Q(findings__in=findings.values("pk"))
    else:
        return qs.none()
    return qs.annotate(
        n_findings=Count("findings", filter=visible, distinct=True),
        n_absent=Count("findings", filter=visible & Q(findings__finding=FindingResult.ABSENT), distinct=True),
    )


def inspection_findings(*, user, inspection: Inspection) -> QuerySet[InspectionFinding]:
    return finding_list(user=user).filter(inspection=inspection).select_related("posting").order_by(
        "village__code", "posting__role", "cadre__name"
    )


def rectification_list(*, user) -> QuerySet[Rectification]:
    return Rectification.objects.filter(
        inspection__in=inspection_list(user=user).values("pk")
    ).select_related("inspection__region", "finding__cadre", "created_by", "closed_by")


def overdue_rectifications(*, user) -> QuerySet[Rectification]:
    return rectification_list(user=user).filter(status=RectificationStatus.OPEN, deadline__lt=timezone.localdate())


def inspection_totals(
    *, region_prefix: str, start: datetime.date, end: datetime.date, level: int | None = None
) -> dict[str, dict[str, int]]:
    """For the reports: per region code (villages grouped at `level`: 3 county, 4 township, 5 village; None =
    one "" total), the inspections made, villages visited, findings and absences found between start and end
    (inclusive). An inspection visiting two townships counts once in each."""
    digits = SIGNIFICANT_DIGITS[level] if level else 0
    result: dict[str, dict[str, int]] = defaultdict(lambda: {"inspections": 0, "villages": 0, "findings": 0, "absent": 0})
    seen: dict[str, set[int]] = defaultdict(set)
    visits = Inspection.villages.through.objects.filter(
        inspection__date__gte=start, inspection__date__lte=end, village__code__startswith=region_prefix
    ).values_list("inspection_id", "village__code")
    for inspection_id, code in visits:
        key = code[:digits].ljust(12, "0") if digits else ""
        result[key]["villages"] += 1
        seen[key].add(inspection_id)
    for key, ids in seen.items():
        result[key]["inspections"] = len(ids)
    findings = (
        InspectionFinding.objects.filter(
            inspection__date__gte=start, inspection__date__lte=end, village__code__startswith=region_prefix
        )
        .values("village__code")
        .annotate(n=Count("pk"), absent=Count("pk", filter=Q(finding=FindingResult.ABSENT)))
    )
    for row in findings:
        key = row["village__code"][:digits].ljust(12, "0") if digits else ""
        result[key]["findings"] += row["n"]
        result[key]["absent"] += row["absent"]
    return {k: dict(v) for k, v in result.items()}


# ---------------------------------------------------------------- training


def training_list(*, user) -> QuerySet[TrainingEvent]:
    """Events organized in the user's region or by a region above it (a township sees the city's training),
    or, for a unit or a cadre, the events their cadres (they) take part in."""
    scope = scope_of(user)
    qs = TrainingEvent.objects.select_related("region")
    if scope.everything:
        return qs
    if scope.region is not None:
        above = [r.pk for r in scope.region.ancestors()]
        return qs.filter(Q(region__code__startswith=scope.prefix) | Q(region_id__in=above))
    if scope.unit_id:
        return qs.filter(pk__in=TrainingParticipant.objects.filter(
            cadre_id__in=_unit_cadres(scope.unit_id)).values("event_id"))
    if scope.cadre_id:
        return qs.filter(participants__cadre_id=scope.cadre_id)
    return qs.none()


def training_participants(*, user, event: TrainingEvent) -> QuerySet[TrainingParticipant]:
    """The participants of `event` the user may see: posted (during the event) in their region, sent by their
    unit, or themselves."""
    scope = scope_of(user)
    qs = TrainingParticipant.objects.filter(event=event).select_related("cadre").order_by("cadre__name", "pk")
    if scope.everything:
        return qs
    if scope.region is not None:
        posted = Posting.objects.filter(village__code__startswith=scope.prefix).overlapping(
            event.start_date, event.end_date).values("cadre_id")
        return qs.filter(cadre_id__in=posted)
    if scope.unit_id:
        return qs.filter(cadre_id__in=_unit_cadres(scope.unit_id))
    if scope.cadre_id:
        return qs.filter(cadre_id=scope.cadre_id)
    return qs.none()


def participant_villages(*, event: TrainingEvent, cadre_ids) -> dict[int, Posting]:
    """The posting each participant held when the event started (or the first one during it)."""
    result: dict[int, Posting] = {}
    for posting in (
        Posting.objects.filter(cadre_id__in=list(cadre_ids)).overlapping(event.start_date, event.end_date)
        .select_related("village__township").order_by("start_date")
    ):
        result.setdefault(posting.cadre_id, posting)
    return result


# ---------------------------------------------------------------- diary


def diary_list(*, user) -> QuerySet[DiaryEntry]:
    scope = scope_of(user)
    qs = DiaryEntry.objects.select_related("cadre", "posting__village__township")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(posting__village__code__startswith=scope.prefix)
    if scope.unit_id:
        return qs.filter(Q(posting__unit_id=scope.unit_id) | Q(cadre__unit_id=scope.unit_id))
    if scope.cadre_id:
        return qs.filter(cadre_id=scope.cadre_id)
    return qs.none()


def _zero() -> dict:
    return {"entries": 0, **{name: 0 for name in OUTCOME_FIELDS}, "funds_yuan": Decimal("0.00"), "major_events": 0}


def sum_outcomes(entries: QuerySet[DiaryEntry]) -> dict:
    """Totals of an (already scoped) queryset of entries: the row under a list of entries."""
    row = entries.aggregate(
        entries=Count("pk"), major_events=Count("pk", filter=Q(major_event=True)),
        **{name: Sum(name) for name in OUTCOME_FIELDS},
    )
    totals = _zero()
    totals.update({k: v for k, v in row.items() if v is not None})
    return totals


def outcome_totals(
    *, region_prefix: str, start: datetime.date, end: datetime.date, level: int | None = 5
) -> dict[str, dict]:
    """Work outcomes (DOMAIN §8) from the diary entries dated start..end (inclusive) of villages whose code
    starts with `region_prefix`, grouped by the code of the village (level 5, the default), township (4),
    county (3) or city (2), as a 12-digit code; level None gives one total under the key "". Each value holds
    "entries", "major_events", "cadres" (distinct cadres who wrote) and the sums of OUTCOME_FIELDS (funds as a
    Decimal, the rest as int). Keys without entries are absent: the caller fills its rows with zeros."""
    digits = SIGNIFICANT_DIGITS[level] if level else 0
    rows = (
        DiaryEntry.objects.filter(posting__village__code__startswith=region_prefix, day__gte=start, day__lte=end)
        .values("posting__village__code", "cadre_id")
        .annotate(
            n=Count("pk"), major=Count("pk", filter=Q(major_event=True)),
            **{f"s_{name}": Sum(name) for name in OUTCOME_FIELDS},
        )
    )
    result: dict[str, dict] = defaultdict(_zero)
    cadres: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        key = row["posting__village__code"][:digits].ljust(12, "0") if digits else ""
        totals = result[key]
        totals["entries"] += row["n"]
        totals["major_events"] += row["major"]
        for name in OUTCOME_FIELDS:
            totals[name] += row[f"s_{name}"] or 0
        cadres[key].add(row["cadre_id"])
    for key, totals in result.items():
        totals["cadres"] = len(cadres[key])
    return dict(result)
