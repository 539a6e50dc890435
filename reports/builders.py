"""The figures of the monthly and annual reports, computed from the records (register tallies, postings,
leave) with the same compliance function the pages use, then written with the one Excel writer."""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from attendance.models import LeaveRequest, LeaveStatus
from attendance.selectors import FORMULA, period_bounds
from attendance.selectors_management import inspection_totals
from attendance.services.register import month_start, next_month
from cadres.models import AwardRecord, Evaluation, Posting, PostingRole, PostingStatus
from cadres.selectors import policies_for, policy_for
from villages.models import Region, RegionLevel, Village
from villages.validators import SIGNIFICANT_DIGITS

from . import figures
from .excel import Column, TableSheet, new_workbook, write_list, write_notes

ONE_DAY = datetime.timedelta(days=1)
APPROVER_LEVELS = [RegionLevel.TOWNSHIP, RegionLevel.COUNTY, RegionLevel.CITY]


def _year_bounds(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)


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
    inspections: dict = field(default_factory=dict)  # inspections, villages, findings, absent (督查)
    outcomes: dict = field(default_factory=dict)  # diary outcome sums (民情日记)
    leave: dict = field(default_factory=lambda: defaultdict(int))  # (level, state) → n
    closed: bool = False
    n_villages: int = 0
    n_cadres: int = 0
    n_by_role: dict = field(default_factory=dict)
    n_flagged: int = 0

    def close(self) -> None:
        """Count the sets of people and villages and drop them: a bucket's postings are consecutive."""
        self.n_villages, self.n_cadres, self.n_flagged = len(self.villages_covered), len(self.cadres), len(self.flagged)
        self.n_by_role = {role: len(ids) for role, ids in self.by_role.items()}
        self.villages_covered, self.cadres, self.flagged, self.by_role = set(), set(), set(), defaultdict(set)
        self.closed = True


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
    # A township reports as its Party committee (党委); cities and counties as their organization department.
    unit = _("%(region)s党委") if region.level >= RegionLevel.TOWNSHIP else _("%(region)s委组织部")
    return _("填报单位:%(unit)s        统计期间:%(period)s") % {
        "unit": unit % {"region": region.name}, "period": period,
    }


def _month_label(month: datetime.date, as_of: datetime.date, month_end: datetime.date) -> str:
    label = _("%(y)d年%(m)d月") % {"y": month.year, "m": month.month}
    if as_of < month_end:
        label += _("(截至%(m)d月%(d)d日)") % {"m": as_of.month, "d": as_of.day}
    return label


# Column positions of the monthly summary that the totals row does not simply add up.
M_CADRES, M_FIRST_SECRETARY, M_TEAM_LEADER, M_MEMBER = 2, 3, 4, 5
M_COMPLETENESS, M_AVERAGE, M_FLAGGED = 8, 10, 11
M_INSPECTIONS = 24


def monthly_columns() -> list[Column]:
    # Built per call, not at import: labels follow the language the report is built in.
    return [
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
        Column(_("督查次数"), group=_("督查"), width=7, number_format="0", total=True),
        Column(_("发现不在岗(人次)"), group=_("督查"), width=9, number_format="0", total=True),
        Column(_("走访农户(户)"), group=_("工作成效(民情日记)"), width=9, number_format="0", total=True),
        Column(_("化解纠纷(件)"), group=_("工作成效(民情日记)"), width=9, number_format="0", total=True),
        Column(_("办实事(件)"), group=_("工作成效(民情日记)"), width=8, number_format="0", total=True),
        Column(_("协调资金(元)"), group=_("工作成效(民情日记)"), width=12, number_format="#,##0.00", total=True),
        Column(_("重大事项报告(件)"), group=_("工作成效(民情日记)"), width=9, number_format="0", total=True),
    ]


def cadre_columns() -> list[Column]:
    return [
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


def _townships(region: Region) -> list[Region]:
    if region.level >= RegionLevel.TOWNSHIP:
        return [region]
    return list(Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith=region.prefix).order_by("code"))


