"""`make soak`: the soak test of the issue "reliability" (Load section).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_scale .venv/bin/python -m bench.soak --minutes 10 --users 200

For --minutes, --users simulated people (with a think time between their actions) work through gunicorn with
the production settings, from a second process on 127.0.0.1, while a real Celery worker builds the reports
they ask for. Every request's latency and status is recorded; afterwards the database is checked for lost or
duplicated writes, the soak's own writes are undone, and bench/results/soak.json is written. Exit status 1 on
any error or failed check.

The people (chosen by `make_plan` from the generated province; each logs in once through the login form):

- the province's and some cities' organization departments: home, the cadre list of one of their counties,
  a cadre's page, compliance, the leave list;
- county organization departments (one account each): the same pages, approving the long leave routed to
  them, and now and then asking for their county's monthly report of last month (then polling its status as
  the report page does);
- township officials, each of a different township: the same pages, filling the register of the running
  month (up to three past days changed, in the village <-> official business; the whole grid posted as the
  form sends it without JavaScript, the heavier case: static/js/register.js makes a browser post only the
  changed cells), approving the short leave of their cadres;
- cadres of those townships: home, their leave list and requests, and requesting leave through the real
  form (GET the form, POST it with the CSRF token) for future dates: each cadre has its own free slots of
  6 days from next month on, alternately 2 days (routed to the township) and 4 days (to the county).

Writes never collide with a benchmark run at the same time (bench/run.py loads county A and B, the first
two by code): those two counties are left out whenever the province has at least four.

An error is a 5xx, a connection failure or timeout (120 s, nginx's proxy_read_timeout in deploy/nginx), a GET
that does not answer 200, a POST that does not redirect where it should or whose queued message is an error
(the messages cookie is read, as bench.load does). A person whose login fails tries again 10-30 s later (at
most three times).

The write checks, after the run: every leave request answered as created exists exactly once (by the unique
marker in its reason), and every other row with the run's marker was posted by the soak (one whose client saw
a timeout may still have been created: counted, not failed, the timeout is already an error); every approval
answered as a success is approved by that approver; every register cell the soak saved holds the value it
last wrote, and `manage.py register_tallies --check` passes; every report asked for is finished, and its
kind/region/period has exactly one current version, the newest. Clean-up: the soak's leave requests are withdrawn through
leave_withdraw (as bench.measure leaves-cleanup does) and the register cells it changed are written back to
their values before the run through register_write (history rows and audit entries of both remain); the
report versions it built remain (they are real reports of last month).

`python -m bench.soak --load SPEC --out FILE` is the load process itself (standard library only, no Django)."""
import argparse
import contextlib
import datetime
import http.client
import json
import os
import random
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
import time
import zoneinfo
from collections import defaultdict, deque
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench.load import ERROR_LEVEL, FLIP, SEEN, SELECT, SELECTED, Client, percentile
from bench.run import (
    PASSWORD,
    PYTHON,
    RESULTS,
    ROOT,
    TIME_ZONE,
    Runner,
    check_postgres,
    db_name,
    free_port,
    machine,
)

LEAVE_MARKER = "耐久测试(bench/soak.py)"
SLOT_DAYS = 6  # one slot per leave request: the leave (2 or 4 days) and a gap, so no two overlap
LEAVE_LENGTHS = (2, 4)  # the default policy: up to 3 days the township approves, longer the county
MAX_SLOTS = 12
MAX_REPORTS_PER_USER = 2
LOGIN_ATTEMPTS = 3
REDIS_DB = 5
CLIENT_TIMEOUT = 120  # seconds; gunicorn's own --timeout is the same
STARTED = time.monotonic()
KINDS = ("login", "home", "cadre_list", "cadre_detail", "compliance", "leave_list", "leave_detail", "leave_form",
         "leave_request", "leave_approve", "register_page", "register_save", "report_request", "report_page",
         "report_status")


class SoakError(RuntimeError):
    pass


def log(text: str) -> None:
    print(f"[soak {time.monotonic() - STARTED:7.1f}s] {text}", file=sys.stderr, flush=True)


# ================================================================================ the plan (Django side)


