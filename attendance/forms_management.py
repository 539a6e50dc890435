"""Forms of the inspection, training and diary pages. They parse input only; every rule is the services'."""
import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadres.models import Cadre, Posting
from villages.models import Region
from villages.selectors import region_list, village_list

from .models import DiaryEntry, InspectionKind, TrainingEvent

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if not isinstance(field.widget, (forms.HiddenInput, forms.CheckboxInput, forms.CheckboxSelectMultiple)):
            field.widget.attrs.setdefault("class", "input")


class VillageChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class InspectionForm(forms.Form):
    date = forms.DateField(label=_("督查日期"), widget=DATE_WIDGET)
    kind = forms.ChoiceField(label=_("方式"), choices=InspectionKind.choices, initial=InspectionKind.PLANNED)
    inspectors = forms.CharField(label=_("督查人员"), max_length=200, help_text=_("如:县委组织部 王明、李华"))
    villages = VillageChoices(label=_("督查村"), queryset=None, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("督查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["villages"].queryset = village_list(user=user).order_by("code")
        _style(self)

    def villages_by_township(self) -> list[tuple[Region, list]]:
        """The village checkboxes grouped under their township, in code order."""
        chosen = {str(v) for v in (self["villages"].value() or [])}
        groups: dict[int, tuple[Region, list]] = {}
        for village in self.fields["villages"].queryset:
            group = groups.setdefault(village.township_id, (village.township, []))
            group[1].append((village, str(village.pk) in chosen))
        return list(groups.values())


class RectificationForm(forms.Form):
    description = forms.CharField(label=_("整改事项"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("责任单位(人)"), max_length=100)
    deadline = forms.DateField(label=_("整改期限"), widget=DATE_WIDGET)
    finding = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class CadreChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        posting = getattr(obj, "current_village", None)
        return f"{obj.name}({posting})" if posting else obj.name


class TrainingForm(forms.ModelForm):
    whole_region = forms.ModelChoiceField(
        label=_("全体参加"), queryset=None, required=False, empty_label=_("(不选)"),
        help_text=_("选择区划后,该区划在活动期间派驻的全体驻村干部均为参加人员。"),
    )
    cadres = CadreChoices(
        label=_("参加人员"), queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("按住 Ctrl(手机上直接点选)可多选;与“全体参加”合并。"),
    )

    class Meta:
        model = TrainingEvent
        fields = ["title", "kind", "start_date", "end_date", "location", "counts_as_training", "note"]
        widgets = {
            "start_date": DATE_WIDGET, "end_date": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        region = user.region
        self.fields["whole_region"].queryset = region_list(user=user).filter(
            code__startswith=region.prefix, level__lte=Region.Level.TOWNSHIP
        ).order_by("code")
        today = timezone.localdate()
        postings = Posting.objects.filter(village__code__startswith=region.prefix).overlapping(
            today - datetime.timedelta(days=366), None
        )
        self.fields["cadres"].queryset = Cadre.objects.filter(pk__in=postings.values("cadre_id")).order_by("name", "pk")
        if self.instance.pk:
            self.fields["cadres"].initial = list(self.instance.participants.values_list("cadre_id", flat=True))
        _style(self)


class DiaryForm(forms.ModelForm):
    class Meta:
        model = DiaryEntry
        fields = [
            "day", "text", "households_visited", "disputes_found", "disputes_resolved", "practical_matters",
            "projects_started", "funds_yuan", "jobs_created", "major_event", "major_event_note",
        ]
        widgets = {
            "day": DATE_WIDGET,
            "text": forms.Textarea(attrs={"rows": 6, "placeholder": _("今天走访了哪些农户、听到什么诉求、办了什么事……")}),
            "major_event_note": forms.TextInput(attrs={"placeholder": _("如:村民集体上访、突发安全事故等")}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DiaryEntry.OUTCOME_FIELDS:
            self.fields[name].required = False
            self.fields[name].widget.attrs.update({"inputmode": "decimal" if name == "funds_yuan" else "numeric",
                                                    "min": "0", "placeholder": "0"})
            if self.instance.pk is None:
                self.fields[name].initial = None  # blank, not a 0 to delete first: most days have no outcome
        self.fields["major_event"].help_text = _("勾选后立即报告乡镇党委。")
        _style(self)

    def outcomes(self) -> dict:
        return {name: self.cleaned_data.get(name) or 0 for name in DiaryEntry.OUTCOME_FIELDS}
