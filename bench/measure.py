"""The Django side of the benchmark: one measurement per process (`python -m bench.measure COMMAND ...`).

bench/run.py starts this module once per measurement, with DATABASE_URL pointing at the database to measure,
so each process's peak RSS belongs to that one build, and Django's start-up is outside the timed part.
Every command writes its result as JSON to the file named by --json.

    counts                       rows per generated table, the register's first and last day
    plan --connections N         the accounts and URLs the page and load measurements use
    report --kind K ...          build a report the way `manage.py build_report` does: seconds, peak RSS
    floor --kind K ...           the floor of a report: one GROUP BY over the register + an xlsx of constants
    queries --plan FILE          SQL queries per page (django.test.Client as the same users) and per write
    leaves-prepare --county C    submitted leave requests routed to county C's organization department
    leaves-cleanup --county C    withdraw the benchmark's leave requests that are still pending or approved

Writes (leaves-*) go through the services, as a township official would make them; everything else only
reads."""
import argparse
import datetime
import json
import os
import resource
import sys
import time
from pathlib import Path

# A benchmark request for leave is recognisable by its reason, so a later run (or a person) can find and
# withdraw it.
LEAVE_MARKER = "基准测试(bench/run.py):审批吞吐量"
LEAVE_DAYS = 4  # longer than the default policy's three township days: routed to the county


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --------------------------------------------------------------------------------------------------- data


def cmd_counts(args) -> dict:
    from django.db.models import Max, Min

    from attendance.models import AttendanceDay
    from bench.generate import generated_exists, table_counts

    span = AttendanceDay.objects.aggregate(first=Min("day"), last=Max("day"))
    return {
        "generated": generated_exists(),
        "tables": {label: n for label, _name, n in table_counts()},
        "register_first_day": span["first"].isoformat() if span["first"] else None,
        "register_last_day": span["last"].isoformat() if span["last"] else None,
    }


def cmd_plan(args) -> dict:
    """Who measures what. County A (the first by code) and its first township serve the pages; the load goes
    to other jurisdictions, so writes made under load never change what the pages show in the next run:
    approvals to county B (the second county), register saves to the first townships outside county A, one
    township official per connection (townships save their own month; a shared grid would make clients
    overwrite each other's cells)."""
    from django.urls import reverse
    from django.utils import timezone

    from attendance.models import MonthConfirmation
    from attendance.services.register import month_start
    from bench.generate import PROVINCE_CODE, PROVINCE_PREFIX
    from cadres.models import Role, User
    from villages.models import Region, RegionLevel

    today = timezone.localdate()
    last_month = month_start(month_start(today) - datetime.timedelta(days=1))
    province = Region.objects.get(code=PROVINCE_CODE)
    counties = list(Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=PROVINCE_PREFIX).order_by("code"))
    county_a = counties[0]
    county_b = counties[1] if len(counties) > 1 else counties[0]
    township = Region.objects.filter(level=RegionLevel.TOWNSHIP, parent=county_a).order_by("code").first()

    def user_of(region: Region, role: str) -> str:
        user = User.objects.filter(region=region, role=role, is_active=True).order_by("username").first()
        if user is None:
            raise SystemExit(f"no active {role} account for {region.code} {region.name}")
        return user.username

    # The running month, which no township has confirmed yet; on the 1st it has no past day, so last month
    # (confirmed by most townships, not all: those that have not are taken).
    save_month = month_start(today) if today.day > 1 else last_month
    towns = Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith=PROVINCE_PREFIX).exclude(
        pk__in=MonthConfirmation.objects.filter(month=save_month).values("township_id"))
    if len(counties) > 1:  # else a tiny province: everything happens in its one county
        towns = towns.exclude(code__startswith=county_a.prefix)
    saving = towns.order_by("code")[: args.connections]
    province_user, county_user = user_of(province, Role.ORG_DEPT), user_of(county_a, Role.ORG_DEPT)
    return {
        "today": today.isoformat(),
        "province": {"code": province.code, "name": province.name},
        "county_a": {"code": county_a.code, "name": county_a.name, "pk": county_a.pk},
        "township": {"code": township.code, "name": township.name, "pk": township.pk},
        "county_b": {"code": county_b.code, "name": county_b.name, "user": user_of(county_b, Role.ORG_DEPT)},
        "save_townships": [
            {"code": t.code, "name": t.name, "pk": t.pk, "user": user_of(t, Role.TOWNSHIP)} for t in saving
        ],
        "save_month": f"{save_month:%Y-%m}",
        "pages": {
            "cadre_list": {"user": province_user,
                           "path": reverse("cadres:cadre_list") + f"?region={county_a.pk}"},
            "register_grid": {"user": user_of(township, Role.TOWNSHIP),
                              "path": reverse("attendance:register") + f"?month={last_month:%Y-%m}"},
            "leave_queue": {"user": county_user, "path": reverse("attendance:leave_list") + "?tab=queue"},
            "home": {"user": county_user, "path": reverse("home")},
            "compliance": {"user": county_user, "path": reverse("attendance:compliance")},
        },
    }


