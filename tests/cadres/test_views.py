"""Pages of cadres, rounds and postings, the reveal-ID endpoint and the home page of each role.

Besides the `org` fixture, `world` adds two county rounds: 云溪县第一批 (county A) and 石门县第一批 (county B),
both 2025-03-01 .. 2027-02-28 like the city round 第二轮.
"""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from stdnum.cn import ric

from cadres.models import AuditEntry, Cadre, DispatchRound, Posting
from tests import factories as f
from tests.helpers import assert_error_next_to, names


def trail():
    """Audit entries other than logins (every force_login writes auth.login)."""
    return AuditEntry.objects.exclude(action__startswith="auth.")


D = datetime.date
MSG_OVERLAP = "该干部在2025-03-01至今已派驻杨家坪村,同一天只能有一个在岗派驻。"


@pytest.fixture
def world(org):
    org.round_a = f.RoundFactory(name="云溪县第一批", region=org.county_a)
    org.round_b = f.RoundFactory(name="石门县第一批", region=org.county_b)
    return org


URLS = {
    "cadre_list": lambda o: reverse("cadres:cadre_list"),
    "cadre_detail": lambda o: reverse("cadres:cadre_detail", args=[o.c_a1_mem.pk]),
    "cadre_create": lambda o: reverse("cadres:cadre_create"),
    "cadre_update": lambda o: reverse("cadres:cadre_update", args=[o.c_a1_mem.pk]),
    "round_list": lambda o: reverse("cadres:round_list"),
    "round_detail": lambda o: reverse("cadres:round_detail", args=[o.round_a.pk]),
    "round_create": lambda o: reverse("cadres:round_create"),
    "round_update": lambda o: reverse("cadres:round_update", args=[o.round_a.pk]),
    "posting_list": lambda o: reverse("cadres:posting_list"),
    "posting_detail": lambda o: reverse("cadres:posting_detail", args=[o.p_a1_mem.pk]),
    "posting_create": lambda o: reverse("cadres:posting_create"),
    "posting_update": lambda o: reverse("cadres:posting_update", args=[o.p_a1_mem.pk]),
    "home": lambda o: reverse("home"),
}
OUTSIDERS = ["county_b", "township_b", "unit_b", "cadre_b"]
ALL_USERS = ["admin", "city", "county", "county_b", "township", "township2", "township_b", "unit", "unit_b",
             "cadre", "cadre_b"]


def get_as(client, user, url, data=None):
    client.force_login(user)
    return client.get(url, data or {})


def post_as(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, data or {})




def cadre_names(postings) -> list[str]:
    return [p.cadre.name for p in postings]


def id_number(birth: str, seq: str) -> str:
    body = f"110101{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


# --- access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", URLS)
def test_it_sends_anonymous_visitors_to_the_login_page(client, world, page):
    url = URLS[page](world)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


def test_it_sends_an_anonymous_reveal_to_the_login_page(client, org):
    response = client.post(reverse("cadres:cadre_reveal_id", args=[org.c_a1_mem.pk]))
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not trail().exists()


@pytest.mark.parametrize(
    ("username", "page"),
    [
        *[(u, "cadre_list") for u in ("admin", "city", "county", "township", "unit", "cadre")],
        *[(u, "cadre_detail") for u in ("admin", "city", "county", "township", "cadre")],
        *[(u, "round_list") for u in ("admin", "city", "county", "township", "unit", "cadre")],
        *[(u, "round_detail") for u in ("admin", "city", "county", "township", "township2")],
        *[(u, "posting_list") for u in ("admin", "city", "county", "township", "unit", "cadre")],
        *[(u, "posting_detail") for u in ("admin", "city", "county", "township", "cadre")],
        *[(u, p) for u in ("admin", "city", "county") for p in ("cadre_create", "cadre_update", "round_create",
                                                              "round_update", "posting_create", "posting_update")],
    ],
)
def test_it_shows_the_page_inside_the_jurisdiction(client, users, world, username, page):
    assert get_as(client, getattr(users, username), URLS[page](world)).status_code == 200


@pytest.mark.parametrize(
    ("url_name", "obj"),
    [("cadres:cadre_detail", "c_a1_sec"), ("cadres:posting_detail", "p_a1_sec"), ("cadres:round_detail", "round")],
)
def test_it_shows_a_unit_what_it_dispatched(client, users, org, url_name, obj):
    url = reverse(url_name, args=[getattr(org, obj).pk])
    assert get_as(client, users.unit, url).status_code == 200


