"""Every selector, for every user of the `users` fixture: the exact set of objects that user may see.

Besides the fixture's city-wide round 第二轮, two county rounds are added here (云溪县第一批 for county A,
石门县第一批 for county B) so that round scoping has something to tell apart. Postings are named
"cadre@village".
"""
import pytest

from cadres import selectors as cadre_selectors
from cadres.jurisdiction import scope_of
from tests import factories as f
from villages import selectors as village_selectors

ALL_REGIONS = {"青山市", "云溪县", "石门县", "城关镇", "河口乡", "石门镇"}
ALL_VILLAGES = {"杨家坪村", "石桥村", "新塘村", "龙潭村"}
ALL_UNITS = {"市财政局", "云溪县农业农村局", "石门县教育局"}
ALL_CADRES = {"张伟", "李娜", "王强", "刘洋", "陈静"}
ALL_POSTINGS = {"张伟@杨家坪村", "李娜@杨家坪村", "王强@新塘村", "刘洋@龙潭村"}
ALL_ROUNDS = {"第二轮", "云溪县第一批", "石门县第一批"}

# user → (regions, villages, units, cadres, postings, rounds)
EXPECTED = {
    "admin": (ALL_REGIONS, ALL_VILLAGES, ALL_UNITS, ALL_CADRES, ALL_POSTINGS, ALL_ROUNDS),
    "city": (ALL_REGIONS, ALL_VILLAGES, ALL_UNITS, ALL_CADRES, ALL_POSTINGS, ALL_ROUNDS),
    "county": (
        {"云溪县", "城关镇", "河口乡"},
        {"杨家坪村", "石桥村", "新塘村"},
        # its own unit, and the city unit whose cadre serves in its village
        {"市财政局", "云溪县农业农村局"},
        # posted in its villages, or belonging to a unit of the county (陈静 is not posted)
        {"张伟", "李娜", "王强", "陈静"},
        {"张伟@杨家坪村", "李娜@杨家坪村", "王强@新塘村"},
        {"第二轮", "云溪县第一批"},
    ),
    "county_b": ({"石门县", "石门镇"}, {"龙潭村"}, {"石门县教育局"}, {"刘洋"}, {"刘洋@龙潭村"}, {"第二轮", "石门县第一批"}),
    "township": (
        {"城关镇"},
        {"杨家坪村", "石桥村"},
        {"市财政局", "云溪县农业农村局"},
        {"张伟", "李娜"},
        {"张伟@杨家坪村", "李娜@杨家坪村"},
        {"第二轮", "云溪县第一批"},
    ),
    "township2": ({"河口乡"}, {"新塘村"}, {"云溪县农业农村局"}, {"王强"}, {"王强@新塘村"}, {"第二轮", "云溪县第一批"}),
    "township_b": ({"石门镇"}, {"龙潭村"}, {"石门县教育局"}, {"刘洋"}, {"刘洋@龙潭村"}, {"第二轮", "石门县第一批"}),
    # The city unit: itself, the cadre it dispatched, that cadre's village and the regions above it.
    "unit": ({"青山市", "云溪县", "城关镇"}, {"杨家坪村"}, {"市财政局"}, {"张伟"}, {"张伟@杨家坪村"}, {"第二轮"}),
    "unit_b": ({"青山市", "石门县", "石门镇"}, {"龙潭村"}, {"石门县教育局"}, {"刘洋"}, {"刘洋@龙潭村"}, {"第二轮"}),
    # A cadre: themselves only.
    "cadre": ({"青山市", "云溪县", "城关镇"}, {"杨家坪村"}, {"云溪县农业农村局"}, {"李娜"}, {"李娜@杨家坪村"}, {"第二轮"}),
    "cadre_b": ({"青山市", "石门县", "石门镇"}, {"龙潭村"}, {"石门县教育局"}, {"刘洋"}, {"刘洋@龙潭村"}, {"第二轮"}),
}

