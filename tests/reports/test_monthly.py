"""The monthly report (月报), read back from the xlsx that reports.builders.write_monthly produces, against
numbers computed by hand from the fixture below. "Today" is 2026-11-22; the month is October 2026 (31 days),
the first month of Q4 (92 days). Default policy: 50 days a quarter, business trips and training count.

Register for October (written through register_write, which keeps the monthly tallies):

    城关镇 / 杨家坪村  张伟 第一书记  26 present (1–26), 2 business (27–28), 1 training (29),
                                   2 absent (30 by the township, 31 found by an inspection)  → counted 29
                     李娜 工作队员  20 present (1–20), 3 leave (21–23), 24–31 not recorded → counted 20
    城关镇 / 石桥村    陈静 工作队长  posted from 10-16 (16 days): 7 present (16–22), 1 absent found by an
                                   inspection (23), 24–31 not recorded                   → counted 7
    河口乡 / 新塘村    王强 第一书记  28 present (1–28), 3 business (29–31)                 → counted 31
    石门镇 / 龙潭村    刘洋 第一书记  15 present (1–15), rest not recorded                  → counted 15

Pace at 10-31 (31 of Q4's 92 days elapsed): target = ⌊minimum × elapsed ÷ days in post⌋.
    full quarter: ⌊50 × 31 ÷ 92⌋ = 16 → 刘洋 (15) is behind; 张伟, 李娜, 王强 are not.
    陈静: in post 10-16..12-31 = 77 days, minimum ⌈50 × 77 ÷ 92⌉ = 42, elapsed 16, target ⌊42 × 16 ÷ 77⌋ = 8
          → 7 is behind.

Leave (timestamps in Asia/Shanghai; counted by local date):
    L1 李娜  township level, submitted 10-18, approved 10-19
    L2 张伟  county level, submitted 10-05, rejected 10-07
    L3 张伟  township level, submitted 10-28, still waiting
    L4 李娜  county level, submitted 09-28, approved (and returned) 10-02  → approved in October only
    L5 王强  township level, submitted 10-01 00:30 (09-30 in UTC), approved 11-01 00:30 → submitted only
    L6 王强  county level, submitted 11-01 00:30 (10-31 in UTC) → not October
    L7 刘洋  county level, submitted 10-10, approved 10-11
"""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from attendance.models import (
    DaySource,
    DayStatus,
    DiaryEntry,
    Inspection,
    InspectionFinding,
    LeaveRequest,
    LeaveStatus,
)
from attendance.selectors import compliance_figures, compliance_for_user
from cadres.models import Posting, PostingStatus
from reports import builders, excel
from tests.factories import CadreFactory, PostingFactory
from villages.models import Policy, RegionLevel

from .helpers import d, data_rows, fill, load, rows_by_name, sheet_text, values

OCT = datetime.date(2026, 10, 1)
SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SH)


def leave(org, cadre, posting, village, *, level, region, status, submitted, decided=None) -> LeaveRequest:
    return LeaveRequest.objects.create(
        cadre=cadre, posting=posting, village=village, start_date=d(21), end_date=d(23), days=Decimal(3),
        total_days=Decimal(3), reason="事由", status=status, approver_level=level, approver_region=region,
        submitted_at=submitted, decided_at=decided,
    )


