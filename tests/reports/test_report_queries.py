"""The reports read a province with a fixed number of queries: adding cadres, villages and townships adds rows
to the aggregates, never queries (a query per posting or per township would not finish at province scale)."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance.models import DayStatus
from cadres.models import Posting
from reports import builders
from tests.factories import CadreFactory, PostingFactory, RegionFactory, VillageFactory
from villages.models import Policy, RegionLevel

from .helpers import d, fill


def more_of_everything(org, n: int) -> None:
    """n new townships in the city's first county, each with a village, a first secretary posted all year and
    a register for September and October (finished months: tallies) and November (running: raw rows); every
    other township with a policy of its own, so policies are resolved per township too."""
    for i in range(n):
        town = RegionFactory(code=f"369901{100 + i:03d}000", name=f"新乡{i}", level=RegionLevel.TOWNSHIP,
                             parent=org.county_a)
        if i % 2:
            Policy.objects.create(region=town, min_days=40 + i)
        village = VillageFactory(code=f"369901{100 + i:03d}201", name=f"新村{i}", township=town)
        cadre = CadreFactory(name=f"新干部{i}", unit=org.unit_a)
        PostingFactory(cadre=cadre, village=village, round=org.round, role=Posting.Role.FIRST_SECRETARY,
                       start_date=datetime.date(2026, 1, 1))
        fill(cadre, d(1, 9), d(30, 9))
        fill(cadre, d(1, 10), d(15, 10))
        fill(cadre, d(16, 10), d(20, 10), DayStatus.BUSINESS)
        fill(cadre, d(1, 11), d(10, 11))


def queries(build) -> int:
    with CaptureQueriesContext(connection) as ctx:
        build()
    return len(ctx.captured_queries)


def test_the_monthly_report_makes_as_many_queries_for_a_bigger_county(tmp_path, org, freeze):
    def build():
        builders.write_monthly(region=org.city, month=datetime.date(2026, 11, 1), path=tmp_path / "m.xlsx")

    more_of_everything(org, 2)
    small = queries(build)
    for i in range(6):
        town = RegionFactory(code=f"369902{200 + i:03d}000", name=f"石门新乡{i}", level=RegionLevel.TOWNSHIP,
                             parent=org.county_b)
        village = VillageFactory(code=f"369902{200 + i:03d}201", name=f"石门新村{i}", township=town)
        cadre = CadreFactory(name=f"石门干部{i}", unit=org.unit_b)
        PostingFactory(cadre=cadre, village=village, round=org.round, start_date=datetime.date(2026, 3, 1))
        fill(cadre, d(1, 11), d(20, 11))
    assert queries(build) == small


def test_the_annual_report_makes_as_many_queries_for_a_bigger_county(tmp_path, org, freeze):
    def build():
        builders.write_annual(region=org.city, year=2026, as_of=datetime.date(2026, 11, 22), path=tmp_path / "a.xlsx")

    more_of_everything(org, 2)
    small = queries(build)
    for i in range(6):
        town = RegionFactory(code=f"369902{200 + i:03d}000", name=f"石门新乡{i}", level=RegionLevel.TOWNSHIP,
                             parent=org.county_b)
        if i % 2:
            Policy.objects.create(region=town, min_days=45)
        village = VillageFactory(code=f"369902{200 + i:03d}201", name=f"石门新村{i}", township=town)
        cadre = CadreFactory(name=f"石门干部{i}", unit=org.unit_b)
        PostingFactory(cadre=cadre, village=village, round=org.round, start_date=datetime.date(2026, 3, 1))
        fill(cadre, d(1, 4), d(30, 4))
        fill(cadre, d(1, 11), d(20, 11))
    assert queries(build) == small


@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT compilation is PostgreSQL's")
def test_the_applications_connections_plan_without_jit(db):
    # config/settings/base.py: compiling the register's aggregates cost more than it saved (docs/benchmarks.md).
    assert "-c jit=off" in connection.settings_dict["OPTIONS"]["options"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchone()[0] == "off"