def _policy_notes(region: Region, townships: list[Region] | None = None, policies: dict | None = None) -> list[str]:
    """Every policy that applies somewhere in the region (a county may override the city's), with its values
    and the townships it applies to when there is more than one. The townships' policies are resolved in one
    query (policies_for), not one per township."""
    if townships is None:
        townships = _townships(region)
    if policies is None:
        policies = policies_for(townships or [region])
    applied: dict[object, tuple] = {}
    for township in townships or [region]:
        policy = policies.get(township.pk) or policy_for(township)
        key = policy.pk or "default"
        applied.setdefault(key, (policy, []))[1].append(township.name)
    lines = []
    for policy, names in applied.values():
        source = policy.region.name + _("政策设置") if policy.pk else _("系统默认值")
        if len(applied) > 1:
            source += _(";适用于:") + "、".join(names)
        lines.append(_(
            "适用政策(%(source)s):考核周期(%(period)s)在村天数下限%(min)d天;因公外出%(b)s计入在村天数;"
            "培训%(t)s计入在村天数;乡镇每月%(day)d日前确认上月考勤。"
        ) % {
            "source": source, "period": policy.get_min_days_period_display(), "min": policy.min_days,
            "b": "" if policy.count_business else _("不"), "t": "" if policy.count_training else _("不"),
            "day": policy.register_confirm_day,
        })
    return lines


def _notes_monthly(region: Region, month: datetime.date, townships=None, policies=None) -> list[str]:
    return [
        _("说明:"),
        _("1. 覆盖村数:本月有干部在岗的村数。在岗干部:本月至少有一天处于派驻期内的干部,按其本月派驻职务计;"
          "合计行按不重复人数计(本月调整乡镇的干部在各乡镇行中分别计入)。"),
        _("2. 在岗天数:本月(本月未结束的,截至统计日)处于派驻期内的天数之和。已记录天数:考勤簿中有记录的天数。"
          "完整率 = 已记录天数 ÷ 在岗天数;合计行 = 已记录天数合计 ÷ 在岗天数合计。"),
        _("3. ") + str(FORMULA["counted"]) + _(";人均 = 在村天数合计 ÷ 在岗干部人数(合计行同样按合计计算)。"),
        _("4. 进度落后:截至本月末(本月未结束的,截至统计日),本考核周期在村天数低于进度目标或已无法达到折算下限的人数;"
          "考核周期已结束的,为未达到折算下限的人数(不对个人排名)。"),
        _("5. ") + str(FORMULA["pace"]),
        _("6. ") + str(FORMULA["cannot_reach"]),
        _("7. ") + str(FORMULA["minimum"]),
        _("8. ") + str(FORMULA["not_recorded"]),
        _("9. 请假按审批层级统计:提交件数按提交时间,批准与驳回件数按审批时间;请假天数为考勤簿中的请假天数。"),
        _("10. 缺勤天数为考勤簿中记为缺勤的天数,其中督查发现的单列。"),
        _("11. 督查次数:本月到访本行村庄的督查(含暗访)次数,一次督查到访多个单位的在各行分别计入、合计行计一次;"
          "发现不在岗:督查记录为不在岗的人次。"),
        _("12. 工作成效取自驻村干部本月填写的民情日记:走访农户、化解矛盾纠纷、办实事件数、协调资金和重大事项报告件数之和。"),
        *_policy_notes(region, townships, policies),
    ]


CHUNK = 2000  # rows between two progress reports


def _state_labels() -> dict[str, str]:
    return {"compliant": _("达标"), "not_compliant": _("未达标"), "cannot_reach": _("已无法达标"),
            "behind": _("进度落后"), "on_track": _("正常")}


