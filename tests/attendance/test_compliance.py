"""Days in the village per cadre and quarter, the pro-rated minimum, the verdict, the early warnings and the
compliance page. Every expected number below is computed by hand from this fixture.

2026-Q3 = 1 July – 30 September = 31 + 31 + 30 = 92 days; policy default: minimum 50, business and training
count. "As of" 2026-10-15 the quarter is over (figures from the monthly tallies).

    张伟 (A1 杨家坪村, in post all quarter):
        present 1 Jul – 9 Aug (31 + 9 = 40), leave 10–13 Aug (4, approved by the county),
        business 14–18 Aug (5), training 19–21 Aug (3), absent 24–25 Aug (2); 38 days unrecorded.
        counted = 40 + 5 + 3 = 48 < 50 → not compliant.
    赵敏 (A1 石桥村, posting starts 15 Aug: 17 + 30 = 47 days in post):
        minimum = ⌈50 × 47 ÷ 92⌉ = ⌈25.54⌉ = 26; present 15 Aug – 9 Sep (17 + 9 = 26) → compliant.
    李娜 (A1 杨家坪村): present 1–31 Jul (31); leave 29 Sep – 2 Oct (4 days, county): 2 days in Q3, 2 in Q4.
    王强 (A2 新塘村): present 1–31 Jul (31) and 11–30 Sep (20) = 51; leave 7–8 Sep approved by A2, 销假 on
        11 Sep: expected back 9 Sep, so 9 and 10 Sep are absent (late 2 days). counted 51 ≥ 50 → compliant.
    刘洋 (B1 龙潭村, county B): present 1 Jul – 24 Aug (31 + 24 = 55) → compliant.
"""
import datetime
import re

import pytest
from django.db.models import Count
from django.urls import reverse

from attendance import selectors
from attendance.models import AttendanceDay, DaySource, DayStatus, LeaveStatus
from attendance.selectors import compliance_figures, compliance_for_user, early_warnings
from attendance.services import (
    Entry,
    leave_approve,
    leave_request,
    leave_return,
    register_write,
    tally_differences,
)
from cadres.models import Posting
from tests.factories import CadreFactory, PostingFactory
from villages.models import Policy

AFTER_Q3 = datetime.date(2026, 10, 15)
URL = reverse("attendance:compliance")
HOME = reverse("home")


def d(month: int, day: int, year: int = 2026) -> datetime.date:
    return datetime.date(year, month, day)


@pytest.fixture
def freeze(monkeypatch):
    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)

    return set_today


def mark(cadre, first: datetime.date, last: datetime.date, status=DayStatus.PRESENT) -> None:
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    register_write(entries=[Entry(cadre_id=cadre.pk, day=x, status=status) for x in days],
                   source=DaySource.TOWNSHIP)


def approved_leave(requester, approver, cadre, start, end):
    leave = leave_request(actor=requester, cadre=cadre, kind="personal", start_date=start, end_date=end,
                          reason="家中有事")
    return leave_approve(actor=approver, leave_id=leave.pk)


@pytest.fixture
def q3(org, users, freeze):
    from cadres.models import Role
    from tests.factories import UserFactory

    zhao = CadreFactory(name="赵敏", gender="F", unit=org.unit_a)
    p_zhao = PostingFactory(cadre=zhao, village=org.v_a1b, round=org.round, start_date=d(8, 15))
    cadre_a2 = UserFactory(username="t_cadre_a2", role=Role.CADRE, cadre=org.c_a2_sec)

    # Leave is requested before it starts (today: 1 July), then approved.
    freeze(d(7, 1))
    approved_leave(users.city, users.county, org.c_a1_sec, d(8, 10), d(8, 13))
    cross = approved_leave(users.cadre, users.county, org.c_a1_mem, d(9, 29), d(10, 2))
    late = approved_leave(cadre_a2, users.township2, org.c_a2_sec, d(9, 7), d(9, 8))

    mark(org.c_a1_sec, d(7, 1), d(8, 9))
    mark(org.c_a1_sec, d(8, 14), d(8, 18), DayStatus.BUSINESS)
    mark(org.c_a1_sec, d(8, 19), d(8, 21), DayStatus.TRAINING)
    mark(org.c_a1_sec, d(8, 24), d(8, 25), DayStatus.ABSENT)
    mark(zhao, d(8, 15), d(9, 9))
    mark(org.c_a1_mem, d(7, 1), d(7, 31))
    mark(org.c_a2_sec, d(7, 1), d(7, 31))
    mark(org.c_a2_sec, d(9, 11), d(9, 30))
    mark(org.c_b1_sec, d(7, 1), d(8, 24))

    # 王强 reports back on 11 September, two days late.
    freeze(d(9, 11))
    leave_return(actor=cadre_a2, leave_id=late.pk, returned_on=d(9, 11))
    freeze(AFTER_Q3)
    return {"zhao": zhao, "p_zhao": p_zhao, "cross": cross, "late": late}


