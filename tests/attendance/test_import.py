"""Import of DingTalk / WeCom monthly attendance exports as register evidence (attendance.services.importing,
attendance.views.imports). Files are built here with openpyxl in each vendor's layout."""
import datetime
import io
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance.models import AttendanceDay, EvidenceDay, EvidenceSource, ImportBatch, MonthConfirmation
from attendance.services.importing import (
    import_attendance_export,
    parse_attendance_export,
    parse_day_header,
    suggest_status,
)
from cadres.models import AuditEntry, Posting
from tests import factories as f

SEPT = datetime.date(2026, 9, 1)  # 30 days; already over on the test machine's date (and any later one)
OCT = datetime.date(2026, 10, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list], title: str = "月度汇总") -> io.BytesIO:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def upload(buf: io.BytesIO, name: str = "考勤.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, buf.getvalue(), content_type=XLSX)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def dingtalk_rows(org, *, days: int = 30, month: datetime.date = SEPT, zhang=None, li=None) -> list[list]:
    """钉钉 月度汇总: two title rows, a header with one column per day ("1".."30"), a weekday row, people."""
    last = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    fixed = ["姓名", "考勤组", "部门", "工号", "职位", "UserId", "手机号"]
    header = fixed + [str(d) for d in range(1, days + 1)] + ["出勤天数", "休息天数"]
    weekdays = [""] * len(fixed) + ["一二三四五六日"[(month + datetime.timedelta(days=d)).weekday()]
                                    for d in range(days)]
    zhang = zhang or {}
    li = li or {}

    def person(cadre, cells):
        return [cadre.name, "驻村考勤组", "城关镇", "", "第一书记", "u1", cadre.phone] + [
            cells.get(d, "") for d in range(1, days + 1)] + [0, 0]

    return [
        [f"月度汇总 统计日期:{month:%Y-%m-%d} 至 {last:%Y-%m-%d}"],
        ["报表生成时间:2026-11-02 09:00"],
        header,
        weekdays,
        person(org.c_a1_sec, zhang),
        person(org.c_a1_mem, li),
    ]


ZHANG = {
    1: "正常", 2: "09:01 17:35", 3: "缺卡", 4: "旷工", 5: "休息", 6: "休息", 7: "事假", 8: "出差", 9: "外出",
    10: "", 11: "病假", 12: "上班缺卡 17:35", 13: "迟到5分钟 09:05 17:35",
}
LI = {1: "正常", 2: "年假", 3: "未打卡", 4: "08:58-17:40"}
EXPECTED_SEPT = {
    # (cadre, day, status, flagged), worked out by hand from ZHANG and LI
    ("张伟", 1, "present", False), ("张伟", 2, "present", False), ("张伟", 3, "absent", True),
    ("张伟", 4, "absent", True), ("张伟", 7, "leave", False), ("张伟", 8, "business", False),
    ("张伟", 9, "business", False), ("张伟", 11, "leave", False), ("张伟", 12, "present", True),
    ("张伟", 13, "present", False),
    ("李娜", 1, "present", False), ("李娜", 2, "leave", False), ("李娜", 3, "absent", True),
    ("李娜", 4, "present", False),
}


def evidence(source: str = EvidenceSource.DINGTALK) -> set[tuple]:
    return {
        (e.cadre.name, e.day.day, e.status, e.flagged)
        for e in EvidenceDay.objects.filter(source=source).select_related("cadre")
    }


def run_import(users, org, buf, *, month=SEPT, source=EvidenceSource.DINGTALK, actor=None, township=None):
    return import_attendance_export(
        actor=actor or users.township, township=township or org.town_a1, month=month, source=source, file=buf,
        file_name="考勤.xlsx",
    )


# ---------------------------------------------------------------- parsing (no database)


@pytest.mark.parametrize("header", [
    "1", "1日", "01", "10-01", "10-01 周三", "2026-10-01", "10月1日", "2026-10-01\n星期三", "1\n三", "1号",
    datetime.datetime(2026, 10, 1), datetime.date(2026, 10, 1), 1,
])
def test_it_reads_every_day_header_style(header):
    assert parse_day_header(header, OCT).day == datetime.date(2026, 10, 1)


@pytest.mark.parametrize("header", ["姓名", "手机号", "出勤天数", "三", "周四", "", None, "UserId", 2026])
def test_it_ignores_headers_that_are_not_days(header):
    assert parse_day_header(header, OCT) is None


@pytest.mark.parametrize("header", ["31", "10-01", "2026-10-01", "9月31日", datetime.date(2026, 10, 1)])
def test_it_flags_day_headers_outside_the_month(header):
    assert parse_day_header(header, SEPT).day is None


@pytest.mark.parametrize(("cell", "status", "flagged"), [
    ("正常", "present", False),
    ("09:01 17:35", "present", False),
    ("08:58-17:40", "present", False),
    ("０８：５８－１７：４０", "present", False),
    (datetime.time(9, 1), "present", False),
    ("迟到5分钟 09:05 17:35", "present", False),
    ("上班缺卡 17:35", "present", True),
    ("请假", "leave", False), ("事假", "leave", False), ("病假", "leave", False), ("年假", "leave", False),
    ("事假 09:00-12:00", "leave", False),
    ("外出", "business", False), ("出差", "business", False), ("公出", "business", False),
    ("旷工", "absent", True), ("缺卡", "absent", True), ("未打卡", "absent", True),
])
def test_it_suggests_a_status_for_each_cell_text(cell, status, flagged):
    suggestion = suggest_status(cell)
    assert (suggestion.status, suggestion.flagged) == (status, flagged)


@pytest.mark.parametrize("cell", ["休息", "休息日", "", "  ", None])
def test_it_takes_rest_days_and_empty_cells_as_no_evidence(cell):
    assert suggest_status(cell) is None


def test_it_says_a_missing_punch_is_to_be_confirmed():
    assert suggest_status("缺卡").detail == "缺卡(缺少打卡记录,不等于缺勤,请核实后确认)"
    assert suggest_status("09:01 17:35").detail == "09:01 17:35"


def test_it_parses_a_dingtalk_file_without_a_database():
    org = SimpleNamespace(  # parsing needs only the names and phones written into the file
        c_a1_sec=SimpleNamespace(name="张伟", phone="13900000001"),
        c_a1_mem=SimpleNamespace(name="李娜", phone="13900000002"),
    )
    parsed = parse_attendance_export(
        file=xlsx(dingtalk_rows(org, zhang=ZHANG, li=LI)), month=SEPT, source=EvidenceSource.DINGTALK
    )
    assert parsed.errors == []
    assert parsed.header_row == 3 and parsed.has_phone and parsed.day_columns == 30
    assert [(r.row, r.name, r.phone) for r in parsed.rows] == [(5, "张伟", "13900000001"), (6, "李娜", "13900000002")]
    assert len(parsed.rows[0].days) == 10


def test_it_reads_days_from_a_second_header_row():
    """Some DingTalk exports group the day columns under a merged "考勤结果" heading."""
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["月度汇总"])
    ws.append(["姓名", "部门", "手机号", "考勤结果", None, None])
    ws.append([None, None, None, "10-01 周四", "10-02 周五", "10-03 周六"])
    ws.append(["张伟", "城关镇", "13900000001", "正常", "出差", "休息"])
    ws.merge_cells("D2:F2")
    wb.save(buf)
    parsed = parse_attendance_export(file=buf, month=OCT, source=EvidenceSource.DINGTALK)
    assert parsed.errors == []
    assert parsed.rows[0].row == 4
    assert {d.day: s.status for d, s in parsed.rows[0].days.items()} == {1: "present", 2: "business"}


