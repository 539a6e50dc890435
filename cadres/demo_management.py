"""Demo data of the management workflows, on top of cadres.demo (and attendance.demo): the recall records of
the two recalled postings the demo already has, 2025 evaluations of 云溪县, a few awards and one 通报批评, and
one recall that the `unit` account's unit proposed and the city has still to decide.

Deterministic and idempotent like the other demo modules: every choice is a hash of fixed parts (a cadre's
ID number and a label), rows are found again by natural keys (recall: posting; evaluation: cadre and year;
award: cadre, kind, date and document number; the pending recall: its note) and only missing ones are written.
The rules still hold: evaluations are graded within cadres.selectors.evaluation_limits (absences found by
inspection, recall, the excellent-share cap), awards skip a cadre recalled that year, and the pending recall
goes through cadres.services.recall_propose.

The recall dates are the demo postings' end dates, and the replacement deadline is computed from the policy
(recall date + replacement_deadline_days), so whether a replacement came late follows from the data.
"""
import datetime
import hashlib
from collections import Counter
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from villages.models import Region, RegionLevel

from . import selectors
from .audit import audit_record
from .demo import CADRE_VILLAGE, CITY_CODE, COUNTIES, RECALL_OPEN_VILLAGE, RECALL_REPLACED_VILLAGE
from .models import (
    AspectRating,
    AwardKind,
    AwardRecord,
    Evaluation,
    EvaluationGrade,
    Posting,
    PostingStatus,
    Recall,
    RecallReason,
    RecallStatus,
    Role,
    User,
)

EVALUATION_YEAR = 2025
EVALUATION_COUNTY = COUNTIES[0][0]  # 云溪县
EVALUATED_AT = (2026, 1, 16, 10, 30)
EXCELLENT_PERCENT = 15  # about this share of hashes is graded excellent (below any cap the policy sets)

PENDING_NOTE = "该同志体检发现腰椎间盘突出,需手术治疗并休养三个月以上,无法坚持驻村。本单位申请召回,另行选派替补人选。"

# The two recalls the demo postings already show (cadres.demo._recalls): who proposed, when it was decided.
HISTORIC_RECALLS = [
    {
        "village": RECALL_REPLACED_VILLAGE, "reason": RecallReason.HEALTH, "proposer": "unit",
        "proposed_at": (2025, 9, 26, 9, 40), "decided_at": (2025, 10, 9, 15, 20),
        "comment": "同意召回。请派驻单位抓紧选派替补人选。",
    },
    {
        "village": RECALL_OPEN_VILLAGE, "reason": RecallReason.INSPECTION_ABSENCE, "proposer": "county",
        "proposed_at": (2026, 10, 21, 10, 5), "decided_at": (2026, 10, 28, 16, 0),
        "comment": "经县委组织部部务会研究,同意召回。",
    },
]

COMMENTS = {
    EvaluationGrade.EXCELLENT: [
        "驻村期间吃住在村,走访群众深入细致,推动村集体经济项目落地见效,群众评价高。",
        "带领工作队扎实完成年度帮扶任务,协调资金改善村内基础设施,作风务实。",
        "抓党建促乡村振兴成效明显,村“两委”战斗力明显增强。",
    ],
    EvaluationGrade.COMPETENT: [
        "能够按要求驻村开展工作,完成年度帮扶任务。",
        "遵守驻村工作纪律,工作态度端正,较好完成各项任务。",
        "积极参与村务工作,走访群众较为扎实,完成年度目标任务。",
    ],
    EvaluationGrade.BASIC: ["工作主动性不足,驻村工作成效不够明显,需进一步加强。"],
    EvaluationGrade.INCOMPETENT: ["驻村工作未达到要求,评定为不称职。"],
}


def _h(*parts: object) -> int:
    return int(hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:12], 16)


def _at(parts: tuple[int, ...]) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).select_related("region", "unit").first()


# --- recalls -----------------------------------------------------------------------------------------------