def by_name(figures) -> dict:
    return {f.name: f for f in figures}


def numbers(f) -> tuple:
    return (f.days_in_post, f.present, f.leave, f.business, f.training, f.absent, f.not_recorded, f.counted,
            f.minimum)


def all_postings():
    return Posting.objects.all()


# ---------------------------------------------------------------- a finished quarter


def test_it_computes_the_quarter_of_each_cadre(org, q3):
    figures = by_name(compliance_figures(postings=all_postings(), ref=d(8, 1), as_of=AFTER_Q3))

    #                           in post, present, leave, bus., train., absent, unrecorded, counted, minimum
    assert numbers(figures["张伟"]) == (92, 40, 4, 5, 3, 2, 38, 48, 50)
    assert numbers(figures["赵敏"]) == (47, 26, 0, 0, 0, 0, 21, 26, 26)
    assert numbers(figures["李娜"]) == (92, 31, 2, 0, 0, 0, 59, 31, 50)
    assert numbers(figures["王强"]) == (92, 51, 2, 0, 0, 2, 37, 51, 50)
    assert numbers(figures["刘洋"]) == (92, 55, 0, 0, 0, 0, 37, 55, 50)
    assert {name: f.state for name, f in figures.items()} == {
        "张伟": "not_compliant", "赵敏": "compliant", "李娜": "not_compliant", "王强": "compliant",
        "刘洋": "compliant",
    }
    assert not any(f.flagged for f in figures.values())  # warnings are for a running quarter


def test_it_counts_a_leave_spanning_two_quarters_in_each(org, q3):
    q3_figures = by_name(compliance_figures(postings=all_postings(), ref=d(9, 30), as_of=AFTER_Q3))
    q4_running = by_name(compliance_figures(postings=all_postings(), ref=d(10, 1), as_of=AFTER_Q3))
    q4_over = by_name(compliance_figures(postings=all_postings(), ref=d(12, 31), as_of=d(1, 10, 2027)))

    assert q3_figures["李娜"].leave == 2
    assert (q4_running["李娜"].leave, q4_running["李娜"].elapsed_in_post, q4_running["李娜"].not_recorded) == (2, 15, 13)
    assert (q4_over["李娜"].leave, q4_over["李娜"].days_in_post, q4_over["李娜"].not_recorded) == (2, 92, 90)


def test_it_counts_the_days_of_a_late_return_as_absent(org, q3):
    q3["late"].refresh_from_db()
    assert (q3["late"].status, q3["late"].late_days) == (LeaveStatus.RETURNED, 2)
    assert set(AttendanceDay.objects.filter(cadre=org.c_a2_sec, status="absent").values_list("day", flat=True)) == {
        d(9, 9), d(9, 10)}

    wang = by_name(compliance_figures(postings=all_postings(), ref=d(9, 1), as_of=AFTER_Q3))["王强"]

    assert (wang.absent, wang.leave, wang.counted) == (2, 2, 51)


def test_it_leaves_business_out_when_the_policy_says_so(org, q3):
    Policy.objects.create(region=org.city, count_business=False)

    figures = by_name(compliance_figures(postings=all_postings(), ref=d(8, 1), as_of=AFTER_Q3))

    assert (figures["张伟"].counted, figures["张伟"].business) == (43, 5)  # 40 + 3
    assert figures["赵敏"].counted == 26


def test_it_leaves_training_out_when_the_policy_says_so(org, q3):
    Policy.objects.create(region=org.city, count_training=False)

    figures = by_name(compliance_figures(postings=all_postings(), ref=d(8, 1), as_of=AFTER_Q3))

    assert figures["张伟"].counted == 45  # 40 + 5


def test_it_applies_a_county_minimum_to_that_county_only(org, q3):
    Policy.objects.create(region=org.county_a, min_days=60)

    figures = by_name(compliance_figures(postings=all_postings(), ref=d(8, 1), as_of=AFTER_Q3))

    assert {name: (f.minimum, f.compliant) for name, f in figures.items()} == {
        "张伟": (60, False),
        "赵敏": (31, False),  # ⌈60 × 47 ÷ 92⌉ = ⌈30.65⌉
        "李娜": (60, False),
        "王强": (60, False),  # 51 < 60
        "刘洋": (50, True),  # county B keeps the city default
    }


