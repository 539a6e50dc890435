"""`make bench`: the province-scale benchmark (issue "performance at province scale").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_scale make bench        # 60,000 cadres
    DATABASE_URL=... CADRES=6000 make bench                                         # the quick run

Measures in one run and writes bench/results/latest.json plus a printed table, each figure with the command
that produced it:

1. monthly_report / annual_report: the province's report built as `manage.py build_report` builds it, against
   its floor (one GROUP BY over the period's register rows + an xlsx of the same size as the report's largest
   sheet, openpyxl write-only): seconds, floor seconds, ratio, peak RSS. Each build and each floor runs in a
   fresh process (python -m bench.measure), timed from the call to the saved file; median of BENCH_REPEAT.
2. memory: peak RSS of the monthly report at the small and the large scale.
3. pages: p50/p95 over BENCH_PAGE_REQUESTS sequential requests per page through gunicorn (2 workers) after a
   warm-up, and the SQL queries each page makes at both scales.
4. throughput: leave approvals and register saves per second from a separate load process (bench.load,
   BENCH_CONNECTIONS connections for BENCH_LOAD_SECONDS each), against GET /ping/ on the same server.

Data: the large database is DATABASE_URL's, the small one the same server's <name>_small, both created,
migrated and filled by `manage.py generate_scale` when they do not hold the requested number of cadres for
the requested year (reused otherwise). Every Django process runs with the production settings
(config.settings.production) over plain HTTP on 127.0.0.1 (DJANGO_SECURE_SSL_REDIRECT=0); the benchmark's
HTTP client sends the Secure cookies itself, so no setting is relaxed.

Environment: CADRES (60000), BENCH_SMALL_CADRES (CADRES/10), BENCH_YEAR (this year), BENCH_REPEAT (3),
BENCH_PAGE_REQUESTS (50), BENCH_LOAD_SECONDS (20), BENCH_CONNECTIONS (8), BENCH_LEAVES (3000)."""
import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import resource
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.load import Client, time_page

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
TIME_ZONE = "Asia/Shanghai"  # config.settings.base.TIME_ZONE: "today" and "last month" as the application sees them
# bench.generate.SCALE_PASSWORD, the published password of the generated accounts (not imported: that module
# needs Django set up).
PASSWORD = "Scale@2025"  # noqa: S105
TARGETS = {
    "monthly_ratio": 1.3, "annual_ratio": 0.6, "memory_mb": 300, "memory_ratio": 1.3, "page_p95_ms": 150,
    "throughput_ratio": 0.4,
}
STARTED = time.monotonic()


class BenchError(RuntimeError):
    pass


def log(text: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:7.1f}s] {text}", file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# ------------------------------------------------------------------------------------------ processes


