"""Demo inspections, rectification items, training events and work-diary entries, on top of the organisation
of cadres.demo and the register of attendance.demo (run after both).

Deterministic and idempotent, like attendance.demo: every choice is a hash of fixed parts (a county code, an ID
number, a date), and rows are found again by natural keys (inspection: organizing region and date; rectification:
inspection and text; event: organizing region, title and start date; diary: cadre and day), so a second run
writes nothing.

How rows are written:
- Inspections go through inspection_record, so the findings agree with the register (present where the township
  recorded present, 请假 on approved leave, 因公外出 on official business) and the one absence is written into the
  register with its history, notifications and audit entry exactly as in the app. Visits are only placed on days
  before the real date (the service refuses later ones).
- Rectification items, training events and diary entries are written in bulk with the fields the services set,
  because the services read the real clock (a deadline may not lie in the past, a diary day not in the future)
  and most demo cadres have no account to write as. The organized trainings reuse the training days that
  attendance.demo put into the register (the city's two-day course each March and September, each county's
  one-day course each June and December), so their participants' register days already say 培训; any day
  still missing is filled through the training service's own register sync (skipped in a confirmed month).

The scenes the demo accounts open on:
- `county` (云溪县): its visits of the last four quarters, among them an unannounced visit (暗访) to a 白沙镇 village
  last month that found one cadre absent: 缺 in the register, "不得评为优秀" on the evaluation, a rectification
  item now overdue. `township` (白沙镇) was notified and sees the day in its register.
- `county2` (石门县): its visits, one with an open rectification item; the city organized 柳江区's visits.
- every account: the autumn city-wide training; `township`: its own theory study; `cadre`: a diary of the
  last two months; about 300 entries over a year from some 30 cadres in all three counties, two of them
  reporting a major event to their township.
"""
import datetime
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cadres.audit import audit_record
from cadres.demo import CADRE_VILLAGE, CITY_CODE, CITY_PREFIX, DEMO_TOWNSHIP
from cadres.models import Posting, PostingRole, Role, User
from villages.models import Region, Village

from .demo import COUNTY_LIUJIANG, COUNTY_SHIMEN, COUNTY_YUNXI, Calendar, _at, _h, _pick, _u, training_days
from .models import (
    AttendanceDay,
    DayStatus,
    DiaryEntry,
    FindingResult,
    Inspection,
    InspectionFinding,
    InspectionKind,
    Rectification,
    RectificationStatus,
    TrainingEvent,
    TrainingKind,
    TrainingParticipant,
)
from .notifications import notify_users
from .services.inspection import inspection_record
from .services.training import _sync_register

