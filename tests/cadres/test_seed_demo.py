"""The demo data of `manage.py seed_demo`: sizes, validity, the scenes the demo accounts open on, idempotence.

Seeding takes a second or two, so the module seeds once (inside a transaction rolled back at the end of the
module, so other test modules never see the data) and each test reads it; only the idempotence test seeds a
second time.
"""
import datetime
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import transaction

from cadres.demo import (
    CITY_CODE,
    DEMO_PASSWORD,
    DEMO_TOWNSHIP,
    DEMO_TOWNSHIP2,
    RECALL_OPEN_VILLAGE,
    SHORT_VILLAGES,
    build_plan,
    seed_demo,
)
from cadres.models import Cadre, DispatchRound, Posting, PostingRole, PostingStatus, Role, User
from cadres.services import posting_check
from cadres.validators import id_birth_date, id_gender, validate_id_number, validate_phone
from villages.models import DispatchingUnit, Region, RegionLevel, Village

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        summary = seed_demo()
        yield summary
        transaction.set_rollback(True)


def _snapshot() -> dict:
    return {
        "regions": Region.objects.count(),
        "villages": Village.objects.count(),
        "categories": Village.categories.through.objects.count(),
        "units": DispatchingUnit.objects.count(),
        "rounds": DispatchRound.objects.count(),
        "cadres": set(Cadre.objects.values_list("id_number", flat=True)),
        "postings": set(Posting.objects.values_list("cadre__id_number", "round__name", "start_date", "status")),
        "users": set(User.objects.values_list("username", "role", "region_id", "unit_id", "cadre_id")),
    }


@pytest.mark.django_db
def test_it_builds_a_city_of_the_expected_size(seeded):
    city = Region.objects.get(code=CITY_CODE)
    assert (city.name, city.level, city.parent) == ("青山市", RegionLevel.CITY, None)
    counties = Region.objects.filter(level=RegionLevel.COUNTY)
    assert sorted(counties.values_list("code", "name")) == [
        ("369901000000", "云溪县"), ("369902000000", "石门县"), ("369903000000", "柳江区"),
    ]
    assert 20 <= Region.objects.filter(level=RegionLevel.TOWNSHIP).count() <= 30
    assert 130 <= Village.objects.count() <= 170
    assert 35 <= DispatchingUnit.objects.count() <= 45
    assert sorted(DispatchRound.objects.values_list("name", "start_date", "end_date")) == [
        ("第一轮", datetime.date(2023, 3, 1), datetime.date(2025, 2, 28)),
        ("第二轮", datetime.date(2025, 3, 1), datetime.date(2027, 2, 28)),
    ]
    assert 400 <= Cadre.objects.count() <= 500
    assert seeded["cadres"] == Cadre.objects.count()
    assert 100 <= Posting.objects.filter(round__name="第一轮").count() <= 140


@pytest.mark.django_db
def test_it_is_idempotent(seeded):
    before = _snapshot()
    summary = seed_demo()
    assert summary["changes"] == {}
    assert _snapshot() == before
    assert {k: v for k, v in summary.items() if k != "changes"} == {
        k: v for k, v in seeded.items() if k != "changes"
    }


def test_it_plans_the_same_data_every_time():
    assert build_plan() == build_plan()


@pytest.mark.django_db
def test_it_writes_rows_that_pass_full_clean(seeded):
    for model in (Region, Village, DispatchingUnit, DispatchRound, Cadre):
        for obj in model.objects.all():
            obj.full_clean()


@pytest.mark.django_db
def test_it_gives_cadres_valid_unique_id_numbers_and_phones(seeded):
    cadres = list(Cadre.objects.all())
    for cadre in cadres:
        validate_id_number(cadre.id_number)
        validate_phone(cadre.phone)
        assert cadre.id_tail == cadre.id_number[-6:]
        assert cadre.birth_date == id_birth_date(cadre.id_number)
        assert cadre.gender == id_gender(cadre.id_number)
        assert 1968 <= cadre.birth_date.year <= 1998
        assert cadre.phone[:2] in {"13", "15", "18", "19"} and len(cadre.phone) == 11
    assert len({c.phone for c in cadres}) == len(cadres)
    assert any(c.id_number.endswith("X") for c in cadres)
    reserve = sum(c.is_reserve_cadre for c in cadres) / len(cadres)
    assert 0.08 <= reserve <= 0.25


@pytest.mark.django_db
def test_it_never_gives_a_cadre_overlapping_postings(seeded):
    by_cadre = defaultdict(list)
    postings = Posting.objects.select_related("round__region", "village", "replaces", "cadre", "unit__region")
    for posting in postings:
        by_cadre[posting.cadre_id].append(posting)
        posting_check(posting)  # dates inside the round, village inside its region, replacement rules
        assert posting.unit_id == posting.cadre.unit_id
        assert posting.village.code.startswith(posting.unit.region.prefix)
    for rows in by_cadre.values():
        rows.sort(key=lambda p: p.start_date)
        for before, after in zip(rows, rows[1:], strict=False):
            assert before.end_date is not None and before.end_date < after.start_date


