"""Writes of the attendance register, month confirmation and corrections.

Every register change goes through `register_write`: it checks that each day lies inside one of the cadre's
postings and outside a locked month (for sources that the lock covers), keeps the change history, and
updates the monthly tallies in the same transaction so they never drift from the rows.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadres.audit import audit_record
from cadres.models import Cadre, Posting
from villages.models import Region

from ..models import (
    AttendanceChange,
    AttendanceDay,
    CorrectionRequest,
    CorrectionStatus,
    DaySource,
    DayStatus,
    MonthConfirmation,
    MonthlyTally,
)

# Sources a confirmed month refuses: the township's own entries and pre-filled evidence. Decisions made by
# an authority (approved leave, county-approved corrections, inspection findings) still apply, with history.
LOCKED_SOURCES = {DaySource.TOWNSHIP, DaySource.CHECKIN, DaySource.IMPORT, DaySource.TRAINING}
TALLY_FIELDS = {
    DayStatus.PRESENT: "present",
    DayStatus.LEAVE: "leave",
    DayStatus.BUSINESS: "business",
    DayStatus.TRAINING: "training",
    DayStatus.ABSENT: "absent",
}


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_days(month: datetime.date) -> list[datetime.date]:
    first = month_start(month)
    return [first + datetime.timedelta(days=i) for i in range((next_month(first) - first).days)]


@dataclass(frozen=True)
class Entry:
    cadre_id: int
    day: datetime.date
    status: str  # DayStatus; NOT_RECORDED deletes the row
    leave_id: int | None = None
    flagged: bool = False
    note: str = ""


def _postings_by_cadre(
    cadre_ids: set[int], first: datetime.date, last: datetime.date, *, locked_in: list[datetime.date]
) -> dict[int, list[Posting]]:
    """The cadres' postings overlapping [first, last]. With `locked_in` (months), each posting also carries
    `locked_months`: those of its township's confirmed months among them, read in the same query (one
    EXISTS per month) instead of a second round trip."""
    # The posting row alone (the township of the locked months is joined in SQL; names for messages are read
    # only when there is a refusal to word).
    qs = Posting.objects.filter(cadre_id__in=cadre_ids).overlapping(first, last)
    if locked_in:
        qs = qs.annotate(**{
            f"locked_{i}": Exists(
                MonthConfirmation.objects.filter(township_id=OuterRef("village__township_id"), month=month)
            )
            for i, month in enumerate(locked_in)
        })
    result: dict[int, list[Posting]] = defaultdict(list)
    for posting in qs:
        posting.locked_months = {m for i, m in enumerate(locked_in) if getattr(posting, f"locked_{i}")}
        result[posting.cadre_id].append(posting)
    return result


# Rows per UPDATE ... FROM statement: SQLite allows at most 500 terms in a compound SELECT.
ROWS_PER_UPDATE = 250


def _literal_rows(columns: list[tuple[str, str | None]], rows: list[tuple]) -> tuple[str, list]:
    """A derived table of literal rows, `(SELECT %s AS a, ... UNION ALL SELECT %s, ...)`, to UPDATE ... FROM in
    one statement on PostgreSQL and SQLite alike (SQLite's VALUES cannot name its columns). `columns` are
    (alias, cast) pairs: integer columns are cast (ids to BIGINT: the keys are 64-bit), since PostgreSQL
    types a column of NULLs as text."""
    def select(first: bool) -> str:
        return "SELECT " + ", ".join(
            (f"CAST(%s AS {cast})" if cast else "%s") + (f" AS {alias}" if first else "") for alias, cast in columns
        )

    return "(" + " UNION ALL ".join(select(i == 0) for i in range(len(rows))) + ")", [v for row in rows for v in row]


def _update_days(rows: list[AttendanceDay], *, source: str, set_by_id: int | None, set_at: datetime.datetime) -> None:
    """Write the changed fields of existing register rows, one statement per ROWS_PER_UPDATE rows (Django's
    bulk_update builds a CASE expression per field and row in Python, the largest cost of a small save)."""
    meta, quote = AttendanceDay._meta, connection.ops.quote_name
    table = quote(meta.db_table)

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    for first in range(0, len(rows), ROWS_PER_UPDATE):
        chunk = rows[first:first + ROWS_PER_UPDATE]
        derived, params = _literal_rows(
            [("v_id", "BIGINT"), ("v_posting", "BIGINT"), ("v_status", None), ("v_leave", "BIGINT"),
             ("v_flagged", None), ("v_note", None)],
            [(row.pk, row.posting_id, row.status, row.leave_id, row.flagged, row.note) for row in chunk],
        )
        sql = (
            f"UPDATE {table} SET {column('posting')} = v.v_posting, {column('status')} = v.v_status, "  # noqa: S608
            f"{column('source')} = %s, {column('leave')} = v.v_leave, {column('flagged')} = v.v_flagged, "
            f"{column('note')} = v.v_note, {column('set_by')} = %s, {column('set_at')} = %s "
            f"FROM {derived} AS v WHERE {table}.{quote(meta.pk.column)} = v.v_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [source, set_by_id, connection.ops.adapt_datetimefield_value(set_at), *params])
            if cursor.rowcount != len(chunk):  # the rows were read under the cadre locks: they must all be there
                raise RuntimeError(f"register update wrote {cursor.rowcount} of {len(chunk)} rows")


def _apply_tally_deltas(deltas: dict[tuple[int, int, datetime.date], dict[str, int]]) -> None:
    """Add the deltas to the tallies. Deltas that only add (approved leave, days recorded for the first time)
    go in one INSERT ... ON CONFLICT DO UPDATE for all posting-months, which also creates a month's row
    without a second round trip or a race; deltas that move days between statuses need the row to exist
    already (the days they subtract were counted in it) and go in one UPDATE ... FROM for all posting-months,
    since the proposed row of an upsert is checked against the non-negative constraints before the conflict
    is. A month whose row is missing after all (tallies not yet built) is created or added to on its own."""
    adding: list[tuple[int, int, datetime.date, dict[str, int]]] = []
    moving: list[tuple[int, int, datetime.date, dict[str, int]]] = []
    for (posting_id, cadre_id, month), fields in deltas.items():
        changes = {name: n for name, n in fields.items() if n}
        if changes:
            (adding if all(n > 0 for n in changes.values()) else moving).append((posting_id, cadre_id, month, changes))
    missing = _move_tallies(moving) if moving else []
    for posting_id, cadre_id, month, changes in missing:
        update = {name: F(name) + n for name, n in changes.items()}
        if MonthlyTally.objects.filter(posting_id=posting_id, month=month).update(**update):
            continue
        try:
            with transaction.atomic():
                MonthlyTally.objects.create(posting_id=posting_id, cadre_id=cadre_id, month=month, **changes)
        except IntegrityError:
            # Created meanwhile by another writer of the same posting and month; add to it instead.
            MonthlyTally.objects.filter(posting_id=posting_id, month=month).update(**update)
    if adding:
        _upsert_tallies(adding)


def _move_tallies(rows: list[tuple[int, int, datetime.date, dict[str, int]]]) -> list:
    """One UPDATE ... FROM per ROWS_PER_UPDATE posting-months; returns those whose tally row is missing (for
    the caller to create or add to one by one)."""
    meta, quote = MonthlyTally._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    names = list(TALLY_FIELDS.values())
    counted = [quote(meta.get_field(name).column) for name in names]
    posting, month = quote(meta.get_field("posting").column), quote(meta.get_field("month").column)
    missing = []
    for first in range(0, len(rows), ROWS_PER_UPDATE):
        chunk = rows[first:first + ROWS_PER_UPDATE]
        derived, params = _literal_rows(
            [("v_posting", "BIGINT"), ("v_month", None), *((f"v_{name}", "INTEGER") for name in names)],
            [(posting_id, connection.ops.adapt_datefield_value(day), *(changes.get(name, 0) for name in names))
             for posting_id, _cadre_id, day, changes in chunk],
        )
        sql = (
            f"UPDATE {table} SET "  # noqa: S608
            + ", ".join(f"{c} = {table}.{c} + v.v_{name}" for c, name in zip(counted, names, strict=True))
            + f" FROM {derived} AS v WHERE {table}.{posting} = v.v_posting AND {table}.{month} = v.v_month"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount == len(chunk):
                continue
        # Rare: some month's row is missing, so the statement did not touch it (and added to the others). Under
        # the cadre locks nobody else writes these rows meanwhile.
        existing = set(MonthlyTally.objects.filter(
            posting_id__in={r[0] for r in chunk}, month__in={r[2] for r in chunk}).values_list("posting_id", "month"))
        missing += [r for r in chunk if (r[0], r[2]) not in existing]
    return missing


def _upsert_tallies(rows: list[tuple[int, int, datetime.date, dict[str, int]]]) -> None:
    meta, quote = MonthlyTally._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    names = list(TALLY_FIELDS.values())
    columns = [meta.get_field(name).column for name in ("posting", "cadre", "month", *names)]
    counted = [quote(meta.get_field(name).column) for name in names]
    values, params = [], []
    for posting_id, cadre_id, month, changes in rows:
        values.append("(" + ", ".join(["%s"] * len(columns)) + ")")
        params += [posting_id, cadre_id, month, *(changes.get(name, 0) for name in names)]
    conflict = ", ".join(quote(meta.get_field(name).column) for name in ("posting", "month"))
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) VALUES {', '.join(values)} "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counted)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def register_write(
    *,
    entries: list[Entry],
    source: str,
    actor=None,
    reason: str = "",
    unchanged_since: datetime.datetime | None = None,
) -> int:
    """Write register days. Returns the number of days that changed. Raises ValidationError listing every
    refused day (and writes nothing) when a day lies outside the cadre's postings or in a locked month, and,
    with `unchanged_since` (when the writer read the days: a page's form), when someone else changed one of
    the days after that moment, so that a form opened earlier never writes back over a newer entry."""
    if not entries:
        return 0
    # Inside a caller's transaction (an approval, a correction) no savepoint of its own: that is two round
    # trips per write, and nothing needs undoing on a refusal, which is decided before anything is written
    # and raised only after the block, so the caller's transaction stays usable.
    with transaction.atomic(savepoint=False):
        errors, changed = _register_write(entries=entries, source=source, actor=actor, reason=reason,
                                          unchanged_since=unchanged_since)
    if errors:
        raise ValidationError(sorted(set(errors)))
    return changed


COMMIT_MARGIN = datetime.timedelta(seconds=2)


def _register_write(*, entries: list[Entry], source: str, actor, reason: str,
                    unchanged_since: datetime.datetime | None = None) -> tuple[list[str], int]:
    # One entry per cadre-day, the last one given: a day is one row, written once.
    entries = list({(e.cadre_id, e.day): e for e in entries}.values())
    cadre_ids = {e.cadre_id for e in entries}
    # Serialise writers per cadre (sorted to avoid deadlocks) so the tally deltas below are computed against
    # the rows as they are, not as another transaction is about to leave them.
    list(Cadre.objects.select_for_update().filter(pk__in=cadre_ids).order_by("pk").values_list("pk", flat=True))
    first, last = min(e.day for e in entries), max(e.day for e in entries)
    if unchanged_since is not None:
        # Under the cadre locks: every write before this one has committed. A change stamped after the page
        # read its grid is newer than the page, whoever made it (the writer's own older form, sent late, must
        # not undo their newer save either). Another writer's change stamped up to COMMIT_MARGIN before is
        # treated as newer too: its history row is stamped when it is written, and its transaction may still
        # have been committing while the page was read. The writer's own earlier saves had committed before
        # their page was read (the save redirects to it).
        wanted = {(e.cadre_id, e.day) for e in entries}
        newer = Q(changed_at__gt=unchanged_since)
        if actor is not None and actor.is_authenticated:
            newer |= Q(changed_at__gt=unchanged_since - COMMIT_MARGIN) & ~Q(changed_by=actor)
        else:
            newer = Q(changed_at__gt=unchanged_since - COMMIT_MARGIN)
        changes = AttendanceChange.objects.filter(newer, cadre_id__in=cadre_ids, day__gte=first, day__lte=last)
        stale = sorted({key for key in changes.values_list("cadre_id", "day") if key in wanted})
        if stale:
            names = dict(Cadre.objects.filter(pk__in={c for c, _d in stale}).values_list("pk", "name"))
            return [
                _("%(name)s 的 %(day)s 考勤在您打开页面后已被他人修改,本次未保存;请刷新后重新填写。")
                % {"name": names.get(c, c), "day": day.isoformat()}
                for c, day in stale
            ], 0
    locked_in = sorted({month_start(e.day) for e in entries}) if source in LOCKED_SOURCES else []
    postings = _postings_by_cadre(cadre_ids, first, last, locked_in=locked_in)

    resolved: list[tuple[Entry, Posting]] = []
    outside: list[Entry] = []
    locked: list[Entry] = []
    for entry in entries:
        posting = next((p for p in postings.get(entry.cadre_id, []) if p.is_in_force_on(entry.day)), None)
        if posting is None:
            outside.append(entry)
        elif month_start(entry.day) in posting.locked_months:
            locked.append(entry)
        else:
            resolved.append((entry, posting))
    if outside or locked:
        names = dict(Cadre.objects.filter(pk__in={e.cadre_id for e in (*outside, *locked)}).values_list("pk", "name"))
        return [
            *(_("%(name)s 的 %(month)s 考勤已确认锁定,如需更正请提交更正申请。")
              % {"name": names.get(e.cadre_id, e.cadre_id), "month": e.day.strftime("%Y-%m")} for e in locked),
            *(_("%(name)s 在 %(day)s 不在派驻期内,不能记录考勤。")
              % {"name": names.get(e.cadre_id, e.cadre_id), "day": e.day.isoformat()} for e in outside),
        ], 0

    existing = {
        (row.cadre_id, row.day): row
        for row in AttendanceDay.objects.filter(cadre_id__in=cadre_ids, day__gte=first, day__lte=last)
    }
    changed_by = actor if actor is not None and actor.is_authenticated else None
    now = timezone.now()
    creates, updates, deletes, history = [], [], [], []
    deltas: dict[tuple[int, int, datetime.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry, posting in resolved:
        row = existing.get((entry.cadre_id, entry.day))
        old_status = row.status if row else DayStatus.NOT_RECORDED
        old_source = row.source if row else ""
        if row is not None and row.status == entry.status and row.source == source and row.leave_id == entry.leave_id \
                and row.flagged == entry.flagged and row.note == entry.note:
            continue
        if row is None and entry.status == DayStatus.NOT_RECORDED:
            continue
        if row is not None:
            old_key = (row.posting_id, entry.cadre_id, month_start(entry.day))
            if row.status in TALLY_FIELDS:
                deltas[old_key][TALLY_FIELDS[row.status]] -= 1
        if entry.status == DayStatus.NOT_RECORDED:
            deletes.append(row.pk)
        else:
            if row is None:
                row = AttendanceDay(cadre_id=entry.cadre_id, day=entry.day)
                creates.append(row)
            else:
                updates.append(row)
            row.posting = posting
            row.status = entry.status
            row.source = source
            row.leave_id = entry.leave_id
            row.flagged = entry.flagged
            row.note = entry.note[:200]
            row.set_by = changed_by
            row.set_at = now
            deltas[(posting.pk, entry.cadre_id, month_start(entry.day))][TALLY_FIELDS[entry.status]] += 1
        history.append(
            AttendanceChange(
                cadre_id=entry.cadre_id, day=entry.day, old_status=old_status, old_source=old_source,
                new_status=entry.status, new_source=source if entry.status != DayStatus.NOT_RECORDED else "",
                changed_by=changed_by, reason=reason[:200],
            )
        )
    if deletes:
        AttendanceDay.objects.filter(pk__in=deletes).delete()
    if creates:
        AttendanceDay.objects.bulk_create(creates, batch_size=1000)
    if updates:
        _update_days(updates, source=source, set_by_id=changed_by.pk if changed_by else None, set_at=now)
    if history:
        AttendanceChange.objects.bulk_create(history, batch_size=1000)
    _apply_tally_deltas(deltas)
    return [], len(history)


def township_of_user(user) -> Region:
    if user.role != "township" or user.region is None or user.region.level != Region.Level.TOWNSHIP:
        raise ValidationError(_("只有乡镇(街道)用户可以执行此操作。"))
    return user.region


def is_month_confirmed(*, township: Region, month: datetime.date) -> bool:
    return MonthConfirmation.objects.filter(township=township, month=month_start(month)).exists()


@transaction.atomic
def register_confirm_month(
    *, actor, township: Region, month: datetime.date, accept_unrecorded: bool = False, ip: str | None = None
) -> MonthConfirmation:
    """Confirm and lock a township's month. Refused for a month not yet over. Days of a cadre in post still
    unrecorded are listed, and the confirmation is refused unless the township explicitly accepts them as
    "not recorded" (rest days at home are not absences, and the register has no other status for them).
    Confirming twice is refused by the unique constraint."""
    from ..selectors import register_gaps

    month = month_start(month)
    if next_month(month) > timezone.localdate():
        raise ValidationError(_("%(month)s 尚未结束,不能确认。") % {"month": month.strftime("%Y-%m")})
    gaps = register_gaps(township=township, month=month)
    if gaps and not accept_unrecorded:
        listed = _("、").join(
            ngettext("%(name)s(%(n)d天)", "%(name)s(%(n)d天)", n) % {"name": name, "n": n} for name, n in gaps[:10]
        )
        raise ValidationError(
            _("还有未记录的考勤:%(list)s%(more)s。请补录,或勾选“其余天数按未记录确认”后再确认。")
            % {"list": listed, "more": _("等") if len(gaps) > 10 else ""}
        )
    try:
        with transaction.atomic():
            confirmation = MonthConfirmation.objects.create(township=township, month=month, confirmed_by=actor)
    except IntegrityError as exc:
        raise ValidationError(_("%(month)s 的考勤已经确认过。") % {"month": month.strftime("%Y-%m")}) from exc
    audit_record(
        actor=actor, action="register.confirm_month", obj=confirmation, region_code=township.code, ip=ip,
        detail={"month": month.isoformat(), "unrecorded_days": sum(n for _name, n in gaps)},
    )
    return confirmation


@transaction.atomic
def correction_request(
    *, actor, cadre: Cadre, day: datetime.date, new_status: str, reason: str, ip: str | None = None
) -> CorrectionRequest:
    township = township_of_user(actor)
    posting = Posting.objects.filter(cadre=cadre).in_force_on(day).select_related("village").first()
    if posting is None or posting.village.township_id != township.pk:
        raise ValidationError(_("该干部在这一天不在本乡镇派驻。"))
    if not is_month_confirmed(township=township, month=day):
        raise ValidationError(_("该月尚未确认,可直接在考勤簿中修改。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请填写更正理由。")})
    row = AttendanceDay.objects.filter(cadre=cadre, day=day).first()
    old_status = row.status if row else DayStatus.NOT_RECORDED
    if old_status == new_status:
        raise ValidationError({"new_status": _("更正后的状态与现状态相同。")})
    if CorrectionRequest.objects.filter(cadre=cadre, day=day, status=CorrectionStatus.PENDING).exists():
        raise ValidationError(_("这一天已有待审批的更正申请。"))
    try:
        with transaction.atomic():
            correction = CorrectionRequest.objects.create(
                cadre=cadre, day=day, township=township, county=township.parent, old_status=old_status,
                new_status=new_status, reason=reason.strip(), requested_by=actor,
            )
    except IntegrityError as exc:  # the same request arriving twice at once: the database keeps one
        raise ValidationError(_("这一天已有待审批的更正申请。")) from exc
    audit_record(actor=actor, action="register.correction_request", obj=correction, region_code=township.code, ip=ip)
    from ..notifications import notify_region_users

    notify_region_users(
        region=township.parent, role="org",
        text=_("%(town)s 申请更正 %(name)s %(day)s 的考勤") % {
            "town": township.name, "name": cadre.name, "day": day.isoformat()},
        url=reverse("attendance:corrections"),
    )
    return correction


@transaction.atomic
def correction_decide(
    *, actor, correction_id: int, approve: bool, comment: str = "", ip: str | None = None
) -> CorrectionRequest:
    """The county organization department decides. The conditional UPDATE makes a second decision (also a
    concurrent one) fail instead of applying twice."""
    correction = CorrectionRequest.objects.select_related("cadre", "township").get(pk=correction_id)
    if actor.role != "org" or actor.region_id != correction.county_id:
        # Refused like any other action outside one's role (403); the county is fixed by the request.
        raise PermissionDenied(_("只有该县(区)委组织部可以审批考勤更正。"))
    decision = {
        "status": CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED, "decided_by": actor,
        "decided_at": timezone.now(), "decision_comment": comment[:300],
    }
    done = CorrectionRequest.objects.filter(pk=correction_id, status=CorrectionStatus.PENDING).update(**decision)
    if not done:
        raise ValidationError(_("该更正申请已经处理过。"))
    # Nothing else changes a pending request: the row is what was read plus the decision.
    for name, value in decision.items():
        setattr(correction, name, value)
    if approve:
        register_write(
            entries=[Entry(cadre_id=correction.cadre_id, day=correction.day, status=correction.new_status)],
            source=DaySource.CORRECTION,
            actor=actor,
            reason=_("更正审批:%(reason)s") % {"reason": correction.reason},
        )
    audit_record(
        actor=actor, action="register.correction_approve" if approve else "register.correction_reject",
        obj=correction, region_code=correction.township.code, ip=ip,
    )
    return correction


def recompute_tallies(*, posting_ids: list[int] | None = None) -> int:
    """Rebuild MonthlyTally from the raw register (all postings, or the given ones). Returns rows written."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    rows = AttendanceDay.objects.all()
    tallies = MonthlyTally.objects.all()
    if posting_ids is not None:
        rows = rows.filter(posting_id__in=posting_ids)
        tallies = tallies.filter(posting_id__in=posting_ids)
    grouped: dict[tuple[int, int, datetime.date], dict[str, int]] = defaultdict(dict)
    for row in (
        rows.annotate(m=TruncMonth("day")).values("posting_id", "cadre_id", "m", "status").annotate(n=Count("pk"))
    ):
        month = row["m"].date() if isinstance(row["m"], datetime.datetime) else row["m"]
        grouped[(row["posting_id"], row["cadre_id"], month)][TALLY_FIELDS[row["status"]]] = row["n"]
    with transaction.atomic():
        tallies.delete()
        MonthlyTally.objects.bulk_create(
            [MonthlyTally(posting_id=p, cadre_id=c, month=m, **counts) for (p, c, m), counts in grouped.items()],
            batch_size=2000,
        )
    return len(grouped)


def tally_differences(*, posting_ids: list[int] | None = None) -> list[str]:
    """Compare the tallies with the raw register; an empty list means they agree."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    rows = AttendanceDay.objects.all()
    tallies = MonthlyTally.objects.all()
    if posting_ids is not None:
        rows = rows.filter(posting_id__in=posting_ids)
        tallies = tallies.filter(posting_id__in=posting_ids)
    raw: dict[tuple[int, datetime.date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(TALLY_FIELDS.values(), 0))
    for row in rows.annotate(m=TruncMonth("day")).values("posting_id", "m", "status").annotate(n=Count("pk")):
        month = row["m"].date() if isinstance(row["m"], datetime.datetime) else row["m"]
        raw[(row["posting_id"], month)][TALLY_FIELDS[row["status"]]] = row["n"]
    kept: dict[tuple[int, datetime.date], dict[str, int]] = {}
    for t in tallies:
        counts = {name: getattr(t, name) for name in TALLY_FIELDS.values()}
        if any(counts.values()):
            kept[(t.posting_id, t.month)] = counts
    differences = []
    for key in sorted(set(raw) | set(kept)):
        a = raw.get(key, dict.fromkeys(TALLY_FIELDS.values(), 0))
        b = kept.get(key, dict.fromkeys(TALLY_FIELDS.values(), 0))
        if a != b:
            differences.append(f"posting {key[0]} {key[1]:%Y-%m}: register {a} != tally {b}")
    return differences

