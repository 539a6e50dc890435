from django import forms
from django.utils.translation import gettext_lazy as _

from cadres.models import PostingStatus, Role
from cadres.selectors import cadre_list

from .models import DayStatus, HalfDay, LeaveKind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LeaveForm(forms.Form):
    cadre = forms.ModelChoiceField(label=_("请假干部"), queryset=None)
    kind = forms.ChoiceField(label=_("请假类型"), choices=LeaveKind.choices)
    start_date = forms.DateField(label=_("开始日期"), widget=DATE_WIDGET)
    start_half = forms.ChoiceField(label=_("开始于"), choices=HalfDay.choices, initial=HalfDay.AM)
    end_date = forms.DateField(label=_("结束日期"), widget=DATE_WIDGET)
    end_half = forms.ChoiceField(label=_("结束于"), choices=HalfDay.choices, initial=HalfDay.PM)
    reason = forms.CharField(label=_("请假事由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    retroactive_reason = forms.CharField(
        label=_("补办理由"), max_length=300, required=False,
        help_text=_("仅审批单位为已开始的紧急请假补办手续时填写。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.role == Role.CADRE:
            self.fields["cadre"].queryset = cadre_list(user=user)
            self.fields["cadre"].initial = user.cadre_id
            self.fields["cadre"].widget = forms.HiddenInput()
            del self.fields["retroactive_reason"]
        else:
            self.fields["cadre"].queryset = (
                cadre_list(user=user).filter(postings__status=PostingStatus.IN_POST).distinct().order_by("name")
            )
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "input")


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("审批意见"), max_length=300, required=False)


class ReturnForm(forms.Form):
    returned_on = forms.DateField(label=_("实际返岗日期"), widget=DATE_WIDGET)


class BulkForm(forms.Form):
    """Mark a range of days for the selected cadres in one go."""

    date_from = forms.DateField(label=_("从"), widget=DATE_WIDGET)
    date_to = forms.DateField(label=_("到"), widget=DATE_WIDGET)
    status = forms.ChoiceField(
        label=_("标记为"), choices=[c for c in DayStatus.choices if c[0] != DayStatus.LEAVE],
        initial=DayStatus.PRESENT,
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


class CorrectionForm(forms.Form):
    new_status = forms.ChoiceField(
        label=_("更正为"), choices=[c for c in DayStatus.choices if c[0] != DayStatus.LEAVE]
    )
    reason = forms.CharField(label=_("更正理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