@pytest.fixture
def october(org, freeze):
    o = org
    fill(o.c_a1_sec, d(1), d(26))
    fill(o.c_a1_sec, d(27), d(28), DayStatus.BUSINESS)
    fill(o.c_a1_sec, d(29), d(29), DayStatus.TRAINING)
    fill(o.c_a1_sec, d(30), d(30), DayStatus.ABSENT)
    fill(o.c_a1_sec, d(31), d(31), DayStatus.ABSENT, DaySource.INSPECTION)

    fill(o.c_a1_mem, d(1), d(20))
    fill(o.c_a1_mem, d(21), d(23), DayStatus.LEAVE, DaySource.LEAVE)

    o.p_idle = PostingFactory(cadre=o.c_idle, village=o.v_a1b, round=o.round, role=Posting.Role.TEAM_LEADER,
                              start_date=d(16))
    fill(o.c_idle, d(16), d(22))
    fill(o.c_idle, d(23), d(23), DayStatus.ABSENT, DaySource.INSPECTION)

    fill(o.c_a2_sec, d(1), d(28))
    fill(o.c_a2_sec, d(29), d(31), DayStatus.BUSINESS)

    fill(o.c_b1_sec, d(1), d(15))

    T, C = RegionLevel.TOWNSHIP, RegionLevel.COUNTY
    leave(o, o.c_a1_mem, o.p_a1_mem, o.v_a1a, level=T, region=o.town_a1, status=LeaveStatus.APPROVED,
          submitted=at(10, 18), decided=at(10, 19))
    leave(o, o.c_a1_sec, o.p_a1_sec, o.v_a1a, level=C, region=o.county_a, status=LeaveStatus.REJECTED,
          submitted=at(10, 5), decided=at(10, 7))
    leave(o, o.c_a1_sec, o.p_a1_sec, o.v_a1a, level=T, region=o.town_a1, status=LeaveStatus.SUBMITTED,
          submitted=at(10, 28))
    leave(o, o.c_a1_mem, o.p_a1_mem, o.v_a1a, level=C, region=o.county_a, status=LeaveStatus.RETURNED,
          submitted=at(9, 28), decided=at(10, 2))
    leave(o, o.c_a2_sec, o.p_a2_sec, o.v_a2a, level=T, region=o.town_a2, status=LeaveStatus.APPROVED,
          submitted=at(10, 1, 0, 30), decided=at(11, 1, 0, 30))
    leave(o, o.c_a2_sec, o.p_a2_sec, o.v_a2a, level=C, region=o.county_a, status=LeaveStatus.SUBMITTED,
          submitted=at(11, 1, 0, 30))
    leave(o, o.c_b1_sec, o.p_b1_sec, o.v_b1a, level=C, region=o.county_b, status=LeaveStatus.APPROVED,
          submitted=at(10, 10), decided=at(10, 11))
    return o


def build(tmp_path, region, month=OCT, as_of=None, name="m.xlsx"):
    path = tmp_path / name
    rows = builders.write_monthly(region=region, month=month, as_of=as_of, path=path)
    return load(path), rows


# Summary columns: 单位, 覆盖村数, 在岗干部 合计/第一书记/工作队长/队员, 在岗天数, 已记录, 完整率, 在村合计, 人均,
# 进度落后, 提交 乡镇/县/市, 批准 乡镇/县/市, 驳回 乡镇/县/市, 请假天数, 缺勤天数, 其中督查发现.


def test_it_reports_a_county_by_township_with_exact_figures(tmp_path, october, org):
    wb, n = build(tmp_path, org.county_a)
    assert n == 4  # per-cadre rows: 张伟, 李娜, 陈静, 王强
    ws = wb["汇总"]
    assert ws["A1"].value == "云溪县驻村干部2026年10月工作情况统计表"
    assert ws["A2"].value == "填报单位:云溪县委组织部        统计期间:2026年10月"
    rows = data_rows(ws)
    assert list(rows) == ["城关镇", "河口乡", "合计"]
    a1, a2, total = rows["城关镇"], rows["河口乡"], rows["合计"]
    assert a1[:8] == ["城关镇", 2, 3, 1, 1, 1, 78, 62]
    assert a1[8] == pytest.approx(62 / 78)
    assert a1[9] == 56
    assert a1[10] == pytest.approx(56 / 3)
    assert a1[11:] == [1, 2, 1, 0, 1, 1, 0, 0, 1, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0.0, 0]
    assert a2 == ["河口乡", 1, 1, 1, 0, 0, 31, 31, 1, 31, 31, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0]
    assert total[:8] == ["合计", 3, 4, 2, 1, 1, 109, 93]
    # The totals row's ratios are ratios of the totals, not sums or averages of the rows' ratios.
    assert total[8] == pytest.approx(93 / 109)
    assert total[9] == 87
    assert total[10] == 87 / 4 == 21.75  # stored exactly; the cell's format shows one decimal
    assert total[11:] == [1, 3, 1, 0, 1, 1, 0, 0, 1, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0.0, 0]
    assert ws["J5"].number_format == "0"
    assert ws["K7"].number_format == "0.0"
    assert ws["I7"].number_format == "0.0%"


