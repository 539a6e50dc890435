"""The register grid, the compliance page and the cadre list filter at scale: what the pages render when the
cells and rows are built in Python, a save that posts only the changed cells, and constant query counts."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from attendance.models import AttendanceDay, DayStatus
from attendance.services import register_confirm_month
from tests.attendance.test_register import OCT, URL, d, fill, messages_of, statuses
from tests.factories import CadreFactory, PostingFactory

COMPLIANCE = reverse("attendance:compliance")
CADRES = reverse("cadres:cadre_list")


@pytest.fixture
def freeze(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: datetime.date(2026, 11, 20))


def add_cadres(org, n: int, name: str = "干部") -> list:
    postings = []
    for i in range(n):
        cadre = CadreFactory(name=f"{name}{i}", unit=org.unit_a)
        postings.append(PostingFactory(cadre=cadre, village=org.v_a1b, round=org.round))
    return postings


def cell(posting, day) -> str:
    return f"c_{posting.pk}_{day:%Y%m%d}"


# ---------------------------------------------------------------- the grid


def test_it_renders_the_cells_with_their_status_and_history(client, org, users, freeze):
    fill(org.c_a1_mem, d(1), d(1), DayStatus.BUSINESS, actor=users.township)
    client.force_login(users.township)

    body = client.get(URL, {"month": "2026-10"}).content.decode()

    name = cell(org.p_a1_mem, d(1))
    assert (f'<select name="{name}" class="st-business" aria-label="李娜 10月1日">'
            '<option value="none">–</option><option value="present">√</option>'
            '<option value="business" selected>公</option>') in body
    assert 'title="乡镇录入 "' in body  # the source of a recorded day
    assert 'class="cell weekend"' in body  # 2026-10-03 is a Saturday


def test_it_escapes_names_and_links_each_cell_of_a_confirmed_month_to_a_correction(client, org, users, freeze):
    org.c_a1_mem.name = '<b>李娜</b>'
    org.c_a1_mem.save()
    fill(org.c_a1_sec, d(1), d(31), actor=users.township)
    fill(org.c_a1_mem, d(1), d(31), actor=users.township)
    register_confirm_month(actor=users.township, township=org.town_a1, month=OCT)
    client.force_login(users.township)

    body = client.get(URL, {"month": "2026-10"}).content.decode()

    assert "<b>李娜</b>" not in body and "&lt;b&gt;李娜&lt;/b&gt;" in body
    link = f'{reverse("attendance:correction_create")}?cadre={org.c_a1_mem.pk}&amp;day=2026-10-05'
    assert f'<a class="cell-code st-present" href="{link}" title="申请更正">√</a>' in body
    assert "<select" not in body.split('id="register-grid"')[1]


def test_it_shows_the_grid_in_the_same_number_of_queries_for_more_cadres(client, org, users, freeze,
                                                                        django_assert_num_queries):
    client.force_login(users.township)
    client.get(URL, {"month": "2026-10"})
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"month": "2026-10"})
    add_cadres(org, 8)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(URL, {"month": "2026-10"})
    assert len(response.context["grid"]) == 10


# ---------------------------------------------------------------- saving only the changed cells


def test_it_saves_only_the_posted_cells_and_keeps_the_others(client, org, users, freeze):
    fill(org.c_a1_mem, d(1), d(10), actor=users.township)
    client.force_login(users.township)

    # What the page's script posts: the changed cell only; the other recorded days are not posted.
    response = client.post(URL, {"month": "2026-10", "action": "save", cell(org.p_a1_mem, d(2)): "business"},
                           follow=True)

    assert messages_of(response) == ["已保存,1天有变化。"]
    marked = statuses(org.c_a1_mem)
    assert marked[d(2)] == "business"
    assert sum(1 for s in marked.values() if s == "present") == 9


def test_it_ignores_cells_of_another_township_and_days_outside_the_month(client, org, users, freeze):
    client.force_login(users.township)

    response = client.post(URL, {
        "month": "2026-10", "action": "save",
        cell(org.p_b1_sec, d(5)): "present",  # county B's cadre: not in this township's grid
        cell(org.p_a1_mem, d(5, 9)): "present",  # September
        f"c_{org.p_a1_mem.pk}_20261099": "present",  # not a date
        cell(org.p_a1_mem, d(6)): "present",
    }, follow=True)

    assert messages_of(response) == ["已保存,1天有变化。"]
    assert statuses(org.c_a1_mem, d(1, 9), d(31)) == {d(6): "present"}
    assert not AttendanceDay.objects.filter(cadre=org.c_b1_sec).exists()


def test_it_saves_in_the_same_number_of_queries_whatever_the_size_of_the_township(client, org, users, freeze,
                                                                                  django_assert_num_queries):
    client.force_login(users.township)

    def save(day: int):
        return client.post(URL, {"month": "2026-10", "action": "save", cell(org.p_a1_mem, d(day)): "present"})

    save(1)
    with CaptureQueriesContext(connection) as small:
        save(2)
    add_cadres(org, 8)
    with django_assert_num_queries(len(small.captured_queries)):
        save(3)
    assert statuses(org.c_a1_mem) == {d(1): "present", d(2): "present", d(3): "present"}


# ---------------------------------------------------------------- compliance


def test_it_lists_compliance_rows_escaped_in_the_same_number_of_queries(client, org, users, freeze,
                                                                       django_assert_num_queries):
    org.c_a1_mem.name = "<i>李娜</i>"
    org.c_a1_mem.save()
    client.force_login(users.county)
    client.get(COMPLIANCE)
    with CaptureQueriesContext(connection) as small:
        first = client.get(COMPLIANCE)
    add_cadres(org, 6)
    with django_assert_num_queries(len(small.captured_queries)):
        second = client.get(COMPLIANCE)

    assert len(second.context["figures"]) == len(first.context["figures"]) + 6
    body = first.content.decode()
    assert "<i>李娜</i>" not in body and "&lt;i&gt;李娜&lt;/i&gt;" in body
    assert f'<a href="{reverse("cadres:cadre_detail", args=[org.c_a1_mem.pk])}">' in body
    assert 'data-label="在村"' in body


# ---------------------------------------------------------------- the cascading cadre filter


def options(response, field: str) -> list[str]:
    return [label.strip("\u3000") for value, label in response.context["filter"].form.fields[field].widget.choices
            if value != ""]


def test_it_offers_the_path_and_the_children_of_the_chosen_region(client, org, users):
    client.force_login(users.city)

    top = client.get(CADRES)
    assert options(top, "region") == ["青山市", "云溪县", "石门县"]
    assert options(top, "unit") == ["市财政局"]  # the units of the city; a county's once it is chosen

    county = client.get(CADRES, {"region": org.county_a.pk})
    assert options(county, "region") == ["青山市", "云溪县", "城关镇", "河口乡"]
    assert options(county, "unit") == ["市财政局", "云溪县农业农村局"]
    assert 'data-autosubmit="1"' in county.content.decode()


def test_it_accepts_any_region_or_unit_in_scope_and_nothing_outside(client, org, users):
    client.force_login(users.city)
    # A unit not among the offered options still filters (and is shown as chosen).
    response = client.get(CADRES, {"unit": org.unit_b.pk})
    assert [c.name for c in response.context["object_list"]] == ["刘洋"]
    assert "石门县教育局" in options(response, "unit")

    client.force_login(users.county)
    response = client.get(CADRES, {"region": org.town_b1.pk})
    assert list(response.context["object_list"]) == []
    assert "石门镇" not in options(response, "region")
    assert options(response, "region") == ["云溪县", "城关镇", "河口乡"]
