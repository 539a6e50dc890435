"""Broker settings a production deployment depends on."""
import importlib

from reports.tasks import build_report


def test_redis_redelivers_an_unacknowledged_report_only_after_its_time_limit(monkeypatch):
    # With acks_late, Redis gives a task still being built to a second worker once the visibility timeout has
    # passed: the timeout must exceed the longest a report may run, or a slow report is built twice.
    monkeypatch.delenv("CELERY_VISIBILITY_TIMEOUT", raising=False)
    base = importlib.reload(importlib.import_module("config.settings.base"))
    assert base.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == 7200
    assert base.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > build_report.time_limit


def test_the_visibility_timeout_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "10800")
    base = importlib.reload(importlib.import_module("config.settings.base"))
    assert base.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == 10800
    monkeypatch.delenv("CELERY_VISIBILITY_TIMEOUT")
    importlib.reload(base)