def test_it_reports_a_city_by_county(tmp_path, october, org):
    wb, n = build(tmp_path, org.city)
    assert n == 5
    ws = wb["汇总"]
    assert ws["A1"].value == "青山市驻村干部2026年10月工作情况统计表"
    assert ws["A2"].value == "填报单位:青山市委组织部        统计期间:2026年10月"
    rows = data_rows(ws)
    assert list(rows) == ["云溪县", "石门县", "合计"]
    a, b, total = rows["云溪县"], rows["石门县"], rows["合计"]
    assert a[:8] == ["云溪县", 3, 4, 2, 1, 1, 109, 93]
    assert a[11:] == [1, 3, 1, 0, 1, 1, 0, 0, 1, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0.0, 0]
    assert b[:8] == ["石门县", 1, 1, 1, 0, 0, 31, 15]
    assert b[8] == pytest.approx(15 / 31)
    assert b[9:] == [15, 15, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0]
    assert total[:8] == ["合计", 4, 5, 3, 1, 1, 140, 108]
    assert total[8] == pytest.approx(108 / 140)
    assert total[9] == 102
    assert total[10] == pytest.approx(102 / 5)
    assert total[11:] == [2, 3, 2, 0, 1, 2, 0, 0, 1, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0.0, 0]


def test_it_reports_a_township_by_village(tmp_path, october, org):
    wb, n = build(tmp_path, org.town_a1)
    assert n == 3
    ws = wb["汇总"]
    assert ws["A1"].value == "城关镇驻村干部2026年10月工作情况统计表"
    assert ws["A2"].value == "填报单位:城关镇党委        统计期间:2026年10月"
    rows = data_rows(ws)
    assert list(rows) == ["杨家坪村", "石桥村", "合计"]
    assert rows["杨家坪村"][:8] == ["杨家坪村", 1, 2, 1, 0, 1, 62, 54]
    assert rows["杨家坪村"][8] == pytest.approx(54 / 62)
    assert rows["杨家坪村"][9:] == [49, 24.5, 0, 2, 1, 0, 1, 1, 0, 0, 1, 0, 3, 2, 1, 0, 0, 0, 0, 0, 0.0, 0]
    assert rows["石桥村"] == ["石桥村", 1, 1, 0, 1, 0, 16, 8, 0.5, 7, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0.0, 0]
    total = rows["合计"]
    assert total[:8] == ["合计", 2, 3, 1, 1, 1, 78, 62]
    assert total[8] == pytest.approx(62 / 78)
    assert total[9] == 56
    assert total[10] == pytest.approx(56 / 3)
    assert total[11:] == [1, 2, 1, 0, 1, 1, 0, 0, 1, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0.0, 0]


def test_it_lays_out_the_summary_as_a_statistical_table(tmp_path, october, org):
    ws = build(tmp_path, org.county_a)[0]["汇总"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:AE1", "A2:AE2", "A3:A4", "C3:F3", "G3:I3", "J3:L3", "M3:O3", "P3:R3", "S3:U3", "W3:X3", "Y3:Z3",
            "AA3:AE3"} <= merged
    assert values(ws, 3)[:3] == ["单位", "覆盖村数", "在岗干部(人)"]
    assert values(ws, 4)[2:6] == ["合计", "第一书记", "工作队长", "队员"]
    assert ws.freeze_panes == "B5"
    assert ws.print_title_rows.replace("$", "") == "1:4"
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert values(ws, 8) == [None] * 31
    assert ws["A9"].value == "注:进度落后、完整率等计算方法见“说明”页。"