def make_plan(*, users: int, seed: int = 1) -> dict:
    """Who the simulated people are and what each may write. Needs Django set up on the soak's database."""
    from decimal import Decimal

    from django.utils import timezone

    from attendance.models import LeaveRequest, LeaveStatus, MonthConfirmation
    from attendance.services.leave import region_at_level, route_for
    from attendance.services.register import month_start, next_month
    from bench.generate import PROVINCE_CODE, PROVINCE_PREFIX, generated_exists
    from cadres.models import Posting, PostingStatus, Role, User
    from villages.models import Region, RegionLevel

    if not generated_exists():
        raise SoakError("this database holds no generated province (manage.py generate_scale): refusing to run")
    rng = random.Random(seed)
    today = timezone.localdate()
    # The running month, which no township has confirmed yet; on the 1st it has no past day, so last month
    # (bench.measure plan makes the same choice).
    save_month = month_start(today) if today.day > 1 else month_start(today - datetime.timedelta(days=1))
    report_month = month_start(month_start(today) - datetime.timedelta(days=1))
    leave_from = max(next_month(save_month), today + datetime.timedelta(days=1))

    accounts = {
        (u.region_id, u.role): u.username
        for u in User.objects.filter(is_active=True, role__in=(Role.ORG_DEPT, Role.TOWNSHIP),
                                     region__code__startswith=PROVINCE_PREFIX).order_by("-username")
    }
    regions = Region.objects.filter(code__startswith=PROVINCE_PREFIX)
    counties = list(regions.filter(level=RegionLevel.COUNTY).order_by("code"))
    if len(counties) >= 4:
        counties = counties[2:]  # county A and B belong to bench/run.py's page and write measurements
    counties = [c for c in counties if (c.pk, Role.ORG_DEPT) in accounts]
    confirmed = set(MonthConfirmation.objects.filter(month=save_month).values_list("township_id", flat=True))

    want_county = max(1, round(users * 0.2))
    want_township = max(1, round(users * 0.3))
    chosen_counties = rng.sample(counties, min(want_county, len(counties)))
    by_county = defaultdict(list)
    for t in regions.filter(level=RegionLevel.TOWNSHIP, parent__in=chosen_counties).order_by("code"):
        if t.pk not in confirmed and (t.pk, Role.TOWNSHIP) in accounts:
            by_county[t.parent_id].append(t)
    for towns in by_county.values():
        rng.shuffle(towns)
    townships = []  # round-robin over the counties, so every county approver has cadres below it
    while len(townships) < want_township and any(by_county.values()):
        for county in chosen_counties:
            if by_county[county.pk] and len(townships) < want_township:
                townships.append(by_county[county.pk].pop())
    if not townships:
        raise SoakError(f"no township with an unconfirmed register for {save_month:%Y-%m}")

    people: list[dict] = []
    province = Region.objects.get(code=PROVINCE_CODE)
    county_pks = [c.pk for c in counties]
    if users >= 5 and (province.pk, Role.ORG_DEPT) in accounts:
        people.append({"role": "org", "username": accounts[(province.pk, Role.ORG_DEPT)],
                       "counties": rng.sample(county_pks, min(20, len(county_pks)))})
    cities = [c for c in regions.filter(level=RegionLevel.CITY).order_by("code") if (c.pk, Role.ORG_DEPT) in accounts]
    for city in rng.sample(cities, min(len(cities), max(1, round(users * 0.05)))):
        mine = [c.pk for c in counties if c.parent_id == city.pk]
        if mine:
            people.append({"role": "org", "username": accounts[(city.pk, Role.ORG_DEPT)], "counties": mine})
    for county in chosen_counties:
        people.append({"role": "county", "username": accounts[(county.pk, Role.ORG_DEPT)], "region": county.pk})
    for township in townships:
        people.append({"role": "township", "username": accounts[(township.pk, Role.TOWNSHIP)],
                       "township": township.pk})
    people = people[:users]

    # Cadres in post in the chosen townships, with their own account, spread over the townships; each gets
    # the free slots (no overlap with their own leave) inside their posting and round.
    want_cadres = users - len(people)
    approver_of = {(t.pk, Role.TOWNSHIP): accounts[(t.pk, Role.TOWNSHIP)] for t in townships}
    approver_of.update({(c.pk, Role.ORG_DEPT): accounts[(c.pk, Role.ORG_DEPT)] for c in chosen_counties})
    postings = defaultdict(list)
    for p in (Posting.objects.filter(village__township__in=townships, status=PostingStatus.IN_POST)
              .in_force_on(today).select_related("round", "village__township__parent")
              .order_by("village__code", "pk")):
        postings[p.village.township_id].append(p)
    cadre_users = dict(User.objects.filter(is_active=True, role=Role.CADRE,
                                           cadre__in=[p.cadre_id for ps in postings.values() for p in ps])
                       .values_list("cadre_id", "username"))
    busy = defaultdict(list)
    for leave in LeaveRequest.objects.filter(cadre_id__in=list(cadre_users), end_date__gte=leave_from - datetime.timedelta(days=1),
                                             status__in=(LeaveStatus.SUBMITTED, LeaveStatus.APPROVED,
                                                         LeaveStatus.RETURNED)):
        busy[leave.cadre_id].append((leave.start_date, leave.end_date))
    routes: dict[tuple[int, int], str | None] = {}

    def approver(township, days: int) -> str | None:
        if (township.pk, days) not in routes:
            route = route_for(township=township, total_days=Decimal(days))
            region = region_at_level(township, route.approver_level)
            role = Role.TOWNSHIP if route.approver_level == RegionLevel.TOWNSHIP else Role.ORG_DEPT
            routes[(township.pk, days)] = approver_of.get((region.pk, role)) if region else None
        return routes[(township.pk, days)]

    queues = [deque(postings[t.pk]) for t in townships]
    while want_cadres > 0 and any(queues):
        for queue in queues:
            if not queue or want_cadres <= 0:
                continue
            posting = queue.popleft()
            if posting.cadre_id not in cadre_users:
                continue
            last = min(d for d in (posting.end_date, posting.round.end_date) if d is not None)
            slots, n = [], 0
            start = leave_from
            while len(slots) < MAX_SLOTS and start + datetime.timedelta(days=SLOT_DAYS - 1) <= last:
                days = LEAVE_LENGTHS[n % 2]
                end = start + datetime.timedelta(days=days - 1)
                who = approver(posting.village.township, days)
                if who and not any(a <= end + datetime.timedelta(days=1) and b >= start - datetime.timedelta(days=1)
                                   for a, b in busy[posting.cadre_id]):
                    slots.append({"start": start.isoformat(), "end": end.isoformat(), "days": days, "approver": who})
                    n += 1
                start += datetime.timedelta(days=SLOT_DAYS)
            if not slots:
                continue
            people.append({"role": "cadre", "username": cadre_users[posting.cadre_id], "cadre": posting.cadre_id,
                           "slots": slots})
            want_cadres -= 1
    rng.shuffle(people)  # logins are spread over the ramp-up in this order: mix the roles
    roles = defaultdict(int)
    for person in people:
        roles[person["role"]] += 1
    return {
        "today": today.isoformat(), "save_month": f"{save_month:%Y-%m}", "report_period": f"{report_month:%Y-%m}",
        "people": people, "roles": dict(roles),
        "counties": len(chosen_counties), "townships": len(townships),
        "excluded_counties": list(regions.filter(level=RegionLevel.COUNTY).exclude(pk__in=county_pks)
                                  .order_by("code").values_list("code", flat=True)),
    }


# ============================================================================= the load (no Django here)


