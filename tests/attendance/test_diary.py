"""The work diary (民情日记): the cadre writes their own dated entries with optional outcomes, a major event is
reported to the township at once, officials read their cadres' entries, and the outcome sums the reports use.

"Today" is frozen at 2026-11-22. Fixture: 张伟 (unit 市财政局) and 李娜 (`cadre`, unit 云溪县农业农村局) in A1a
杨家坪村 (城关镇), 王强 in A2a 新塘村 (河口乡), 刘洋 (`cadre_b`) in B1a 龙潭村 (石门县); postings from 2025-03-01.
"""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from attendance import selectors_management as sm
from attendance.models import DiaryEntry, Notification
from attendance.services.diary import diary_write
from cadres.models import AuditEntry, Role
from tests.factories import UserFactory

TODAY = datetime.date(2026, 11, 22)
LIST = reverse("attendance:diary_list")
CREATE = reverse("attendance:diary_create")


def d(day: int, month: int = 11, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def freeze(monkeypatch):
    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)

    set_today(TODAY)
    return set_today


@pytest.fixture
def writers(users, org):
    """A cadre account for each posted cadre: 李娜 and 刘洋 have theirs in `users`."""
    return {
        "张伟": UserFactory(username="t_zhangwei", role=Role.CADRE, cadre=org.c_a1_sec),
        "李娜": users.cadre,
        "王强": UserFactory(username="t_wangqiang", role=Role.CADRE, cadre=org.c_a2_sec),
        "刘洋": users.cadre_b,
    }


def write(actor, day=TODAY, text="走访脱贫户,了解春耕准备情况。", **outcomes) -> DiaryEntry:
    major_note = outcomes.pop("major_event_note", "")
    return diary_write(actor=actor, day=day, text=text, outcomes=outcomes, major_event=bool(major_note),
                       major_event_note=major_note)


def messages_of(exc: pytest.ExceptionInfo) -> str:
    return " ".join(exc.value.messages)


# ---------------------------------------------------------------- writing


def test_it_writes_the_cadres_own_entry_with_outcomes(freeze, users, org):
    entry = write(users.cadre, households_visited=6, disputes_found=1, disputes_resolved=1, funds_yuan="12000.50")
    assert (entry.cadre, entry.posting, entry.day) == (org.c_a1_mem, org.p_a1_mem, TODAY)
    assert (entry.households_visited, entry.disputes_found, entry.funds_yuan, entry.jobs_created) == (
        6, 1, Decimal("12000.50"), 0)
    audit = AuditEntry.objects.get(action="diary.create")
    assert (audit.actor, audit.region_code) == (users.cadre, org.v_a1a.code)


def test_it_accepts_today_and_refuses_tomorrow(freeze, users):
    write(users.cadre, day=TODAY)
    with pytest.raises(ValidationError) as exc:
        write(users.cadre, day=TODAY + datetime.timedelta(days=1))
    assert "不能填写今天以后的日记" in messages_of(exc)


def test_it_accepts_the_first_day_of_the_posting_and_refuses_the_day_before(freeze, users):
    write(users.cadre, day=d(1, 3, 2025))
    with pytest.raises(ValidationError) as exc:
        write(users.cadre, day=d(28, 2, 2025))
    assert "2025-02-28 不在您的派驻期内" in messages_of(exc)


@pytest.mark.parametrize("who", ["township", "county", "unit", "admin"])
def test_it_lets_only_the_cadre_write(freeze, users, who):
    with pytest.raises(ValidationError) as exc:
        write(getattr(users, who))
    assert "民情日记由驻村干部本人填写" in messages_of(exc)


def test_it_refuses_a_second_entry_for_the_same_day(freeze, users):
    write(users.cadre)
    with pytest.raises(ValidationError) as exc:
        write(users.cadre, text="又写了一篇")
    assert "2026-11-22 已写过日记" in messages_of(exc)
    assert DiaryEntry.objects.count() == 1


def test_it_refuses_negative_or_invalid_outcomes_and_empty_text(freeze, users):
    with pytest.raises(ValidationError) as exc:
        write(users.cadre, text="  ", households_visited=-1, funds_yuan="abc")
    assert set(exc.value.error_dict) == {"text", "households_visited", "funds_yuan"}
    assert not DiaryEntry.objects.exists()


def test_it_reports_a_major_event_to_the_township_at_once_and_only_once(freeze, users, org):
    UserFactory(username="t_township_a1_2", role=Role.TOWNSHIP, region=org.town_a1)
    entry = write(users.cadre, major_event_note="村民10余人拟赴县信访,已劝返并上报")
    told = sorted(Notification.objects.values_list("user__username", "text", "url"))
    text = "重大事项报告:李娜(杨家坪村)2026-11-22:村民10余人拟赴县信访,已劝返并上报"
    assert told == [("t_township", text, entry.get_absolute_url()), ("t_township_a1_2", text, entry.get_absolute_url())]
    diary_write(actor=users.cadre, day=TODAY, text="补充:已化解", outcomes={}, major_event=True,
                major_event_note="村民10余人拟赴县信访,已劝返并上报", entry=entry)
    assert Notification.objects.count() == 2


