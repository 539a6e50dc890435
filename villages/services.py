"""Writes of the organisation tree. Forms validate fields; these functions own the transaction, the
cross-record rules and the audit entry."""
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cadres.audit import audit_record
from cadres.jurisdiction import scope_of
from cadres.models import Role
from cadres.selectors import policy_for

from .models import (
    CompliancePeriod,
    DispatchingUnit,
    LeaveRoute,
    Policy,
    PolicyChange,
    Region,
    RegionLevel,
    Village,
    VillageCategory,
)
from .text import normalize_digits


@transaction.atomic
def village_save(
    *, actor, village: Village, categories: list[VillageCategory] | None = None, ip: str | None = None
) -> Village:
    created = village.pk is None
    village.code = normalize_digits(village.code or "")
    village.full_clean()
    try:
        with transaction.atomic():
            village.save()
    except IntegrityError as exc:
        raise ValidationError({"code": _("该区划代码已被其他村使用。")}) from exc
    if categories is not None:
        village.categories.set(categories)
    audit_record(
        actor=actor,
        action="village.create" if created else "village.update",
        obj=village,
        region_code=village.code,
        ip=ip,
    )
    return village


@transaction.atomic
def unit_save(*, actor, unit: DispatchingUnit, ip: str | None = None) -> DispatchingUnit:
    created = unit.pk is None
    unit.full_clean()
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise ValidationError({"name": _("已存在同名的派驻单位。")}) from exc
    audit_record(
        actor=actor,
        action="unit.create" if created else "unit.update",
        obj=unit,
        region_code=unit.region.code,
        ip=ip,
    )
    return unit


@transaction.atomic
def region_save(*, actor, region: Region, ip: str | None = None) -> Region:
    created = region.pk is None
    region.code = normalize_digits(region.code or "")
    region.full_clean()
    try:
        with transaction.atomic():
            region.save()
    except IntegrityError as exc:
        raise ValidationError({"code": _("该区划代码已存在。")}) from exc
    audit_record(
        actor=actor, action="region.create" if created else "region.update", obj=region, region_code=region.code, ip=ip
    )
    return region


# ---------------------------------------------------------------------------------------------------------
# Policy (政策设置): one row per jurisdiction, edited by the organization department of a city or county.

# The Policy fields an organization department edits, in the order the form and the detail page show them.
POLICY_FIELDS = (
    "team_min_priority", "team_max", "term_min_months",
    "min_days", "min_days_period", "count_business", "count_training", "register_confirm_day",
    "checkin_enabled", "checkin_radius_m", "checkin_max_accuracy_m", "checkin_max_speed_kmh",
    "replacement_deadline_days", "absences_block_excellent", "absences_cap_basic", "absences_not_competent",
    "excellent_share_cap",
)
# The key under which PolicyChange.changes records a change of the routing table.
ROUTES_KEY = "leave_routes"
# Levels that keep a policy row of their own: a township follows its county (city default, county override).
POLICY_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
# Levels that may approve leave. Province is left out on purpose: many deployments stop at the city, and a
# route to a level missing from the tree would leave every such request without an approver.
APPROVER_LEVELS = (RegionLevel.TOWNSHIP, RegionLevel.COUNTY, RegionLevel.CITY)
# Levels leave can be filed with (备案); each route only accepts those above its approver.
FILING_LEVELS = (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE)


def policy_can_edit(*, user, region: Region | None) -> bool:
    """Organization departments (and admins) of a province, city or county edit the policy of their own
    region, never another's: a county overrides for itself, it does not change the city default."""
    if user is None or region is None or scope_of(user).region is None:
        return False
    return (
        user.role in (Role.ORG_DEPT, Role.ADMIN)
        and user.region_id == region.pk
        and region.level in POLICY_LEVELS
    )


def level_body(level: int) -> str:
    """The body acting at a level: the township party committee, or the organization department above it."""
    bodies = {
        RegionLevel.PROVINCE: _("省委组织部"),
        RegionLevel.CITY: _("市委组织部"),
        RegionLevel.COUNTY: _("县(区)委组织部"),
        RegionLevel.TOWNSHIP: _("乡镇党委"),
    }
    return str(bodies.get(int(level), level))


def days_text(days: Decimal) -> str:
    """3.0 → "3", 1.5 → "1.5", 10 → "10" (normalize alone would give 1E+1)."""
    return format(days.normalize(), "f")


