"""List filters for cadres, rounds and postings (choices and rows scoped by the caller's selectors)."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from villages.filters import scoped_regions
from villages.selectors import unit_list
from villages.text import normalize_digits, normalize_text

from .models import Cadre, DispatchRound, Posting, PostingRole, PostingStatus
from .selectors import round_list


def scoped_units(request):
    return unit_list(user=request.user)


def scoped_rounds(request):
    return round_list(user=request.user)


def search_cadres(queryset, value: str, prefix: str = ""):
    """Name, the tail of the ID number (up to 6 characters) or the phone number."""
    text = normalize_text(value)
    compact = normalize_digits(value).upper()
    condition = Q(**{f"{prefix}name__icontains": text})
    if compact and len(compact) <= 6 and all(c.isdigit() or c == "X" for c in compact):
        condition |= Q(**{f"{prefix}id_tail__endswith": compact})
    if len(compact) == 18:
        condition |= Q(**{f"{prefix}id_number": compact})
    if compact.isdigit() and len(compact) >= 4:
        condition |= Q(**{f"{prefix}phone__contains": compact})
    return queryset.filter(condition)


class CadreFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名/身份证后几位/电话"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("派驻区划"), queryset=scoped_regions, method="in_region", empty_label=_("全部")
    )
    unit = django_filters.ModelChoiceFilter(label=_("原单位"), queryset=scoped_units, empty_label=_("全部"))
    round = django_filters.ModelChoiceFilter(
        label=_("轮次"), queryset=scoped_rounds, method="in_round", empty_label=_("全部")
    )
    role = django_filters.ChoiceFilter(
        label=_("职务"), choices=PostingRole.choices, method="with_role", empty_label=_("全部")
    )
    status = django_filters.ChoiceFilter(
        label=_("派驻状态"), choices=PostingStatus.choices, method="with_status", empty_label=_("全部")
    )
    o = django_filters.OrderingFilter(
        label=_("排序"),
        fields=(("name", "name"), ("birth_date", "birth_date"), ("unit__name", "unit")),
        field_labels={"name": _("姓名"), "birth_date": _("出生日期"), "unit__name": _("原单位")},
    )

    class Meta:
        model = Cadre
        fields = ["q", "region", "unit", "round", "role", "status"]

    # The posting conditions below are combined in one EXISTS subquery each, so a cadre matches when one
    # posting satisfies them; no join multiplies rows.
    def _postings(self):
        return Posting.objects.all()

    def search(self, queryset, name, value):
        return search_cadres(queryset, value)

    def in_region(self, queryset, name, value):
        return queryset.filter(id__in=self._postings().filter(village__code__startswith=value.prefix).values("cadre_id"))

    def in_round(self, queryset, name, value):
        return queryset.filter(id__in=self._postings().filter(round=value).values("cadre_id"))

    def with_role(self, queryset, name, value):
        return queryset.filter(id__in=self._postings().filter(role=value).values("cadre_id"))

    def with_status(self, queryset, name, value):
        return queryset.filter(id__in=self._postings().filter(status=value).values("cadre_id"))


class PostingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("干部或村名"), method="search")
    region = django_filters.ModelChoiceFilter(
        label=_("派驻区划"), queryset=scoped_regions, method="in_region", empty_label=_("全部")
    )
    unit = django_filters.ModelChoiceFilter(label=_("派驻单位"), queryset=scoped_units, empty_label=_("全部"))
    round = django_filters.ModelChoiceFilter(label=_("轮次"), queryset=scoped_rounds, empty_label=_("全部"))
    role = django_filters.ChoiceFilter(label=_("职务"), choices=PostingRole.choices, empty_label=_("全部"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=PostingStatus.choices, empty_label=_("全部"))
    o = django_filters.OrderingFilter(
        label=_("排序"),
        fields=(("start_date", "start_date"), ("cadre__name", "cadre"), ("village__code", "village")),
        field_labels={"start_date": _("到岗日期"), "cadre__name": _("干部"), "village__code": _("村")},
    )

    class Meta:
        model = Posting
        fields = ["q", "region", "unit", "round", "role", "status"]

    def search(self, queryset, name, value):
        text = normalize_text(value)
        return search_cadres(queryset, value, prefix="cadre__") | queryset.filter(village__name__icontains=text)

    def in_region(self, queryset, name, value):
        return queryset.filter(village__code__startswith=value.prefix)


class RoundFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("轮次名称"), field_name="name", lookup_expr="icontains")

    class Meta:
        model = DispatchRound
        fields = ["q"]