CADRE_LINK = re.compile(r'href="/cadres/(\d+)/"')
LEAVE_LINK = re.compile(r'href="/leave/(\d+)/"')
PAGE_LINK = re.compile(r'href="\?(?:[^"]*&(?:amp;)?)?page=(\d+)')
ERRORLIST = re.compile(r'<ul class="errorlist[^"]*">(.*?)</ul>', re.S)
TAG = re.compile(r"<[^>]+>")


class Stop(Exception):
    """The soak's time is up."""


class Load:
    """The shared state of one load run: the clock, latencies, errors, and what was written."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.host, self.port = spec["host"], spec["port"]
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        # The same, for requests sent after the ramp-up (every person logged in): the steady state.
        self.steady: dict[str, list[float]] = defaultdict(list)
        self.errors: list[dict] = []
        self.error_count: dict[str, int] = defaultdict(int)
        self.inbox: dict[str, deque] = defaultdict(deque)  # approver -> leave ids routed to them
        self.leaves: list[dict] = []  # created (answered as created): reason, id, approver
        self.leave_attempts: list[str] = []  # every reason posted, answered or not
        self.approvals: list[dict] = []  # answered as approved: id, approver
        self.register: dict[str, dict] = {}  # township user -> {"township", "written": {cell: value}, "original"}
        self.reports: list[dict] = []  # answered with a report: id, region, period, user
        self.started = time.monotonic()
        self.deadline = self.started + spec["seconds"]

    def record(self, kind: str, seconds: float, ok: bool, user: str, path: str, why: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds * 1000)
            if time.monotonic() - seconds - self.started >= self.spec["ramp"]:
                self.steady[kind].append(seconds * 1000)
            if not ok:
                self.error_count[kind] += 1
                if len(self.errors) < 50:
                    self.errors.append({"kind": kind, "user": user, "path": path, "why": why[:300],
                                        "at_s": round(time.monotonic() - self.started, 1)})


class Person(threading.Thread):
    def __init__(self, load: Load, index: int, person: dict) -> None:
        super().__init__(daemon=True)
        self.load, self.index, self.person = load, index, person
        self.user = person["username"]
        self.rng = random.Random(f"{load.spec['seed']}-{index}")
        self.client: Client | None = None
        self.cadres: list[str] = []  # cadre ids seen on the last list page
        self.pages: list[str] = []  # the page numbers the first list page links to
        self.my_leaves: list[str] = []
        self.leave_count = 0
        self.pending_report: str | None = None
        self.reports_asked = 0

    # ------------------------------------------------------------------ requests

    def call(self, kind: str, method: str, path: str, fields: list | None = None, *, expect: int = 200):
        """One request, recorded. Returns the response, or None when it failed (recorded as an error)."""
        load = self.load
        # One connection per request, as gunicorn sees it in production: nginx (deploy/nginx/zhucun.conf)
        # keeps the browsers' connections and opens a new one to gunicorn for every request (no upstream
        # keepalive). Reusing a connection directly races gunicorn's 2 s keepalive: a request sent as the
        # server closes the idle connection is reset unread.
        self.client.close()
        started = time.perf_counter()
        try:
            response = self.client.get(path) if method == "GET" else self.client.post(path, fields or [])
        except (OSError, http.client.HTTPException) as exc:
            self.client.close()
            load.record(kind, time.perf_counter() - started, False, self.user, path, f"{type(exc).__name__}: {exc}")
            return None
        why = ""
        if response.status != expect:
            why = f"HTTP {response.status}" + (f" -> {response.location}" if response.location else "")
            if response.status == 200 and method == "POST":
                errors = [TAG.sub("", e).strip() for e in ERRORLIST.findall(response.body.decode(errors="replace"))]
                why += " (form errors: " + "; ".join(errors)[:200] + ")"
        elif response.error_message:
            why = "error message: " + "; ".join(t for lvl, t in response.messages if lvl >= ERROR_LEVEL)
        load.record(kind, response.seconds, not why, self.user, path, why)
        return None if why else response

    def follow(self, kind: str, response) -> object:
        """The page a browser shows after a POST's redirect."""
        location = urlsplit(response.location)
        return self.call(kind, "GET", location.path + (f"?{location.query}" if location.query else ""))

    def think(self) -> None:
        low, high = self.load.spec["think"]
        pause = self.rng.uniform(low, high)
        if time.monotonic() + pause >= self.load.deadline:
            raise Stop
        time.sleep(pause)

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        load, spec = self.load, self.load.spec
        # Logins spread over the ramp-up, as people arrive at work, not 200 password hashes at once.
        time.sleep(spec["ramp"] * self.index / max(1, len(spec["people"])))
        self.client = Client(load.host, load.port, timeout=CLIENT_TIMEOUT)
        for attempt in range(1, LOGIN_ATTEMPTS + 1):
            # A person whose login fails (timeout) tries again a little later; the password is right, so
            # django-axes does not count it.
            started = time.perf_counter()
            try:
                self.client.login(self.user, spec["password"])
            except (OSError, RuntimeError, http.client.HTTPException) as exc:
                self.client.close()
                load.record("login", time.perf_counter() - started, False, self.user, "/accounts/login/",
                            f"attempt {attempt}: {type(exc).__name__}: {exc}")
                pause = self.rng.uniform(10, 30)
                if attempt == LOGIN_ATTEMPTS or time.monotonic() + pause >= load.deadline:
                    return
                time.sleep(pause)
                continue
            load.record("login", time.perf_counter() - started, True, self.user, "/accounts/login/")
            break
        actions = dict(getattr(self, f"actions_{self.person['role']}")())
        actions.update(spec.get("weights", {}).get(self.person["role"], {}))  # a test may favour an action
        names, weights = zip(*actions.items(), strict=True)
        try:
            while True:
                self.think()
                getattr(self, "do_" + self.rng.choices(names, weights)[0])()
        except Stop:
            pass
        finally:
            self.client.close()

    def actions_org(self):
        return [("home", 20), ("cadre_list", 35), ("cadre_detail", 25), ("compliance", 10), ("leave_list", 10)]

    def actions_county(self):
        return [("home", 15), ("cadre_list", 20), ("cadre_detail", 15), ("compliance", 15), ("approve", 30),
                ("report", 5)]

    def actions_township(self):
        return [("home", 15), ("cadre_list", 10), ("cadre_detail", 10), ("compliance", 10), ("approve", 25),
                ("register", 30)]

    def actions_cadre(self):
        return [("home", 30), ("leave_list", 25), ("leave_detail", 20), ("leave_request", 25)]

    # ------------------------------------------------------------------ actions

    def do_home(self) -> None:
        self.call("home", "GET", "/")

    def do_cadre_list(self) -> None:
        params = {}
        if self.person.get("counties"):
            params["region"] = self.rng.choice(self.person["counties"])
        elif self.pages and self.rng.random() < 0.3:
            params["page"] = self.rng.choice(self.pages)  # a page the last list linked to (no 404 past the end)
        response = self.call("cadre_list", "GET", "/cadres/" + (f"?{urlencode(params)}" if params else ""))
        if response is not None:
            body = response.body.decode(errors="replace")
            self.cadres = CADRE_LINK.findall(body) or self.cadres
            if not params:
                self.pages = sorted(set(PAGE_LINK.findall(body)))

    def do_cadre_detail(self) -> None:
        if not self.cadres:
            return self.do_cadre_list()
        self.call("cadre_detail", "GET", f"/cadres/{self.rng.choice(self.cadres)}/")

    def do_compliance(self) -> None:
        self.call("compliance", "GET", "/attendance/compliance/")

    def do_leave_list(self) -> None:
        response = self.call("leave_list", "GET", "/leave/")
        if response is not None and self.person["role"] == "cadre":
            self.my_leaves = LEAVE_LINK.findall(response.body.decode(errors="replace")) or self.my_leaves

    def do_leave_detail(self) -> None:
        if not self.my_leaves:
            return self.do_leave_list()
        self.call("leave_detail", "GET", f"/leave/{self.rng.choice(self.my_leaves)}/")

    def do_leave_request(self) -> None:
        """Through the form, as the cadre would: open it, fill it, send it, land on the new request."""
        slots = self.person["slots"]
        if self.leave_count >= len(slots):
            return self.do_leave_list()
        if self.call("leave_form", "GET", "/leave/new/") is None:
            return
        self.think()
        slot = slots[self.leave_count]
        self.leave_count += 1
        reason = f"{LEAVE_MARKER} {self.load.spec['run_id']} {self.user} #{self.leave_count}"
        with self.load.lock:
            self.load.leave_attempts.append(reason)
        response = self.call("leave_request", "POST", "/leave/new/", [
            ("cadre", str(self.person["cadre"])), ("kind", "personal"), ("start_date", slot["start"]),
            ("start_half", "am"), ("end_date", slot["end"]), ("end_half", "pm"), ("reason", reason),
        ], expect=302)
        if response is None:
            return
        match = re.fullmatch(r"/leave/(\d+)/", urlsplit(response.location).path)
        if match is None:
            self.load.record("leave_request", 0.0, False, self.user, "/leave/new/",
                             f"redirected to {response.location}, not to the new request")
            return
        with self.load.lock:
            self.load.leaves.append({"reason": reason, "id": int(match.group(1)), "approver": slot["approver"],
                                     "start": slot["start"], "end": slot["end"]})
            self.load.inbox[slot["approver"]].append(match.group(1))
        self.my_leaves.append(match.group(1))
        self.follow("leave_detail", response)

    def do_approve(self) -> None:
        """The queue, then (when something the soak asked for waits there) the request and its approval."""
        if self.call("leave_list", "GET", "/leave/?tab=queue") is None:
            return
        with self.load.lock:
            inbox = self.load.inbox[self.user]
            leave_id = inbox.popleft() if inbox else None
        if leave_id is None:
            return
        self.think()
        if self.call("leave_detail", "GET", f"/leave/{leave_id}/") is None:
            return
        response = self.call("leave_approve", "POST", f"/leave/{leave_id}/approve/", [("comment", "")], expect=302)
        if response is not None:
            with self.load.lock:
                self.load.approvals.append({"id": int(leave_id), "approver": self.user})
            self.follow("leave_detail", response)

    def do_register(self) -> None:
        """Open the month's grid, change up to three past days, save the whole grid as the form sends it,
        and see the saved grid (a read after the write: the changed cells must show the new values)."""
        spec = self.load.spec
        path = f"/register/?month={spec['save_month']}"
        response = self.call("register_page", "GET", path)
        if response is None:
            return
        cells, days = self.grid(response)
        today = spec["today"].replace("-", "")
        flippable = sorted(n for n, v in cells.items() if days[n] < today and v in FLIP)
        if not flippable:
            self.load.record("register_page", 0.0, False, self.user, path, "no editable past day in the grid")
            return
        self.think()
        changed = {n: FLIP[cells[n]] for n in self.rng.sample(flippable, min(3, len(flippable)))}
        state = self.load.register.setdefault(self.user, {"township": self.person["township"], "written": {},
                                                          "original": {}})
        for name in changed:
            state["original"].setdefault(name, cells[name])
        seen = SEEN.search(response.body.decode(errors="replace"))
        fields = [("month", spec["save_month"]), ("township", str(self.person["township"])), ("action", "save"),
                  ("seen", seen.group(1) if seen else ""), *{**cells, **changed}.items()]
        response = self.call("register_save", "POST", "/register/", fields, expect=302)
        if response is None:
            # The server may still run it later (a timed-out request stays queued in gunicorn): it would
            # post this grid, older than any save after it.
            state["failed_saves"] = state.get("failed_saves", 0) + 1
            return
        state["written"].update(changed)
        after = self.follow("register_page", response)
        if after is not None:
            shown, _days = self.grid(after)
            wrong = [n for n, v in changed.items() if shown.get(n) != v]
            if wrong:
                self.load.record("register_save", 0.0, False, self.user, "/register/",
                                 f"saved but the grid shows {[(n, shown.get(n)) for n in wrong]}")

    @staticmethod
    def grid(response) -> tuple[dict, dict]:
        cells, days = {}, {}
        for name, day, options in SELECT.findall(response.body.decode(errors="replace")):
            chosen = SELECTED.search(options)
            cells[name], days[name] = (chosen.group(1) if chosen else "none"), day
        return cells, days

    def do_report(self) -> None:
        """Ask for the county's monthly report of last month (at most twice per person), land on its page;
        later actions poll its status, as the page's script does, until it is finished."""
        if self.pending_report is not None:
            response = self.call("report_status", "GET", f"/reports/{self.pending_report}/status/")
            if response is not None and json.loads(response.body).get("status") in ("done", "failed"):
                self.pending_report = None
            return
        if self.reports_asked >= MAX_REPORTS_PER_USER:
            return self.do_home()
        if self.call("report_page", "GET", "/reports/") is None:
            return
        self.think()
        self.reports_asked += 1
        period = self.load.spec["report_period"]
        response = self.call("report_request", "POST", "/reports/", [
            ("kind", "monthly"), ("region", str(self.person["region"])), ("period", period)], expect=302)
        if response is None:
            return
        match = re.fullmatch(r"/reports/(\d+)/", urlsplit(response.location).path)
        if match is None:
            self.load.record("report_request", 0.0, False, self.user, "/reports/",
                             f"redirected to {response.location}, not to a report")
            return
        with self.load.lock:
            self.load.reports.append({"id": int(match.group(1)), "region": self.person["region"], "period": period,
                                      "user": self.user})
        self.pending_report = match.group(1)
        self.follow("report_page", response)


