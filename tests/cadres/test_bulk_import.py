"""Bulk import from Excel (cadres.bulk_import): a good file per kind with exact counts, re-import changes
nothing, a file of bad rows writes nothing and lists every row, each rule at its boundary, jurisdiction, the
templates, the management command and the page."""
import datetime
import io

import openpyxl
import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.urls import reverse
from stdnum.cn import ric

from cadres.bulk_import import (
    ImportKind,
    find_header,
    import_file,
    importer_for,
    read_rows,
    template_workbook,
)
from cadres.models import AuditEntry, Cadre, Posting, PostingRole, PostingStatus
from tests import factories as f
from villages.models import DispatchingUnit, RegionLevel, Village

VILLAGE_HEADER = ["序号", "区划代码", "村(社区)名称", "村分类", "户籍人口", "户数", "纬度", "经度", "备注"]
UNIT_HEADER = ["序号", "单位名称", "单位层级", "所属区划代码", "联系人", "联系电话"]
CADRE_HEADER = ["序号", "姓名", "身份证号码", "性别", "出生日期", "民族", "手机号码", "政治面貌", "学历", "原单位",
                "原职务", "职级", "后备干部"]
POSTING_HEADER = ["序号", "身份证号码", "姓名", "村区划代码", "轮次", "职务", "派驻单位", "到岗日期", "离岗日期", "状态"]

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def xlsx(header, rows, *, title_rows=()) -> io.BytesIO:
    """A workbook built like a person would: optional title rows, the header, then the rows. Row numbers in the
    expectations below are Excel's (the header is row 1 + len(title_rows))."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for title in title_rows:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "import.xlsx"
    return buffer


def bad_checksum(number: str) -> str:
    """The same number with a wrong check character."""
    right = number[-1]
    wrong = "0" if right != "0" else "1"
    return number[:-1] + wrong


def trail():
    return AuditEntry.objects.exclude(action__startswith="auth.")


def reasons(result) -> dict[int | None, str]:
    return {e.row: e.reason for e in result.errors}


# --- good files, exact counts, and the same file again ------------------------------------------------


def village_rows():
    return [
        [1, "369901001203", "张家湾村", "脱贫村、软弱涣散村", 1200, 380, None, None, ""],
        [2, "３６９９０１００１２０４", "  李家 坳村 ", "", "", "", "27.5", "114.25", "易地搬迁安置点"],
        [3, "369901002202", "河西村", None, None, None, None, None, None],
        [4, "369901001202", "石桥村", "集体经济薄弱村", 980, None, None, None, None],  # exists: gains figures
    ]


def test_it_imports_a_good_village_file_and_counts_each_row(org, users):
    before = Village.objects.count()
    result = import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, village_rows()))

    assert result.errors == []
    assert (result.rows, result.created, result.updated, result.unchanged) == (4, 3, 1, 0)
    assert Village.objects.count() == before + 3
    lijia = Village.objects.get(code="369901001204")
    assert (lijia.name, lijia.township, str(lijia.latitude), lijia.note) == ("李家 坳村", org.town_a1, "27.500000",
                                                                            "易地搬迁安置点")
    assert sorted(c.name for c in Village.objects.get(code="369901001203").categories.all()) == ["脱贫村", "软弱涣散村"]
    assert Village.objects.get(code="369901002202").township == org.town_a2
    shiqiao = Village.objects.get(code="369901001202")
    assert shiqiao.population == 980
    assert [c.name for c in shiqiao.categories.all()] == ["集体经济薄弱村"]
    assert trail().filter(action="village.create").count() == 3
    assert trail().filter(action="village.update").count() == 1
    assert trail().filter(action="import.villages").get().detail["created"] == 3


def test_it_changes_nothing_when_the_same_village_file_is_imported_again(org, users):
    import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, village_rows()))
    entries = trail().count()

    again = import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, village_rows()))

    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 4, [])
    assert trail().exclude(action="import.villages").count() == entries - 1


UNIT_ROWS = [
    [1, "云溪县教育局", "县(区)", "369901000000", "赵敏", "0791-1234567"],
    [2, "城关镇人民政府", "乡镇", "369901001000", "", ""],
    [3, "云溪县农业农村局", "县", "369901000000", "钱进", "１３９００００１１１１"],  # exists: gains a contact
]


def test_it_imports_a_good_unit_file_and_again_changes_nothing(org, users):
    result = import_file(actor=users.county, kind="units", file=xlsx(UNIT_HEADER, UNIT_ROWS))

    assert (result.created, result.updated, result.unchanged, result.errors) == (2, 1, 0, [])
    town = DispatchingUnit.objects.get(name="城关镇人民政府")
    assert (town.level, town.region) == (RegionLevel.TOWNSHIP, org.town_a1)
    org.unit_a.refresh_from_db()
    assert (org.unit_a.contact_name, org.unit_a.contact_phone) == ("钱进", "13900001111")

    again = import_file(actor=users.county, kind="units", file=xlsx(UNIT_HEADER, UNIT_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def valid_id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def cadre_rows():
    id_1 = valid_id("11010119800101003")  # 3rd sequence digit odd: a man
    id_2 = valid_id("11010119900202004")  # even: a woman
    return id_1, id_2, [
        [1, "周明", id_1, "", "", "", "13912345678", "中共党员", "大学本科", "云溪县农业农村局", "科员", "科员", "否"],
        [2, "吴芳", id_2.translate(FULL_WIDTH), "女", datetime.date(1990, 2, 2), "苗族", "139 1234 5679", "群众",
         "研究生", "云溪县农业农村局", "", "", "是"],
    ]


def test_it_imports_a_good_cadre_file_deriving_gender_and_birth_date(org, users):
    id_1, id_2, rows = cadre_rows()
    rows.append([3, "陈静", org.c_idle.id_number, "", "", "", org.c_idle.phone, "", "", "云溪县农业农村局", "驻村前任办公室主任",
                 "", ""])  # exists: gains an original post

    result = import_file(actor=users.county, kind="cadres", file=xlsx(CADRE_HEADER, rows))

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    zhou = Cadre.objects.get(id_number=id_1)
    assert (zhou.gender, zhou.birth_date, zhou.unit, zhou.is_reserve_cadre) == (
        "M", datetime.date(1980, 1, 1), org.unit_a, False)
    wu = Cadre.objects.get(id_number=id_2)
    assert (wu.gender, wu.ethnicity, wu.phone, wu.political_status, wu.education, wu.unit, wu.is_reserve_cadre) == (
        "F", "苗族", "13912345679", "masses", "postgraduate", org.unit_a, True)
    org.c_idle.refresh_from_db()
    assert org.c_idle.original_post == "驻村前任办公室主任"

    again = import_file(actor=users.county, kind="cadres", file=xlsx(CADRE_HEADER, rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_it_refuses_a_cadre_the_importer_could_not_see_afterwards(org, users):
    """A county may update a city-unit cadre posted in its villages, but not register an unposted one: the
    new cadre would fall outside its jurisdiction (the city's organization department registers it)."""
    new = [1, "郑一", f.make_id_number(), "", "", "", "13900000001", "", "", "市财政局", "", "", ""]
    posted = [2, "张伟", org.c_a1_sec.id_number, "", "", "", "13900000002", "", "", "市财政局", "", "", ""]

    by_county = import_file(actor=users.county, kind="cadres", file=xlsx(CADRE_HEADER, [new, posted]), dry_run=True)
    by_city = import_file(actor=users.city, kind="cadres", file=xlsx(CADRE_HEADER, [new, posted]), dry_run=True)

    assert reasons(by_county) == {2: "该干部的原单位不属于您的辖区,且干部尚未派驻到您辖区的村:导入后您将无法查看该干部,"
                                     "请由原单位所在地的组织部导入。"}
    assert (by_city.created, by_city.updated, by_city.errors) == (1, 1, [])


def posting_rows(org):
    return [
        [1, org.c_idle.id_number, "陈静", "369901001202", "第二轮", "第一书记", "", datetime.date(2025, 4, 1), None, ""],
        # The existing posting of 王强 (same cadre, village, round, start date): now ended.
        [2, org.c_a2_sec.id_number, "王强", "369901002201", "第二轮", "第一书记", "", "2025-03-01", "2026/01/31", "期满"],
    ]


def test_it_imports_a_good_posting_file_and_again_changes_nothing(org, users):
    before = Posting.objects.count()
    result = import_file(actor=users.county, kind="postings", file=xlsx(POSTING_HEADER, posting_rows(org)))

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert Posting.objects.count() == before + 1
    new = Posting.objects.get(cadre=org.c_idle)
    assert (new.village, new.round, new.role, new.unit, new.start_date, new.status) == (
        org.v_a1b, org.round, PostingRole.FIRST_SECRETARY, org.unit_a, datetime.date(2025, 4, 1), PostingStatus.IN_POST)
    org.p_a2_sec.refresh_from_db()
    assert (org.p_a2_sec.end_date, org.p_a2_sec.status) == (datetime.date(2026, 1, 31), PostingStatus.COMPLETED)

    again = import_file(actor=users.county, kind="postings", file=xlsx(POSTING_HEADER, posting_rows(org)))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


# --- a file full of bad rows writes nothing and lists each row -------------------------------------------


def test_it_writes_nothing_from_a_cadre_file_with_bad_rows_and_lists_each(org, users):
    good = f.make_id_number(datetime.date(1988, 8, 8))
    other_good = f.make_id_number(datetime.date(1987, 7, 7))
    rows = [
        [1, "甲", bad_checksum(f.make_id_number()), "", "", "", "13900000001", "", "", "云溪县农业农村局", "", "", ""],
        [2, "乙", f.make_id_number(), "", "", "", "13900000002", "", "", "不存在的局", "", "", ""],
        [3, "丙", good, "", "", "", "13900000003", "", "", "云溪县农业农村局", "", "", ""],
        [4, "丁", " " + good.translate(FULL_WIDTH) + " ", "", "", "", "13900000004", "", "", "云溪县农业农村局", "", "", ""],
        [5, "戊", f.make_id_number(), "", "2026-02-30", "", "13900000005", "", "", "云溪县农业农村局", "", "", ""],
        [6, "己", other_good.translate(FULL_WIDTH), "", "", "", "13900000006", "", "", "云溪县农业农村局", "", "", ""],
        [7, "", f.make_id_number(), "", "", "", "13900000007", "", "", "云溪县农业农村局", "", "", ""],
        [8, "庚", 110101198808080012, "", "", "", "13900000008", "", "", "云溪县农业农村局", "", "", ""],
        [9, "辛", f.make_id_number(), "", "", "", "1390000000", "", "", "云溪县农业农村局", "", "", ""],
        [10, "壬", org.c_b1_sec.id_number, "", "", "", "13900000010", "", "", "云溪县农业农村局", "", "", ""],
    ]
    cadres, entries = Cadre.objects.count(), trail().count()

    result = import_file(actor=users.county, kind="cadres", file=xlsx(CADRE_HEADER, rows))

    assert Cadre.objects.count() == cadres
    assert trail().count() == entries
    assert not result.written
    assert reasons(result) == {
        2: "身份证号码校验位不正确,请核对。",
        3: "原单位:未找到派驻单位“不存在的局”(或不在您的管辖范围内);请先导入派驻单位。",
        5: "身份证号码与第4行重复。",
        6: "出生日期:日期“2026-02-30”不存在。",
        8: "“姓名”不能为空。",
        9: "身份证号码被Excel存成了数字,后几位可能已丢失;请把该列设为“文本”格式后重新填写。",
        10: "手机号码:电话号码格式不正确:手机号为1开头的11位数字,固定电话如 0791-12345678。",
        11: "该身份证号码已由其他地区登记为驻村干部,请联系该干部所在地的组织部。",
    }
    # Row 7 (full-width digits of a valid number) and row 4 are good; only the bad rows are listed.
    assert result.error_rows == [2, 3, 5, 6, 8, 9, 10, 11]


def test_it_writes_nothing_from_a_posting_file_with_bad_rows_and_lists_each(org, users):
    idle = org.c_idle.id_number
    rows = [
        [1, bad_checksum(idle), "", "369901001202", "第二轮", "工作队员", "", "2025-04-01", "", ""],
        [2, idle, "", "369901001299", "第二轮", "工作队员", "", "2025-04-02", "", ""],
        [3, idle, "", "369901001202", "第二轮", "工作队员", "不存在的局", "2025-04-03", "", ""],
        # 李娜 is in post in 杨家坪村 since 2025-03-01 (open end): a second posting overlaps it.
        [4, org.c_a1_mem.id_number, "李娜", "369901001202", "第二轮", "工作队员", "", "2025-06-01", "", ""],
        [5, idle, "", "369901001202", "第二轮", "工作队员", "", "2026-02-30", "", ""],
        # Good: full-width digits normalise to 陈静's number.
        [6, idle.translate(FULL_WIDTH), "陈静", "369901001202", "第二轮", "工作队员", "", "2025-04-01", "", ""],
        # Good on its own, but overlaps the row above in this very file.
        [7, idle, "陈静", "369901002201", "第二轮", "工作队员", "", "2025-05-01", "", ""],
        [8, idle, "", "369902001201", "第二轮", "工作队员", "", "2025-04-05", "", ""],  # a village of county B
        [9, idle, "陈静", "369901001202", "第九轮", "工作队员", "", "2025-04-06", "", ""],
        [10, idle, "张三", "369901001202", "第二轮", "工作队员", "", "2025-04-07", "", ""],
        [11, idle, "", "369901001202", "第二轮", "副书记", "", "2025-04-08", "", ""],
        [12, idle, "", "369901001202", "第二轮", "工作队长", "", "2025-04-01", "", ""],  # same posting as row 7
    ]
    postings, entries = Posting.objects.count(), trail().count()

    result = import_file(actor=users.county, kind="postings", file=xlsx(POSTING_HEADER, rows))

    assert Posting.objects.count() == postings
    assert trail().count() == entries
    assert reasons(result) == {
        2: "身份证号码校验位不正确,请核对。",
        3: "村区划代码:未找到区划代码为369901001299的村(或不在您的管辖范围内)。",
        4: "未找到派驻单位“不存在的局”(或不在您的管辖范围内);请先导入派驻单位。",
        5: "到岗日期:该干部在2025-03-01至今已派驻杨家坪村,同一天只能有一个在岗派驻。",
        6: "到岗日期:日期“2026-02-30”不存在。",
        8: "到岗日期:该干部在2025-04-01至今已派驻石桥村,同一天只能有一个在岗派驻。",
        9: "村区划代码:未找到区划代码为369902001201的村(或不在您的管辖范围内)。",
        10: "未找到轮次“第九轮”。",
        11: "姓名“张三”与该身份证号码登记的姓名“陈静”不一致。",
        12: "职务:“副书记”不是可选值,可填:第一书记、工作队长、工作队员。",
        13: "与第7行是同一条派驻记录(身份证号码、村、轮次、到岗日期相同)。",
    }
    assert [(a.row, a.outcome) for a in result.actions] == [(7, "created")]  # checked, then rolled back


# --- rules at their boundaries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-02-29", None),  # a leap day exists
        ("2025-02-29", "出生日期:日期“2025-02-29”不存在。"),
        ("2026-02-28", None),
        ("2026-02-30", "出生日期:日期“2026-02-30”不存在。"),
        ("２０２６年２月２８日", None),
        ("2026/2/28", None),
        ("20260228", None),
        ("28/02/2026", "出生日期:日期“28/02/2026”无法识别,请按 2026-03-01 的格式填写。"),
    ],
)
def test_it_reads_dates_at_their_boundaries(org, users, cell, expected):
    birth = datetime.date(2024, 2, 29) if cell.startswith("2024") else datetime.date(2026, 2, 28)
    number = f.make_id_number(birth)
    row = [1, "某某", number, "", cell, "", "13900000001", "", "", "云溪县农业农村局", "", "", ""]

    result = import_file(actor=users.county, kind="cadres", file=xlsx(CADRE_HEADER, [row]), dry_run=True)

    assert reasons(result) == ({} if expected is None else {2: expected})


