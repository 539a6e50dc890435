"""Garbage in, never a 500 out; and no stored or reflected script.

For every URL of the access table (tests/security/test_access_matrix.py) and every role, a GET whose query
parameters and, where the view takes a POST, a POST whose form fields are all malformed: empty, 10,000
characters, wrong types, SQL and script fragments, full-width digits and emoji, impossible dates, null bytes,
integers too large for the database. The parameter names are those the page's own forms use (parsed from the
GET of every role that may see it) plus common ones. The payloads go round the parameters in rotations shared
out among the roles that may read the page, so that every parameter of every page meets every payload (as one
of its readers), deterministically and in a few thousand requests.

Then every form a role is shown is submitted with its own defaults and a script in every free-text field, and
every page is read again: the raw payload must never come back unescaped (nor in any earlier response).
"""
import re
import traceback
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import Resolver404, resolve

from .conftest import client_for
from .test_access_matrix import TABLE, expected, sides, url_of
from .world import ANON, ROLES

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = [
    "", "x" * 10_000, "abc", "-1", "1e9", "0x10", "99999999999999999999", "1' OR '1'='1", "1; DROP TABLE x",
    SCRIPT, IMG, "１２３", "😀", "2026-02-30", "2026-13-01", "0000-00-00", "\x00", "0",
]
COMMON = ["q", "page", "o", "month", "township", "region", "date", "period", "kind", "status", "tab", "year", "ids",
          "cadre", "county", "day", "state", "action", "decision"]
# Where a crawler must not go: logging out would end the role's session for the rest of its crawl.
NOT_POSTED = {"logout"}
SKIPPED_ACTIONS = ("/accounts/logout/", "/admin/")
NUMERIC_DEFAULT = re.compile(r"^[\d\-.:X ]+$")  # numbers, dates, codes and ID numbers keep their value


class Forms(HTMLParser):
    """The field names of a page and its forms (method, action, fields with their default values)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.names: set[str] = set()
        self.forms: list[dict] = []
        self._form = self._select = self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag in ("input", "select", "textarea", "button") and a.get("name"):
            self.names.add(a["name"])
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            self._form["fields"].append({"name": a["name"], "type": a.get("type", "text").lower(),
                                         "value": a.get("value", ""), "checked": "checked" in a})
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self._form["fields"].append({"name": a["name"], "type": "submit", "value": a.get("value", "")})
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "type": "select", "options": [], "multiple": "multiple" in a}
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "type": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def defaults_with_script(fields: list[dict]) -> dict:
    """What a browser would send for the form as shown, with a script in every free-text field."""
    data: dict[str, list] = {}
    radios: set[str] = set()
    submitted = False
    for field in fields:
        name, kind = field["name"], field["type"]
        if name == "csrfmiddlewaretoken":
            continue
        if kind in ("text", "textarea", "search", "email", "tel", "url"):
            value = field["value"].strip()
            data[name] = [value if value and NUMERIC_DEFAULT.match(value) else SCRIPT]
        elif kind in ("checkbox",):
            if field["checked"]:
                data.setdefault(name, []).append(field["value"] or "on")
        elif kind == "radio":
            if field["checked"] or name not in radios:
                data[name] = [field["value"]]
                radios.add(name)
        elif kind == "select":
            chosen = [v for v, selected in field["options"] if selected]
            if not chosen:
                chosen = [v for v, _s in field["options"] if v][:1]
            data[name] = chosen
        elif kind == "submit":
            if not submitted:
                data[name] = [field["value"]]
                submitted = True
        elif kind == "file":
            continue
        else:  # hidden, number, date, month, ...
            data[name] = [field["value"]]
    return data


def rotation(offset: int, names) -> dict:
    return {name: PAYLOADS[(offset + j) % len(PAYLOADS)] for j, name in enumerate(sorted(names))}


def accepts_post(url: str) -> bool:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    view = getattr(match.func, "view_class", None)
    if view is None:
        return match.url_name in ("set_language",)
    return hasattr(view, "post") and "post" in getattr(view, "http_method_names", ["post"])


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def targets(world) -> list[tuple[str, str, str]]:
    return [(name, side, url_of(world, name, side)) for name, row in TABLE.items() for side in sides(row, "get")]


@pytest.fixture(scope="module")
def discovered(world, django_db_blocker):
    """(name, side) → field names of the page as every role allowed to read it sees it, and
    (name, side, role) → the page's forms."""
    names, forms = {}, {}
    with django_db_blocker.unblock(), transaction.atomic():
        for name, side, url in targets(world):
            found = set(COMMON) | set(TABLE[name].get("query", lambda o: {})(world.inside))
            for role in ROLES:
                if expected(TABLE[name], "get", side, role) != 200:
                    continue
                response = client_for(world, role).get(url)
                if is_html(response):
                    page = Forms(response.content.decode())
                    found |= page.names
                    forms[(name, side, role)] = page.forms
            found.discard("csrfmiddlewaretoken")
            names[(name, side)] = found
        transaction.set_rollback(True)
    return names, forms


