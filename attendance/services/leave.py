"""Leave (请假) and return (销假).

Routing: the policy of the cadre's township (county override, else city default) maps the total length
(an extension is judged on the original plus the extension) to an approving level and filing levels. The
request then sits in the queue of exactly one region's officials: the township party committee of the
cadre's village, or the organization department of its county (or city), and is filed with the regions of
the filing levels.
"""
import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.audit import audit_record
from cadres.models import Cadre, Posting, Role, User
from cadres.selectors import policy_for
from villages.models import Region, RegionLevel

from ..models import (
    AttendanceDay,
    DaySource,
    DayStatus,
    HalfDay,
    LeaveEvent,
    LeaveRequest,
    LeaveStatus,
)
from ..notifications import notify_region_users, notify_users
from .register import Entry, register_write

ACTIVE = (LeaveStatus.SUBMITTED, LeaveStatus.APPROVED)
ONE_DAY = datetime.timedelta(days=1)


def _slots(start: datetime.date, start_half: str, end: datetime.date, end_half: str) -> tuple[int, int]:
    """Half-day slots covered, inclusive: a leave ending at noon and another starting that afternoon do not
    overlap."""
    return (
        start.toordinal() * 2 + (1 if start_half == HalfDay.PM else 0),
        end.toordinal() * 2 + (0 if end_half == HalfDay.AM else 1),
    )


def _effective_slots(leave: LeaveRequest) -> tuple[int, int]:
    first, last = _slots(leave.start_date, leave.start_half, leave.end_date, leave.end_half)
    if leave.status == LeaveStatus.RETURNED and leave.returned_on is not None:
        last = min(last, (leave.returned_on - ONE_DAY).toordinal() * 2 + 1)
    return first, last


def region_at_level(region: Region, level: int) -> Region | None:
    for node in region.ancestors():
        if node.level == level:
            return node
    return None


def route_for(*, township: Region, total_days: Decimal):
    """The routing row for a total length: the first row whose upper bound is at least the total."""
    policy = policy_for(township)
    for route in policy.leave_routes():
        if route.max_days is None or total_days <= route.max_days:
            return route
    raise ValidationError(_("请假审批规则没有覆盖%(days)s天的请假,请联系组织部完善政策设置。") % {"days": total_days})


def approver_level_of(user) -> int | None:
    """The level a user approves at: township officials at township level, an organization department at
    its own region's level (county, city or province)."""
    if user.role == Role.TOWNSHIP and user.region_id and user.region.level == RegionLevel.TOWNSHIP:
        return RegionLevel.TOWNSHIP
    if user.role == Role.ORG_DEPT and user.region_id:
        return user.region.level
    return None


def may_request_for(user, posting: Posting) -> bool:
    """The cadre for themselves; the township official of the cadre's village (on their behalf); an
    organization department whose region contains the village (which may also record a 补办)."""
    if user is None:
        return False
    if user.role == Role.CADRE:
        return user.cadre_id == posting.cadre_id
    if user.role == Role.TOWNSHIP:
        return user.region_id == posting.village.township_id
    if user.role == Role.ORG_DEPT and user.region_id:
        return posting.village.code.startswith(user.region.prefix)
    return False


def can_decide(user, leave: LeaveRequest) -> bool:
    return (
        leave.approver_region_id is not None
        and user.region_id == leave.approver_region_id
        and approver_level_of(user) == leave.approver_level
    )


def _event(leave: LeaveRequest, actor, action: str, comment: str = "") -> None:
    LeaveEvent.objects.create(
        leave=leave, actor=actor if actor is not None and actor.is_authenticated else None,
        action=action, comment=comment[:300],
    )


def _approvers_text(leave: LeaveRequest) -> str:
    return _("%(name)s 申请%(kind)s%(days)s天(%(start)s至%(end)s),请审批") % {
        "name": leave.cadre.name, "kind": leave.get_kind_display(), "days": leave.days,
        "start": leave.start_date.isoformat(), "end": leave.end_date.isoformat(),
    }


