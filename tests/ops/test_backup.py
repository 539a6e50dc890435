"""The documented backup procedure works: scripts/backup_check.sh dumps the database, restores it into a new
one and finds identical row counts."""
import subprocess
from pathlib import Path

import pytest
from django.db import connection

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "backup_check.sh"


@pytest.mark.postgres
def test_it_restores_a_dump_with_identical_row_counts(transactional_db, org, tmp_path):
    name = connection.settings_dict["NAME"]
    settings = connection.settings_dict
    env = {
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "PGHOST": settings.get("HOST") or "127.0.0.1",
        "PGPORT": str(settings.get("PORT") or 5432),
        "PGUSER": settings.get("USER") or "postgres",
    }
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    result = subprocess.run(  # noqa: S603 - our own script with the test database name
        [str(SCRIPT), name, str(tmp_path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identical after restore" in result.stdout
    source = (tmp_path / "source.counts").read_text().splitlines()
    counts = dict(line.split("|") for line in source)
    assert counts["public.villages_village"] == "4"  # the fixture's four villages came back
