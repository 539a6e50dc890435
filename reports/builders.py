"""The figures of the monthly and annual reports, computed from the records (register tallies, postings,
leave) with the same compliance function the pages use, then written with the one Excel writer."""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from attendance.models import AttendanceDay, DaySource, LeaveRequest, LeaveStatus, MonthlyTally
from attendance.selectors import FORMULA, compliance_figures, period_bounds
from attendance.services.register import month_start, next_month
from cadres.models import Posting, PostingRole, PostingStatus
from cadres.selectors import policy_for
from villages.models import Region, RegionLevel, Village
from villages.validators import SIGNIFICANT_DIGITS

from .excel import Column, Table, new_workbook, write_list, write_table

ONE_DAY = datetime.timedelta(days=1)
APPROVER_LEVELS = [RegionLevel.TOWNSHIP, RegionLevel.COUNTY, RegionLevel.CITY]


def _overlap(posting: Posting, start: datetime.date, end: datetime.date) -> int:
    first = max(posting.start_date, start)
    last = min(posting.end_date or end, end)
    return max(0, (last - first).days + 1)


@dataclass
class Bucket:
    """One row of the summary table: a next-level region (or a village for a township report)."""

    label: str
    code: str
    villages_covered: set = field(default_factory=set)
    cadres: set = field(default_factory=set)
    by_role: dict = field(default_factory=lambda: defaultdict(set))
    days_in_post: int = 0
    recorded: int = 0
    counted: int = 0
    leave_days: int = 0
    absent: int = 0
    inspection_absences: int = 0
    flagged: set = field(default_factory=set)  # cadres behind the pace or below the minimum
    leave: dict = field(default_factory=lambda: defaultdict(int))  # (level, state) → n


def _children(region: Region) -> tuple[list[tuple[str, str, str]], int | None]:
    """(key, label, code) of the rows of a region's report and the number of village-code digits that key
    a row (None: rows are villages)."""
    if region.level == RegionLevel.TOWNSHIP:
        villages = Village.objects.filter(township=region).order_by("code").values_list("code", "name")
        return [(code, name, code) for code, name in villages], None
    digits = SIGNIFICANT_DIGITS[region.level + 1]
    children = Region.objects.filter(parent=region).order_by("code").values_list("code", "name")
    return [(code[:digits], name, code) for code, name in children], digits


def _unit_line(region: Region, period: str) -> str:
    return _("填报单位:%(region)s委组织部        统计期间:%(period)s") % {"region": region.name, "period": period}