def test_it_gives_the_same_figures_from_the_tallies_as_from_the_register(org, q3):
    # Nothing of 张伟, 赵敏 or 刘洋 lies on 30 September: up to the 29th (raw register, quarter running) and
    # after the quarter (monthly tallies) must agree for them.
    running = by_name(compliance_figures(postings=all_postings(), ref=d(8, 1), as_of=d(9, 29)))
    over = by_name(compliance_figures(postings=all_postings(), ref=d(8, 1), as_of=AFTER_Q3))
    fields = ("present", "leave", "business", "training", "absent", "counted", "minimum", "days_in_post")
    for name in ("张伟", "赵敏", "刘洋"):
        assert [getattr(running[name], x) for x in fields] == [getattr(over[name], x) for x in fields], name
    assert not running["张伟"].finished and over["张伟"].finished

    # And for everyone the tallies equal a direct count of the register rows.
    raw = {}
    for row in (AttendanceDay.objects.filter(day__gte=d(7, 1), day__lte=d(9, 30))
                .values("cadre__name", "status").annotate(n=Count("pk"))):
        raw[(row["cadre__name"], row["status"])] = row["n"]
    for name, f in over.items():
        for status in ("present", "leave", "business", "training", "absent"):
            assert getattr(f, status) == raw.get((name, status), 0), (name, status)
    assert tally_differences() == []


def test_it_keeps_the_figures_right_after_an_early_return(org, users, q3, freeze):
    # 李娜 comes back on 1 October: her leave days of 1 and 2 October are freed; Q3 keeps its 2.
    freeze(d(10, 1))
    leave_return(actor=users.cadre, leave_id=q3["cross"].pk, returned_on=d(10, 1))

    q3_over = by_name(compliance_figures(postings=all_postings(), ref=d(9, 1), as_of=AFTER_Q3))["李娜"]
    q4_over = by_name(compliance_figures(postings=all_postings(), ref=d(12, 1), as_of=d(1, 10, 2027)))["李娜"]

    assert (q3_over.leave, q4_over.leave) == (2, 0)
    assert tally_differences() == []


def test_it_counts_a_cadre_who_moves_mid_quarter_once_under_the_new_place(org, users, freeze):
    # 张伟 leaves 杨家坪村 (城关镇) on 14 August and starts in 新塘村 (河口乡) on 15 August: 45 + 47 = 92 days
    # in post, 20 present in each posting.
    org.p_a1_sec.end_date, org.p_a1_sec.status = d(8, 14), Posting.Status.TRANSFERRED
    org.p_a1_sec.save()
    PostingFactory(cadre=org.c_a1_sec, village=org.v_a2a, round=org.round, start_date=d(8, 15))
    mark(org.c_a1_sec, d(7, 1), d(7, 20))
    mark(org.c_a1_sec, d(9, 1), d(9, 20))

    figures = [f for f in compliance_for_user(user=users.county, ref=d(8, 1), as_of=AFTER_Q3) if f.name == "张伟"]

    assert len(figures) == 1
    f = figures[0]
    assert (f.days_in_post, f.present, f.minimum, f.township, f.village) == (92, 40, 50, "河口乡", "新塘村")
    assert [(x.name, x.present) for x in compliance_for_user(user=users.township, ref=d(8, 1), as_of=AFTER_Q3)] == [
        ("张伟", 20), ("李娜", 0)]


# ---------------------------------------------------------------- a running quarter: early warning
#
# 2026-Q4 = 1 October – 31 December = 92 days; as of 15 November, 31 + 15 = 46 days have passed, 46 remain.
# Pace target = ⌊50 × 46 ÷ 92⌋ = 25. Cannot reach when counted + 46 < 50, i.e. counted ≤ 3.
#   张伟: 24 present (1–24 Oct)           → behind (24 < 25), can still reach (70 ≥ 50)
#   李娜: 25 present (3–27 Oct) + 2 leave → on track (25 = target)
#   王强: 3 present (1–3 Oct)             → behind and cannot reach (3 + 46 = 49 < 50)
#   刘洋 (county B): nothing recorded     → behind and cannot reach
AS_OF_Q4 = datetime.date(2026, 11, 15)


