"""Forms of the management workflows. They parse and label the fields; every rule is in cadres.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from villages.models import RegionLevel

from .forms import DATE_WIDGET
from .models import AspectRating, AwardKind, AwardRecord, Evaluation, EvaluationGrade, Recall, RecallReason


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if not isinstance(field.widget, forms.RadioSelect | forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "input")


class RecallProposeForm(forms.Form):
    reason = forms.ChoiceField(label=_("召回原因"), choices=[("", "—")] + RecallReason.choices)
    note = forms.CharField(
        label=_("情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明事实和依据;原因为“其他”时必填。"),
    )
    recall_date = forms.DateField(
        label=_("建议召回日期"), required=False, widget=DATE_WIDGET,
        help_text=Recall._meta.get_field("recall_date").help_text,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class RecallDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审批结果"), choices=[("approve", _("批准召回")), ("reject", _("驳回"))], widget=forms.RadioSelect
    )
    recall_date = forms.DateField(
        label=_("召回日期"), required=False, widget=DATE_WIDGET,
        help_text=_("批准时派驻记录在该日结束;留空则用提出时的建议日期,没有建议日期时为今天。"),
    )
    comment = forms.CharField(
        label=_("审批意见"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("驳回时必填。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class EvaluationForm(forms.Form):
    """The democratic rating (votes per grade), the five aspects 德能勤绩廉 and the organization's decision."""

    votes_excellent = forms.IntegerField(label=_("优秀票"), min_value=0, max_value=9999, initial=0)
    votes_competent = forms.IntegerField(label=_("称职票"), min_value=0, max_value=9999, initial=0)
    votes_basic = forms.IntegerField(label=_("基本称职票"), min_value=0, max_value=9999, initial=0)
    votes_incompetent = forms.IntegerField(label=_("不称职票"), min_value=0, max_value=9999, initial=0)
    grade = forms.ChoiceField(label=_("考核等次"), choices=EvaluationGrade.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("组织评语"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    VOTES = ("votes_excellent", "votes_competent", "votes_basic", "votes_incompetent")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in Evaluation.ASPECTS:
            self.fields[name] = forms.ChoiceField(
                label=Evaluation._meta.get_field(name).verbose_name,
                choices=[("", "—")] + AspectRating.choices, required=False,
            )
        # Decision last, after the inputs it rests on.
        self.order_fields([*self.VOTES, *Evaluation.ASPECTS, "grade", "comment"])
        _styled(self)

    @classmethod
    def initial_from(cls, evaluation: Evaluation | None) -> dict:
        if evaluation is None:
            return {}
        return {name: getattr(evaluation, name) for name in (*cls.VOTES, *Evaluation.ASPECTS, "grade", "comment")}

    def votes(self) -> dict[str, int]:
        return {name.removeprefix("votes_"): self.cleaned_data[name] or 0 for name in self.VOTES}

    def aspects(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in Evaluation.ASPECTS}

    def vote_fields(self):
        return [self[name] for name in self.VOTES]

    def aspect_fields(self):
        return [self[name] for name in Evaluation.ASPECTS]


class AwardForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=[("", "—")] + AwardKind.choices)
    date = forms.DateField(label=_("日期"), widget=DATE_WIDGET)
    level = forms.TypedChoiceField(
        label=_("级别"), coerce=int, choices=[("", "—")] + list(RegionLevel.choices),
        help_text=_("发文单位的层级。"),
    )
    issuing_body = forms.CharField(label=_("发文单位"), max_length=100, help_text=_("如“中共云溪县委组织部”。"))
    document_number = forms.CharField(
        label=_("文号"), max_length=60, required=False,
        help_text=AwardRecord._meta.get_field("document_number").help_text,
    )
    reason = forms.CharField(label=_("事由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)