def test_it_accepts_a_date_cell_and_reports_a_birth_date_that_contradicts_the_id(org, users):
    number = f.make_id_number(datetime.date(1985, 6, 15))
    ok = [1, "某某", number, "", datetime.date(1985, 6, 15), "", "13900000001", "", "", "云溪县农业农村局", "", "", ""]
    off = [2, "某乙", f.make_id_number(datetime.date(1985, 6, 15)), "", datetime.date(1985, 6, 16), "", "13900000002",
           "", "", "云溪县农业农村局", "", "", ""]

    result = import_file(actor=users.county, kind="cadres", file=xlsx(CADRE_HEADER, [ok, off]), dry_run=True)

    assert reasons(result) == {3: "出生日期与身份证号码不一致(身份证显示为1985-06-15)。"}


def test_it_normalises_full_width_digits_and_stray_spaces_before_matching(org, users):
    """A village code typed in full-width digits with spaces is the same village: unchanged, not a new one."""
    row = [1, " ３６９９０１ ００１２０１ ", " 杨家坪村 ", "重点帮扶村", None, None, None, None, None]

    result = import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, [row]))

    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, 1, [])


def test_it_rejects_a_village_code_that_is_a_township_code(org, users):
    row = [1, "369901001000", "城关", None, None, None, None, None, None]

    result = import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, [row]))

    assert reasons(result) == {2: "区划代码中本级部分不能全为0。"}


