"""Reads of the organisation tree, always scoped to a user (see cadres.jurisdiction)."""
from django.db.models import Count, Q, QuerySet

from cadres.jurisdiction import scope_of

from .models import DispatchingUnit, Region, Village
from .validators import SIGNIFICANT_DIGITS


def _ancestor_codes(codes: set[str]) -> set[str]:
    """The 12-digit codes of every province/city/county/township containing any of `codes`."""
    result = set()
    for code in codes:
        for level in (1, 2, 3, 4):
            digits = SIGNIFICANT_DIGITS[level]
            result.add(code[:digits].ljust(12, "0"))
    return result


def _linked_village_ids(scope) -> QuerySet:
    from cadres.models import Posting

    if scope.unit_id:
        postings = Posting.objects.filter(Q(unit_id=scope.unit_id) | Q(cadre__unit_id=scope.unit_id))
    else:
        postings = Posting.objects.filter(cadre_id=scope.cadre_id)
    return postings.values("village_id")


def village_list(*, user) -> QuerySet[Village]:
    scope = scope_of(user)
    qs = Village.objects.select_related("township", "township__parent")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.unit_id or scope.cadre_id:
        return qs.filter(id__in=_linked_village_ids(scope))
    return qs.none()


def region_list(*, user) -> QuerySet[Region]:
    scope = scope_of(user)
    qs = Region.objects.select_related("parent")
    if scope.everything:
        return qs
    if scope.region is not None:
        return qs.filter(code__startswith=scope.prefix)
    if scope.unit_id or scope.cadre_id:
        codes = set(Village.objects.filter(id__in=_linked_village_ids(scope)).values_list("code", flat=True))
        return qs.filter(code__in=_ancestor_codes(codes))
    return qs.none()


def unit_list(*, user) -> QuerySet[DispatchingUnit]:
    scope = scope_of(user)
    qs = DispatchingUnit.objects.select_related("region")
    if scope.everything:
        return qs
    if scope.region is not None:
        from cadres.models import Posting

        # A county also sees the city and provincial units whose cadres serve in its villages.
        sending = Posting.objects.filter(village__code__startswith=scope.prefix).values("unit_id")
        return qs.filter(Q(region__code__startswith=scope.prefix) | Q(id__in=sending))
    if scope.unit_id:
        return qs.filter(pk=scope.unit_id)
    if scope.cadre_id:
        from cadres.models import Cadre, Posting

        return qs.filter(
            Q(id__in=Posting.objects.filter(cadre_id=scope.cadre_id).values("unit_id"))
            | Q(id__in=Cadre.objects.filter(pk=scope.cadre_id).values("unit_id"))
        )
    return qs.none()


def township_choices(*, user) -> QuerySet[Region]:
    return region_list(user=user).filter(level=Region.Level.TOWNSHIP)


def region_children_with_counts(*, user, region: Region) -> QuerySet[Region]:
    return (
        region_list(user=user)
        .filter(parent=region)
        .annotate(n_children=Count("children", distinct=True), n_villages=Count("villages", distinct=True))
        .order_by("code")
    )