def run_load(spec: dict) -> dict:
    load = Load(spec)
    people = [Person(load, i, p) for i, p in enumerate(spec["people"])]
    for person in people:
        person.start()
    for person in people:
        person.join(timeout=max(1.0, load.deadline - time.monotonic()) + CLIENT_TIMEOUT + 30)
    stuck = sum(p.is_alive() for p in people)
    elapsed = time.monotonic() - load.started
    def figures(values: list[float]) -> dict:
        return {"requests": len(values), "p50_ms": round(percentile(values, 0.50), 1),
                "p95_ms": round(percentile(values, 0.95), 1), "p99_ms": round(percentile(values, 0.99), 1),
                "max_ms": round(max(values), 1)}

    kinds, steady = {}, {}
    for kind in KINDS:
        if load.latencies.get(kind):
            kinds[kind] = {**figures(load.latencies[kind]), "errors": load.error_count.get(kind, 0)}
        if load.steady.get(kind):
            steady[kind] = figures(load.steady[kind])
    total = sum(k["requests"] for k in kinds.values())
    return {
        "seconds": round(elapsed, 1), "requests": total, "rps": round(total / elapsed, 2) if elapsed else 0.0,
        "errors": sum(load.error_count.values()) + stuck, "stuck_users": stuck, "kinds": kinds,
        "steady_kinds": steady,
        "error_samples": load.errors[:20], "leaves": load.leaves, "leave_attempts": load.leave_attempts,
        "approvals": load.approvals, "register": load.register, "reports": load.reports,
    }


