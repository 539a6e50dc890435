"""The township's month in a real browser: open last month's register, mark everyone present for the whole
month with the bulk action, save, confirm the month and see it locked.

Real dates (nothing frozen): the fixture postings start 2025-03-01, so last month lies inside them.
Screenshots go to test-artifacts/register_flow_*.png.
"""
import datetime

import pytest
from django.utils import timezone

from attendance.models import AttendanceDay, MonthConfirmation
from attendance.services import month_days, month_start, tally_differences
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_leave_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"register_flow_{name}.png"), full_page=True)


def test_it_lets_the_township_fill_and_confirm_last_month(transactional_db, live_server, users, org, browser):  # noqa: F811
    from playwright.sync_api import expect

    last_month = month_start(month_start(timezone.localdate()) - datetime.timedelta(days=1))
    days = month_days(last_month)

    page = login(browser, live_server, "t_township")
    # The home page points at last month's register, still unconfirmed.
    expect(page.locator("body")).to_contain_text("考勤尚未确认")
    page.get_by_role("link", name="打开考勤簿").click()
    page.wait_for_url(f"{live_server.url}/register/?month={last_month:%Y-%m}")
    expect(page.locator("h1")).to_contain_text(f"{last_month.year}年{last_month.month}月")
    grid = page.locator("#register-grid tbody tr")
    expect(grid).to_have_count(2)  # 张伟 and 李娜 of 城关镇; never 王强 (河口乡) or 刘洋 (石门镇)
    assert "王强" not in page.locator("#register-grid").inner_text()
    shot(page, "1_empty_month")

    # Tick every cadre; the bulk range defaults to the whole month and the status to present.
    assert page.input_value("#id_date_from") == days[0].isoformat()
    assert page.input_value("#id_date_to") == days[-1].isoformat()
    assert page.input_value("#id_status") == "present"
    for box in page.locator("input[name=sel]").all():
        box.check()
    page.get_by_role("button", name="批量标记").click()
    page.wait_for_load_state()
    expect(page.locator("ul.messages")).to_contain_text(f"已保存,{2 * len(days)}天有变化。")
    shot(page, "2_marked_present")

    # Every cell now reads present; one is changed by hand to business and saved.
    first_select = page.locator("#register-grid select").first
    expect(first_select).to_have_value("present")
    first_select.select_option("business")
    page.locator("#save-register").click()
    page.wait_for_load_state()
    expect(page.locator("ul.messages")).to_contain_text("已保存,1天有变化。")
    assert AttendanceDay.objects.filter(status="present").count() == 2 * len(days) - 1
    assert AttendanceDay.objects.filter(status="business").count() == 1

    # Confirm: the month is locked, the cells are no longer editable and point to a correction instead.
    page.locator("#confirm-month").click()
    page.wait_for_load_state()
    expect(page.locator("ul.messages")).to_contain_text(f"{last_month:%Y-%m} 的考勤已确认并锁定。")
    expect(page.locator(".page-head")).to_contain_text("已确认锁定")
    expect(page.locator("#register-grid select")).to_have_count(0)
    expect(page.locator("#confirm-month")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("本月已确认锁定")
    shot(page, "3_confirmed")

    confirmation = MonthConfirmation.objects.get()
    assert (confirmation.township, confirmation.month, confirmation.confirmed_by) == (
        org.town_a1, last_month, users.township)
    assert tally_differences() == []

    page.goto(f"{live_server.url}/")
    expect(page.locator("body")).to_contain_text("考勤已确认")
