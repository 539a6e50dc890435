"""Dispatching-unit support (帮扶台账): the service's rules at their boundaries, who may record, the scoped list,
the yearly summary and its flags (computed by hand below), and the pages (login, 404 outside, 403 read-only)."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadres.models import AuditEntry, Posting
from tests import factories as f
from villages import selectors, services
from villages.models import Policy, RegionLevel, SupportKind, SupportRecord

D = datetime.date
TODAY = D(2026, 8, 15)  # the selectors take `today`; the summary tests fix it here


def record(unit, village, kind, day, amount=None, title="事项"):
    """A ledger row written directly: the summary tests are about arithmetic, not about the service."""
    return SupportRecord.objects.create(unit=unit, village=village, kind=kind, date=day, amount_yuan=amount, title=title)


def trail():
    return AuditEntry.objects.exclude(action__startswith="auth.")


def add(actor, unit, village, kind=SupportKind.FUNDS, day=None, amount=Decimal("10000"), title="拨付产业资金"):
    return services.support_record(
        actor=actor, unit=unit, village=village, kind=kind, date=day or timezone.localdate(), amount_yuan=amount,
        title=title,
    )


# --- the service -----------------------------------------------------------------------------------------


def test_it_records_support_of_the_contacts_own_unit_with_an_audit_entry(org, users):
    today = timezone.localdate()

    item = add(users.unit, org.unit_city, org.v_a1a, amount=Decimal("12500.50"), title=" 拨付  产业资金 ")

    item.refresh_from_db()
    assert (item.unit, item.village, item.kind, item.date, item.amount_yuan, item.title, item.recorded_by) == (
        org.unit_city, org.v_a1a, "funds", today, Decimal("12500.50"), "拨付 产业资金", users.unit)
    entry = trail().get(action="support.create")
    assert (entry.object_id, entry.region_code, entry.detail) == (
        str(item.pk), "369901001201",
        {"unit": org.unit_city.pk, "kind": "funds", "date": today.isoformat(), "amount_yuan": "12500.50"})


def test_it_accepts_today_and_refuses_tomorrow(org, users):
    today = timezone.localdate()
    add(users.unit, org.unit_city, org.v_a1a, day=today)

    with pytest.raises(ValidationError) as error:
        add(users.unit, org.unit_city, org.v_a1a, day=today + datetime.timedelta(days=1))

    assert error.value.message_dict == {"date": [f"日期不能晚于今天({today.isoformat()})。"]}
    assert SupportRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "amount", "error"),
    [
        (SupportKind.FUNDS, Decimal("0.01"), None),
        (SupportKind.FUNDS, Decimal("0"), "帮扶资金必须填写大于0的金额。"),
        (SupportKind.FUNDS, Decimal("-5"), "帮扶资金必须填写大于0的金额。"),
        (SupportKind.FUNDS, None, "帮扶资金必须填写大于0的金额。"),
        (SupportKind.PROJECT, None, None),
        (SupportKind.PROJECT, Decimal("0.01"), None),
        (SupportKind.PROJECT, Decimal("0"), "项目投资额必须大于0;没有可不填。"),
        (SupportKind.LEADER_VISIT, None, None),
        (SupportKind.LEADER_VISIT, Decimal("100"), "“单位领导到村走访”不填写金额。"),
        (SupportKind.REPORT_HEARING, Decimal("1"), "“听取驻村干部汇报”不填写金额。"),
    ],
)
def test_it_checks_the_amount_by_kind(org, users, kind, amount, error):
    if error is None:
        add(users.unit, org.unit_city, org.v_a1a, kind=kind, amount=amount)
        assert SupportRecord.objects.count() == 1
    else:
        with pytest.raises(ValidationError) as raised:
            add(users.unit, org.unit_city, org.v_a1a, kind=kind, amount=amount)
        assert raised.value.message_dict == {"amount_yuan": [error]}


def test_it_refuses_a_village_the_unit_has_no_cadre_in(org, users):
    with pytest.raises(ValidationError) as raised:
        add(users.unit, org.unit_city, org.v_a1b)

    assert raised.value.message_dict == {"village": ["本单位没有向该村派驻干部,不能登记对该村的帮扶。"]}


def test_it_accepts_a_village_where_the_unit_had_a_cadre_whose_posting_has_ended(org, users):
    Posting.objects.filter(pk=org.p_a1_sec.pk).update(status="completed", end_date=D(2025, 12, 31))

    add(users.unit, org.unit_city, org.v_a1a)

    assert SupportRecord.objects.count() == 1


def test_it_lets_an_organization_department_record_for_units_in_its_jurisdiction_only(org, users):
    add(users.county, org.unit_city, org.v_a1a)  # a city unit with a cadre in county A
    add(users.city, org.unit_b, org.v_b1a)

    for actor, unit, village in [(users.county, org.unit_b, org.v_b1a), (users.county_b, org.unit_city, org.v_a1a)]:
        with pytest.raises(PermissionDenied):
            add(actor, unit, village)
    f.PostingFactory(cadre=f.CadreFactory(unit=org.unit_city), village=org.v_b1a, round=org.round)
    with pytest.raises(ValidationError) as raised:
        add(users.county, org.unit_city, org.v_b1a)  # the unit is in scope, that village is not
    assert raised.value.message_dict == {"village": ["该村不在您的管辖范围内。"]}
    assert SupportRecord.objects.count() == 2


@pytest.mark.parametrize("role", ["township", "cadre", "unit_b", "township_b", "cadre_b"])
def test_it_refuses_other_roles_and_units(org, users, role):
    with pytest.raises(PermissionDenied):
        add(getattr(users, role), org.unit_city, org.v_a1a)
    assert not SupportRecord.objects.exists()


def test_it_deletes_an_item_keeping_what_it_said_in_the_audit_trail(org, users):
    item = record(org.unit_city, org.v_a1a, SupportKind.PROJECT, D(2026, 5, 1), Decimal("300000"), "茶叶加工项目")

    with pytest.raises(PermissionDenied):
        services.support_delete(actor=users.township, record=item)
    services.support_delete(actor=users.unit, record=item)

    assert not SupportRecord.objects.exists()
    assert trail().get(action="support.delete").detail == {
        "unit": org.unit_city.pk, "village": org.v_a1a.pk, "kind": "project", "date": "2026-05-01",
        "title": "茶叶加工项目", "amount_yuan": "300000.00"}


# --- the scoped list -------------------------------------------------------------------------------------


def test_it_scopes_the_list_to_the_users_jurisdiction(org, users):
    r_city = record(org.unit_city, org.v_a1a, SupportKind.FUNDS, D(2026, 3, 1), Decimal("1"))
    r_b = record(org.unit_b, org.v_b1a, SupportKind.FUNDS, D(2026, 3, 1), Decimal("1"))
    r_a = record(org.unit_a, org.v_a2a, SupportKind.FUNDS, D(2026, 3, 1), Decimal("1"))
    expected = {
        "admin": {r_city, r_b, r_a}, "city": {r_city, r_b, r_a}, "county": {r_city, r_a}, "county_b": {r_b},
        "township": {r_city}, "township2": {r_a}, "township_b": {r_b}, "unit": {r_city}, "unit_b": {r_b},
        "cadre": {r_city}, "cadre_b": {r_b},
    }
    for role, items in expected.items():
        assert set(selectors.support_list(user=getattr(users, role))) == items, role


# --- summary and flags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("per_year", "split"), [(0, (0, 0)), (1, (0, 1)), (2, (1, 1)), (3, (1, 2)), (4, (2, 2))])
def test_it_splits_the_yearly_hearings_into_half_years(per_year, split):
    assert selectors.hearings_required(per_year) == split


def test_it_sums_a_units_years_and_flags_what_is_missing(org, users):
    """市财政局 has had 张伟 in 杨家坪村 since 2025-03-01. Defaults: 1 visit a year, 2 hearings (1 + 1).

    2026 (today 08-15): funds 10,000.00 + 2,500.50 = 12,500.50 in 2 items; 1 project (its investment is not
    funds); no visit yet → pending; hearings H1 1 (enough), H2 0 → pending (July has begun).
    2025: 1 visit (enough); hearings H1 0 → shortfall, H2 1 (enough).
    """
    u, v = org.unit_city, org.v_a1a
    record(u, v, SupportKind.FUNDS, D(2026, 3, 10), Decimal("10000.00"))
    record(u, v, SupportKind.FUNDS, D(2026, 7, 1), Decimal("2500.50"))
    record(u, v, SupportKind.PROJECT, D(2026, 5, 1), Decimal("300000"))
    record(u, v, SupportKind.REPORT_HEARING, D(2026, 3, 1))
    record(u, v, SupportKind.LEADER_VISIT, D(2025, 6, 1))
    record(u, v, SupportKind.REPORT_HEARING, D(2025, 11, 1))

    years = selectors.unit_support_summary(user=users.county, unit=u, today=TODAY)

    assert [y.year for y in years] == [2026, 2025]
    y2026, y2025 = years
    assert (y2026.funds_yuan, y2026.funds_count, y2026.projects, y2026.visits, y2026.hearings_by_half) == (
        Decimal("12500.50"), 2, 1, 0, {1: 1, 2: 0})
    assert [(fl.code, fl.pending, fl.message) for fl in y2026.flags] == [
        ("leader_visit", True, "2026年单位领导未到杨家坪村走访(要求每年至少1次)。"),
        ("report_hearing", True, "2026年下半年听取驻村干部汇报0次,少于要求的1次。"),
    ]
    assert (y2025.funds_yuan, y2025.visits, y2025.hearings_by_half) == (Decimal("0"), 1, {1: 0, 2: 1})
    assert [(fl.code, fl.pending, fl.message) for fl in y2025.flags] == [
        ("report_hearing", False, "2025年上半年听取驻村干部汇报0次,少于要求的1次。"),
    ]


def test_it_counts_june_30_in_the_first_half_and_july_1_in_the_second(org, users):
    record(org.unit_city, org.v_a1a, SupportKind.REPORT_HEARING, D(2025, 6, 30))
    record(org.unit_city, org.v_a1a, SupportKind.REPORT_HEARING, D(2025, 7, 1))
    record(org.unit_city, org.v_a1a, SupportKind.LEADER_VISIT, D(2025, 12, 31))

    y2025 = selectors.unit_support_summary(user=users.city, unit=org.unit_city, today=TODAY)[-1]

    assert (y2025.year, y2025.hearings_by_half, y2025.visits, y2025.flags) == (2025, {1: 1, 2: 1}, 1, [])


@pytest.mark.parametrize(
    ("visits_required", "flag"),
    [
        (0, None),
        (1, None),
        (2, "2025年单位领导到杨家坪村走访1次,少于每年2次的要求。"),
    ],
)
def test_it_flags_visits_below_the_policy_of_the_units_region(org, users, visits_required, flag):
    Policy.objects.create(region=org.city, leader_visits_per_year=visits_required, report_hearings_per_year=0)
    record(org.unit_city, org.v_a1a, SupportKind.LEADER_VISIT, D(2025, 4, 1))

    y2025 = selectors.unit_support_summary(user=users.city, unit=org.unit_city, today=TODAY)[-1]

    assert [fl.message for fl in y2025.flags] == ([] if flag is None else [flag])


def test_it_follows_a_county_override_for_a_county_unit(org, users):
    Policy.objects.create(region=org.county_a, leader_visits_per_year=0, report_hearings_per_year=4)

    y2025 = selectors.unit_support_summary(user=users.county, unit=org.unit_a, today=TODAY)[-1]

    assert [fl.message for fl in y2025.flags] == [
        "2025年上半年听取驻村干部汇报0次,少于要求的2次。", "2025年下半年听取驻村干部汇报0次,少于要求的2次。"]


def test_it_judges_only_half_years_with_a_cadre_in_post_that_have_begun(org, users):
    """A unit whose only cadre served 2026-01-10 … 2026-06-30: H1 is judged, H2 (no cadre) is not; on
    2026-03-01 H1 is still running (pending) and H2 has not begun."""
    unit = f.UnitFactory(name="云溪县林业局", level=RegionLevel.COUNTY, region=org.county_a)
    cadre = f.CadreFactory(name="孙立", unit=unit)
    f.PostingFactory(cadre=cadre, village=org.v_a1b, round=org.round, start_date=D(2026, 1, 10),
                     end_date=D(2026, 6, 30), status="completed")

    august = selectors.unit_support_summary(user=users.county, unit=unit, today=TODAY)
    march = selectors.unit_support_summary(user=users.county, unit=unit, today=D(2026, 3, 1))

    assert [(fl.code, fl.half, fl.pending) for fl in august[0].flags] == [
        ("leader_visit", None, True), ("report_hearing", 1, False)]
    assert [(fl.code, fl.half, fl.pending) for fl in march[0].flags] == [
        ("leader_visit", None, True), ("report_hearing", 1, True)]


def test_it_counts_only_what_the_user_may_see(org, users):
    # 市财政局 also sends a cadre to county B; county A neither sees that visit nor is asked about that village.
    cadre = f.CadreFactory(name="何平", unit=org.unit_city)
    f.PostingFactory(cadre=cadre, village=org.v_b1a, round=org.round)
    record(org.unit_city, org.v_b1a, SupportKind.LEADER_VISIT, D(2025, 9, 1))

    for_county = selectors.unit_support_summary(user=users.county, unit=org.unit_city, today=TODAY)[-1]
    for_city = selectors.unit_support_summary(user=users.city, unit=org.unit_city, today=TODAY)[-1]

    assert (for_county.visits, [fl.village_id for fl in for_county.flags if fl.code == "leader_visit"]) == (
        0, [org.v_a1a.pk])
    assert (for_city.visits, [fl.village_id for fl in for_city.flags if fl.code == "leader_visit"]) == (
        1, [org.v_a1a.pk])


def test_it_gives_the_overview_of_units_with_cadres_in_the_jurisdiction(org, users):
    record(org.unit_city, org.v_a1a, SupportKind.FUNDS, D(2026, 2, 1), Decimal("5000"))
    record(org.unit_a, org.v_a2a, SupportKind.LEADER_VISIT, D(2026, 4, 1))
    record(org.unit_a, org.v_a1a, SupportKind.LEADER_VISIT, D(2026, 4, 2))
    record(org.unit_a, org.v_a2a, SupportKind.REPORT_HEARING, D(2026, 6, 1))
    record(org.unit_a, org.v_a2a, SupportKind.REPORT_HEARING, D(2026, 7, 20))
    record(org.unit_b, org.v_b1a, SupportKind.FUNDS, D(2026, 2, 1), Decimal("7000"))

    rows = selectors.support_overview(user=users.county, year=2026, today=TODAY)

    assert [(r.unit.name, r.entry.funds_yuan, r.entry.visits, r.entry.hearings, len(r.flags)) for r in rows] == [
        ("市财政局", Decimal("5000"), 0, 0, 3),
        ("云溪县农业农村局", Decimal("0"), 2, 2, 0),
    ]
    assert [r.unit.name for r in selectors.support_overview(user=users.county_b, year=2026, today=TODAY)] == [
        "石门县教育局"]


def test_it_builds_the_overview_in_a_constant_number_of_queries(org, users):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.support_overview(user=users.county, year=2026, today=TODAY)
        return len(ctx.captured_queries)

    small = count()
    for n in range(3):
        unit = f.UnitFactory(name=f"云溪县第{n}局", level=RegionLevel.COUNTY, region=org.county_a)
        f.PostingFactory(cadre=f.CadreFactory(unit=unit), village=org.v_a1b, round=org.round)
        record(unit, org.v_a1b, SupportKind.LEADER_VISIT, D(2026, 5, 1))

    assert count() == small


# --- the pages -------------------------------------------------------------------------------------------


def ledger(org, unit=None) -> str:
    return reverse("villages:unit_support", args=[(unit or org.unit_city).pk])


def test_it_resolves_the_urls(org):
    assert ledger(org) == f"/units/{org.unit_city.pk}/support/"
    assert reverse("villages:support_overview") == "/support/"


@pytest.mark.parametrize("page", ["ledger", "overview"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, org, page):
    url = ledger(org) if page == "ledger" else reverse("villages:support_overview")

    response = client.get(url)

    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={url}")


@pytest.mark.parametrize("role", ["county_b", "township_b", "unit_b", "cadre_b"])
def test_it_answers_404_to_outsiders_for_the_ledger_and_its_actions(client, org, users, role):
    item = record(org.unit_city, org.v_a1a, SupportKind.FUNDS, D(2026, 3, 1), Decimal("1"))
    client.force_login(getattr(users, role))

    assert client.get(ledger(org)).status_code == 404
    assert client.post(ledger(org), {"kind": "funds"}).status_code == 404
    delete = reverse("villages:support_delete", args=[org.unit_city.pk, item.pk])
    assert client.post(delete).status_code == 404
    assert SupportRecord.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("role", ["township", "cadre"])
def test_it_shows_the_ledger_read_only_and_answers_403_to_writes(client, org, users, role):
    unit = org.unit_a if role == "cadre" else org.unit_city  # 李娜's own unit; a unit serving in 城关镇
    item = record(unit, org.v_a1a, SupportKind.FUNDS, D(2026, 3, 1), Decimal("1"))
    client.force_login(getattr(users, role))

    response = client.get(ledger(org, unit))
    assert response.status_code == 200
    assert response.context["form"] is None
    assert "登记帮扶" not in response.content.decode()
    data = {"kind": "funds", "date": "2026-03-02", "village": org.v_a1a.pk, "amount_yuan": "5", "title": "x"}
    assert client.post(ledger(org, unit), data).status_code == 403
    delete = reverse("villages:support_delete", args=[unit.pk, item.pk])
    assert client.post(delete).status_code == 403
    assert SupportRecord.objects.count() == 1


def test_it_records_support_from_the_ledger_page(client, org, users):
    client.force_login(users.unit)
    today = timezone.localdate()
    data = {"kind": "funds", "date": today.isoformat(), "village": org.v_a1a.pk, "amount_yuan": "8000.00",
            "title": "拨付村集体经济发展资金", "description": ""}

    response = client.post(ledger(org), data)

    assert (response.status_code, response.url) == (302, f"{ledger(org)}?year={today.year}")
    item = SupportRecord.objects.get()
    assert (item.unit, item.amount_yuan, item.recorded_by) == (org.unit_city, Decimal("8000.00"), users.unit)
    page = client.get(response.url).content.decode()
    assert "拨付村集体经济发展资金" in page and '<td data-label="金额(元)" class="num">8000.00</td>' in page


def test_it_shows_a_service_error_next_to_its_field(client, org, users):
    client.force_login(users.county)
    data = {"kind": "funds", "date": timezone.localdate().isoformat(), "village": org.v_a1a.pk, "amount_yuan": "",
            "title": "资金"}

    response = client.post(ledger(org), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {"amount_yuan": ["帮扶资金必须填写大于0的金额。"]}
    assert not SupportRecord.objects.exists()


def test_it_offers_only_the_units_villages_in_the_form(client, org, users):
    f.PostingFactory(cadre=f.CadreFactory(unit=org.unit_city), village=org.v_b1a, round=org.round)
    client.force_login(users.county)

    form = client.get(ledger(org)).context["form"]

    assert list(form.fields["village"].queryset) == [org.v_a1a]  # 龙潭村 is in county B


def test_it_deletes_from_the_ledger_page(client, org, users):
    item = record(org.unit_city, org.v_a1a, SupportKind.FUNDS, D(2026, 3, 1), Decimal("1"))
    client.force_login(users.unit)

    response = client.post(reverse("villages:support_delete", args=[org.unit_city.pk, item.pk]))

    assert (response.status_code, response.url) == (302, f"{ledger(org)}?year=2026")
    assert not SupportRecord.objects.exists()


def test_it_answers_404_for_a_record_of_another_unit_under_this_units_url(client, org, users):
    other = record(org.unit_a, org.v_a1a, SupportKind.FUNDS, D(2026, 3, 1), Decimal("1"))
    client.force_login(users.county)

    assert client.post(reverse("villages:support_delete", args=[org.unit_city.pk, other.pk])).status_code == 404


@pytest.mark.parametrize("role", ["township", "unit", "cadre"])
def test_it_refuses_the_overview_to_roles_other_than_organization_departments(client, org, users, role):
    client.force_login(getattr(users, role))

    assert client.get(reverse("villages:support_overview")).status_code == 403


def test_it_shows_the_overview_of_the_county(client, org, users):
    client.force_login(users.county)

    response = client.get(reverse("villages:support_overview"), {"year": "2025"})

    assert response.status_code == 200
    assert [r.unit.name for r in response.context["rows"]] == ["市财政局", "云溪县农业农村局"]
    assert response.context["n_flagged"] == 2  # no visits, no hearings in 2025
    assert "石门县教育局" not in response.content.decode()


def test_it_shows_a_support_box_on_the_unit_page(client, org, users):
    client.force_login(users.county)

    page = client.get(reverse("villages:unit_detail", args=[org.unit_city.pk])).content.decode()

    assert 'id="support-box"' in page
    assert ledger(org) in page