# ========================================================================= checks and clean-up (Django)


def check_writes(plan: dict, outcome: dict, *, run_id: str) -> dict:
    from django.db.models import Count, Max, Q

    from attendance.models import AttendanceDay, LeaveRequest, LeaveStatus
    from cadres.models import User
    from reports.models import Report, ReportStatus

    checks: dict = {}
    # Leave: each answered request exactly once, by its reason; nothing else with this run's marker.
    rows = defaultdict(list)
    for pk, reason in LeaveRequest.objects.filter(reason__startswith=f"{LEAVE_MARKER} {run_id} ").values_list(
            "pk", "reason"):
        rows[reason].append(pk)
    answered = {leave["reason"]: leave["id"] for leave in outcome["leaves"]}
    missing = [r for r in answered if not rows.get(r)]
    duplicated = [r for r, pks in rows.items() if len(pks) > 1]
    wrong_id = [r for r, pk in answered.items() if rows.get(r) and rows[r] != [pk]]
    # Posted, the client saw an error (a timeout), the server created it anyway: not lost, not duplicated,
    # already counted as an error of the run. A row that was never posted would be a failure.
    after_error = sorted(set(rows) - set(answered))
    never_posted = sorted(set(rows) - set(outcome["leave_attempts"]))
    checks["leave_requests"] = {
        "ok": not (missing or duplicated or wrong_id or never_posted), "answered_created": len(answered),
        "in_db": sum(len(p) for p in rows.values()), "posted": len(outcome["leave_attempts"]),
        "missing": missing[:10], "duplicated": duplicated[:10], "wrong_id": wrong_id[:10],
        "never_posted": never_posted[:10], "created_although_client_saw_error": len(after_error),
    }
    # Approvals: every success is approved in the database, by that approver.
    usernames = dict(User.objects.filter(username__in={a["approver"] for a in outcome["approvals"]})
                     .values_list("username", "pk"))
    state = {pk: (status, by) for pk, status, by in LeaveRequest.objects.filter(
        pk__in=[a["id"] for a in outcome["approvals"]]).values_list("pk", "status", "decided_by_id")}
    not_approved = [a["id"] for a in outcome["approvals"]
                    if state.get(a["id"]) != (LeaveStatus.APPROVED, usernames.get(a["approver"]))]
    checks["approvals"] = {"ok": not not_approved, "answered_approved": len(outcome["approvals"]),
                           "approved_in_db": len(outcome["approvals"]) - len(not_approved),
                           "not_approved": not_approved[:10]}
    # Register: every cell saved holds the value last written.
    wanted, owner = {}, {}
    for username, township in outcome["register"].items():
        for name, value in township["written"].items():
            _c, posting, day = name.split("_")
            key = (int(posting), datetime.date(int(day[:4]), int(day[4:6]), int(day[6:])))
            wanted[key], owner[key] = value, username
    held = {}
    for posting in {p for p, _d in wanted}:
        days = [d for p, d in wanted if p == posting]
        for day, status in AttendanceDay.objects.filter(posting_id=posting, day__in=days).values_list("day", "status"):
            held[(posting, day)] = status
    differ = [(p, d) for (p, d), v in sorted(wanted.items()) if held.get((p, d), "none") != v]
    failed_saves = {u: t.get("failed_saves", 0) for u, t in outcome["register"].items()}
    checks["register_cells"] = {
        "ok": not differ, "cells": len(wanted), "townships": len(outcome["register"]),
        "postings": len({p for p, _d in wanted}), "differ": len(differ),
        "differ_cells": [f"posting {p} {d} ({owner[(p, d)]}, {failed_saves[owner[(p, d)]]} failed saves): "
                         f"wrote {wanted[(p, d)]}, holds {held.get((p, d), 'none')}" for p, d in differ[:10]],
        # A save the client gave up on (timeout) may still run later and post its older grid over newer
        # saves: the townships whose cells differ, and whether they had such a save.
        "townships_differing": sorted({owner[k] for k in differ}),
        "townships_differing_without_failed_save": sorted({owner[k] for k in differ if not failed_saves[owner[k]]}),
    }
    # Reports: every one asked for is finished; its key has exactly one current version, the newest.
    ids = {r["id"] for r in outcome["reports"]}
    reports = {r.pk: r for r in Report.objects.filter(pk__in=ids)}
    unfinished = sorted(pk for pk in ids if pk not in reports or reports[pk].status != ReportStatus.DONE)
    keys = {(r["region"], r["period"]) for r in outcome["reports"]}
    bad_keys = []
    for region, period in sorted(keys):
        same = Report.objects.filter(kind="monthly", region_id=region, period=period)
        facts = same.aggregate(newest=Max("version"), current=Count("pk", filter=Q(is_current=True)))
        current = same.filter(is_current=True).first()
        if facts["current"] != 1 or current is None or current.version != facts["newest"] \
                or current.status != ReportStatus.DONE:
            bad_keys.append({"region": region, "period": period, "current_rows": facts["current"],
                             "newest_version": facts["newest"]})
    checks["reports"] = {"ok": not unfinished and not bad_keys, "requested": len(outcome["reports"]),
                         "distinct_reports": len(ids), "keys": len(keys), "unfinished": unfinished[:10],
                         "keys_without_one_current_newest": bad_keys[:10]}
    return checks