class Runner:
    """Starts the Django processes with one environment per database and keeps the command of each figure."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.workdir = Path(tempfile.mkdtemp(prefix="zhucun-bench-"))

    def env(self, url: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": self.secret,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    @staticmethod
    def shown(url: str, argv: list[str]) -> str:
        """The command as a person would type it from the project directory."""
        words = [".venv/bin/python" if a == PYTHON else a for a in argv]
        return f"DATABASE_URL={url} DJANGO_SETTINGS_MODULE=config.settings.production " + shlex.join(words)

    def run(self, url: str, argv: list[str]) -> tuple[int, "resource.struct_rusage"]:
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env(url))  # noqa: S603 - our own argv
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        return process.returncode, usage

    def manage(self, url: str, *args: str) -> None:
        code, _usage = self.run(url, [PYTHON, "manage.py", *args])
        if code:
            raise BenchError(f"manage.py {' '.join(args)} failed ({code})")

    def measure(self, url: str, command: str, *args: str) -> tuple[dict, str]:
        out = self.workdir / f"{command}-{secrets.token_hex(4)}.json"
        argv = [PYTHON, "-m", "bench.measure", command, *args, "--json", str(out)]
        code, usage = self.run(url, argv)
        if code:
            raise BenchError(f"bench.measure {command} failed ({code}): {self.shown(url, argv)}")
        result = json.loads(out.read_text())
        out.unlink()
        if isinstance(result, dict):
            result.setdefault("wait4_maxrss_mb", round(usage.ru_maxrss / 1024, 1))
        return result, self.shown(url, argv[:-2])


# ----------------------------------------------------------------------------------------------- data


def check_postgres(url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(
            "make bench needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:5432/NAME "
            + (f"(got {scheme}://…; " if url else "(DATABASE_URL is not set; ")
            + "the province's 20 million register rows need PostgreSQL, and the generator uses its COPY)."
        )


def with_name(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def db_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def libpq(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql")) if parts.scheme == "pgsql" else url


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = db_name(url)
    with psycopg.connect(libpq(with_name(url, "postgres")), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(libpq(with_name(url, "postgres"))) as conn:
        return conn.execute("SELECT version()").fetchone()[0]


def prepare_data(runner: Runner, url: str, cadres: int, year: int) -> dict:
    """Migrate, then reuse the generated province when it has `cadres` cadres and a register of `year`;
    otherwise generate it again (--force replaces it)."""
    ensure_database(url)
    runner.manage(url, "migrate", "--noinput", "-v", "0")
    counts, _cmd = runner.measure(url, "counts")
    have = counts["tables"].get("cadres.Cadre", 0)
    first = counts["register_first_day"]
    if counts["generated"] and have == cadres and first and first.startswith(f"{year}-"):
        log(f"{db_name(url)}: reusing {have:,} cadres, register {first} .. {counts['register_last_day']}")
        yesterday = datetime.datetime.now(zoneinfo.ZoneInfo(TIME_ZONE)).date() - datetime.timedelta(days=1)
        if counts["register_last_day"] < min(yesterday, datetime.date(year, 12, 31)).isoformat():
            log("  the register stops before yesterday (generated on an earlier day): the days since are "
                "unrecorded; regenerate with `manage.py generate_scale --force` for a fresh month")
        counts["generated_now"] = False
        return counts
    log(f"{db_name(url)}: generating {cadres:,} cadres for {year} (found {have:,}, register from {first})")
    started = time.monotonic()
    runner.manage(url, "generate_scale", "--cadres", str(cadres), "--year", str(year), "--force")
    counts, _cmd = runner.measure(url, "counts")
    counts["generated_now"] = True
    counts["generate_seconds"] = round(time.monotonic() - started, 1)
    return counts


# -------------------------------------------------------------------------------------------- reports


def sheet_shape(path: Path) -> dict:
    """Rows and columns of the workbook's largest sheet, and one of its fullest data rows (the floor writes
    that row again and again)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    best = None
    for ws in wb.worksheets:
        rows, cols, sample = 0, 0, []
        for row in ws.iter_rows(values_only=True):
            rows += 1
            filled = [i for i, v in enumerate(row) if v is not None]
            width = filled[-1] + 1 if filled else 0
            cols = max(cols, width)
            if rows > 4 and len(filled) > sum(v is not None for v in sample):
                sample = list(row[:width])
        if best is None or rows * cols > best["rows"] * best["cols"]:
            best = {"sheet": ws.title, "rows": rows, "cols": cols, "row": sample}
    wb.close()
    best["row"] = [v if isinstance(v, int | float | str) or v is None else str(v) for v in best["row"]]
    return best


