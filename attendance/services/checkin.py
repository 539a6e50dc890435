"""Optional self check-in (自主签到): evidence for the township, never a verdict.

A check-in is stored with what the phone reported and what the server saw (time, coordinates, accuracy,
distance to the village, IP, browser), plus three flags computed from the jurisdiction's policy. It then
pre-fills one EvidenceDay that the township accepts or overrides in the register; nothing here writes the
register itself (DOMAIN.md §2: evidence, not verdict; no forced check-in; no photo).
"""
import datetime
import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.audit import audit_record
from cadres.models import Cadre, Role
from cadres.selectors import current_posting, policy_for
from villages.models import Policy, Village

from ..models import CheckIn, DayStatus, EvidenceDay, EvidenceSource

# Geometry, not policy: the mean Earth radius (IUGG) for the haversine formula, and half the Earth's
# circumference as the largest accuracy radius that still says anything about a position.
EARTH_RADIUS_M = 6_371_008.8
MAX_ACCURACY_M = 20_037_509
KMH_PER_MS = 3.6
SIX_PLACES = Decimal("0.000001")
USER_AGENT_MAX = CheckIn._meta.get_field("user_agent").max_length


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in decimal degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def village_distance_m(village: Village, latitude: Decimal, longitude: Decimal) -> int | None:
    """Metres from the village's registered point, or None when the village has no coordinates."""
    if village.latitude is None or village.longitude is None:
        return None
    return round(haversine_m(float(latitude), float(longitude), float(village.latitude), float(village.longitude)))


def _coordinate(value, *, field: str, limit: int, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: message}) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError({field: message})
    return number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def _accuracy(value) -> int:
    message = _("定位精度无效:应为0以上的米数。")
    try:
        number = float(value)
    except (ValueError, TypeError):
        raise ValidationError({"accuracy_m": message}) from None
    if not math.isfinite(number) or number < 0 or number > MAX_ACCURACY_M:
        raise ValidationError({"accuracy_m": message})
    # Round up: the reported radius is a bound, and a rounded-down bound would claim more than the phone did.
    return math.ceil(number)


