"""List filters for cadres, rounds and postings (choices and rows scoped by the caller's selectors)."""
from functools import cached_property

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from villages.filters import scoped_regions
from villages.models import RegionLevel
from villages.selectors import unit_list
from villages.text import normalize_digits, normalize_text
from villages.validators import code_prefix

from .jurisdiction import scope_of
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

    # A province has ~1,300 regions down to townships and ~3,000 units: rendered as options they made the
    # page 250 KB and most of its time. The drop-downs therefore cascade: the region select offers the path
    # from the top of the jurisdiction to the chosen region and that region's children (static/js/filters.js
    # submits on change, so the next level appears; without JavaScript the filter button does the same), the
    # unit select the units located on that path, plus, from county level down, every unit of the region and
    # every unit that sent cadres there. Only the options shrink: a submitted value is still validated
    # against the whole scoped queryset (scoped_regions, scoped_units), so any region or unit in scope works
    # in a URL, and one outside it still matches nothing.
    @property
    def form(self):
        form = super().form
        if not getattr(self, "_choices_narrowed", False):
            self._choices_narrowed = True
            form.fields["region"].widget.choices = lambda: self._region_choices
            form.fields["region"].widget.attrs["data-autosubmit"] = "1"
            form.fields["unit"].widget.choices = lambda: self._unit_choices
        return form

    def _anchor(self):
        """The chosen region (valid and in scope), else the top of the user's jurisdiction (None for an
        admin without region, a unit or a cadre)."""
        chosen = getattr(self.form, "cleaned_data", {}).get("region")
        return chosen if chosen is not None else scope_of(self.request.user).region

    @staticmethod
    def _path_codes(region) -> list[str]:
        return [code_prefix(region.code, level).ljust(12, "0") for level in range(1, region.level + 1)]

    # Called when the widget renders (Django evaluates callable choices lazily, so after validation) and
    # possibly more than once: computed once.
    @cached_property
    def _region_choices(self):
        regions = scoped_regions(self.request)
        anchor = self._anchor()
        if anchor is not None:
            regions = regions.filter(Q(code__in=self._path_codes(anchor)) | Q(parent=anchor))
        elif scope_of(self.request.user).everything:
            regions = regions.filter(level__lte=RegionLevel.CITY)
        regions = list(regions.order_by("code"))
        top = min((r.level for r in regions), default=1)
        # Indented by depth (U+3000 survives the whitespace collapsing of <option> text).
        return [("", self.filters["region"].extra["empty_label"])] + [
            (r.pk, "\u3000" * (r.level - top) + r.name) for r in regions
        ]

    @cached_property
    def _unit_choices(self):
        units = scoped_units(self.request)
        anchor = self._anchor()
        chosen = getattr(self.form, "cleaned_data", {}).get("unit")
        keep = Q(pk=chosen.pk) if chosen is not None else Q(pk__in=[])
        if anchor is not None:
            near = Q(region__code__in=self._path_codes(anchor))
            if anchor.level >= RegionLevel.COUNTY:
                posted = Posting.objects.filter(village__code__startswith=anchor.prefix).values("cadre_id")
                senders = Cadre.objects.filter(id__in=posted).values("unit_id")
                near |= Q(region__code__startswith=anchor.prefix) | Q(pk__in=senders)
            units = units.filter(near | keep)
        elif scope_of(self.request.user).everything:
            units = units.filter(Q(level__lte=RegionLevel.CITY) | keep)
        return [("", self.filters["unit"].extra["empty_label"])] + [(u.pk, str(u)) for u in units]

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
