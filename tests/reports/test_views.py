"""The reports page (request, list, filter, detail, retry) and the dashboard, per role and for outsiders."""
import re

import pytest
from django.urls import reverse

from reports import services
from reports.models import Report, ReportKind, ReportStatus

from .helpers import d, fill

LIST = reverse("reports:report_list")
DASHBOARD = reverse("reports:dashboard")


def region_choices(response) -> list[str]:
    return [str(label) for _value, label in response.context["form"].fields["region"].choices]


@pytest.fixture
def county_report(org, users, django_capture_on_commit_callbacks, freeze):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=users.county, kind=ReportKind.MONTHLY, region=org.county_a,
                                         period="2026-10")
    report.refresh_from_db()
    return report


def test_it_offers_the_county_its_own_regions_only(client, users, freeze):
    client.force_login(users.county)
    response = client.get(LIST)
    assert response.status_code == 200
    assert region_choices(response) == ["云溪县", "城关镇", "河口乡"]
    kinds = [value for value, _label in response.context["form"].fields["kind"].choices]
    assert kinds == [ReportKind.MONTHLY, ReportKind.ANNUAL]
    assert response.context["form"].initial["period"] == "2026-10"  # last month


def test_it_offers_the_township_only_itself(client, users, freeze):
    client.force_login(users.township)
    assert region_choices(client.get(LIST)) == ["城关镇"]


def test_it_offers_admins_the_raw_exports(client, users, freeze):
    client.force_login(users.admin)
    kinds = [value for value, _label in client.get(LIST).context["form"].fields["kind"].choices]
    assert kinds == [ReportKind.MONTHLY, ReportKind.ANNUAL, ReportKind.RAW_CADRES, ReportKind.RAW_POSTINGS,
                     ReportKind.RAW_LEAVE, ReportKind.RAW_REGISTER]


def test_it_builds_a_requested_report_and_redirects_to_it(client, org, users, freeze, django_capture_on_commit_callbacks):
    fill(org.c_a1_sec, d(1), d(31))
    client.force_login(users.county)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, {"kind": "monthly", "region": org.county_a.pk, "period": "2026-10"})
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report_detail", args=[report.pk])
    assert (report.status, report.requested_by, report.region, report.period) == (
        ReportStatus.DONE, users.county, org.county_a, "2026-10")
    # The test's transaction commits (and the eager build runs) when the block ends, after the redirect:
    # the first page said "queued"; the detail page now offers the download.
    page = client.get(response["Location"]).content.decode()
    assert "报表已加入生成队列。" in page
    href = reverse("reports:report_download", args=[report.pk])
    assert re.search(rf'<p id="download-link">\s*<a class="btn btn-primary" id="download-btn" href="{href}"', page)


def test_it_shows_period_errors_next_to_the_field(client, org, users, freeze):
    client.force_login(users.county)
    response = client.post(LIST, {"kind": "monthly", "region": org.county_a.pk, "period": "2026-13"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"period": ["月报的期间格式为YYYY-MM,例如2026-10。"]}
    assert not Report.objects.exists()


def test_it_refuses_a_region_outside_the_jurisdiction_in_the_form(client, org, users, freeze):
    client.force_login(users.township)
    response = client.post(LIST, {"kind": "monthly", "region": org.county_a.pk, "period": "2026-10"})
    assert response.status_code == 200
    assert "region" in response.context["form"].errors
    assert not Report.objects.exists()


def test_it_lists_and_filters_the_jurisdictions_reports(client, org, users, county_report, freeze):
    other = services.report_request(actor=users.county_b, kind=ReportKind.ANNUAL, region=org.county_b, period="2025")
    client.force_login(users.county)
    listed = list(client.get(LIST).context["object_list"])
    assert listed == [county_report]
    assert other not in listed
    assert list(client.get(LIST, {"kind": "annual"}).context["object_list"]) == []
    assert list(client.get(LIST, {"status": "done", "current": "1"}).context["object_list"]) == [county_report]
    client.force_login(users.township)
    assert list(client.get(LIST).context["object_list"]) == []


def test_it_shows_the_failure_and_offers_a_retry(client, org, users, monkeypatch, freeze,
                                                  django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "build_file", lambda **kw: (_ for _ in ()).throw(RuntimeError("模板缺失")))
    client.force_login(users.county)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LIST, {"kind": "monthly", "region": org.county_a.pk, "period": "2026-10"})
    report = Report.objects.get()
    html = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert '<p id="status-error" class="error">生成失败:RuntimeError: 模板缺失</p>' in html
    assert '<p id="download-link" hidden>' in html
    retry = reverse("reports:report_retry", args=[report.pk])
    assert f'action="{retry}"' in html
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(retry).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.error) == (ReportStatus.QUEUED, "")


def test_it_answers_404_to_outsiders(client, users, county_report):
    client.force_login(users.county_b)
    for name in ("report_detail", "report_status", "report_download"):
        assert client.get(reverse(f"reports:{name}", args=[county_report.pk])).status_code == 404


@pytest.mark.parametrize("role", ["unit", "cadre"])
def test_it_forbids_the_reports_pages_to_units_and_cadres(client, users, county_report, role):
    client.force_login(getattr(users, role))
    assert client.get(LIST).status_code == 403
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(reverse("reports:report_detail", args=[county_report.pk])).status_code == 404
    assert client.get(reverse("reports:report_download", args=[county_report.pk])).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(client, county_report):
    for url in (LIST, DASHBOARD, reverse("reports:report_detail", args=[county_report.pk]),
                reverse("reports:report_download", args=[county_report.pk]),
                reverse("reports:report_status", args=[county_report.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_it_draws_the_dashboard_locally(client, org, users, freeze):
    fill(org.c_a1_sec, d(1), d(31))
    client.force_login(users.county)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 4
    assert "云溪县数据看板" in html
    # Nothing is fetched from elsewhere: no CDN, no external script, style or font.
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"""(src|href)=["']//""", html)
    months = response.context["months"]
    assert len(months) == 12
    october = next(m for m in months if m["label"] == "26-10")
    assert (october["present"], october["recorded"], october["in_post"]) == (31, 31, 93)
    assert [c["label"] for c in response.context["children"]] == ["城关镇", "河口乡"]


def test_it_keeps_the_dashboard_inside_the_jurisdiction(client, org, users, freeze):
    client.force_login(users.county_b)
    assert client.get(DASHBOARD, {"region": org.county_a.pk}).status_code == 404
    assert client.get(DASHBOARD, {"region": org.county_b.pk}).status_code == 200