ONE_DAY = datetime.timedelta(days=1)
COUNTIES = [COUNTY_YUNXI, COUNTY_SHIMEN, COUNTY_LIUJIANG]
# Who organizes each county's visits: its organization department's demo account, or the city's.
ORGANIZERS = {COUNTY_YUNXI: "county", COUNTY_SHIMEN: "county2", COUNTY_LIUJIANG: "city"}
INSPECTORS = {
    COUNTY_YUNXI: ["县委组织部 李建华、陈思远", "县委组织部 王丽、县纪委监委 赵刚", "县委组织部督查组 周明、吴芳"],
    COUNTY_SHIMEN: ["县委组织部 刘志强、黄晓东", "县委组织部 邓敏、县农业农村局 曾凡"],
    COUNTY_LIUJIANG: ["市委组织部 周敏、区委组织部 彭涛", "市委组织部督查组 罗文、熊伟"],
}
NOTES = [
    "查阅工作队考勤簿、民情日记和请销假台账,与在村干部逐一座谈。",
    "随机走访农户,了解驻村干部在村工作情况,群众反映较好。",
    "检查村级阵地建设和帮扶项目推进情况,台账基本规范。",
    "查看驻村工作队食宿条件,核对在岗情况。",
]
DIARY_CADRES = 30
DIARY_PER_CADRE = 10
DEMO_CADRE_ENTRIES = 18
DIARY_TEXTS = [
    "上午走访{village}脱贫户{n}户,逐户核对“两不愁三保障”情况,了解到{who}家春耕缺少化肥,已联系农资站解决。",
    "参加{village}村“两委”会议,研究村集体经济合作社分红方案,会后向乡镇汇报。",
    "与村党支部书记一起走访在外务工人员留守家庭{n}户,登记就业意向,收集务工需求。",
    "调解{village}两户村民宅基地边界纠纷,现场丈量后双方签订协议,矛盾化解。",
    "协调县交通局对{village}通组道路破损路段进行修补,已完成现场勘查。",
    "组织村里种植大户开会,商议扩大油茶种植规模,初步确定新增面积和资金来源。",
    "走访{village}低保户和残疾人家庭{n}户,帮助办理医保缴费和残疾人两项补贴申请。",
    "到镇里汇报{village}产业项目进展,申请衔接资金支持村冷链仓储建设。",
    "开展防汛安全巡查,检查山塘水库和地质灾害隐患点,提醒群众注意安全。",
    "组织党员开展主题党日活动,学习党的二十届三中全会精神,讨论村规民约修订。",
    "对接派出单位,落实帮扶资金用于{village}村部活动室改造,已完成预算。",
    "帮助{who}家办理小额信贷,用于发展肉牛养殖,材料已报乡镇审核。",
]
SURNAMES = "杨李王张刘陈黄胡周谢彭曾罗邓"
MAJOR_EVENTS = [
    "{village}十余名村民因征地补偿问题拟集体赴县上访,已与村“两委”劝返,报乡镇党委。",
    "{village}后山发现滑坡隐患,已组织五户村民临时转移,报乡镇党委和应急部门。",
]


def _weekdays(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)
            if (first + datetime.timedelta(days=i)).weekday() < 5]


def _quarter_starts(cal: Calendar) -> list[datetime.date]:
    """The current quarter and the three before it, oldest first."""
    starts, q = [], cal.quarter
    for _i in range(4):
        starts.append(q)
        q = datetime.date(q.year - (q.month == 1), (q.month - 4) % 12 + 1, 1)
    return starts[::-1]


def _accounts() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=set(ORGANIZERS.values()), is_active=True)
            .select_related("region")}


# --- inspections -------------------------------------------------------------------------------------------


def _statuses(cadre_ids: set[int], day: datetime.date) -> dict[int, str]:
    return dict(AttendanceDay.objects.filter(cadre_id__in=cadre_ids, day=day).values_list("cadre_id", "status"))


FINDING_OF = {DayStatus.PRESENT: FindingResult.PRESENT, DayStatus.LEAVE: FindingResult.ON_LEAVE,
              DayStatus.BUSINESS: FindingResult.BUSINESS}


def _plan_visit(villages: list[Village], days: list[datetime.date], avoid: set[datetime.date],
                demo_cadre_id: int | None, want_absent: bool):
    """The first (day, postings, statuses) among `days` where every cadre posted in `villages` has a register
    day the inspectors can confirm (present, leave or business) and, for the visit that finds an absence, a
    present cadre other than the demo account's."""
    for day in days:
        if day in avoid:
            continue
        postings = list(Posting.objects.in_force_on(day).filter(village__in=villages)
                        .select_related("cadre").order_by("village__code", "role", "cadre__name"))
        if not postings:
            continue
        statuses = _statuses({p.cadre_id for p in postings}, day)
        if any(statuses.get(p.cadre_id) not in FINDING_OF for p in postings):
            continue
        if want_absent and not any(
            statuses[p.cadre_id] == DayStatus.PRESENT and p.cadre_id != demo_cadre_id for p in postings
        ):
            continue
        return day, postings, statuses
    return None