def test_it_rejects_an_unknown_village_category_and_a_short_code(org, users):
    rows = [
        [1, "369901001205", "新村", "模范村", None, None, None, None, None],
        [2, "36990100120", "短码村", None, None, None, None, None, None],
    ]

    result = import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, rows))

    assert reasons(result) == {2: "村分类:没有“模范村”这个分类。", 3: "区划代码必须是12位数字。"}


def test_it_checks_a_unit_level_against_its_region_with_the_model_rule(org, users):
    rows = [[1, "云溪县科技局", "市", "369901000000", "", ""]]

    result = import_file(actor=users.county, kind="units", file=xlsx(UNIT_HEADER, rows))

    assert reasons(result) == {2: "所属区划代码:单位层级为“市”,所属区划也必须是该级。"}


def test_it_reports_a_duplicate_unit_name_in_the_file(org, users):
    rows = [[1, "云溪县科技局", "县(区)", "369901000000", "", ""], [2, "云溪县科技局 ", "县(区)", "369901000000", "", ""]]

    result = import_file(actor=users.county, kind="units", file=xlsx(UNIT_HEADER, rows))

    assert reasons(result) == {3: "单位名称与第2行重复。"}
    assert not DispatchingUnit.objects.filter(name="云溪县科技局").exists()


def test_it_rejects_a_posting_whose_round_does_not_cover_the_village(org, users):
    county_round = f.RoundFactory(name="县第一轮", region=org.county_b)
    row = [1, org.c_idle.id_number, "", "369901001202", county_round.name, "工作队员", "", "2025-04-01", "", ""]

    result = import_file(actor=None, kind="postings", file=xlsx(POSTING_HEADER, [row]))

    assert reasons(result) == {2: "轮次“县第一轮”不包括该村所在的区划。"}


