"""The policy pages (/policy/, /policy/edit/) and policy_update: resolution per jurisdiction (city default,
county override, system defaults), validation of the routing table, history and permissions.

Users (tests/conftest.py): city = 青山市 organization department, county = 云溪县 (county A), county_b =
石门县 (county B, the outsider), township = 城关镇 in county A, unit and cadre have no region scope.
"""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cadres.models import AuditEntry
from cadres.selectors import policy_for
from villages.models import CompliancePeriod, LeaveRoute, Policy, PolicyChange, RegionLevel
from villages.services import policy_update

DETAIL = reverse("villages:policy_detail")
EDIT = reverse("villages:policy_edit")
DEFAULT_ROUTES = [
    {"max_days": Decimal("3"), "approver_level": RegionLevel.TOWNSHIP, "filing_levels": []},
    {"max_days": None, "approver_level": RegionLevel.COUNTY, "filing_levels": [RegionLevel.CITY]},
]


def _routes(policy) -> list[tuple]:
    return [(r.max_days, r.approver_level, list(r.filing_levels)) for r in policy.leave_routes()]


def _post_data(policy, routes, **changes) -> dict:
    """The edit form as the browser posts it: every Policy field plus the routing formset."""
    data = {
        name: getattr(policy, name)
        for name in (
            "team_min_priority", "team_max", "term_min_months", "min_days", "min_days_period",
            "register_confirm_day", "checkin_radius_m", "checkin_max_accuracy_m", "checkin_max_speed_kmh",
        )
    }
    for name in ("count_business", "count_training", "checkin_enabled"):
        if getattr(policy, name):
            data[name] = "on"
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not False}
    data.update({
        "routes-TOTAL_FORMS": str(len(routes)), "routes-INITIAL_FORMS": "0",
        "routes-MIN_NUM_FORMS": "0", "routes-MAX_NUM_FORMS": "1000",
    })
    for i, (max_days, approver, filing) in enumerate(routes):
        data[f"routes-{i}-max_days"] = "" if max_days is None else str(max_days)
        data[f"routes-{i}-approver_level"] = str(approver)
        data[f"routes-{i}-filing_levels"] = [str(level) for level in filing]
    return data


# --- resolution ------------------------------------------------------------------------------------------

def test_it_uses_the_defaults_without_any_row(org):
    policy = policy_for(org.town_a1)
    assert policy.pk is None
    assert (policy.min_days, policy.min_days_period) == (50, CompliancePeriod.QUARTER)
    assert (policy.count_business, policy.count_training) == (True, True)
    assert policy.checkin_enabled is False
    assert policy.checkin_radius_m == 1000
    assert policy.counted_statuses() == {"present", "business", "training"}
    assert _routes(policy) == [
        (Decimal("3"), RegionLevel.TOWNSHIP, []),
        (None, RegionLevel.COUNTY, [RegionLevel.CITY]),
    ]


def test_it_applies_a_city_row_to_a_county_below(org):
    Policy.objects.create(region=org.city, min_days=20, min_days_period=CompliancePeriod.MONTH)
    for region in (org.county_a, org.town_a1, org.town_b1):
        policy = policy_for(region)
        assert policy.region == org.city
        assert (policy.min_days, policy.min_days_period) == (20, CompliancePeriod.MONTH)


def test_it_lets_a_county_override_win_for_that_county_only(org):
    Policy.objects.create(region=org.city, min_days=20, min_days_period=CompliancePeriod.MONTH)
    Policy.objects.create(region=org.county_a, min_days=60)
    assert policy_for(org.town_a1).min_days == 60
    assert policy_for(org.county_a).region == org.county_a
    assert policy_for(org.town_b1).min_days == 20
    assert policy_for(org.county_b).region == org.city


# --- policy_update ---------------------------------------------------------------------------------------