def test_it_lists_every_cadre_in_post_with_the_month_and_the_period_so_far(tmp_path, october, org):
    wb, _n = build(tmp_path, org.county_a)
    ws = wb["干部明细"]
    assert ws["A1"].value == "云溪县驻村干部2026年10月考勤明细表"
    assert [r[3] for r in ws.iter_rows(min_row=5, max_row=8, values_only=True)] == ["张伟", "李娜", "陈静", "王强"]
    rows = rows_by_name(ws, 3)
    # county, township, village, name, role, unit | days, present, leave, business, training, absent,
    # not recorded, counted | period: counted, minimum, state
    assert rows["张伟"] == ["云溪县", "城关镇", "杨家坪村", "张伟", "第一书记", "市财政局",
                          31, 26, 0, 2, 1, 2, 0, 29, 29, 50, "正常"]
    assert rows["李娜"] == ["云溪县", "城关镇", "杨家坪村", "李娜", "工作队员", "云溪县农业农村局",
                          31, 20, 3, 0, 0, 0, 8, 20, 20, 50, "正常"]
    assert rows["陈静"] == ["云溪县", "城关镇", "石桥村", "陈静", "工作队长", "云溪县农业农村局",
                          16, 7, 0, 0, 0, 1, 8, 7, 7, 42, "进度落后"]
    assert rows["王强"] == ["云溪县", "河口乡", "新塘村", "王强", "第一书记", "云溪县农业农村局",
                          31, 28, 0, 3, 0, 0, 0, 31, 31, 50, "正常"]
    assert rows["合计"][6:14] == [109, 81, 3, 5, 1, 3, 16, 87]
    assert "刘洋" not in rows


def test_it_never_disagrees_with_the_compliance_page(tmp_path, october, org, users):
    ws = build(tmp_path, org.county_a)[0]["干部明细"]
    rows = rows_by_name(ws, 3)
    end = datetime.date(2026, 10, 31)
    page = {f.name: f for f in compliance_for_user(user=users.county, ref=end, as_of=end)}
    assert set(page) == {"张伟", "李娜", "陈静", "王强"}
    for name, fig in page.items():
        assert (rows[name][14], rows[name][15]) == (fig.counted, fig.minimum), name
    same = {f.name: f for f in compliance_figures(postings=Posting.objects.all(), ref=end, as_of=end)}
    assert [(rows[n][14], rows[n][15]) for n in page] == [(same[n].counted, same[n].minimum) for n in page]


def test_it_agrees_with_the_compliance_page_for_a_cadre_who_moved_earlier_in_the_quarter(tmp_path, org, users, freeze):
    # 陈静: 新塘村 (河口乡) 07-01..07-31, then 石桥村 (城关镇) from 08-10. Q3 at 08-31: in post 31 + 52 = 83 days,
    # minimum ⌈50 × 83 ÷ 92⌉ = 46, counted 20 (July) + 15 (August) = 35. A report that only looked at August's
    # postings would say minimum ⌈50 × 52 ÷ 92⌉ = 29 and counted 15.
    PostingFactory(cadre=org.c_idle, village=org.v_a2a, round=org.round, start_date=d(1, 7), end_date=d(31, 7),
                   status=PostingStatus.TRANSFERRED)
    PostingFactory(cadre=org.c_idle, village=org.v_a1b, round=org.round, start_date=d(10, 8))
    fill(org.c_idle, d(1, 7), d(20, 7))
    fill(org.c_idle, d(10, 8), d(24, 8))
    ws = build(tmp_path, org.county_a, month=datetime.date(2026, 8, 1))[0]["干部明细"]
    row = rows_by_name(ws, 3)["陈静"]
    assert row[2] == "石桥村"
    assert row[6:8] == [22, 15]  # August: 22 days in post, 15 present
    end = datetime.date(2026, 8, 31)
    fig = next(f for f in compliance_for_user(user=users.county, ref=end, as_of=end) if f.name == "陈静")
    assert (fig.counted, fig.minimum) == (35, 46)
    assert (row[14], row[15]) == (35, 46)