def test_it_requires_an_end_date_for_an_ended_posting(org, users):
    row = [1, org.c_idle.id_number, "", "369901001202", "第二轮", "工作队员", "", "2025-04-01", "", "已召回"]

    result = import_file(actor=users.county, kind="postings", file=xlsx(POSTING_HEADER, [row]))

    assert reasons(result) == {2: "状态为“已召回”时必须填写离岗日期。"}


def test_it_finds_the_header_below_title_rows_and_ignores_extra_columns(org, users):
    header = ["序号", "备用", "区划代码", "村(社区)名称"]
    rows = [[1, "x", "369901001206", "北坡村"]]

    result = import_file(actor=users.county, kind="villages",
                         file=xlsx(header, rows, title_rows=["2026年村(社区)名册", "填报单位:云溪县委组织部"]))

    assert (result.created, result.errors) == (1, [])
    assert Village.objects.get(code="369901001206").name == "北坡村"


def test_it_reports_a_missing_header_and_an_unreadable_file(org, users):
    no_header = import_file(actor=users.county, kind="cadres", file=xlsx(["名字", "号码"], [["甲", "1"]]))
    not_xlsx = import_file(actor=users.county, kind="cadres", file=io.BytesIO("姓名,身份证号码\n".encode()))

    assert [str(e) for e in no_header.errors] == [
        "在前10行中没有找到表头:表头须包含以下各列:姓名、身份证号码、手机号码、原单位。请使用本页提供的模板。"]
    assert [str(e) for e in not_xlsx.errors] == ["无法读取该文件:请上传 Excel 的 .xlsx 文件(不支持 .xls、.csv)。"]