def monthly_compliance(*, region: Region, month_postings, as_of: datetime.date, policies: dict) -> dict[int, int]:
    """The compliance column of the monthly report for every cadre in post in the month: the figures of the
    period containing `as_of`, over the cadre's postings of the year in the region (what the compliance page
    takes), packed per cadre as one int — counted | minimum << 16 | state << 32 | flagged << 40 — so the
    province's 60,000 cadres cost a few megabytes. One streamed query."""
    year_start, year_end = _year_bounds(as_of)
    postings = (Posting.objects.filter(village__code__startswith=region.prefix).overlapping(year_start, year_end)
                .filter(cadre_id__in=month_postings.values("cadre_id")))
    windows = figures.Windows()
    figures.register_windows(windows, kinds={p.min_days_period for p in policies.values()}, ref=as_of, as_of=as_of)
    rows = figures.posting_facts(postings=postings, windows=windows, order_by="p.cadre_id, p.start_date, p.id")
    states = {state: i for i, state in enumerate(_state_labels())}
    packed = {}
    for group in figures.by_cadre(rows):
        fig = figures.cadre_figures(group, ref=as_of, as_of=as_of, policies=policies, windows=windows)
        if fig is not None:
            # Behind the pace while the period runs; below the minimum once it is over.
            flagged = fig.flagged or (fig.finished and not fig.compliant)
            packed[fig.cadre_id] = fig.counted | fig.minimum << 16 | states[fig.state] << 32 | flagged << 40
    return packed