def measure_report(runner: Runner, url: str, *, kind: str, period: str, region: str, repeat: int,
                   with_floor: bool = True) -> dict:
    """Report and floor, alternately, `repeat` times each; medians. The first report gives the floor its
    shape. A build that fails (the code may be half-way through a change) is recorded and skipped."""
    output = runner.workdir / f"{kind}-{db_name(url)}.xlsx"
    floor_output = runner.workdir / f"{kind}-{db_name(url)}-floor.xlsx"
    sample = runner.workdir / f"{kind}-sample.json"
    report_args = ["report", "--kind", kind, "--period", period, "--region", region, "--output", str(output)]
    floor_args = ["floor", "--kind", kind, "--period", period, "--sample", str(sample), "--output", str(floor_output)]
    commands = {"report": runner.shown(url, [PYTHON, "-m", "bench.measure", *report_args])}
    if with_floor:
        commands["floor"] = runner.shown(url, [PYTHON, "-m", "bench.measure", *floor_args])
    reports, floors, failures, shape = [], [], [], None
    for i in range(repeat):
        log(f"{kind} report on {db_name(url)}, run {i + 1}/{repeat}")
        try:
            result, _cmd = runner.measure(url, *report_args)
        except BenchError as exc:
            failures.append(str(exc))
            log(f"  FAILED: {exc}")
            continue
        reports.append(result)
        log(f"  {result['seconds']:.2f}s, peak {result['peak_rss_mb']} MB")
        if not with_floor:
            continue
        if shape is None:
            shape = sheet_shape(output)
            sample.write_text(json.dumps(shape, ensure_ascii=False))
            log(f"  largest sheet {shape['sheet']}: {shape['rows']:,} rows x {shape['cols']} columns")
        try:
            result, _cmd = runner.measure(url, *floor_args)
        except BenchError as exc:
            failures.append(str(exc))
            log(f"  floor FAILED: {exc}")
            continue
        floors.append(result)
        log(f"  floor {result['seconds']:.2f}s (query {result['query_seconds']:.2f}s)")
    figure: dict = {"seconds": None, "floor_seconds": None, "ratio": None, "peak_rss_mb": None,
                    "commands": commands}
    if not with_floor:
        del figure["floor_seconds"], figure["ratio"]
    if failures:
        figure["failures"] = failures
    if reports:
        seconds = statistics.median(r["seconds"] for r in reports)
        figure.update({
            "seconds": round(seconds, 2),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in reports),
            "startup_rss_mb": reports[0]["startup_rss_mb"],
            "samples": [r["seconds"] for r in reports],
        })
    if reports and floors:
        floor = statistics.median(f["seconds"] for f in floors)
        figure.update({
            "floor_seconds": round(floor, 2),
            "ratio": round(figure["seconds"] / floor, 2),
            "floor_query_seconds": round(statistics.median(f["query_seconds"] for f in floors), 2),
            "floor_samples": [f["seconds"] for f in floors],
            "floor_peak_rss_mb": max(f["peak_rss_mb"] for f in floors),
            "sheet": {k: shape[k] for k in ("sheet", "rows", "cols")},
        })
    return figure


# ------------------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(runner: Runner, url: str):
    port = free_port()
    argv = [str(Path(PYTHON).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
            # a slow page is measured, not killed at gunicorn's default 30 s
            "--timeout", "120", "bench.wsgi"]
    env = runner.env(url)
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "gunicorn.log", "w") as logfile:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise BenchError(f"gunicorn exited ({process.returncode}); see bench/results/gunicorn.log")
                with contextlib.suppress(OSError):
                    client = Client("127.0.0.1", port, timeout=5)
                    if client.request("GET", "/ping/", send_cookies=False).status == 200:
                        client.close()
                        break
                if time.monotonic() > deadline:
                    raise BenchError("gunicorn did not answer /ping/ within 60 s")
                time.sleep(0.3)
            log(f"gunicorn (2 workers) on 127.0.0.1:{port}, pid {process.pid}")
            shown = [".venv/bin/gunicorn", *argv[1:]]
            yield port, (f"DATABASE_URL={url} DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=... "
                         f"DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_SECURE_SSL_REDIRECT=0 {shlex.join(shown)}")
        finally:
            process.terminate()  # the master, by its id: it stops its workers
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def login(port: int, username: str) -> Client:
    client = Client("127.0.0.1", port)
    client.login(username, PASSWORD)
    return client


def measure_pages(port: int, plan: dict, *, requests: int, warmup: int = 5) -> dict:
    clients: dict[str, Client] = {}
    result = {}
    for name, page in plan["pages"].items():
        log(f"page {name}: {page['path']} as {page['user']}")
        try:
            client = clients.get(page["user"]) or clients.setdefault(page["user"], login(port, page["user"]))
            result[name] = {**time_page(client, page["path"], warmup=warmup, requests=requests),
                            "user": page["user"], "path": page["path"]}
        except (OSError, RuntimeError, http.client.HTTPException) as exc:
            log(f"  FAILED: {exc}")
            result[name] = {"p50_ms": None, "p95_ms": None, "statuses": [], "error": str(exc),
                            "user": page["user"], "path": page["path"]}
            continue
        log(f"  p50 {result[name]['p50_ms']} ms, p95 {result[name]['p95_ms']} ms, "
            f"{result[name]['bytes']:,} bytes, status {result[name]['statuses']}")
    for client in clients.values():
        client.close()
    return result