def test_it_reports_a_file_of_another_month_once_not_per_column():
    rows = [["姓名", "手机号"] + [f"2026-10-{d:02d}" for d in range(1, 32)], ["张伟", "13900000001", "正常"]]
    parsed = parse_attendance_export(file=xlsx(rows), month=SEPT, source=EvidenceSource.WECOM)
    assert [str(e) for e in parsed.errors] == ["第1行:表头的日期(2026-10-01 等)都不在所选的2026年9月,请核对月份或文件。"]


# ---------------------------------------------------------------- the import


def test_it_imports_a_dingtalk_file_as_exact_evidence(org, users):
    batch = run_import(users, org, xlsx(dingtalk_rows(org, zhang=ZHANG, li=LI)))

    assert evidence() == EXPECTED_SEPT
    assert EvidenceDay.objects.count() == 14
    assert set(EvidenceDay.objects.values_list("batch_id", flat=True)) == {batch.pk}
    assert (batch.rows, batch.township, batch.month, batch.source) == (2, org.town_a1, SEPT, "dingtalk")
    assert AttendanceDay.objects.count() == 0  # evidence only: the township confirms in the register
    entry = AuditEntry.objects.get(action="register.import")
    assert entry.detail["days"] == 14 and entry.detail["flagged"] == 4 and entry.region_code == org.town_a1.code


