"""Report lifecycle (reports/services.py, reports/tasks.py): request (deduplicated, versioned), build
(idempotent, claimed once), failure and retry, permissions at request and at download, the beat schedule, and
the build_report management command. Celery runs eagerly here: a build happens when the request's
transaction commits (django_capture_on_commit_callbacks(execute=True))."""
import datetime
import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command, execute_from_command_line
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cadres.models import AuditEntry
from reports import services, tasks
from reports.models import Report, ReportKind, ReportStatus
from villages.models import Policy

from .helpers import load

MONTHLY, ANNUAL = ReportKind.MONTHLY, ReportKind.ANNUAL


@pytest.fixture
def request_report(django_capture_on_commit_callbacks, freeze):
    """Ask for a report and run what is queued on commit (the eager build)."""

    def ask(actor, region, kind=MONTHLY, period="2026-10") -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.report_request(actor=actor, kind=kind, region=region, period=period)
        report.refresh_from_db()
        return report

    return ask


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(services, "_enqueue", lambda report: calls.append(report.pk))
    return calls


# ---------------------------------------------------------------- request, dedup, versions


def test_it_returns_the_queued_report_instead_of_queueing_a_second(org, users, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-01")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.report_request(actor=users.city, kind=MONTHLY, region=org.county_a, period="2026-01")
    # The same month spelt without its leading zero is the same report, not a second key.
    with django_capture_on_commit_callbacks(execute=True):
        spelt = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period=" 2026-1 ")
    assert again.pk == first.pk == spelt.pk
    assert first.period == "2026-01"
    assert enqueued == [first.pk]
    assert Report.objects.count() == 1
    assert (first.status, first.version, first.requested_by) == (ReportStatus.QUEUED, 1, users.county)


def test_it_keeps_versions_and_exactly_one_current_report(org, users, request_report):
    v1 = request_report(users.county, org.county_a)
    assert (v1.status, v1.version, v1.is_current, v1.progress) == (ReportStatus.DONE, 1, True, 100)
    assert v1.rows == 3 and v1.file_size > 0 and v1.started_at and v1.finished_at
    assert v1.message == "已生成,共3行明细。"
    v2 = request_report(users.city, org.county_a)
    v1.refresh_from_db()
    assert (v2.version, v2.is_current, v1.is_current) == (2, True, False)
    same = Report.objects.filter(kind=MONTHLY, region=org.county_a, period="2026-10")
    assert same.count() == 2
    assert list(same.filter(is_current=True)) == [v2]
    # Both files are kept (history), distinct, and valid workbooks.
    assert v1.file.name != v2.file.name
    for report in (v1, v2):
        assert Path(report.file.path).exists()
        assert load(report.file.path)["汇总"]["A1"].value == "云溪县驻村干部2026年10月工作情况统计表"
    # Another period or region is another key.
    other = request_report(users.county, org.county_a, period="2026-09")
    assert (other.version, other.is_current) == (1, True)
    assert same.filter(is_current=True).count() == 1


def test_it_ignores_a_duplicate_message_for_a_finished_report(org, users, request_report):
    report = request_report(users.county, org.county_a)
    assert services.report_build(report_id=report.pk) is None
    assert tasks.build_report.apply(args=[report.pk]).get() == "skipped"
    report.refresh_from_db()
    assert (report.status, report.attempts, report.version) == (ReportStatus.DONE, 1, 1)
    assert Report.objects.count() == 1


def test_it_rebuilds_a_report_left_running_by_a_killed_worker(org, users, enqueued, freeze):
    report = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-10")
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, attempts=1, progress=40)
    assert tasks.build_report.apply(args=[report.pk]).get() == "done"
    report.refresh_from_db()
    assert (report.status, report.attempts, report.is_current) == (ReportStatus.DONE, 2, True)


def test_it_stops_redelivering_a_build_that_keeps_killing_its_worker(org, users, enqueued, freeze):
    report = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-10")
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, attempts=services.MAX_ATTEMPTS)
    assert services.report_build(report_id=report.pk) is None
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error == "生成多次中断(8次),已停止自动重试,请检查后手动重试。"