@pytest.fixture
def q4(org, users, freeze):
    freeze(d(9, 20))
    approved_leave(users.cadre, users.township, org.c_a1_mem, d(10, 1), d(10, 2))
    # A future approved leave (16–17 Nov) must not count before it happens.
    approved_leave(users.cadre, users.township, org.c_a1_mem, d(11, 16), d(11, 17))
    mark(org.c_a1_sec, d(10, 1), d(10, 24))
    mark(org.c_a1_mem, d(10, 3), d(10, 27))
    mark(org.c_a2_sec, d(10, 1), d(10, 3))
    freeze(AS_OF_Q4)


def test_it_flags_cadres_behind_the_pace_or_unable_to_reach(org, q4):
    figures = by_name(compliance_figures(postings=all_postings(), ref=AS_OF_Q4, as_of=AS_OF_Q4))

    summary = {name: (f.counted, f.elapsed_in_post, f.remaining, f.pace_target, f.behind, f.cannot_reach, f.state)
               for name, f in figures.items()}
    assert summary == {
        "张伟": (24, 46, 46, 25, True, False, "behind"),
        "李娜": (25, 46, 46, 25, False, False, "on_track"),
        "王强": (3, 46, 46, 25, True, True, "cannot_reach"),
        "刘洋": (0, 46, 46, 25, True, True, "cannot_reach"),
    }
    assert (figures["李娜"].leave, figures["李娜"].not_recorded) == (2, 46 - 27)


def test_it_paces_a_posting_that_starts_during_the_running_quarter(org, users, q4):
    # Posting from 1 November: 30 + 31 = 61 days in Q4, minimum ⌈50 × 61 ÷ 92⌉ = ⌈33.15⌉ = 34; as of 15 November
    # 15 days have passed, pace target ⌊34 × 15 ÷ 61⌋ = ⌊8.36⌋ = 8, 46 days remain.
    on_pace = CadreFactory(name="赵敏", gender="F", unit=org.unit_a)
    PostingFactory(cadre=on_pace, village=org.v_a1b, round=org.round, start_date=d(11, 1))
    mark(on_pace, d(11, 1), d(11, 8))
    behind = CadreFactory(name="孙磊", unit=org.unit_a)
    PostingFactory(cadre=behind, village=org.v_a1b, round=org.round, start_date=d(11, 1))
    mark(behind, d(11, 1), d(11, 7))

    figures = by_name(compliance_figures(postings=all_postings(), ref=AS_OF_Q4, as_of=AS_OF_Q4))

    assert [(f.days_in_post, f.minimum, f.elapsed_in_post, f.pace_target, f.remaining, f.counted, f.state)
            for f in (figures["赵敏"], figures["孙磊"])] == [
        (61, 34, 15, 8, 46, 8, "on_track"),
        (61, 34, 15, 8, 46, 7, "behind"),
    ]
    assert [f.name for f in early_warnings(user=users.township)] == ["张伟", "孙磊"]


def test_it_lists_early_warnings_of_the_jurisdiction_only(org, users, q4):
    assert [f.name for f in early_warnings(user=users.township)] == ["张伟"]
    assert [f.name for f in early_warnings(user=users.county)] == ["张伟", "王强"]
    assert [f.name for f in early_warnings(user=users.county_b)] == ["刘洋"]
    assert [f.name for f in early_warnings(user=users.city)] == ["张伟", "王强", "刘洋"]


def test_it_shows_early_warnings_on_the_township_and_county_home_pages(client, org, users, q4):
    client.force_login(users.township)
    body = client.get(HOME).content.decode()
    warnings = body[body.index('id="early-warnings"'):]
    warnings = warnings[:warnings.index("</table>")]
    assert "张伟" in warnings and "进度落后" in warnings
    assert "李娜" not in warnings and "王强" not in warnings

    client.force_login(users.county)
    body = client.get(HOME).content.decode()
    warnings = body[body.index('id="early-warnings"'):]
    warnings = warnings[:warnings.index("</table>")]
    assert "张伟" in warnings and "王强" in warnings and "已无法达标" in warnings
    assert warnings.index("张伟") < warnings.index("王强")  # by township: 城关镇 before 河口乡
    assert "李娜" not in warnings and "刘洋" not in warnings

    client.force_login(users.county_b)
    body = client.get(HOME).content.decode()
    assert "张伟" not in body and "王强" not in body and "李娜" not in body


