from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from . import services
from .models import DispatchingUnit, LeaveRoute, Policy, Village
from .selectors import region_list, township_choices, village_list
from .text import normalize_digits, normalize_text


class ScopedModelForm(forms.ModelForm):
    """A ModelForm whose choice fields are limited to the user's jurisdiction."""

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            field.widget.attrs.setdefault("class", "input")


class VillageForm(ScopedModelForm):
    class Meta:
        model = Village
        fields = [
            "code", "name", "township", "categories", "latitude", "longitude", "paired_with",
            "population", "households", "note",
        ]
        widgets = {
            "categories": forms.CheckboxSelectMultiple,
            "note": forms.Textarea(attrs={"rows": 3}),
            "code": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 14}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = township_choices(user=self.user)
        paired = village_list(user=self.user)
        if self.instance.pk:
            paired = paired.exclude(pk=self.instance.pk)
        self.fields["paired_with"].queryset = paired

    def clean_code(self):
        return normalize_digits(self.cleaned_data["code"])

    def clean_name(self):
        return normalize_text(self.cleaned_data["name"])


class UnitForm(ScopedModelForm):
    class Meta:
        model = DispatchingUnit
        fields = ["name", "level", "region", "contact_name", "contact_phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_list(user=self.user)
        self.fields["region"].help_text = _("单位所属的同级区划,如市直单位选择本市。")

    def clean_name(self):
        return normalize_text(self.cleaned_data["name"])

    def clean_contact_phone(self):
        from cadres.validators import normalize_phone, validate_phone

        phone = normalize_phone(self.cleaned_data.get("contact_phone", ""))
        if phone:
            validate_phone(phone)
        return phone


def _range_of(model_field) -> dict:
    """min_value/max_value for a form field from the model field's validators, so the ranges stay defined
    once (on the model) and the browser's number input shows them too."""
    low = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
    high = [v.limit_value for v in model_field.validators if isinstance(v, MaxValueValidator)]
    bounds = {}
    if low:
        bounds["min_value"] = max(low)
    if high:
        bounds["max_value"] = min(high)
    return bounds


class PolicyForm(forms.Form):
    """Every editable Policy field. A plain Form built from the model fields (labels, help texts, ranges,
    choices): policy_update writes the row, and a ModelForm would report the team-size check constraint
    with Django's generic message instead of ours."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in services.POLICY_FIELDS:
            model_field = Policy._meta.get_field(name)
            field = model_field.formfield(**_range_of(model_field))
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "input"
            self.fields[name] = field
        # A field the submission leaves out entirely keeps its value, as in a ModelForm (checkboxes are never
        # "left out"): a client that predates a newer policy field does not fail on, or reset, that field.
        # policy_update keeps missing fields and re-checks the cross-field rules on the merged values.
        self.omitted = set()
        if self.is_bound:
            for name, field in self.fields.items():
                if field.widget.value_omitted_from_data(self.data, self.files, self.add_prefix(name)):
                    field.required = False
                    self.omitted.add(name)

    def clean(self):
        data = super().clean()
        for name in self.omitted:
            data.pop(name, None)
        services.policy_values_check(data)
        return data


class LeaveRouteForm(forms.Form):
    """One row of the routing table: leave up to `max_days` (empty: any longer leave) goes to the approver,
    and is filed with the levels ticked."""

    max_days = LeaveRoute._meta.get_field("max_days").formfield(
        **_range_of(LeaveRoute._meta.get_field("max_days"))
    )
    approver_level = forms.TypedChoiceField(
        label=_("审批单位"),
        coerce=int,
        choices=lambda: [("", "—")] + [(lv.value, services.level_body(lv)) for lv in services.APPROVER_LEVELS],
    )
    filing_levels = forms.TypedMultipleChoiceField(
        label=_("报备案"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: [(lv.value, services.level_body(lv)) for lv in services.FILING_LEVELS],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["max_days"].widget.attrs.update({"class": "input", "step": "0.5"})
        self.fields["approver_level"].widget.attrs["class"] = "input"


class BaseLeaveRouteFormSet(forms.BaseFormSet):
    def routes(self) -> list[dict]:
        """The rows kept, in the order entered (blank extra rows and rows ticked for deletion left out)."""
        return [
            {key: form.cleaned_data[key] for key in ("max_days", "approver_level", "filing_levels")}
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]

    def clean(self):
        if any(self.errors):
            return
        services.leave_routes_check(self.routes())


LeaveRouteFormSet = forms.formset_factory(
    LeaveRouteForm, formset=BaseLeaveRouteFormSet, extra=1, can_delete=True, max_num=20, validate_max=True
)
