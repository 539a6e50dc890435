import datetime

import pytest

from cadres.demo import seed_demo
from villages.demo import seed_support
from villages.models import SupportKind, SupportRecord

TODAY = datetime.date(2026, 11, 22)


@pytest.mark.django_db
def test_it_seeds_the_support_ledger_once_and_leaves_some_flags():
    seed_demo()
    first = seed_support(today=TODAY)
    assert first["created"] == first["total"] > 0
    assert seed_support(today=TODAY)["created"] == 0
    assert not SupportRecord.objects.filter(date__gt=TODAY).exists()
    units = set(SupportRecord.objects.values_list("unit_id", flat=True))
    visited = set(SupportRecord.objects.filter(kind=SupportKind.LEADER_VISIT, date__year=2026)
                  .values_list("unit_id", flat=True))
    # Some units have no leader visit this year, so the ledger's "visit missing" flag has examples.
    assert visited and units - visited
    assert not SupportRecord.objects.filter(kind=SupportKind.FUNDS, amount_yuan__lte=0).exists()