def load(runner: Runner, spec: dict) -> tuple[dict, str]:
    """One scenario in a separate process (python -m bench.load); its CPU time is reported too, since it
    shares the machine with the server."""
    name = spec["scenario"]
    spec_path, out = runner.workdir / f"load-{name}.json", runner.workdir / f"load-{name}-out.json"
    spec_path.write_text(json.dumps(spec))
    argv = [PYTHON, "-m", "bench.load", "--spec", str(spec_path), "--out", str(out)]
    process = subprocess.Popen(argv, cwd=ROOT)  # noqa: S603 - our own argv
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise BenchError(f"bench.load {name} failed ({process.returncode})")
    result = json.loads(out.read_text())
    result["client_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
    return result, shlex.join([".venv/bin/python", "-m", "bench.load", "--spec", f"<{name} spec>", "--out", "out.json"])


def measure_throughput(runner: Runner, url: str, port: int, plan: dict, *, seconds: int, connections: int,
                       leaves: int) -> tuple[dict, dict, dict]:
    """The baseline (/ping/), the write floor, then approvals, then register saves; a scenario that cannot run
    is recorded as failed and the others still run."""
    common = {"host": "127.0.0.1", "port": port, "seconds": seconds, "connections": connections,
              "today": plan["today"]}
    commands: dict[str, str] = {}
    failed = {"rps": 0.0, "errors": None}

    log(f"throughput: baseline GET /ping/, {connections} connections, {seconds}s")
    try:
        ping, commands["ping"] = load(runner, {**common, "scenario": "ping"})
        log(f"  {ping['rps']} req/s, errors {ping['errors']}, client CPU {ping['client_cpu_seconds']}s")
    except BenchError as exc:
        ping = {**failed, "error": str(exc)}
        log(f"  FAILED: {exc}")

    county = plan["county_b"]
    log(f"throughput: the write floor, POST /bench/write-floor/ as {county['user']}, {connections} connections")
    try:
        sessions = []
        for _ in range(connections):  # a session each: concurrent writes of one session would overwrite each other
            writer = login(port, county["user"])
            sessions.append(writer.cookies)
            writer.close()
        floor, commands["floor"] = load(runner, {**common, "scenario": "floor", "sessions": sessions})
        log(f"  {floor['rps']} req/s, errors {floor['errors']}, client CPU {floor['client_cpu_seconds']}s")
    except (BenchError, OSError, RuntimeError, http.client.HTTPException) as exc:
        floor = {**failed, "error": str(exc)}
        log(f"  FAILED: {exc}")

    log(f"throughput: preparing {leaves} submitted leave requests for {county['name']} ({county['user']})")
    try:
        prepared, commands["approve_prepare"] = runner.measure(url, "leaves-prepare", "--county", county["code"],
                                                                "--count", str(leaves))
        log(f"  {len(prepared['ids'])} prepared in {prepared['seconds']}s ({prepared['skipped']} dates skipped)")
        approver = login(port, county["user"])
        approve, commands["approve"] = load(runner, {**common, "scenario": "approve", "leave_ids": prepared["ids"],
                                                     "sessions": [approver.cookies]})
        approver.close()
        cleaned, commands["approve_cleanup"] = runner.measure(url, "leaves-cleanup", "--county", county["code"])
        # Every approval answered as a success must be in the database.
        approve["approved_in_db"] = cleaned["approved"]
        approve["errors"] += max(0, approve["ok"] - cleaned["approved"])
        approve["prepared"] = len(prepared["ids"])
        log(f"  {approve['rps']} approvals/s, {approve['ok']} ok ({cleaned['approved']} in the database), "
            f"errors {approve['errors']}, client CPU {approve['client_cpu_seconds']}s"
            + (" - prepared requests used up before the time" if approve["exhausted"] else ""))
    except (BenchError, OSError, RuntimeError, http.client.HTTPException) as exc:
        approve = {**failed, "error": str(exc)}
        log(f"  FAILED: {exc}")

    townships = plan["save_townships"]
    log(f"throughput: register saves, {len(townships)} townships, month {plan['save_month']}")
    try:
        sessions = []
        for township in townships:
            client = login(port, township["user"])
            sessions.append(client.cookies)
            client.close()
        save, commands["save"] = load(runner, {**common, "scenario": "save", "connections": len(townships),
                                               "sessions": sessions, "townships": townships,
                                               "month": plan["save_month"], "changed_cells": 3})
        log(f"  {save['rps']} saves/s, errors {save['errors']}, client CPU {save['client_cpu_seconds']}s")
    except (BenchError, OSError, RuntimeError, http.client.HTTPException) as exc:
        save = {**failed, "error": str(exc)}
        log(f"  FAILED: {exc}")

    def figure(result: dict) -> dict:
        ratio = round(result["rps"] / ping["rps"], 3) if ping["rps"] and "error" not in result else None
        # Against the write floor too: the share of what any authenticated write reaches on this server.
        of_floor = round(result["rps"] / floor["rps"], 3) if floor["rps"] and "error" not in result else None
        return {"rps": result["rps"], "baseline_rps": ping["rps"], "ratio": ratio, "errors": result["errors"],
                "write_floor_rps": floor["rps"], "ratio_to_write_floor": of_floor,
                **{k: v for k, v in result.items() if k not in ("rps", "errors")}}

    floor_figure = figure(floor)
    floor_figure.pop("write_floor_rps"), floor_figure.pop("ratio_to_write_floor")
    throughput = {"leave_approve": figure(approve), "register_save": figure(save)}
    return throughput, {"ping": ping, "write_floor": floor_figure}, commands


# ---------------------------------------------------------------------------------------------- output


def machine(url: str) -> dict:
    info = {"nproc": os.cpu_count(), "python": platform.python_version()}
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    info["postgresql"] = server_version(url)
    info["date"] = datetime.datetime.now(zoneinfo.ZoneInfo(TIME_ZONE)).isoformat(timespec="seconds")
    info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        # Which application code was measured (the reports and pages change while they are optimised).
        git = ["git", "-C", str(ROOT)]
        info["git_commit"] = subprocess.check_output([*git, "rev-parse", "--short", "HEAD"], text=True).strip()  # noqa: S603,S607
        info["git_dirty"] = bool(subprocess.check_output(  # noqa: S603
            [*git, "status", "--porcelain", "--untracked-files=no"], text=True).strip())  # noqa: S607
    return info


def _at_most(value, limit) -> bool:
    return value is not None and value <= limit


def _fmt(value, spec: str = ".2f") -> str:
    return "failed" if value is None else format(value, spec)


def met(results: dict) -> dict[str, bool]:
    """Whether each figure meets the issue's target (a failed measurement does not)."""
    memory, verdict = results["memory"], {}
    for name in ("monthly_report", "annual_report"):
        verdict[name] = _at_most(results[name]["ratio"], TARGETS[name.replace("_report", "_ratio")])
    verdict["memory"] = (_at_most(memory["small_mb"], TARGETS["memory_mb"])
                         and _at_most(memory["large_mb"], TARGETS["memory_mb"])
                         and _at_most(memory["ratio"], TARGETS["memory_ratio"]))
    for name, page in results["pages"].items():
        verdict[f"page {name}"] = (_at_most(page["p95_ms"], TARGETS["page_p95_ms"]) and page["statuses"] == [200]
                                   and page["queries_match"])
    for name, figure in results["throughput"].items():
        verdict[f"throughput {name}"] = (figure["ratio"] is not None and figure["ratio"] >= TARGETS["throughput_ratio"]
                                         and figure["errors"] == 0)
    return verdict


def table(results: dict) -> str:
    s, verdict = results["scale"], results["met"]
    lines = [
        f"zhucun benchmark {results['date']}: {s['cadres']:,} cadres (small {s['small']['cadres']:,}), year {s['year']}, "
        f"{s['register_rows']:,} register rows; {results['machine'].get('cpu', '?')}, {results['machine']['nproc']} cores, "
        f"load average at start {results['machine']['load_average_at_start'][0]}",
        "",
        f"{'figure':<30}{'measured':<80} {'target':<28}met",
    ]

    def line(name: str, measured: str, target: str) -> None:
        lines.append(f"{name:<30}{measured:<80} {target:<28}{'yes' if verdict[name] else 'NO'}")

    for name in ("monthly_report", "annual_report"):
        f = results[name]
        line(name, f"{_fmt(f['seconds'])} s / floor {_fmt(f['floor_seconds'])} s = {_fmt(f['ratio'])}x, "
                   f"peak {_fmt(f['peak_rss_mb'], '.0f')} MB",
             f"ratio <= {TARGETS[name.replace('_report', '_ratio')]}")
    m = results["memory"]
    line("memory", f"monthly peak {_fmt(m['small_mb'], '.0f')} MB ({m['small_cadres']:,}) -> "
                   f"{_fmt(m['large_mb'], '.0f')} MB ({m['large_cadres']:,}) = {_fmt(m['ratio'])}x",
         "<= 300 MB, <= 1.3x")
    for name, p in results["pages"].items():
        line(f"page {name}", f"p50 {_fmt(p['p50_ms'], '.0f')} ms, p95 {_fmt(p['p95_ms'], '.0f')} ms, "
                             f"queries {p['queries_small']} / {p['queries']}",
             "p95 <= 150 ms, same queries")
    for name, t in results["throughput"].items():
        line(f"throughput {name}", f"{_fmt(t['rps'], '.1f')}/s vs /ping/ {_fmt(t['baseline_rps'], '.0f')}/s = "
                                   f"{_fmt(t['ratio'], '.3f')}, {t['errors']} errors; write floor "
                                   f"{_fmt(t.get('write_floor_rps'), '.0f')}/s",
             ">= 0.4, 0 errors")
    failures = [f"{name}: {f}" for name in ("monthly_report", "annual_report") for f in results[name].get("failures", [])]
    failures += [f"page {n}: {p['error']}" for n, p in results["pages"].items() if p.get("error")]
    failures += [f"throughput {n}: {t['error']}" for n, t in results["throughput"].items() if t.get("error")]
    if failures:
        lines += ["", "failures:", *(f"  {f}" for f in failures)]
    lines += ["", "commands:"]
    for figure, command in results["commands"].items():
        lines.append(f"  {figure}: {command}")
    lines += ["", "phases (s): " + ", ".join(f"{k} {v}" for k, v in results["phases"].items())]
    return "\n".join(lines)


def markdown(results: dict) -> str:
    """The table of docs/benchmarks.md, from a results file (`python -m bench.run --markdown FILE`)."""
    s, m, verdict = results["scale"], results["machine"], results["met"]
    yes = {True: "yes", False: "**no**"}
    rows = [
        f"Run {results['date']} on {m.get('cpu', '?')} × {m['nproc']} cores, {m.get('ram_gb', '?')} GB RAM, "
        f"{m['postgresql'].split(' on ')[0]}, Python {m['python']}; code {m.get('git_commit', '?')}"
        f"{' + uncommitted changes' if m.get('git_dirty') else ''}; load average "
        f"{m['load_average_at_start'][0]} at the start, {m.get('load_average_at_end', ['?'])[0]} at the end. "
        f"Data: {s['cadres']:,} cadres (small: {s['small']['cadres']:,}), year {s['year']}, "
        f"{s['register_rows']:,} register rows ({s['register_first_day']} – {s['register_last_day']}). "
        f"Harness run time {results['phases']['total'] / 60:.1f} min.",
        "",
        "| figure | measured | target | met |",
        "|---|---|---|---|",
    ]
    for name in ("monthly_report", "annual_report"):
        f = results[name]
        rows.append(f"| {name} | {_fmt(f['seconds'])} s vs floor {_fmt(f['floor_seconds'])} s → ratio "
                    f"**{_fmt(f['ratio'])}**; peak RSS {_fmt(f['peak_rss_mb'], '.0f')} MB | "
                    f"ratio ≤ {TARGETS[name.replace('_report', '_ratio')]} | {yes[verdict[name]]} |")
    mem = results["memory"]
    rows.append(f"| memory | monthly report peak RSS {_fmt(mem['small_mb'], '.0f')} MB at {mem['small_cadres']:,} → "
                f"{_fmt(mem['large_mb'], '.0f')} MB at {mem['large_cadres']:,} → ratio **{_fmt(mem['ratio'])}** | "
                f"≤ 300 MB, ratio ≤ 1.3 | {yes[verdict['memory']]} |")
    for name, p in results["pages"].items():
        rows.append(f"| page {name} | p50 {_fmt(p['p50_ms'], '.0f')} ms, p95 **{_fmt(p['p95_ms'], '.0f')} ms**; "
                    f"queries {p['queries_small']} / {p['queries']} | p95 ≤ 150 ms, same queries | "
                    f"{yes[verdict['page ' + name]]} |")
    for name, t in results["throughput"].items():
        rows.append(f"| throughput {name} | {_fmt(t['rps'], '.1f')}/s vs /ping/ {_fmt(t['baseline_rps'], '.0f')}/s → "
                    f"ratio **{_fmt(t['ratio'], '.3f')}**, {t['errors']} errors; p50 {t.get('p50_ms')} ms under load; "
                    f"{_fmt(t.get('ratio_to_write_floor'), '.2f')} of the write floor "
                    f"({_fmt(t.get('write_floor_rps'), '.0f')}/s); "
                    f"{t.get('queries_small')} / {t.get('queries')} queries per request | ≥ 0.4, 0 errors | "
                    f"{yes[verdict['throughput ' + name]]} |")
    return "\n".join(rows) + "\n"


# ------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cadres", type=int, default=env_int("CADRES", 60000))
    parser.add_argument("--small-cadres", type=int, default=env_int("BENCH_SMALL_CADRES", 0))
    parser.add_argument("--year", type=int, default=env_int("BENCH_YEAR", 0))
    parser.add_argument("--repeat", type=int, default=env_int("BENCH_REPEAT", 3))
    parser.add_argument("--page-requests", type=int, default=env_int("BENCH_PAGE_REQUESTS", 50))
    parser.add_argument("--load-seconds", type=int, default=env_int("BENCH_LOAD_SECONDS", 20))
    parser.add_argument("--connections", type=int, default=env_int("BENCH_CONNECTIONS", 8))
    parser.add_argument("--leaves", type=int, default=env_int("BENCH_LEAVES", 3000))
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--markdown", type=Path, metavar="RESULTS_JSON",
                        help="only print the markdown table of an earlier run's results (docs/benchmarks.md)")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())), end="")
        return 0

    url = os.environ.get("DATABASE_URL", "")
    check_postgres(url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    small_url = with_name(url, db_name(url) + "_small")
    now = datetime.datetime.now(zoneinfo.ZoneInfo(TIME_ZONE))
    runner = Runner(os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50))
    try:
        return measure_all(args, runner, url, small_url, now)
    finally:
        shutil.rmtree(runner.workdir, ignore_errors=True)


