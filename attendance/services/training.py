"""Training, theory study and work exchange (定期培训 / 理论学习 / 工作交流).

An event is organized by an organization department (city, county) or a township party committee for cadres
posted inside its region. An organized training away from the village (`fills_register`) writes its attending
participants' days into the register as training (source: training) for the days inside their postings; this
is the "training events (automatic)" source of the register.

Which register days a training owns is derived, not stored: a cadre's day is training when some organized,
not cancelled event they attend covers it. After any change (dates, participants, attendance, cancellation)
`_sync_register` recomputes the affected cadre-days and writes the difference: it fills days that are
unrecorded or recorded by the township (or from check-in/import evidence), never a day decided by an
authority (approved leave, a late return, an inspection finding, an approved correction), and frees only days
whose row came from a training. Confirmed months refuse training writes (register_write), so a change that
would touch one is refused as a whole with the register's message.
"""
import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.audit import audit_record
from cadres.models import Cadre, Posting, Role
from villages.models import RegionLevel

from ..models import AttendanceDay, DaySource, DayStatus, TrainingEvent, TrainingKind, TrainingParticipant
from .register import Entry, register_write

ONE_DAY = datetime.timedelta(days=1)
# Register sources a training may replace: the township's own entries and pre-filled evidence.
REPLACEABLE = {DaySource.TOWNSHIP, DaySource.CHECKIN, DaySource.IMPORT, DaySource.TRAINING}


def can_organize(user) -> bool:
    if not user.is_authenticated or user.region_id is None:
        return False
    if user.role == Role.ORG_DEPT:
        return True
    return user.role == Role.TOWNSHIP and user.region.level == RegionLevel.TOWNSHIP


def can_manage_event(user, event: TrainingEvent) -> bool:
    """The organizing body itself (or an organization department above it) changes an event."""
    return can_organize(user) and event.region.code.startswith(user.region.prefix)


def eligible_cadres(*, region, start: datetime.date, end: datetime.date):
    """Cadres with a posting in a village of `region` overlapping [start, end]: who may take part."""
    return Cadre.objects.filter(
        pk__in=Posting.objects.filter(village__code__startswith=region.prefix).overlapping(start, end).values("cadre_id")
    )


def _days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


def _sync_register(*, actor, cadre_ids: set[int], spans: list[tuple[datetime.date, datetime.date]], reason: str) -> int:
    """Make the register's training days of `cadre_ids` on the days of `spans` agree with the events."""
    days = sorted({day for a, b in spans for day in _days(a, b)})
    if not cadre_ids or not days:
        return 0
    first, last = days[0], days[-1]
    wanted: dict[tuple[int, datetime.date], str] = {}
    for p in (
        TrainingParticipant.objects.filter(
            cadre_id__in=cadre_ids, attended=True, event__kind=TrainingKind.TRAINING,
            event__counts_as_training=True, event__cancelled_at__isnull=True,
            event__start_date__lte=last, event__end_date__gte=first,
        )
        .select_related("event")
        .order_by("event__start_date", "event_id")
    ):
        for day in _days(max(p.event.start_date, first), min(p.event.end_date, last)):
            wanted.setdefault((p.cadre_id, day), p.event.title)
    in_post: dict[int, list[Posting]] = defaultdict(list)
    for posting in Posting.objects.filter(cadre_id__in=cadre_ids).overlapping(first, last):
        in_post[posting.cadre_id].append(posting)
    rows = {
        (r.cadre_id, r.day): r
        for r in AttendanceDay.objects.filter(cadre_id__in=cadre_ids, day__gte=first, day__lte=last)
    }
    entries = []
    for cadre_id in sorted(cadre_ids):
        for day in days:
            if not any(p.is_in_force_on(day) for p in in_post.get(cadre_id, [])):
                continue  # outside the postings: the register has no day to fill
            row = rows.get((cadre_id, day))
            title = wanted.get((cadre_id, day))
            if title is not None:
                if row is not None and row.source not in REPLACEABLE:
                    continue  # leave, a late return, an inspection or a correction decided this day
                if row is None or row.source != DaySource.TRAINING or row.status != DayStatus.TRAINING:
                    note = _("培训:%(title)s") % {"title": title}
                    entries.append(Entry(cadre_id=cadre_id, day=day, status=DayStatus.TRAINING, note=note[:200]))
            elif row is not None and row.source == DaySource.TRAINING:
                entries.append(Entry(cadre_id=cadre_id, day=day, status=DayStatus.NOT_RECORDED))
    return register_write(entries=entries, source=DaySource.TRAINING, actor=actor, reason=reason)


