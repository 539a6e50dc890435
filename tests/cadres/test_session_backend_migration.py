"""cadres/migrations/0005: sessions signed in under Django's ModelBackend keep working after the switch to
cadres.backends.UserWithJurisdictionBackend (nobody is signed out by the upgrade)."""
import datetime
import importlib

from django.apps import apps
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

migration = importlib.import_module("cadres.migrations.0005_sessions_to_jurisdiction_backend")


class _Editor:
    connection = connection


def test_open_sessions_are_moved_to_the_new_backend_and_stay_signed_in(client, users):
    old = SessionStore()
    old.update({"_auth_user_id": str(users.county.pk), BACKEND_SESSION_KEY: migration.OLD,
                "_auth_user_hash": users.county.get_session_auth_hash()})
    old.create()
    other = SessionStore()
    other.update({"note": "anonymous"})
    other.create()
    client.cookies["sessionid"] = old.session_key
    assert client.get("/").status_code == 302  # before: the old backend is not configured, so signed out

    migration.rename_backend(apps, _Editor())

    assert SessionStore(old.session_key).load()[BACKEND_SESSION_KEY] == migration.NEW
    assert SessionStore(other.session_key).load() == {"note": "anonymous"}
    assert client.get("/").status_code == 200
    assert client.get("/").context["user"] == users.county


def test_expired_sessions_are_left_alone(users):
    old = SessionStore()
    old.update({"_auth_user_id": str(users.county.pk), BACKEND_SESSION_KEY: migration.OLD})
    old.create()
    Session.objects.filter(pk=old.session_key).update(expire_date=timezone.now() - datetime.timedelta(minutes=1))
    before = Session.objects.get(pk=old.session_key).session_data

    migration.rename_backend(apps, _Editor())

    assert Session.objects.get(pk=old.session_key).session_data == before
