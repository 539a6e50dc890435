"""Self check-in: off by default, evidence only, flags read from the policy, scoped list.

Distances are computed by hand with the haversine formula and the mean Earth radius R = 6,371,008.8 m: a
pure latitude offset Δφ is an arc of R·Δφ, i.e. 111,195.08 m per degree (0.01° ≈ 1,112 m). So the village
at (30.000000, 110.000000) is 0 m from itself, 2,002 m from (30.018, 110) (0.018° × 111,195.08 = 2,001.5)
and 50,038 m from (30.45, 110) (0.45° × 111,195.08 = 50,037.8).
"""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceDay, CheckIn, DayStatus, EvidenceDay, EvidenceSource
from attendance.services.checkin import checkin_record
from cadres.models import AuditEntry, Role
from tests.factories import UserFactory
from villages.models import Policy

VILLAGE = ("30.000000", "110.000000")
URL = reverse("attendance:checkin")
LIST_URL = reverse("attendance:checkin_list")


def _at(hour: int, minute: int = 0, day: datetime.date = datetime.date(2026, 11, 20)) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _record(user, lat=VILLAGE[0], lon=VILLAGE[1], accuracy=20, at=None) -> CheckIn:
    return checkin_record(
        actor=user, latitude=lat, longitude=lon, accuracy_m=accuracy, ip="10.0.0.7", user_agent="Test/1.0", at=at
    )


@pytest.fixture
def enabled(org):
    """Self check-in enabled city-wide (default radius, accuracy and speed limits); village A1a and B1a have
    coordinates."""
    org.v_a1a.latitude, org.v_a1a.longitude = Decimal(VILLAGE[0]), Decimal(VILLAGE[1])
    org.v_a1a.save()
    org.v_b1a.latitude, org.v_b1a.longitude = Decimal("31.000000"), Decimal("111.000000")
    org.v_b1a.save()
    return Policy.objects.create(region=org.city, checkin_enabled=True)


def _post(client, user, lat=VILLAGE[0], lon=VILLAGE[1], accuracy="20"):
    client.force_login(user)
    return client.post(
        URL, {"latitude": lat, "longitude": lon, "accuracy": accuracy}, follow=True,
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone)", REMOTE_ADDR="10.1.2.3",
    )


# ---------------------------------------------------------------- off by default


def test_it_refuses_a_checkin_when_the_policy_has_not_enabled_it(client, users):
    response = _post(client, users.cadre)

    assert response.status_code == 200
    assert "城关镇未启用自主签到" in response.content.decode()
    assert CheckIn.objects.count() == 0
    assert EvidenceDay.objects.count() == 0
    assert not AuditEntry.objects.filter(action="checkin.record").exists()


def test_it_shows_a_not_enabled_page_rather_than_a_404(client, users):
    client.force_login(users.cadre)

    response = client.get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert "本辖区未启用自主签到" in body
    assert "checkin-button" not in body
    assert "js/checkin.js" not in body


def test_it_refuses_when_a_county_policy_turns_off_what_the_city_enabled(client, org, users, enabled):
    Policy.objects.create(region=org.county_a, checkin_enabled=False)

    _post(client, users.cadre)

    assert CheckIn.objects.count() == 0


# ---------------------------------------------------------------- recording and flags


def test_it_records_a_checkin_at_the_village_as_evidence_only(client, org, users, enabled):
    response = _post(client, users.cadre)

    assert "已签到" in response.content.decode()
    checkin = CheckIn.objects.get()
    assert checkin.cadre == org.c_a1_mem
    assert checkin.posting == org.p_a1_mem
    assert checkin.latitude == Decimal(VILLAGE[0]) and checkin.longitude == Decimal(VILLAGE[1])
    assert checkin.accuracy_m == 20
    assert checkin.distance_m == 0
    assert checkin.ip == "10.1.2.3"
    assert checkin.user_agent == "Mozilla/5.0 (iPhone)"
    assert not checkin.is_flagged
    evidence = EvidenceDay.objects.get()
    assert (evidence.cadre, evidence.day) == (org.c_a1_mem, timezone.localdate())
    assert (evidence.source, evidence.status, evidence.flagged) == (EvidenceSource.CHECKIN, DayStatus.PRESENT, False)
    assert "距村0米" in evidence.detail
    # Evidence, not verdict: the register is the township's to fill.
    assert AttendanceDay.objects.count() == 0
    audit = AuditEntry.objects.get(action="checkin.record")
    assert audit.actor == users.cadre and audit.region_code == org.v_a1a.code
    assert audit.detail["distance_m"] == 0