def monthly_data(*, region: Region, month: datetime.date, progress=None):
    """Summary buckets and per-cadre rows for a region and month."""
    month = month_start(month)
    month_end = next_month(month) - ONE_DAY
    children, digits = _children(region)
    buckets = {key: Bucket(label=label, code=code) for key, label, code in children}

    def key_of(code: str) -> str:
        return code if digits is None else code[:digits]

    postings = list(
        Posting.objects.filter(village__code__startswith=region.prefix)
        .overlapping(month, month_end)
        .select_related("cadre", "village__township__parent", "unit")
        .order_by("village__code", "role", "cadre__name")
    )
    in_region = Posting.objects.filter(village__code__startswith=region.prefix)
    tallies = {
        t["posting_id"]: t
        for t in MonthlyTally.objects.filter(posting__village__code__startswith=region.prefix, month=month).values()
    }
    if progress:
        progress(20)
    # Compliance at the month's end, for the period (normally the quarter) that contains it: the same function
    # as the compliance page, so a report and the page never disagree.
    figures = {
        f.cadre_id: f
        for f in compliance_figures(postings=in_region.overlapping(month, month_end), ref=month_end, as_of=month_end)
    }
    if progress:
        progress(50)
    inspection = dict(
        AttendanceDay.objects.filter(
            posting__village__code__startswith=region.prefix, source=DaySource.INSPECTION,
            day__gte=month, day__lte=month_end,
        ).values("posting_id").annotate(n=Count("pk")).values_list("posting_id", "n")
    )
    policies: dict[int, object] = {}
    cadre_rows = []
    for posting in postings:
        bucket = buckets.get(key_of(posting.village.code))
        if bucket is None:
            continue
        township = posting.village.township
        policy = policies.get(township.pk) or policies.setdefault(township.pk, policy_for(township))
        days = _overlap(posting, month, month_end)
        t = tallies.get(posting.pk, {})
        present, leave, business = t.get("present", 0), t.get("leave", 0), t.get("business", 0)
        training, absent = t.get("training", 0), t.get("absent", 0)
        recorded = present + leave + business + training + absent
        counted = present + (business if policy.count_business else 0) + (training if policy.count_training else 0)
        bucket.villages_covered.add(posting.village_id)
        bucket.cadres.add(posting.cadre_id)
        bucket.by_role[posting.role].add(posting.cadre_id)
        bucket.days_in_post += days
        bucket.recorded += recorded
        bucket.counted += counted
        bucket.leave_days += leave
        bucket.absent += absent
        bucket.inspection_absences += inspection.get(posting.pk, 0)
        fig = figures.get(posting.cadre_id)
        flagged = bool(fig and (fig.flagged or (fig.finished and not fig.compliant)))
        cadre_rows.append([
            township.parent.name if township.parent else "", township.name, posting.village.name, posting.cadre.name,
            posting.get_role_display(), posting.unit.name, days, present, leave, business, training, absent,
            max(0, days - recorded), counted,
            fig.counted if fig else None, fig.minimum if fig else None,
            (_("已无法达标") if fig.cannot_reach else _("进度落后") if fig.behind else
             (_("未达标") if fig.finished and not fig.compliant else _("正常"))) if fig else "",
        ])
        if flagged:
            bucket.flagged.add(posting.cadre_id)

    # Leave by approving level: submitted in the month, and decided (approved / rejected) in the month.
    leaves = LeaveRequest.objects.filter(village__code__startswith=region.prefix)
    submitted = leaves.filter(submitted_at__date__gte=month, submitted_at__date__lte=month_end)
    decided = leaves.filter(decided_at__date__gte=month, decided_at__date__lte=month_end)
    for qs, state in (
        (submitted, "submitted"),
        (decided.filter(status__in=(LeaveStatus.APPROVED, LeaveStatus.RETURNED)), "approved"),
        (decided.filter(status=LeaveStatus.REJECTED), "rejected"),
    ):
        rows = qs.values("village__code", "approver_level").annotate(n=Count("pk"))
        for row in rows:
            bucket = buckets.get(key_of(row["village__code"]))
            if bucket is not None:
                bucket.leave[(row["approver_level"], state)] += row["n"]
    if progress:
        progress(70)
    return list(buckets.values()), cadre_rows


MONTHLY_COLUMNS = [
    Column(_("单位"), width=14),
    Column(_("覆盖村数"), width=8, number_format="0", total=True),
    Column(_("合计"), group=_("在岗干部(人)"), width=7, number_format="0", total=True),
    Column(_("第一书记"), group=_("在岗干部(人)"), width=8, number_format="0", total=True),
    Column(_("工作队长"), group=_("在岗干部(人)"), width=8, number_format="0", total=True),
    Column(_("队员"), group=_("在岗干部(人)"), width=7, number_format="0", total=True),
    Column(_("在岗天数"), group=_("考勤登记"), width=9, number_format="0", total=True),
    Column(_("已记录天数"), group=_("考勤登记"), width=9, number_format="0", total=True),
    Column(_("完整率"), group=_("考勤登记"), width=8, number_format="0.0%"),
    Column(_("合计(天)"), group=_("在村天数"), width=9, number_format="0", total=True),
    Column(_("人均(天)"), group=_("在村天数"), width=8, number_format="0.0"),
    Column(_("进度落后(人)"), group=_("在村天数"), width=9, number_format="0", total=True),
    Column(_("乡镇审批"), group=_("请假提交(件)"), width=8, number_format="0", total=True),
    Column(_("县级审批"), group=_("请假提交(件)"), width=8, number_format="0", total=True),
    Column(_("市级审批"), group=_("请假提交(件)"), width=8, number_format="0", total=True),
    Column(_("乡镇"), group=_("请假批准(件)"), width=7, number_format="0", total=True),
    Column(_("县级"), group=_("请假批准(件)"), width=7, number_format="0", total=True),
    Column(_("市级"), group=_("请假批准(件)"), width=7, number_format="0", total=True),
    Column(_("乡镇"), group=_("请假驳回(件)"), width=7, number_format="0", total=True),
    Column(_("县级"), group=_("请假驳回(件)"), width=7, number_format="0", total=True),
    Column(_("市级"), group=_("请假驳回(件)"), width=7, number_format="0", total=True),
    Column(_("请假天数"), width=8, number_format="0", total=True),
    Column(_("缺勤天数"), group=_("缺勤"), width=8, number_format="0", total=True),
    Column(_("其中督查发现"), group=_("缺勤"), width=9, number_format="0", total=True),
]