def test_it_requires_a_note_for_a_major_event(freeze, users):
    with pytest.raises(ValidationError) as exc:
        diary_write(actor=users.cadre, day=TODAY, text="x", major_event=True, major_event_note=" ")
    assert "请简要说明重大事项" in messages_of(exc)


def test_it_lets_the_cadre_correct_their_entry_and_audits_what_it_was(freeze, users, writers):
    entry = write(users.cadre, households_visited=3)
    diary_write(actor=users.cadre, day=TODAY, text="更正", outcomes={"households_visited": 5}, entry=entry)
    entry.refresh_from_db()
    assert (entry.text, entry.households_visited) == ("更正", 5)
    assert AuditEntry.objects.get(action="diary.update").detail["before"]["households_visited"] == "3"
    with pytest.raises(ValidationError):
        diary_write(actor=writers["张伟"], day=TODAY, text="改别人的", entry=entry)


# ---------------------------------------------------------------- reading and summing


@pytest.fixture
def entries(freeze, writers):
    """Hand-made outcomes; the sums below are computed from these lines:

        张伟 A1a 11-01: households 4, found 2, resolved 1, matters 1, projects 0, funds   5000.00, jobs 0
        李娜 A1a 10-31: households 3, found 0, resolved 0, matters 2, projects 1, funds      0.00, jobs 5
        李娜 A1a 11-15: households 6, found 1, resolved 2, matters 0, projects 0, funds   1200.50, jobs 0 (major)
        王强 A2a 11-10: households 2, found 0, resolved 0, matters 1, projects 0, funds      0.00, jobs 2
        刘洋 B1a 11-20: households 9, found 3, resolved 3, matters 4, projects 2, funds 100000.00, jobs 8
    """
    return [
        write(writers["张伟"], d(1), households_visited=4, disputes_found=2, disputes_resolved=1, practical_matters=1,
              funds_yuan="5000"),
        write(writers["李娜"], d(31, 10), households_visited=3, practical_matters=2, projects_started=1, jobs_created=5),
        write(writers["李娜"], d(15), households_visited=6, disputes_found=1, disputes_resolved=2, funds_yuan="1200.50",
              major_event_note="山体滑坡隐患,已组织群众转移"),
        write(writers["王强"], d(10), households_visited=2, practical_matters=1, jobs_created=2),
        write(writers["刘洋"], d(20), households_visited=9, disputes_found=3, disputes_resolved=3, practical_matters=4,
              projects_started=2, funds_yuan="100000", jobs_created=8),
    ]


def sums(entries=0, households=0, found=0, resolved=0, matters=0, projects=0, funds="0", jobs=0, major=0, cadres=None):
    row = {"entries": entries, "households_visited": households, "disputes_found": found,
           "disputes_resolved": resolved, "practical_matters": matters, "projects_started": projects,
           "funds_yuan": Decimal(funds), "jobs_created": jobs, "major_events": major}
    if cadres is not None:
        row["cadres"] = cadres
    return row


def test_it_sums_outcomes_per_village_township_county_and_in_total(entries, org):
    november = {"start": d(1), "end": d(30)}
    assert sm.outcome_totals(region_prefix=org.county_a.prefix, **november) == {
        org.v_a1a.code: sums(2, 10, 3, 3, 1, 0, "6200.50", 0, 1, cadres=2),
        org.v_a2a.code: sums(1, 2, 0, 0, 1, 0, "0", 2, 0, cadres=1),
    }
    assert sm.outcome_totals(region_prefix=org.city.prefix, level=3, **november) == {
        org.county_a.code: sums(3, 12, 3, 3, 2, 0, "6200.50", 2, 1, cadres=3),
        org.county_b.code: sums(1, 9, 3, 3, 4, 2, "100000", 8, 0, cadres=1),
    }
    assert sm.outcome_totals(region_prefix=org.town_a1.prefix, level=4, start=d(31, 10), end=d(15)) == {
        org.town_a1.code: sums(3, 13, 3, 3, 3, 1, "6200.50", 5, 1, cadres=2),
    }
    # Both ends are inclusive: the 10-31 entry is in from 10-31 and out from 11-01.
    assert sm.outcome_totals(region_prefix=org.town_a1.prefix, level=None, start=d(31, 10), end=d(31, 10)) == {
        "": sums(1, 3, 0, 0, 2, 1, "0", 5, 0, cadres=1)}
    assert sm.outcome_totals(region_prefix=org.town_a1.prefix, level=None, start=d(16), end=d(30)) == {}


