"""A Celery worker killed (SIGKILL) in the middle of a report: the report is not lost, not duplicated, and
another worker finishes it.

Real processes, a real broker and a real database: the worker is `celery -A config worker --pool=solo` started
as a subprocess on PostgreSQL's test database and a dedicated Redis database (14) and queue. It builds slowly
(the ZHUCUN_REPORT_TEST_DELAY hook in reports.services._progress) so it can be killed mid-way; a second worker
then receives the unacknowledged message again (acks_late; the drill shortens Redis's visibility timeout from an
hour to a few seconds with ZHUCUN_BROKER_VISIBILITY_TIMEOUT, see config/settings/test.py), claims the report
left `running` and builds it: attempts == 2, one current version.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from reports import services
from reports.models import Report, ReportKind, ReportStatus

ON_CI = os.environ.get("CI", "").lower() == "true"
REDIS_DB = 14

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not ON_CI and not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)"),
]


def broker_url() -> str:
    return urlunsplit(urlsplit(os.environ["REDIS_URL"])._replace(path=f"/{REDIS_DB}"))


def worker_database_url() -> str:
    """The URL of the database this test runs on (test_<name>), for the worker subprocess."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    """Worker subprocesses started by this test, and only those, stopped by their pid at the end."""

    def __init__(self, tmp_path: Path, queue: str):
        self.tmp_path, self.queue = tmp_path, queue
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *, delay: float | None = None) -> subprocess.Popen:
        n = len(self.procs) + 1
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": broker_url(),
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "ZHUCUN_CELERY_EAGER": "0",
            "ZHUCUN_BROKER_VISIBILITY_TIMEOUT": "3",
        }
        env.pop("ZHUCUN_REPORT_TEST_DELAY", None)
        if delay is not None:
            env["ZHUCUN_REPORT_TEST_DELAY"] = str(delay)
        log = self.tmp_path / f"worker{n}.log"
        proc = subprocess.Popen(  # noqa: S603 - a fixed command line
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
             "-Q", self.queue, "-n", f"killdrill{n}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=settings.BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.procs.append((proc, log))
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for _p, log in self.procs)

    def stop_all(self) -> None:
        for proc, _log in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # warm shutdown
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)


@pytest.fixture
def celery_app():
    """The test process publishes to the drill's broker and queue through a fresh app made current."""
    from celery import Celery

    from config.celery import app as project_app

    queue = f"zhucun-killdrill-{os.getpid()}"
    app = Celery("zhucun-killdrill", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(task_always_eager=False, broker_url=broker_url(), task_default_queue=queue)
    app.autodiscover_tasks(force=True)
    app.set_current()
    app.control.purge()
    try:
        yield app
    finally:
        app.control.purge()
        project_app.set_current()
        project_app.set_default()
        app.close()


@pytest.fixture
def workers(transactional_db, celery_app, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    pool = Workers(tmp_path, celery_app.conf.task_default_queue)
    try:
        yield pool
    finally:
        pool.stop_all()


def wait_for(report: Report, condition, *, seconds: float, workers: Workers) -> Report:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if condition(report):
            return report
        time.sleep(0.2)
    pytest.fail(f"report {report.pk} stayed {report.status} (progress {report.progress}, attempts "
                f"{report.attempts}, error {report.error!r})\n{workers.logs()}")


def test_a_report_survives_its_worker_being_killed_mid_build(org, users, workers):
    assert connection.vendor == "postgresql"
    first = workers.start(delay=2)  # an annual report has five steps: about ten seconds to build
    year = str(timezone.localdate().year - 1)
    report = services.report_request(actor=users.county, kind=ReportKind.ANNUAL, region=org.county_a, period=year)

    # Half-way: claimed (attempt 1) and past the first quarter.
    wait_for(report, lambda r: r.status == ReportStatus.RUNNING and r.progress >= 25, seconds=60, workers=workers)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    report.refresh_from_db()
    assert (report.status, report.attempts, report.is_current) == (ReportStatus.RUNNING, 1, False)

    workers.start()
    wait_for(report, lambda r: not r.is_active, seconds=90, workers=workers)

    assert (report.status, report.attempts, report.progress, report.is_current) == (ReportStatus.DONE, 2, 100, True), (
        report.error, workers.logs())
    same = Report.objects.filter(kind=ReportKind.ANNUAL, region=org.county_a, period=year)
    assert same.count() == 1
    assert same.filter(is_current=True).count() == 1
    assert os.path.getsize(report.file.path) == report.file_size > 0