@pytest.mark.parametrize("page", ["cadre_detail", "cadre_update", "round_detail", "round_update", "posting_detail",
                                  "posting_update"])
@pytest.mark.parametrize("username", OUTSIDERS)
def test_it_answers_404_to_an_outsider(client, users, world, username, page):
    assert get_as(client, getattr(users, username), URLS[page](world)).status_code == 404


@pytest.mark.parametrize("page", ["cadre_detail", "posting_detail", "round_detail"])
def test_it_answers_404_to_a_unit_for_what_it_did_not_dispatch(client, users, world, page):
    assert get_as(client, users.unit, URLS[page](world)).status_code == 404


def test_it_answers_404_to_a_cadre_for_a_teammates_record(client, users, org):
    assert get_as(client, users.cadre, reverse("cadres:cadre_detail", args=[org.c_a1_sec.pk])).status_code == 404
    assert get_as(client, users.cadre, reverse("cadres:posting_detail", args=[org.p_a1_sec.pk])).status_code == 404


@pytest.mark.parametrize(
    ("username", "page"),
    [
        *[(u, p) for u in ("township", "unit", "cadre") for p in ("cadre_create", "round_create", "posting_create")],
        *[(u, p) for u in ("township", "cadre") for p in ("cadre_update", "posting_update")],
        ("township", "round_update"),
    ],
)
def test_it_answers_403_to_a_read_only_role(client, users, world, username, page):
    assert get_as(client, getattr(users, username), URLS[page](world)).status_code == 403


@pytest.mark.parametrize(
    ("username", "url_name", "obj"),
    [
        ("unit", "cadres:cadre_update", "c_a1_sec"),
        ("unit", "cadres:posting_update", "p_a1_sec"),
        ("unit", "cadres:round_update", "round"),
        ("cadre", "cadres:round_update", "round"),
        ("township", "cadres:round_update", "round"),
    ],
)
def test_it_answers_403_for_an_object_seen_but_not_managed(client, users, org, username, url_name, obj):
    assert get_as(client, getattr(users, username), reverse(url_name, args=[getattr(org, obj).pk])).status_code == 403


def test_it_refuses_a_post_from_a_cadre_editing_their_own_record(client, users, org):
    data = {"name": "李娜", "id_number": org.c_a1_mem.id_number, "phone": "13800000000", "unit": org.unit_a.pk,
            "political_status": "cpc", "education": "bachelor", "rank": "staff", "ethnicity": "汉族"}
    assert post_as(client, users.cadre, URLS["cadre_update"](org), data).status_code == 403
    org.c_a1_mem.refresh_from_db()
    assert org.c_a1_mem.phone != "13800000000"
    assert not trail().exists()


def test_it_forbids_a_county_to_edit_the_city_round(client, users, org):
    data = {"name": "第二轮", "region": org.county_a.pk, "start_date": "2025-03-01", "end_date": "2027-02-28"}
    response = post_as(client, users.county, reverse("cadres:round_update", args=[org.round.pk]), data)
    assert response.status_code == 403
    org.round.refresh_from_db()
    assert org.round.region == org.city


# --- lists -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected", "foreign"),
    [
        ("city", ["刘洋", "张伟", "李娜", "王强", "陈静"], []),
        ("county", ["张伟", "李娜", "王强", "陈静"], ["刘洋"]),
        ("county_b", ["刘洋"], ["张伟", "李娜", "王强", "陈静"]),
        ("township", ["张伟", "李娜"], ["王强", "刘洋", "陈静"]),
        ("unit", ["张伟"], ["李娜", "王强", "刘洋", "陈静"]),
        ("cadre", ["李娜"], ["张伟", "王强", "刘洋", "陈静"]),
    ],
)
def test_it_lists_only_cadres_of_the_jurisdiction(client, users, org, username, expected, foreign):
    response = get_as(client, getattr(users, username), URLS["cadre_list"](org))
    assert names(response.context["object_list"]) == expected
    html = response.content.decode()
    for name in foreign:
        assert name not in html


