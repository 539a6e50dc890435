"""Pages of regions, villages and dispatching units: who gets 200, 403, 404 or the login page; what the lists
and forms show; and how many queries the village list costs."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadres.models import AuditEntry
from tests import factories as f
from tests.helpers import assert_error_next_to, names
from villages.models import DispatchingUnit, RegionLevel, Village, VillageCategory

# --- helpers ---------------------------------------------------------------------------------------------


def trail():
    """Audit entries other than logins (every force_login writes auth.login)."""
    return AuditEntry.objects.exclude(action__startswith="auth.")


URLS = {
    "region_list": lambda o: reverse("villages:region_list"),
    "region_detail": lambda o: reverse("villages:region_detail", args=[o.county_a.pk]),
    "township_detail": lambda o: reverse("villages:region_detail", args=[o.town_a1.pk]),
    "village_list": lambda o: reverse("villages:village_list"),
    "village_detail": lambda o: reverse("villages:village_detail", args=[o.v_a1a.pk]),
    "village_create": lambda o: reverse("villages:village_create"),
    "village_update": lambda o: reverse("villages:village_update", args=[o.v_a1a.pk]),
    "unit_list": lambda o: reverse("villages:unit_list"),
    "unit_detail": lambda o: reverse("villages:unit_detail", args=[o.unit_a.pk]),
    "unit_create": lambda o: reverse("villages:unit_create"),
    "unit_update": lambda o: reverse("villages:unit_update", args=[o.unit_a.pk]),
}
OUTSIDERS = ["county_b", "township_b", "unit_b", "cadre_b"]


def get_as(client, user, url, data=None):
    client.force_login(user)
    return client.get(url, data or {})


def post_as(client, user, url, data):
    client.force_login(user)
    return client.post(url, data)




# --- access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", URLS)
def test_it_sends_anonymous_visitors_to_the_login_page(client, org, page):
    url = URLS[page](org)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    ("username", "page"),
    [
        *[(u, "region_list") for u in ("admin", "city", "county", "township", "unit", "cadre")],
        *[(u, "region_detail") for u in ("admin", "city", "county", "unit", "cadre")],
        *[(u, "township_detail") for u in ("city", "county", "township", "unit", "cadre")],
        *[(u, "village_list") for u in ("admin", "city", "county", "township", "unit", "cadre")],
        *[(u, "village_detail") for u in ("city", "county", "township", "unit", "cadre")],
        *[(u, "unit_list") for u in ("city", "county", "township", "unit", "cadre")],
        *[(u, "unit_detail") for u in ("city", "county", "township", "township2", "cadre")],
        *[(u, page) for u in ("admin", "city", "county") for page in ("village_create", "village_update")],
        *[(u, page) for u in ("admin", "city", "county") for page in ("unit_create", "unit_update")],
    ],
)
def test_it_shows_the_page_inside_the_jurisdiction(client, users, org, username, page):
    assert get_as(client, getattr(users, username), URLS[page](org)).status_code == 200


@pytest.mark.parametrize("page", ["region_detail", "township_detail", "village_detail", "village_update",
                                  "unit_detail", "unit_update"])
@pytest.mark.parametrize("username", OUTSIDERS)
def test_it_answers_404_to_an_outsider(client, users, org, username, page):
    assert get_as(client, getattr(users, username), URLS[page](org)).status_code == 404


def test_it_answers_404_to_a_township_for_its_county(client, users, org):
    assert get_as(client, users.township, URLS["region_detail"](org)).status_code == 404


def test_it_answers_404_to_a_unit_for_a_unit_it_has_nothing_to_do_with(client, users, org):
    assert get_as(client, users.unit, URLS["unit_detail"](org)).status_code == 404


def test_it_answers_404_for_an_object_that_does_not_exist(client, users, org):
    assert get_as(client, users.city, reverse("villages:village_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    ("username", "page"),
    [
        *[(u, p) for u in ("township", "unit", "cadre") for p in ("village_create", "village_update", "unit_create")],
        ("township", "unit_update"),
        ("cadre", "unit_update"),
    ],
)
def test_it_answers_403_to_a_read_only_role(client, users, org, username, page):
    assert get_as(client, getattr(users, username), URLS[page](org)).status_code == 403


def test_it_answers_403_to_a_unit_editing_itself(client, users, org):
    url = reverse("villages:unit_update", args=[org.unit_city.pk])
    assert get_as(client, users.unit, url).status_code == 403


def test_it_refuses_a_post_from_a_read_only_role_and_changes_nothing(client, users, org):
    data = {"code": org.v_a1a.code, "name": "改名村", "township": org.town_a1.pk}
    response = post_as(client, users.township, URLS["village_update"](org), data)
    assert response.status_code == 403
    org.v_a1a.refresh_from_db()
    assert org.v_a1a.name == "杨家坪村"


def test_it_refuses_a_post_from_an_outsider_with_404(client, users, org):
    data = {"code": org.v_a1a.code, "name": "改名村", "township": org.town_a1.pk}
    assert post_as(client, users.county_b, URLS["village_update"](org), data).status_code == 404
    org.v_a1a.refresh_from_db()
    assert org.v_a1a.name == "杨家坪村"


def test_it_forbids_a_county_to_edit_a_city_unit_it_can_only_see(client, users, org):
    url = reverse("villages:unit_update", args=[org.unit_city.pk])
    response = post_as(client, users.county, url, {"name": "市财政局", "level": 3, "region": org.county_a.pk})
    assert response.status_code == 403
    org.unit_city.refresh_from_db()
    assert (org.unit_city.region, org.unit_city.level) == (org.city, RegionLevel.CITY)


# --- lists -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "page", "expected", "foreign"),
    [
        ("county", "region_list", ["云溪县", "城关镇", "河口乡"], ["石门县", "石门镇"]),
        ("township", "region_list", ["城关镇"], ["河口乡", "石门镇"]),
        ("county", "village_list", ["杨家坪村", "石桥村", "新塘村"], ["龙潭村"]),
        ("township", "village_list", ["杨家坪村", "石桥村"], ["新塘村", "龙潭村"]),
        ("unit", "village_list", ["杨家坪村"], ["石桥村", "新塘村", "龙潭村"]),
        ("cadre_b", "village_list", ["龙潭村"], ["杨家坪村", "石桥村", "新塘村"]),
        ("county", "unit_list", ["市财政局", "云溪县农业农村局"], ["石门县教育局"]),
        ("county_b", "unit_list", ["石门县教育局"], ["市财政局", "云溪县农业农村局"]),
        ("unit", "unit_list", ["市财政局"], ["云溪县农业农村局", "石门县教育局"]),
    ],
)
def test_it_lists_only_rows_of_the_jurisdiction(client, users, org, username, page, expected, foreign):
    response = get_as(client, getattr(users, username), URLS[page](org))
    assert names(response.context["object_list"]) == expected
    html = response.content.decode()
    for name in expected:
        assert name in html
    for name in foreign:
        assert name not in html


def test_it_filters_the_village_list_by_region(client, users, org):
    response = get_as(client, users.county, URLS["village_list"](org), {"region": org.town_a2.pk})
    assert names(response.context["object_list"]) == ["新塘村"]


def test_it_ignores_a_foreign_region_in_the_village_filter(client, users, org):
    response = get_as(client, users.county, URLS["village_list"](org), {"region": org.town_b1.pk})
    # Not a valid choice for this user: the filter form is invalid and no foreign village appears.
    assert "龙潭村" not in names(response.context["object_list"])
    assert response.context["filter"].errors


@pytest.mark.parametrize(("q", "expected"), [("石桥", ["石桥村"]), ("369901002", ["新塘村"]), ("龙潭", [])])
def test_it_searches_villages_by_name_or_code(client, users, org, q, expected):
    response = get_as(client, users.county, URLS["village_list"](org), {"q": q})
    assert names(response.context["object_list"]) == expected


def test_it_filters_villages_by_category(client, users, org):
    category = VillageCategory.objects.get(code="key_assistance")
    response = get_as(client, users.county, URLS["village_list"](org), {"category": category.pk})
    assert names(response.context["object_list"]) == ["杨家坪村"]


def test_it_sorts_the_village_list(client, users, org):
    response = get_as(client, users.county, URLS["village_list"](org), {"o": "-code"})
    assert names(response.context["object_list"]) == ["新塘村", "石桥村", "杨家坪村"]


def test_it_counts_cadres_in_post_per_village(client, users, org):
    response = get_as(client, users.county, URLS["village_list"](org))
    assert {v.name: v.n_in_post for v in response.context["object_list"]} == {"杨家坪村": 2, "石桥村": 0, "新塘村": 1}


def add_villages(org, n: int, start: int) -> None:
    categories = list(VillageCategory.objects.all()[:2])
    for i in range(start, start + n):
        village = f.VillageFactory(code=f"369901002{300 + i:03d}", township=org.town_a2)
        village.categories.set(categories)
        f.PostingFactory(cadre=f.CadreFactory(unit=org.unit_a), village=village, round=org.round)


def test_it_lists_villages_in_a_constant_number_of_queries(client, users, org, django_assert_num_queries,
                                                            django_assert_max_num_queries):
    client.force_login(users.county)
    url = URLS["village_list"](org)
    add_villages(org, 4, 0)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).context["object_list"]) == 7
    add_villages(org, 8, 4)  # three times as many extra villages
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(url).context["object_list"]) == 15
    with django_assert_max_num_queries(12):
        client.get(url)


def test_it_paginates_the_village_list(client, users, org):
    add_villages(org, 30, 0)
    response = get_as(client, users.county, URLS["village_list"](org))
    assert len(response.context["object_list"]) == 25
    assert response.context["page_obj"].paginator.num_pages == 2
    assert "第 1 / 2 页" in response.content.decode()
    second = client.get(URLS["village_list"](org), {"page": 2})
    assert len(second.context["object_list"]) == 33 - 25


def test_it_shows_a_townships_villages_on_its_page(client, users, org):
    response = get_as(client, users.township, URLS["township_detail"](org))
    assert names(response.context["villages"]) == ["杨家坪村", "石桥村"]


def test_it_shows_only_visible_children_on_a_region_page(client, users, org):
    response = get_as(client, users.unit, URLS["region_detail"](org))
    assert names(response.context["children"]) == ["城关镇"]
    assert "河口乡" not in response.content.decode()


def test_it_shows_the_team_of_a_village(client, users, org):
    response = get_as(client, users.township, URLS["village_detail"](org))
    [team] = response.context["teams"]
    assert sorted(p.cadre.name for p in team.postings) == ["张伟", "李娜"]
    # A priority village with 2 in post is below the default minimum of 3: a warning, never a block.
    assert team.warnings == ["重点村工作队一般不少于3人,目前在岗2人。"]


# --- village forms ---------------------------------------------------------------------------------------


def village_data(org, **changes):
    data = {"code": "369901001203", "name": "新村", "township": org.town_a1.pk}
    data.update(changes)
    return data


def test_it_creates_a_village_and_redirects_to_it(client, users, org):
    category = VillageCategory.objects.get(code="key_assistance")
    response = post_as(client, users.county, URLS["village_create"](org), village_data(org, categories=[category.pk]))
    village = Village.objects.get(code="369901001203")
    assert response.status_code == 302
    assert response.url == village.get_absolute_url()
    assert (village.name, village.township) == ("新村", org.town_a1)
    assert list(village.categories.all()) == [category]
    assert trail().get().action == "village.create"


def test_it_stores_a_full_width_code_typed_into_the_form_in_ascii(client, users, org):
    full_width = "369901001203".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = post_as(client, users.county, URLS["village_create"](org), village_data(org, code=full_width))
    assert response.status_code == 302
    assert Village.objects.filter(code="369901001203").exists()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("36990100120", "区划代码必须是12位数字。"),
        ("369901002203", "区划代码必须以上级区划的代码369901001开头。"),
        ("369901001000", "区划代码中本级部分不能全为0。"),
    ],
)
def test_it_shows_a_bad_village_code_next_to_the_field_and_saves_nothing(client, users, org, code, message):
    response = post_as(client, users.county, URLS["village_create"](org), village_data(org, code=code))
    assert_error_next_to(response, "code", message)
    assert Village.objects.count() == 4
    assert not trail().exists()


def test_it_refuses_a_village_code_already_used(client, users, org):
    response = post_as(client, users.county, URLS["village_create"](org), village_data(org, code=org.v_a1b.code))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["code"]
    assert Village.objects.count() == 4


def test_it_refuses_a_township_of_another_county(client, users, org):
    data = village_data(org, code="369902001203", township=org.town_b1.pk)
    response = post_as(client, users.county, URLS["village_create"](org), data)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["township"]
    assert not Village.objects.filter(code="369902001203").exists()


def test_it_offers_only_townships_and_villages_of_the_jurisdiction(client, users, org):
    response = get_as(client, users.county, URLS["village_create"](org))
    form = response.context["form"]
    assert names(form.fields["township"].queryset) == ["城关镇", "河口乡"]
    assert names(form.fields["paired_with"].queryset) == ["杨家坪村", "石桥村", "新塘村"]
    html = response.content.decode()
    assert "石门镇" not in html
    assert "龙潭村" not in html


def test_it_does_not_offer_a_village_as_its_own_pair(client, users, org):
    response = get_as(client, users.county, URLS["village_update"](org))
    assert names(response.context["form"].fields["paired_with"].queryset) == ["石桥村", "新塘村"]


def test_it_edits_a_village(client, users, org):
    data = village_data(org, code=org.v_a1b.code, name="石桥社区", population=1200)
    response = post_as(client, users.county, reverse("villages:village_update", args=[org.v_a1b.pk]), data)
    assert response.status_code == 302
    org.v_a1b.refresh_from_db()
    assert (org.v_a1b.name, org.v_a1b.population) == ("石桥社区", 1200)
    assert trail().get().action == "village.update"


# --- unit forms ------------------------------------------------------------------------------------------


def unit_data(org, **changes):
    data = {"name": "云溪县水利局", "level": RegionLevel.COUNTY, "region": org.county_a.pk, "contact_name": "周敏",
            "contact_phone": "0791-12345678"}
    data.update(changes)
    return data


def test_it_creates_a_unit_and_redirects_to_it(client, users, org):
    response = post_as(client, users.county, URLS["unit_create"](org), unit_data(org, contact_phone="１３９１２３４５６７８"))
    unit = DispatchingUnit.objects.get(name="云溪县水利局")
    assert response.status_code == 302
    assert response.url == unit.get_absolute_url()
    assert (unit.region, unit.contact_phone) == (org.county_a, "13912345678")
    assert trail().get().action == "unit.create"


def test_it_shows_a_bad_contact_phone_next_to_the_field(client, users, org):
    response = post_as(client, users.county, URLS["unit_create"](org), unit_data(org, contact_phone="12345"))
    assert_error_next_to(
        response, "contact_phone", "电话号码格式不正确:手机号为1开头的11位数字,固定电话如 0791-12345678。"
    )
    assert DispatchingUnit.objects.count() == 3


def test_it_refuses_a_unit_whose_level_differs_from_its_region(client, users, org):
    response = post_as(client, users.county, URLS["unit_create"](org), unit_data(org, level=RegionLevel.TOWNSHIP))
    assert_error_next_to(response, "region", "单位层级为“乡镇(街道)”,所属区划也必须是该级。")
    assert DispatchingUnit.objects.count() == 3


def test_it_offers_only_regions_of_the_jurisdiction_for_a_unit(client, users, org):
    response = get_as(client, users.county, URLS["unit_create"](org))
    assert names(response.context["form"].fields["region"].queryset) == ["云溪县", "城关镇", "河口乡"]
    assert "石门县" not in response.content.decode()


def test_it_edits_a_unit(client, users, org):
    data = unit_data(org, name="云溪县农业农村局", contact_name="吴刚")
    response = post_as(client, users.county, URLS["unit_update"](org), data)
    assert response.status_code == 302
    org.unit_a.refresh_from_db()
    assert org.unit_a.contact_name == "吴刚"
    assert trail().get().action == "unit.update"