# --- jurisdiction ----------------------------------------------------------------------------------------


def test_it_refuses_a_village_outside_the_county_of_the_importer(org, users):
    row = [1, "369902001205", "石门新村", None, None, None, None, None, None]  # township B1, county B

    outsider = import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, [row]))
    own_county = import_file(actor=users.county_b, kind="villages", file=xlsx(VILLAGE_HEADER, [row]), dry_run=True)

    assert reasons(outsider) == {
        2: "区划代码369902001205所属的乡镇(街道)(代码369902001000)未登记或不在您的管辖范围内。"}
    assert (own_county.created, own_county.errors) == (1, [])
    assert not Village.objects.filter(code="369902001205").exists()


def test_it_refuses_a_unit_of_another_county_and_a_cadre_of_a_unit_out_of_scope(org, users):
    unit_row = [1, "石门县教育局", "县(区)", "369902000000", "", ""]
    cadre_row = [1, "某某", f.make_id_number(), "", "", "", "13900000001", "", "", "石门县教育局", "", "", ""]

    units = import_file(actor=users.county, kind="units", file=xlsx(UNIT_HEADER, [unit_row]))
    cadres = import_file(actor=users.county, kind="cadres", file=xlsx(CADRE_HEADER, [cadre_row]))

    assert reasons(units) == {2: "所属区划代码:区划代码369902000000未登记或不在您的管辖范围内。"}
    assert reasons(cadres) == {2: "原单位:未找到派驻单位“石门县教育局”(或不在您的管辖范围内);请先导入派驻单位。"}


