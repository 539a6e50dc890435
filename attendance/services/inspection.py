"""Inspections (督查 / 暗访) and rectification (整改).

An organization department records one visit: the villages, and for every cadre posted there on that day what
the inspectors found. The findings are facts entered once; from them:

- an absence not covered by approved leave or official business is written into the register as absent
  (source: inspection) through register_write, which replaces a township entry and keeps both in the history
  (inspection findings are an authority's decision, so a confirmed month does not refuse them);
- the absences found in the year (register rows with source inspection and status absent, so a later
  approved correction takes one back: cadres.selectors.inspection_absences, the count the annual evaluation
  uses) are compared with the policy; at `absences_not_competent` a recall is proposed
  (cadres.services.recall_propose, which avoids duplicates);
- the township, the county and the cadre are told at once.
"""
import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.audit import audit_record
from cadres.models import Posting, Role, User
from cadres.selectors import inspection_absences, policy_for
from villages.models import Region, RegionLevel, Village

from ..models import (
    AttendanceDay,
    DaySource,
    DayStatus,
    FindingResult,
    Inspection,
    InspectionFinding,
    InspectionKind,
    LeaveRequest,
    LeaveStatus,
    Rectification,
    RectificationStatus,
)
from ..notifications import notify_users
from .register import Entry, register_write

RECALL_REASON = "inspection_absence"


def can_record_inspections(user) -> bool:
    """Inspections are ordered and recorded by the organization department of a county or city (or province)."""
    return (
        user.is_authenticated and user.role == Role.ORG_DEPT and user.region_id is not None
        and user.region.level <= RegionLevel.COUNTY
    )


def can_manage_inspection(user, inspection: Inspection) -> bool:
    """Rectification items are opened and signed off by an organization department whose region holds the
    inspection's organizing region or one of its villages (a county follows up the city's visit to it)."""
    if not can_record_inspections(user):
        return False
    prefix = user.region.prefix
    if inspection.region.code.startswith(prefix):
        return True
    return inspection.villages.filter(code__startswith=prefix).exists()


def postings_on(*, villages, day: datetime.date) -> list[Posting]:
    """The postings in force on `day` in `villages`: the cadres a finding is required for."""
    return list(
        Posting.objects.in_force_on(day)
        .filter(village__in=villages)
        .select_related("cadre", "village__township__parent")
        .order_by("village__code", "role", "cadre__name", "pk")
    )


def approved_leave_on(*, cadre_ids: set[int], day: datetime.date) -> dict[int, LeaveRequest]:
    """Approved leave covering `day` per cadre (a half day counts: the cadre may be away that half). Leave
    reported back (销假) before `day` no longer covers it."""
    result = {}
    for leave in LeaveRequest.objects.filter(
        cadre_id__in=cadre_ids, status__in=(LeaveStatus.APPROVED, LeaveStatus.RETURNED),
        start_date__lte=day, end_date__gte=day,
    ).filter(Q(returned_on__isnull=True) | Q(returned_on__gt=day)):
        result[leave.cadre_id] = leave
    return result


def _region_at(region: Region, level: int) -> Region | None:
    for node in region.ancestors():
        if node.level == level:
            return node
    return None


