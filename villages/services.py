"""Writes of the organisation tree. Forms validate fields; these functions own the transaction, the
cross-record rules and the audit entry."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cadres.audit import audit_record

from .models import DispatchingUnit, Region, Village, VillageCategory


@transaction.atomic
def village_save(
    *, actor, village: Village, categories: list[VillageCategory] | None = None, ip: str | None = None
) -> Village:
    created = village.pk is None
    village.full_clean()
    try:
        with transaction.atomic():
            village.save()
    except IntegrityError as exc:
        raise ValidationError({"code": _("该区划代码已被其他村使用。")}) from exc
    if categories is not None:
        village.categories.set(categories)
    audit_record(
        actor=actor,
        action="village.create" if created else "village.update",
        obj=village,
        region_code=village.code,
        ip=ip,
    )
    return village


@transaction.atomic
def unit_save(*, actor, unit: DispatchingUnit, ip: str | None = None) -> DispatchingUnit:
    created = unit.pk is None
    unit.full_clean()
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise ValidationError({"name": _("已存在同名的派驻单位。")}) from exc
    audit_record(
        actor=actor,
        action="unit.create" if created else "unit.update",
        obj=unit,
        region_code=unit.region.code,
        ip=ip,
    )
    return unit


@transaction.atomic
def region_save(*, actor, region: Region, ip: str | None = None) -> Region:
    created = region.pk is None
    region.full_clean()
    try:
        with transaction.atomic():
            region.save()
    except IntegrityError as exc:
        raise ValidationError({"code": _("该区划代码已存在。")}) from exc
    audit_record(
        actor=actor, action="region.create" if created else "region.update", obj=region, region_code=region.code, ip=ip
    )
    return region