# ------------------------------------------------------------------------------------------------ reports


def cmd_report(args) -> dict:
    """The report as `manage.py build_report` builds it (the command itself is called). Timed from the call
    to the saved file; the command's module and the database connection are loaded before, as in `floor`."""
    from django.core.management import call_command, load_command_class
    from django.db import connection

    load_command_class("reports", "build_report")
    connection.ensure_connection()
    startup = peak_rss_mb()
    started = time.perf_counter()
    call_command("build_report", args.kind, "--period", args.period, "--region", args.region,
                 "--output", args.output, stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "peak_rss_mb": peak_rss_mb(), "startup_rss_mb": startup}


def cmd_floor(args) -> dict:
    """What any implementation must at least do: one GROUP BY over the register rows of the period (the
    month, or the year's raw register), fetched into Python, and an xlsx with as many rows and columns as
    the report's largest sheet, written with openpyxl's write-only workbook. The constant row is a data row
    of the report itself, so the cells are of the same types."""
    from django.db import connection
    from openpyxl import Workbook

    from attendance.models import AttendanceDay

    sample = json.loads(Path(args.sample).read_text())
    row = (sample["row"] + [None] * sample["cols"])[: sample["cols"]]
    if args.kind == "monthly":
        year, month = (int(x) for x in args.period.split("-"))
        first = datetime.date(year, month, 1)
        after = (first + datetime.timedelta(days=32)).replace(day=1)
        key = "posting_id"
    else:
        first, after = datetime.date(int(args.period), 1, 1), datetime.date(int(args.period) + 1, 1, 1)
        key = "cadre_id"
    table = connection.ops.quote_name(AttendanceDay._meta.db_table)
    sql = (f"SELECT {key}, status, count(*) FROM {table} "  # noqa: S608 - names from the model
           "WHERE day >= %s AND day < %s GROUP BY 1, 2")
    connection.ensure_connection()
    startup = peak_rss_mb()
    started = time.perf_counter()
    # Through the application's own connection settings (JIT compilation off, config/settings/base.py), as the
    # report's statements run: the floor carries no cost the report does not.
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, after])
        groups = cursor.fetchall()
    query_seconds = time.perf_counter() - started
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("floor")
    for _ in range(sample["rows"]):
        ws.append(row)
    wb.save(args.output)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "query_seconds": round(query_seconds, 3), "groups": len(groups),
            "peak_rss_mb": peak_rss_mb(), "startup_rss_mb": startup}


# -------------------------------------------------------------------------------------------------- pages