def _historic_recalls(stats: Counter) -> list[Recall]:
    """Approved recalls for the demo's recalled postings; each decided by the body the rule names (the city
    for a city-level unit, else the county) and with the deadline the policy gives."""
    result = []
    for spec in HISTORIC_RECALLS:
        posting = (
            Posting.objects.filter(village__code=spec["village"], status=PostingStatus.RECALLED)
            .select_related("cadre", "unit", "village__township__parent")
            .order_by("end_date")
            .first()
        )
        if posting is None:
            continue
        existing = Recall.objects.filter(posting=posting, status=RecallStatus.APPROVED).first()
        if existing is not None:
            result.append(existing)
            continue
        decider = selectors.recall_decider(posting=posting)
        decided_by = User.objects.filter(role=Role.ORG_DEPT, region=decider).order_by("pk").first()
        if spec["proposer"] == "unit":
            proposed_by = User.objects.filter(role=Role.UNIT, unit=posting.unit).order_by("pk").first()
            body = posting.unit.name
        else:
            proposed_by = User.objects.filter(
                role=Role.ORG_DEPT, region=selectors.county_of_village(posting.village)
            ).order_by("pk").first()
            body = f"{selectors.county_of_village(posting.village).name}委组织部"
        days = selectors.policy_for(posting.village.township).replacement_deadline_days
        recall = Recall.objects.create(
            posting=posting, reason=spec["reason"], note=posting.note, recall_date=posting.end_date,
            status=RecallStatus.APPROVED, proposed_by=proposed_by, proposer_body=body,
            decider_level=decider.level, decider_region=decider, decided_by=decided_by,
            decided_at=_at(spec["decided_at"]), decision_comment=spec["comment"],
            replacement_due=posting.end_date + datetime.timedelta(days=days),
        )
        # proposed_at is auto_now_add: set the historic time afterwards.
        Recall.objects.filter(pk=recall.pk).update(proposed_at=_at(spec["proposed_at"]))
        recall.refresh_from_db()
        stats["recalls_created"] += 1
        result.append(recall)
    return result


def _pending_recall(today: datetime.date, stats: Counter) -> Recall | None:
    """One recall the `unit` account's unit proposed, waiting for the city organization department."""
    existing = Recall.objects.filter(note=PENDING_NOTE).first()
    if existing is not None:
        return existing
    unit_user = User.objects.filter(username="unit", role=Role.UNIT).select_related("unit").first()
    if unit_user is None:
        return None
    posting = (
        Posting.objects.filter(unit=unit_user.unit, status=PostingStatus.IN_POST, recalls__isnull=True)
        .exclude(village__code=CADRE_VILLAGE)  # the `cadre` account's team stays as the browser tests expect
        .filter(cadre__user__isnull=True)
        .select_related("cadre", "village__township__parent", "unit")
        .order_by("village__code", "start_date", "pk")
        .first()
    )
    if posting is None:
        return None
    from .services import recall_propose

    recall = recall_propose(
        actor=unit_user, posting=posting, reason=RecallReason.HEALTH, note=PENDING_NOTE,
        recall_date=today + datetime.timedelta(days=10),
    )
    Recall.objects.filter(pk=recall.pk).update(proposed_at=_at((today.year, today.month, today.day, 9, 15))
                                               - datetime.timedelta(days=2))
    stats["pending_recalls_created"] += 1
    return recall


# --- evaluations -------------------------------------------------------------------------------------------


def _votes(grade: str, seed: int) -> dict[str, int]:
    total = 20 + seed % 21
    share = {  # per grade: percentage of 优秀, 称职, 基本称职 votes (the rest 不称职)
        EvaluationGrade.EXCELLENT: (62 + seed % 24, None, 2),
        EvaluationGrade.COMPETENT: (18 + seed % 30, None, 4 + seed % 6),
        EvaluationGrade.BASIC: (5, 50, 35),
        EvaluationGrade.INCOMPETENT: (0, 25, 35),
    }[grade]
    excellent = total * share[0] // 100
    basic = total * share[2] // 100
    if share[1] is None:
        competent = total - excellent - basic
        incompetent = 0
    else:
        competent = total * share[1] // 100
        incompetent = total - excellent - competent - basic
    return {"excellent": excellent, "competent": competent, "basic": basic, "incompetent": incompetent}


def _aspects(grade: str, seed: int) -> dict[str, str]:
    good, fair, average = AspectRating.GOOD, AspectRating.FAIR, AspectRating.AVERAGE
    result = {}
    for i, aspect in enumerate(Evaluation.ASPECTS):
        roll = (seed >> (3 * i)) % 8
        if grade == EvaluationGrade.EXCELLENT:
            result[aspect] = fair if roll == 0 else good
        elif grade == EvaluationGrade.COMPETENT:
            result[aspect] = good if roll < 4 else fair
        else:
            result[aspect] = fair if roll < 3 else average
    return result