@transaction.atomic
def inspection_record(
    *,
    actor,
    date: datetime.date,
    kind: str,
    inspectors: str,
    villages: list[Village],
    findings: list[dict],
    note: str = "",
    ip: str | None = None,
) -> Inspection:
    """Record an inspection with a finding for every cadre posted in the villages on `date`.

    `findings`: [{"cadre_id": int, "finding": FindingResult, "note": str}]. Everything is checked before
    anything is written; a ValidationError lists every problem."""
    if not can_record_inspections(actor):
        raise ValidationError(_("只有县(区)或市委组织部可以录入督查。"))
    errors: dict[str, list[str]] = defaultdict(list)
    today = timezone.localdate()
    if date > today:
        errors["date"].append(_("督查日期不能晚于今天。"))
    if kind not in InspectionKind.values:
        errors["kind"].append(_("请选择督查方式。"))
    inspectors = " ".join((inspectors or "").split())
    if not inspectors:
        errors["inspectors"].append(_("请填写督查人员。"))
    villages = list({v.pk: v for v in villages}.values())
    if not villages:
        errors["villages"].append(_("请至少选择一个督查村。"))
    prefix = actor.region.prefix
    outside = [v.name for v in villages if not v.code.startswith(prefix)]
    if outside:
        errors["villages"].append(_("%(names)s 不在本单位管辖范围内。") % {"names": "、".join(outside)})
    if errors:
        raise ValidationError(dict(errors))

    postings = postings_on(villages=villages, day=date)
    by_cadre = {p.cadre_id: p for p in postings}
    given: dict[int, dict] = {}
    problems: list[str] = []
    for item in findings:
        cadre_id = int(item["cadre_id"])
        if cadre_id not in by_cadre:
            problems.append(_("所列干部(编号%(id)s)在督查当日不在所选村派驻。") % {"id": cadre_id})
            continue
        if cadre_id in given:
            problems.append(_("%(name)s 的督查结果重复。") % {"name": by_cadre[cadre_id].cadre.name})
            continue
        given[cadre_id] = item
    missing = [p.cadre.name for p in postings if p.cadre_id not in given]
    if missing:
        problems.append(_("请填写以下干部的督查结果:%(names)s。") % {"names": "、".join(missing)})

    leave = approved_leave_on(cadre_ids=set(given), day=date)
    register = {
        row.cadre_id: row for row in AttendanceDay.objects.filter(cadre_id__in=list(given), day=date)
    }
    for cadre_id, item in given.items():
        name = by_cadre[cadre_id].cadre.name
        result = item.get("finding")
        if result not in FindingResult.values:
            problems.append(_("请选择 %(name)s 的督查结果。") % {"name": name})
            continue
        row = register.get(cadre_id)
        on_leave = cadre_id in leave or (row is not None and row.status == DayStatus.LEAVE)
        if result == FindingResult.ABSENT and on_leave:
            covering = leave.get(cadre_id)
            span = (
                f"{covering.start_date:%m-%d}至{covering.end_date:%m-%d}" if covering is not None else date.isoformat()
            )
            problems.append(
                _("%(name)s 在 %(day)s 有已批准的请假(%(span)s),不能记为不在岗,请选择“请假”。")
                % {"name": name, "day": date.isoformat(), "span": span}
            )
        elif result == FindingResult.ON_LEAVE and not on_leave:
            problems.append(
                _("%(name)s 在 %(day)s 没有已批准的请假;未经批准离村的,请记为“不在岗”。")
                % {"name": name, "day": date.isoformat()}
            )
    if problems:
        raise ValidationError({"findings": problems})

    inspection = Inspection.objects.create(
        date=date, kind=kind, inspectors=inspectors[:200], region=actor.region, note=(note or "").strip(),
        recorded_by=actor,
    )
    inspection.villages.set(villages)
    rows = []
    for posting in postings:
        item = given[posting.cadre_id]
        rows.append(InspectionFinding(
            inspection=inspection, cadre_id=posting.cadre_id, posting=posting, village_id=posting.village_id,
            finding=item["finding"], note=(item.get("note") or "").strip()[:300],
        ))
    InspectionFinding.objects.bulk_create(rows)

    absent = [f for f in rows if f.finding == FindingResult.ABSENT]
    label = inspection.get_kind_display()
    if absent:
        register_write(
            entries=[
                Entry(
                    cadre_id=f.cadre_id, day=date, status=DayStatus.ABSENT, flagged=True,
                    note=(_("%(kind)s发现不在岗") % {"kind": label} + (f":{f.note}" if f.note else ""))[:200],
                )
                for f in absent
            ],
            source=DaySource.INSPECTION,
            actor=actor,
            reason=_("%(kind)s发现不在岗(督查记录%(id)s)") % {"kind": label, "id": inspection.pk},
        )
    audit_record(
        actor=actor, action="inspection.record", obj=inspection, region_code=actor.region.code, ip=ip,
        detail={
            "date": date.isoformat(), "kind": kind, "villages": [v.code for v in villages],
            "findings": len(rows), "absent": [f.cadre_id for f in absent],
        },
    )
    if absent:
        _after_absences(actor=actor, inspection=inspection, absent=absent, postings=by_cadre)
    return inspection


