"""Leave in a real browser: the cadre asks for 2 days and for 5 days through the form; the township sees and
approves the 2-day request and never sees the 5-day one; the county approves the 5-day one; the city finds
it among its filings.

Real dates (nothing frozen: the live server runs in another thread): both leaves start next week or the week
after, inside the open-ended fixture postings. Screenshots go to test-artifacts/leave_flow_*.png.
"""
import datetime

import pytest
from django.utils import timezone

from attendance.models import AttendanceDay, LeaveRequest, LeaveStatus
from tests.factories import PASSWORD

from .conftest import ARTIFACTS

# Transactional: the live server thread must see the fixture rows; serialized_rollback restores the rows
# that migrations seed (village categories) for the transactional tests that run after this one.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]




def login(browser, live_server, username: str):
    """A fresh browser context (own cookies) logged in through the form, as a person would."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"leave_flow_{name}.png"), full_page=True)


def request_leave(page, live_server, start: datetime.date, end: datetime.date, reason: str) -> None:
    page.goto(f"{live_server.url}/leave/new/")
    page.select_option("#id_kind", "personal")
    page.fill("#id_start_date", start.isoformat())
    page.select_option("#id_start_half", "am")
    page.fill("#id_end_date", end.isoformat())
    page.select_option("#id_end_half", "pm")
    page.fill("#id_reason", reason)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/leave/*/")


def table_rows(page) -> list[str]:
    return [text.strip() for text in page.locator("#leave-table tbody tr").all_inner_texts()]


def test_it_routes_two_days_to_the_township_and_five_days_to_the_county(transactional_db, live_server, users, org,
                                                                       browser):
    from playwright.sync_api import expect

    today = timezone.localdate()
    short_start = today + datetime.timedelta(days=7)
    long_start = today + datetime.timedelta(days=14)

    # The cadre asks twice through the form.
    cadre = login(browser, live_server, "t_cadre")
    request_leave(cadre, live_server, short_start, short_start + datetime.timedelta(days=1), "孩子开家长会")
    expect(cadre.locator("#leave-status")).to_have_text("待审批")
    expect(cadre.locator("ul.messages")).to_contain_text("请假已提交,共2天,由城关镇乡镇(街道)审批")
    shot(cadre, "1_cadre_two_days")
    request_leave(cadre, live_server, long_start, long_start + datetime.timedelta(days=4), "回老家探望父母")
    expect(cadre.locator("ul.messages")).to_contain_text("请假已提交,共5天,由云溪县县(区)审批")
    shot(cadre, "2_cadre_five_days")
    short = LeaveRequest.objects.get(days=2)
    long = LeaveRequest.objects.get(days=5)
    assert (short.approver_region, long.approver_region) == (org.town_a1, org.county_a)

    # The township's queue holds the 2-day request only; it approves it from the detail page.
    township = login(browser, live_server, "t_township")
    township.goto(f"{live_server.url}/leave/?tab=queue")
    rows = table_rows(township)
    assert len(rows) == 1 and "李娜" in rows[0] and "孩子" not in rows[0]
    assert f"{short_start:%m-%d}" in rows[0]
    assert f"{long_start:%m-%d}" not in township.locator("#leave-table").inner_text()
    shot(township, "3_township_queue")
    township.locator("#leave-table tbody").get_by_role("link", name="李娜").click()
    township.wait_for_url(f"{live_server.url}/leave/{short.pk}/")
    township.fill("#id_comment", "同意")
    township.locator("#approve-btn").click()
    township.wait_for_url(f"{live_server.url}/leave/{short.pk}/")
    expect(township.locator("#leave-status")).to_have_text("已批准")
    expect(township.locator("body")).to_contain_text("已批准。")
    shot(township, "4_township_approved")
    # Even opened directly, the 5-day request offers the township no approval.
    township.goto(f"{live_server.url}/leave/{long.pk}/")
    expect(township.locator("#approve-btn")).to_have_count(0)

    # The county approves the 5-day request from its queue.
    county = login(browser, live_server, "t_county")
    county.goto(f"{live_server.url}/leave/?tab=queue")
    rows = table_rows(county)
    assert len(rows) == 1 and f"{long_start:%m-%d}" in rows[0]
    shot(county, "5_county_queue")
    county.locator("#leave-table tbody").get_by_role("link", name="李娜").click()
    county.wait_for_url(f"{live_server.url}/leave/{long.pk}/")
    county.locator("#approve-btn").click()
    county.wait_for_url(f"{live_server.url}/leave/{long.pk}/")
    expect(county.locator("#leave-status")).to_have_text("已批准")
    shot(county, "6_county_approved")

    # The city sees it under its filings, with nothing to do.
    city = login(browser, live_server, "t_city")
    city.goto(f"{live_server.url}/leave/")
    city.get_by_role("link", name="备案").click()
    city.wait_for_url(f"{live_server.url}/leave/?tab=filings")
    rows = table_rows(city)
    assert len(rows) == 1 and "李娜" in rows[0] and "已批准" in rows[0] and "5" in rows[0]
    expect(city.locator(".notice")).to_contain_text("无需操作")
    shot(city, "7_city_filings")
    city.goto(f"{live_server.url}/leave/{long.pk}/")
    expect(city.locator("#approve-btn")).to_have_count(0)
    expect(city.locator("body")).to_contain_text("青山市")

    short.refresh_from_db()
    long.refresh_from_db()
    assert (short.status, short.decided_by, long.status, long.decided_by) == (
        LeaveStatus.APPROVED, users.township, LeaveStatus.APPROVED, users.county)
    assert AttendanceDay.objects.filter(cadre=org.c_a1_mem, status="leave").count() == 7
