"""The HTTP side of the benchmark, standard library only (no Django import, so it can run as the separate
load process without loading the application it measures).

- `Client`: one keep-alive connection (http.client) with the two cookies the application needs (session and
  CSRF) and the form encoding of its pages; it logs in through /accounts/login/ like a browser. The
  production settings mark both cookies Secure; a browser would not send them over plain HTTP, this client
  does, so the benchmark can use the production settings unchanged on 127.0.0.1.
- `time_page`: sequential requests of one page, latency per request.
- `python -m bench.load --spec FILE --out FILE`: the load generator. Threads, one connection each, run one
  scenario for a fixed time and count successes and errors:
    ping      GET /ping/ without cookies (the baseline: Django with no database work);
    floor     POST /bench/write-floor/ as the county approver, a session per connection (bench/urls.py: the
              least an authenticated write costs: session, user, CSRF, one row committed, a redirect);
    approve   POST /leave/<id>/approve/ as one county approver, each request a different submitted leave;
    save      POST /register/ as one township official per connection: a few cells of the township's month
              changed (in the village <-> official business), posted as the page's form sends them (its
              script posts only the changed cells), the grid restored afterwards (untimed). Each save changes
              days this connection has not changed since it read the grid: a day changed after the page was
              read is refused as a stale form (the browser reads the grid again after every save); when none
              is left the grid is read again (not counted as a save, but inside the scenario's time).
  A POST answered with a redirect counts as a success only when the message the application queued for the
  next page is not an error (the messages cookie is read; the service refusing answers with a redirect too).
"""
import argparse
import base64
import contextlib
import http.client
import json
import random
import re
import statistics
import threading
import time
import zlib
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

KEPT_COOKIES = ("sessionid", "csrftoken")
ERROR_LEVEL = 40  # django.contrib.messages.constants.ERROR
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SELECT = re.compile(r'<select name="(c_\d+_(\d{8}))"[^>]*>(.*?)</select>', re.S)
SELECTED = re.compile(r'<option value="([^"]+)" selected>')
SEEN = re.compile(r'<input type="hidden" name="seen" value="([^"]+)">')  # when the page read its grid
FLIP = {"present": "business", "business": "present", "none": "present"}


class Response:
    __slots__ = ("status", "body", "seconds", "location", "messages")

    def __init__(self, status: int, body: bytes, seconds: float, location: str, messages: list) -> None:
        self.status, self.body, self.seconds, self.location, self.messages = status, body, seconds, location, messages

    @property
    def error_message(self) -> bool:
        return any(level >= ERROR_LEVEL for level, _text in self.messages)


def decode_messages(value: str) -> list[tuple[int, str]]:
    """(level, text) of django.contrib.messages' cookie: "payload:timestamp:signature", the payload a base64
    JSON list, zlib-compressed when it starts with a dot. The signature is not checked: the benchmark only
    reads what the server just sent."""
    try:
        payload = value.strip('"').split(":", 1)[0]
        compressed = payload.startswith(".")
        raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
        if compressed:
            raw = zlib.decompress(raw)
        data = json.loads(raw)
    except (ValueError, zlib.error):
        return []
    found = []

    def walk(item) -> None:
        if isinstance(item, list):
            if len(item) >= 4 and item[0] == "__json_message" and isinstance(item[2], int):
                found.append((item[2], str(item[3])))
            else:
                for inner in item:
                    walk(inner)

    walk(data)
    return found


class Client:
    def __init__(self, host: str, port: int, cookies: dict | None = None, timeout: float = 300) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.cookies: dict[str, str] = dict(cookies or {})

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, fields: list[tuple[str, str]] | None = None,
                send_cookies: bool = True) -> Response:
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "zh-CN"}
        body = None
        if send_cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if fields is not None:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed between two requests: only a GET is retried (a
                # POST may have been done).
                self.conn.close()
                if method != "GET" or attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - started
            break
        messages = []
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if name in KEPT_COOKIES and morsel.value:
                    self.cookies[name] = morsel.value
                elif name == "messages" and morsel.value:
                    messages = decode_messages(morsel.value)
        if response.will_close:
            self.conn.close()
        return Response(response.status, data, seconds, response.getheader("Location", ""), messages)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]]) -> Response:
        return self.request("POST", path, [("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")), *fields])

    def login(self, username: str, password: str) -> None:
        """Through the login form, as a person would: one attempt (django-axes locks out after failures)."""
        page = self.get("/accounts/login/")
        match = CSRF_FIELD.search(page.body.decode())
        if page.status != 200 or match is None:
            raise RuntimeError(f"login page answered {page.status}")
        answer = self.request("POST", "/accounts/login/", [
            ("csrfmiddlewaretoken", match.group(1)), ("username", username), ("password", password), ("next", "/"),
        ])
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed: {answer.status} (wrong password or locked out?)")


