"""The county organization department asks for last month's report in a real browser, waits for it on the
detail page and downloads it.

Headless Chromium (/usr/bin/chromium) through Playwright's sync API against pytest-django's live server.
Celery is eager in tests, so the build runs when the request commits; the detail page's script
(static/js/reports.js) polls the status otherwise, and the test waits on the download button either way.
Screenshots go to test-artifacts/ (gitignored).
"""
import datetime

import openpyxl
import pytest
from django.utils import timezone

from attendance.models import DaySource, DayStatus
from attendance.services.register import Entry, register_write
from cadres.models import AuditEntry
from reports.models import Report, ReportStatus
from tests.factories import PASSWORD

from .conftest import ARTIFACTS

# Transactional: the live server thread must see the fixture rows. serialized_rollback restores the rows that
# migrations seed (village categories, the beat schedule) for any transactional test that runs after this one.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]




def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report_flow_{name}.png"), full_page=True)


def test_it_lets_the_county_request_last_months_report_and_download_it(transactional_db, live_server, settings,
                                                                      tmp_path, users, org, page):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    period = f"{last_month:%Y-%m}"
    days = [last_month + datetime.timedelta(days=i) for i in range(10)]
    register_write(entries=[Entry(cadre_id=org.c_a1_sec.pk, day=x, status=DayStatus.PRESENT) for x in days],
                   source=DaySource.TOWNSHIP)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "t_county")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/reports/")
    expect(page.locator("h1")).to_have_text("统计报表")
    region = page.locator("#id_region")
    assert [o.strip() for o in region.locator("option").all_inner_texts()] == ["云溪县", "城关镇", "河口乡"]
    page.select_option("#id_kind", "monthly")
    region.select_option(label="云溪县")
    expect(page.locator("#id_period")).to_have_value(period)  # last month is offered by default
    shot(page, "1_request_form")
    page.locator("#request-report").click()

    page.wait_for_url(lambda url: "/reports/" in url and url.rstrip("/").split("/")[-1].isdigit())
    report = Report.objects.get()
    assert page.url == f"{live_server.url}/reports/{report.pk}/"
    download = page.locator("#download-btn")
    expect(download).to_be_visible(timeout=60_000)
    expect(page.locator("#status-label")).to_have_text("已完成")
    shot(page, "2_report_done")

    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == f"云溪县月报{period}_v1.xlsx"
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert wb["汇总"]["A1"].value == f"云溪县驻村干部{last_month.year}年{last_month.month}月工作情况统计表"
    assert wb["干部明细"]["H5"].value == 10  # 张伟's days in the village

    report.refresh_from_db()
    assert (report.status, report.requested_by_id) == (ReportStatus.DONE, users.county.pk)
    assert AuditEntry.objects.filter(action="report.download", object_id=str(report.pk),
                                     actor=users.county).count() == 1


def test_it_polls_a_queued_report_until_it_is_ready(transactional_db, live_server, settings, tmp_path, users, org,
                                                    page, monkeypatch):
    """No broker answering: the request stays queued, the page polls (static/js/reports.js), and shows the
    download button by itself once a worker has built the report."""
    from playwright.sync_api import expect

    from reports import services

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(services, "_enqueue", lambda report: None)
    report = services.report_request(actor=users.county, kind="monthly", region=org.county_a, period="2026-09")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "t_county")
    page.fill("#id_password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    expect(page.locator("#status-label")).to_have_text("排队中")
    expect(page.locator("#download-btn")).to_be_hidden()

    # The worker starts: the page shows the progress it records…
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, progress=50)
    expect(page.locator("#status-label")).to_have_text("生成中")
    # …and, once built, the download button.
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.QUEUED)
    services.report_build(report_id=report.pk)
    expect(page.locator("#download-btn")).to_be_visible()
    expect(page.locator("#status-label")).to_have_text("已完成")
    shot(page, "3_polled_until_done")