def write_monthly(*, region: Region, month: datetime.date, path, as_of: datetime.date | None = None,
                  progress=None) -> int:
    """The monthly report of a region. Streams: the postings of the month are read in the order of the detail
    sheet with their register counts aggregated in the database (monthly tallies; the raw register only for a
    month still running), each row written at once, while the summary rows — one per next-level region, a few
    hundred at most — accumulate and are written last on the first sheet. Compliance comes first, one packed
    int per cadre (monthly_compliance). The number of queries does not depend on the number of postings."""
    month = month_start(month)
    month_end = next_month(month) - ONE_DAY
    as_of = min(as_of or timezone.localdate(), month_end)
    children, digits = _children(region)
    buckets = {key: Bucket(label=label, code=code) for key, label, code in children}

    period = _month_label(month, as_of, month_end)
    month_label = _("%(y)d年%(m)d月") % {"y": month.year, "m": month.month}
    wb = new_workbook()
    summary = TableSheet(
        wb, _("汇总"), title=_("%(region)s驻村干部%(period)s工作情况统计表") % {"region": region.name, "period": month_label},
        unit_line=_unit_line(region, period), columns=monthly_columns(),
    ).begin()
    detail = TableSheet(
        wb, _("干部明细"), title=_("%(region)s驻村干部%(period)s考勤明细表") % {"region": region.name, "period": month_label},
        unit_line=_unit_line(region, period), columns=cadre_columns(), styled=False,
    ).begin()

    in_region = Posting.objects.filter(village__code__startswith=region.prefix)
    in_month = in_region.overlapping(month, month_end)
    total = in_month.count() or 1
    townships = _townships(region)
    policies = policies_for(townships)
    packed = monthly_compliance(region=region, month_postings=in_month, as_of=as_of, policies=policies)
    # Absences found by inspections: register days marked absent whose source is an inspection (a few hundred).
    inspection = figures.inspection_absences(postings=in_month, start=month, end=as_of, key="posting_id")
    windows = figures.Windows()
    windows.add(month, as_of)  # the month up to as_of (nothing when the month has not begun)
    rows = figures.posting_facts(
        postings=in_month, windows=windows,
        order_by=", ".join(f"{alias}.{connection.ops.quote_name(name)}" for alias, name in (
            ("v", "code"), ("p", "role"), ("c", "name"), ("p", "start_date"), ("p", "id"))),
    )
    # Labels once, not per row.
    role_labels = {value: str(label) for value, label in PostingRole.choices}
    state_labels = [str(label) for label in _state_labels().values()]
    count_business = {pk: p.count_business for pk, p in policies.items()}
    count_training = {pk: p.count_training for pk, p in policies.items()}
    def key_of(code: str) -> str:
        return code if digits is None else code[:digits]

    bucket, bucket_key = None, None
    done = 0
    for posting in rows:
        # Rows come in village-code order, so each summary row's postings are consecutive: its sets of people
        # are counted and dropped when the next row begins.
        key = key_of(posting.village_code)
        if key != bucket_key:
            if bucket is not None:
                bucket.close()
            bucket_key, bucket = key, buckets.get(key)
            if bucket is not None and bucket.closed:
                raise RuntimeError(f"postings of {key} are not consecutive")  # the ORDER BY guarantees it
        done += 1
        if progress and done % CHUNK == 0:
            progress(5 + 75 * done // total)
        if bucket is None:
            continue
        days = figures.overlap(posting.start_date, posting.end_date, month, as_of)
        present, leave, business, training, absent = posting.counts[0]
        recorded = present + leave + business + training + absent
        counted = present + (business if count_business[posting.township_id] else 0) + (
            training if count_training[posting.township_id] else 0)
        bucket.villages_covered.add(posting.village_id)
        bucket.cadres.add(posting.cadre_id)
        bucket.by_role[posting.role].add(posting.cadre_id)
        bucket.days_in_post += days
        bucket.recorded += recorded
        bucket.counted += counted
        bucket.leave_days += leave
        bucket.absent += absent
        bucket.inspection_absences += inspection.get(posting.pk, 0)
        fig = packed.get(posting.cadre_id)
        if fig is None:
            fig_counted = fig_minimum = None
            state = ""
        else:
            fig_counted, fig_minimum, state = fig & 0xFFFF, fig >> 16 & 0xFFFF, state_labels[fig >> 32 & 0xFF]
            if fig >> 40:
                bucket.flagged.add(posting.cadre_id)
        detail.add([
            posting.county, posting.township, posting.village, posting.name, role_labels.get(posting.role, posting.role),
            posting.unit, days, present, leave, business, training, absent, max(0, days - recorded), counted,
            fig_counted, fig_minimum, state,
        ])
    if bucket is not None:
        bucket.close()
    if progress:
        progress(80)

    # Leave by approving level: submitted in the month, and decided (approved / rejected) in the month, by the
    # local (Asia/Shanghai) date of the timestamp.
    leaves = LeaveRequest.objects.filter(village__code__startswith=region.prefix)
    submitted = leaves.filter(submitted_at__date__gte=month, submitted_at__date__lte=month_end)
    decided = leaves.filter(decided_at__date__gte=month, decided_at__date__lte=month_end)
    for qs, state in (
        (submitted, "submitted"),
        (decided.filter(status__in=(LeaveStatus.APPROVED, LeaveStatus.RETURNED)), "approved"),
        (decided.filter(status=LeaveStatus.REJECTED), "rejected"),
    ):
        for row in qs.values("village__code", "approver_level").annotate(n=Count("pk")):
            bucket = buckets.get(key_of(row["village__code"]))
            if bucket is not None:
                bucket.leave[(row["approver_level"], state)] += row["n"]
    # Inspections and work outcomes of the month, grouped like the rows (by village for a township report).
    level = RegionLevel.TOWNSHIP + 1 if digits is None else region.level + 1
    for source, attr in (
        (inspection_totals(region_prefix=region.prefix, start=month, end=as_of, level=level), "inspections"),
        (figures.outcome_sums(region_prefix=region.prefix, start=month, end=as_of, digits=SIGNIFICANT_DIGITS[level]),
         "outcomes"),
    ):
        for code, values in source.items():
            bucket = buckets.get(key_of(code))
            if bucket is not None:
                setattr(bucket, attr, values)

    totals = defaultdict(int)
    for b in buckets.values():
        n = b.n_cadres
        totals["days"] += b.days_in_post
        totals["recorded"] += b.recorded
        totals["counted"] += b.counted
        summary.add([
            b.label, b.n_villages, n, b.n_by_role.get(PostingRole.FIRST_SECRETARY, 0),
            b.n_by_role.get(PostingRole.TEAM_LEADER, 0), b.n_by_role.get(PostingRole.MEMBER, 0), b.days_in_post,
            b.recorded,
            # Ratios are stored unrounded; the cell's number format shows one decimal (Excel rounds half up,
            # where Python's round() would round half to even).
            (b.recorded / b.days_in_post) if b.days_in_post else None, b.counted,
            (b.counted / n) if n else None, b.n_flagged,
            *[b.leave[(lvl, "submitted")] for lvl in APPROVER_LEVELS],
            *[b.leave[(lvl, "approved")] for lvl in APPROVER_LEVELS],
            *[b.leave[(lvl, "rejected")] for lvl in APPROVER_LEVELS],
            b.leave_days, b.absent, b.inspection_absences,
            b.inspections.get("inspections", 0), b.inspections.get("absent", 0),
            b.outcomes.get("households_visited", 0), b.outcomes.get("disputes_resolved", 0),
            b.outcomes.get("practical_matters", 0), float(b.outcomes.get("funds_yuan", 0) or 0),
            b.outcomes.get("major_events", 0),
        ])
    # The totals row counts people once: a cadre moved between townships this month sits in two rows. Every
    # posting of the region falls in one row, so these are the region's distinct cadres of the month.
    people = in_month.aggregate(
        everyone=Count("cadre_id", distinct=True),
        **{f"role_{role}": Count("cadre_id", distinct=True, filter=Q(role=role)) for role in PostingRole.values},
    )
    flagged = sum(1 for fig in packed.values() if fig >> 40)
    summary.finish(
        totals_override={
            M_CADRES: people["everyone"],
            M_FIRST_SECRETARY: people[f"role_{PostingRole.FIRST_SECRETARY}"],
            M_TEAM_LEADER: people[f"role_{PostingRole.TEAM_LEADER}"],
            M_MEMBER: people[f"role_{PostingRole.MEMBER}"],
            M_COMPLETENESS: (totals["recorded"] / totals["days"]) if totals["days"] else None,
            M_AVERAGE: (totals["counted"] / people["everyone"]) if people["everyone"] else None,
            M_FLAGGED: flagged,
            # An inspection visiting villages of two rows counts once in each row but once in the total.
            M_INSPECTIONS: inspection_totals(region_prefix=region.prefix, start=month, end=as_of, level=None)
            .get("", {}).get("inspections", 0),
        },
        notes=[_("注:进度落后、完整率等计算方法见“说明”页。")],
    )
    rows = detail.finish()
    if progress:
        progress(90)
    write_notes(wb, _("说明"), _notes_monthly(region, month, townships, policies))
    wb.save(path)
    return rows


# ---------------------------------------------------------------- annual


def annual_cadre_columns() -> list[Column]:
    return [
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
        Column(_("年度考核等次"), width=10),
        Column(_("奖励"), group=_("奖惩"), width=16),
        Column(_("惩戒"), group=_("奖惩"), width=16),
    ]


def unit_columns() -> list[Column]:
    return [
        Column(_("派驻单位"), width=22), Column(_("层级"), width=8),
        Column(_("派出人次"), width=8, number_format="0", total=True),
        Column(_("年末在岗"), width=8, number_format="0", total=True),
        Column(_("召回"), width=6, number_format="0", total=True),
        Column(_("已替补"), width=7, number_format="0", total=True),
        Column(_("未替补"), width=7, number_format="0", total=True),
        Column(_("平均替补用时(天)"), width=10, number_format="0.0"),
    ]


def annual_summary_columns() -> list[Column]:
    return [
        Column(_("单位"), width=14),
        Column(_("在岗干部(人)"), width=9, number_format="0", total=True),
        *[Column(_("第%(q)d季度") % {"q": q}, group=_("达标人数"), width=8, number_format="0", total=True)
          for q in (1, 2, 3, 4)],
        *[Column(_("第%(q)d季度") % {"q": q}, group=_("未达标人数"), width=8, number_format="0", total=True)
          for q in (1, 2, 3, 4)],
        Column(_("在村天数合计"), width=10, number_format="0", total=True),
        Column(_("请假天数"), width=8, number_format="0", total=True),
        Column(_("缺勤天数"), width=8, number_format="0", total=True),
    ]


NOT_STARTED = "—"  # a quarter that has not begun (or a cadre not in post during it)


def annual_rows(*, region: Region, year: int, as_of: datetime.date, policies: dict, progress=None):
    """One row per cadre posted in the region during the year, streamed in the order of the sheet (village
    of the cadre's latest posting, name): the four quarters (counted days, pro-rated minimum, verdict) by the
    compliance page's formula (reports.figures.cadre_figures over the postings overlapping each quarter), and
    the year's totals up to `as_of`. Yields (village code of the latest posting, row). All register counts come
    from one aggregate query over the monthly tallies (and the running month's raw register)."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    year_so_far = min(end, max(as_of, start))
    base = Posting.objects.filter(village__code__startswith=region.prefix).overlapping(start, end)
    windows = figures.Windows()
    kinds = {p.min_days_period for p in policies.values()}
    quarters = []  # (first day, last day, as_of of the quarter) of the quarters begun by as_of
    for q in range(4):
        ref = datetime.date(year, q * 3 + 1, 1)
        q_start, q_end = period_bounds("quarter", ref)
        quarters.append((q_start, q_end, min(as_of, q_end)) if ref <= as_of else None)
        if ref <= as_of:
            figures.register_windows(windows, kinds=kinds, ref=ref, as_of=min(as_of, q_end))
    year_window = windows.add(start, min(end, as_of))
    leave_counts = {
        cadre_id: (n, late) for cadre_id, n, late in LeaveRequest.objects.filter(
            posting__in=base, start_date__lte=year_so_far, end_date__gte=start,
            status__in=(LeaveStatus.APPROVED, LeaveStatus.RETURNED))
        .values("cadre_id").annotate(n=Count("pk"), late=Sum("late_days")).values_list("cadre_id", "n", "late")
        .order_by()
    }
    inspections = figures.inspection_absences(postings=base, start=start, end=year_so_far, key="cadre_id")
    kind_labels = {value: str(label) for value, label in AwardRecord._meta.get_field("kind").choices}
    awards: dict[int, list[str]] = defaultdict(list)
    discipline: dict[int, list[str]] = defaultdict(list)
    for cadre_id, kind, is_award in (
        (r.cadre_id, r.kind, r.is_award)
        for r in AwardRecord.objects.filter(cadre__in=base.values("cadre_id"), date__year=year).order_by("date")
    ):
        (awards if is_award else discipline)[cadre_id].append(kind_labels.get(kind, kind))
    grade_labels = {value: str(label) for value, label in Evaluation._meta.get_field("grade").choices}
    q = connection.ops.quote_name
    evaluation = (
        f"e.{q(Evaluation._meta.get_field('grade').column)}",
        f" LEFT JOIN {q(Evaluation._meta.db_table)} e ON e.{q(Evaluation._meta.get_field('cadre').column)}"
        f" = p.{q(Posting._meta.get_field('cadre').column)} AND e.{q(Evaluation._meta.get_field('year').column)} = %s",
        [year],
    )
    # The latest posting of the year names a cadre's row (as on the compliance page); rows in the order of its
    # village code, then the name (code-point order, as Python sorts), never by days.
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    latest = "PARTITION BY p.{c} ORDER BY p.{s} DESC, p.{i} DESC".format(
        c=q("cadre_id"), s=q("start_date"), i=q("id"))
    order_by = (
        f"FIRST_VALUE(v.{q('code')}) OVER ({latest}), c.{q('name')}{collate}, p.{q('cadre_id')}, "
        f"p.{q('start_date')}, p.{q('id')}"
    )
    rows = figures.posting_facts(postings=base, windows=windows, order_by=order_by, extra=[evaluation])
    yes, no, running = _("是"), _("否"), _("进行中")
    for group in figures.by_cadre(rows):
        posting = max(group, key=lambda p: p.start_date)
        cadre_id = posting.cadre_id
        row = [posting.county, posting.township, posting.village, posting.name, posting.unit]
        for bounds in quarters:
            fig = None
            if bounds is not None:
                q_start, q_end, q_as_of = bounds
                in_quarter = [p for p in group if p.start_date <= q_end and (p.end_date is None or p.end_date >= q_start)]
                if in_quarter:
                    fig = figures.cadre_figures(in_quarter, ref=q_start, as_of=q_as_of, policies=policies,
                                                windows=windows)
            if fig is None:
                row += [None, None, NOT_STARTED]
            else:
                row += [fig.counted, fig.minimum, (yes if fig.compliant else no) if fig.finished else running]
        totals = [0, 0, 0, 0, 0]
        for p in group:
            for k, n in enumerate(p.counts[year_window]):
                totals[k] += n
        n, late = leave_counts.get(cadre_id, (0, 0))
        grade = group[0].extra[0]
        row += [sum(figures.overlap(p.start_date, p.end_date, start, year_so_far) for p in group), *totals,
                n or 0, late or 0, inspections.get(cadre_id, 0),
                grade_labels.get(grade, "") if grade is not None else "",
                "、".join(awards.get(cadre_id, [])), "、".join(discipline.get(cadre_id, []))]
        yield posting.village_code, row


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
                     s["replaced"], s["recalled"] - s["replaced"], (sum(d) / len(d)) if d else None])
    return rows


# Positions in an annual cadre row (see annual_cadre_columns).
A_QUARTERS = 5
A_PRESENT, A_LEAVE, A_ABSENT = A_QUARTERS + 12 + 1, A_QUARTERS + 12 + 2, A_QUARTERS + 12 + 5


def write_annual(*, region: Region, year: int, as_of: datetime.date, path, progress=None) -> int:
    period = _("%(y)d年度") % {"y": year}
    if as_of < datetime.date(year, 12, 31):
        period += _("(截至%(m)d月%(d)d日)") % {"m": as_of.month, "d": as_of.day}
    children, digits = _children(region)
    summary = {key: [label, 0] + [0] * 11 for key, label, _code in children}
    townships = _townships(region)
    policies = policies_for(townships)
    yes, no = _("是"), _("否")
    wb = new_workbook()
    title = _("%(region)s驻村干部%(period)s考勤与管理情况统计表") % {"region": region.name, "period": _("%(y)d年度") % {"y": year}}
    # The summary is the first sheet but is filled last, from the streamed detail rows.
    summary_sheet = TableSheet(wb, _("汇总"), title=title, unit_line=_unit_line(region, period),
                               columns=annual_summary_columns()).begin()
    detail = TableSheet(
        wb, _("干部明细"), title=_("%(region)s驻村干部%(y)d年度考勤明细表") % {"region": region.name, "y": year},
        unit_line=_unit_line(region, period), columns=annual_cadre_columns(), styled=False,
    ).begin()
    for code, row in annual_rows(region=region, year=year, as_of=as_of, policies=policies, progress=progress):
        detail.add(row)
        s = summary.get(code if digits is None else code[:digits])
        if s is None:
            continue
        s[1] += 1  # one row per cadre
        for q in range(4):
            verdict = row[A_QUARTERS + q * 3 + 2]
            if verdict == yes:
                s[2 + q] += 1
            elif verdict == no:
                s[6 + q] += 1
        s[10] += row[A_PRESENT]
        s[11] += row[A_LEAVE]
        s[12] += row[A_ABSENT]
        if progress and detail.count % CHUNK == 0:
            progress(min(75, 10 + detail.count // 1000))
    for s in summary.values():
        summary_sheet.add(s)
    summary_sheet.finish(notes=[_("注:计算方法见“说明”页。")])
    rows = detail.finish()
    if progress:
        progress(80)
    write_list(wb, _("派驻单位"), _("%(region)s派驻单位%(y)d年度选派情况统计表") % {"region": region.name, "y": year},
               _unit_line(region, period), unit_columns(), unit_rows(region=region, year=year, as_of=as_of))
    write_notes(wb, _("说明"), [
        _("说明:"),
        _("1. 各季度“在村”为计入在村天数:") + str(FORMULA["counted"]) + _(";“下限”为按在岗天数折算的下限:")
        + str(FORMULA["minimum"]),
        _("2. 达标:季度结束后在村天数不低于折算下限为“是”;季度未结束的显示“进行中”;季度尚未开始或该季度未在岗的显示“—”。"),
        _("3. 全年各项天数取自考勤簿(年度结束后按月汇总,年度未结束的截至统计日);在岗天数同样截至统计日。"
          "请假次数为与本年有交集的已批准请假;逾期销假天数记为缺勤;督查发现缺勤为督查记为缺勤的天数。"),
        _("4. 汇总页:每名干部计入其本年最后一次派驻所在的单位;达标、未达标人数不含进行中和未在岗的季度。"),
        _("5. 派驻单位:派出人次为本年有交集的派驻记录数;年末在岗为年末(年度未结束的,统计日)在岗的人次;"
          "召回为本年召回的人次;平均替补用时(天)= 替补干部到岗日期 − 被召回干部离岗日期。"),
        *_policy_notes(region, townships, policies),
    ])
    wb.save(path)
    return rows
