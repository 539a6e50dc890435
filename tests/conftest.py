"""Shared fixtures: one user per role plus outsiders, built on a small hand-made organisation.

Under CI=true the suite refuses to run unless it is on PostgreSQL and Redis answers: a missing service
there is a failure, not a skip.
"""
import os

import pytest
from django.db import connection

from tests import factories as f


def pytest_configure(config):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(scope="session", autouse=True)
def _ci_services(django_db_setup, django_db_blocker):
    if os.environ.get("CI", "").lower() != "true":
        return
    with django_db_blocker.unblock():
        vendor = connection.vendor
    if vendor != "postgresql":
        pytest.exit(f"CI=true but the database is {vendor}; set DATABASE_URL to PostgreSQL", returncode=1)
    import redis

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.exit("CI=true but REDIS_URL is not set", returncode=1)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(f"CI=true but Redis at {url} is unreachable: {exc}", returncode=1)


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    on_ci = os.environ.get("CI", "").lower() == "true"
    db_url = os.environ.get("DATABASE_URL", "")
    for item in items:
        # Every transactional test restores the migrated reference data (village categories, the report
        # schedule, content types) from the serialized copy. Mixing serialized and plain transactional tests
        # breaks: a plain flush re-creates content types under new ids that the next restore then collides with.
        if _is_transactional(item) and "django_db_serialized_rollback" not in item.fixturenames:
            item.fixturenames.append("django_db_serialized_rollback")
        if "postgres" in item.keywords and not on_ci and not db_url.startswith(("postgres", "postgresql")):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI always runs it"))


@pytest.fixture
def org(db):
    """A small organisation: city → counties A and B → townships A1, A2 (in A) and B1 (in B), villages,
    units, a round, cadres and postings. Returns a namespace of the objects."""
    return f.build_org()


@pytest.fixture
def users(org):
    """One user per role inside county A / township A1, and outsiders in county B."""
    return f.build_users(org)