def test_it_flags_a_checkin_outside_the_default_radius(client, users, enabled):
    response = _post(client, users.cadre, lat="30.018000")

    checkin = CheckIn.objects.get()
    assert checkin.distance_m == 2002
    assert checkin.outside_radius and not checkin.poor_accuracy and not checkin.impossible_speed
    assert "超出签到范围(1000米)" in response.content.decode()
    evidence = EvidenceDay.objects.get()
    assert evidence.flagged and evidence.status == DayStatus.PRESENT
    assert AttendanceDay.objects.count() == 0


def test_it_reads_the_radius_from_the_policy(client, users, enabled):
    enabled.checkin_radius_m = 3000
    enabled.save()

    _post(client, users.cadre, lat="30.018000")

    checkin = CheckIn.objects.get()
    assert checkin.distance_m == 2002
    assert not checkin.outside_radius
    assert not EvidenceDay.objects.get().flagged


def test_it_flags_poor_accuracy(client, users, enabled):
    _post(client, users.cadre, accuracy="800")

    checkin = CheckIn.objects.get()
    assert checkin.poor_accuracy and not checkin.outside_radius
    assert EvidenceDay.objects.get().flagged


def test_it_flags_an_impossible_speed_since_the_previous_checkin(users, enabled):
    first = _record(users.cadre, at=_at(9, 0))
    second = _record(users.cadre, lat="30.450000", at=_at(9, 1))

    assert not first.impossible_speed
    # (50,038 − 20 − 20) m in 1 minute = 3,000 km/h > 150 km/h
    assert second.distance_m == 50038
    assert second.impossible_speed and second.outside_radius


def test_it_accepts_the_same_distance_at_a_plausible_speed(users, enabled):
    _record(users.cadre, at=_at(9, 0))
    later = _record(users.cadre, lat="30.450000", at=_at(10, 0))

    # 50 km in an hour = 50 km/h ≤ 150 km/h: outside the radius, but not an impossible move.
    assert later.outside_radius and not later.impossible_speed


def test_it_reads_the_speed_limit_from_the_policy(users, enabled):
    enabled.checkin_max_speed_kmh = 40
    enabled.save()
    _record(users.cadre, at=_at(9, 0))

    later = _record(users.cadre, lat="30.450000", at=_at(10, 0))

    assert later.impossible_speed


def test_it_does_not_take_gps_jitter_for_a_jump(users, enabled):
    # 0.003° ≈ 334 m apart 10 seconds later would be 120 km/h, but with two 200 m accuracy radii the
    # points may be the same place.
    _record(users.cadre, accuracy=200, at=_at(9, 0))
    again = _record(users.cadre, lat="30.003000", accuracy=200, at=_at(9, 0) + datetime.timedelta(seconds=10))

    assert not again.impossible_speed


def test_it_keeps_one_evidence_row_per_day_and_a_clean_checkin_keeps_the_day_clean(users, enabled):
    _record(users.cadre, at=_at(8, 30))
    _record(users.cadre, lat="30.018000", at=_at(18, 0))

    evidence = EvidenceDay.objects.get()
    assert evidence.day == datetime.date(2026, 11, 20)
    assert not evidence.flagged
    assert "当日签到2次,1次无异常" in evidence.detail
    assert CheckIn.objects.count() == 2


def test_it_measures_nothing_when_the_village_has_no_coordinates(org, users, enabled):
    org.v_a1a.latitude = org.v_a1a.longitude = None
    org.v_a1a.save()

    checkin = _record(users.cadre, lat="45.000000", lon="120.000000")

    assert checkin.distance_m is None
    assert not checkin.outside_radius
    assert "未登记坐标" in EvidenceDay.objects.get().detail


@pytest.mark.parametrize(
    ("lat", "lon", "accuracy"),
    [("90.5", "110", "20"), ("30", "-180.1", "20"), ("30", "110", "-1"), ("nan", "110", "20"), ("", "110", "20")],
)
def test_it_rejects_impossible_coordinates_and_stores_nothing(client, users, enabled, lat, lon, accuracy):
    _post(client, users.cadre, lat=lat, lon=lon, accuracy=accuracy)

    assert CheckIn.objects.count() == 0
    assert EvidenceDay.objects.count() == 0