def test_it_creates_the_county_override_with_exactly_the_changed_fields(org, users):
    city = Policy.objects.create(region=org.city, min_days=20, min_days_period=CompliancePeriod.MONTH)
    LeaveRoute.objects.create(policy=city, max_days=Decimal("2"), approver_level=RegionLevel.TOWNSHIP)
    LeaveRoute.objects.create(policy=city, max_days=None, approver_level=RegionLevel.COUNTY,
                              filing_levels=[RegionLevel.CITY])

    policy = policy_update(
        actor=users.county, region=org.county_a, data={"min_days": 22, "checkin_enabled": True}, routes=None,
        ip="10.0.0.1",
    )

    assert policy.pk and policy.region == org.county_a
    assert policy_for(org.town_a1) == policy
    assert (policy.min_days, policy.min_days_period, policy.checkin_enabled) == (22, CompliancePeriod.MONTH, True)
    # the inherited routing rows were copied, not replaced by the system defaults
    assert _routes(policy) == [(Decimal("2"), RegionLevel.TOWNSHIP, []), (None, RegionLevel.COUNTY, [RegionLevel.CITY])]
    change = PolicyChange.objects.get(policy=policy)
    assert change.changed_by == users.county
    assert change.changes == {"min_days": [20, 22], "checkin_enabled": [False, True]}
    entry = AuditEntry.objects.get(action="policy.update")
    assert entry.region_code == org.county_a.code and entry.ip == "10.0.0.1"
    # the city row and county B are untouched
    city.refresh_from_db()
    assert city.min_days == 20
    assert policy_for(org.town_b1) == city


def test_it_records_the_routing_table_in_words(org, users):
    policy = policy_update(
        actor=users.city, region=org.city, data={},
        routes=[*DEFAULT_ROUTES[:1],
                {"max_days": Decimal("7"), "approver_level": RegionLevel.COUNTY, "filing_levels": []},
                DEFAULT_ROUTES[1] | {"approver_level": RegionLevel.CITY, "filing_levels": []}],
    )
    assert list(policy.changes.get().changes) == ["leave_routes"]
    old, new = policy.changes.get().changes["leave_routes"]
    assert old == ["≤ 3 天:乡镇党委审批", "> 3 天:县(区)委组织部审批,报市委组织部备案"]
    assert new == ["≤ 3 天:乡镇党委审批", "> 3 天且 ≤ 7 天:县(区)委组织部审批", "> 7 天:市委组织部审批"]
    assert policy.routes.count() == 3


def test_it_writes_nothing_when_nothing_changed(org, users):
    policy = policy_update(actor=users.county, region=org.county_a, data={"min_days": 50}, routes=DEFAULT_ROUTES)
    assert policy.pk is None and policy.last_changes == {}
    assert not Policy.objects.exists() and not PolicyChange.objects.exists()
    assert not AuditEntry.objects.filter(action="policy.update").exists()


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ([DEFAULT_ROUTES[1], DEFAULT_ROUTES[1] | {"approver_level": RegionLevel.CITY, "filing_levels": []}],
         "有且只有一行"),
        ([DEFAULT_ROUTES[0]], "有且只有一行"),
        ([{"max_days": Decimal("5"), "approver_level": RegionLevel.TOWNSHIP, "filing_levels": []},
          {"max_days": Decimal("3"), "approver_level": RegionLevel.COUNTY, "filing_levels": []},
          DEFAULT_ROUTES[1]], "必须大于上一行"),
        ([DEFAULT_ROUTES[0], DEFAULT_ROUTES[0], DEFAULT_ROUTES[1]], "必须大于上一行"),
        ([DEFAULT_ROUTES[1], DEFAULT_ROUTES[0]], "放在最后"),
        ([DEFAULT_ROUTES[0], DEFAULT_ROUTES[1] | {"filing_levels": [RegionLevel.TOWNSHIP]}], "必须高于审批单位"),
        ([DEFAULT_ROUTES[0], DEFAULT_ROUTES[1] | {"filing_levels": [RegionLevel.COUNTY]}], "必须高于审批单位"),
        ([DEFAULT_ROUTES[0], DEFAULT_ROUTES[1] | {"approver_level": RegionLevel.PROVINCE, "filing_levels": []}],
         "审批单位只能是"),
        ([{"max_days": Decimal("0"), "approver_level": RegionLevel.TOWNSHIP, "filing_levels": []},
          DEFAULT_ROUTES[1]], "第1行"),
    ],
)
def test_it_refuses_an_invalid_routing_table_and_saves_nothing(org, users, routes, message):
    with pytest.raises(ValidationError) as exc:
        policy_update(actor=users.county, region=org.county_a, data={"min_days": 40}, routes=routes)
    assert any(message in m for m in exc.value.message_dict["leave_routes"])
    assert not Policy.objects.exists() and not PolicyChange.objects.exists() and not LeaveRoute.objects.exists()