CADRE_COLUMNS = [
    Column(_("县(区)"), width=10), Column(_("乡镇(街道)"), width=12), Column(_("村(社区)"), width=12),
    Column(_("姓名"), width=9), Column(_("职务"), width=9), Column(_("派驻单位"), width=18),
    Column(_("在岗天数"), group=_("本月"), width=7, number_format="0", total=True),
    Column(_("在村"), group=_("本月"), width=6, number_format="0", total=True),
    Column(_("请假"), group=_("本月"), width=6, number_format="0", total=True),
    Column(_("因公外出"), group=_("本月"), width=7, number_format="0", total=True),
    Column(_("培训"), group=_("本月"), width=6, number_format="0", total=True),
    Column(_("缺勤"), group=_("本月"), width=6, number_format="0", total=True),
    Column(_("未记录"), group=_("本月"), width=7, number_format="0", total=True),
    Column(_("计入在村"), group=_("本月"), width=7, number_format="0", total=True),
    Column(_("计入在村"), group=_("本考核周期累计"), width=8, number_format="0"),
    Column(_("折算下限"), group=_("本考核周期累计"), width=8, number_format="0"),
    Column(_("状态"), group=_("本考核周期累计"), width=10),
]


def _policy_notes(region: Region) -> list[str]:
    policy = policy_for(region if region.level <= RegionLevel.COUNTY else region.parent)
    return [
        _("适用政策(%(source)s):考核周期%(period)s,在村天数下限%(min)d天;因公外出%(b)s计入;培训%(t)s计入。") % {
            "source": policy.region.name if policy.pk else _("系统默认值"),
            "period": policy.get_min_days_period_display(), "min": policy.min_days,
            "b": _("") if policy.count_business else _("不"), "t": _("") if policy.count_training else _("不"),
        },
        _("下级县(区)另有政策设置的,按其设置计算。"),
    ]


def _notes_monthly(region: Region, month: datetime.date) -> list[str]:
    return [
        _("说明:"),
        _("1. 覆盖村数:本月有干部在岗的村数。在岗干部:本月至少有一天处于派驻期内的干部,按其本月派驻职务计。"),
        _("2. 在岗天数:本月处于派驻期内的天数之和。已记录天数:考勤簿中有记录的天数。完整率 = 已记录天数 ÷ 在岗天数。"),
        _("3. 在村天数(计入) = 在村 + 因公外出(政策计入时) + 培训(政策计入时);人均 = 合计 ÷ 在岗干部人数。"),
        _("4. 进度落后:截至本月末,本考核周期在村天数低于进度目标或已无法达到折算下限的人数(不对个人排名)。") + str(FORMULA["pace"]),
        _("5. 折算下限:") + str(FORMULA["minimum"]),
        _("6. 请假按审批层级统计:提交件数按提交时间,批准与驳回件数按审批时间;请假天数为考勤簿中的请假天数。"),
        _("7. 缺勤天数为考勤簿中记为缺勤的天数,其中督查发现的单列。"),
        *_policy_notes(region),
    ]