# ---------------------------------------------------------------- failure and retry


def test_it_records_why_a_build_failed_and_retries_it(org, users, monkeypatch, request_report,
                                                      django_capture_on_commit_callbacks):
    real = services.build_file

    def broken(**kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(services, "build_file", broken)
    report = request_report(users.county, org.county_a)
    assert report.status == ReportStatus.FAILED
    assert report.error == "生成失败:RuntimeError: 磁盘已满"
    assert (report.is_current, bool(report.file), report.finished_at is not None) == (False, False, True)

    monkeypatch.setattr(services, "build_file", real)
    with django_capture_on_commit_callbacks() as queued:
        retried = services.report_retry(actor=users.county, report_id=report.pk)
    assert (retried.status, retried.error, retried.progress, retried.attempts) == (ReportStatus.QUEUED, "", 0, 0)
    assert AuditEntry.objects.filter(action="report.retry", object_id=str(report.pk)).count() == 1
    for callback in queued:
        callback()
    report.refresh_from_db()
    assert (report.status, report.version, report.is_current) == (ReportStatus.DONE, 1, True)
    with pytest.raises(ValidationError, match="只有失败的报表可以重试"):
        services.report_retry(actor=users.county, report_id=report.pk)


def test_it_refuses_to_retry_an_old_version_when_a_newer_one_exists(org, users, monkeypatch, request_report):
    real = services.build_file
    monkeypatch.setattr(services, "build_file", lambda **kw: 1 / 0)
    old = request_report(users.county, org.county_a)
    assert (old.status, old.error) == (ReportStatus.FAILED, "生成失败:ZeroDivisionError: division by zero")
    monkeypatch.setattr(services, "build_file", real)
    newer = request_report(users.county, org.county_a)
    assert (newer.version, newer.status) == (2, ReportStatus.DONE)
    with pytest.raises(ValidationError, match="已有更新的版本"):
        services.report_retry(actor=users.county, report_id=old.pk)


def test_it_refuses_a_retry_to_someone_outside_the_jurisdiction(org, users, monkeypatch, request_report):
    monkeypatch.setattr(services, "build_file", lambda **kw: 1 / 0)
    report = request_report(users.county, org.county_a)
    with pytest.raises(PermissionDenied):
        services.report_retry(actor=users.township, report_id=report.pk)


def test_it_puts_the_report_back_in_the_queue_when_the_database_went_away(org, users, monkeypatch, enqueued, freeze):
    report = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-10")

    def gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "build_file", gone)
    with pytest.raises(OperationalError):
        services.report_build(report_id=report.pk, will_retry=True)
    report.refresh_from_db()
    assert (report.status, report.message) == (ReportStatus.QUEUED, "数据库暂时不可用,稍后自动重试。")
    assert report.error == "上次尝试失败:OperationalError: server closed the connection unexpectedly"
    # The last attempt fails for good.
    with pytest.raises(OperationalError):
        services.report_build(report_id=report.pk, will_retry=False)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED


def test_its_task_retries_after_a_database_error_and_finishes(org, users, monkeypatch, enqueued, freeze):
    report = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-10")
    real, calls = services.build_file, []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("connection reset")
        return real(**kwargs)

    monkeypatch.setattr(services, "build_file", flaky)
    # throw=False: apply() then runs the retry in place, as a worker would after the backoff.
    assert tasks.build_report.apply(args=[report.pk], throw=False).get() == "done"
    report.refresh_from_db()
    assert (len(calls), report.status, report.attempts, report.is_current) == (2, ReportStatus.DONE, 2, True)


def test_its_task_is_configured_for_redelivery_retries_and_time_limits():
    task = tasks.build_report
    assert (task.acks_late, task.reject_on_worker_lost) == (True, True)
    assert task.max_retries == 5 and task.retry_backoff
    assert OperationalError in task.autoretry_for
    assert task.time_limit == 3600 and task.soft_time_limit < task.time_limit
    from config.celery import app

    assert (app.conf.task_serializer, app.conf.accept_content) == ("json", ["json"])