def test_it_refuses_a_cadre_without_a_posting_in_force(org, enabled):
    idle = UserFactory(username="t_idle", role=Role.CADRE, cadre=org.c_idle)

    with pytest.raises(Exception, match="没有在岗的派驻记录"):
        _record(idle)
    assert CheckIn.objects.count() == 0


def test_it_contains_no_policy_number_literal():
    from pathlib import Path

    from attendance.services import checkin

    source = Path(checkin.__file__).read_text(encoding="utf-8")
    for number in ("1000", "1_000", "500", "150"):
        assert number not in source


# ---------------------------------------------------------------- roles and outsiders


def test_it_answers_403_to_a_township_official_posting_a_checkin(client, users, enabled):
    client.force_login(users.township)

    response = client.post(URL, {"latitude": VILLAGE[0], "longitude": VILLAGE[1], "accuracy": "20"})

    assert response.status_code == 403
    assert CheckIn.objects.count() == 0


def test_it_sends_an_anonymous_visitor_to_the_login_page(client, enabled):
    for response in (client.get(URL), client.post(URL, {}), client.get(LIST_URL)):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert CheckIn.objects.count() == 0


def test_it_shows_the_button_and_loads_the_script_for_an_enabled_cadre(client, users, enabled):
    client.force_login(users.cadre)

    response = client.get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="checkin-button"' in body
    assert "杨家坪村" in body
    assert '<script src="/static/js/checkin.js" defer></script>' in body
    assert "<script>" not in body  # no inline script: the CSP forbids it
    assert "不需要拍照" in body
    assert "1000 米" in body  # the radius shown comes from the policy


def test_it_lists_todays_checkins_on_the_page(client, users, enabled):
    _post(client, users.cadre, lat="30.018000")

    body = client.get(URL).content.decode()

    assert "今天的签到" in body and "2002 米" in body and "超出范围" in body


@pytest.fixture
def checkins(org, users, enabled):
    """One check-in each by 李娜 (A1a, clean), 张伟 (A1a, 2 km out) and 刘洋 (B1a, clean)."""
    zhang = UserFactory(username="t_zhang", role=Role.CADRE, cadre=org.c_a1_sec)
    return {
        "li": _record(users.cadre),
        "zhang": _record(zhang, lat="30.018000"),
        "liu": _record(users.cadre_b, lat="31.000000", lon="111.000000"),
    }


def _listed(client, user, query="") -> set[int]:
    client.force_login(user)
    response = client.get(LIST_URL + query)
    assert response.status_code == 200
    return {c.pk for c in response.context["object_list"]}


def test_it_shows_county_b_only_its_own_checkins(client, users, checkins):
    assert _listed(client, users.county_b) == {checkins["liu"].pk}


def test_it_shows_a_township_the_checkins_of_its_villages(client, users, checkins):
    assert _listed(client, users.township) == {checkins["li"].pk, checkins["zhang"].pk}
    assert _listed(client, users.township_b) == {checkins["liu"].pk}


def test_it_shows_a_cadre_only_their_own_checkins(client, users, checkins):
    assert _listed(client, users.cadre) == {checkins["li"].pk}


def test_it_shows_the_city_and_admin_everything(client, users, checkins):
    every = {c.pk for c in checkins.values()}
    assert _listed(client, users.city) == every
    assert _listed(client, users.admin) == every


def test_it_shows_a_dispatching_unit_nothing(client, users, checkins):
    assert _listed(client, users.unit) == set()


def test_it_filters_flagged_checkins(client, users, checkins):
    assert _listed(client, users.county, "?flagged=on") == {checkins["zhang"].pk}


def test_it_filters_by_date_range(client, users, enabled):
    old = _record(users.cadre, at=_at(9, 0, datetime.date(2026, 10, 10)))
    new = _record(users.cadre, at=_at(9, 0, datetime.date(2026, 11, 10)))

    assert _listed(client, users.county, "?date_from=2026-11-01") == {new.pk}
    assert _listed(client, users.county, "?date_to=2026-10-31") == {old.pk}
    assert _listed(client, users.county, "?date_from=2026-10-01&date_to=2026-11-30") == {old.pk, new.pk}


def test_it_tells_an_official_that_checkin_is_for_cadres(client, users, enabled):
    client.force_login(users.township)

    response = client.get(URL)

    body = response.content.decode()
    assert response.status_code == 200
    assert "自主签到由驻村干部本人在手机上进行" in body
    assert "checkin-button" not in body