def test_it_refuses_read_only_roles(org, users):
    from django.core.exceptions import PermissionDenied

    for user in (users.township, users.unit, users.cadre):
        with pytest.raises(PermissionDenied):
            import_file(actor=user, kind="villages", file=xlsx(VILLAGE_HEADER, village_rows()))
    assert not Village.objects.filter(code="369901001203").exists()


# --- dry run ---------------------------------------------------------------------------------------------


def test_it_reports_what_a_dry_run_would_do_and_writes_nothing(org, users):
    villages, entries = Village.objects.count(), trail().count()

    result = import_file(actor=users.county, kind="villages", file=xlsx(VILLAGE_HEADER, village_rows()), dry_run=True)

    assert (result.created, result.updated, result.unchanged, result.errors) == (3, 1, 0, [])
    assert [(a.row, a.outcome) for a in result.actions] == [
        (2, "created"), (3, "created"), (4, "created"), (5, "updated")]
    assert (Village.objects.count(), trail().count()) == (villages, entries)


# --- templates: the header written is the header read ----------------------------------------------------


@pytest.mark.parametrize("kind", ImportKind.values)
def test_it_writes_templates_whose_header_the_parser_reads_and_whose_example_it_skips(org, users, kind):
    content = template_workbook(kind)
    importer = importer_for(kind)

    rows = read_rows(io.BytesIO(content))
    index, positions = find_header(rows, importer.columns)
    assert index == 2  # title, how-to line, then the header (Excel row 3)
    assert list(positions) == [c.key for c in importer.columns]
    assert rows[4][0] == "示例"

    untouched = import_file(actor=users.county, kind=kind, file=io.BytesIO(content))
    assert [str(e) for e in untouched.errors] == ["文件中没有数据行(示例行不计)。"]

    notes = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[1]
    described = [r[0] for r in notes.iter_rows(min_row=5, values_only=True) if r and r[0]]
    assert [c.label for c in importer.columns] == described[: len(importer.columns)]