def _ip_or_none(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        validate_ipv46_address(ip)
    except ValidationError:
        return None
    return ip


def _moved_too_fast(*, previous: CheckIn | None, at: datetime.datetime, latitude: Decimal, longitude: Decimal,
                    accuracy_m: int, policy: Policy) -> bool:
    """Whether reaching this point from the previous check-in needs more than the policy's maximum speed.

    The distance used is the shortest one consistent with both fixes: the straight line minus both accuracy
    radii. Two noisy fixes a few seconds apart would otherwise look like a jump, and a false "位置异常" is
    exactly the kind of silent accusation the product must not make."""
    if previous is None:
        return False
    moved = haversine_m(float(previous.latitude), float(previous.longitude), float(latitude), float(longitude))
    moved = max(0.0, moved - previous.accuracy_m - accuracy_m)
    if moved == 0:
        return False
    seconds = (at - previous.at).total_seconds()
    if seconds <= 0:
        return True
    return moved / seconds * KMH_PER_MS > policy.checkin_max_speed_kmh


def _describe(checkin: CheckIn, policy: Policy) -> str:
    """One short Chinese line for the township: time, distance and any flag with the policy limit."""
    local = timezone.localtime(checkin.at)
    parts = [_("%(time)s签到") % {"time": local.strftime("%H:%M")}]
    if checkin.distance_m is None:
        parts.append(_("本村未登记坐标,未计算距离"))
    else:
        parts.append(_("距村%(d)s米") % {"d": checkin.distance_m})
    parts.append(_("定位精度%(a)s米") % {"a": checkin.accuracy_m})
    if checkin.outside_radius:
        parts.append(_("超出签到范围(%(r)s米)") % {"r": policy.checkin_radius_m})
    if checkin.poor_accuracy:
        parts.append(_("定位精度差(上限%(a)s米)") % {"a": policy.checkin_max_accuracy_m})
    if checkin.impossible_speed:
        parts.append(_("与上次签到相比移动过快(上限%(v)s公里/小时)") % {"v": policy.checkin_max_speed_kmh})
    return ",".join(str(p) for p in parts)


def _evidence_upsert(*, checkin: CheckIn, day: datetime.date, policy: Policy) -> EvidenceDay:
    """The day's check-in evidence, rebuilt from all of the cadre's check-ins that day.

    The day is marked doubtful only when none of its check-ins is clean: a clean morning check-in in the
    village is not undone by a later one from the township seat. Every check-in stays listed for the township
    with its own flags."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = start + datetime.timedelta(days=1)
    todays = list(CheckIn.objects.filter(cadre_id=checkin.cadre_id, at__gte=start, at__lt=end).order_by("at", "pk"))
    clean = [c for c in todays if not c.is_flagged]
    flagged = not clean
    shown = clean[-1] if clean else todays[-1]
    summary = _describe(shown, policy)
    if len(todays) > 1:
        summary = _("当日签到%(n)d次,%(k)d次无异常;%(last)s") % {"n": len(todays), "k": len(clean), "last": summary}
    max_length = EvidenceDay._meta.get_field("detail").max_length
    evidence, _created = EvidenceDay.objects.update_or_create(
        cadre_id=checkin.cadre_id,
        day=day,
        source=EvidenceSource.CHECKIN,
        defaults={"status": DayStatus.PRESENT, "flagged": flagged, "detail": summary[:max_length]},
    )
    return evidence


@transaction.atomic
def checkin_record(
    *,
    actor,
    latitude: Decimal | float | str,
    longitude: Decimal | float | str,
    accuracy_m: float | int | str,
    ip: str | None,
    user_agent: str,
    at: datetime.datetime | None = None,
) -> CheckIn:
    """Record a cadre's own check-in and pre-fill that day's evidence. Refused unless the actor is a cadre in
    post today whose village's jurisdiction has enabled self check-in."""
    if getattr(actor, "role", None) != Role.CADRE or not getattr(actor, "cadre_id", None):
        raise ValidationError(_("只有驻村干部本人可以签到。"))
    at = at or timezone.now()
    day = timezone.localdate(at)
    # Lock the cadre row: a cadre's check-ins are serialised, so "the previous check-in" and the day's evidence
    # row are never computed from a half-written neighbour (two taps on a slow network).
    cadre = Cadre.objects.select_for_update().get(pk=actor.cadre_id)
    posting = current_posting(cadre=cadre, day=day)
    if posting is None:
        raise ValidationError(_("您今天没有在岗的派驻记录,不能签到。"))
    village = posting.village
    policy = policy_for(village.township)
    if not policy.checkin_enabled:
        raise ValidationError(
            _("%(region)s未启用自主签到。签到不是必需的,在村情况由乡镇在考勤簿中登记。") % {"region": village.township}
        )
    lat = _coordinate(latitude, field="latitude", limit=90, message=_("纬度无效:应在-90到90之间。"))
    lon = _coordinate(longitude, field="longitude", limit=180, message=_("经度无效:应在-180到180之间。"))
    accuracy = _accuracy(accuracy_m)

    distance = village_distance_m(village, lat, lon)
    previous = CheckIn.objects.filter(cadre=cadre, at__lte=at).order_by("-at", "-pk").first()
    checkin = CheckIn(
        cadre=cadre,
        posting=posting,
        at=at,
        latitude=lat,
        longitude=lon,
        accuracy_m=accuracy,
        distance_m=distance,
        ip=_ip_or_none(ip),
        user_agent=(user_agent or "")[:USER_AGENT_MAX],
        # Without village coordinates there is nothing to measure against: not flagged, and the evidence
        # detail says so, so the township knows the distance was not checked.
        outside_radius=distance is not None and distance > policy.checkin_radius_m,
        poor_accuracy=accuracy > policy.checkin_max_accuracy_m,
        impossible_speed=_moved_too_fast(
            previous=previous, at=at, latitude=lat, longitude=lon, accuracy_m=accuracy, policy=policy
        ),
    )
    checkin.save()
    _evidence_upsert(checkin=checkin, day=day, policy=policy)
    audit_record(
        actor=actor,
        action="checkin.record",
        obj=checkin,
        region_code=village.code,
        # The coordinates stay on the check-in row; the audit trail needs only what was decided from them.
        detail={
            "day": day.isoformat(),
            "distance_m": distance,
            "accuracy_m": accuracy,
            "outside_radius": checkin.outside_radius,
            "poor_accuracy": checkin.poor_accuracy,
            "impossible_speed": checkin.impossible_speed,
        },
        ip=checkin.ip,
    )
    return checkin


def checkin_summary(checkin: CheckIn) -> str:
    """The message shown to the cadre after a check-in: distance and any flags, in plain words."""
    return _describe(checkin, policy_for(checkin.posting.village.township))