def test_it_imports_a_wecom_file(org, users):
    zhang, li = org.c_a1_sec, org.c_a1_mem
    header = ["姓名", "账号", "部门", "手机"] + [f"2026-10-{d:02d}" for d in range(1, 4)] + [
        datetime.datetime(2026, 10, 4)]
    rows = [
        ["打卡月报 统计时间:2026-10-01~2026-10-31"],
        header,
        [zhang.name, "zhangwei", "城关镇", zhang.phone, "08:58-17:40", "未打卡", "休息日", "外出"],
        [li.name, "lina", "城关镇", li.phone, "请假", "正常", "", "出差"],
    ]
    run_import(users, org, xlsx(rows, title="打卡月报"), month=OCT, source=EvidenceSource.WECOM)

    assert evidence(EvidenceSource.WECOM) == {
        ("张伟", 1, "present", False), ("张伟", 2, "absent", True), ("张伟", 4, "business", False),
        ("李娜", 1, "leave", False), ("李娜", 2, "present", False), ("李娜", 4, "business", False),
    }


def test_it_reports_every_bad_row_and_writes_nothing(org, users):
    zhang, li = org.c_a1_sec, org.c_a1_mem
    header = ["姓名", "部门", "手机号"] + [str(d) for d in range(1, 32)]  # a 31st day in September
    rows = [
        ["月度汇总 统计日期:2026-09-01 至 2026-09-30"],
        [],
        header,                                                       # row 3: day 31
        ["王五", "城关镇", "13912345678", "正常"],                     # row 4: not a cadre of A1
        [zhang.name, "城关镇", "13800000000", "正常"],                 # row 5: wrong phone
        [li.name, "城关镇", li.phone, "正常", "正常", "迟到早退??"],   # row 6: unknown text on day 3
        [zhang.name, "城关镇", zhang.phone, "正常"],                   # row 7: fine
        [zhang.name, "城关镇", zhang.phone, "正常"],                   # row 8: 张伟 again
    ]
    with pytest.raises(ValidationError) as exc:
        run_import(users, org, xlsx(rows))

    messages = exc.value.messages
    assert [m.split(":")[0] for m in messages] == ["第3行", "第4行", "第5行", "第6行", "第8行"]
    assert "“31”不是2026年9月的日期" in messages[0]
    assert "“王五”不是本乡镇" in messages[1]
    assert "张伟 的手机号“13800000000”与系统登记的不一致" in messages[2]
    assert "9月3日“迟到早退??”" in messages[3]
    assert "与第7行是同一人" in messages[4]
    assert EvidenceDay.objects.count() == 0 and ImportBatch.objects.count() == 0
    assert not AuditEntry.objects.filter(action="register.import").exists()


