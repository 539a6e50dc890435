from django import forms
from django.utils.translation import gettext_lazy as _

from villages.forms import ScopedModelForm
from villages.models import RegionLevel
from villages.selectors import region_list, unit_list, village_list
from villages.text import normalize_text

from .models import Cadre, DispatchRound, Posting, PostingStatus
from .selectors import cadre_list, posting_list, round_list
from .validators import normalize_id_number, normalize_phone

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CadreForm(ScopedModelForm):
    class Meta:
        model = Cadre
        fields = [
            "name", "id_number", "gender", "birth_date", "ethnicity", "phone", "political_status", "education",
            "unit", "original_post", "rank", "is_reserve_cadre",
        ]
        widgets = {"birth_date": DATE_WIDGET}
        help_texts = {"gender": _("留空则按身份证号码自动填写。"), "birth_date": _("留空则按身份证号码自动填写。")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_list(user=self.user)
        self.fields["gender"].required = False
        self.fields["birth_date"].required = False

    def clean_name(self):
        name = normalize_text(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("请填写姓名。"))
        return name

    def clean_id_number(self):
        return normalize_id_number(self.cleaned_data["id_number"])

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def _post_clean(self):
        # Birth date and gender may be left empty and are then derived by the service; the model's
        # full_clean runs there, after they are filled.
        self._validate_unique = False
        opts = self._meta
        from django.forms.models import construct_instance

        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)


class RoundForm(ScopedModelForm):
    class Meta:
        model = DispatchRound
        fields = ["name", "region", "start_date", "end_date", "note"]
        widgets = {"start_date": DATE_WIDGET, "end_date": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_list(user=self.user).filter(level__lte=RegionLevel.COUNTY)


class PostingForm(ScopedModelForm):
    class Meta:
        model = Posting
        fields = ["cadre", "village", "round", "unit", "role", "status", "start_date", "end_date", "replaces", "note"]
        widgets = {"start_date": DATE_WIDGET, "end_date": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"unit": _("留空则为干部的原单位。")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadre_list(user=self.user)
        self.fields["village"].queryset = village_list(user=self.user)
        self.fields["round"].queryset = round_list(user=self.user)
        self.fields["unit"].queryset = unit_list(user=self.user)
        self.fields["unit"].required = False
        ended = posting_list(user=self.user).exclude(status=PostingStatus.IN_POST)
        if self.instance.pk:
            ended = ended.exclude(pk=self.instance.pk)
        self.fields["replaces"].queryset = ended
        self.fields["replaces"].required = False

    def _post_clean(self):
        # Cross-record rules and full_clean run in services.posting_save, inside the transaction that holds
        # the cadre lock; here only the instance is built.
        from django.forms.models import construct_instance

        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