def _seed_inspections(cal: Calendar, accounts: dict[str, User], stats: Counter) -> list[Inspection]:
    """One visit per county and quarter over the last four quarters; 云溪县's visit of last month is the
    unannounced one that finds an absence, in a 白沙镇 village."""
    real_today = timezone.localdate()
    last_day = min(cal.today, real_today) - datetime.timedelta(days=7)
    demo_cadre_id = User.objects.filter(username="cadre", role=Role.CADRE).values_list("cadre_id", flat=True).first()
    training = {day for days in training_days(cal.start, cal.today, COUNTIES).values() for day in days}
    created = []
    for county_code in COUNTIES:
        county = Region.objects.filter(code=county_code).first()
        actor = accounts.get(ORGANIZERS[county_code])
        if county is None or actor is None:
            continue
        villages = sorted(
            Village.objects.filter(code__startswith=county.prefix, postings__isnull=False).select_related("township")
            .distinct(),
            key=lambda v: _h("insp-village", v.code),
        )
        for index, quarter in enumerate(_quarter_starts(cal)):
            scene = county_code == COUNTY_YUNXI and index == 3
            if scene:
                first, last = cal.previous_month, min(cal.current_month - ONE_DAY, last_day)
                pool = [v for v in villages if v.township.code == DEMO_TOWNSHIP and v.code != CADRE_VILLAGE]
            else:
                end = datetime.date(quarter.year + (quarter.month == 10), (quarter.month + 2) % 12 + 1, 1) - ONE_DAY
                first, last = max(quarter, cal.start), min(end, last_day)
                pool = villages
            if first > last or not pool:
                continue
            kind = InspectionKind.UNANNOUNCED if scene else InspectionKind.PLANNED
            if Inspection.objects.filter(region=actor.region, kind=kind, date__gte=first, date__lte=last,
                                         villages__code__startswith=county.prefix).exists():
                continue  # this county's visit of the quarter (or of last month, the scene) is there already
            days = sorted(_weekdays(first, last), key=lambda x: _h("insp-day", county_code, x))
            size = 2 if not scene else 1
            planned = None
            for start in range(0, max(1, len(pool) - size + 1), size):
                chosen = pool[start:start + size]
                planned = _plan_visit(chosen, days, training, demo_cadre_id, want_absent=scene)
                if planned is not None:
                    break
            if planned is None:
                stats["inspections_skipped"] += 1
                continue
            day, postings, statuses = planned
            absent_id = None
            if scene:
                absent_id = next(p.cadre_id for p in sorted(postings, key=lambda p: _h("absent", p.cadre.id_number))
                                 if statuses[p.cadre_id] == DayStatus.PRESENT and p.cadre_id != demo_cadre_id)
            findings = []
            for p in postings:
                result = FindingResult.ABSENT if p.cadre_id == absent_id else FINDING_OF[statuses[p.cadre_id]]
                note = ""
                if result == FindingResult.ABSENT:
                    note = "村部及住所均未见本人,电话联系称在县城家中,未履行请假手续。"
                elif result == FindingResult.BUSINESS:
                    note = "经乡镇核实,到县里办理项目审批手续。"
                findings.append({"cadre_id": p.cadre_id, "finding": result, "note": note})
            try:
                inspection = inspection_record(
                    actor=actor, date=day, kind=kind,
                    inspectors=_pick(INSPECTORS[county_code], "inspectors", county_code, day),
                    villages=sorted({p.village for p in postings}, key=lambda v: v.code), findings=findings,
                    note=("暗访发现村部无人值守,工作队成员一人不在岗。" if scene
                          else _pick(NOTES, "insp-note", county_code, day)),
                )
            except ValidationError:
                stats["inspections_skipped"] += 1
                continue
            # Recorded the evening of the visit, as the app would have stamped it.
            Inspection.objects.filter(pk=inspection.pk).update(created_at=_at(day, 18 * 60 + _h("rec", day) % 120))
            created.append(inspection)
            stats["inspections_created"] += 1
    return created