def test_it_replaces_a_previous_import_instead_of_doubling_it(org, users):
    rows = dingtalk_rows(org, zhang=ZHANG, li=LI)
    run_import(users, org, xlsx(rows))
    before = evidence()

    run_import(users, org, xlsx(rows))

    assert evidence() == before
    assert EvidenceDay.objects.count() == 14
    assert ImportBatch.objects.count() == 2
    assert EvidenceDay.objects.filter(batch=ImportBatch.objects.order_by("pk").first()).count() == 0

    run_import(users, org, xlsx(dingtalk_rows(org, zhang={1: "正常"}, li={})))
    assert evidence() == {("张伟", 1, "present", False)}


def test_it_keeps_evidence_of_the_other_source(org, users):
    run_import(users, org, xlsx(dingtalk_rows(org, zhang=ZHANG, li=LI)))
    run_import(users, org, xlsx(dingtalk_rows(org, zhang={1: "正常"}, li={})), source=EvidenceSource.WECOM)
    assert EvidenceDay.objects.filter(source="dingtalk").count() == 14
    assert EvidenceDay.objects.filter(source="wecom").count() == 1


def test_it_matches_phones_written_in_full_width_digits_and_spaces(org, users):
    rows = dingtalk_rows(org, zhang={1: "正常"}, li={1: "正常"})
    phone = org.c_a1_sec.phone
    rows[4][6] = fullwidth(f" {phone[:3]} {phone[3:7]} {phone[7:]} ")
    rows[5][6] = "+86-" + org.c_a1_mem.phone
    run_import(users, org, xlsx(rows))
    assert evidence() == {("张伟", 1, "present", False), ("李娜", 1, "present", False)}


def test_it_matches_by_name_alone_when_the_file_has_no_phone_column_and_the_name_is_unique(org, users):
    rows = [["姓名", "1", "2"], [org.c_a1_sec.name, "正常", "缺卡"]]
    run_import(users, org, xlsx(rows))
    assert evidence() == {("张伟", 1, "present", False), ("张伟", 2, "absent", True)}


def test_it_asks_for_the_phone_when_two_cadres_share_a_name(org, users):
    other = f.CadreFactory(name="张伟", unit=org.unit_a)
    f.PostingFactory(cadre=other, village=org.v_a1b, round=org.round)
    with pytest.raises(ValidationError) as exc:
        run_import(users, org, xlsx([["姓名", "1"], ["张伟", "正常"]]))
    assert exc.value.messages == [
        "第2行:本乡镇有2名驻村干部叫“张伟”,文件中没有手机号列,无法区分;请导出包含手机号的文件。"
    ]


def test_it_only_imports_days_inside_the_posting(org, users):
    Posting.objects.filter(pk=org.p_a1_mem.pk).update(
        end_date=datetime.date(2026, 9, 2), status=Posting.Status.COMPLETED
    )
    run_import(users, org, xlsx(dingtalk_rows(org, zhang={}, li=LI)))
    assert evidence() == {("李娜", 1, "present", False), ("李娜", 2, "leave", False)}


def test_it_refuses_a_confirmed_month(org, users):
    MonthConfirmation.objects.create(township=org.town_a1, month=SEPT, confirmed_by=users.township)
    with pytest.raises(ValidationError, match="已确认锁定"):
        run_import(users, org, xlsx(dingtalk_rows(org, zhang=ZHANG, li=LI)))
    assert EvidenceDay.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_it_refuses_a_file_of_another_month(org, users):
    with pytest.raises(ValidationError) as exc:
        run_import(users, org, xlsx(dingtalk_rows(org, month=OCT, days=30, zhang={1: "正常"})))
    assert exc.value.messages[0].startswith("第1行:标题中的统计日期")


@pytest.mark.parametrize(("content", "expected"), [
    (b"this is not a spreadsheet", "文件无法读取"),
    (None, "未找到表头"),
])
def test_it_reports_an_unreadable_file_or_one_without_a_header(org, users, content, expected):
    buf = io.BytesIO(content) if content is not None else xlsx([["考勤"], ["张伟", "正常"]])
    with pytest.raises(ValidationError) as exc:
        run_import(users, org, buf)
    assert expected in exc.value.messages[0]
    assert ImportBatch.objects.count() == 0


