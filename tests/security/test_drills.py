"""Failure drills: what a user sees when things go wrong.

- The database refuses a write (a unique code, an overlapping posting), also when someone else wrote in between
  or at the same moment: a form error next to the field, never a 500.
- A decision taken twice (a leave, a recall, a correction): a message, never a 500, and one decision.
- The broker (Redis) is down: pages keep serving, a report asked for is kept (queued, with a message saying so)
  and built once the queue is back.
- Error pages (403, 404, 500) in the user's language.

The worker killed in the middle of a report is in test_worker_kill.py.
"""
import datetime
import os
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, override_settings
from django.urls import path, reverse
from django.utils import timezone

from attendance.models import CorrectionRequest, CorrectionStatus, LeaveEvent, LeaveRequest, LeaveStatus
from attendance.services import leave_request
from attendance.services.register import Entry, correction_request, register_confirm_month, register_write
from cadres import services as cadre_services
from cadres.models import Posting, RecallStatus
from config import urls as project_urls
from reports import services as report_services
from reports.models import Report, ReportKind, ReportStatus
from tests import factories as f
from villages.models import Village

ON_CI = os.environ.get("CI", "").lower() == "true"
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def last_month() -> datetime.date:
    first = timezone.localdate().replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)


# ------------------------------------------------------------------------------------- constraints and races


def village_data(org, code="369901001209") -> dict:
    return {"code": code, "name": "新建村", "township": org.town_a1.pk, "population": "", "households": "",
            "latitude": "", "longitude": "", "paired_with": "", "note": ""}


def test_a_village_code_taken_in_between_is_a_form_error(org, users):
    """Two officials create the same village one after the other: the second gets the form back."""
    first, second = login(users.county), login(users.city)
    assert first.post(reverse("villages:village_create"), village_data(org)).status_code == 302

    response = second.post(reverse("villages:village_create"), village_data(org))

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert Village.objects.filter(code="369901001209").count() == 1


def test_the_databases_refusal_of_a_duplicate_code_is_a_form_error(org, users, monkeypatch):
    """Both requests passed the uniqueness check before either saved (a race): the unique index refuses the
    second, and the service turns the IntegrityError into the same form error."""
    f.VillageFactory(code="369901001209", township=org.town_a1)
    monkeypatch.setattr(Village, "validate_unique", lambda self, exclude=None: None)

    response = login(users.county).post(reverse("villages:village_create"), village_data(org))

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["该区划代码已被其他村使用。"]
    assert Village.objects.filter(code="369901001209").count() == 1


def posting_data(org, *, village, start="2026-03-01") -> dict:
    return {"cadre": org.c_idle.pk, "village": village.pk, "round": org.round.pk, "unit": "", "role": "member",
            "status": "in_post", "start_date": start, "end_date": "", "replaces": "", "note": ""}


def test_a_posting_overlapping_one_created_while_the_form_was_open_is_a_form_error(org, users):
    county = login(users.county)
    assert county.get(reverse("cadres:posting_create")).status_code == 200
    # Meanwhile the city posts the same cadre to another village.
    cadre_services.posting_save(actor=users.city, posting=Posting(
        cadre=org.c_idle, village=org.v_a2a, round=org.round, role="member", status="in_post",
        start_date=datetime.date(2026, 2, 1)))

    response = county.post(reverse("cadres:posting_create"), posting_data(org, village=org.v_a1b))

    assert response.status_code == 200
    assert response.context["form"].errors["start_date"] == ["该干部在2026-02-01至今已派驻新塘村,同一天只能有一个在岗派驻。"]
    assert Posting.objects.filter(cadre=org.c_idle).count() == 1


@pytest.mark.postgres
def test_the_exclusion_constraint_refusing_an_overlapping_posting_is_a_form_error(org, users, monkeypatch):
    """If the service's own overlap check ever let one through, PostgreSQL's exclusion constraint (migration
    cadres 0002) refuses it, and the user sees a form error, not a 500."""
    cadre_services.posting_save(actor=users.city, posting=Posting(
        cadre=org.c_idle, village=org.v_a2a, round=org.round, role="member", status="in_post",
        start_date=datetime.date(2026, 2, 1)))
    monkeypatch.setattr(cadre_services, "posting_check", lambda posting: None)
    monkeypatch.setattr(Posting, "clean", lambda self: None)

    response = login(users.county).post(reverse("cadres:posting_create"), posting_data(org, village=org.v_a1b))

    assert response.status_code == 200
    assert response.context["form"].errors["start_date"] == ["该干部在这段时间已有在岗派驻,同一天只能有一个在岗派驻。"]
    assert Posting.objects.filter(cadre=org.c_idle).count() == 1