def wait_for_reports(ids: set[int], *, timeout: float) -> float:
    from reports.models import Report, ReportStatus

    started = time.monotonic()
    while ids and time.monotonic() - started < timeout:
        if not Report.objects.filter(pk__in=ids, status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING)).exists():
            break
        time.sleep(2)
    return round(time.monotonic() - started, 1)


def withdraw_leaves(prefix: str) -> tuple[int, int]:
    """Withdraw the soak's requests (reason starting with `prefix`) still submitted or approved, through the
    service and as their township official, as bench.measure leaves-cleanup does. Returns (withdrawn, left)."""
    from django.db import transaction
    from django.utils import timezone

    from attendance.models import LeaveRequest, LeaveStatus
    from attendance.services.leave import leave_withdraw
    from cadres.models import Role, User

    active = LeaveRequest.objects.filter(reason__startswith=prefix,
                                         status__in=(LeaveStatus.SUBMITTED, LeaveStatus.APPROVED))
    officials, withdrawn = {}, 0
    for leave in active.filter(start_date__gt=timezone.localdate()).select_related("village"):
        township_id = leave.village.township_id
        if township_id not in officials:
            officials[township_id] = User.objects.filter(role=Role.TOWNSHIP, region_id=township_id,
                                                         is_active=True).order_by("username").first()
        with transaction.atomic():
            leave_withdraw(actor=officials[township_id], leave_id=leave.pk)
        withdrawn += 1
    return withdrawn, active.count()


def clean_up(outcome: dict, *, run_id: str) -> dict:
    """Withdraw the run's leave requests and write the register cells back as they were."""
    from attendance.models import DaySource
    from attendance.services.register import Entry, register_write, tally_differences
    from cadres.models import Posting, User

    withdrawn, left = withdraw_leaves(f"{LEAVE_MARKER} {run_id} ")
    restored = 0
    postings = {int(name.split("_")[1]) for township in outcome["register"].values() for name in township["original"]}
    cadre_of = dict(Posting.objects.filter(pk__in=postings).values_list("pk", "cadre_id"))
    for username, township in outcome["register"].items():
        entries = []
        for name, value in township["original"].items():
            _c, posting, day = name.split("_")
            entries.append(Entry(cadre_id=cadre_of[int(posting)], status=value,
                                 day=datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))))
        restored += register_write(entries=entries, source=DaySource.TOWNSHIP,
                                   actor=User.objects.get(username=username), reason="耐久测试结束,还原")
    differences = tally_differences(posting_ids=sorted(postings)) if postings else []
    return {"leaves_withdrawn": withdrawn, "leaves_left_active": left, "register_cells_restored": restored,
            "tallies_of_touched_postings_agree": not differences, "tally_differences": differences[:10]}


# ============================================================================================ processes