@transaction.atomic
def leave_request(
    *,
    actor,
    cadre: Cadre,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date,
    reason: str,
    start_half: str = HalfDay.AM,
    end_half: str = HalfDay.PM,
    extends: LeaveRequest | None = None,
    retroactive_reason: str = "",
    ip: str | None = None,
) -> LeaveRequest:
    """Request leave (the cadre, or the township on their behalf) and submit it to the routed approver.

    A request whose start has passed is refused; the approving level itself may record it afterwards as an
    emergency leave (补办) with a reason, which is approved at once and marked as such everywhere."""
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not reason or not reason.strip():
        add("reason", _("请填写请假事由。"))
    if end_date < start_date:
        add("end_date", _("结束日期不能早于开始日期。"))
    elif start_date == end_date and start_half == HalfDay.PM and end_half == HalfDay.AM:
        add("end_half", _("同一天内不能从下午开始、到上午结束。"))
    if errors:
        raise ValidationError(errors)

    # Serialise requests of one cadre: the overlap check below then sees every committed request.
    Cadre.objects.select_for_update().filter(pk=cadre.pk).first()
    posting = (
        Posting.objects.filter(cadre=cadre).in_force_on(start_date)
        .select_related("village__township__parent__parent").first()
    )
    if posting is None:
        raise ValidationError({"start_date": _("该干部在开始日期不在派驻期内。")})
    if posting.end_date is not None and end_date > posting.end_date:
        raise ValidationError({"end_date": _("请假不能超出派驻期(派驻期至%(date)s)。") % {"date": posting.end_date}})
    township = posting.village.township
    if not may_request_for(actor, posting):
        raise ValidationError(_("您不能为该干部提交请假。"))

    days = LeaveRequest.length(start_date, start_half, end_date, end_half)
    total = days
    if extends is not None:
        # Judge the leave as it is now (under the cadre lock), not as the caller last read it: it may have
        # been returned or withdrawn meanwhile.
        extends = LeaveRequest.objects.get(pk=extends.pk)
        if extends.cadre_id != cadre.pk or extends.status != LeaveStatus.APPROVED:
            raise ValidationError({"extends": _("只能为本人已批准且未销假的请假续假。")})
        chain_end = _chain_end(extends)
        if _slots(start_date, start_half, start_date, start_half)[0] != _slots(*chain_end, *chain_end)[1] + 1:
            raise ValidationError(
                {"start_date": _("续假须紧接原请假的结束时间(%(date)s)开始。") % {"date": chain_end[0].isoformat()}}
            )
        total = _chain_total(extends) + days

    new_first, new_last = _slots(start_date, start_half, end_date, end_half)
    for other in LeaveRequest.objects.filter(
        cadre=cadre, status__in=(*ACTIVE, LeaveStatus.RETURNED), start_date__lte=end_date,
        end_date__gte=start_date - ONE_DAY,
    ):
        first, last = _effective_slots(other)
        if first <= new_last and new_first <= last:
            raise ValidationError(
                {"start_date": _("与已有请假(%(start)s至%(end)s,%(status)s)时间重叠。") % {
                    "start": other.start_date.isoformat(), "end": other.end_date.isoformat(),
                    "status": other.get_status_display()}}
            )

    route = route_for(township=township, total_days=total)
    approver_region = region_at_level(township, route.approver_level)
    if approver_region is None:
        raise ValidationError(_("找不到负责审批的%(level)s。") % {"level": route.get_approver_level_display()})

    retroactive = start_date < today
    if retroactive:
        is_approver = approver_level_of(actor) == route.approver_level and actor.region_id == approver_region.pk
        if not is_approver:
            raise ValidationError(
                {"start_date": _("请假须在开始前提出,事后请假无效。如属紧急情况,请由%(level)s补办。") % {
                    "level": route.get_approver_level_display()}}
            )
        if not retroactive_reason.strip():
            raise ValidationError({"retroactive_reason": _("补办请假须填写补办理由。")})

    leave = LeaveRequest.objects.create(
        cadre=cadre, posting=posting, village=posting.village, kind=kind, start_date=start_date,
        start_half=start_half, end_date=end_date, end_half=end_half, days=days, total_days=total,
        reason=reason.strip(), status=LeaveStatus.SUBMITTED, extends=extends, is_retroactive=retroactive,
        retroactive_reason=retroactive_reason.strip(), approver_level=route.approver_level,
        approver_region=approver_region, requested_by=actor, submitted_at=timezone.now(),
    )
    filing = [region_at_level(township, int(level)) for level in route.filing_levels]
    leave.filed_with.set([r for r in filing if r is not None])
    _event(leave, actor, "submit", _("补办:%(reason)s") % {"reason": retroactive_reason} if retroactive else "")
    audit_record(actor=actor, action="leave.request", obj=leave, region_code=posting.village.code, ip=ip,
                 detail={"days": str(days), "total": str(total), "retroactive": retroactive})
    if retroactive:
        return leave_approve(actor=actor, leave_id=leave.pk, comment=_("补办"), ip=ip, leave=leave)
    role = Role.TOWNSHIP if route.approver_level == RegionLevel.TOWNSHIP else Role.ORG_DEPT
    notify_region_users(region=approver_region, role=role, text=_approvers_text(leave), url=leave.get_absolute_url())
    return leave


def _chain_root(leave: LeaveRequest) -> LeaveRequest:
    while leave.extends_id is not None:
        leave = leave.extends
    return leave