def measure_all(args, runner: Runner, url: str, small_url: str, now: datetime.datetime) -> int:
    small_cadres = args.small_cadres or max(8, args.cadres // 10)
    today = now.date()
    year = args.year or today.year
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    phases: dict[str, float] = {}
    results: dict = {"date": now.isoformat(timespec="seconds"), "machine": machine(url)}
    commands: dict[str, str] = {}

    def phase(name: str, started: float) -> None:
        phases[name] = round(time.monotonic() - started, 1)

    # --- data
    started = time.monotonic()
    large = prepare_data(runner, url, args.cadres, year)
    small = prepare_data(runner, small_url, small_cadres, year)
    runner.manage(url, "collectstatic", "--noinput", "-v", "0")  # production settings serve a manifest
    plan, _ = runner.measure(url, "plan", "--connections", str(args.connections))
    plan_small, _ = runner.measure(small_url, "plan", "--connections", str(args.connections))
    phase("data", started)
    results["scale"] = {
        "cadres": large["tables"]["cadres.Cadre"], "year": year,
        "register_rows": large["tables"].get("attendance.AttendanceDay"),
        "register_first_day": large["register_first_day"], "register_last_day": large["register_last_day"],
        "database": db_name(url), "generated_now": large["generated_now"], "tables": large["tables"],
        "small": {"cadres": small["tables"]["cadres.Cadre"], "database": db_name(small_url),
                  "register_rows": small["tables"].get("attendance.AttendanceDay"),
                  "generated_now": small["generated_now"], "tables": small["tables"]},
    }
    for label, counts in (("generate_large", large), ("generate_small", small)):
        if counts.get("generate_seconds"):
            phases[label] = counts["generate_seconds"]
    region = plan["province"]["code"]

    # --- reports
    started = time.monotonic()
    monthly = measure_report(runner, url, kind="monthly", period=f"{last_month:%Y-%m}", region=region,
                             repeat=args.repeat)
    phase("monthly_report", started)
    started = time.monotonic()
    annual = measure_report(runner, url, kind="annual", period=str(year), region=region, repeat=args.repeat)
    phase("annual_report", started)
    started = time.monotonic()
    monthly_small = measure_report(runner, small_url, kind="monthly", period=f"{last_month:%Y-%m}",
                                   region=plan_small["province"]["code"], repeat=args.repeat, with_floor=False)
    phase("memory_small", started)
    for name, figure in (("monthly_report", monthly), ("annual_report", annual)):
        commands[name] = figure["commands"]["report"]
        commands[f"{name}_floor"] = figure["commands"]["floor"]
        results[name] = {k: v for k, v in figure.items() if k != "commands"}
    commands["memory_small"] = monthly_small["commands"]["report"]
    small_mb, large_mb = monthly_small["peak_rss_mb"], monthly["peak_rss_mb"]
    results["memory"] = {
        "small_mb": small_mb, "large_mb": large_mb,
        "ratio": round(large_mb / small_mb, 2) if small_mb and large_mb else None,
        "small_cadres": small_cadres, "large_cadres": args.cadres,
        "small_seconds": monthly_small["seconds"], "large_seconds": monthly["seconds"],
        **({"small_failures": monthly_small["failures"]} if monthly_small.get("failures") else {}),
    }

    # --- query counts at both scales
    started = time.monotonic()
    queries: dict[str, dict] = {}
    for label, db_url, db_plan in (("large", url, plan), ("small", small_url, plan_small)):
        plan_file = runner.workdir / f"plan-{label}.json"
        plan_file.write_text(json.dumps(db_plan, ensure_ascii=False))
        try:
            queries[label], commands[f"page_queries_{label}"] = runner.measure(
                db_url, "queries", "--plan", str(plan_file), "--sql", str(RESULTS / f"page_queries_{label}.json"))
        except BenchError as exc:
            log(f"page queries on {db_name(db_url)} FAILED: {exc}")
            queries[label] = {}
    phase("page_queries", started)

    # --- pages and throughput through gunicorn on the large database
    started = time.monotonic()
    try:
        with gunicorn(runner, url) as (port, server_command):
            commands["server"] = server_command
            pages = measure_pages(port, plan, requests=args.page_requests)
            phase("pages", started)
            started = time.monotonic()
            throughput, ping, load_commands = measure_throughput(
                runner, url, port, plan, seconds=args.load_seconds, connections=args.connections, leaves=args.leaves)
            phase("throughput", started)
    except BenchError as exc:  # the server did not start
        log(f"server FAILED: {exc}")
        pages = {name: {"p50_ms": None, "p95_ms": None, "statuses": [], "error": str(exc)} for name in plan["pages"]}
        failed = {"rps": 0.0, "baseline_rps": None, "ratio": None, "errors": None, "error": str(exc)}
        throughput, ping, load_commands = ({"leave_approve": failed, "register_save": failed},
                                           {"ping": failed, "write_floor": failed}, {})
    commands["pages"] = (f"bench.load.time_page: {args.page_requests} sequential GETs per page after 5 warm-up, "
                         f"one keep-alive connection, logged in through /accounts/login/ (password {PASSWORD})")
    commands.update({f"throughput_{k}": v for k, v in load_commands.items()})

    def count(label: str, name: str):
        return queries[label].get(name, {}).get("queries")

    results["pages"] = {
        name: {"p50_ms": p["p50_ms"], "p95_ms": p["p95_ms"], "queries": count("large", name),
               "queries_small": count("small", name),
               "queries_match": count("large", name) is not None and count("large", name) == count("small", name),
               **{k: v for k, v in p.items() if k not in ("p50_ms", "p95_ms")}}
        for name, p in pages.items()
    }
    for name, figure in throughput.items():
        figure["queries"], figure["queries_small"] = count("large", f"write_{name}"), count("small", f"write_{name}")
    results["throughput"] = throughput
    results["baseline"] = ping
    results["plan"] = {k: plan[k] for k in ("today", "county_a", "township", "county_b", "save_month")}
    results["commands"] = commands
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["phases"] = {**phases, "total": round(time.monotonic() - STARTED, 1)}
    results["met"] = met(results)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    ordered = {k: results[k] for k in ("scale", "monthly_report", "annual_report", "memory", "pages", "throughput")}
    ordered.update({k: v for k, v in results.items() if k not in ordered})
    args.output.write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        log(f"failed: {exc}")
        sys.exit(1)