def _seed_rectifications(cal: Calendar, stats: Counter) -> None:
    """An overdue item on the unannounced visit, an open one on a 石门县 visit, a finished one on an older visit.
    Written directly: an item opened weeks ago may have a deadline that has passed since, which the service
    (rightly) refuses for a new item."""
    city = Inspection.objects.filter(region__code__startswith=CITY_PREFIX)
    scene = city.filter(kind=InspectionKind.UNANNOUNCED, region__code=COUNTY_YUNXI).order_by("-date").first()
    shimen = city.filter(villages__code__startswith=COUNTY_SHIMEN[:6]).order_by("-date").distinct().first()
    older = city.filter(region__code=COUNTY_YUNXI, kind=InspectionKind.PLANNED).order_by("date").first()
    plans = []
    if scene is not None:
        finding = scene.findings.filter(finding=FindingResult.ABSENT).select_related("cadre", "village__township").first()
        if finding is not None:
            plans.append((scene, finding,
                          f"对{finding.cadre.name}脱岗问题进行约谈,责成本人作出书面检查,工作队完善请销假制度",
                          f"{finding.village.township.name}党委", cal.today - datetime.timedelta(days=3), None))
    if shimen is not None:
        town = shimen.villages.order_by("code").first().township.name
        plans.append((shimen, None, "规范工作队考勤簿和民情日记,补齐缺失的签字记录", f"{town}党委",
                      cal.today + datetime.timedelta(days=20), None))
    if older is not None:
        town = older.villages.order_by("code").first().township.name
        plans.append((older, None, "完善驻村工作队食宿保障,落实值班制度", f"{town}党委",
                      older.date + datetime.timedelta(days=30), older.date + datetime.timedelta(days=24)))
    for inspection, finding, text, owner, deadline, done_on in plans:
        if Rectification.objects.filter(inspection=inspection, description=text).exists():
            continue
        item = Rectification.objects.create(
            inspection=inspection, finding=finding, description=text, owner=owner, deadline=deadline,
            status=RectificationStatus.DONE if done_on else RectificationStatus.OPEN,
            done_at=_at(done_on, 16 * 60) if done_on else None, done_note="已整改到位,经复查验收。" if done_on else "",
            created_by=inspection.recorded_by, closed_by=inspection.recorded_by if done_on else None,
        )
        Rectification.objects.filter(pk=item.pk).update(created_at=_at(inspection.date + ONE_DAY, 10 * 60))
        stats["rectifications_created"] += 1


# --- training ----------------------------------------------------------------------------------------------


def _course(days: dict[datetime.date, str], before: datetime.date, label: str) -> tuple[str, list[datetime.date]] | None:
    """The latest course (consecutive days with the same title containing `label`) that ended before `before`."""
    by_title: dict[str, list[datetime.date]] = defaultdict(list)
    for day, title in days.items():
        if label in title and day < before:
            by_title[title].append(day)
    if not by_title:
        return None
    title, course = max(by_title.items(), key=lambda kv: max(kv[1]))
    return title, sorted(course)