def test_it_shows_each_user_the_entries_of_their_cadres(entries, users):
    expected = {
        "cadre": {"李娜"}, "cadre_b": {"刘洋"}, "township": {"张伟", "李娜"}, "township2": {"王强"},
        "county": {"张伟", "李娜", "王强"}, "county_b": {"刘洋"}, "city": {"张伟", "李娜", "王强", "刘洋"},
        "unit": {"张伟"}, "unit_b": {"刘洋"},
    }
    for who, names in expected.items():
        assert {e.cadre.name for e in sm.diary_list(user=getattr(users, who))} == names, who


def test_it_lists_the_cadres_own_entries_with_their_totals(entries, client, users):
    client.force_login(users.cadre)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [e.day for e in response.context["object_list"]] == [d(15), d(31, 10)]
    assert response.context["totals"] == sums(2, 9, 1, 2, 2, 1, "1200.50", 5, 1)
    assert response.context["is_cadre"] is True


def test_it_lists_a_townships_entries_for_a_month_read_only(entries, client, users):
    client.force_login(users.township)
    response = client.get(LIST, {"month": "2026-11"})
    assert [e.cadre.name for e in response.context["object_list"]] == ["李娜", "张伟"]
    assert response.context["totals"] == sums(2, 10, 3, 3, 1, 0, "6200.50", 0, 1)
    assert "写今天的日记" not in response.content.decode()
    response = client.get(LIST, {"major": "1"})
    assert [e.day for e in response.context["object_list"]] == [d(15)]


def test_it_breaks_a_countys_totals_down_by_township(entries, client, users, org):
    client.force_login(users.county)
    response = client.get(LIST, {"month": "2026-11"})
    breakdown = {region.name: row for region, row in response.context["breakdown"]}
    assert breakdown == {
        "城关镇": sums(2, 10, 3, 3, 1, 0, "6200.50", 0, 1, cadres=2),
        "河口乡": sums(1, 2, 0, 0, 1, 0, "0", 2, 0, cadres=1),
    }
    assert response.context["breakdown_period"] == (d(1), d(30))


def test_it_answers_404_for_an_entry_outside_the_jurisdiction(entries, client, users, writers):
    url = entries[2].get_absolute_url()  # 李娜's
    for who in ("cadre_b", "township2", "county_b", "unit", "unit_b"):
        client.force_login(getattr(users, who))
        assert client.get(url).status_code == 404, who
        assert client.get(reverse("attendance:diary_edit", args=[entries[2].pk])).status_code == 404, who
    client.force_login(writers["张伟"])
    assert client.get(url).status_code == 404
    for who in ("cadre", "township", "county", "city"):
        client.force_login(getattr(users, who))
        assert client.get(url).status_code == 200, who


def test_it_answers_403_to_officials_on_the_writing_pages(entries, client, users):
    edit = reverse("attendance:diary_edit", args=[entries[2].pk])
    for who in ("township", "county", "city", "unit", "admin"):
        client.force_login(getattr(users, who))
        assert client.get(CREATE).status_code == 403, who
        assert client.post(CREATE, {"day": "2026-11-22", "text": "x"}).status_code == 403, who
    for who in ("township", "county"):
        client.force_login(getattr(users, who))
        assert client.post(edit, {"day": "2026-11-15", "text": "改"}).status_code == 403, who
    assert DiaryEntry.objects.get(pk=entries[2].pk).text != "改"


def test_it_writes_an_entry_from_the_phone_form(freeze, client, users, org):
    client.force_login(users.cadre)
    assert client.get(CREATE).status_code == 200
    response = client.post(CREATE, {"day": "2026-11-22", "text": "调解邻里宅基地纠纷一起。", "disputes_found": "1",
                                    "disputes_resolved": "1", "funds_yuan": ""})
    assert response.status_code == 302
    entry = DiaryEntry.objects.get()
    assert (entry.disputes_found, entry.disputes_resolved, entry.funds_yuan, entry.major_event) == (
        1, 1, Decimal("0"), False)
    # Opening "new" again for the same day goes to the entry instead of a second one.
    response = client.get(CREATE)
    assert response["Location"] == reverse("attendance:diary_edit", args=[entry.pk])


def test_it_shows_the_services_refusal_next_to_the_day(freeze, client, users):
    client.force_login(users.cadre)
    response = client.post(CREATE, {"day": "2026-11-23", "text": "明天的"})
    assert response.status_code == 200
    assert response.context["form"].errors["day"] == ["不能填写今天以后的日记。"]


def test_it_reads_the_officials_list_in_a_fixed_number_of_queries(entries, client, users, writers,
                                                                   django_assert_max_num_queries):
    for day in range(1, 21):
        write(writers["王强"], d(day, 10), households_visited=1)
    client.force_login(users.county)
    with django_assert_max_num_queries(14):
        response = client.get(LIST)
    assert len(response.context["object_list"]) == 24