def route_normalize(route) -> dict:
    """A routing row (LeaveRoute or dict) as a plain dict: Decimal or None bound, int levels, filing levels
    nearest first."""
    get = (lambda key: route.get(key)) if isinstance(route, dict) else (lambda key: getattr(route, key))
    max_days = get("max_days")
    return {
        "max_days": None if max_days in (None, "") else Decimal(str(max_days)),
        "approver_level": int(get("approver_level")),
        "filing_levels": sorted({int(level) for level in (get("filing_levels") or [])}, reverse=True),
    }


def leave_route_lines(routes) -> list[str]:
    """The routing table in words, one line per row, e.g. "≤ 3 天:乡镇党委审批" and
    "> 3 天:县(区)委组织部审批,报市委组织部备案"."""
    lines, lower = [], None
    rows = [route_normalize(r) for r in routes]
    for row in rows:
        upper = row["max_days"]
        if upper is None:
            span = _("不限天数") if lower is None else _("> %(days)s 天") % {"days": days_text(lower)}
        elif lower is None:
            span = _("≤ %(days)s 天") % {"days": days_text(upper)}
        else:
            span = _("> %(low)s 天且 ≤ %(high)s 天") % {"low": days_text(lower), "high": days_text(upper)}
        line = _("%(span)s:%(body)s审批") % {"span": span, "body": level_body(row["approver_level"])}
        if row["filing_levels"]:
            line += _(",报%(bodies)s备案") % {"bodies": "、".join(level_body(lv) for lv in row["filing_levels"])}
        lines.append(str(line))
        lower = upper
    return lines


def leave_routes_check(routes: list[dict]) -> None:
    """The rules of a routing table, rows in the order entered: bounds strictly increasing, exactly one row
    without a bound (the last), an approver at township, county or city level, filing only above the
    approver. Raises one ValidationError listing every problem."""
    errors = []
    rows = [route_normalize(r) for r in routes]
    open_rows = [i for i, row in enumerate(rows, 1) if row["max_days"] is None]
    if not rows:
        errors.append(_("请假审批规则至少需要一行。"))
    elif len(open_rows) != 1:
        errors.append(
            _("请假审批规则必须有且只有一行“天数上限”留空(表示更长的请假),目前有%(n)d行。") % {"n": len(open_rows)}
        )
    elif open_rows[0] != len(rows):
        errors.append(_("“天数上限”留空的一行必须放在最后。"))
    previous = None
    bound_field = LeaveRoute._meta.get_field("max_days")
    for i, row in enumerate(rows, 1):
        bound = row["max_days"]
        if bound is not None:
            try:
                bound_field.run_validators(bound)
            except ValidationError as exc:
                errors.extend(
                    _("第%(row)d行:%(error)s") % {"row": i, "error": message} for message in exc.messages
                )
            if previous is not None and bound <= previous:
                errors.append(
                    _("第%(row)d行的天数上限(%(days)s)必须大于上一行(%(prev)s):请按天数从少到多排列,且不能重复。")
                    % {"row": i, "days": days_text(bound), "prev": days_text(previous)}
                )
            previous = bound if previous is None else max(previous, bound)
        approver = row["approver_level"]
        if approver not in APPROVER_LEVELS:
            errors.append(
                _("第%(row)d行:审批单位只能是%(levels)s。")
                % {"row": i, "levels": "、".join(level_body(lv) for lv in APPROVER_LEVELS)}
            )
        for level in row["filing_levels"]:
            if level not in FILING_LEVELS or level >= approver:
                errors.append(
                    _("第%(row)d行:备案单位(%(filing)s)必须高于审批单位(%(approver)s)。")
                    % {"row": i, "filing": level_body(level), "approver": level_body(approver)}
                )
    if errors:
        raise ValidationError(errors)


# Calendar facts, not policy: the longest month, quarter and year. A minimum above them could never be met.
PERIOD_MAX_DAYS = {CompliancePeriod.MONTH: 31, CompliancePeriod.QUARTER: 92, CompliancePeriod.YEAR: 366}