@pytest.mark.parametrize(
    ("username", "expected", "foreign"),
    [
        ("county", ["张伟", "李娜", "王强"], ["刘洋", "龙潭村"]),
        ("township2", ["王强"], ["张伟", "李娜", "刘洋", "杨家坪村", "龙潭村"]),
        ("unit_b", ["刘洋"], ["张伟", "李娜", "王强", "杨家坪村", "新塘村"]),
        ("cadre", ["李娜"], ["张伟", "王强", "刘洋", "新塘村", "龙潭村"]),
    ],
)
def test_it_lists_only_postings_of_the_jurisdiction(client, users, org, username, expected, foreign):
    response = get_as(client, getattr(users, username), URLS["posting_list"](org))
    assert cadre_names(response.context["object_list"]) == expected
    html = response.content.decode()
    for name in foreign:
        assert name not in html


@pytest.mark.parametrize(
    ("username", "expected", "foreign"),
    [
        ("county", ["云溪县第一批", "第二轮"], ["石门县第一批"]),
        ("township_b", ["石门县第一批", "第二轮"], ["云溪县第一批"]),
        ("unit", ["第二轮"], ["云溪县第一批", "石门县第一批"]),
    ],
)
def test_it_lists_only_rounds_of_the_jurisdiction(client, users, world, username, expected, foreign):
    response = get_as(client, getattr(users, username), URLS["round_list"](world))
    assert names(response.context["object_list"]) == expected
    html = response.content.decode()
    for name in foreign:
        assert name not in html


def test_it_counts_only_postings_of_the_jurisdiction_per_round(client, users, world):
    response = get_as(client, users.county, URLS["round_list"](world))
    counts = {r.name: (r.n_postings, r.n_in_post) for r in response.context["object_list"]}
    assert counts == {"云溪县第一批": (0, 0), "第二轮": (3, 3)}


def test_it_summarises_a_round_within_the_jurisdiction(client, users, org):
    response = get_as(client, users.county, reverse("cadres:round_detail", args=[org.round.pk]))
    assert response.context["n_postings"] == 3
    assert response.context["n_villages"] == 2
    assert {row["role"]: row["n"] for row in response.context["by_role"]} == {"first_secretary": 2, "member": 1}


# --- cadre list filters, search, sorting, pagination ----------------------------------------------------


@pytest.fixture
def known_numbers(org):
    """Fixed ID numbers and phones for the county A cadres, so a search by digits has one exact answer."""
    numbers = {}
    for i, cadre in enumerate([org.c_a1_sec, org.c_a1_mem, org.c_a2_sec, org.c_idle], start=1):
        # 17th digit: odd for men, even for women, as the ID rules require.
        seq = f"90{(2 * i) + (1 if cadre.gender == 'M' else 0)}"
        cadre.id_number = id_number("19850615", seq)
        cadre.phone = f"1391234567{i}"
        cadre.save()
        numbers[cadre.name] = cadre.id_number
    return numbers


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "town_a1"}, ["张伟", "李娜"]),
        ({"region": "town_a2"}, ["王强"]),
        ({"region": "county_a"}, ["张伟", "李娜", "王强"]),
        ({"unit": "unit_a"}, ["李娜", "王强", "陈静"]),
        ({"unit": "unit_city"}, ["张伟"]),
        ({"round": "round"}, ["张伟", "李娜", "王强"]),
        ({"round": "round_a"}, []),
        ({"role": "first_secretary"}, ["张伟", "王强"]),
        ({"role": "member"}, ["李娜"]),
        ({"role": "team_leader"}, []),
        ({"status": "in_post"}, ["张伟", "李娜", "王强"]),
        ({"status": "recalled"}, []),
        ({"region": "town_a1", "role": "member"}, ["李娜"]),
        ({"q": "李娜"}, ["李娜"]),
        ({"q": "王"}, ["王强"]),
        ({"q": "刘洋"}, []),
    ],
)
def test_it_filters_the_cadre_list(client, users, world, params, expected):
    data = {k: (getattr(world, v).pk if k in ("region", "unit", "round") else v) for k, v in params.items()}
    response = get_as(client, users.county, URLS["cadre_list"](world), data)
    assert names(response.context["object_list"]) == expected