def test_it_refuses_invalid_values(org, users):
    with pytest.raises(ValidationError) as exc:
        policy_update(actor=users.county, region=org.county_a, data={"team_min_priority": 6, "team_max": 5})
    assert "不能大于" in exc.value.message_dict["team_min_priority"][0]
    with pytest.raises(ValidationError) as exc:
        policy_update(actor=users.county, region=org.county_a, data={"min_days_period": CompliancePeriod.MONTH})
    assert "不能超过31天" in exc.value.message_dict["min_days"][0]
    assert not Policy.objects.exists()


def test_it_refuses_a_county_writing_the_city_policy(org, users):
    with pytest.raises(PermissionDenied):
        policy_update(actor=users.county, region=org.city, data={"min_days": 40})
    with pytest.raises(PermissionDenied):
        policy_update(actor=users.township, region=org.town_a1, data={"min_days": 40})
    assert not Policy.objects.exists()


# --- pages -----------------------------------------------------------------------------------------------

def test_it_shows_the_defaults_to_a_township(client, users):
    client.force_login(users.township)
    r = client.get(DETAIL)
    assert r.status_code == 200
    page = r.content.decode()
    assert "系统默认" in page
    assert "≤ 3 天:乡镇党委审批" in page
    assert "&gt; 3 天:县(区)委组织部审批,报市委组织部备案" in page
    assert EDIT not in page  # a township reads, it does not edit


def test_it_says_where_an_inherited_policy_comes_from(client, org, users):
    Policy.objects.create(region=org.city, min_days=60)
    client.force_login(users.county)
    page = client.get(DETAIL).content.decode()
    assert "沿用青山市的设置" in page
    assert "设定本级政策" in page


def test_it_edits_through_the_form_and_shows_the_history(client, org, users):
    client.force_login(users.county)
    r = client.get(EDIT)
    assert r.status_code == 200
    assert r.context["form"]["min_days"].value() == 50
    data = _post_data(
        policy_for(org.county_a),
        [(3, RegionLevel.TOWNSHIP, []), (None, RegionLevel.COUNTY, [RegionLevel.CITY])],
        min_days=55, count_training=False,
    )
    r = client.post(EDIT, data)
    assert r.status_code == 302 and r.url == DETAIL
    policy = Policy.objects.get(region=org.county_a)
    assert (policy.min_days, policy.count_training) == (55, False)
    assert policy.changes.get().changes == {"min_days": [50, 55], "count_training": [True, False]}

    page = client.get(DETAIL).content.decode()
    assert "本级设定" in page
    assert "在村天数下限:50 → <strong>55</strong>" in page
    assert "组织培训计入在村天数:是 → <strong>否</strong>" in page
    assert "t_county" in page


def test_it_shows_form_errors_and_saves_nothing(client, org, users):
    client.force_login(users.county)
    data = _post_data(
        policy_for(org.county_a),
        [(3, RegionLevel.TOWNSHIP, []), (None, RegionLevel.COUNTY, []), (None, RegionLevel.CITY, [])],
        team_min_priority=6, team_max=5,
    )
    r = client.post(EDIT, data)
    assert r.status_code == 200
    page = r.content.decode()
    assert "不能大于工作队最多人数" in page
    assert "有且只有一行" in page
    assert not Policy.objects.exists()