def write_monthly(*, region: Region, month: datetime.date, path, progress=None) -> int:
    buckets, cadre_rows = monthly_data(region=region, month=month, progress=progress)
    period = _("%(y)d年%(m)d月") % {"y": month.year, "m": month.month}
    rows = []
    totals_cadres = 0
    totals = defaultdict(int)
    for b in buckets:
        n = len(b.cadres)
        totals_cadres += n
        totals["days"] += b.days_in_post
        totals["recorded"] += b.recorded
        totals["counted"] += b.counted
        rows.append([
            b.label, len(b.villages_covered), n, len(b.by_role[PostingRole.FIRST_SECRETARY]),
            len(b.by_role[PostingRole.TEAM_LEADER]), len(b.by_role[PostingRole.MEMBER]), b.days_in_post, b.recorded,
            (b.recorded / b.days_in_post) if b.days_in_post else None, b.counted,
            round(b.counted / n, 1) if n else None, len(b.flagged),
            *[b.leave[(lvl, "submitted")] for lvl in APPROVER_LEVELS],
            *[b.leave[(lvl, "approved")] for lvl in APPROVER_LEVELS],
            *[b.leave[(lvl, "rejected")] for lvl in APPROVER_LEVELS],
            b.leave_days, b.absent, b.inspection_absences,
        ])
    wb = new_workbook()
    title = _("%(region)s驻村干部%(period)s工作情况统计表") % {"region": region.name, "period": period}
    write_table(wb, _("汇总"), Table(
        title=title, unit_line=_unit_line(region, period), columns=MONTHLY_COLUMNS, rows=rows,
        totals_override={
            8: (totals["recorded"] / totals["days"]) if totals["days"] else None,
            10: round(totals["counted"] / totals_cadres, 1) if totals_cadres else None,
        },
        notes=[_("注:进度落后、完整率等计算方法见“说明”页。")],
    ))
    if progress:
        progress(80)
    write_list(wb, _("干部明细"), _("%(region)s驻村干部%(period)s考勤明细表") % {"region": region.name, "period": period},
               _unit_line(region, period), CADRE_COLUMNS, cadre_rows)
    _write_notes(wb, _notes_monthly(region, month))
    wb.save(path)
    return len(cadre_rows)


def _write_notes(wb, lines: list[str]) -> None:
    ws = wb.create_sheet(title=_("说明"))
    ws.column_dimensions["A"].width = 120
    for line in lines:
        ws.append([line])


# ---------------------------------------------------------------- annual


ANNUAL_CADRE_COLUMNS = [
    Column(_("县(区)"), width=10), Column(_("乡镇(街道)"), width=12), Column(_("村(社区)"), width=12),
    Column(_("姓名"), width=9), Column(_("派驻单位"), width=18),
    *[c for q in (1, 2, 3, 4) for c in (
        Column(_("在村"), group=_("第%(q)d季度") % {"q": q}, width=6, number_format="0"),
        Column(_("下限"), group=_("第%(q)d季度") % {"q": q}, width=6, number_format="0"),
        Column(_("达标"), group=_("第%(q)d季度") % {"q": q}, width=6),
    )],
    Column(_("在岗天数"), group=_("全年"), width=7, number_format="0", total=True),
    Column(_("在村"), group=_("全年"), width=6, number_format="0", total=True),
    Column(_("请假"), group=_("全年"), width=6, number_format="0", total=True),
    Column(_("因公外出"), group=_("全年"), width=7, number_format="0", total=True),
    Column(_("培训"), group=_("全年"), width=6, number_format="0", total=True),
    Column(_("缺勤"), group=_("全年"), width=6, number_format="0", total=True),
    Column(_("请假次数"), group=_("请假"), width=7, number_format="0", total=True),
    Column(_("逾期销假(天)"), group=_("请假"), width=8, number_format="0", total=True),
    Column(_("督查发现缺勤"), width=8, number_format="0", total=True),
]

UNIT_COLUMNS = [
    Column(_("派驻单位"), width=22), Column(_("层级"), width=8),
    Column(_("派出人次"), width=8, number_format="0", total=True),
    Column(_("年末在岗"), width=8, number_format="0", total=True),
    Column(_("召回"), width=6, number_format="0", total=True),
    Column(_("已替补"), width=7, number_format="0", total=True),
    Column(_("未替补"), width=7, number_format="0", total=True),
    Column(_("平均替补用时(天)"), width=10, number_format="0.0"),
]

