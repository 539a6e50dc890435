"""The annual report (年报), read back from the xlsx of reports.builders.write_annual, against numbers computed
by hand. Quarters of 2026: Q1 90 days, Q2 91, Q3 92, Q4 92. Default policy: 50 days a quarter.

County A during 2026, the report built mid-year (as of 08-15: Q3 running, Q4 not started):

    城关镇 / 杨家坪村  张伟  Q1 45 present, Q2 55 present                     → Q1 否, Q2 是, Q3 进行中
                     李娜  nothing recorded but 3 leave days (03-02..04, approved, returned one day late)
                                                                            → Q1 否, Q2 否, Q3 进行中
    城关镇 / 石桥村    陈静  posted from 05-16: Q2 in post 46 days, minimum ⌈50 × 46 ÷ 91⌉ = 26, 30 present → 是;
                          Q3 20 + 10 present so far; leave approved for 08-20 (after the report's day)
    河口乡 / 新塘村    王强  recalled 06-30: Q1 50 present → 是; Q2 40 present, 2 absent (one found by an
                          inspection) → 否; not in post in Q3 → "—"
                     赵敏  replaces 王强 from 07-10 (10 days after the recall): Q3 in post 83 days, minimum
                          ⌈50 × 83 ÷ 92⌉ = 46, 20 present → 进行中
"""
import datetime
from decimal import Decimal

import pytest

from attendance.models import DaySource, DayStatus, LeaveRequest, LeaveStatus
from attendance.selectors import compliance_for_user
from cadres.models import AwardRecord, Evaluation, Posting, PostingStatus
from reports import builders
from tests.factories import CadreFactory, PostingFactory

from .helpers import d, data_rows, fill, load, rows_by_name, sheet_text, values

AS_OF = datetime.date(2026, 8, 15)


@pytest.fixture
def year_2026(org, freeze):
    o = org
    fill(o.c_a1_sec, d(1, 1), d(14, 2))      # 45
    fill(o.c_a1_sec, d(1, 4), d(25, 5))      # 55

    fill(o.c_a1_mem, d(2, 3), d(4, 3), DayStatus.LEAVE, DaySource.LEAVE)
    LeaveRequest.objects.create(
        cadre=o.c_a1_mem, posting=o.p_a1_mem, village=o.v_a1a, start_date=d(2, 3), end_date=d(4, 3),
        days=Decimal(3), total_days=Decimal(3), reason="探亲", status=LeaveStatus.RETURNED, late_days=1,
    )

    PostingFactory(cadre=o.c_idle, village=o.v_a1b, round=o.round, role=Posting.Role.TEAM_LEADER,
                   start_date=d(16, 5))
    fill(o.c_idle, d(16, 5), d(14, 6))       # 30
    fill(o.c_idle, d(1, 7), d(20, 7))        # 20
    fill(o.c_idle, d(1, 8), d(10, 8))        # 10
    fill(o.c_idle, d(20, 8), d(20, 8), DayStatus.LEAVE, DaySource.LEAVE)
    LeaveRequest.objects.create(
        cadre=o.c_idle, posting=Posting.objects.get(cadre=o.c_idle), village=o.v_a1b, start_date=d(20, 8),
        end_date=d(20, 8), days=Decimal(1), total_days=Decimal(1), reason="事假", status=LeaveStatus.APPROVED,
    )

    fill(o.c_a2_sec, d(1, 1), d(19, 2))      # 50
    fill(o.c_a2_sec, d(1, 4), d(10, 5))      # 40
    fill(o.c_a2_sec, d(1, 6), d(1, 6), DayStatus.ABSENT)
    fill(o.c_a2_sec, d(2, 6), d(2, 6), DayStatus.ABSENT, DaySource.INSPECTION)
    Posting.objects.filter(pk=o.p_a2_sec.pk).update(status=PostingStatus.RECALLED, end_date=d(30, 6))
    o.c_new = CadreFactory(name="赵敏", unit=o.unit_a)
    PostingFactory(cadre=o.c_new, village=o.v_a2a, round=o.round, role=Posting.Role.FIRST_SECRETARY,
                   start_date=d(10, 7), replaces=o.p_a2_sec)
    fill(o.c_new, d(10, 7), d(29, 7))        # 20
    return o


def build(tmp_path, region, year=2026, as_of=AS_OF, name="a.xlsx"):
    path = tmp_path / name
    rows = builders.write_annual(region=region, year=year, as_of=as_of, path=path)
    return load(path), rows


