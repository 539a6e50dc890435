"""The compliance figures (page, home warnings, reports) make the same number of queries however many
townships and cadres a jurisdiction has: policies are resolved in one query, counts are grouped."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance.selectors import compliance_for_user
from tests.factories import CadreFactory, PostingFactory, RegionFactory, VillageFactory
from villages.models import Policy, RegionLevel

DAY = datetime.date(2026, 11, 20)


def count_queries(user) -> int:
    with CaptureQueriesContext(connection) as ctx:
        compliance_for_user(user=user, ref=DAY, as_of=DAY)
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_it_makes_the_same_number_of_queries_for_more_townships_and_cadres(org, users):
    Policy.objects.create(region=org.county_a, min_days=40)
    before = count_queries(users.county)
    for n in range(3, 8):
        town = RegionFactory(code=f"369901{n:03d}000", name=f"新镇{n}", level=RegionLevel.TOWNSHIP, parent=org.county_a)
        village = VillageFactory(code=f"369901{n:03d}201", name=f"新村{n}", township=town)
        for _i in range(3):
            PostingFactory(cadre=CadreFactory(unit=org.unit_a), village=village, round=org.round)
    assert count_queries(users.county) == before
