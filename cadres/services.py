"""Writes of cadres, rounds and postings. Each function owns its transaction, the rules that span records,
and the audit entry; views, admin, commands and imports all come through here."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .models import Cadre, DispatchRound, Posting, PostingStatus
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