def test_it_requeues_requests_the_broker_never_took(org, users, enqueued, freeze):
    report = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-10")
    assert services.requeue_stalled() == 0
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=30))
    assert services.requeue_stalled() == 1
    assert enqueued == [report.pk]


# ---------------------------------------------------------------- permissions


def test_it_lets_a_jurisdiction_request_only_its_own_reports(org, users, enqueued, freeze):
    ask = services.report_request
    assert ask(actor=users.county, kind=MONTHLY, region=org.town_a1, period="2026-10").pk
    assert ask(actor=users.township, kind=MONTHLY, region=org.town_a1, period="2026-09").pk
    assert ask(actor=users.admin, kind=ANNUAL, region=org.city, period="2025").pk
    for actor, region in ((users.township, org.county_a), (users.township, org.town_a2), (users.county_b, org.county_a),
                          (users.county, org.city), (users.unit, org.county_a), (users.cadre, org.town_a1)):
        with pytest.raises(PermissionDenied):
            ask(actor=actor, kind=MONTHLY, region=region, period="2026-10")


def test_it_keeps_raw_exports_for_admins(org, users, request_report):
    for actor in (users.city, users.county, users.township):
        with pytest.raises(PermissionDenied):
            services.report_request(actor=actor, kind=ReportKind.RAW_CADRES, region=org.county_a)
    report = request_report(users.admin, org.county_a, kind=ReportKind.RAW_CADRES, period="")
    assert (report.status, report.period, report.rows) == (ReportStatus.DONE, "", 4)
    ws = load(report.file.path)["驻村干部名册"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert org.c_a1_mem.masked_id_number in cells
    assert not any(org.c_a1_mem.id_number in c for c in cells)
    assert "刘洋" not in cells  # county B


@pytest.mark.parametrize("kind,sheet", [(ReportKind.RAW_POSTINGS, "派驻记录"), (ReportKind.RAW_LEAVE, "请假记录"),
                                        (ReportKind.RAW_REGISTER, "考勤簿")])
def test_it_exports_the_other_raw_tables_of_the_jurisdiction(org, users, request_report, kind, sheet):
    report = request_report(users.admin, org.county_a, kind=kind, period="")
    assert report.status == ReportStatus.DONE, report.error
    ws = load(report.file.path)[sheet]
    assert ws.freeze_panes == "B5"
    assert ws["A1"].value.startswith("云溪县")


def test_it_checks_permission_again_at_download(org, users, request_report, client):
    report = request_report(users.county, org.county_a)
    with pytest.raises(PermissionDenied):
        services.report_download(actor=users.township, report=report)
    # The requester moved to county B since asking: the report is no longer theirs.
    users.county.region = org.county_b
    users.county.save()
    client.force_login(users.county)
    assert client.get(reverse("reports:report_download", args=[report.pk])).status_code == 404


def test_it_hides_a_county_report_from_the_township(org, users, request_report, client):
    report = request_report(users.county, org.county_a)
    client.force_login(users.township)
    for name in ("report_detail", "report_download", "report_status"):
        assert client.get(reverse(f"reports:{name}", args=[report.pk])).status_code == 404
    assert client.post(reverse("reports:report_retry", args=[report.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="report.download").exists()


def test_it_audits_every_download(org, users, request_report, client):
    report = request_report(users.county, org.county_a)
    client.force_login(users.city)
    response = client.get(reverse("reports:report_download", args=[report.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK"
    client.get(reverse("reports:report_download", args=[report.pk]))
    entries = AuditEntry.objects.filter(action="report.download", object_id=str(report.pk))
    assert entries.count() == 2
    first = entries.order_by("pk").first()
    assert (first.actor, first.region_code, first.ip) == (users.city, org.county_a.code, "10.1.2.3")


def test_it_refuses_to_download_a_report_not_yet_built(org, users, enqueued, client, freeze):
    report = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-10")
    client.force_login(users.county)
    assert client.get(reverse("reports:report_download", args=[report.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="report.download").exists()


def test_it_answers_the_status_poll_with_json(org, users, enqueued, client, freeze):
    report = services.report_request(actor=users.county, kind=MONTHLY, region=org.county_a, period="2026-10")
    client.force_login(users.county)
    url = reverse("reports:report_status", args=[report.pk])
    assert client.get(url).json() == {"status": "queued", "status_label": "排队中", "progress": 0, "message": "",
                                      "error": "", "download": ""}
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, progress=42)
    assert (client.get(url).json()["status"], client.get(url).json()["progress"]) == ("running", 42)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error="生成失败:X")
    assert client.get(url).json()["error"] == "生成失败:X"
    services.report_retry(actor=users.county, report_id=report.pk)
    services.report_build(report_id=report.pk)
    data = client.get(url).json()
    assert (data["status"], data["progress"]) == ("done", 100)
    assert data["download"] == reverse("reports:report_download", args=[report.pk])


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize("kind,period,message", [
    (MONTHLY, "2026/10", "月报的期间格式为YYYY-MM,例如2026-10。"),
    (MONTHLY, "2026-13", "月报的期间格式为YYYY-MM,例如2026-10。"),
    (MONTHLY, "2026-00", "月报的期间格式为YYYY-MM,例如2026-10。"),
    (MONTHLY, "2026-10-01", "月报的期间格式为YYYY-MM,例如2026-10。"),
    (MONTHLY, "-2026-10", "月报的期间格式为YYYY-MM,例如2026-10。"),
    (MONTHLY, "", "月报的期间格式为YYYY-MM,例如2026-10。"),
    (MONTHLY, "1999-12", "期间年份不正确。"),
    (MONTHLY, "2026-12", "不能生成未来月份的月报。"),
    (ANNUAL, "26", "年报的期间格式为YYYY,例如2026。"),
    (ANNUAL, "2026-10", "年报的期间格式为YYYY,例如2026。"),
    (ANNUAL, "2027", "年报的年份不正确。"),
])
def test_it_refuses_a_bad_period_with_a_clear_message(org, users, enqueued, freeze, kind, period, message):
    with pytest.raises(ValidationError) as info:
        services.report_request(actor=users.county, kind=kind, region=org.county_a, period=period)
    assert info.value.message_dict == {"period": [message]}
    assert not Report.objects.exists()


def test_it_accepts_the_running_month_and_year(org, users, enqueued, freeze):
    assert services.parse_period(MONTHLY, "2026-11") == datetime.date(2026, 11, 1)
    assert services.parse_period(ANNUAL, "2026") == 2026


# ---------------------------------------------------------------- schedule


def test_it_schedules_the_reports_with_celery_beat(db):
    rows = {t.task: t for t in PeriodicTask.objects.select_related("crontab")}
    monthly, annual = rows["reports.tasks.schedule_monthly_reports"], rows["reports.tasks.schedule_annual_reports"]
    for task in (monthly, annual):
        assert task.enabled
        assert str(task.crontab.timezone) == "Asia/Shanghai"
        assert json.loads(task.args) == []
    c = monthly.crontab
    assert (c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week) == ("0", "2", "*", "*", "*")
    c = annual.crontab
    assert (c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week) == ("0", "2", "10", "1", "*")
    assert "reports.tasks.requeue_stalled_reports" in rows
    from config.celery import app

    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert app.conf.timezone == "Asia/Shanghai"


def test_it_asks_for_last_months_reports_on_the_confirmation_deadline(org, enqueued, freeze,
                                                                     django_capture_on_commit_callbacks):
    assert tasks.schedule_monthly_reports("2026-11-04") == 0
    assert not Report.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.schedule_monthly_reports("2026-11-05") == 3
    reports = Report.objects.order_by("region__code")
    assert [(r.region.name, r.kind, r.period, r.requested_by) for r in reports] == [
        ("青山市", MONTHLY, "2026-10", None), ("云溪县", MONTHLY, "2026-10", None), ("石门县", MONTHLY, "2026-10", None)]
    assert sorted(enqueued) == sorted(r.pk for r in reports)
    # Asked once: running again that day, or the next, asks nothing more.
    assert tasks.schedule_monthly_reports("2026-11-05") == 0
    assert tasks.schedule_monthly_reports("2026-11-06") == 0
    assert Report.objects.count() == 3


def test_it_catches_up_a_deadline_the_scheduler_missed(org, enqueued, freeze):
    assert tasks.schedule_monthly_reports("2026-11-07") == 3
    assert set(Report.objects.values_list("period", flat=True)) == {"2026-10"}


def test_it_moves_a_countys_deadline_with_its_policy(org, enqueued, freeze):
    Policy.objects.create(region=org.county_a, register_confirm_day=3)
    assert tasks.schedule_monthly_reports("2026-11-03") == 1
    assert list(Report.objects.values_list("region__name", flat=True)) == ["云溪县"]
    assert tasks.schedule_monthly_reports("2026-11-05") == 2
    assert sorted(Report.objects.values_list("region__name", flat=True)) == sorted(["云溪县", "青山市", "石门县"])


def test_it_asks_for_december_in_january(org, enqueued, freeze):
    freeze(datetime.date(2027, 1, 5))
    assert tasks.schedule_monthly_reports("2027-01-05") == 3
    assert set(Report.objects.values_list("period", flat=True)) == {"2026-12"}


def test_it_asks_for_last_years_annual_reports_on_10_january(org, enqueued, freeze):
    freeze(datetime.date(2027, 1, 10))
    assert tasks.schedule_annual_reports("2027-01-10") == 3
    assert sorted(Report.objects.values_list("region__name", "kind", "period")) == sorted([
        ("青山市", ANNUAL, "2026"), ("云溪县", ANNUAL, "2026"), ("石门县", ANNUAL, "2026")])


# ---------------------------------------------------------------- build_report command


def test_its_command_builds_a_monthly_report_into_a_file(org, freeze, tmp_path, capsys):
    out = tmp_path / "county.xlsx"
    call_command("build_report", "monthly", "--period", "2026-10", "--region", org.county_a.code, "--output", str(out))
    assert load(out)["汇总"]["A1"].value == "云溪县驻村干部2026年10月工作情况统计表"
    assert "云溪县 monthly 2026-10: 3 rows" in capsys.readouterr().out


def test_its_command_builds_the_top_regions_annual_report_without_a_region(org, freeze, tmp_path):
    out = tmp_path / "city.xlsx"
    call_command("build_report", "annual", "--period", "2025", "--output", str(out))
    assert load(out)["汇总"]["A1"].value == "青山市驻村干部2025年度考勤与管理情况统计表"


@pytest.mark.parametrize("args,message", [
    (["monthly", "--period", "2026-13"], "月报的期间格式为YYYY-MM"),
    (["monthly", "--period", "2027-01"], "不能生成未来月份的月报"),
    (["annual", "--period", "2026-10"], "年报的期间格式为YYYY"),
    (["monthly", "--period", "2026-10", "--region", "369999000000"], "未找到区划代码 369999000000"),
    (["monthly", "--period", "2026-10", "--as-of", "2026-10-32"], "--as-of 日期格式不正确"),
])
def test_its_command_fails_clearly(org, freeze, tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    with pytest.raises(CommandError, match=message):
        call_command("build_report", *args, "--output", str(out))
    assert not out.exists()


def test_its_command_exits_non_zero_from_the_command_line(org, freeze, tmp_path, capsys):
    # Run as `manage.py build_report …`, a CommandError prints its message and exits with status 1.
    with pytest.raises(SystemExit) as info:
        execute_from_command_line(["manage.py", "build_report", "monthly", "--period", "bad",
                                   "--output", str(tmp_path / "x.xlsx")])
    assert info.value.code == 1
    assert "月报的期间格式为YYYY-MM" in capsys.readouterr().err
