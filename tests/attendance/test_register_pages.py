"""The register grid, the compliance page and the cadre list filter at scale: what the pages render when the
cells and rows are built in Python, a save that posts only the changed cells, and constant query counts."""
import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceChange, AttendanceDay, DayStatus
from attendance.services import register_confirm_month
from attendance.services.register import tally_differences
from cadres.models import PostingStatus, Role
from tests.attendance.test_register import OCT, URL, d, fill, messages_of, statuses
from tests.factories import CadreFactory, PostingFactory, UserFactory

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


def test_it_refuses_days_a_moved_cadre_spends_in_another_township(client, org, users, freeze):
    # 陈静 served in 新塘村 (河口乡) until 10-15 and in 石桥村 (城关镇) from 10-16; 城关镇 records leave on 10-20.
    # 河口乡's grid still shows her October row: its days after 10-15 are outside its posting, and posting them
    # must not write 城关镇's register (nor overwrite the leave there).
    old = PostingFactory(cadre=org.c_idle, village=org.v_a2a, round=org.round, start_date=d(1), end_date=d(15),
                         status=PostingStatus.TRANSFERRED)
    PostingFactory(cadre=org.c_idle, village=org.v_a1b, round=org.round, start_date=d(16))
    fill(org.c_idle, d(20), d(20), DayStatus.LEAVE)
    client.force_login(users.township2)

    response = client.post(URL, {
        "month": "2026-10", "action": "save",
        cell(old, d(14)): "present", cell(old, d(20)): "absent", cell(old, d(21)): "present",
    }, follow=True)

    assert messages_of(response) == ["陈静 在 2026-10-20 不在派驻期内,不能记录考勤。",
                                     "陈静 在 2026-10-21 不在派驻期内,不能记录考勤。"]
    assert statuses(org.c_idle, d(1), d(31)) == {d(20): "leave"}


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


def seen_of(response) -> str:
    match = re.search(r'name="seen" value="([^"]+)"', response.content.decode())
    assert match, "the register form carries the moment its grid was read"
    return match[1]


def test_a_form_opened_before_someone_else_saved_does_not_write_over_their_entry(client, org, users, freeze):
    # Two officials of 城关镇 open October's grid; the colleague records 李娜's 10-02 as business first. The
    # official's older page still shows 10-02 unrecorded: saving it as present would undo the colleague's entry.
    colleague = UserFactory(username="t_township_colleague", role=Role.TOWNSHIP, region=org.town_a1)
    client.force_login(users.township)
    seen = seen_of(client.get(URL, {"month": "2026-10"}))
    other = Client()
    other.force_login(colleague)
    other.post(URL, {"month": "2026-10", "action": "save", "seen": seen_of(other.get(URL, {"month": "2026-10"})),
                     cell(org.p_a1_mem, d(2)): "business"})

    response = client.post(URL, {"month": "2026-10", "action": "save", "seen": seen,
                                 cell(org.p_a1_mem, d(2)): "present", cell(org.p_a1_mem, d(3)): "present"},
                           follow=True)

    assert messages_of(response) == ["李娜 的 2026-10-02 考勤在您打开页面后已被他人修改,本次未保存;请刷新后重新填写。"]
    assert statuses(org.c_a1_mem) == {d(2): "business"}

    # Reloaded a little later (the page's time is taken a couple of seconds early, for writes still committing
    # while it is read), the same change is saved; saving again right away is no conflict with oneself.
    AttendanceChange.objects.filter(changed_by=colleague).update(
        changed_at=timezone.now() - datetime.timedelta(seconds=10))
    response = client.post(URL, {"month": "2026-10", "action": "save",
                                 "seen": seen_of(client.get(URL, {"month": "2026-10"})),
                                 cell(org.p_a1_mem, d(2)): "present", cell(org.p_a1_mem, d(3)): "present"},
                           follow=True)
    assert messages_of(response) == ["已保存,2天有变化。"]
    response = client.post(URL, {"month": "2026-10", "action": "save", "seen": seen_of(response),
                                 cell(org.p_a1_mem, d(3)): "absent"}, follow=True)
    assert messages_of(response) == ["已保存,1天有变化。"]
    assert statuses(org.c_a1_mem) == {d(2): "present", d(3): "absent"}
    assert tally_differences() == []


def test_an_older_form_of_the_same_official_sent_late_does_not_undo_their_newer_save(client, org, users, freeze):
    # The official's first save of the page times out in the browser and waits in the server's queue; meanwhile
    # they reload, record 10-02 as business and save. When the old request finally runs it must not write its
    # older value back.
    client.force_login(users.township)
    old_seen = seen_of(client.get(URL, {"month": "2026-10"}))
    fresh = seen_of(client.get(URL, {"month": "2026-10"}))
    saved = client.post(URL, {"month": "2026-10", "action": "save", "seen": fresh, cell(org.p_a1_mem, d(2)): "business"},
                        follow=True)
    assert messages_of(saved) == ["已保存,1天有变化。"]

    response = client.post(URL, {"month": "2026-10", "action": "save", "seen": old_seen,
                                 cell(org.p_a1_mem, d(2)): "present"}, follow=True)

    assert messages_of(response) == ["李娜 的 2026-10-02 考勤在您打开页面后已被他人修改,本次未保存;请刷新后重新填写。"]
    assert statuses(org.c_a1_mem) == {d(2): "business"}


@pytest.mark.parametrize("seen", ["yesterday", "2026-10-01T10:00:00"])
def test_a_malformed_page_time_is_refused_with_a_message(client, org, users, freeze, seen):
    client.force_login(users.township)

    response = client.post(URL, {"month": "2026-10", "action": "save", "seen": seen,
                                 cell(org.p_a1_mem, d(2)): "present"}, follow=True)

    assert messages_of(response) == ["考勤簿页面已过期,请刷新后重新填写。"]
    assert statuses(org.c_a1_mem) == {}