def test_it_filters_cadres_by_a_county_round_and_by_recall(client, users, world):
    f.PostingFactory(cadre=world.c_idle, village=world.v_a1b, round=world.round_a, start_date=D(2025, 6, 1))
    world.p_a2_sec.status, world.p_a2_sec.end_date = Posting.Status.RECALLED, D(2026, 3, 31)
    world.p_a2_sec.save()
    client.force_login(users.county)
    url = URLS["cadre_list"](world)
    assert names(client.get(url, {"round": world.round_a.pk}).context["object_list"]) == ["陈静"]
    assert names(client.get(url, {"status": "recalled"}).context["object_list"]) == ["王强"]
    assert names(client.get(url, {"status": "in_post"}).context["object_list"]) == ["张伟", "李娜", "陈静"]


@pytest.mark.parametrize("param", ["region", "unit", "round"])
def test_it_shows_nothing_for_a_foreign_filter_value(client, users, world, param):
    foreign = {"region": world.town_b1, "unit": world.unit_b, "round": world.round_b}[param]
    response = get_as(client, users.county, URLS["cadre_list"](world), {param: foreign.pk})
    assert names(response.context["object_list"]) == []
    assert "刘洋" not in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda n: n["王强"][-4:], ["王强"]),
        (lambda n: n["李娜"][-6:], ["李娜"]),
        (lambda n: n["陈静"], ["陈静"]),
        (lambda n: "13912345673", ["王强"]),
        (lambda n: "１３９１２３４５６７１", ["张伟"]),
        (lambda n: "5674", ["陈静"]),
        (lambda n: "13912345675", []),
    ],
)
def test_it_searches_cadres_by_id_tail_or_phone(client, users, org, known_numbers, query, expected):
    response = get_as(client, users.county, URLS["cadre_list"](org), {"q": query(known_numbers)})
    assert names(response.context["object_list"]) == expected


def test_it_does_not_find_a_foreign_cadre_by_id_number(client, users, org):
    response = get_as(client, users.county, URLS["cadre_list"](org), {"q": org.c_b1_sec.id_number})
    assert names(response.context["object_list"]) == []


@pytest.mark.parametrize(
    ("o", "expected"),
    [
        # Code point order (the test databases use C collation): 张 < 李 < 王 < 陈.
        ("name", ["张伟", "李娜", "王强", "陈静"]),
        ("-name", ["陈静", "王强", "李娜", "张伟"]),
    ],
)
def test_it_sorts_the_cadre_list(client, users, org, o, expected):
    response = get_as(client, users.county, URLS["cadre_list"](org), {"o": o})
    assert names(response.context["object_list"]) == expected


def test_it_sorts_the_cadre_list_by_birth_date(client, users, org):
    Cadre.objects.filter(pk=org.c_idle.pk).update(birth_date=D(1970, 1, 1))
    Cadre.objects.filter(pk=org.c_a2_sec.pk).update(birth_date=D(1995, 1, 1))
    response = get_as(client, users.county, URLS["cadre_list"](org), {"o": "-birth_date"})
    result = names(response.context["object_list"])
    assert (result[0], result[-1]) == ("王强", "陈静")


def add_cadres(org, n: int) -> None:
    for _ in range(n):
        cadre = f.CadreFactory(unit=org.unit_a)
        f.PostingFactory(cadre=cadre, village=org.v_a1b, round=org.round)


def test_it_paginates_the_cadre_list_and_keeps_the_filter(client, users, org):
    add_cadres(org, 30)
    response = get_as(client, users.county, URLS["cadre_list"](org), {"unit": org.unit_a.pk})
    assert len(response.context["object_list"]) == 25
    assert response.context["paginator"].count == 33
    html = response.content.decode()
    assert "第 1 / 2 页" in html
    assert f"unit={org.unit_a.pk}&amp;page=2" in html
    second = client.get(URLS["cadre_list"](org), {"unit": org.unit_a.pk, "page": 2})
    assert len(second.context["object_list"]) == 8


@pytest.mark.parametrize("params", [{}, {"status": "in_post", "q": "干部"}])
def test_it_lists_cadres_in_a_constant_number_of_queries(client, users, org, params, django_assert_num_queries,
                                                          django_assert_max_num_queries):
    client.force_login(users.county)
    url = URLS["cadre_list"](org)
    add_cadres(org, 5)
    with CaptureQueriesContext(connection) as small:
        first = client.get(url, params)
    add_cadres(org, 10)  # three times as many extra cadres
    with django_assert_num_queries(len(small.captured_queries)):
        second = client.get(url, params)
    assert len(second.context["object_list"]) == len(first.context["object_list"]) + 10
    with django_assert_max_num_queries(14):
        client.get(url, params)


