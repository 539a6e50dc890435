"""Login throttling (django-axes), session expiry, security headers, templates without inline code, and the
production settings passing Django's deployment check."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import AuditEntry
from config.middleware import CSP
from tests import factories as f

from .test_get_pages import INLINE

LOGIN = "/accounts/login/"


# ------------------------------------------------------------------------------------- login throttling


@override_settings(AXES_ENABLED=True)
def test_repeated_wrong_passwords_lock_the_account_even_against_the_right_password(users):
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    for _attempt in range(limit - 1):
        response = client.post(LOGIN, {"username": "t_county", "password": "wrong-password"})
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()

    for _attempt in range(2):  # the limit-th failure locks; the next one finds the lock
        response = client.post(LOGIN, {"username": "t_county", "password": "wrong-password"})
    assert response.status_code == 429
    assert "registration/locked.html" in [t.name for t in response.templates]
    assert "账号已暂时锁定" in response.content.decode()

    right = client.post(LOGIN, {"username": "t_county", "password": f.PASSWORD})
    assert right.status_code == 429
    assert "账号已暂时锁定" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302  # still not logged in
    assert AuditEntry.objects.filter(action="auth.login_failed").count() >= limit - 1

    # The lock holds that username from that address, not everyone: another user still logs in.
    other = client.post(LOGIN, {"username": "t_city", "password": f.PASSWORD})
    assert other.status_code == 302 and other["Location"] == reverse("home")


@override_settings(AXES_ENABLED=True)
def test_a_successful_login_before_the_limit_resets_the_count(users):
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(LOGIN, {"username": "t_county", "password": "wrong-password"})
    assert client.post(LOGIN, {"username": "t_county", "password": f.PASSWORD}).status_code == 302
    client.post(reverse("logout"))

    response = client.post(LOGIN, {"username": "t_county", "password": "wrong-password"})
    assert response.status_code == 200  # AXES_RESET_ON_SUCCESS: one failure, not the limit


# ------------------------------------------------------------------------------------- session and headers


def test_a_session_ends_after_two_hours_without_a_request(client, users, monkeypatch):
    assert settings.SESSION_COOKIE_AGE == 7200
    assert settings.SESSION_REFRESH_SECONDS == 60
    assert settings.SESSION_COOKIE_HTTPONLY is True
    client.force_login(users.county)
    logged_in_at = client.session["_refreshed"]
    monkeypatch.setattr("config.middleware.now", lambda: logged_in_at + 60)

    response = client.get(reverse("home"))

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 7200 and cookie["httponly"]
    assert 7190 <= client.session.get_expiry_age() <= 7200


def test_a_request_moves_the_expiry_on_at_most_once_a_minute(client, users, monkeypatch):
    # The inactivity timeout counts from the last request without a session write per request: within a
    # minute of the last refresh nothing is written; after it the session is saved and its cookie sent again.
    clock = [1_800_000_000]
    monkeypatch.setattr("config.middleware.now", lambda: clock[0])
    client.force_login(users.county)
    client.get(reverse("home"))
    key = client.session.session_key
    saved = Session.objects.get(pk=key).expire_date

    clock[0] += 59
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert Session.objects.get(pk=key).expire_date == saved

    clock[0] += 1
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 7200
    assert [q for q in ctx.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert Session.objects.get(pk=key).expire_date > saved


def test_an_anonymous_visit_writes_no_session(client, db):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("login"))
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not [q for q in ctx.captured_queries if "django_session" in q["sql"]]


def test_pages_carry_the_security_headers(client, users):
    client.force_login(users.county)

    response = client.get(reverse("home"))

    assert response["Content-Security-Policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP and "style-src 'self'" in CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def template_files() -> list[Path]:
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [Path(settings.BASE_DIR) / app / "templates" for app in ("villages", "cadres", "attendance", "reports")]
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*.html"))


def test_no_template_has_an_inline_script_or_style():
    """The source of every template, including those no crawl renders (500, lockout): the rendered pages are
    checked in test_get_pages.py."""
    problems = []
    for path in template_files():
        text = path.read_text()
        for label, pattern in INLINE:
            for match in pattern.finditer(text):
                problems.append(f"{path.relative_to(settings.BASE_DIR)}: {label}: {match.group(0)[:100]}")
    assert template_files()
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------- production settings


def documented_environment(tmp_path) -> dict[str, str]:
    """deploy/env.example as an operator fills it in, with a real secret key."""
    env = {}
    for line in (Path(settings.BASE_DIR) / "deploy" / "env.example").read_text().splitlines():
        m = re.match(r"^([A-Z_]+)=(.*)$", line.strip())
        if m:
            env[m[1]] = m[2]
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)
    env["DJANGO_MEDIA_ROOT"] = str(tmp_path)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "ZHUCUN_"))}
    return subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env={**base, **env},
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("missing", [None, "DJANGO_SECRET_KEY"])
def test_production_settings_pass_the_deployment_check_with_the_documented_environment(tmp_path, missing):
    env = documented_environment(tmp_path)
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= env.keys()
    if missing:
        del env[missing]

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING", "--settings=config.settings.production")

    if missing is None:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout
    else:  # refused outright, not started with a default key
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY must be set in production" in result.stderr
