"""Constraints the database itself holds, and the resolution of policy rows up the region tree."""
import pytest
from django.db import IntegrityError, transaction

from cadres.selectors import policy_for
from villages.models import Policy, Region, RegionLevel, Village


def test_it_refuses_a_duplicate_village_code(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Village.objects.create(code=org.v_a1a.code, name="重复村", township=org.town_a1)
    assert Village.objects.filter(code=org.v_a1a.code).count() == 1


def test_it_refuses_a_duplicate_region_code(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(code=org.county_a.code, name="重复县", level=RegionLevel.COUNTY, parent=org.city)


@pytest.mark.parametrize("code", ["36990300000", "3699030000"])
def test_it_refuses_a_region_code_that_is_not_12_characters(org, code):
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(code=code, name="短码县", level=RegionLevel.COUNTY, parent=org.city)
    assert not Region.objects.filter(name="短码县").exists()


def test_it_refuses_a_village_code_that_is_not_12_characters(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Village.objects.create(code="36990100120", name="短码村", township=org.town_a1)


def test_it_accepts_a_region_code_of_exactly_12_characters(org):
    Region.objects.create(code="369903000000", name="新县", level=RegionLevel.COUNTY, parent=org.city)
    assert Region.objects.filter(parent=org.city).count() == 3


@pytest.mark.parametrize("level", [0, 5])
def test_it_refuses_a_region_level_outside_1_to_4(org, level):
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(code="369903000000", name="错级", level=level, parent=org.city)


def test_it_refuses_a_village_paired_with_itself(org):
    org.v_a1b.paired_with = org.v_a1b
    with pytest.raises(IntegrityError), transaction.atomic():
        org.v_a1b.save()


def test_it_refuses_a_policy_whose_team_minimum_exceeds_the_maximum(org):
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.create(region=org.city, team_min_priority=6, team_max=5)


# --- policy resolution -----------------------------------------------------------------------------------


def numbers(policy: Policy) -> tuple[int, int, int]:
    return policy.team_min_priority, policy.team_max, policy.term_min_months


def test_it_falls_back_to_the_defaults_3_5_24_without_any_policy_row(org):
    policy = policy_for(org.town_a1)
    assert numbers(policy) == (3, 5, 24)
    assert policy.pk is None  # defaults are never written as a row


def test_it_gives_the_defaults_for_no_region(db):
    assert numbers(policy_for(None)) == (3, 5, 24)


def test_it_applies_the_city_row_to_every_county_and_township(org):
    city_policy = Policy.objects.create(region=org.city, team_min_priority=4, team_max=6, term_min_months=36)
    for region in (org.city, org.county_a, org.town_a1, org.county_b, org.town_b1):
        assert policy_for(region) == city_policy
    assert numbers(policy_for(org.town_b1)) == (4, 6, 36)


def test_it_lets_a_county_row_override_the_city_row(org):
    Policy.objects.create(region=org.city, team_min_priority=4, team_max=6, term_min_months=36)
    county_policy = Policy.objects.create(region=org.county_a, team_min_priority=2, team_max=7, term_min_months=30)
    assert policy_for(org.town_a1) == county_policy
    assert policy_for(org.town_a2) == county_policy
    assert policy_for(org.county_a) == county_policy
    assert numbers(policy_for(org.town_a1)) == (2, 7, 30)
    # County B still follows the city.
    assert numbers(policy_for(org.town_b1)) == (4, 6, 36)
    assert numbers(policy_for(org.city)) == (4, 6, 36)


def test_it_uses_a_county_row_without_any_city_row(org):
    Policy.objects.create(region=org.county_a, team_min_priority=2, team_max=4, term_min_months=12)
    assert numbers(policy_for(org.town_a1)) == (2, 4, 12)
    assert numbers(policy_for(org.town_b1)) == (3, 5, 24)
