"""The throughput part of `make bench` (bench.run.measure_throughput) at a tiny scale: gunicorn with the
production settings serving bench.wsgi, the load process (bench.load) for /ping/, the write floor, approvals
and register saves, each for a couple of seconds, and what each counted as done is in the database.

Needs PostgreSQL (the benchmark's server processes read the test database): skipped locally on SQLite,
always run under CI=true."""
import argparse
import datetime
import secrets

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.signing import JSONSerializer
from django.db import connection
from django.utils import timezone

from tests.ops.test_soak import database_url

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)  # the server processes must see the generated rows
def test_throughput_scenarios_run_without_error_and_leave_what_they_counted():
    from attendance.models import AttendanceChange, AttendanceDay, LeaveRequest, LeaveStatus
    from bench import measure
    from bench import run as bench_run
    from bench.generate import SCALE_PASSWORD, generate
    from cadres.models import User

    assert connection.vendor == "postgresql"
    today = timezone.localdate()
    generate(cadres=120, year=today.year, seed=3, today=today)
    User.objects.update(password=PBKDF2PasswordHasher().encode(SCALE_PASSWORD, "benchtest", iterations=1000))
    plan = measure.cmd_plan(argparse.Namespace(connections=2))
    townships = [t["pk"] for t in plan["save_townships"]]
    assert len(townships) == 2
    month = datetime.date.fromisoformat(plan["save_month"] + "-01")

    def register_of_townships():
        return sorted(AttendanceDay.objects.filter(
            posting__village__township_id__in=townships, day__gte=month,
        ).values_list("cadre_id", "day", "status", "source"))

    before = register_of_townships()
    url = database_url()
    runner = bench_run.Runner(secrets.token_urlsafe(50))
    runner.manage(url, "collectstatic", "--noinput", "-v", "0")
    with bench_run.gunicorn(runner, url) as (port, _command):
        throughput, baselines, commands = bench_run.measure_throughput(
            runner, url, port, plan, seconds=2, connections=2, leaves=40)

    ping, floor = baselines["ping"], baselines["write_floor"]
    approve, save = throughput["leave_approve"], throughput["register_save"]
    for name, figure in (("ping", ping), ("floor", floor), ("approve", approve), ("save", save)):
        assert "error" not in figure, (name, figure)
        assert figure["errors"] == 0, (name, figure.get("error_samples"))
        assert figure["ok"] > 0 and figure["rps"] > 0, (name, figure)
    assert set(commands) >= {"ping", "floor", "approve", "save"}

    # The write floor wrote its session once per answer it counted (a session per connection).
    county_user = User.objects.get(username=plan["county_b"]["user"])
    # Signed with the server's key (the runner's), not the test settings'.
    sessions = [signing.loads(s.session_data, key=runner.secret, salt="django.contrib.sessions.SessionStore",
                              serializer=JSONSerializer) for s in Session.objects.all()]
    counted = [data.get("bench_write_floor") for data in sessions if data.get("_auth_user_id") == str(county_user.pk)]
    assert sum(n for n in counted if n) == floor["ok"], (floor["ok"], counted)
    assert approve["ratio"] == round(approve["rps"] / ping["rps"], 3)
    assert approve["ratio_to_write_floor"] == round(approve["rps"] / floor["rps"], 3)
    assert approve["write_floor_rps"] == floor["rps"]

    # Every approval counted is approved in the database (then withdrawn by the clean-up).
    assert approve["approved_in_db"] == approve["ok"]
    assert not LeaveRequest.objects.filter(reason=measure.LEAVE_MARKER,
                                           status__in=(LeaveStatus.SUBMITTED, LeaveStatus.APPROVED)).exists()
    assert LeaveRequest.objects.filter(reason=measure.LEAVE_MARKER, status=LeaveStatus.WITHDRAWN,
                                       decided_at__isnull=False).count() == approve["ok"]
    # Register saves: each counted save changed 3 days (3 history rows by the township officials, plus the
    # restore's), and each connection's grid was restored afterwards, so the register is as it was.
    officials = User.objects.filter(username__in=[t["user"] for t in plan["save_townships"]])
    changes = AttendanceChange.objects.filter(changed_by__in=officials, day__gte=month).count()
    assert changes >= 3 * save["ok"]
    assert save["grids_restored"] == 2
    assert register_of_townships() == before