SELECTORS = {
    "region_list": (0, village_selectors.region_list, lambda o: o.name),
    "village_list": (1, village_selectors.village_list, lambda o: o.name),
    "unit_list": (2, village_selectors.unit_list, lambda o: o.name),
    "cadre_list": (3, cadre_selectors.cadre_list, lambda o: o.name),
    "posting_list": (4, cadre_selectors.posting_list, lambda o: f"{o.cadre.name}@{o.village.name}"),
    "round_list": (5, cadre_selectors.round_list, lambda o: o.name),
}


@pytest.fixture
def county_rounds(org):
    f.RoundFactory(name="云溪县第一批", region=org.county_a)
    f.RoundFactory(name="石门县第一批", region=org.county_b)


def visible(selector, label, user) -> list[str]:
    return sorted(label(obj) for obj in selector(user=user))


@pytest.mark.parametrize("selector_name", SELECTORS)
@pytest.mark.parametrize("username", EXPECTED)
def test_it_shows_each_user_exactly_their_jurisdiction(users, county_rounds, username, selector_name):
    index, selector, label = SELECTORS[selector_name]
    names = visible(selector, label, getattr(users, username))
    assert names == sorted(EXPECTED[username][index])
    assert len(names) == len(set(names))  # no row twice through a join


@pytest.mark.parametrize("selector_name", SELECTORS)
def test_it_shows_an_inactive_user_nothing(org, county_rounds, selector_name):
    _, selector, label = SELECTORS[selector_name]
    user = f.UserFactory(username="t_gone", role="org", region=org.city, is_active=False)
    assert visible(selector, label, user) == []


@pytest.mark.parametrize("selector_name", SELECTORS)
def test_it_shows_a_user_without_jurisdiction_nothing(org, county_rounds, selector_name):
    _, selector, label = SELECTORS[selector_name]
    user = f.UserFactory(username="t_nobody", role="admin")  # admin role, no region, not a superuser
    assert visible(selector, label, user) == []


@pytest.mark.parametrize("selector_name", SELECTORS)
def test_it_shows_a_superuser_without_region_everything(org, county_rounds, selector_name):
    index, selector, label = SELECTORS[selector_name]
    user = f.UserFactory(username="t_root", role="admin", is_superuser=True, is_staff=True)
    assert scope_of(user).everything
    assert visible(selector, label, user) == sorted(EXPECTED["admin"][index])


def test_it_shows_a_unit_the_postings_it_dispatched_for_a_cadre_of_another_unit(users, org):
    # 市财政局 sends 陈静 (whose own unit is the county's agriculture bureau) to 石桥村.
    f.PostingFactory(cadre=org.c_idle, village=org.v_a1b, round=org.round, unit=org.unit_city)
    assert visible(cadre_selectors.posting_list, SELECTORS["posting_list"][2], users.unit) == [
        "张伟@杨家坪村",
        "陈静@石桥村",
    ]
    assert visible(cadre_selectors.cadre_list, lambda o: o.name, users.unit) == ["张伟", "陈静"]
    assert visible(village_selectors.village_list, lambda o: o.name, users.unit) == ["杨家坪村", "石桥村"]
    # …and the unit whose cadre it is sees that posting too.
    unit_a_user = f.UserFactory(username="t_unit_a", role="unit", unit=org.unit_a)
    assert "陈静@石桥村" in visible(cadre_selectors.posting_list, SELECTORS["posting_list"][2], unit_a_user)


def test_it_lets_a_county_see_its_own_cadre_posted_in_another_county(users, org):
    # 陈静 (unit of county A) posted to 龙潭村 in county B: both counties see the cadre, only B the posting.
    f.PostingFactory(cadre=org.c_idle, village=org.v_b1a, round=org.round)
    assert "陈静" in visible(cadre_selectors.cadre_list, lambda o: o.name, users.county)
    assert "陈静" in visible(cadre_selectors.cadre_list, lambda o: o.name, users.county_b)
    label = SELECTORS["posting_list"][2]
    assert "陈静@龙潭村" not in visible(cadre_selectors.posting_list, label, users.county)
    assert "陈静@龙潭村" in visible(cadre_selectors.posting_list, label, users.county_b)
