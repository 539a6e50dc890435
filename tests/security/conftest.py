"""The security suite's fixtures.

The world (tests/security/world.py) takes a while to build and the access tests make a few thousand requests
against it, so it is built once per module inside a transaction that is rolled back when the module ends; each
test still runs in its own savepoint (the `db` fixture), so nothing one test does is seen by the next.
Every test that uses `world` must also ask for `db`.
"""
import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from tests import factories as f

from .world import ANON, ROLES, build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            org = f.build_org()
            users = f.build_users(org)
            w = build_world(org, users)
            # One session per role, logged in once; each test's client carries the cookie (the session row is
            # refreshed by every request, inside the test's savepoint).
            w.sessions = {}
            for role in ROLES:
                client = Client()
                client.force_login(getattr(users, role))
                w.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            media.disable()


def client_for(world, role: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if role != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client