def test_it_imports_a_filled_in_template(org, users):
    wb = openpyxl.load_workbook(io.BytesIO(template_workbook("villages")))
    ws = wb.worksheets[0]
    for column, value in enumerate([1, "369901002203", "东岭村", "先进村"], start=1):
        ws.cell(row=6, column=column, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)

    result = import_file(actor=users.county, kind="villages", file=buffer)

    assert (result.rows, result.created, result.errors) == (1, 1, [])
    assert [c.name for c in Village.objects.get(code="369901002203").categories.all()] == ["先进村"]


# --- the management command ------------------------------------------------------------------------------


def saved(tmp_path, header, rows, name="file.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(xlsx(header, rows).getvalue())
    return str(path)


def test_it_imports_from_the_command_line(org, tmp_path, capsys):
    path = saved(tmp_path, VILLAGE_HEADER, village_rows())

    call_command("import_data", "villages", path)

    assert "导入完成:新增3条,更新1条,0条无变化。" in capsys.readouterr().out
    assert Village.objects.filter(code="369901001203").exists()


def test_it_dry_runs_from_the_command_line_listing_what_would_change(org, users, tmp_path, capsys):
    path = saved(tmp_path, VILLAGE_HEADER, village_rows())

    call_command("import_data", "villages", path, "--dry-run", "--user", users.county.username)

    out = capsys.readouterr().out
    assert "第2行:将新增 张家湾村(369901001203)" in out
    assert "第5行:将更新 石桥村(369901001202)" in out
    assert "检查通过(未写入):将新增3条,更新1条,0条无变化。" in out
    assert not Village.objects.filter(code="369901001203").exists()


def test_it_exits_non_zero_and_prints_every_bad_row(org, users, tmp_path, capsys, monkeypatch):
    rows = [[1, "369901001299", "", None, None, None, None, None, None],
            [2, "369902001299", "外县村", None, None, None, None, None, None]]
    path = saved(tmp_path, VILLAGE_HEADER, rows)
    # run_from_argv closes the connections when it ends; inside the test's transaction that would break it.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)

    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "import_data", "villages", path, "--user", "t_county"]).execute()

    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "第2行:“村(社区)名称”不能为空。" in err
    assert "第3行:区划代码369902001299所属的乡镇(街道)(代码369902001000)未登记或不在您的管辖范围内。" in err
    assert "文件有2处问题,未导入任何数据。" in err