ANNUAL_SUMMARY_COLUMNS = [
    Column(_("单位"), width=14),
    Column(_("在岗干部(人)"), width=9, number_format="0", total=True),
    *[Column(_("第%(q)d季度") % {"q": q}, group=_("达标人数"), width=8, number_format="0", total=True) for q in (1, 2, 3, 4)],
    *[Column(_("第%(q)d季度") % {"q": q}, group=_("未达标人数"), width=8, number_format="0", total=True) for q in (1, 2, 3, 4)],
    Column(_("在村天数合计"), width=10, number_format="0", total=True),
    Column(_("请假天数"), width=8, number_format="0", total=True),
    Column(_("缺勤天数"), width=8, number_format="0", total=True),
]


def annual_data(*, region: Region, year: int, as_of: datetime.date, progress=None):
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    base = Posting.objects.filter(village__code__startswith=region.prefix).overlapping(start, end)
    postings = list(base.select_related("cadre", "village__township__parent", "unit").order_by(
        "village__code", "cadre__name", "start_date"))
    quarters = []
    for q in range(4):
        ref = datetime.date(year, q * 3 + 1, 1)
        if ref > as_of:
            quarters.append({})
            continue
        q_start, q_end = period_bounds("quarter", ref)
        quarters.append({f.cadre_id: f for f in compliance_figures(
            postings=base.overlapping(q_start, q_end), ref=ref, as_of=min(as_of, q_end))})
        if progress:
            progress(10 + 15 * (q + 1))
    # Annual totals from the monthly roll-ups: a few rows per cadre, not the year's raw register.
    totals = {
        row["cadre_id"]: row for row in MonthlyTally.objects.filter(
            posting__in=base.values("pk"), month__gte=start, month__lte=end)
        .values("cadre_id").annotate(
            present=Sum("present"), leave=Sum("leave"), business=Sum("business"), training=Sum("training"),
            absent=Sum("absent"))
    }
    leave_counts = {
        row["cadre_id"]: row for row in LeaveRequest.objects.filter(
            cadre__in=base.values("cadre_id"), start_date__lte=end, end_date__gte=start,
            status__in=(LeaveStatus.APPROVED, LeaveStatus.RETURNED))
        .values("cadre_id").annotate(n=Count("pk"), late=Sum("late_days"))
    }
    inspections = dict(
        base.values("cadre_id").annotate(n=Count("register", filter=Q(
            register__source=DaySource.INSPECTION, register__day__gte=start, register__day__lte=end)))
        .values_list("cadre_id", "n")
    )
    seen, cadre_rows, days_in_post = set(), [], defaultdict(int)
    for posting in postings:
        days_in_post[posting.cadre_id] += _overlap(posting, start, min(end, max(as_of, start)))
    for posting in postings:
        if posting.cadre_id in seen:
            continue
        seen.add(posting.cadre_id)
        township = posting.village.township
        row = [township.parent.name if township.parent else "", township.name, posting.village.name,
               posting.cadre.name, posting.unit.name]
        for q in range(4):
            fig = quarters[q].get(posting.cadre_id)
            if fig is None:
                row += [None, None, "—"]
            else:
                verdict = (_("是") if fig.compliant else _("否")) if fig.finished else _("进行中")
                row += [fig.counted, fig.minimum, verdict]
        t = totals.get(posting.cadre_id, {})
        lc = leave_counts.get(posting.cadre_id, {})
        row += [days_in_post[posting.cadre_id], t.get("present") or 0, t.get("leave") or 0, t.get("business") or 0,
                t.get("training") or 0, t.get("absent") or 0, lc.get("n") or 0, lc.get("late") or 0,
                inspections.get(posting.cadre_id, 0)]
        cadre_rows.append((posting, row, quarters))
    return cadre_rows


