"""Every URL of the access table GET as every role (tests/security/test_access_matrix.py), once, and then:

- no GET changes anything: no row created, deleted or changed in any table, except the audit entries a viewing
  is meant to leave (logins; the full ID number shown on a cadre's edit page, PIPL; a report downloaded) and the
  session row, which a request refreshes by design (config.middleware.SessionActivityMiddleware: an inactivity
  timeout);
- every page carries the Content-Security-Policy header, and no page has an inline script, an inline style
  attribute, a <style> block or an inline event handler: the policy (config/middleware.py) would block them.
"""
import hashlib
import re

import pytest
from django.apps import apps
from django.db import connection

from .conftest import client_for
from .test_access_matrix import TABLE, sides, url_of
from .world import ANON, ROLES

# Audit entries a GET may leave, and why: see the module docstring.
ALLOWED_AUDIT = "action LIKE 'auth.%' OR action IN ('cadre.view_id_number', 'report.download')"
SKIPPED_TABLES = {"django_session"}


def _models():
    return [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy
            and m._meta.db_table not in SKIPPED_TABLES]


def _text(expr: str) -> str:
    return f"COALESCE(CAST({expr} AS TEXT), '')"


def _quick_sql() -> str:
    """One query: per table its row count, highest primary key and, where the model has one, the latest
    updated_at; for notifications how many are read (read markers are not to be touched by a GET)."""
    q = connection.ops.quote_name
    parts = []
    for model in _models():
        table, pk = q(model._meta.db_table), q(model._meta.pk.column)
        fields = {f.name: f.column for f in model._meta.concrete_fields}
        extra = [_text(f"MAX({q(fields['updated_at'])})")] if "updated_at" in fields else []
        if model._meta.label == "attendance.Notification":
            extra.append(_text(f"COUNT({q('read_at')})"))
        where = f" WHERE NOT ({ALLOWED_AUDIT})" if model._meta.label == "cadres.AuditEntry" else ""
        value = " || '|' || ".join([_text("COUNT(*)"), _text(f"MAX({pk})"), *extra])
        # Only model metadata goes into this SQL, never input.
        parts.append(f"SELECT '{model._meta.label}', {value} FROM {table}{where}")  # noqa: S608
    return " UNION ALL ".join(parts)


def quick_state() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(_quick_sql())
        return dict(cursor.fetchall())


def full_state() -> dict[str, str]:
    """A digest of every row of every table: catches changes made with queryset.update(), which touches no
    updated_at."""
    digests = {}
    for model in _models():
        qs = model._base_manager.order_by("pk")
        if model._meta.label == "cadres.AuditEntry":
            qs = qs.exclude(action__startswith="auth.").exclude(action__in=("cadre.view_id_number", "report.download"))
        digests[model._meta.label] = hashlib.sha256(repr(list(qs.values_list())).encode()).hexdigest()
    return digests


def diff(before: dict, after: dict) -> dict:
    return {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def get_urls(world) -> list[tuple[str, str, str]]:
    return [(name, side, url_of(world, name, side)) for name, row in TABLE.items() for side in sides(row, "get")]


@pytest.fixture(scope="module")
def crawl(world, django_db_blocker):
    """role → list of (name, side, url, response, changes) for every GET of the table; and role → changes of
    the whole crawl seen by the full digest."""
    pages, whole = {}, {}
    with django_db_blocker.unblock():
        for role in (*ROLES, ANON):
            client = client_for(world, role)
            start = full_state()
            before = quick_state()
            pages[role] = []
            for name, side, url in get_urls(world):
                response = client.get(url)
                after = quick_state()
                pages[role].append((name, side, url, response, diff(before, after)))
                before = after
            whole[role] = diff(start, full_state())
    return pages, whole


@pytest.mark.parametrize("role", (*ROLES, ANON))
def test_no_get_changes_anything(crawl, db, role):
    pages, whole = crawl
    changed = [f"{url} ({name}, {side}): {changes}" for name, side, url, _r, changes in pages[role] if changes]
    assert not changed, "GET requests changed the database:\n" + "\n".join(changed)
    assert not whole[role], f"the GETs of {role} changed rows (seen by the full digest only): {whole[role]}"


INLINE = [
    ("inline <script>", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("<style> block", re.compile(r"<style[\s>]", re.I)),
    ("style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("inline event handler", re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)),
    ("javascript: URL", re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)),
]


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


@pytest.mark.parametrize("role", (*ROLES, ANON))
def test_pages_have_no_inline_script_or_style(crawl, db, role):
    pages, _whole = crawl
    problems = []
    for name, _side, url, response, _changes in pages[role]:
        if not is_html(response) or not response.content:
            continue
        html = response.content.decode()
        for label, pattern in INLINE:
            for match in pattern.finditer(html):
                problems.append(f"{url} ({name}, {response.status_code}): {label}: {match.group(0)[:120]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", (*ROLES, ANON))
def test_every_page_sends_the_content_security_policy(crawl, db, role):
    pages, _whole = crawl
    for _name, _side, url, response, _changes in pages[role]:
        policy = response.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, (url, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (url, policy)
        assert "frame-ancestors 'none'" in policy, (url, policy)