def at_once(*calls):
    """Run the calls in threads released together; each thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_officials_posting_the_same_cadre_at_once_get_one_posting_and_one_form_error(org, users):
    county, city = login(users.county), login(users.city)
    url = reverse("cadres:posting_create")

    results = at_once(lambda: county.post(url, posting_data(org, village=org.v_a1b)),
                      lambda: city.post(url, posting_data(org, village=org.v_a2a, start="2026-04-01")))

    assert sorted(r.status_code for r in results) == [200, 302], results
    refused = next(r for r in results if r.status_code == 200)
    # Whoever came second waited for the cadre's row lock, then saw the other's posting.
    assert "同一天只能有一个在岗派驻" in refused.context["form"].errors["start_date"][0], refused.context["form"].errors
    assert Posting.objects.filter(cadre=org.c_idle).count() == 1


def short_leave(org, users) -> LeaveRequest:
    today = timezone.localdate()
    return leave_request(actor=users.cadre, cadre=org.c_a1_mem, kind="personal",
                         start_date=today + datetime.timedelta(days=7), end_date=today + datetime.timedelta(days=8),
                         reason="家中有事")


def test_approving_an_already_decided_leave_is_a_message(org, users):
    leave = short_leave(org, users)
    township = login(users.township)
    url = reverse("attendance:leave_action", args=[leave.pk, "approve"])
    assert messages_of(township.post(url, {"comment": "同意"}, follow=True)) == ["已批准。"]

    again = township.post(url, {"comment": "同意"}, follow=True)
    reject = township.post(reverse("attendance:leave_action", args=[leave.pk, "reject"]), {"comment": "不同意"},
                           follow=True)

    assert again.redirect_chain == reject.redirect_chain == [(leave.get_absolute_url(), 302)]
    assert messages_of(again) == messages_of(reject) == ["这条请假已经处理过了,不能重复审批。"]
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    assert LeaveEvent.objects.filter(leave=leave, action__in=("approve", "reject")).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvers_clicking_at_once_through_the_pages_approve_once(org, users):
    leave = short_leave(org, users)
    second = f.UserFactory(username="t_township_2nd", role=users.township.role, region=org.town_a1)
    url = reverse("attendance:leave_action", args=[leave.pk, "approve"])
    one, two = login(users.township), login(second)

    results = at_once(lambda: one.post(url, {"comment": "一"}), lambda: two.post(url, {"comment": "二"}))

    assert [r.status_code for r in results] == [302, 302], results
    said = sorted(messages_of(r)[0] for r in results)
    assert said == sorted(["已批准。", "这条请假已经处理过了,不能重复审批。"]), said
    assert LeaveEvent.objects.filter(leave=leave, action="approve").count() == 1


def test_deciding_a_recall_twice_is_a_form_error(org, users):
    recall = cadre_services.recall_propose(actor=users.county, posting=org.p_a1_mem, reason="health", note="身体原因")
    county = login(users.county)
    url = reverse("cadres:recall_decide", args=[recall.pk])
    assert county.post(url, {"decision": "approve", "comment": "同意", "recall_date": ""}).status_code == 302

    again = county.post(url, {"decision": "reject", "comment": "再议", "recall_date": ""})

    assert again.status_code == 200
    assert again.context["form"].non_field_errors() == ["该召回申请已被处理,请刷新页面。"]
    recall.refresh_from_db()
    assert recall.status == RecallStatus.APPROVED


def test_deciding_a_correction_twice_is_a_message(org, users):
    month = last_month()
    days = [month + datetime.timedelta(days=i) for i in range((timezone.localdate().replace(day=1) - month).days)]
    register_write(entries=[Entry(cadre_id=c.pk, day=d, status="present") for c in (org.c_a1_sec, org.c_a1_mem)
                            for d in days], source="township", actor=users.township)
    register_confirm_month(actor=users.township, township=org.town_a1, month=month)
    correction = correction_request(actor=users.township, cadre=org.c_a1_mem, day=month, new_status="business",
                                    reason="漏记")
    county = login(users.county)
    url = reverse("attendance:correction_decide", args=[correction.pk, "approve"])
    assert messages_of(county.post(url, follow=True)) == ["已批准更正。"]

    again = county.post(reverse("attendance:correction_decide", args=[correction.pk, "reject"]), follow=True)

    assert again.redirect_chain == [(reverse("attendance:corrections"), 302)]
    assert messages_of(again) == ["该更正申请已经处理过。"]
    assert CorrectionRequest.objects.get(pk=correction.pk).status == CorrectionStatus.APPROVED


# ------------------------------------------------------------------------------------- the broker is down


def dedicated(url: str, number: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


@pytest.fixture
def celery_app():
    """Makes a Celery app configured like config.celery's, publishing to `broker_url`, the current app (shared
    tasks publish through the current app); the project's app is restored afterwards. A fresh app per broker:
    no connection pool of an earlier broker is reused."""
    from celery import Celery

    from config.celery import app as project_app

    made = []

    def make(broker_url: str = DEAD_BROKER, **conf):
        app = Celery("zhucun-drill", set_as_current=False)
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.conf.update({"task_always_eager": False, "broker_url": broker_url, **conf})
        app.autodiscover_tasks(force=True)
        app.set_current()
        made.append(app)
        return app

    try:
        yield make
    finally:
        project_app.set_current()
        project_app.set_default()
        for app in made:
            app.close()


def request_report_while_the_broker_is_down(org, users, settings) -> Report:
    """Pages serve, the health check names the broker, and the report asked for is kept with a message."""
    settings.REDIS_URL = DEAD_BROKER
    county = login(users.county)
    assert county.get(reverse("home")).status_code == 200
    assert county.get(reverse("reports:report_list")).status_code == 200
    health = county.get(reverse("healthz"))
    assert health.status_code == 503 and health.json()["broker"].startswith("error"), health.json()

    started = time.monotonic()
    response = county.post(reverse("reports:report_list"), {
        "kind": ReportKind.MONTHLY, "region": org.county_a.pk, "period": f"{last_month():%Y-%m}"}, follow=True)

    assert time.monotonic() - started < 15  # the request does not hang on the broker
    assert response.status_code == 200
    assert messages_of(response) == ["任务队列暂时不可用,申请已保存,将在队列恢复后自动生成。"]
    report = Report.objects.get()
    assert (report.status, report.attempts, report.message) == (
        ReportStatus.QUEUED, 0, "任务队列暂时不可用,申请已保存,将在队列恢复后自动生成。")
    assert "任务队列暂时不可用" in county.get(report.get_absolute_url()).content.decode()
    assert county.get(reverse("reports:report_list")).status_code == 200
    return report


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_report_asked_for_while_the_broker_is_down_is_kept_and_built_when_it_is_back(org, users, settings,
                                                                                     tmp_path, celery_app):
    settings.MEDIA_ROOT = tmp_path / "media"
    celery_app(DEAD_BROKER)
    report = request_report_while_the_broker_is_down(org, users, settings)

    # The broker is back (simulated: tasks run in-process); the periodic requeue_stalled_reports finds it.
    celery_app(DEAD_BROKER, task_always_eager=True)
    assert report_services.requeue_stalled(older_than_minutes=0) == 1

    report.refresh_from_db()
    assert (report.status, report.attempts, report.is_current) == (ReportStatus.DONE, 1, True), report.error
    assert Report.objects.count() == 1


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not ON_CI and not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)")
def test_a_report_kept_while_the_broker_was_down_is_built_by_a_worker_when_redis_is_back(org, users, settings,
                                                                                       tmp_path, celery_app):
    from celery.contrib.testing.worker import start_worker

    settings.MEDIA_ROOT = tmp_path / "media"
    celery_app(DEAD_BROKER)
    report = request_report_while_the_broker_is_down(org, users, settings)

    # Redis is back: the periodic requeue_stalled_reports queues the kept request, a worker builds it.
    app = celery_app(dedicated(os.environ["REDIS_URL"], 13))
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        assert report_services.requeue_stalled(older_than_minutes=0) == 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report.refresh_from_db()
            if not report.is_active:
                break
            time.sleep(0.2)

    assert (report.status, report.attempts, report.is_current) == (ReportStatus.DONE, 1, True), report.error
    assert Report.objects.count() == 1


# ------------------------------------------------------------------------------------- error pages


def boom(request):
    raise RuntimeError("drill: a view that fails")


# This module doubles as the URLconf of the 500 drill: the project's URLs plus one view that raises, with
# Django's default handler500 (which renders templates/500.html).
urlpatterns = [path("drill/boom/", boom), *project_urls.urlpatterns]

TEXTS = {
    "zh-hans": {404: ["页面不存在", "您要找的内容不存在,或不在您的管辖范围内。"],
                403: ["无权操作", "您的角色可以查看此内容,但不能进行这项操作。"],
                500: ["系统错误", "服务器处理请求时出错,已记录。"]},
    "en": {404: ["Page not found", "What you are looking for does not exist or is outside your jurisdiction."],
           403: ["Not permitted", "Your role can view this content but cannot perform this action."],
           500: ["System error", "The server encountered an error while processing the request"]},
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_error_pages_speak_the_users_language(users, language):
    client = login(users.cadre)
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.raise_request_exception = False
    responses = {404: client.get("/no-such-page/"), 403: client.get(reverse("audit_list")),
                 500: client.get("/drill/boom/")}
    for status, response in responses.items():
        html = response.content.decode()
        assert response.status_code == status
        assert response["Content-Language"] == language
        for text in TEXTS[language][status]:
            assert text in html, (status, language, text, html[:600])
        other = "en" if language == "zh-hans" else "zh-hans"
        assert TEXTS[other][status][0] not in html, (status, language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_missing_page_speaks_the_language_of_an_anonymous_visitor_too(db, language):
    client = Client()
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert TEXTS[language][404][0] in response.content.decode()