def policy_values_check(data: dict) -> None:
    """Rules across Policy fields (each field's own range is checked by its validators)."""
    errors = {}
    low, high = data.get("team_min_priority"), data.get("team_max")
    if low is not None and high is not None and low > high:
        errors["team_min_priority"] = _("重点村工作队最少人数(%(low)d)不能大于工作队最多人数(%(high)d)。") % {
            "low": low, "high": high}
    days, period = data.get("min_days"), data.get("min_days_period")
    if days is not None and period in PERIOD_MAX_DAYS and days > PERIOD_MAX_DAYS[period]:
        errors["min_days"] = _("考核周期为“%(period)s”时,在村天数下限不能超过%(max)d天。") % {
            "period": CompliancePeriod(period).label, "max": PERIOD_MAX_DAYS[period]}
    # The absence thresholds of the annual evaluation go from mild to severe (not excellent, at most basically
    # competent, not competent); the evaluation applies each on its own, but a reversed order is surely a typo.
    block, cap, fail = (data.get(n) for n in ("absences_block_excellent", "absences_cap_basic", "absences_not_competent"))
    if None not in (block, cap, fail) and not block <= cap <= fail:
        errors["absences_cap_basic"] = _(
            "督查缺勤次数应满足:不得评为优秀(%(block)d)≤ 最高基本称职(%(cap)d)≤ 评为不称职(%(fail)d)。"
        ) % {"block": block, "cap": cap, "fail": fail}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def policy_update(
    *, actor, region: Region, data: dict, routes: list[dict] | None = None, ip: str | None = None
) -> Policy:
    """Set the policy of `region` (its own row, created on first save from the values it inherited, routing
    rows included). `data` holds Policy fields (missing ones keep their value); `routes` replaces the routing
    table (None keeps it). Records what changed, old → new, in PolicyChange and the audit trail. Nothing is
    written when anything is invalid; an unchanged submission writes nothing at all, so a county that saves
    without changing anything keeps following the city. The returned policy (the one in force for `region`)
    carries `last_changes`, the recorded {field: [old, new]}, empty when nothing changed."""
    if actor is not None and not policy_can_edit(user=actor, region=region):
        raise PermissionDenied(_("只有本级组织部可以修改本级的政策设置。"))
    if region.level not in POLICY_LEVELS:
        raise ValidationError(_("政策设置只能在省、市、县(区)级设定,乡镇沿用所在县(区)的设置。"))
    unknown = set(data) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"not editable policy fields: {sorted(unknown)}")

    # Lock this region's row so concurrent saves each diff against what the other left; two first saves
    # racing (no row to lock yet) end in the IntegrityError below instead of a second row.
    policy = Policy.objects.select_for_update().filter(region=region).first()
    created = policy is None
    if created:
        inherited = policy_for(region)
        policy = Policy(region=region, **{name: getattr(inherited, name) for name in POLICY_FIELDS})
        old_routes = [route_normalize(r) for r in inherited.leave_routes()]
    else:
        old_routes = [route_normalize(r) for r in policy.leave_routes()]

    changes: dict[str, list] = {}
    for name, value in data.items():
        field = Policy._meta.get_field(name)
        value = field.to_python(value)
        old = getattr(policy, name)
        if value != old:
            changes[name] = [old, value]
            setattr(policy, name, value)

    errors: dict[str, list] = {}
    try:
        policy_values_check({name: getattr(policy, name) for name in POLICY_FIELDS})
        policy.full_clean(exclude={"region"}, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.update_error_dict({}))
    new_routes = old_routes
    if routes is not None:
        new_routes = [route_normalize(r) for r in routes]
        try:
            leave_routes_check(new_routes)
        except ValidationError as exc:
            errors.setdefault(ROUTES_KEY, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    if new_routes != old_routes:
        changes[ROUTES_KEY] = [leave_route_lines(old_routes), leave_route_lines(new_routes)]

    if not changes:
        unchanged = policy_for(region)
        unchanged.last_changes = {}
        return unchanged

    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError as exc:
        # Another user created this region's row between our read and our insert.
        raise ValidationError(_("本级政策设置刚被其他人修改,请刷新页面后重新填写。")) from exc
    if created or ROUTES_KEY in changes:
        policy.routes.all().delete()
        LeaveRoute.objects.bulk_create(
            LeaveRoute(policy=policy, max_days=r["max_days"], approver_level=r["approver_level"],
                       filing_levels=r["filing_levels"])
            for r in new_routes
        )
    PolicyChange.objects.create(
        policy=policy, changed_by=actor if actor is not None and actor.is_authenticated else None, changes=changes
    )
    audit_record(
        actor=actor, action="policy.update", obj=policy, region_code=region.code, ip=ip,
        detail={"created": created, "changes": changes},
    )
    policy.last_changes = changes
    return policy


# ---------------------------------------------------------------------------------------------------------
# Dispatching-unit support (帮扶台账): funds, projects, leaders' visits, hearings of the cadres' reports.
# Imports are local: this block was appended to a module whose import list belongs to other features.


def support_can_record(*, user, unit: DispatchingUnit) -> bool:
    """The unit's own contact records its support; an organization department (or admin) may record for any
    unit in its jurisdiction. Townships and cadres only read the ledger."""
    from cadres.jurisdiction import can_manage

    from .selectors import unit_list

    if user is None or not user.is_authenticated or scope_of(user).is_empty:
        return False
    if user.role == Role.UNIT:
        return user.unit_id == unit.pk
    return can_manage(user) and unit_list(user=user).filter(pk=unit.pk).exists()


@transaction.atomic
def support_record(
    *,
    actor,
    unit: DispatchingUnit,
    village: Village,
    kind: str,
    date,
    amount_yuan: Decimal | None,
    title: str,
    description: str = "",
    ip: str | None = None,
):
    """Enter one item of a unit's support. The date may not lie in the future; funds need a positive amount,
    a project may carry its investment, visits and hearings carry none; the village must be one the unit has
    (or had) a cadre posted to, and inside the actor's jurisdiction."""
    from django.utils import timezone

    from cadres.models import Posting

    from .models import SupportKind, SupportRecord
    from .selectors import village_list
    from .text import normalize_text

    if not support_can_record(user=actor, unit=unit):
        raise PermissionDenied(_("只有本单位或管辖该单位的组织部可以登记帮扶记录。"))
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    today = timezone.localdate()
    if date is not None and date > today:
        add("date", _("日期不能晚于今天(%(today)s)。") % {"today": today.isoformat()})
    if kind == SupportKind.FUNDS:
        if amount_yuan is None or amount_yuan <= 0:
            add("amount_yuan", _("帮扶资金必须填写大于0的金额。"))
    elif kind == SupportKind.PROJECT:
        if amount_yuan is not None and amount_yuan <= 0:
            add("amount_yuan", _("项目投资额必须大于0;没有可不填。"))
    elif amount_yuan is not None:
        add("amount_yuan", _("“%(kind)s”不填写金额。") % {"kind": SupportKind(kind).label if kind in SupportKind.values
                                                        else kind})
    if not Posting.objects.filter(unit=unit, village=village).exists():
        add("village", _("本单位没有向该村派驻干部,不能登记对该村的帮扶。"))
    elif not village_list(user=actor).filter(pk=village.pk).exists():
        add("village", _("该村不在您的管辖范围内。"))
    record = SupportRecord(
        unit=unit, village=village, kind=kind, date=date, amount_yuan=amount_yuan,
        title=normalize_text(title or ""), description=(description or "").strip(),
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        # The database constraints repeat the amount rules; they were checked above with clearer messages.
        record.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(field, []):
                    add(field, message)
    if errors:
        raise ValidationError(errors)
    record.save()
    audit_record(
        actor=actor, action="support.create", obj=record, region_code=village.code, ip=ip,
        detail={"unit": unit.pk, "kind": kind, "date": date.isoformat(),
                "amount_yuan": f"{amount_yuan:.2f}" if amount_yuan is not None else ""},
    )
    return record


@transaction.atomic
def support_delete(*, actor, record, ip: str | None = None) -> None:
    """Remove a wrongly entered item; the audit entry keeps what it said."""
    if not support_can_record(user=actor, unit=record.unit):
        raise PermissionDenied(_("只有本单位或管辖该单位的组织部可以删除帮扶记录。"))
    audit_record(
        actor=actor, action="support.delete", obj=record, region_code=record.village.code, ip=ip,
        detail={"unit": record.unit_id, "village": record.village_id, "kind": record.kind,
                "date": record.date.isoformat(), "title": record.title,
                "amount_yuan": f"{record.amount_yuan:.2f}" if record.amount_yuan is not None else ""},
    )
    record.delete()