def test_it_counts_a_cadre_moved_between_townships_once_in_the_totals(tmp_path, org, freeze):
    # 陈静 in 新塘村 (河口乡) 10-01..10-15, then 石桥村 (城关镇) from 10-16, a member both times: she is a row in
    # both townships, but one of the county's four cadres.
    PostingFactory(cadre=org.c_idle, village=org.v_a2a, round=org.round, start_date=d(1), end_date=d(15),
                   status=PostingStatus.TRANSFERRED)
    PostingFactory(cadre=org.c_idle, village=org.v_a1b, round=org.round, start_date=d(16))
    fill(org.c_idle, d(1), d(15))
    fill(org.c_idle, d(16), d(31))
    fill(org.c_a1_sec, d(1), d(31))
    fill(org.c_a1_mem, d(1), d(31))
    fill(org.c_a2_sec, d(1), d(31))
    rows = data_rows(build(tmp_path, org.county_a)[0]["汇总"])
    assert rows["城关镇"][:7] == ["城关镇", 2, 3, 1, 0, 2, 78]
    assert rows["河口乡"][:7] == ["河口乡", 1, 2, 1, 0, 1, 46]
    assert rows["合计"][:7] == ["合计", 3, 4, 2, 0, 2, 124]
    assert rows["合计"][9] == 124
    assert rows["合计"][10] == 124 / 4


def test_it_states_the_formulas_and_the_policy_values_on_the_notes_sheet(tmp_path, october, org):
    ws = build(tmp_path, org.county_a)[0]["说明"]
    text = sheet_text(ws)
    assert "完整率 = 已记录天数 ÷ 在岗天数" in text
    assert "折算下限 = ⌈ 政策下限 × 在岗天数 ÷ 周期天数 ⌉" in text
    assert "进度目标 = ⌊ 折算下限 × 已过在岗天数 ÷ 在岗天数 ⌋" in text
    assert "适用政策(系统默认值):考核周期(每季度)在村天数下限50天" in text
    assert "乡镇每月5日前确认上月考勤" in text


def test_it_states_each_county_policy_in_a_city_report(tmp_path, october, org):
    Policy.objects.create(region=org.county_b, min_days=60, count_training=False, register_confirm_day=3)
    text = sheet_text(build(tmp_path, org.city)[0]["说明"])
    assert "适用政策(系统默认值;适用于:城关镇、河口乡):考核周期(每季度)在村天数下限50天" in text
    assert "适用政策(石门县政策设置;适用于:石门镇):考核周期(每季度)在村天数下限60天" in text
    assert "培训不计入在村天数;乡镇每月3日前确认上月考勤" in text


def test_it_applies_the_county_policy_to_the_figures(tmp_path, october, org):
    # County A counts neither business trips nor training: 张伟 29 → 26, 王强 31 → 28.
    Policy.objects.create(region=org.county_a, count_business=False, count_training=False)
    rows = rows_by_name(build(tmp_path, org.county_a)[0]["干部明细"], 3)
    assert (rows["张伟"][13], rows["张伟"][14]) == (26, 26)
    assert (rows["王强"][13], rows["王强"][14]) == (28, 28)


def test_it_keeps_december_and_january_apart(tmp_path, org, freeze):
    fill(org.c_a1_sec, datetime.date(2025, 12, 1), datetime.date(2025, 12, 1))
    fill(org.c_a1_sec, datetime.date(2025, 12, 31), datetime.date(2026, 1, 1))
    fill(org.c_a1_sec, datetime.date(2026, 1, 2), datetime.date(2026, 1, 2), DayStatus.ABSENT)
    wb, _n = build(tmp_path, org.town_a1, month=datetime.date(2025, 12, 1), name="dec.xlsx")
    assert wb["汇总"]["A1"].value == "城关镇驻村干部2025年12月工作情况统计表"
    row = rows_by_name(wb["干部明细"], 3)["张伟"]
    assert row[6:14] == [31, 2, 0, 0, 0, 0, 29, 2]
    jan = rows_by_name(build(tmp_path, org.town_a1, month=datetime.date(2026, 1, 1), name="jan.xlsx")[0]["干部明细"], 3)
    assert jan["张伟"][6:14] == [31, 1, 0, 0, 0, 1, 29, 1]
    # Q1 2026 starts on 01-01: the cumulative figures do not carry December's days.
    assert jan["张伟"][14] == 1