def dedicated_redis(url: str, number: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


@contextlib.contextmanager
def servers(runner: Runner, url: str, redis_url: str, *, workers: int | None, logs: Path):
    """gunicorn as deployed (deploy/gunicorn.conf.py: gthread workers, 60 s timeout, worker recycling) and one
    Celery worker, both with the production settings (bench.run.Runner's environment) and the soak's own Redis
    database; stopped by their ids afterwards. Not bench/run.py's `-w 2` sync workers: a sync worker serves one
    connection at a time, which measures a flood, not 200 people with keep-alive browsers."""
    import redis

    redis.Redis.from_url(redis_url, socket_connect_timeout=3).flushdb()  # our own db number: no stale tasks
    env = runner.env(url)
    port = free_port()
    env.update({"REDIS_URL": redis_url, "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "GUNICORN_BIND": f"127.0.0.1:{port}"})
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    bin_dir = Path(PYTHON).parent
    celery_argv = [str(bin_dir / "celery"), "-A", "config", "worker", "--concurrency", "1", "--loglevel", "INFO",
                   "--without-gossip", "--without-mingle", "-n", f"soak-{os.getpid()}@%h"]
    web_argv = [str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"]
    logs.mkdir(parents=True, exist_ok=True)
    processes = []
    with open(logs / "soak-celery.log", "w") as celery_log, open(logs / "soak-gunicorn.log", "w") as web_log:
        try:
            processes.append(subprocess.Popen(celery_argv, cwd=ROOT, env=env, stdout=celery_log,  # noqa: S603
                                              stderr=subprocess.STDOUT))
            processes.append(subprocess.Popen(web_argv, cwd=ROOT, env=env, stdout=web_log,  # noqa: S603
                                              stderr=subprocess.STDOUT))
            deadline = time.monotonic() + 90
            while True:
                for process in processes:
                    if process.poll() is not None:
                        raise SoakError(f"{process.args[0]} exited ({process.returncode}); see {logs}/soak-*.log")
                web_ok = False
                with contextlib.suppress(OSError, http.client.HTTPException):
                    client = Client("127.0.0.1", port, timeout=5)
                    web_ok = client.request("GET", "/ping/", send_cookies=False).status == 200
                    client.close()
                if web_ok and " ready." in (logs / "soak-celery.log").read_text(errors="replace"):
                    break
                if time.monotonic() > deadline:
                    raise SoakError(f"gunicorn or the Celery worker not ready within 90 s; see {logs}/soak-*.log")
                time.sleep(0.5)
            log(f"gunicorn (deploy/gunicorn.conf.py, GUNICORN_WORKERS={env.get('GUNICORN_WORKERS', 'default')}) "
                f"on 127.0.0.1:{port} pid {processes[1].pid}; "
                f"celery worker pid {processes[0].pid} on {redis_url}")
            shown = {"server": (f"DATABASE_URL={url} REDIS_URL={redis_url} DJANGO_SETTINGS_MODULE=config.settings."
                                f"production DJANGO_SECRET_KEY=... DJANGO_ALLOWED_HOSTS=127.0.0.1 "
                                f"DJANGO_SECURE_SSL_REDIRECT=0 GUNICORN_BIND=127.0.0.1:{port} "
                                + (f"GUNICORN_WORKERS={workers} " if workers else "") + shlex.join([".venv/bin/gunicorn", *web_argv[1:]])),
                     "worker": shlex.join([".venv/bin/celery", *celery_argv[1:]])}
            yield port, shown
        finally:
            for process in reversed(processes):
                process.terminate()  # by id: the gunicorn master stops its workers, celery its child
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


class LoadAverage(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(10):
            self.samples.append(os.getloadavg()[0])


def soak(*, url: str, seconds: float, users: int, redis_url: str, think: tuple[float, float], ramp: float,
         workers: int | None = None, seed: int = 1, output: Path | None = None, logs: Path = RESULTS,
         weights: dict | None = None) -> dict:
    """The whole soak on `url` (Django must be set up on the same database). Returns the results."""
    run_id = secrets.token_hex(4)
    started_at = datetime.datetime.now(zoneinfo.ZoneInfo(TIME_ZONE))
    results: dict = {"date": None, "run_id": run_id, "database": db_name(url)}
    with contextlib.suppress(Exception):  # the machine's description is nice to have, never a reason to fail
        results["machine"] = machine(url)
    results.setdefault("machine", {"nproc": os.cpu_count(), "load_average_at_start":
                                   [round(x, 2) for x in os.getloadavg()]})
    log(f"planning {users} users on {db_name(url)}")
    plan = make_plan(users=users, seed=seed)
    leftovers, _left = withdraw_leaves(LEAVE_MARKER)  # an earlier soak that did not finish
    if leftovers:
        log(f"  withdrew {leftovers} leave requests left by an earlier soak")
    log(f"  {plan['roles']}; register month {plan['save_month']}, reports of {plan['report_period']}")
    runner = Runner(os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50))
    runner.manage(url, "collectstatic", "--noinput", "-v", "0")  # the production settings serve a manifest
    spec = {"host": "127.0.0.1", "seconds": seconds, "ramp": ramp, "think": list(think), "seed": seed,
            "run_id": run_id, "password": PASSWORD, "weights": weights or {},
            **{k: plan[k] for k in ("today", "save_month", "report_period", "people")}}
    sampler = LoadAverage()
    try:
        with servers(runner, url, redis_url, workers=workers, logs=logs) as (port, commands):
            spec["port"] = port
            spec_path, out_path = runner.workdir / "soak-spec.json", runner.workdir / "soak-out.json"
            spec_path.write_text(json.dumps(spec, ensure_ascii=False))
            argv = [PYTHON, "-m", "bench.soak", "--load", str(spec_path), "--out", str(out_path)]
            log(f"load: {len(plan['people'])} users for {seconds:.0f}s (ramp-up {ramp:.0f}s, "
                f"think {think[0]}-{think[1]}s)")
            sampler.start()
            process = subprocess.Popen(argv, cwd=ROOT)  # noqa: S603 - our own argv
            _pid, status, usage = os.wait4(process.pid, 0)
            sampler.done.set()
            if os.waitstatus_to_exitcode(status):
                raise SoakError(f"the load process failed ({os.waitstatus_to_exitcode(status)})")
            outcome = json.loads(out_path.read_text())
            # Kept (bench/results/soak-load.json): what was written and the originals of the register cells,
            # should the checks or the clean-up below fail half-way.
            shutil.copyfile(out_path, logs / "soak-load.json")
            log(f"  {outcome['requests']} requests, {outcome['errors']} errors; waiting for the reports")
            report_wait = wait_for_reports({r["id"] for r in outcome["reports"]}, timeout=600)
    finally:
        shutil.rmtree(runner.workdir, ignore_errors=True)
    log("checking the writes")
    checks = check_writes(plan, outcome, run_id=run_id)
    tally_started = time.monotonic()
    tally = subprocess.run([PYTHON, "manage.py", "register_tallies", "--check"], cwd=ROOT,  # noqa: S603
                           env=runner.env(url), capture_output=True, text=True)
    checks["register_tallies"] = {"ok": tally.returncode == 0, "seconds": round(time.monotonic() - tally_started, 1),
                                  "output": (tally.stdout + tally.stderr).strip().splitlines()[-5:]}
    log("cleaning up")
    cleanup = clean_up(outcome, run_id=run_id)
    samples = sampler.samples or [os.getloadavg()[0]]
    results.update({
        "date": started_at.isoformat(timespec="seconds"),
        "duration_s": outcome["seconds"], "users": len(plan["people"]), "roles": plan["roles"],
        "think_s": list(think), "ramp_s": ramp,
        "gunicorn": {"config": "deploy/gunicorn.conf.py", "workers": workers or 2 * (os.cpu_count() or 1) + 1,
                     "threads": 2},
        "requests": outcome["requests"], "rps": outcome["rps"], "errors": outcome["errors"],
        "stuck_users": outcome["stuck_users"], "kinds": outcome["kinds"],
        "steady_kinds": outcome.get("steady_kinds", {}), "error_samples": outcome["error_samples"],
        "checks": checks, "cleanup": cleanup, "report_wait_s": report_wait,
        "load_average": {"start": results["machine"].get("load_average_at_start"),
                         "during_max": round(max(samples), 2), "during_mean": round(sum(samples) / len(samples), 2),
                         "end": [round(x, 2) for x in os.getloadavg()]},
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "plan": {k: plan[k] for k in ("today", "save_month", "report_period", "counties", "townships",
                                      "excluded_counties")},
        "commands": {"soak": f"DATABASE_URL={url} .venv/bin/python -m bench.soak --minutes {seconds / 60:g} "
                             f"--users {users}", **commands},
    })
    results["ok"] = (results["errors"] == 0 and all(c["ok"] for c in checks.values())
                     and cleanup["leaves_left_active"] == 0 and cleanup["tallies_of_touched_postings_agree"])
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    return results


def table(results: dict) -> str:
    lines = [f"soak {results['date']} on {results['database']}: {results['users']} users {results['roles']}, "
             f"{results['duration_s']}s, {results['requests']} requests ({results['rps']}/s), "
             f"{results['errors']} errors; load average max {results['load_average']['during_max']}",
             "", f"{'kind':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"]
    for kind, k in results["kinds"].items():
        lines.append(f"{kind:<16}{k['requests']:>9}{k['errors']:>8}{k['p50_ms']:>9}{k['p95_ms']:>9}"
                     f"{k['p99_ms']:>9}{k['max_ms']:>9}")
    if results.get("steady_kinds"):
        lines += ["", f"after the ramp-up ({results['ramp_s']:.0f}s): requests sent once everyone is logged in",
                  f"{'kind':<16}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"]
        for kind, k in results["steady_kinds"].items():
            lines.append(f"{kind:<16}{k['requests']:>9}{k['p50_ms']:>9}{k['p95_ms']:>9}{k['p99_ms']:>9}{k['max_ms']:>9}")
    lines.append("")
    for name, check in results["checks"].items():
        detail = {k: v for k, v in check.items() if k != "ok" and v not in ([], None, 0)}
        lines.append(f"check {name}: {'ok' if check['ok'] else 'FAILED'} {detail}")
    lines.append(f"cleanup: {results['cleanup']}")
    for sample in results["error_samples"][:10]:
        lines.append(f"error: {sample}")
    lines.append("RESULT: " + ("ok" if results["ok"] else "FAILED"))
    return "\n".join(lines)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think", default="1-5", help="seconds between a person's actions, uniform (default 1-5)")
    parser.add_argument("--ramp", type=float, default=None,
                        help="seconds over which the people log in (default: a quarter of the run, at most 180)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: deploy/gunicorn.conf.py's, 2 x cores + 1, 2 threads each)")
    parser.add_argument("--redis-db", type=int, default=REDIS_DB, help=f"Redis database number (default {REDIS_DB})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS / "soak.json")
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)  # the load process: spec file
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        args.out.write_text(json.dumps(run_load(json.loads(args.load.read_text())), ensure_ascii=False))
        return 0
    url = os.environ.get("DATABASE_URL", "")
    check_postgres(url)
    redis_url = dedicated_redis(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0", args.redis_db)
    low, high = (float(x) for x in args.think.split("-"))
    seconds = args.minutes * 60
    setup_django()
    try:
        results = soak(url=url, seconds=seconds, users=args.users, redis_url=redis_url, think=(low, high),
                       ramp=args.ramp if args.ramp is not None else min(180.0, seconds / 4), workers=args.workers,
                       seed=args.seed, output=args.output)
    except SoakError as exc:
        log(f"failed: {exc}")
        return 1
    print(table(results))
    print(f"\nwritten {args.output}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
