"""List filters. Every FilterSet receives a queryset already scoped by a selector, and its choices come from
scoped selectors too, so neither the rows nor the drop-downs leak another jurisdiction."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import DispatchingUnit, Region, RegionLevel, Village, VillageCategory
from .selectors import region_list
from .text import normalize_text


def scoped_regions(request):
    return region_list(user=request.user).filter(level__lte=RegionLevel.TOWNSHIP)


def filter_by_region_prefix(queryset, field: str, region: Region | None):
    if region is None:
        return queryset
    return queryset.filter(**{f"{field}__startswith": region.prefix})


class RegionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("名称或代码"), method="search")
    level = django_filters.ChoiceFilter(label=_("级别"), choices=RegionLevel.choices)

    class Meta:
        model = Region
        fields = ["q", "level"]

    def search(self, queryset, name, value):
        value = normalize_text(value)
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class VillageFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("村名或代码"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("所属区划"), queryset=scoped_regions, method="in_region", empty_label=_("全部")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("村分类"), field_name="categories", queryset=VillageCategory.objects.all(), empty_label=_("全部")
    )
    o = django_filters.OrderingFilter(
        label=_("排序"),
        fields=(("code", "code"), ("name", "name"), ("township__name", "township")),
        field_labels={"code": _("代码"), "name": _("名称"), "township__name": _("乡镇")},
    )

    class Meta:
        model = Village
        fields = ["q", "region", "category"]

    def search(self, queryset, name, value):
        value = normalize_text(value)
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))

    def in_region(self, queryset, name, value):
        return filter_by_region_prefix(queryset, "code", value)


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("单位名称"), method="search")
    level = django_filters.ChoiceFilter(label=_("单位层级"), choices=RegionLevel.choices)
    region = django_filters.ModelChoiceFilter(
        label=_("所属区划"), queryset=scoped_regions, method="in_region", empty_label=_("全部")
    )
    o = django_filters.OrderingFilter(
        label=_("排序"),
        fields=(("name", "name"), ("level", "level"), ("n_cadres", "n_cadres")),
        field_labels={"name": _("名称"), "level": _("层级"), "n_cadres": _("在岗人数")},
    )

    class Meta:
        model = DispatchingUnit
        fields = ["q", "level", "region"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=normalize_text(value))

    def in_region(self, queryset, name, value):
        return filter_by_region_prefix(queryset, "region__code", value)