def test_it_stops_the_running_month_at_today(tmp_path, org, freeze):
    # November 2026 on the 22nd: 22 days in post so far; approved leave on 11-25..26 is not yet the past.
    fill(org.c_a1_sec, d(1, 11), d(20, 11))
    fill(org.c_a1_sec, d(25, 11), d(26, 11), DayStatus.LEAVE, DaySource.LEAVE)
    wb, _n = build(tmp_path, org.town_a1, month=datetime.date(2026, 11, 1))
    assert wb["汇总"]["A2"].value == "填报单位:城关镇党委        统计期间:2026年11月(截至11月22日)"
    row = rows_by_name(wb["干部明细"], 3)["张伟"]
    assert row[6:14] == [22, 20, 0, 0, 0, 0, 2, 20]
    fig = next(f for f in compliance_figures(postings=Posting.objects.filter(pk=org.p_a1_sec.pk),
                                             ref=d(22, 11), as_of=d(22, 11)))
    assert (row[14], row[15]) == (fig.counted, fig.minimum) == (20, 50)


def test_it_writes_the_report_on_a_write_only_workbook(tmp_path, october, org, monkeypatch):
    seen = []

    def spy():
        wb = excel.new_workbook()
        seen.append(wb.write_only)
        return wb

    monkeypatch.setattr(builders, "new_workbook", spy)
    build(tmp_path, org.county_a)
    assert seen == [True]


def test_it_neutralises_names_that_look_like_formulas(tmp_path, org, freeze):
    cadre = CadreFactory(name="=HYPERLINK(\"http://evil\")", unit=org.unit_a)
    PostingFactory(cadre=cadre, village=org.v_a1b, round=org.round, start_date=d(1))
    ws = build(tmp_path, org.town_a1)[0]["干部明细"]
    cell = next(c for row in ws.iter_rows(min_row=5) for c in row if c.value == cadre.name)
    assert (cell.data_type, cell.quotePrefix) == ("s", True)


def test_it_counts_inspections_and_diary_outcomes_per_row(tmp_path, october, org, users):
    """Two inspections in October: one visits 杨家坪村 (城关镇) and finds 张伟 absent, one visits 石桥村 (城关镇)
    and 新塘村 (河口乡) — it counts once in each township's row and once in the total. Diary outcomes add up
    per row; a diary entry of November does not count."""
    first = Inspection.objects.create(date=d(31), kind="unannounced", inspectors="县委组织部 王明", region=org.county_a)
    first.villages.set([org.v_a1a])
    InspectionFinding.objects.create(inspection=first, cadre=org.c_a1_sec, posting=org.p_a1_sec, village=org.v_a1a,
                                     finding="absent")
    InspectionFinding.objects.create(inspection=first, cadre=org.c_a1_mem, posting=org.p_a1_mem, village=org.v_a1a,
                                     finding="present")
    second = Inspection.objects.create(date=d(23), inspectors="县委组织部 李红", region=org.county_a)
    second.villages.set([org.v_a1b, org.v_a2a])
    DiaryEntry.objects.create(cadre=org.c_a1_sec, posting=org.p_a1_sec, day=d(5), text="走访",
                              households_visited=10, disputes_resolved=2, practical_matters=1,
                              funds_yuan=Decimal("5000.50"))
    DiaryEntry.objects.create(cadre=org.c_a2_sec, posting=org.p_a2_sec, day=d(6), text="信访", households_visited=3,
                              major_event=True, major_event_note="群众集体上访")
    DiaryEntry.objects.create(cadre=org.c_a2_sec, posting=org.p_a2_sec, day=d(2, 11), text="11月", households_visited=99)
    rows = data_rows(build(tmp_path, org.county_a)[0]["汇总"])
    # 督查次数, 发现不在岗, 走访农户, 化解纠纷, 办实事, 协调资金, 重大事项
    assert rows["城关镇"][24:] == [2, 1, 10, 2, 1, 5000.5, 0]
    assert rows["河口乡"][24:] == [1, 0, 3, 0, 0, 0.0, 1]
    assert rows["合计"][24:] == [2, 1, 13, 2, 1, 5000.5, 1]