def _seed_training(cal: Calendar, stats: Counter) -> None:
    city = Region.objects.filter(code=CITY_CODE).first()
    if city is None:
        return
    schedule = training_days(cal.start, cal.today, COUNTIES)
    specs = []  # (region, kind, title, first, last, location, counts, participants filter, note)
    course = _course(schedule[COUNTY_YUNXI], cal.today, "全市")
    if course is not None:
        title, days = course
        specs.append((city, TrainingKind.TRAINING, title, days[0], days[-1], "市委党校", True, None,
                      "乡村振兴政策解读、矛盾纠纷排查化解、驻村工作纪律;全体在岗驻村干部脱产参训。"))
    yunxi = Region.objects.filter(code=COUNTY_YUNXI).first()
    course = _course(schedule[COUNTY_YUNXI], cal.today, "县级")
    if yunxi is not None and course is not None:
        title, days = course
        specs.append((yunxi, TrainingKind.TRAINING, f"云溪县{title}", days[0], days[-1], "云溪县委党校", True, None,
                      "农村集体经济发展、产业项目申报和资金管理。"))
    baisha = Region.objects.filter(code=DEMO_TOWNSHIP).first()
    if baisha is not None:
        day = cal.previous_month + datetime.timedelta(days=(4 - cal.previous_month.weekday()) % 7 + 7)  # 2nd Friday
        specs.append((baisha, TrainingKind.THEORY_STUDY, f"{day.month}月驻村干部集中理论学习", day, day, "白沙镇党委会议室",
                      False, None, "学习党的二十届三中全会精神和农村基层党组织工作条例,交流学习体会。"))
    shimen = Region.objects.filter(code=COUNTY_SHIMEN).first()
    if shimen is not None:
        day = cal.today - datetime.timedelta(days=12)
        day -= datetime.timedelta(days=max(0, day.weekday() - 4))  # a weekday
        specs.append((shimen, TrainingKind.WORK_EXCHANGE, "第一书记工作经验交流会", day, day, "三江镇会议中心", False,
                      PostingRole.FIRST_SECRETARY, "全县第一书记交流产业发展和基层治理经验,现场观摩三江镇油茶基地。"))
    for region, kind, title, first, last, location, counts, role, note in specs:
        if TrainingEvent.objects.filter(region=region, title=title, start_date=first).exists():
            continue
        event = TrainingEvent.objects.create(
            title=title, kind=kind, region=region, start_date=first, end_date=last, location=location,
            counts_as_training=counts, note=note,
            created_by=User.objects.filter(region=region, is_active=True).order_by("username").first(),
        )
        TrainingEvent.objects.filter(pk=event.pk).update(created_at=_at(first - datetime.timedelta(days=10), 9 * 60))
        posted = Posting.objects.filter(village__code__startswith=region.prefix).overlapping(first, last)
        if role is not None:
            posted = posted.filter(role=role)
        cadre_ids = sorted(set(posted.values_list("cadre_id", flat=True)))
        leave: dict[int, int] = Counter(
            AttendanceDay.objects.filter(cadre_id__in=cadre_ids, day__gte=first, day__lte=last,
                                         status=DayStatus.LEAVE).values_list("cadre_id", flat=True)
        )
        span = (last - first).days + 1
        TrainingParticipant.objects.bulk_create([
            # On leave throughout: excused. Otherwise they came (the register says 培训 on those days).
            TrainingParticipant(event=event, cadre_id=c, attended=leave.get(c, 0) < span) for c in cadre_ids
        ])
        stats["training_events_created"] += 1
        stats["training_participants_created"] += len(cadre_ids)
        if event.fills_register:
            try:
                with transaction.atomic():
                    stats["training_days_filled"] += _sync_register(
                        actor=None, cadre_ids=set(cadre_ids), spans=[(first, last)], reason=f"培训活动:{title}",
                    )
            except ValidationError:
                stats["training_days_locked"] += 1  # a confirmed month: left as the township confirmed it


# --- diary -------------------------------------------------------------------------------------------------


def _outcomes(idn: str, day: datetime.date) -> dict[str, Any]:
    u = lambda tag: _u(tag, idn, day)  # noqa: E731
    found = 1 if u("found") < 0.25 else (2 if u("found") < 0.30 else 0)
    return {
        "households_visited": int(u("hh") * 9) if u("visit") < 0.75 else 0,
        "disputes_found": found,
        "disputes_resolved": found if u("resolved") < 0.8 else max(0, found - 1),
        "practical_matters": int(u("matters") * 4) if u("m?") < 0.5 else 0,
        "projects_started": 1 if u("project") < 0.04 else 0,
        "funds_yuan": Decimal(5000 + _h("funds", idn, day) % 196 * 1000) if u("fund") < 0.10 else Decimal(0),
        "jobs_created": int(u("jobs") * 12) + 1 if u("job") < 0.05 else 0,
    }