def unit_rows(*, region: Region, year: int, as_of: datetime.date) -> list[list]:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    postings = Posting.objects.filter(village__code__startswith=region.prefix).overlapping(start, end)
    year_end = min(end, as_of)
    rows = []
    stats = (
        postings.values("unit_id", "unit__name", "unit__level")
        .annotate(
            sent=Count("pk"),
            in_post=Count("pk", filter=Q(start_date__lte=year_end) & (Q(end_date__isnull=True) | Q(end_date__gte=year_end))),
            recalled=Count("pk", filter=Q(status=PostingStatus.RECALLED, end_date__gte=start, end_date__lte=end)),
            replaced=Count("pk", filter=Q(status=PostingStatus.RECALLED, end_date__gte=start, end_date__lte=end,
                                          replaced_by__isnull=False)),
        )
        .order_by("unit__level", "unit__name")
    )
    delays = defaultdict(list)
    for recalled in postings.filter(status=PostingStatus.RECALLED, end_date__gte=start, end_date__lte=end,
                                    replaced_by__isnull=False).select_related("replaced_by"):
        delays[recalled.unit_id].append((recalled.replaced_by.start_date - recalled.end_date).days)
    labels = dict(RegionLevel.choices)
    for s in stats:
        d = delays.get(s["unit_id"], [])
        rows.append([s["unit__name"], str(labels.get(s["unit__level"], "")), s["sent"], s["in_post"], s["recalled"],
                     s["replaced"], s["recalled"] - s["replaced"], round(sum(d) / len(d), 1) if d else None])
    return rows


def write_annual(*, region: Region, year: int, as_of: datetime.date, path, progress=None) -> int:
    cadre_rows = annual_data(region=region, year=year, as_of=as_of, progress=progress)
    period = _("%(y)d年度") % {"y": year}
    children, digits = _children(region)
    summary = {key: [label, set()] + [0] * 11 for key, label, _code in children}
    for posting, row, _quarters in cadre_rows:
        key = posting.village.code if digits is None else posting.village.code[:digits]
        s = summary.get(key)
        if s is None:
            continue
        s[1].add(posting.cadre_id)
        for q in range(4):
            verdict = row[5 + q * 3 + 2]
            if verdict == _("是"):
                s[2 + q] += 1
            elif verdict == _("否"):
                s[6 + q] += 1
        s[10] += row[5 + 12 + 1]
        s[11] += row[5 + 12 + 2]
        s[12] += row[5 + 12 + 5]
    summary_rows = [[s[0], len(s[1]), *s[2:]] for s in summary.values()]
    wb = new_workbook()
    title = _("%(region)s驻村干部%(period)s考勤与管理情况统计表") % {"region": region.name, "period": period}
    write_table(wb, _("汇总"), Table(title=title, unit_line=_unit_line(region, period),
                                    columns=ANNUAL_SUMMARY_COLUMNS, rows=summary_rows))
    if progress:
        progress(80)
    write_list(wb, _("干部明细"), _("%(region)s驻村干部%(period)s考勤明细表") % {"region": region.name, "period": period},
               _unit_line(region, period), ANNUAL_CADRE_COLUMNS, (row for _p, row, _q in cadre_rows))
    write_list(wb, _("派驻单位"), _("%(region)s派驻单位%(period)s选派情况统计表") % {"region": region.name, "period": period},
               _unit_line(region, period), UNIT_COLUMNS, unit_rows(region=region, year=year, as_of=as_of))
    _write_notes(wb, [
        _("说明:"),
        _("1. 各季度“在村”为计入在村天数(在村 + 政策计入的因公外出和培训);“下限”为按在岗天数折算的下限:") + str(FORMULA["minimum"]),
        _("2. 达标:季度结束后在村天数不低于折算下限为“是”;季度未结束的显示“进行中”。"),
        _("3. 全年各项天数取自考勤簿(按月汇总);请假次数为与本年有交集的已批准请假;逾期销假天数记为缺勤。"),
        _("4. 派驻单位:派出人次为本年有交集的派驻记录数;召回为本年召回的人次;平均替补用时 = 替补到岗日期 − 召回日期。"),
        *_policy_notes(region),
    ])
    wb.save(path)
    return len(cadre_rows)