def cmd_queries(args) -> dict:
    """SQL queries per page: the second request of each page as its user (the first warms per-process
    caches), counted with CaptureQueriesContext; and per write of the throughput scenarios (one approval, one
    register save of three changed cells), inside a transaction that is rolled back. The statements go to --sql for whoever wants
    to read them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = json.loads(Path(args.plan).read_text())
    result, statements = {}, {}
    for name, page in plan["pages"].items():
        client = _client_for(page["user"])
        client.get(page["path"])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page["path"])
        result[name] = {"queries": len(ctx.captured_queries), "status": response.status_code,
                        "bytes": len(response.content)}
        statements[name] = [q["sql"] for q in ctx.captured_queries]
    for name, (count, sql, error) in _write_queries(plan).items():
        result[name] = {"queries": count, "error": error}
        statements[name] = sql
    if args.sql:
        Path(args.sql).write_text(json.dumps(statements, ensure_ascii=False, indent=1))
    return result


def _client_for(username: str):
    from django.test import Client

    from cadres.models import User

    client = Client()
    client.force_login(User.objects.get(username=username), backend="cadres.backends.UserWithJurisdictionBackend")
    return client


def _write_queries(plan: dict) -> dict[str, tuple[int, list[str], str]]:
    """Queries of one POST of each write scenario, in a transaction rolled back at the end (the views'
    own transactions become savepoints): approving a leave made for the purpose, saving a township's month
    with three cells changed."""
    from django.contrib.messages import constants, get_messages
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from bench.load import FLIP, SELECT, SELECTED
    from villages.models import Region

    def post(client, path: str, data: dict) -> tuple[int, list[str], str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(path, data)
        errors = [str(m) for m in get_messages(response.wsgi_request) if m.level >= constants.ERROR]
        error = "; ".join(errors) or ("" if response.status_code == 302 else f"HTTP {response.status_code}")
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries], error

    result = {}
    with transaction.atomic():
        ids, _skipped = _make_leaves(Region.objects.get(code=plan["county_b"]["code"]), 1)
        if ids:
            result["write_leave_approve"] = post(_client_for(plan["county_b"]["user"]), f"/leave/{ids[0]}/approve/",
                                                 {"comment": ""})
        township = plan["save_townships"][0]
        client = _client_for(township["user"])
        page = client.get(f"/register/?month={plan['save_month']}").content.decode()
        cells = {name: (SELECTED.search(options).group(1) if SELECTED.search(options) else "none")
                 for name, _day, options in SELECT.findall(page)}
        today = plan["today"].replace("-", "")
        flippable = [n for n, v in sorted(cells.items()) if n[-8:] < today and v in FLIP][:3]
        # Only the changed cells, as the page's script posts them (static/js/register.js).
        changed = {name: FLIP[cells[name]] for name in flippable}
        result["write_register_save"] = post(client, "/register/", {
            "month": plan["save_month"], "township": township["pk"], "action": "save", **changed})
        transaction.set_rollback(True)
    return result


# ------------------------------------------------------------------------------------------------- leaves


def _township_users(county) -> dict:
    from cadres.models import Role, User

    users = {}
    for user in User.objects.filter(role=Role.TOWNSHIP, is_active=True, region__code__startswith=county.prefix) \
            .order_by("username"):
        users.setdefault(user.region_id, user)
    return users


def cmd_leaves_cleanup(args) -> dict:
    """Withdraw the benchmark's requests still submitted or approved (their days are freed by the service, as
    if the cadre had withdrawn them). Returns how many of each state there were: after a load run, the
    approved count is the number of approvals that really happened."""
    from django.db import transaction
    from django.utils import timezone

    from attendance.models import LeaveRequest, LeaveStatus
    from attendance.services.leave import leave_withdraw
    from villages.models import Region

    county = Region.objects.get(code=args.county)
    users = _township_users(county)
    today = timezone.localdate()
    mine = LeaveRequest.objects.filter(village__code__startswith=county.prefix, reason=LEAVE_MARKER)
    states = {status: mine.filter(status=status).count() for status in (LeaveStatus.SUBMITTED, LeaveStatus.APPROVED)}
    pending = list(mine.filter(status__in=states, start_date__gt=today).select_related("village")
                   .values_list("pk", "village__township_id"))
    started = time.perf_counter()
    for first in range(0, len(pending), 200):
        with transaction.atomic():
            for pk, township_id in pending[first:first + 200]:
                leave_withdraw(actor=users[township_id], leave_id=pk)
    return {"submitted": states[LeaveStatus.SUBMITTED], "approved": states[LeaveStatus.APPROVED],
            "withdrawn": len(pending), "seconds": round(time.perf_counter() - started, 1)}


def _make_leaves(county, count: int) -> tuple[list[int], int]:
    """`count` submitted requests of LEAVE_DAYS days, starting tomorrow or later, for cadres in post in the
    county, requested by their township officials through leave_request (so routing, overlap checks and
    notifications are the real ones); dates that overlap a cadre's own leave are skipped. Returns the ids
    of those routed to the county, and the number of refused dates."""
    from django.core.exceptions import ValidationError
    from django.db import transaction
    from django.utils import timezone

    from attendance.models import LeaveKind, LeaveStatus
    from attendance.services.leave import leave_request
    from cadres.models import Posting
    from villages.models import RegionLevel

    users = _township_users(county)
    today = timezone.localdate()
    postings = list(
        Posting.objects.filter(village__code__startswith=county.prefix).in_force_on(today)
        .select_related("cadre", "village").order_by("village__code", "pk")
    )
    ids, skipped = [], 0
    step = datetime.timedelta(days=LEAVE_DAYS + 1)
    for slot in range(40):
        start = today + datetime.timedelta(days=1) + slot * step
        end = start + datetime.timedelta(days=LEAVE_DAYS - 1)
        candidates = [p for p in postings if (p.end_date is None or p.end_date >= end)
                      and p.village.township_id in users]
        if not candidates:
            break
        for first in range(0, len(candidates), 100):
            with transaction.atomic():
                for posting in candidates[first:first + 100]:
                    if len(ids) >= count:
                        break
                    try:
                        leave = leave_request(
                            actor=users[posting.village.township_id], cadre=posting.cadre, kind=LeaveKind.PERSONAL,
                            start_date=start, end_date=end, reason=LEAVE_MARKER,
                        )
                    except ValidationError:
                        skipped += 1
                        continue
                    if leave.status == LeaveStatus.SUBMITTED and leave.approver_level == RegionLevel.COUNTY \
                            and leave.approver_region_id == county.pk:
                        ids.append(leave.pk)
        if len(ids) >= count:
            break
    return ids, skipped


def cmd_leaves_prepare(args) -> dict:
    """Withdraw what an earlier run left, then make `--count` submitted requests for the county's approver."""
    from villages.models import Region

    cleaned = cmd_leaves_cleanup(args)
    started = time.perf_counter()
    ids, skipped = _make_leaves(Region.objects.get(code=args.county), args.count)
    return {"ids": ids, "skipped": skipped, "cleaned": cleaned, "seconds": round(time.perf_counter() - started, 1)}


# ---------------------------------------------------------------------------------------------------- main


COMMANDS = {
    "counts": cmd_counts, "plan": cmd_plan, "report": cmd_report, "floor": cmd_floor, "queries": cmd_queries,
    "leaves-prepare": cmd_leaves_prepare, "leaves-cleanup": cmd_leaves_cleanup,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.measure", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--json", required=True, help="file to write the result to")
    parser.add_argument("--kind", choices=["monthly", "annual"])
    parser.add_argument("--period")
    parser.add_argument("--region")
    parser.add_argument("--output")
    parser.add_argument("--sample", help="floor: JSON file with rows, cols and a data row of the report")
    parser.add_argument("--plan")
    parser.add_argument("--sql", help="queries: file for the captured SQL statements")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--county")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args(argv)
    setup()
    result = COMMANDS[args.command](args)
    Path(args.json).write_text(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