def test_it_lets_the_county_import_for_its_township_but_no_one_outside(org, users):
    run_import(users, org, xlsx(dingtalk_rows(org, zhang={1: "正常"})), actor=users.county)
    assert EvidenceDay.objects.count() == 1
    for outsider in (users.township2, users.township_b, users.county_b, users.unit, users.cadre):
        with pytest.raises(ValidationError, match="不能为城关镇导入"):
            run_import(users, org, xlsx(dingtalk_rows(org, zhang={1: "正常"})), actor=outsider)


# ---------------------------------------------------------------- the pages


def post_import(client, org, buf, *, township=None, month="2026-09", source="dingtalk"):
    return client.post(reverse("attendance:register_import"), {
        "township": (township or org.town_a1).pk, "month": month, "source": source, "file": upload(buf),
    })


def test_it_renders_the_form_with_the_township_preselected(client, org, users):
    client.force_login(users.township)
    response = client.get(reverse("attendance:register_import"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert f'<option value="{org.town_a1.pk}" selected>' in body
    assert "石门镇" not in body  # only the user's own township is offered
    assert 'value="2026-10"' in body  # last month by default (today is 2026-11 or later)


def test_it_imports_and_redirects_to_the_register(client, org, users):
    client.force_login(users.township)
    response = post_import(client, org, xlsx(dingtalk_rows(org, zhang=ZHANG, li=LI)))
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:register") + f"?township={org.town_a1.pk}&month=2026-09"
    assert EvidenceDay.objects.count() == 14
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["已导入2人14天的考勤佐证,请在考勤簿中确认"]


def test_it_lists_every_row_error_on_the_form(client, org, users):
    client.force_login(users.township)
    rows = [["姓名", "手机号", "1", "2"], ["王五", "13912345678", "正常"], ["张伟", org.c_a1_sec.phone, "迟到早退??"]]
    response = post_import(client, org, xlsx(rows))
    assert response.status_code == 200
    body = response.content.decode()
    assert "文件有 2 处问题,未导入任何数据" in body
    assert "第2行:“王五”不是本乡镇" in body and "第3行:张伟 有无法识别的考勤内容" in body
    assert EvidenceDay.objects.count() == 0


def test_it_answers_404_for_a_township_outside_the_jurisdiction(client, org, users):
    client.force_login(users.township_b)
    assert client.get(reverse("attendance:register_import") + f"?township={org.town_a1.pk}").status_code == 404
    response = post_import(client, org, xlsx(dingtalk_rows(org, zhang=ZHANG, li=LI)))
    assert response.status_code == 404
    assert EvidenceDay.objects.count() == 0


def test_it_lets_the_county_choose_among_its_townships(client, org, users):
    client.force_login(users.county)
    body = client.get(reverse("attendance:register_import")).content.decode()
    assert "城关镇" in body and "河口乡" in body and "石门镇" not in body
    assert post_import(client, org, xlsx(dingtalk_rows(org, zhang={1: "正常"}))).status_code == 302


@pytest.mark.parametrize("url_name", ["attendance:register_import", "attendance:import_list"])
def test_it_forbids_cadres_and_units(client, users, url_name):
    for user in (users.cadre, users.unit):
        client.force_login(user)
        assert client.get(reverse(url_name)).status_code == 403


@pytest.mark.parametrize("url_name", ["attendance:register_import", "attendance:import_list"])
def test_it_sends_anonymous_users_to_login(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_lists_imports_of_the_jurisdiction_only(client, org, users):
    run_import(users, org, xlsx(dingtalk_rows(org, zhang=ZHANG, li=LI)))
    client.force_login(users.township)
    body = client.get(reverse("attendance:import_list")).content.decode()
    assert "考勤.xlsx" in body and "2026-09" in body

    client.force_login(users.township_b)
    body = client.get(reverse("attendance:import_list")).content.decode()
    assert "考勤.xlsx" not in body and "还没有导入记录" in body