def _seed_diary(cal: Calendar, stats: Counter) -> None:
    """About 300 entries: ten each from some 30 cadres spread over the three counties and the year, on days the
    register says they were in the village; the `cadre` account writes about twice a week for two months."""
    yesterday = min(cal.today, timezone.localdate()) - ONE_DAY
    demo_cadre_id = User.objects.filter(username="cadre", role=Role.CADRE).values_list("cadre_id", flat=True).first()
    postings = list(
        Posting.objects.filter(village__code__startswith=CITY_PREFIX).overlapping(cal.start, yesterday)
        .select_related("cadre", "village__township").order_by("cadre__id_number", "start_date")
    )
    by_county: dict[str, list[Posting]] = defaultdict(list)
    for posting in postings:
        if posting.cadre_id != demo_cadre_id:
            by_county[posting.village.code[:6]].append(posting)
    writers: list[tuple[Posting, int, datetime.date]] = []
    per_county = DIARY_CADRES // len(by_county) if by_county else 0
    for code in sorted(by_county):
        for posting in sorted(by_county[code], key=lambda p: _h("diary", p.cadre.id_number))[:per_county]:
            writers.append((posting, DIARY_PER_CADRE, max(posting.start_date, cal.start)))
    demo_posting = next((p for p in postings if p.cadre_id == demo_cadre_id), None)
    if demo_posting is not None:
        writers.append((demo_posting, DEMO_CADRE_ENTRIES, max(demo_posting.start_date, cal.today - datetime.timedelta(days=60))))

    cadre_ids = {p.cadre_id for p, _n, _f in writers}
    present = defaultdict(list)
    for cadre_id, day in AttendanceDay.objects.filter(
        cadre_id__in=cadre_ids, status=DayStatus.PRESENT, day__gte=cal.start, day__lte=yesterday,
    ).values_list("cadre_id", "day"):
        present[cadre_id].append(day)
    have = set(DiaryEntry.objects.filter(cadre_id__in=cadre_ids).values_list("cadre_id", "day"))
    new: list[DiaryEntry] = []
    majors: list[DiaryEntry] = []
    for posting, count, first in writers:
        last = min(posting.end_date or yesterday, yesterday)
        days = sorted(d for d in present[posting.cadre_id] if first <= d <= last)
        if not days:
            continue
        idn = posting.cadre.id_number
        # Evenly over the span, the exact day nudged by a hash: an entry every few weeks, not a daily chore.
        step = len(days) / count
        chosen = sorted({days[min(len(days) - 1, int(i * step + _u("pick", idn, i) * step))] for i in range(count)})
        for day in chosen:
            if (posting.cadre_id, day) in have:
                continue
            village = posting.village.name
            who = _pick(list(SURNAMES), "who", idn, day) + "某某"
            text = _pick(DIARY_TEXTS, "text", idn, day).format(village=village, who=who, n=2 + _h("n", idn, day) % 6)
            entry = DiaryEntry(cadre_id=posting.cadre_id, posting=posting, day=day, text=text, **_outcomes(idn, day))
            new.append(entry)
    # Two major events, in the last month: the latest entry of the first two writers in 白沙镇 and 石门县.
    recent = [e for e in new if e.day >= cal.today - datetime.timedelta(days=30) and e.cadre_id != demo_cadre_id]
    for code, template in zip((DEMO_TOWNSHIP[:9], COUNTY_SHIMEN[:6]), MAJOR_EVENTS, strict=True):
        pick = max((e for e in recent if e.posting.village.code.startswith(code) and not e.major_event),
                   key=lambda e: (e.day, e.cadre_id), default=None)
        if pick is None:
            pick = max((e for e in recent if e.posting.village.code.startswith(code[:6]) and not e.major_event),
                       key=lambda e: (e.day, e.cadre_id), default=None)
        if pick is not None and not DiaryEntry.objects.filter(posting__village__code__startswith=code[:6],
                                                              major_event=True).exists():
            pick.major_event = True
            pick.major_event_note = template.format(village=pick.posting.village.name)
            pick.text = f"{pick.major_event_note}\n{pick.text}"
            majors.append(pick)
    DiaryEntry.objects.bulk_create(new, batch_size=500)
    for entry in new:
        entry.created_at = entry.updated_at = _at(entry.day, 20 * 60 + _h("at", entry.cadre_id, entry.day) % 150)
    DiaryEntry.objects.bulk_update(new, ["created_at", "updated_at"], batch_size=500)
    stats["diary_created"] += len(new)
    for entry in majors:
        township = entry.posting.village.township
        notify_users(
            users=list(User.objects.filter(region=township, role=Role.TOWNSHIP, is_active=True)),
            text=f"重大事项报告:{entry.posting.cadre.name}({entry.posting.village.name}){entry.day}:"
                 f"{entry.major_event_note}",
            url=entry.get_absolute_url(),
        )


