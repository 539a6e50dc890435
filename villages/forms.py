from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DispatchingUnit, Village
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
