"""The work diary (民情日记): a cadre's own dated entries with optional counted outcomes.

One entry per cadre and day (a second submit of the same day, say a double tap on a slow phone network, is
refused rather than counted twice); the cadre may correct their own entry later, each change audit-logged.
The outcomes are summed by the monthly and annual reports (attendance.selectors_management.outcome_totals),
so they are entered here once and never typed into a report. A major event (大事报告, e.g. a petition) is
flagged to the township party committee at once.
"""
import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.audit import audit_record
from cadres.models import Posting, Role, User

from ..models import DiaryEntry
from ..notifications import notify_users

COUNT_FIELDS = (
    "households_visited", "disputes_found", "disputes_resolved", "practical_matters", "projects_started",
    "jobs_created",
)


def _clean_outcomes(outcomes: dict) -> tuple[dict, dict[str, str]]:
    values, errors = {}, {}
    for name in COUNT_FIELDS:
        raw = outcomes.get(name) or 0
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = -1
        if value < 0:
            errors[name] = _("请填写不小于0的整数。")
        values[name] = max(value, 0)
    try:
        funds = Decimal(str(outcomes.get("funds_yuan") or 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        funds = Decimal(-1)
    if funds < 0 or funds >= Decimal("1e10"):
        errors["funds_yuan"] = _("请填写有效的金额(元)。")
    values["funds_yuan"] = max(funds, Decimal(0))
    return values, errors


@transaction.atomic
def diary_write(
    *,
    actor,
    day: datetime.date,
    text: str,
    outcomes: dict | None = None,
    major_event: bool = False,
    major_event_note: str = "",
    entry: DiaryEntry | None = None,
    ip: str | None = None,
) -> DiaryEntry:
    """Write (or, with `entry`, correct) the actor's own entry for `day`. Only the cadre themself writes: the
    day may not lie in the future and must lie inside one of their postings."""
    if not actor.is_authenticated or actor.role != Role.CADRE or actor.cadre_id is None:
        raise ValidationError(_("民情日记由驻村干部本人填写。"))
    if entry is not None and entry.cadre_id != actor.cadre_id:
        raise ValidationError(_("只能修改本人的民情日记。"))
    errors: dict[str, str] = {}
    if day > timezone.localdate():
        errors["day"] = _("不能填写今天以后的日记。")
    text = (text or "").strip()
    if not text:
        errors["text"] = _("请填写日记内容。")
    major_event_note = (major_event_note or "").strip()
    if major_event and not major_event_note:
        errors["major_event_note"] = _("请简要说明重大事项。")
    values, outcome_errors = _clean_outcomes(outcomes or {})
    errors.update(outcome_errors)
    posting = (
        Posting.objects.filter(cadre_id=actor.cadre_id).in_force_on(day)
        .select_related("village__township", "cadre").first()
    )
    if posting is None and "day" not in errors:
        errors["day"] = _("%(day)s 不在您的派驻期内。") % {"day": day.isoformat()}
    if errors:
        raise ValidationError(errors)

    # The stored entry, not the caller's object: a bound ModelForm has already changed the one it was given.
    current = DiaryEntry.objects.select_for_update().get(pk=entry.pk) if entry is not None else None
    was_major = current.major_event if current is not None else False
    before = {name: str(getattr(current, name)) for name in DiaryEntry.OUTCOME_FIELDS} if current else {}
    target = current if current is not None else DiaryEntry(cadre_id=actor.cadre_id)
    target.posting = posting
    target.day = day
    target.text = text
    target.major_event = bool(major_event)
    target.major_event_note = major_event_note[:300] if major_event else ""
    for name, value in values.items():
        setattr(target, name, value)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as exc:
        raise ValidationError({"day": _("%(day)s 已写过日记,请打开该日的日记修改。") % {"day": day.isoformat()}}) from exc

    township = posting.village.township
    audit_record(
        actor=actor, action="diary.create" if entry is None else "diary.update", obj=target,
        region_code=posting.village.code, ip=ip,
        detail={"day": day.isoformat(), "major_event": target.major_event,
                **({"before": before} if before else {})},
    )
    if target.major_event and not was_major:
        notify_users(
            users=list(User.objects.filter(region=township, role=Role.TOWNSHIP, is_active=True)),
            text=_("重大事项报告:%(name)s(%(village)s)%(day)s:%(note)s") % {
                "name": posting.cadre.name, "village": posting.village.name, "day": day.isoformat(),
                "note": target.major_event_note,
            },
            url=target.get_absolute_url(),
        )
    return target