def test_it_shows_each_cadres_current_posting_in_the_list(client, users, org):
    response = get_as(client, users.county, URLS["cadre_list"](org))
    current = {cadre.name: (p.village.name if p else None) for cadre, p in response.context["rows"]}
    assert current == {"张伟": "杨家坪村", "李娜": "杨家坪村", "王强": "新塘村", "陈静": None}


# --- ID numbers: masked everywhere, revealed on POST with an audit entry -------------------------------


@pytest.mark.parametrize("username", ["city", "county", "township", "unit"])
def test_it_shows_only_masked_id_numbers_in_the_cadre_list(client, users, org, username):
    response = get_as(client, getattr(users, username), URLS["cadre_list"](org))
    html = response.content.decode()
    shown = list(response.context["object_list"])
    assert shown
    for cadre in shown:
        assert cadre.masked_id_number == cadre.id_number[:6] + "********" + cadre.id_number[-4:]
        assert cadre.masked_id_number in html
        assert cadre.id_number not in html


@pytest.mark.parametrize("username", ["county", "township", "cadre"])
def test_it_masks_the_id_number_on_the_detail_page(client, users, org, username):
    html = get_as(client, getattr(users, username), URLS["cadre_detail"](org)).content.decode()
    assert org.c_a1_mem.masked_id_number in html
    assert org.c_a1_mem.id_number not in html


def test_it_masks_id_numbers_in_the_posting_list(client, users, org):
    html = get_as(client, users.county, URLS["posting_list"](org)).content.decode()
    for cadre in (org.c_a1_sec, org.c_a1_mem, org.c_a2_sec):
        assert cadre.id_number not in html


def reveal_url(cadre) -> str:
    return reverse("cadres:cadre_reveal_id", args=[cadre.pk])


def test_it_does_not_reveal_an_id_number_on_get(client, users, org):
    response = get_as(client, users.county, reveal_url(org.c_a1_mem))
    assert response.status_code == 405
    assert not trail().exists()


@pytest.mark.parametrize("username", ["county", "city", "admin", "cadre"])
def test_it_reveals_the_id_number_on_post_and_audits_it(client, users, org, username):
    user = getattr(users, username)
    response = post_as(client, user, reveal_url(org.c_a1_mem))
    assert response.status_code == 200
    assert response.context["id_display"] == org.c_a1_mem.id_number
    assert org.c_a1_mem.id_number in response.content.decode()
    entry = trail().get()
    assert (entry.action, entry.actor, entry.object_type, entry.object_id, entry.region_code) == (
        "cadre.view_id_number", user, "cadres.cadre", str(org.c_a1_mem.pk), "369901000000"
    )


@pytest.mark.parametrize("username", ["township", "unit"])
def test_it_refuses_to_reveal_to_a_read_only_role(client, users, org, username):
    response = post_as(client, getattr(users, username), reveal_url(org.c_a1_sec))
    assert response.status_code == 403
    assert org.c_a1_sec.id_number not in response.content.decode()
    assert not trail().exists()


@pytest.mark.parametrize("username", [*OUTSIDERS, "cadre"])
def test_it_answers_404_to_a_reveal_outside_the_jurisdiction(client, users, org, username):
    response = post_as(client, getattr(users, username), reveal_url(org.c_a2_sec))
    assert response.status_code == 404
    assert org.c_a2_sec.id_number not in response.content.decode()
    assert not trail().exists()


def test_it_does_not_show_the_full_id_number_unaudited_on_the_edit_page(client, users, org):
    html = get_as(client, users.county, URLS["cadre_update"](org)).content.decode()
    audited = AuditEntry.objects.filter(action="cadre.view_id_number", object_id=str(org.c_a1_mem.pk)).exists()
    assert org.c_a1_mem.id_number not in html or audited


# --- cadre forms -----------------------------------------------------------------------------------------


