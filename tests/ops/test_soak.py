"""bench.soak (`make soak`) at a tiny scale: a handful of simulated people for a few seconds against a generated
province of 120 cadres, through gunicorn with the production settings and a real Celery worker, and the write
checks of the soak (leave requests once each, approvals in the database, register cells as last written, the
tallies, reports finished with one current version) all pass, with no error, and the clean-up leaves nothing
pending.

Needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL): skipped locally without them, always run under CI=true
(tests/conftest.py refuses to start a CI run without both). The worker uses its own Redis database (13)."""
import os

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

ON_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(not ON_CI and not os.environ.get("REDIS_URL"),
                       reason="needs Redis (set REDIS_URL); CI always runs it"),
]


def database_url() -> str:
    """The test database, for the server processes the soak starts."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)  # the server processes must see the generated rows
def test_it_soaks_a_tiny_province_with_no_error_and_every_write_checked(tmp_path):
    from bench import soak
    from bench.generate import SCALE_PASSWORD, generate
    from cadres.models import User

    assert connection.vendor == "postgresql"
    today = timezone.localdate()
    generate(cadres=120, year=today.year, seed=1, today=today)
    # The test settings hash passwords with MD5, which the production settings of the server do not accept;
    # a PBKDF2 hash with few iterations logs in quickly (Django upgrades it at the first login).
    User.objects.update(password=PBKDF2PasswordHasher().encode(SCALE_PASSWORD, "soaktest", iterations=1000))

    results = soak.soak(
        url=database_url(), seconds=15, users=8, think=(0.2, 1.0), ramp=2, workers=2,
        redis_url=soak.dedicated_redis(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0", 13),
        output=tmp_path / "soak.json", logs=tmp_path,
        # Favour the writes, so a few seconds exercise every one of them.
        weights={"county": {"report": 40, "approve": 40}, "township": {"register": 40, "approve": 40},
                 "cadre": {"leave_request": 60}},
    )

    assert results["errors"] == 0, results["error_samples"]
    assert {name: check["ok"] for name, check in results["checks"].items()} == dict.fromkeys(results["checks"], True), \
        results["checks"]
    checks = results["checks"]
    assert checks["leave_requests"]["answered_created"] > 0
    assert checks["register_cells"]["cells"] > 0
    assert checks["reports"]["requested"] > 0
    assert results["kinds"]["login"]["requests"] == results["users"] == 8
    assert results["cleanup"]["leaves_left_active"] == 0
    assert results["cleanup"]["tallies_of_touched_postings_agree"]
    assert results["ok"]
    assert (tmp_path / "soak.json").exists()