def test_it_gives_each_cadre_the_four_quarters_and_the_year_so_far(tmp_path, year_2026, org):
    wb, n = build(tmp_path, org.county_a)
    assert n == 5
    ws = wb["干部明细"]
    assert ws["A1"].value == "云溪县驻村干部2026年度考勤明细表"
    assert ws["A2"].value == "填报单位:云溪县委组织部        统计期间:2026年度(截至8月15日)"
    rows = rows_by_name(ws, 3)
    # county, township, village, name, unit | Q1..Q4 (counted, minimum, verdict) | days in post, present,
    # leave, business, training, absent | leave requests, days late | absences found by inspections
    assert rows["张伟"] == ["云溪县", "城关镇", "杨家坪村", "张伟", "市财政局",
                          45, 50, "否", 55, 50, "是", 0, 50, "进行中", None, None, "—",
                          227, 100, 0, 0, 0, 0, 0, 0, 0,
                          None, None, None]
    assert rows["李娜"] == ["云溪县", "城关镇", "杨家坪村", "李娜", "云溪县农业农村局",
                          0, 50, "否", 0, 50, "否", 0, 50, "进行中", None, None, "—",
                          227, 0, 3, 0, 0, 0, 1, 1, 0,
                          None, None, None]
    # Posted mid-year: Q1 "—", Q2 pro-rated to 26; the leave day of 08-20 is not yet part of the year.
    assert rows["陈静"] == ["云溪县", "城关镇", "石桥村", "陈静", "云溪县农业农村局",
                          None, None, "—", 30, 26, "是", 30, 50, "进行中", None, None, "—",
                          92, 60, 0, 0, 0, 0, 0, 0, 0,
                          None, None, None]
    assert rows["王强"] == ["云溪县", "河口乡", "新塘村", "王强", "云溪县农业农村局",
                          50, 50, "是", 40, 50, "否", None, None, "—", None, None, "—",
                          181, 90, 0, 0, 0, 2, 0, 0, 1,
                          None, None, None]
    assert rows["赵敏"] == ["云溪县", "河口乡", "新塘村", "赵敏", "云溪县农业农村局",
                          None, None, "—", None, None, "—", 20, 46, "进行中", None, None, "—",
                          37, 20, 0, 0, 0, 0, 0, 0, 0,
                          None, None, None]
    assert rows["合计"][17:] == [764, 270, 3, 0, 0, 2, 1, 1, 1, None, None, None]
    assert "刘洋" not in rows


def test_it_never_disagrees_with_the_compliance_page_quarter_by_quarter(tmp_path, year_2026, org, users):
    rows = rows_by_name(build(tmp_path, org.county_a)[0]["干部明细"], 3)
    for q, ref in enumerate((d(1, 1), d(1, 4), d(1, 7))):
        page = compliance_for_user(user=users.county, ref=ref, as_of=AS_OF)
        assert page
        for fig in page:
            assert rows[fig.name][5 + 3 * q: 7 + 3 * q] == [fig.counted, fig.minimum], (q, fig.name)


def test_it_summarises_by_township_with_totals(tmp_path, year_2026, org):
    ws = build(tmp_path, org.county_a)[0]["汇总"]
    assert ws["A1"].value == "云溪县驻村干部2026年度考勤与管理情况统计表"
    assert values(ws, 3)[:3] == ["单位", "在岗干部(人)", "达标人数"]
    assert values(ws, 4)[2:6] == ["第1季度", "第2季度", "第3季度", "第4季度"]
    assert {"A1:M1", "C3:F3", "G3:J3", "K3:K4"} <= {str(r) for r in ws.merged_cells.ranges}
    rows = data_rows(ws)
    # unit, cadres, compliant Q1..Q4, not compliant Q1..Q4, present, leave, absent
    assert rows["城关镇"] == ["城关镇", 3, 0, 2, 0, 0, 2, 1, 0, 0, 160, 3, 0]
    assert rows["河口乡"] == ["河口乡", 2, 1, 0, 0, 0, 0, 1, 0, 0, 110, 0, 2]
    assert rows["合计"] == ["合计", 5, 1, 2, 0, 0, 2, 2, 0, 0, 270, 3, 2]
    assert ws.freeze_panes == "B5"
    assert (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth) == ("landscape", 9, 1)


def test_it_counts_sent_recalled_and_replaced_cadres_per_unit(tmp_path, year_2026, org):
    ws = build(tmp_path, org.county_a)[0]["派驻单位"]
    assert ws["A1"].value == "云溪县派驻单位2026年度选派情况统计表"
    rows = data_rows(ws)
    assert list(rows) == ["市财政局", "云溪县农业农村局", "合计"]
    # unit, level, sent, in post at the report's day, recalled, replaced, not replaced, average delay (days)
    assert rows["市财政局"] == ["市财政局", "市", 1, 1, 0, 0, 0, None]
    assert rows["云溪县农业农村局"] == ["云溪县农业农村局", "县(区)", 4, 3, 1, 1, 0, 10]
    assert rows["合计"] == ["合计", None, 5, 4, 1, 1, 0, None]