def _clean_event(event: TrainingEvent) -> None:
    errors: dict[str, str] = {}
    event.title = " ".join((event.title or "").split())
    if not event.title:
        errors["title"] = _("请填写名称。")
    if event.start_date and event.end_date and event.end_date < event.start_date:
        errors["end_date"] = _("结束日期不能早于开始日期。")
    if event.counts_as_training and event.kind != TrainingKind.TRAINING:
        errors["counts_as_training"] = _("只有组织培训可以计入考勤;理论学习和工作交流不改变考勤。")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def training_event_save(
    *,
    actor,
    event: TrainingEvent,
    cadre_ids: list[int] | set[int],
    ip: str | None = None,
) -> TrainingEvent:
    """Create or update an event and set its participants to `cadre_ids` (new ones attend by default; removed
    ones lose the training days the event gave them). The organizing region is the actor's own for a new event."""
    created = event.pk is None
    if created:
        if not can_organize(actor):
            raise ValidationError(_("只有组织部或乡镇党委可以组织培训学习交流。"))
        event.region = actor.region
        event.created_by = actor
        old = None
    else:
        old = TrainingEvent.objects.select_for_update().get(pk=event.pk)
        if not can_manage_event(actor, old):
            raise ValidationError(_("只有组织单位可以修改该活动。"))
        if old.cancelled_at is not None:
            raise ValidationError(_("该活动已取消,不能修改。"))
        event.region_id = old.region_id
    _clean_event(event)
    cadre_ids = {int(c) for c in cadre_ids}
    allowed = set(
        eligible_cadres(region=event.region, start=event.start_date, end=event.end_date).values_list("pk", flat=True)
    )
    strangers = cadre_ids - allowed
    if strangers:
        names = "、".join(Cadre.objects.filter(pk__in=strangers).order_by("name").values_list("name", flat=True))
        raise ValidationError(
            {"cadres": _("%(names)s 在活动期间不在%(region)s派驻,不能参加。") % {"names": names, "region": event.region}}
        )
    event.save()
    before = dict(TrainingParticipant.objects.filter(event=event).values_list("cadre_id", "attended"))
    TrainingParticipant.objects.filter(event=event, cadre_id__in=set(before) - cadre_ids).delete()
    TrainingParticipant.objects.bulk_create(
        [TrainingParticipant(event=event, cadre_id=c) for c in sorted(cadre_ids - set(before))]
    )
    changed = 0
    if event.fills_register or (old is not None and old.fills_register):
        # Both the old and the new days: moving a training frees the days it no longer covers.
        spans = [(event.start_date, event.end_date)]
        if old is not None:
            spans.append((old.start_date, old.end_date))
        changed = _sync_register(
            actor=actor, cadre_ids=cadre_ids | set(before), spans=spans,
            reason=_("培训活动:%(title)s") % {"title": event.title},
        )
    audit_record(
        actor=actor, action="training.create" if created else "training.update", obj=event,
        region_code=event.region.code, ip=ip,
        detail={
            "start": event.start_date.isoformat(), "end": event.end_date.isoformat(), "kind": event.kind,
            "fills_register": event.fills_register, "participants": len(cadre_ids),
            "added": len(cadre_ids - set(before)), "removed": len(set(before) - cadre_ids), "register_days": changed,
        },
    )
    return event


@transaction.atomic
def training_attendance_save(
    *, actor, event: TrainingEvent, attended: dict[int, bool], ip: str | None = None
) -> int:
    """Record who actually attended. A participant marked absent from an organized training gets their training
    days freed for the township to record what they did instead. Returns the number of participants changed."""
    event = TrainingEvent.objects.select_for_update().get(pk=event.pk)
    if not can_manage_event(actor, event):
        raise ValidationError(_("只有组织单位可以登记参加情况。"))
    if event.cancelled_at is not None:
        raise ValidationError(_("该活动已取消。"))
    if event.start_date > timezone.localdate():
        raise ValidationError(_("活动尚未开始,不能登记参加情况。"))
    current = {p.cadre_id: p for p in TrainingParticipant.objects.filter(event=event)}
    changed = [current[c] for c, value in attended.items() if c in current and current[c].attended != bool(value)]
    for p in changed:
        p.attended = not p.attended
    TrainingParticipant.objects.bulk_update(changed, ["attended"])
    if changed:
        if event.fills_register:
            _sync_register(
                actor=actor, cadre_ids={p.cadre_id for p in changed}, spans=[(event.start_date, event.end_date)],
                reason=_("培训参加情况:%(title)s") % {"title": event.title},
            )
        audit_record(
            actor=actor, action="training.attendance", obj=event, region_code=event.region.code, ip=ip,
            detail={"attended": [p.cadre_id for p in changed if p.attended],
                    "absent": [p.cadre_id for p in changed if not p.attended]},
        )
    return len(changed)


@transaction.atomic
def training_event_cancel(*, actor, event: TrainingEvent, ip: str | None = None) -> TrainingEvent:
    """Cancel an event: it stays on record, and the training days it gave are freed."""
    event = TrainingEvent.objects.select_for_update().select_related("region").get(pk=event.pk)
    if not can_manage_event(actor, event):
        raise ValidationError(_("只有组织单位可以取消该活动。"))
    fills = event.fills_register
    done = TrainingEvent.objects.filter(pk=event.pk, cancelled_at__isnull=True).update(cancelled_at=timezone.now())
    if not done:
        raise ValidationError(_("该活动已经取消。"))
    event.refresh_from_db()
    if fills:
        cadre_ids = set(TrainingParticipant.objects.filter(event=event).values_list("cadre_id", flat=True))
        _sync_register(
            actor=actor, cadre_ids=cadre_ids, spans=[(event.start_date, event.end_date)],
            reason=_("培训取消:%(title)s") % {"title": event.title},
        )
    audit_record(actor=actor, action="training.cancel", obj=event, region_code=event.region.code, ip=ip)
    return event