def _evaluations(stats: Counter) -> list[Evaluation]:
    """The 2025 evaluations of the cadres whose last 2025 posting was in 云溪县: mostly 称职, about one in
    seven 优秀 (never one the rules forbid), and one 基本称职."""
    county = Region.objects.filter(code=EVALUATION_COUNTY, level=RegionLevel.COUNTY).first()
    if county is None:
        return []
    year = EVALUATION_YEAR
    postings = selectors.county_evaluated_in_year(county=county, year=year)
    existing = set(Evaluation.objects.filter(year=year, cadre_id__in=postings).values_list("cadre_id", flat=True))
    ids = list(postings)
    absences = selectors.inspection_absences(cadre_ids=ids, year=year)
    recalled = selectors.recalled_in_year(cadre_ids=ids, year=year)
    policy = selectors.policy_for(county)
    cap = selectors.excellent_cap(county=county, year=year, policy=policy)
    excellent_left = None if cap is None else max(cap.maximum - cap.graded, 0)
    decided_by = User.objects.filter(role=Role.ORG_DEPT, region=county).order_by("pk").first()

    ordered = sorted(postings.values(), key=lambda p: _h("eval", year, p.cadre.id_number))
    wanted: dict[int, str] = {}
    for posting in ordered:
        seed = _h("eval", year, posting.cadre.id_number)
        wanted[posting.cadre_id] = (
            EvaluationGrade.EXCELLENT if seed % 100 < EXCELLENT_PERCENT else EvaluationGrade.COMPETENT
        )
    # One 基本称职: the competent cadre with the highest hash, so the choice does not move between runs.
    competent = [p for p in ordered if wanted[p.cadre_id] == EvaluationGrade.COMPETENT and p.cadre_id not in recalled]
    if competent:
        wanted[competent[-1].cadre_id] = EvaluationGrade.BASIC

    new = []
    for posting in ordered:
        cid = posting.cadre_id
        if cid in existing:
            continue
        seed = _h("eval", year, posting.cadre.id_number)
        limits = selectors.evaluation_limits(
            cadre=posting.cadre, year=year, policy=policy, absences=absences.get(cid, []),
            recalled_on=recalled.get(cid), with_cap=False,
        )
        grade = wanted[cid]
        if limits.forced:
            grade = EvaluationGrade.INCOMPETENT
        elif selectors.GRADE_ORDER.index(grade) < selectors.GRADE_ORDER.index(limits.best):
            grade = limits.best
        if grade == EvaluationGrade.EXCELLENT and excellent_left is not None:
            if excellent_left <= 0:
                grade = EvaluationGrade.COMPETENT
            else:
                excellent_left -= 1
        comments = COMMENTS[grade]
        new.append(Evaluation(
            cadre=posting.cadre, year=year, posting=posting, county=county,
            **{f"votes_{k}": v for k, v in _votes(grade, seed).items()}, **_aspects(grade, seed),
            grade=grade, comment=comments[seed % len(comments)], decided_by=decided_by,
            decided_at=_at(EVALUATED_AT),
        ))
    Evaluation.objects.bulk_create(new, batch_size=500)
    stats["evaluations_created"] += len(new)
    return new


# --- awards ------------------------------------------------------------------------------------------------


def _awards(today: datetime.date, stats: Counter) -> list[AwardRecord]:
    """Awards for three cadres graded excellent in 2025 and one 通报嘉奖 more, and a 通报批评 for the first
    secretary recalled after three unannounced visits found him absent."""
    county = Region.objects.filter(code=EVALUATION_COUNTY).first()
    if county is None:
        return []
    excellent = sorted(
        Evaluation.objects.filter(year=EVALUATION_YEAR, county=county, grade=EvaluationGrade.EXCELLENT)
        .select_related("cadre"),
        key=lambda e: _h("award", e.cadre.id_number),
    )
    specs = []
    plan = [
        (AwardKind.MERIT_THIRD, datetime.date(2026, 2, 6), RegionLevel.CITY,
         "中共青山市委组织部 青山市人力资源和社会保障局", "青人社发〔2026〕6号",
         "2025年度驻村工作考核优秀,推动村集体经济增收成效突出,记三等功。"),
        (AwardKind.COMMENDATION, datetime.date(2026, 1, 28), RegionLevel.COUNTY, "中共云溪县委组织部",
         "云组通〔2026〕3号", "2025年度驻村工作考核优秀,予以通报嘉奖。"),
        (AwardKind.COMMENDATION, datetime.date(2026, 1, 28), RegionLevel.COUNTY, "中共云溪县委组织部",
         "云组通〔2026〕3号", "2025年度驻村工作考核优秀,予以通报嘉奖。"),
        (AwardKind.PRAISE, datetime.date(2025, 12, 18), RegionLevel.COUNTY, "中共云溪县委组织部",
         "云组通〔2025〕41号", "在汛期组织群众转移避险中反应迅速、处置得当,予以通报表扬。"),
    ]
    for (kind, day, level, body, number, reason), evaluation in zip(plan, excellent, strict=False):
        specs.append((evaluation.cadre, kind, day, level, body, number, reason))
    open_recall = (
        Posting.objects.filter(village__code=RECALL_OPEN_VILLAGE, status=PostingStatus.RECALLED)
        .select_related("cadre").first()
    )
    if open_recall is not None:
        specs.append((open_recall.cadre, AwardKind.CRITICISM, datetime.date(2026, 10, 23), RegionLevel.COUNTY,
                      "中共云溪县委组织部", "云组通〔2026〕29号",
                      "2026年三次暗访均不在村,严重违反驻村工作纪律,予以通报批评。"))
    recorder = User.objects.filter(role=Role.ORG_DEPT, region=county).order_by("pk").first()
    created = []
    for cadre, kind, day, level, body, number, reason in specs:
        if day > today:
            continue
        if AwardRecord.objects.filter(cadre=cadre, kind=kind, date=day, document_number=number).exists():
            continue
        is_award = kind in (AwardKind.MERIT_THIRD, AwardKind.COMMENDATION, AwardKind.PRAISE)
        if is_award and selectors.recalled_in_year(cadre_ids=[cadre.pk], year=day.year):
            continue  # the rule: no award for a cadre recalled that year
        created.append(AwardRecord.objects.create(
            cadre=cadre, kind=kind, date=day, level=level, issuing_body=body, document_number=number,
            reason=reason, recorded_by=recorder,
        ))
    stats["awards_created"] += len(created)
    return created