def test_it_shows_an_unreplaced_recall(tmp_path, org, freeze):
    Posting.objects.filter(pk=org.p_a1_mem.pk).update(status=PostingStatus.RECALLED, end_date=d(31, 3))
    rows = data_rows(build(tmp_path, org.county_a)[0]["派驻单位"])
    assert rows["云溪县农业农村局"] == ["云溪县农业农村局", "县(区)", 2, 1, 1, 0, 1, None]


def test_it_states_the_formulas_and_policy_on_the_notes_sheet(tmp_path, year_2026, org):
    text = sheet_text(build(tmp_path, org.county_a)[0]["说明"])
    assert "折算下限 = ⌈ 政策下限 × 在岗天数 ÷ 周期天数 ⌉" in text
    assert "平均替补用时(天)= 替补干部到岗日期 − 被召回干部离岗日期" in text
    assert "在村天数下限50天" in text


def test_it_closes_a_past_year_with_every_quarter_decided(tmp_path, org, freeze):
    # 2025: the fixture's postings start on 03-01. Q1 2025 (90 days): in post 31 days, minimum ⌈50 × 31 ÷ 90⌉
    # = 18; 张伟 20 present → 是. Nothing else recorded → 否 in Q2..Q4 (minimum 50).
    fill(org.c_a1_sec, datetime.date(2025, 3, 1), datetime.date(2025, 3, 20))
    wb, n = build(tmp_path, org.city, year=2025, as_of=datetime.date(2026, 1, 10))
    assert n == 4
    assert wb["汇总"]["A1"].value == "青山市驻村干部2025年度考勤与管理情况统计表"
    assert wb["汇总"]["A2"].value == "填报单位:青山市委组织部        统计期间:2025年度"
    row = rows_by_name(wb["干部明细"], 3)["张伟"]
    assert row[5:17] == [20, 18, "是", 0, 50, "否", 0, 50, "否", 0, 50, "否"]
    assert row[17:19] == [306, 20]
    summary = data_rows(wb["汇总"])
    assert summary["云溪县"] == ["云溪县", 3, 1, 0, 0, 0, 2, 3, 3, 3, 20, 0, 0]
    assert summary["石门县"] == ["石门县", 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    assert summary["合计"] == ["合计", 4, 1, 0, 0, 0, 3, 4, 4, 4, 20, 0, 0]


def test_it_builds_the_current_year_on_today(tmp_path, org, freeze):
    # 2026-11-22: Q1..Q3 are over, Q4 runs; nothing shows "—" for cadres in post all year.
    row = rows_by_name(build(tmp_path, org.town_a1, as_of=datetime.date(2026, 11, 22))[0]["干部明细"], 3)["张伟"]
    assert row[7::3][:4] == ["否", "否", "否", "进行中"]
    assert row[17] == 326  # 01-01..11-22


def test_it_shows_the_evaluation_grade_and_awards_and_discipline_of_the_year(tmp_path, year_2026, org):
    Evaluation.objects.create(cadre=org.c_a1_sec, year=2026, grade="competent", county=org.county_a,
                              posting=org.p_a1_sec)
    Evaluation.objects.create(cadre=org.c_a1_mem, year=2025, grade="excellent", county=org.county_a,
                              posting=org.p_a1_mem)  # other year
    AwardRecord.objects.create(cadre=org.c_a1_sec, kind="commendation", date=datetime.date(2026, 5, 4),
                               level=2, issuing_body="青山市委", document_number="青发〔2026〕1号")
    AwardRecord.objects.create(cadre=org.c_a1_sec, kind="praise", date=datetime.date(2026, 7, 1),
                               level=3, issuing_body="云溪县委", document_number="云发〔2026〕9号")
    AwardRecord.objects.create(cadre=org.c_a1_mem, kind="criticism", date=datetime.date(2026, 3, 2),
                               level=3, issuing_body="云溪县委组织部", document_number="云组〔2026〕3号")
    rows = rows_by_name(build(tmp_path, org.county_a)[0]["干部明细"], 3)
    assert rows["张伟"][-3:] == ["称职", "通报嘉奖、通报表扬", None]
    assert rows["李娜"][-3:] == [None, None, "通报批评"]