def test_it_refuses_a_command_line_user_without_import_rights(org, users, tmp_path):
    path = saved(tmp_path, VILLAGE_HEADER, village_rows())

    with pytest.raises(CommandError, match="没有批量导入的权限"):
        call_command("import_data", "villages", path, "--user", users.township.username)
    with pytest.raises(CommandError, match="未找到用户"):
        call_command("import_data", "villages", path, "--user", "nobody")


# --- the page --------------------------------------------------------------------------------------------


IMPORT_URL = "/import/"


def upload(client, user, header, rows, *, kind, dry_run=False):
    client.force_login(user)
    data = {"kind": kind, "file": xlsx(header, rows)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(IMPORT_URL, data)


def test_it_resolves_the_page_urls():
    assert reverse("cadres:import") == IMPORT_URL
    assert reverse("cadres:import_template", args=["cadres"]) == "/import/templates/cadres.xlsx"


def test_it_shows_the_import_page_to_an_organization_department(client, org, users):
    client.force_login(users.county)

    response = client.get(IMPORT_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for kind in ImportKind.values:
        assert reverse("cadres:import_template", args=[kind]) in html


def test_it_imports_an_upload_and_shows_the_counts(client, org, users):
    response = upload(client, users.county, VILLAGE_HEADER, village_rows(), kind="villages")

    assert response.status_code == 200
    result = response.context["result"]
    assert (result.created, result.updated, result.unchanged) == (3, 1, 0)
    assert 'id="n-created">3<' in response.content.decode()
    assert Village.objects.filter(code="369901001203").exists()


def test_it_lists_every_bad_row_of_an_upload_and_writes_nothing(client, org, users):
    rows = [[1, "369901001299", "", None, None, None, None, None, None],
            [2, "369902001299", "外县村", None, None, None, None, None, None]]

    response = upload(client, users.county, VILLAGE_HEADER, rows, kind="villages")

    html = response.content.decode()
    assert "文件有 2 处问题,未导入任何数据" in html
    assert "第2行" in html and "“村(社区)名称”不能为空。" in html
    assert "第3行" in html and "不在您的管辖范围内" in html
    assert not Village.objects.filter(code__in=["369901001299", "369902001299"]).exists()


def test_it_checks_only_when_the_dry_run_box_is_ticked(client, org, users):
    response = upload(client, users.county, VILLAGE_HEADER, village_rows(), kind="villages", dry_run=True)

    assert response.context["result"].dry_run is True
    assert "检查通过(未写入任何数据)" in response.content.decode()
    assert not Village.objects.filter(code="369901001203").exists()


def test_it_downloads_a_template(client, org, users):
    client.force_login(users.county)

    response = client.get(reverse("cadres:import_template", args=["postings"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = read_rows(io.BytesIO(response.content))
    assert [c for c in rows[2] if c] == POSTING_HEADER


def test_it_answers_404_for_an_unknown_template(client, org, users):
    client.force_login(users.county)

    assert client.get("/import/templates/regions.xlsx").status_code == 404


@pytest.mark.parametrize("role", ["township", "unit", "cadre", "township_b", "unit_b", "cadre_b"])
def test_it_refuses_the_page_and_templates_to_other_roles(client, org, users, role):
    user = getattr(users, role)
    client.force_login(user)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(reverse("cadres:import_template", args=["villages"])).status_code == 403
    response = client.post(IMPORT_URL, {"kind": "villages", "file": xlsx(VILLAGE_HEADER, village_rows())})
    assert response.status_code == 403
    assert not Village.objects.filter(code="369901001203").exists()


def test_it_limits_an_outsider_county_to_its_own_jurisdiction_on_the_page(client, org, users):
    response = upload(client, users.county_b, VILLAGE_HEADER, village_rows(), kind="villages")

    assert response.context["result"].error_rows == [2, 3, 4, 5]
    assert not Village.objects.filter(code="369901001203").exists()


@pytest.mark.parametrize("url", [IMPORT_URL, "/import/templates/villages.xlsx"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, org, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"