# --- the entry point ---------------------------------------------------------------------------------------


def seed_management(*, today: datetime.date | None = None, stdout: TextIO | None = None) -> dict[str, Any]:
    """Add the management demo data (needs cadres.demo.seed_demo first) and return a summary; with `stdout`,
    also print it in Chinese. A second run writes nothing."""
    today = today or timezone.localdate()
    stats: Counter = Counter()
    with transaction.atomic():
        if not Region.objects.filter(code=CITY_CODE).exists():
            summary: dict[str, Any] = {"skipped": True}
            if stdout is not None:
                stdout.write("管理制度演示数据:未找到演示区划,请先运行 seed_demo。\n")
            return summary
        recalls = _historic_recalls(stats)
        _evaluations(stats)
        _awards(today, stats)
        pending = _pending_recall(today, stats)
        changes = {k: v for k, v in sorted(stats.items()) if v}
        if changes:
            audit_record(actor=None, action="demo.seed_management", region_code=CITY_CODE, detail=changes)
        summary = _summary(today, recalls, pending, changes)
    if stdout is not None:
        stdout.write(format_summary(summary))
    return summary


def _summary(today: datetime.date, recalls: list[Recall], pending: Recall | None, changes: dict) -> dict[str, Any]:
    grades = Counter(
        Evaluation.objects.filter(year=EVALUATION_YEAR, county__code=EVALUATION_COUNTY).values_list("grade", flat=True)
    )
    kinds = Counter(AwardRecord.objects.filter(cadre__unit__region__code__startswith=CITY_CODE[:4])
                    .values_list("kind", flat=True))
    rows = []
    for recall in recalls:
        replacement = getattr(recall.posting, "replaced_by", None)
        rows.append({
            "cadre": recall.posting.cadre.name, "village": recall.posting.village.name,
            "recall_date": recall.recall_date, "replacement_due": recall.replacement_due,
            "replaced_on": replacement.start_date if replacement else None,
            "late": (replacement.start_date > recall.replacement_due) if replacement
            else recall.replacement_due < today,
        })
    return {
        "recalls": rows,
        "pending": {"cadre": pending.posting.cadre.name, "village": pending.posting.village.name,
                    "unit": pending.posting.unit.name} if pending else None,
        "evaluations": {g.value: grades.get(g.value, 0) for g in EvaluationGrade},
        "awards": {k.value: kinds.get(k.value, 0) for k in AwardKind},
        "changes": changes,
    }


def format_summary(summary: dict[str, Any]) -> str:
    if summary.get("skipped"):
        return "管理制度演示数据:已跳过。\n"
    lines = ["管理制度演示数据:"]
    for r in summary["recalls"]:
        if r["replaced_on"]:
            state = f"{r['replaced_on']} 替补到岗" + (",逾期" if r["late"] else ",按期")
        else:
            state = "替补逾期未到岗" if r["late"] else "待替补"
        lines.append(f"  召回 {r['cadre']}({r['village']}):{r['recall_date']} 召回,替补期限 {r['replacement_due']},{state}")
    if summary["pending"]:
        p = summary["pending"]
        lines.append(f"  待审批召回:{p['unit']}申请召回 {p['cadre']}({p['village']})")
    labels = dict(EvaluationGrade.choices)
    lines.append(f"  {EVALUATION_YEAR}年度考核(云溪县):" + ",".join(
        f"{labels[g]} {n}" for g, n in summary["evaluations"].items()))
    kinds = dict(AwardKind.choices)
    lines.append("  奖惩记录:" + ",".join(f"{kinds[k]} {n}" for k, n in summary["awards"].items() if n))
    lines.append(f"  本次新建:{sum(summary['changes'].values())} 条\n")
    return "\n".join(lines)