def _chain(leave: LeaveRequest) -> list[LeaveRequest]:
    """The original request and its approved extensions, in order."""
    chain = [_chain_root(leave)]
    while True:
        nxt = chain[-1].extensions.filter(status__in=(LeaveStatus.APPROVED, LeaveStatus.RETURNED)).first()
        if nxt is None:
            return chain
        chain.append(nxt)


def leave_chain(leave: LeaveRequest) -> list[LeaveRequest]:
    """The original request and its approved (or returned) extensions, in order: returned together."""
    return _chain(leave)


def _chain_end(leave: LeaveRequest) -> tuple[datetime.date, str]:
    last = _chain(leave)[-1]
    return last.end_date, last.end_half


def _chain_total(leave: LeaveRequest) -> Decimal:
    return sum((item.days for item in _chain(leave)), Decimal(0))


# What _decide reads of a leave; a caller that has fetched the leave anyway (the action view, through the
# user's scope) selects the same and passes it in, so it is not read twice.
DECIDE_RELATED = ("cadre", "village", "posting", "extends", "requested_by")


def _decide(
    *, actor, leave_id: int, approve: bool, comment: str, ip: str | None, leave: LeaveRequest | None
) -> LeaveRequest:
    if leave is None or leave.pk != leave_id:
        leave = LeaveRequest.objects.select_related(*DECIDE_RELATED).get(pk=leave_id)
    if not can_decide(actor, leave):
        # The approver is fixed when the request is routed; anyone else is refused like any other action
        # outside their role (403), not told to try again.
        raise PermissionDenied(_("您不是这条请假的审批人。"))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("驳回时请填写理由。")})
    if approve and leave.extends_id is not None and leave.extends.status != LeaveStatus.APPROVED:
        # The cadre is back (or never went): an extension approved now would turn days already marked
        # absent, or days in the village, into leave.
        raise ValidationError(_("原请假已销假或撤回,不能再批准续假。"))
    decision = {
        "status": LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED, "decided_by": actor,
        "decided_at": timezone.now(), "decision_comment": comment.strip()[:300],
    }
    # A conditional UPDATE: of two concurrent clicks exactly one finds the row still submitted.
    updated = LeaveRequest.objects.filter(pk=leave_id, status=LeaveStatus.SUBMITTED).update(**decision)
    if not updated:
        raise ValidationError(_("这条请假已经处理过了,不能重复审批。"))
    # The row now holds exactly what was read plus the decision (nothing else changes a submitted request,
    # and the UPDATE above found it submitted): set it here instead of reading the row and its relations again.
    for name, value in decision.items():
        setattr(leave, name, value)
    if approve:
        register_write(
            entries=[Entry(cadre_id=leave.cadre_id, day=d, status=DayStatus.LEAVE, leave_id=leave.pk)
                     for d in leave.full_days() if leave.posting.is_in_force_on(d)],
            source=DaySource.LEAVE, actor=actor, reason=_("请假批准"),
        )
    _event(leave, actor, "approve" if approve else "reject", comment)
    audit_record(actor=actor, action="leave.approve" if approve else "leave.reject", obj=leave,
                 region_code=leave.village.code, ip=ip)
    text = (_("您的请假(%(start)s至%(end)s)已批准") if approve else _("您的请假(%(start)s至%(end)s)被驳回")) % {
        "start": leave.start_date.isoformat(), "end": leave.end_date.isoformat()}
    # The cadre's accounts, and the township official who asked on their behalf: one INSERT for all.
    recipients = list(User.objects.filter(cadre_id=leave.cadre_id, is_active=True))
    if leave.requested_by_id and leave.requested_by.cadre_id != leave.cadre_id:
        recipients.append(leave.requested_by)
    notify_users(users=recipients, text=text, url=leave.get_absolute_url())
    return leave


@transaction.atomic
def leave_approve(
    *, actor, leave_id: int, comment: str = "", ip: str | None = None, leave: LeaveRequest | None = None
) -> LeaveRequest:
    """Approve a submitted request (the routed approver only: PermissionDenied for anyone else). `leave`, when
    given, is the request already fetched with DECIDE_RELATED selected."""
    return _decide(actor=actor, leave_id=leave_id, approve=True, comment=comment, ip=ip, leave=leave)


@transaction.atomic
def leave_reject(
    *, actor, leave_id: int, comment: str, ip: str | None = None, leave: LeaveRequest | None = None
) -> LeaveRequest:
    return _decide(actor=actor, leave_id=leave_id, approve=False, comment=comment, ip=ip, leave=leave)