class Crawl:
    def __init__(self, world, role: str):
        self.client = client_for(world, role)
        self.role = role
        self.failures: list[str] = []
        self.known: list[str] = []
        self.requests = 0
        self.stored: list[str] = []
        self.escaped = 0

    def send(self, method: str, url: str, data: dict | None = None):
        """One request in its own savepoint, so a database error in one view cannot poison the next request."""
        self.requests += 1
        try:
            with transaction.atomic():
                send = self.client.get if method == "get" else self.client.post
                response = send(url, data)
        except Exception as exc:  # noqa: BLE001 - the test client re-raises the view's exception: that is a 500
            if is_sqlite_in_overflow(exc):
                self.known.append(f"{method.upper()} {url}")
                return None
            self.failures.append(f"{method.upper()} {url} as {self.role} raised {exc!r} with "
                                 f"{summary(data)}\n{our_frames(exc)}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {url} as {self.role}: {response.status_code} with {summary(data)}")
        self.check_escaped(response, f"{method.upper()} {url}")
        return response

    def check_escaped(self, response, where: str) -> None:
        if is_html(response):
            html = response.content.decode(errors="replace")
            for raw in (SCRIPT, "<img src=x onerror=alert(1)>"):
                if raw in html:
                    at = html.index(raw)
                    self.failures.append(f"{where} as {self.role}: unescaped {raw!r} in …{html[max(0, at - 120):at + 40]}…")


def is_sqlite_in_overflow(exc: BaseException) -> bool:
    """On SQLite, Django's ModelMultipleChoiceField checks the chosen ids with an __in lookup, which (unlike
    =, <, >) does not guard against integers beyond 64 bits: OverflowError, a 500. PostgreSQL answers "not a
    valid choice". test_an_id_beyond_64_bits_is_not_a_valid_choice pins it (strict xfail on SQLite)."""
    if not isinstance(exc, OverflowError) or connection.vendor != "sqlite":
        return False
    return any(f.name == "_check_values" and f.filename.endswith("django/forms/models.py")
               for f in traceback.extract_tb(exc.__traceback__))


def our_frames(exc: BaseException) -> str:
    """The project's own frames of a traceback (not Django's or the test client's): where to look."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "/site-packages/" not in f.filename and "/tests/" not in f.filename]
    return "".join(traceback.format_list(frames[-4:]))


def summary(data) -> str:
    if not data:
        return "{}"
    return "{" + ", ".join(f"{k}={str(v)[:20]!r}" for k, v in data.items()) + "}"


@pytest.mark.parametrize("role", (*ROLES, ANON))
def test_garbage_never_breaks_a_page_nor_stores_a_script(world, db, discovered, role):
    names, forms = discovered
    crawl = Crawl(world, role)
    base = (*ROLES, ANON).index(role) * 7
    urls = targets(world)

    # 1. Garbage in every query parameter of every page. The roles that may read a page share the rotations
    #    between them so that every parameter of the page meets every payload; the others send one (their
    #    answer must be 403/404 whatever the parameters).
    for i, (name, side, url) in enumerate(urls):
        path = urlsplit(url).path
        readers = [r for r in ROLES if expected(TABLE[name], "get", side, r) == 200]
        if role in readers:
            k = -(-len(PAYLOADS) // len(readers))
            offsets = range(readers.index(role) * k, (readers.index(role) + 1) * k)
        else:
            offsets = [base + i]
        for offset in offsets:
            crawl.send("get", path, rotation(offset, names[(name, side)]))

    # 2. Every form the role is shown, as shown, with a script in each free-text field.
    seen = set()
    for (name, side, who), page_forms in forms.items():
        if who != role:
            continue
        page = url_of(world, name, side)
        for form in page_forms:
            action = urljoin(page, form["action"] or page)
            if form["method"] != "post" or action.startswith(SKIPPED_ACTIONS) or not action.startswith("/"):
                continue
            data = defaults_with_script(form["fields"])
            key = (urlsplit(action).path, tuple(sorted(data)))
            if key in seen:
                continue
            seen.add(key)
            response = crawl.send("post", action, data)
            if response is not None and response.status_code == 302:
                crawl.stored.append(urlsplit(action).path)

    # 3. Garbage in every field of every view that takes a POST (a garbage file where a file is expected).
    for i, (name, side, url) in enumerate(urls):
        if name in NOT_POSTED or not accepts_post(url):
            continue
        data = rotation(base + i + 3, names[(name, side)])
        if "file" in data:
            data["file"] = SimpleUploadedFile("考勤.xlsx", b"PK\x03\x04" + b"\x00garbage" * 64)
        crawl.send("post", url, data)

    # 4. Read every page the role may read again: whatever was stored comes back escaped.
    for name, side, url in urls:
        if expected(TABLE[name], "get", side, role) == 200:
            response = crawl.send("get", url)
            if response is not None and is_html(response) and ESCAPED in response.content.decode():
                crawl.escaped += 1

    assert not crawl.failures, f"{len(crawl.failures)} problems in {crawl.requests} requests:\n" + "\n".join(
        crawl.failures)
    if role in ("county", "cadre"):
        # The test has teeth: forms were accepted with the script in them, and it came back, escaped.
        assert len(crawl.stored) >= 3 and crawl.escaped >= 3, (crawl.stored, crawl.escaped)
    print(f"{role}: {crawl.requests} requests, stored {sorted(set(crawl.stored))}, escaped on {crawl.escaped} pages")


@pytest.mark.xfail(connection.vendor == "sqlite", strict=True, raises=OverflowError,
                   reason="BUG (SQLite only, in Django): ModelMultipleChoiceField looks the chosen ids up with __in, "
                          "which crashes on an integer beyond 64 bits instead of answering 'not a valid choice'")
def test_an_id_beyond_64_bits_is_not_a_valid_choice(world, db):
    client = client_for(world, "county")
    response = client.post("/inspections/new/", {"date": world.today.isoformat(), "kind": "planned",
                                                 "inspectors": "王明", "villages": "99999999999999999999"})
    assert response.status_code == 200
    assert response.context["form"].errors["villages"]
