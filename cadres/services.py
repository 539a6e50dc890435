"""Writes of cadres, rounds and postings. Each function owns its transaction, the rules that span records,
and the audit entry; views, admin, commands and imports all come through here."""
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from villages.models import Region

from .audit import audit_record
from .models import (
    AWARD_KINDS,
    AwardKind,
    AwardRecord,
    Cadre,
    DispatchRound,
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
from .selectors import (
    award_can_record,
    evaluation_can_decide,
    evaluation_limits,
    evaluation_posting,
    policy_for,
    proposer_body,
    recall_can_decide,
    recall_can_propose,
    recall_decider,
    recalled_in_year,
)
from .validators import id_birth_date, id_gender, normalize_id_number, normalize_phone


def _region_code_of_cadre(cadre: Cadre) -> str:
    return cadre.unit.region.code if cadre.unit_id else ""


@transaction.atomic
def cadre_save(*, actor, cadre: Cadre, ip: str | None = None) -> Cadre:
    """Create or update a cadre. Birth date and gender are read from the ID number when left empty, and
    must agree with it when given."""
    created = cadre.pk is None
    cadre.id_number = normalize_id_number(cadre.id_number)
    cadre.phone = normalize_phone(cadre.phone)
    cadre.name = " ".join((cadre.name or "").split())
    errors = {}
    try:
        birth = id_birth_date(cadre.id_number)
        gender = id_gender(cadre.id_number)
    except Exception:  # noqa: BLE001 - an invalid number is reported by full_clean below
        birth = gender = None
    if birth is not None:
        if cadre.birth_date is None:
            cadre.birth_date = birth
        elif cadre.birth_date != birth:
            errors["birth_date"] = _("出生日期与身份证号码不一致(身份证显示为%(date)s)。") % {"date": birth.isoformat()}
        if not cadre.gender:
            cadre.gender = gender
        elif cadre.gender != gender:
            errors["gender"] = _("性别与身份证号码不一致。")
    if errors:
        raise ValidationError(errors)
    cadre.full_clean()
    try:
        with transaction.atomic():
            cadre.save()
    except IntegrityError as exc:
        raise ValidationError({"id_number": _("该身份证号码已登记为其他干部。")}) from exc
    audit_record(
        actor=actor,
        action="cadre.create" if created else "cadre.update",
        obj=cadre,
        region_code=_region_code_of_cadre(cadre),
        ip=ip,
    )
    return cadre


@transaction.atomic
def round_save(*, actor, dispatch_round: DispatchRound, ip: str | None = None) -> DispatchRound:
    created = dispatch_round.pk is None
    dispatch_round.full_clean()
    if not created:
        outside = dispatch_round.postings.exclude(
            start_date__gte=dispatch_round.start_date, start_date__lte=dispatch_round.end_date
        ).count()
        if outside:
            raise ValidationError(
                _("有%(n)d条派驻记录的到岗日期会落在轮次起止日期之外,请先调整这些记录。") % {"n": outside}
            )
    try:
        with transaction.atomic():
            dispatch_round.save()
    except IntegrityError as exc:
        raise ValidationError({"name": _("该区划已有同名轮次。")}) from exc
    audit_record(
        actor=actor,
        action="round.create" if created else "round.update",
        obj=dispatch_round,
        region_code=dispatch_round.region.code,
        ip=ip,
    )
    return dispatch_round


def posting_check(posting: Posting) -> None:
    """The rules a posting must satisfy against other records. Raises ValidationError keyed by field."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    rnd, village = posting.round, posting.village
    if posting.start_date and posting.end_date and posting.end_date < posting.start_date:
        add("end_date", _("离岗日期不能早于到岗日期。"))
    if posting.start_date and not (rnd.start_date <= posting.start_date <= rnd.end_date):
        add(
            "start_date",
            _("到岗日期必须在轮次“%(round)s”的起止日期(%(start)s 至 %(end)s)之内。")
            % {"round": rnd.name, "start": rnd.start_date.isoformat(), "end": rnd.end_date.isoformat()},
        )
    if not rnd.region.contains_code(village.code):
        add("village", _("该村不在轮次“%(round)s”的组织区划内。") % {"round": rnd.name})
    if posting.status != PostingStatus.IN_POST and posting.end_date is None:
        add("end_date", _("状态为“%(status)s”时必须填写离岗日期。") % {"status": posting.get_status_display()})
    if posting.start_date:
        clash = (
            Posting.objects.filter(cadre_id=posting.cadre_id)
            .exclude(pk=posting.pk)
            .overlapping(posting.start_date, posting.end_date)
            .select_related("village")
            .first()
        )
        if clash is not None:
            add(
                "start_date",
                _("该干部在%(start)s至%(end)s已派驻%(village)s,同一天只能有一个在岗派驻。")
                % {
                    "start": clash.start_date.isoformat(),
                    "end": clash.end_date.isoformat() if clash.end_date else _("今"),
                    "village": clash.village.name,
                },
            )
    replaced = posting.replaces
    if replaced is not None:
        if replaced.pk == posting.pk:
            add("replaces", _("派驻记录不能替补自己。"))
        elif replaced.village_id != posting.village_id:
            add("replaces", _("替补对象必须是同一个村的派驻记录。"))
        elif replaced.status == PostingStatus.IN_POST or replaced.end_date is None:
            add("replaces", _("被替补的派驻记录尚未结束(召回或轮换)。"))
        elif posting.start_date and posting.start_date <= replaced.end_date:
            add("start_date", _("替补干部的到岗日期必须晚于被替补干部的离岗日期(%(date)s)。") % {
                "date": replaced.end_date.isoformat()
            })
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def posting_save(*, actor, posting: Posting, ip: str | None = None) -> Posting:
    created = posting.pk is None
    if not posting.unit_id and posting.cadre_id:
        posting.unit_id = posting.cadre.unit_id
    posting.clean_fields(exclude=["replaces"] if posting.replaces_id is None else None)
    # Lock the cadre row: two concurrent saves for one cadre are serialised, so the overlap check below
    # sees the other's committed posting. PostgreSQL also holds an exclusion constraint as the last word.
    Cadre.objects.select_for_update().filter(pk=posting.cadre_id).first()
    # The rules with field-level messages first; the model's constraints then only back them up.
    posting_check(posting)
    posting.full_clean(exclude=["replaces"] if posting.replaces_id is None else None)
    try:
        with transaction.atomic():
            posting.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"start_date": _("该干部在这段时间已有在岗派驻,同一天只能有一个在岗派驻。")}
        ) from exc
    audit_record(
        actor=actor,
        action="posting.create" if created else "posting.update",
        obj=posting,
        region_code=posting.village.code,
        ip=ip,
        detail={"status": posting.status, "start": str(posting.start_date), "end": str(posting.end_date or "")},
    )
    return posting


# --- Management workflows: recall and replacement, annual evaluation, awards --------------------------------


def _notify(*, users, text: str, url: str = "") -> None:
    from attendance.notifications import notify_users  # attendance depends on cadres, not the other way

    notify_users(users=users, text=text, url=url)


def _recall_deciders(recall: Recall) -> list:
    return list(User.objects.filter(role=Role.ORG_DEPT, region_id=recall.decider_region_id, is_active=True))


@transaction.atomic
def recall_propose(
    *,
    actor,
    posting: Posting,
    reason: str,
    note: str,
    recall_date: datetime.date | None = None,
    ip: str | None = None,
) -> Recall | None:
    """Propose recalling the cadre of `posting`. `actor` is an organization department of the county or city,
    or the dispatching unit; None for an automatic proposal (inspection findings reached the policy's
    threshold). The decider is fixed now: the county's organization department, or the city's for a
    city-level unit.

    A posting has at most one pending proposal: a person proposing again is told so; an automatic proposal
    returns the pending one instead of a duplicate, and returns None when the posting is no longer in post
    (the inspection that triggered it must still be recorded)."""
    if actor is not None and not recall_can_propose(user=actor, posting=posting):
        raise PermissionDenied(_("您不能对该派驻记录提出召回。"))
    if reason not in RecallReason.values:
        raise ValidationError({"reason": _("请选择召回原因。")})
    note = (note or "").strip()
    if actor is not None and reason == RecallReason.OTHER and not note:
        raise ValidationError({"note": _("召回原因为“其他”时,请填写情况说明。")})
    # Lock the posting: a proposal and a decision (or an edit ending the posting) on it are serialised.
    posting = (
        Posting.objects.select_for_update(of=("self",))
        .select_related("cadre", "village__township__parent", "unit")
        .get(pk=posting.pk)
    )
    pending = Recall.objects.filter(posting=posting, status=RecallStatus.PROPOSED).first()
    if pending is not None:
        if actor is None:
            return pending
        raise ValidationError(
            _("该派驻已有待审批的召回申请(%(date)s由%(body)s提出),不能重复提出。")
            % {"date": timezone.localtime(pending.proposed_at).date().isoformat(), "body": pending.proposer_body}
        )
    if posting.status != PostingStatus.IN_POST:
        if actor is None:
            return None
        raise ValidationError(
            _("该派驻记录已结束(%(status)s),不能再提出召回。") % {"status": posting.get_status_display()}
        )
    if recall_date is not None:
        _recall_date_check(posting, recall_date)
    decider = recall_decider(posting=posting)
    recall = Recall(
        posting=posting, reason=reason, note=note, recall_date=recall_date, status=RecallStatus.PROPOSED,
        proposed_by=actor if actor is not None and actor.is_authenticated else None,
        proposer_body=proposer_body(actor)[:100], decider_level=decider.level, decider_region=decider,
    )
    try:
        with transaction.atomic():
            recall.save()
    except IntegrityError as exc:
        # A concurrent proposal for the same posting won (recall_one_pending_per_posting).
        if actor is None:
            return Recall.objects.filter(posting=posting, status=RecallStatus.PROPOSED).first()
        raise ValidationError(_("该派驻刚有人提出召回申请,请刷新页面查看。")) from exc
    audit_record(
        actor=actor, action="recall.propose", obj=recall, region_code=posting.village.code, ip=ip,
        detail={"reason": reason, "recall_date": str(recall_date or ""), "automatic": actor is None,
                "decider": decider.code},
    )
    _notify(
        users=_recall_deciders(recall),
        text=_("%(body)s提出召回%(name)s(%(village)s),原因:%(reason)s,请审批。")
        % {"body": recall.proposer_body, "name": posting.cadre.name, "village": posting.village.name,
           "reason": recall.get_reason_display()},
        url=recall.get_absolute_url(),
    )
    return recall


def _recall_date_check(posting: Posting, day: datetime.date) -> None:
    if day < posting.start_date:
        raise ValidationError(
            {"recall_date": _("召回日期不能早于到岗日期(%(date)s)。") % {"date": posting.start_date.isoformat()}}
        )
    if posting.end_date is not None and day > posting.end_date:
        raise ValidationError(
            {"recall_date": _("召回日期不能晚于该派驻的离岗日期(%(date)s)。") % {"date": posting.end_date.isoformat()}}
        )


@transaction.atomic
def recall_decide(
    *,
    actor,
    recall_id: int,
    approve: bool,
    comment: str,
    ip: str | None,
    recall_date: datetime.date | None = None,
) -> Recall:
    """Approve or reject a proposed recall. Approval ends the posting as recalled on the recall date (given
    here, else the proposed one, else today) and sets the replacement deadline: recall date + the policy's
    replacement_deadline_days. Deciding twice is impossible, also under concurrent clicks: the first
    conditional UPDATE from "proposed" wins, the other finds no row and is told so."""
    recall = (
        Recall.objects.select_related("posting__cadre", "posting__village__township", "posting__unit")
        .filter(pk=recall_id)
        .first()
    )
    if recall is None:
        raise Recall.DoesNotExist
    if not recall_can_decide(user=actor, recall=recall):
        raise PermissionDenied(
            _("该召回由%(body)s审批。") % {"body": _("%(region)s委组织部") % {"region": recall.decider_region.name}}
        )
    comment = (comment or "").strip()
    posting = recall.posting
    now = timezone.now()
    if not approve:
        if not comment:
            raise ValidationError({"comment": _("驳回时请填写理由。")})
        claimed = Recall.objects.filter(pk=recall.pk, status=RecallStatus.PROPOSED).update(
            status=RecallStatus.REJECTED, decided_by=actor, decided_at=now, decision_comment=comment[:300]
        )
        if not claimed:
            raise ValidationError(_("该召回申请已被处理,请刷新页面。"))
        recall.refresh_from_db()
        audit_record(actor=actor, action="recall.reject", obj=recall, region_code=posting.village.code, ip=ip,
                     detail={"comment": comment})
        if recall.proposed_by_id:
            _notify(users=[recall.proposed_by],
                    text=_("召回%(name)s的申请被驳回:%(comment)s") % {"name": posting.cadre.name, "comment": comment},
                    url=recall.get_absolute_url())
        return recall

    day = recall_date or recall.recall_date or timezone.localdate()
    _recall_date_check(posting, day)
    # The cadre row lock serialises this with posting_save and award_record for the same cadre (an award
    # checks "recalled this year" and must see a recall approved at the same moment).
    Cadre.objects.select_for_update().filter(pk=posting.cadre_id).first()
    due = day + datetime.timedelta(days=policy_for(posting.village.township).replacement_deadline_days)
    claimed = Recall.objects.filter(pk=recall.pk, status=RecallStatus.PROPOSED).update(
        status=RecallStatus.APPROVED, decided_by=actor, decided_at=now, decision_comment=comment[:300],
        recall_date=day, replacement_due=due,
    )
    if not claimed:
        raise ValidationError(_("该召回申请已被处理,请刷新页面。"))
    ended = Posting.objects.filter(pk=posting.pk, status=PostingStatus.IN_POST).update(
        status=PostingStatus.RECALLED, end_date=day, updated_at=now
    )
    if not ended:
        # Raising rolls the claim above back too: the recall stays proposed for a decision on what happened.
        raise ValidationError(_("该派驻记录已不在岗(可能已被修改或结束),不能召回。"))
    recall.refresh_from_db()
    posting.refresh_from_db()
    audit_record(actor=actor, action="recall.approve", obj=recall, region_code=posting.village.code, ip=ip,
                 detail={"recall_date": day.isoformat(), "replacement_due": due.isoformat(), "comment": comment})
    audit_record(actor=actor, action="posting.recall", obj=posting, region_code=posting.village.code, ip=ip,
                 detail={"status": posting.status, "end": day.isoformat(), "recall": recall.pk})
    text = _("%(name)s已被召回(%(day)s),请于%(due)s前选派替补干部到%(village)s。") % {
        "name": posting.cadre.name, "day": day.isoformat(), "due": due.isoformat(), "village": posting.village.name}
    unit_users = list(User.objects.filter(role=Role.UNIT, unit_id=posting.unit_id, is_active=True))
    others = [recall.proposed_by] if recall.proposed_by_id and recall.proposed_by not in unit_users else []
    _notify(users=unit_users + others, text=text, url=recall.get_absolute_url())
    return recall


@transaction.atomic
def evaluation_save(
    *,
    actor,
    cadre: Cadre,
    year: int,
    grade: str,
    comment: str = "",
    votes: dict[str, int] | None = None,
    aspects: dict[str, str] | None = None,
    ip: str | None = None,
) -> Evaluation:
    """Record (or change) a cadre's annual evaluation. Only the county organization department of the
    cadre's last posting that year decides. The rules come from the policy of that village's township
    (see selectors.evaluation_limits) and are re-checked here under a lock on the county row, so two
    concurrent saves cannot both take the last excellent place of the share cap. A 不称职 grade proposes a
    recall of the cadre's posting in force, unless one is already pending."""
    today_ = timezone.localdate()
    if year > today_.year:
        raise ValidationError({"year": _("不能考核尚未开始的年度。")})
    posting = evaluation_posting(cadre=cadre, year=year)
    if posting is None:
        raise ValidationError(_("%(name)s在%(year)d年没有派驻记录,无需年度考核。") % {"name": cadre.name, "year": year})
    if not evaluation_can_decide(user=actor, posting=posting):
        raise PermissionDenied(
            _("%(name)s的%(year)d年度考核由%(county)s委组织部确定。")
            % {"name": cadre.name, "year": year, "county": posting.village.township.parent.name}
        )
    if grade not in EvaluationGrade.values:
        raise ValidationError({"grade": _("请选择考核等次。")})
    county = posting.village.township.parent
    Region.objects.select_for_update().filter(pk=county.pk).first()
    policy = policy_for(posting.village.township)
    limits = evaluation_limits(cadre=cadre, year=year, policy=policy, county=county)
    refusal = limits.refusal(grade)
    if refusal:
        raise ValidationError({"grade": refusal})

    evaluation = Evaluation.objects.select_for_update().filter(cadre=cadre, year=year).first()
    created = evaluation is None
    if created:
        evaluation = Evaluation(cadre=cadre, year=year)
    old_grade = evaluation.grade
    evaluation.posting, evaluation.county = posting, county
    for key, value in (votes or {}).items():
        setattr(evaluation, f"votes_{key}", int(value or 0))
    for key, value in (aspects or {}).items():
        if key not in Evaluation.ASPECTS:
            raise ValueError(f"unknown aspect {key}")
        setattr(evaluation, key, value or "")
    evaluation.grade, evaluation.comment = grade, (comment or "").strip()
    evaluation.decided_by = actor if actor is not None and actor.is_authenticated else None
    evaluation.decided_at = timezone.now()
    evaluation.full_clean(exclude=["cadre", "posting", "county", "decided_by"], validate_unique=False)
    try:
        with transaction.atomic():
            evaluation.save()
    except IntegrityError as exc:  # a concurrent first save for the same cadre and year
        raise ValidationError(_("该干部本年度考核刚被其他人保存,请刷新页面后重试。")) from exc
    audit_record(
        actor=actor, action="evaluation.create" if created else "evaluation.update", obj=evaluation,
        region_code=posting.village.code, ip=ip,
        detail={"year": year, "grade": grade, "old_grade": old_grade, "absences": len(limits.absences)},
    )
    evaluation.proposed_recall = None
    if grade == EvaluationGrade.INCOMPETENT and old_grade != EvaluationGrade.INCOMPETENT:
        current = Posting.objects.filter(cadre=cadre, status=PostingStatus.IN_POST).order_by("-start_date").first()
        if current is not None and recall_can_propose(user=actor, posting=current):
            pending = Recall.objects.filter(posting=current, status=RecallStatus.PROPOSED).first()
            reason = RecallReason.INSPECTION_ABSENCE if limits.forced else RecallReason.INCOMPETENT
            evaluation.proposed_recall = pending or recall_propose(
                actor=actor, posting=current, reason=reason, ip=ip,
                note=_("%(year)d年度考核确定为不称职,提出召回。") % {"year": year}
                + (" " + limits.reasons[0] if limits.forced else ""),
            )
    return evaluation


@transaction.atomic
def award_record(
    *,
    actor,
    cadre: Cadre,
    kind: str,
    date: datetime.date,
    level: int,
    issuing_body: str,
    document_number: str = "",
    reason: str = "",
    ip: str | None = None,
) -> AwardRecord:
    """Record an award (记三等功, 通报嘉奖, 通报表扬) or a disciplinary measure (通报批评, 诫勉谈话). A cadre
    recalled in the award's year receives no award; discipline is always recorded."""
    if not award_can_record(user=actor, cadre=cadre):
        raise PermissionDenied(_("您的角色不能登记奖惩记录。"))
    errors: dict[str, list[str]] = {}
    if kind not in AwardKind.values:
        errors.setdefault("kind", []).append(_("请选择类别。"))
    issuing_body = " ".join((issuing_body or "").split())
    document_number = "".join((document_number or "").split())
    if not issuing_body:
        errors.setdefault("issuing_body", []).append(_("请填写发文单位。"))
    if kind != AwardKind.ADMONITION and not document_number:
        errors.setdefault("document_number", []).append(_("请填写文号(诫勉谈话以外的奖惩均有文件)。"))
    if date > timezone.localdate():
        errors.setdefault("date", []).append(_("日期不能晚于今天。"))
    if errors:
        raise ValidationError(errors)
    Cadre.objects.select_for_update().filter(pk=cadre.pk).first()  # see recall_decide
    if kind in AWARD_KINDS:
        recalled_on = recalled_in_year(cadre_ids=[cadre.pk], year=date.year).get(cadre.pk)
        if recalled_on is not None:
            raise ValidationError({"kind": _(
                "%(name)s于%(recalled)s被召回,%(year)d年不能给予奖励(%(kind)s);通报批评、诫勉谈话不受此限。"
            ) % {"name": cadre.name, "recalled": recalled_on.isoformat(), "year": date.year,
                 "kind": AwardKind(kind).label}})
    award = AwardRecord(
        cadre=cadre, kind=kind, date=date, level=level, issuing_body=issuing_body,
        document_number=document_number, reason=(reason or "").strip(),
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    award.full_clean(exclude=["cadre", "recorded_by"])
    award.save()
    audit_record(
        actor=actor, action="award.create", obj=award, region_code=_region_code_of_cadre(cadre), ip=ip,
        detail={"kind": kind, "date": date.isoformat(), "document_number": document_number},
    )
    return award
