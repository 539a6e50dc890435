"""The county organization department records an unannounced inspection in a real browser: choose the village,
list the cadres posted there, mark 李娜 absent, save; then the register of her township shows 缺 on that day and
her annual evaluation says she can no longer be graded excellent.

Headless Chromium (/usr/bin/chromium) through Playwright's sync API against pytest-django's live server; the
inspection date is a week before the real date (the live server runs on the real clock). Screenshots of each
step are left in test-artifacts/ (gitignored).
"""
import datetime

import pytest
from django.urls import reverse

from attendance.models import AttendanceDay, DaySource, DayStatus, Inspection
from tests.factories import PASSWORD

from .conftest import ARTIFACTS

# Transactional: the live server thread must see the fixture rows. serialized_rollback restores the rows
# that migrations seed (village categories) for any transactional test that runs after this one.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]



def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"inspection_flow_{name}.png"), full_page=True)


def test_it_lets_the_county_record_an_absence_that_reaches_the_register_and_the_evaluation(
    transactional_db, live_server, users, org, page
):
    from playwright.sync_api import expect

    day = datetime.date.today() - datetime.timedelta(days=7)
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "t_county")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")

    # Step 1: the date, the way of inspecting, the inspectors and the village; then list the cadres.
    page.goto(f"{base}{reverse('attendance:inspection_create')}")
    form = page.locator("#inspection-form")
    form.locator("#id_date").fill(day.isoformat())
    form.locator("#id_kind").select_option("unannounced")
    form.locator("#id_inspectors").fill("县委组织部 王明、李华")
    form.get_by_label("杨家坪村").check()
    form.locator("#list-cadres").click()

    # Step 2: a finding for each cadre posted there that day: 张伟 present, 李娜 absent.
    grid = page.locator("#findings-grid tbody tr")
    expect(grid).to_have_count(2)
    assert [r.strip() for r in page.locator("#findings-grid tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.cadre)")] == ["张伟", "李娜"]
    page.locator("#findings-grid tr[data-cadre='李娜'] select").select_option("absent")
    page.locator("#findings-grid tr[data-cadre='李娜'] input[type=text]").fill("村部及住所均未见本人")
    shot(page, "1_findings")
    page.locator("#save-inspection").click()

    inspection = Inspection.objects.get()
    page.wait_for_url(f"{base}{inspection.get_absolute_url()}")
    expect(page.locator("#absent-count")).to_have_text("1")
    expect(page.locator("#absence-limits")).to_contain_text("李娜")
    expect(page.locator("#absence-limits")).to_contain_text("不得评为优秀")
    shot(page, "2_detail")
    row = AttendanceDay.objects.get(cadre=org.c_a1_mem, day=day)
    assert (row.status, row.source) == (DayStatus.ABSENT, DaySource.INSPECTION)

    # The register of 城关镇 for that month: 缺 on that day for 李娜, nothing recorded for 张伟.
    page.goto(f"{base}{reverse('attendance:register')}?township={org.town_a1.pk}&month={day:%Y-%m}")
    line = page.locator("#register-grid tbody tr", has_text="李娜")
    cell = line.locator("td.cell").nth(day.day - 1)
    expect(cell).to_have_text("缺")
    expect(cell).to_have_attribute("title", "督查发现 暗访发现不在岗:村部及住所均未见本人")
    expect(page.locator("#register-grid tbody tr", has_text="张伟").locator("td.cell").nth(day.day - 1)).to_have_text("–")
    shot(page, "3_register")

    # Her annual evaluation: one absence found, so no longer 优秀.
    page.goto(f"{base}{reverse('cadres:evaluation_edit', args=[day.year, org.c_a1_mem.pk])}")
    limits = page.locator("#limits")
    expect(limits).to_contain_text(f"不能评为“优秀”:{day.year}年督查发现缺勤1次,达到1次的不得评为优秀")
    assert "优秀" not in page.locator("#allowed-grades").inner_text()
    shot(page, "4_evaluation")