# --- the entry point ---------------------------------------------------------------------------------------


def seed_management_attendance(*, today: datetime.date | None = None, stdout: TextIO | None = None) -> dict[str, Any]:
    """Seed the demo inspections, rectification, training and diary up to `today` (default: the local date) and
    return a summary; with `stdout`, also print it in Chinese. Needs cadres.demo and attendance.demo first."""
    today = today or timezone.localdate()
    cal = Calendar(today)
    stats: Counter = Counter()
    with transaction.atomic():
        if not Region.objects.filter(code=DEMO_TOWNSHIP).exists():
            if stdout is not None:
                stdout.write("未找到演示区划(请先载入组织数据),跳过督查、培训和民情日记演示数据。\n")
            return {"skipped": True}
        _seed_inspections(cal, _accounts(), stats)
        _seed_rectifications(cal, stats)
        _seed_training(cal, stats)
        _seed_diary(cal, stats)
        changes = {k: v for k, v in sorted(stats.items()) if v}
        if any(v for k, v in changes.items() if not k.endswith("_skipped")):
            audit_record(actor=None, action="demo.seed_management", region_code=CITY_CODE,
                         detail={"today": today.isoformat(), **changes})
        summary = _summary(cal, changes)
    if stdout is not None:
        stdout.write(format_summary(summary))
    return summary


def _summary(cal: Calendar, changes: dict[str, int]) -> dict[str, Any]:
    inspections = Inspection.objects.filter(region__code__startswith=CITY_PREFIX)
    items = Rectification.objects.filter(inspection__in=inspections)
    events = TrainingEvent.objects.filter(region__code__startswith=CITY_PREFIX)
    diary = DiaryEntry.objects.filter(posting__village__code__startswith=CITY_PREFIX)
    return {
        "today": cal.today,
        "changes": changes,
        "inspections": inspections.count(),
        "unannounced": inspections.filter(kind=InspectionKind.UNANNOUNCED).count(),
        "absences_found": InspectionFinding.objects.filter(inspection__in=inspections,
                                                           finding=FindingResult.ABSENT).count(),
        "rectifications_open": items.filter(status=RectificationStatus.OPEN).count(),
        "rectifications_overdue": items.filter(status=RectificationStatus.OPEN, deadline__lt=cal.today).count(),
        "training_events": events.count(),
        "training_participants": TrainingParticipant.objects.filter(event__in=events).count(),
        "diary_entries": diary.count(),
        "diary_cadres": diary.values("cadre_id").distinct().count(),
        "major_events": diary.filter(major_event=True).count(),
    }


def format_summary(summary: dict[str, Any]) -> str:
    if summary.get("skipped"):
        return "未找到演示区划,跳过督查、培训和民情日记演示数据。\n"
    changes = summary["changes"]
    written = sum(v for k, v in changes.items() if not k.endswith("_skipped"))
    lines = [
        "督查、培训和民情日记演示数据:",
        "  本次新建督查 {i} 次,整改事项 {r} 项,培训学习交流 {t} 次,民情日记 {d} 篇".format(
            i=changes.get("inspections_created", 0), r=changes.get("rectifications_created", 0),
            t=changes.get("training_events_created", 0), d=changes.get("diary_created", 0))
        if written else "  数据已是最新,本次未作改动",
        f"  督查 {summary['inspections']} 次(其中暗访 {summary['unannounced']} 次),发现不在岗 {summary['absences_found']} 人次;"
        f"整改事项未完成 {summary['rectifications_open']} 项,其中逾期 {summary['rectifications_overdue']} 项",
        f"  培训学习交流 {summary['training_events']} 次,参加 {summary['training_participants']} 人次",
        f"  民情日记 {summary['diary_entries']} 篇({summary['diary_cadres']} 名干部),重大事项报告 {summary['major_events']} 件",
    ]
    return "\n".join(lines) + "\n"