def test_it_lets_the_city_edit_only_its_own_policy(client, org, users):
    client.force_login(users.city)
    data = _post_data(
        policy_for(org.city), [(3, RegionLevel.TOWNSHIP, []), (None, RegionLevel.COUNTY, [RegionLevel.CITY])],
        min_days=45,
    )
    assert client.post(EDIT, data).status_code == 302
    assert Policy.objects.get().region == org.city
    # the county's page now inherits from the city; its own edit writes its own row, never the city's
    client.force_login(users.county)
    assert client.post(EDIT, {**data, "min_days": 40}).status_code == 302
    assert Policy.objects.get(region=org.city).min_days == 45
    assert Policy.objects.get(region=org.county_a).min_days == 40


@pytest.mark.parametrize("who", ["township", "unit", "cadre"])
def test_it_forbids_editing_to_other_roles(client, users, who):
    client.force_login(getattr(users, who))
    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, {}).status_code == 403


@pytest.mark.parametrize("who", ["unit", "cadre"])
def test_it_forbids_the_detail_page_to_units_and_cadres(client, users, who):
    client.force_login(getattr(users, who))
    assert client.get(DETAIL).status_code == 403


@pytest.mark.parametrize("url", [DETAIL, EDIT])
def test_it_sends_anonymous_users_to_login(client, url):
    r = client.get(url)
    assert r.status_code == 302 and r.url.startswith(reverse("login"))


def test_it_shows_a_region_inside_the_jurisdiction(client, org, users):
    Policy.objects.create(region=org.county_a, min_days=66)
    client.force_login(users.city)
    r = client.get(DETAIL, {"region": org.county_a.pk})
    assert r.status_code == 200
    assert r.context["policy"].min_days == 66
    assert not r.context["can_edit"]  # the city views the county's override but does not edit it
    assert "云溪县" in client.get(DETAIL).content.decode()  # listed among the overrides below the city


def test_it_answers_404_for_a_region_outside_the_jurisdiction(client, org, users):
    client.force_login(users.county_b)
    assert client.get(DETAIL, {"region": org.county_a.pk}).status_code == 404
    assert client.get(DETAIL, {"region": org.city.pk}).status_code == 404
    assert client.get(DETAIL, {"region": "x"}).status_code == 404


def test_it_starts_the_county_form_from_the_city_values_and_routes(client, org, users):
    city = Policy.objects.create(region=org.city, min_days=20, min_days_period=CompliancePeriod.MONTH)
    LeaveRoute.objects.create(policy=city, max_days=Decimal("2"), approver_level=RegionLevel.TOWNSHIP)
    LeaveRoute.objects.create(policy=city, max_days=None, approver_level=RegionLevel.COUNTY)
    client.force_login(users.county)
    r = client.get(EDIT)
    assert r.context["form"]["min_days"].value() == 20
    assert [f["max_days"].value() for f in r.context["routes"].forms] == ["2", None, None]  # + one blank row
    assert "沿用青山市的设置" in r.content.decode()


def test_it_shows_the_defaults_to_an_admin_without_a_region(client, users):
    users.admin.region = None
    users.admin.save()
    client.force_login(users.admin)
    r = client.get(DETAIL)
    assert r.status_code == 200 and r.context["source"] == "default"
    assert client.get(EDIT).status_code == 403  # an admin edits the policy of their own region only


def test_it_inherits_the_city_routing_when_a_county_row_has_none_of_its_own(org):
    from decimal import Decimal

    from villages.models import LeaveRoute, Policy, RegionLevel

    city = Policy.objects.create(region=org.city)
    LeaveRoute.objects.create(policy=city, max_days=Decimal("2"), approver_level=RegionLevel.TOWNSHIP)
    LeaveRoute.objects.create(policy=city, max_days=None, approver_level=RegionLevel.COUNTY,
                              filing_levels=[RegionLevel.CITY])
    county = Policy.objects.create(region=org.county_a, min_days=60)  # e.g. created in the admin
    assert [(r.max_days, r.approver_level) for r in county.leave_routes()] == [
        (Decimal("2"), RegionLevel.TOWNSHIP), (None, RegionLevel.COUNTY)]