def cadre_data(org, **changes):
    data = {"name": "赵敏", "id_number": id_number("19900203", "124"), "phone": "13912345678", "unit": org.unit_a.pk,
            "political_status": "cpc", "education": "bachelor", "rank": "staff", "ethnicity": "汉族"}
    data.update(changes)
    return data


def test_it_creates_a_cadre_and_redirects_to_it(client, users, org):
    response = post_as(client, users.county, URLS["cadre_create"](org), cadre_data(org))
    cadre = Cadre.objects.get(name="赵敏")
    assert response.status_code == 302
    assert response.url == cadre.get_absolute_url()
    assert (cadre.birth_date, cadre.gender, cadre.unit) == (D(1990, 2, 3), "F", org.unit_a)
    assert trail().get().action == "cadre.create"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"id_number": id_number("19900203", "124")[:-1] + "Y"}, "id_number", "身份证号码校验位不正确,请核对。"),
        ({"id_number": "1101011990020312"}, "id_number", "身份证号码必须是18位。"),
        ({"birth_date": "1990-02-04"}, "birth_date", "出生日期与身份证号码不一致(身份证显示为1990-02-03)。"),
        ({"gender": "M"}, "gender", "性别与身份证号码不一致。"),
        ({"phone": "1234567"}, "phone", "电话号码格式不正确:手机号为1开头的11位数字,固定电话如 0791-12345678。"),
    ],
)
def test_it_shows_a_bad_cadre_field_next_to_it_and_saves_nothing(client, users, org, changes, field, message):
    response = post_as(client, users.county, URLS["cadre_create"](org), cadre_data(org, **changes))
    assert_error_next_to(response, field, message)
    assert Cadre.objects.count() == 5
    assert not trail().exists()