def _after_absences(*, actor, inspection: Inspection, absent: list[InspectionFinding], postings: dict) -> None:
    """Tell the township, the county and the cadre; propose a recall where the year's count reaches the
    policy threshold."""
    day = inspection.date
    # The year's count comes from the register (cadres.selectors.inspection_absences, which the evaluation
    # uses too): one day counts once even if two visits found it, and a day corrected later no longer counts.
    counts = {
        cadre_id: len(days)
        for cadre_id, days in inspection_absences(cadre_ids=[f.cadre_id for f in absent], year=day.year).items()
    }
    url = inspection.get_absolute_url()
    by_region: dict[tuple[int, str], list[User]] = {}

    def officials(region: Region | None, role: str) -> list[User]:
        if region is None:
            return []
        key = (region.pk, role)
        if key not in by_region:
            by_region[key] = list(User.objects.filter(region=region, role=role, is_active=True))
        return by_region[key]

    for finding in absent:
        posting = postings[finding.cadre_id]
        township = posting.village.township
        county = _region_at(township, RegionLevel.COUNTY)
        n = counts.get(finding.cadre_id, 0)
        text = _("%(kind)s:%(name)s(%(village)s)%(day)s 不在岗,已记为缺勤;本年度督查发现缺勤%(n)d次。") % {
            "kind": inspection.get_kind_display(), "name": finding.cadre.name, "village": posting.village.name,
            "day": day.isoformat(), "n": n,
        }
        notify_users(
            users=[u for u in officials(township, Role.TOWNSHIP) + officials(county, Role.ORG_DEPT) if u.pk != actor.pk],
            text=text, url=url,
        )
        notify_users(
            users=list(User.objects.filter(cadre_id=finding.cadre_id, role=Role.CADRE, is_active=True)),
            text=_("督查发现您 %(day)s 不在岗,已记为缺勤。如有异议,请向乡镇党委说明。") % {"day": day.isoformat()},
            url=url,
        )
        threshold = getattr(policy_for(township), "absences_not_competent", None)
        if threshold and n >= threshold:
            _propose_recall(posting=posting, count=n, inspection=inspection)


def _propose_recall(*, posting: Posting, count: int, inspection: Inspection) -> None:
    # Imported here: cadres.services owns recalls, and importing attendance code at its module level would be
    # circular. recall_propose avoids a second pending proposal for the same posting.
    from cadres.services import recall_propose

    recall_propose(
        actor=None, posting=posting, reason=RECALL_REASON,
        note=_("%(year)s年督查发现缺勤%(n)d次(最近一次:%(day)s %(kind)s),达到召回标准,系统自动提出召回。")
        % {"year": inspection.date.year, "n": count, "day": inspection.date.isoformat(),
           "kind": inspection.get_kind_display()},
    )


# ---------------------------------------------------------------- rectification


@transaction.atomic
def rectification_open(
    *,
    actor,
    inspection: Inspection,
    description: str,
    owner: str,
    deadline: datetime.date,
    finding: InspectionFinding | None = None,
    ip: str | None = None,
) -> Rectification:
    if not can_manage_inspection(actor, inspection):
        raise ValidationError(_("只有组织部可以提出整改事项。"))
    errors: dict[str, str] = {}
    description = (description or "").strip()
    owner = " ".join((owner or "").split())
    if not description:
        errors["description"] = _("请填写整改事项。")
    if not owner:
        errors["owner"] = _("请填写责任单位或责任人。")
    if deadline < timezone.localdate():
        errors["deadline"] = _("整改期限不能早于今天。")
    if finding is not None and finding.inspection_id != inspection.pk:
        errors["finding"] = _("所选督查结果不属于本次督查。")
    if errors:
        raise ValidationError(errors)
    item = Rectification.objects.create(
        inspection=inspection, finding=finding, description=description, owner=owner[:100], deadline=deadline,
        created_by=actor,
    )
    audit_record(
        actor=actor, action="rectification.open", obj=item, region_code=inspection.region.code, ip=ip,
        detail={"inspection": inspection.pk, "deadline": deadline.isoformat(), "owner": item.owner},
    )
    return item


@transaction.atomic
def rectification_close(*, actor, rectification: Rectification, note: str = "", ip: str | None = None) -> Rectification:
    """Sign an item off as done. The conditional UPDATE makes a second sign-off (also a concurrent one) fail."""
    if not can_manage_inspection(actor, rectification.inspection):
        raise ValidationError(_("只有组织部可以验收整改事项。"))
    done = Rectification.objects.filter(pk=rectification.pk, status=RectificationStatus.OPEN).update(
        status=RectificationStatus.DONE, done_at=timezone.now(), done_note=(note or "").strip()[:300], closed_by=actor,
    )
    if not done:
        raise ValidationError(_("该整改事项已经验收。"))
    rectification.refresh_from_db()
    audit_record(
        actor=actor, action="rectification.close", obj=rectification, region_code=rectification.inspection.region.code,
        ip=ip, detail={"overdue": rectification.deadline < timezone.localdate(rectification.done_at)},
    )
    return rectification