def percentile(values: list[float], share: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def time_page(client: Client, path: str, *, warmup: int, requests: int) -> dict:
    """Sequential GETs of one page: p50 and p95 in milliseconds, with the status and size seen."""
    for _ in range(warmup):
        client.get(path)
    times, statuses, size = [], set(), 0
    for _ in range(requests):
        response = client.get(path)
        times.append(response.seconds * 1000)
        statuses.add(response.status)
        size = len(response.body)
    return {
        "p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1), "requests": requests, "statuses": sorted(statuses), "bytes": size,
    }


# ------------------------------------------------------------------------------------------------ load


class Worker(threading.Thread):
    def __init__(self, scenario: "Scenario", index: int) -> None:
        super().__init__(daemon=True)
        self.scenario, self.index = scenario, index
        self.ok, self.errors, self.latencies, self.error_samples = 0, 0, [], []
        self.setup_error = ""

    def run(self) -> None:
        scenario = self.scenario
        try:
            client = scenario.client_for(self.index)
        except Exception as exc:  # noqa: BLE001 - reported with the result, the other workers go on
            client, self.setup_error = None, f"{type(exc).__name__}: {exc}"
        scenario.gate.wait()  # every client is ready (logged in, grid read) before the clock starts
        scenario.ready.wait()
        while client is not None and time.monotonic() < scenario.deadline:
            try:
                outcome = scenario.one(client, self.index)
            except StopIteration:
                break
            except (OSError, http.client.HTTPException, RuntimeError) as exc:  # RuntimeError: a grid not read
                client.close()
                outcome = (False, 0.0, f"{type(exc).__name__}: {exc}")
            ok, seconds, why = outcome
            self.latencies.append(seconds * 1000)
            if ok:
                self.ok += 1
            else:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(why)
        scenario.finished_at[self.index] = time.monotonic()


class Scenario:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.host, self.port = spec["host"], spec["port"]
        self.gate = threading.Barrier(spec["connections"] + 1)
        self.ready = threading.Event()
        self.deadline = float("inf")
        self.finished_at: dict[int, float] = {}

    def client_for(self, index: int) -> Client:
        return Client(self.host, self.port)

    def one(self, client: Client, index: int) -> tuple[bool, float, str]:
        raise NotImplementedError

    def after(self) -> dict:
        return {}


class Ping(Scenario):
    def one(self, client, index):
        response = client.request("GET", "/ping/", send_cookies=False)
        return response.status == 200, response.seconds, str(response.status)


def _redirected_ok(response: Response) -> tuple[bool, float, str]:
    if response.status != 302:
        return False, response.seconds, f"HTTP {response.status}"
    if response.location.split("?")[0].endswith("/accounts/login/"):  # signed out: nothing was done
        return False, response.seconds, "redirected to the login page"
    if response.error_message:
        return False, response.seconds, "; ".join(t for lvl, t in response.messages if lvl >= ERROR_LEVEL)[:200]
    return True, response.seconds, ""


class WriteFloor(Scenario):
    def client_for(self, index):
        return Client(self.host, self.port, cookies=self.spec["sessions"][index])

    def one(self, client, index):
        return _redirected_ok(client.post(self.spec.get("path", "/bench/write-floor/"), []))


class Approve(Scenario):
    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self.ids = iter(spec["leave_ids"])
        self.lock = threading.Lock()

    def client_for(self, index):
        return Client(self.host, self.port, cookies=self.spec["sessions"][0])

    def one(self, client, index):
        with self.lock:
            leave_id = next(self.ids)  # StopIteration ends the worker: the prepared requests are used up
        return _redirected_ok(client.post(f"/leave/{leave_id}/approve/", [("comment", "")]))


class Save(Scenario):
    """Each connection is one township official saving their own month."""

    def __init__(self, spec: dict) -> None:
        super().__init__(spec)
        self.grids: dict[int, dict] = {}
        self.original: dict[int, dict] = {}
        self.rngs = [random.Random(i) for i in range(spec["connections"])]
        self.changed_cells = int(spec.get("changed_cells", 3))

    def client_for(self, index):
        client = Client(self.host, self.port, cookies=self.spec["sessions"][index])
        self.load_grid(client, index)
        self.original[index] = dict(self.grids[index]["cells"])
        return client

    def load_grid(self, client: Client, index: int) -> None:
        township = self.spec["townships"][index]
        page = client.get(f"/register/?township={township['pk']}&month={self.spec['month']}")
        if page.status != 200:
            raise RuntimeError(f"register page of {township['code']}: HTTP {page.status}")
        cells, days = {}, {}
        for name, day, options in SELECT.findall(page.body.decode()):
            chosen = SELECTED.search(options)
            cells[name] = chosen.group(1) if chosen else "none"
            days[name] = day
        today = self.spec["today"].replace("-", "")
        # Only past days are changed, and only to states a township may set freely (an unrecorded day is
        # recorded as in the village; then it alternates with official business).
        flippable = [n for n, v in cells.items() if days[n] < today and v in FLIP]
        if not flippable:
            raise RuntimeError(f"register of {township['code']} {self.spec['month']}: no editable past day")
        seen = SEEN.search(page.body.decode())
        self.rngs[index].shuffle(flippable)
        self.grids[index] = {"cells": cells, "flippable": flippable, "township": township,
                             "seen": seen.group(1) if seen else ""}

    def form(self, index: int, cells: dict) -> list[tuple[str, str]]:
        grid = self.grids[index]
        return [("month", self.spec["month"]), ("township", str(grid["township"]["pk"])), ("action", "save"),
                ("seen", grid["seen"]), *cells.items()]

    def one(self, client, index):
        grid = self.grids[index]
        if len(grid["flippable"]) < self.changed_cells:
            self.load_grid(client, index)  # as a browser would after saving: the page's time is now
            grid = self.grids[index]
        cells = dict(grid["cells"])
        # Days not yet changed since the grid was read (shuffled once per read).
        chosen = [grid["flippable"].pop() for _ in range(min(self.changed_cells, len(grid["flippable"])))]
        for name in chosen:
            cells[name] = FLIP[cells[name]]
        # As the browser sends it: the page's script (static/js/register.js) disables the unchanged cells, so
        # only the changed ones are posted.
        changed = {name: value for name, value in cells.items() if value != grid["cells"][name]}
        outcome = _redirected_ok(client.post("/register/", self.form(index, changed)))
        if outcome[0]:
            grid["cells"] = cells
        else:
            self.load_grid(client, index)  # start again from what the server holds
        return outcome

    def after(self) -> dict:
        restored = 0
        for index, cells in self.original.items():
            client = Client(self.host, self.port, cookies=self.spec["sessions"][index])
            with contextlib.suppress(OSError, http.client.HTTPException, RuntimeError):
                self.load_grid(client, index)  # what the server holds now, and a page time after every save
                current = self.grids[index]["cells"]
                changed = {name: value for name, value in cells.items() if value != current.get(name)}
                answer = client.post("/register/", self.form(index, changed))
                if answer.status == 302 and not answer.error_message:
                    restored += 1
            client.close()
        return {"grids_restored": restored}


SCENARIOS = {"ping": Ping, "floor": WriteFloor, "approve": Approve, "save": Save}


def run(spec: dict) -> dict:
    scenario = SCENARIOS[spec["scenario"]](spec)
    workers = [Worker(scenario, i) for i in range(spec["connections"])]
    for worker in workers:
        worker.start()
    scenario.gate.wait()
    started = time.monotonic()
    scenario.deadline = started + spec["seconds"]
    scenario.ready.set()
    for worker in workers:
        worker.join()
    elapsed = max(scenario.finished_at.values(), default=started) - started
    ok = sum(w.ok for w in workers)
    # A connection that could not even start (login, grid) counts as one error.
    errors = sum(w.errors for w in workers) + sum(1 for w in workers if w.setup_error)
    latencies = [x for w in workers for x in w.latencies]
    return {
        "scenario": spec["scenario"], "connections": spec["connections"], "seconds": round(elapsed, 2),
        "ok": ok, "errors": errors, "rps": round(ok / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.5), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "exhausted": spec["scenario"] == "approve" and elapsed < spec["seconds"] - 0.5,
        "error_samples": [s for w in workers for s in w.error_samples][:10],
        "setup_errors": [w.setup_error for w in workers if w.setup_error],
        **scenario.after(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description="load generator (see module doc)")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    spec = json.loads(Path(args.spec).read_text())
    Path(args.out).write_text(json.dumps(run(spec), ensure_ascii=False))


if __name__ == "__main__":
    main()