@pytest.mark.django_db
def test_it_gives_every_village_a_current_team(seeded):
    in_post = Posting.objects.filter(round__name="第二轮").in_force_on(TODAY)
    assert set(in_post.values_list("village_id", flat=True)) == set(Village.objects.values_list("pk", flat=True))
    without_secretary = set(Village.objects.exclude(
        pk__in=in_post.filter(role=PostingRole.FIRST_SECRETARY).values("village_id")
    ).values_list("code", flat=True))
    assert without_secretary == {RECALL_OPEN_VILLAGE}
    leaders = in_post.filter(role=PostingRole.TEAM_LEADER).count()
    assert 0.1 <= leaders / Village.objects.count() <= 0.3
    sizes = defaultdict(int)
    for village_id in in_post.values_list("village_id", flat=True):
        sizes[village_id] += 1
    short_priority = {
        v.code for v in Village.objects.filter(categories__is_priority=True).distinct() if sizes[v.pk] < 3
    }
    assert short_priority == set(SHORT_VILLAGES)
    assert max(sizes.values()) <= 5


@pytest.mark.django_db
def test_it_records_a_replaced_recall_and_one_still_open(seeded):
    recalled = Posting.objects.filter(status=PostingStatus.RECALLED).order_by("end_date")
    assert recalled.count() == 2
    replaced, still_open = recalled
    replacement = replaced.replaced_by
    assert replacement.village_id == replaced.village_id
    assert replacement.cadre_id != replaced.cadre_id
    assert replacement.start_date > replaced.end_date
    assert replacement.status == PostingStatus.IN_POST
    assert replaced.note and still_open.note
    assert still_open.end_date < TODAY
    assert not Posting.objects.filter(replaces=still_open).exists()
    assert still_open.role == PostingRole.FIRST_SECRETARY


@pytest.mark.django_db
def test_it_creates_the_demo_accounts(seeded):
    users = {u.username: u for u in User.objects.select_related("region", "unit", "cadre")}
    expected = {
        "admin": (Role.ADMIN, CITY_CODE),
        "city": (Role.ORG_DEPT, CITY_CODE),
        "county": (Role.ORG_DEPT, "369901000000"),
        "county2": (Role.ORG_DEPT, "369902000000"),
        "township": (Role.TOWNSHIP, DEMO_TOWNSHIP),
        "township2": (Role.TOWNSHIP, DEMO_TOWNSHIP2),
        "unit": (Role.UNIT, None),
        "cadre": (Role.CADRE, None),
    }
    assert set(expected) <= set(users)
    for username, (role, region_code) in expected.items():
        user = users[username]
        assert user.role == role
        assert (user.region.code if user.region else None) == region_code
        assert user.check_password(DEMO_PASSWORD)
        assert user.last_name and user.first_name
        user.full_clean()
    assert users["admin"].is_staff and users["admin"].is_superuser
    assert not any(users[name].is_superuser for name in expected if name != "admin")
    assert users["township"].region.parent.code == users["township2"].region.parent.code == "369901000000"
    assert [a["username"] for a in seeded["accounts"]] == list(expected)


@pytest.mark.django_db
def test_it_posts_the_cadre_account_in_the_township_accounts_township(seeded):
    township = User.objects.get(username="township").region
    cadre = User.objects.get(username="cadre").cadre
    unit = User.objects.get(username="unit").unit
    current = Posting.objects.in_force_on(TODAY).get(cadre=cadre)
    assert current.status == PostingStatus.IN_POST
    assert current.village.township_id == township.pk
    assert cadre.unit_id == unit.pk
    assert unit.level == RegionLevel.CITY
    in_post = Posting.objects.in_force_on(TODAY).filter(unit=unit)
    assert in_post.count() >= 3
    assert in_post.exclude(village__township=township).exists()  # a city unit spans counties


@pytest.mark.django_db
def test_it_leaves_postings_changed_in_the_demo_alone(seeded):
    """A demo user recalls a cadre and posts them elsewhere; `make run` seeds again without undoing it or
    failing on the new posting."""
    posting = Posting.objects.filter(status=PostingStatus.IN_POST, role=PostingRole.MEMBER).first()
    posting.status, posting.end_date = PostingStatus.TRANSFERRED, datetime.date(2026, 6, 30)
    posting.save()
    elsewhere = Village.objects.filter(code__startswith=posting.unit.region.prefix).exclude(pk=posting.village_id)
    Posting.objects.create(
        cadre=posting.cadre, village=elsewhere.first(), round=posting.round, unit=posting.unit,
        start_date=datetime.date(2026, 7, 1),
    )
    summary = seed_demo()
    posting.refresh_from_db()
    assert posting.status == PostingStatus.TRANSFERRED
    assert summary["changes"] == {}


@pytest.mark.django_db
def test_the_command_prints_the_accounts(seeded, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "数据已是最新" in out
    assert "Demo@2026" in out
    for username in ("admin", "city", "county", "county2", "township", "township2", "unit", "cadre"):
        assert f"  {username} " in out