def test_it_shows_a_cadre_their_own_figures_on_the_home_page(client, org, users, q4):
    client.force_login(users.cadre)

    response = client.get(HOME)

    f = response.context["my_figures"]
    assert (f.name, f.counted, f.minimum, f.remaining) == ("李娜", 25, 50, 46)
    assert 'id="early-warnings"' not in response.content.decode()


# ---------------------------------------------------------------- the page


def test_it_shows_the_formula_and_orders_by_place_and_name(client, org, users, q3):
    client.force_login(users.county)

    response = client.get(URL, {"date": "2026-08-01"})

    assert response.status_code == 200
    body = response.content.decode()
    for text in ("折算下限 = ⌈ 政策下限 × 在岗天数 ÷ 周期天数 ⌉",
                 "在村天数 = 在村 + 因公外出(政策计入时) + 培训(政策计入时)",
                 "在村天数 + 周期内剩余在岗天数 &lt; 折算下限,即为“已无法达标”"):
        assert text in body
    # 城关镇 (杨家坪村: 张伟, 李娜; 石桥村: 赵敏), then 河口乡 (王强) — not 张伟 48, 王强 51 ... by days.
    names = [f.name for f in response.context["figures"]]
    assert names == ["张伟", "李娜", "赵敏", "王强"]
    assert [f.counted for f in response.context["figures"]] == [48, 31, 26, 51]
    table = body[body.index('id="compliance-table"'):]
    assert [table.index(n) for n in names] == sorted(table.index(n) for n in names)
    assert "刘洋" not in body
    assert response.context["totals"] == {"cadres": 4, "flagged": 0, "not_compliant": 2}
    assert "⌈50 × 47 ÷ 92⌉" in body


def test_it_ignores_an_attempt_to_sort_the_page_by_days(client, org, users, q3):
    client.force_login(users.county)

    response = client.get(URL, {"date": "2026-08-01", "o": "-counted", "order": "-counted", "sort": "counted"})

    assert [f.name for f in response.context["figures"]] == ["张伟", "李娜", "赵敏", "王强"]


def test_it_scopes_the_compliance_page(client, org, users, q3):
    client.force_login(users.township2)
    assert [f.name for f in client.get(URL, {"date": "2026-08-01"}).context["figures"]] == ["王强"]

    client.force_login(users.cadre)
    assert [f.name for f in client.get(URL, {"date": "2026-08-01"}).context["figures"]] == ["李娜"]

    client.force_login(users.county_b)
    response = client.get(URL, {"date": "2026-08-01"})
    assert [f.name for f in response.context["figures"]] == ["刘洋"]
    assert client.get(URL, {"date": "2026-08-01", "region": org.town_a1.pk}).status_code == 404


def test_it_filters_the_page_by_township_and_state(client, org, users, q3):
    client.force_login(users.county)

    response = client.get(URL, {"date": "2026-08-01", "region": org.town_a1.pk, "state": "flagged"})

    assert [f.name for f in response.context["figures"]] == ["张伟", "李娜"]  # not compliant at quarter end


def test_it_pages_a_large_jurisdiction_and_counts_every_cadre_above_the_table(client, org, users, q3, monkeypatch):
    # Four cadres, two rows a page: page 2 lists 赵敏 and 王强, the totals still count all four, and the pager
    # keeps the period and the filter in its links.
    monkeypatch.setattr("attendance.views.compliance.PAGE_SIZE", 2)
    client.force_login(users.county)

    first = client.get(URL, {"date": "2026-08-01"})
    second = client.get(URL, {"date": "2026-08-01", "page": "2"})
    beyond = client.get(URL, {"date": "2026-08-01", "page": "x"})

    names = lambda r: re.findall(r'<a href="/cadres/\d+/">([^<]+)</a>', r.content.decode())  # noqa: E731
    assert names(first) == ["张伟", "李娜"]
    assert names(second) == ["赵敏", "王强"]
    assert names(beyond) == ["张伟", "李娜"]
    assert second.context["totals"]["cadres"] == 4
    assert "第 2 / 2 页" in second.content.decode()
    assert "date=2026-08-01&amp;page=1" in second.content.decode()


def test_it_sends_anonymous_visitors_to_the_login_page(client, org):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_uses_the_selector_for_the_users_figures(org, users, q3):
    assert [f.name for f in compliance_for_user(user=users.township, ref=d(8, 1), as_of=AFTER_Q3)] == [
        "张伟", "李娜", "赵敏"]
    assert selectors.period_bounds("quarter", d(8, 1)) == (d(7, 1), d(9, 30))