def _free_days(leave: LeaveRequest, *, from_day: datetime.date, actor, reason: str) -> None:
    days = AttendanceDay.objects.filter(leave=leave, source=DaySource.LEAVE, day__gte=from_day).values_list(
        "cadre_id", "day"
    )
    register_write(
        entries=[Entry(cadre_id=c, day=d, status=DayStatus.NOT_RECORDED) for c, d in days],
        source=DaySource.LEAVE, actor=actor, reason=reason,
    )


def can_act_for_cadre(user, leave: LeaveRequest) -> bool:
    """The cadre themselves, or the township official of the cadre's village (requests on their behalf)."""
    if user.role == Role.CADRE and user.cadre_id == leave.cadre_id:
        return True
    return user.role == Role.TOWNSHIP and user.region_id == leave.village.township_id


@transaction.atomic
def leave_withdraw(*, actor, leave_id: int, ip: str | None = None) -> LeaveRequest:
    """Withdraw a submitted or approved request before it starts; approved days are freed."""
    leave = LeaveRequest.objects.select_related("village").get(pk=leave_id)
    if not can_act_for_cadre(actor, leave):
        raise ValidationError(_("只有本人或所在乡镇可以撤回请假。"))
    if leave.start_date <= timezone.localdate():
        raise ValidationError(_("请假已经开始,不能撤回;提前返岗请办理销假。"))
    updated = LeaveRequest.objects.filter(pk=leave_id, status__in=ACTIVE).update(status=LeaveStatus.WITHDRAWN)
    if not updated:
        raise ValidationError(_("只有待审批或已批准的请假可以撤回。"))
    leave.refresh_from_db()
    _free_days(leave, from_day=leave.start_date, actor=actor, reason=_("请假撤回"))
    _event(leave, actor, "withdraw")
    audit_record(actor=actor, action="leave.withdraw", obj=leave, region_code=leave.village.code, ip=ip)
    return leave


@transaction.atomic
def leave_return(*, actor, leave_id: int, returned_on: datetime.date, ip: str | None = None) -> LeaveRequest:
    """销假: the actual return date. An early return frees the remaining days; a late return without an
    approved extension marks the days between the expected and the actual return absent, flagged."""
    leave = LeaveRequest.objects.select_related("village", "cadre").get(pk=leave_id)
    if not can_act_for_cadre(actor, leave):
        raise ValidationError(_("只有本人或所在乡镇可以办理销假。"))
    # Serialise the returns of one cadre (the cadre and the township may report at the same moment, through
    # the original or an extension), then judge the status as committed by whoever came first.
    Cadre.objects.select_for_update().filter(pk=leave.cadre_id).first()
    leave.refresh_from_db(fields=["status"])
    if leave.status != LeaveStatus.APPROVED:
        raise ValidationError(_("只有已批准的请假可以销假。"))
    # The original and its approved extensions are returned together; an extension still pending does not
    # excuse lateness.
    chain = [item for item in _chain(leave) if item.status == LeaveStatus.APPROVED]
    if returned_on < chain[0].start_date:
        raise ValidationError({"returned_on": _("返岗日期不能早于请假开始日期。")})
    if returned_on > timezone.localdate():
        raise ValidationError({"returned_on": _("返岗日期不能晚于今天。")})
    last = chain[-1]
    # Expected back: the day after the last leave day, or the same afternoon for a leave ending at noon.
    expected = last.end_date if last.end_half == HalfDay.AM else last.end_date + ONE_DAY
    late = max(0, (returned_on - expected).days)
    for item in chain:
        if returned_on <= item.end_date:
            _free_days(item, from_day=returned_on, actor=actor, reason=_("提前销假"))
        LeaveRequest.objects.filter(pk=item.pk).update(
            status=LeaveStatus.RETURNED, returned_on=returned_on, returned_at=timezone.now(),
            late_days=late if item.pk == last.pk else 0,
        )
        _event(item, actor, "return", _("返岗日期 %(date)s") % {"date": returned_on.isoformat()})
    if late:
        posting = leave.posting
        register_write(
            entries=[
                Entry(cadre_id=leave.cadre_id, day=expected + datetime.timedelta(days=i), status=DayStatus.ABSENT,
                      flagged=True, note=_("销假逾期,无批准的续假"))
                for i in range(late) if posting.is_in_force_on(expected + datetime.timedelta(days=i))
            ],
            source=DaySource.RETURN, actor=actor, reason=_("销假逾期"),
        )
        notify_region_users(
            region=leave.village.township, role=Role.TOWNSHIP,
            text=_("%(name)s 销假逾期%(n)d天,已记为缺勤") % {"name": leave.cadre.name, "n": late},
            url=leave.get_absolute_url(),
        )
    audit_record(actor=actor, action="leave.return", obj=leave, region_code=leave.village.code, ip=ip,
                 detail={"returned_on": returned_on.isoformat(), "late_days": late})
    leave.refresh_from_db()
    return leave