def test_it_refuses_an_id_number_registered_to_another_cadre(client, users, org):
    data = cadre_data(org, id_number=org.c_b1_sec.id_number.lower(), gender="", birth_date="")
    response = post_as(client, users.county, URLS["cadre_create"](org), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["id_number"]
    assert Cadre.objects.count() == 5


def test_it_offers_only_units_of_the_jurisdiction_for_a_cadre(client, users, org):
    response = get_as(client, users.county, URLS["cadre_create"](org))
    assert names(response.context["form"].fields["unit"].queryset) == ["市财政局", "云溪县农业农村局"]
    assert "石门县教育局" not in response.content.decode()


def test_it_refuses_a_foreign_unit_for_a_cadre(client, users, org):
    response = post_as(client, users.county, URLS["cadre_create"](org), cadre_data(org, unit=org.unit_b.pk))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["unit"]
    assert not Cadre.objects.filter(name="赵敏").exists()


def test_it_edits_a_cadre(client, users, org):
    cadre = org.c_a1_mem
    data = cadre_data(org, name="李娜", id_number=cadre.id_number, phone="0791-7654321", birth_date="1985-06-15",
                      gender="F", original_post="科员")
    response = post_as(client, users.county, URLS["cadre_update"](org), data)
    assert response.status_code == 302
    cadre.refresh_from_db()
    assert (cadre.phone, cadre.original_post) == ("0791-7654321", "科员")
    assert trail().get().action == "cadre.update"


def test_it_shows_the_posting_history_on_the_cadre_page(client, users, org):
    response = get_as(client, users.county, URLS["cadre_detail"](org))
    assert [(p.village.name, p.round.name) for p in response.context["postings"]] == [("杨家坪村", "第二轮")]
    assert "杨家坪村" in response.content.decode()


# --- round forms -----------------------------------------------------------------------------------------


def test_it_creates_a_round(client, users, org):
    data = {"name": "云溪县第二批", "region": org.county_a.pk, "start_date": "2026-01-01", "end_date": "2027-12-31"}
    response = post_as(client, users.county, URLS["round_create"](org), data)
    new = DispatchRound.objects.get(name="云溪县第二批")
    assert response.status_code == 302
    assert response.url == new.get_absolute_url()
    assert (new.region, new.start_date, new.end_date) == (org.county_a, D(2026, 1, 1), D(2027, 12, 31))
    assert trail().get().action == "round.create"


def test_it_shows_an_end_before_the_start_next_to_the_end_date(client, users, org):
    data = {"name": "倒序", "region": org.county_a.pk, "start_date": "2026-01-01", "end_date": "2025-12-31"}
    response = post_as(client, users.county, URLS["round_create"](org), data)
    assert_error_next_to(response, "end_date", "结束日期必须晚于开始日期。")
    assert not DispatchRound.objects.filter(name="倒序").exists()


def test_it_offers_a_county_only_its_own_region_for_a_round(client, users, org):
    response = get_as(client, users.county, URLS["round_create"](org))
    assert names(response.context["form"].fields["region"].queryset) == ["云溪县"]


def test_it_refuses_to_move_a_round_away_from_its_postings(client, users, org):
    data = {"name": "第二轮", "region": org.city.pk, "start_date": "2025-04-01", "end_date": "2027-02-28"}
    response = post_as(client, users.city, reverse("cadres:round_update", args=[org.round.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "有4条派驻记录的到岗日期会落在轮次起止日期之外,请先调整这些记录。"
    ]
    org.round.refresh_from_db()
    assert org.round.start_date == D(2025, 3, 1)


def test_it_edits_a_round(client, users, world):
    data = {"name": "云溪县第一批", "region": world.county_a.pk, "start_date": "2025-03-01",
            "end_date": "2027-06-30", "note": "延期"}
    response = post_as(client, users.county, URLS["round_update"](world), data)
    assert response.status_code == 302
    world.round_a.refresh_from_db()
    assert (world.round_a.end_date, world.round_a.note) == (D(2027, 6, 30), "延期")


# --- posting forms ---------------------------------------------------------------------------------------


def posting_data(org, **changes):
    data = {"cadre": org.c_idle.pk, "village": org.v_a1b.pk, "round": org.round.pk, "role": "member",
            "status": "in_post", "start_date": "2025-06-01"}
    data.update(changes)
    return data


def test_it_creates_a_posting_and_redirects_to_it(client, users, org):
    response = post_as(client, users.county, URLS["posting_create"](org), posting_data(org))
    posting = Posting.objects.get(cadre=org.c_idle)
    assert response.status_code == 302
    assert response.url == posting.get_absolute_url()
    assert (posting.village, posting.unit, posting.start_date) == (org.v_a1b, org.unit_a, D(2025, 6, 1))
    assert trail().get().action == "posting.create"


def test_it_shows_an_overlapping_posting_next_to_the_start_date_and_saves_nothing(client, users, org):
    data = posting_data(org, cadre=org.c_a1_sec.pk, start_date="2026-01-01")
    response = post_as(client, users.county, URLS["posting_create"](org), data)
    assert_error_next_to(response, "start_date", MSG_OVERLAP)
    assert Posting.objects.count() == 4
    assert not trail().exists()


def test_it_shows_a_start_outside_the_round_next_to_the_start_date(client, users, org):
    response = post_as(client, users.county, URLS["posting_create"](org), posting_data(org, start_date="2027-03-01"))
    assert_error_next_to(response, "start_date", "到岗日期必须在轮次“第二轮”的起止日期(2025-03-01 至 2027-02-28)之内。")
    assert Posting.objects.count() == 4


def test_it_offers_only_choices_of_the_jurisdiction_on_the_posting_form(client, users, world):
    response = get_as(client, users.county, URLS["posting_create"](world))
    fields = response.context["form"].fields
    assert names(fields["village"].queryset) == ["杨家坪村", "石桥村", "新塘村"]
    assert names(fields["cadre"].queryset) == ["张伟", "李娜", "王强", "陈静"]
    assert sorted(names(fields["round"].queryset)) == ["云溪县第一批", "第二轮"]
    assert names(fields["unit"].queryset) == ["市财政局", "云溪县农业农村局"]
    assert list(fields["replaces"].queryset) == []
    html = response.content.decode()
    for foreign in ("龙潭村", "刘洋", "石门县第一批", "石门县教育局"):
        assert foreign not in html


@pytest.mark.parametrize("field", ["village", "cadre", "round", "unit"])
def test_it_refuses_a_foreign_choice_on_the_posting_form(client, users, world, field):
    foreign = {"village": world.v_b1a, "cadre": world.c_b1_sec, "round": world.round_b, "unit": world.unit_b}[field]
    response = post_as(client, users.county, URLS["posting_create"](world), posting_data(world, **{field: foreign.pk}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Posting.objects.count() == 4


def test_it_prefills_the_posting_form_from_the_query_string(client, users, org):
    response = get_as(client, users.county, URLS["posting_create"](org), {"cadre": org.c_idle.pk, "village": "x"})
    assert response.context["form"].initial == {"cadre": org.c_idle.pk}


def test_it_ends_a_posting(client, users, org):
    data = posting_data(org, cadre=org.c_a1_mem.pk, village=org.v_a1a.pk, start_date="2025-03-01",
                        status="completed", end_date="2026-02-28")
    response = post_as(client, users.county, URLS["posting_update"](org), data)
    assert response.status_code == 302
    org.p_a1_mem.refresh_from_db()
    assert (org.p_a1_mem.status, org.p_a1_mem.end_date) == ("completed", D(2026, 2, 28))
    assert trail().get().action == "posting.update"


def test_it_records_a_replacement_through_the_form(client, users, org):
    org.p_a2_sec.status, org.p_a2_sec.end_date = Posting.Status.RECALLED, D(2026, 3, 31)
    org.p_a2_sec.save()
    data = posting_data(org, village=org.v_a2a.pk, role="first_secretary", replaces=org.p_a2_sec.pk,
                        start_date="2026-04-01")
    response = post_as(client, users.county, URLS["posting_create"](org), data)
    assert response.status_code == 302
    assert Posting.objects.get(cadre=org.c_idle).replaces == org.p_a2_sec


# --- home pages ------------------------------------------------------------------------------------------


def counts(villages, covered, in_post, secretaries, leaders, members, ending_soon=0, unreplaced=0):
    return {"villages": villages, "villages_covered": covered, "cadres_in_post": in_post,
            "first_secretaries": secretaries, "team_leaders": leaders, "members": members,
            "ending_soon": ending_soon, "recalled_unreplaced": unreplaced}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("admin", counts(4, 3, 4, 3, 0, 1)),
        ("city", counts(4, 3, 4, 3, 0, 1)),
        ("county", counts(3, 2, 3, 2, 0, 1)),
        ("county_b", counts(1, 1, 1, 1, 0, 0)),
        ("township", counts(2, 1, 2, 1, 0, 1)),
        ("township2", counts(1, 1, 1, 1, 0, 0)),
        ("township_b", counts(1, 1, 1, 1, 0, 0)),
        ("unit", counts(1, 1, 1, 1, 0, 0)),
        ("unit_b", counts(1, 1, 1, 1, 0, 0)),
    ],
)
def test_it_shows_each_role_its_counts_on_the_home_page(client, users, org, username, expected):
    response = get_as(client, getattr(users, username), URLS["home"](org))
    assert response.status_code == 200
    assert response.context["counts"] == expected


def test_it_breaks_the_county_home_page_down_by_township(client, users, org):
    response = get_as(client, users.county, URLS["home"](org))
    rows = [(r["region"].name, r["villages"], r["covered"], r["cadres"], r["secretaries"])
            for r in response.context["breakdown"]]
    assert rows == [("城关镇", 2, 1, 2, 1), ("河口乡", 1, 1, 1, 1)]
    assert [(v.name, w) for v, w in response.context["team_warnings"]] == [
        ("杨家坪村", ["重点村工作队一般不少于3人,目前在岗2人。"])
    ]
    assert "石门" not in response.content.decode()


def test_it_counts_a_recall_awaiting_replacement_on_the_home_page(client, users, org):
    org.p_a2_sec.status, org.p_a2_sec.end_date = Posting.Status.RECALLED, D(2026, 3, 31)
    org.p_a2_sec.save()
    response = get_as(client, users.county, URLS["home"](org))
    assert response.context["counts"] == counts(3, 1, 2, 1, 0, 1, unreplaced=1)
    assert [p.cadre.name for p in response.context["recalled_unreplaced"]] == ["王强"]


@pytest.mark.parametrize(("username", "village", "teammates"), [("cadre", "杨家坪村", ["张伟"]), ("cadre_b", "龙潭村", [])])
def test_it_shows_a_cadre_their_posting_and_team_on_the_home_page(client, users, org, username, village, teammates):
    response = get_as(client, getattr(users, username), URLS["home"](org))
    assert response.status_code == 200
    assert response.context["posting"].village.name == village
    assert cadre_names(response.context.get("teammates", [])) == teammates
    assert "counts" not in response.context
