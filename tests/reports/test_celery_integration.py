"""A report requested through the service is queued on commit to the real Redis broker, consumed by a real
Celery worker (in-process, solo pool) and written to PostgreSQL, as in production.

Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL). Locally it is skipped without them; under CI=true it
always runs (tests/conftest.py refuses to start a CI run without both). The worker uses its own Redis
database number (15), so it never takes messages meant for a development worker on the same Redis.
"""
import os
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from reports import services
from reports.models import Report, ReportKind, ReportStatus

from .helpers import d, fill, load

ON_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    # Real commits (the worker's connection must see the rows); serialized_rollback restores the rows that
    # migrations seed (village categories, the beat schedule) for the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not ON_CI and not os.environ.get("REDIS_URL"),
                       reason="needs Redis (set REDIS_URL); CI always runs it"),
]


def dedicated_db(url: str, number: int = 15) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


@pytest.fixture
def celery_app():
    """A Celery app configured like config.celery's (Django settings, CELERY_ namespace) but publishing to the
    real broker: a fresh app, so no connection pool cached by earlier (eager) tests is reused and nothing of
    it outlives the test. Tasks are shared_task, so `build_report.delay` publishes through the current app."""
    from celery import Celery

    from config.celery import app as project_app

    app = Celery("zhucun-integration", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(task_always_eager=False, broker_url=dedicated_db(os.environ["REDIS_URL"]))
    app.autodiscover_tasks(force=True)
    app.set_current()
    app.control.purge()  # leftovers of an interrupted earlier run
    try:
        yield app
    finally:
        project_app.set_current()
        project_app.set_default()
        app.close()


def test_it_builds_a_report_on_a_real_worker_from_the_real_broker(transactional_db, org, users, celery_app,
                                                                 settings, tmp_path):
    from celery.contrib.testing.worker import start_worker
    from django.db import connection

    assert connection.vendor == "postgresql"
    settings.MEDIA_ROOT = tmp_path / "media"
    fill(org.c_a1_sec, d(1, 6, 2025), d(30, 6, 2025))

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        # Autocommit: report_request's transaction commits on return, and its on_commit hook publishes the
        # task to Redis; nothing runs in this thread.
        report = services.report_request(actor=users.county, kind=ReportKind.MONTHLY, region=org.county_a,
                                         period="2025-06")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            report.refresh_from_db()
            if not report.is_active:
                break
            time.sleep(0.2)

    assert report.status == ReportStatus.DONE, (report.status, report.error, report.message)
    assert (report.progress, report.is_current, report.attempts, report.rows) == (100, True, 1, 3)
    assert report.started_at <= report.finished_at
    path = report.file.path
    assert os.path.exists(path) and os.path.getsize(path) == report.file_size
    wb = load(path)
    assert wb.sheetnames == ["汇总", "干部明细", "说明"]
    assert wb["汇总"]["A1"].value == "云溪县驻村干部2025年6月工作情况统计表"
    assert Report.objects.count() == 1
