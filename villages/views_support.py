"""Dispatching-unit support (帮扶台账): a unit's ledger with yearly totals and flags, and the organization
department's overview of the units in its jurisdiction."""
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from cadres.audit import client_ip
from cadres.jurisdiction import scope_of
from cadres.mixins import add_service_errors
from cadres.models import Role
from cadres.selectors import policy_for

from . import selectors, services
from .models import DispatchingUnit, SupportKind, SupportRecord
from .selectors import hearings_required

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "input"}, format="%Y-%m-%d")
# Records listed per year on the ledger page; a unit enters a few dozen a year.
LEDGER_ROWS = 500


class SupportForm(forms.Form):
    """One item of support. Fields come from the model (labels, lengths); the rules are support_record's."""

    kind = SupportRecord._meta.get_field("kind").formfield()
    date = SupportRecord._meta.get_field("date").formfield(widget=DATE_WIDGET)
    village = forms.ModelChoiceField(label=SupportRecord._meta.get_field("village").verbose_name, queryset=None)
    amount_yuan = SupportRecord._meta.get_field("amount_yuan").formfield()
    title = SupportRecord._meta.get_field("title").formfield()
    description = SupportRecord._meta.get_field("description").formfield(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, unit: DispatchingUnit, **kwargs):
        super().__init__(*args, **kwargs)
        # The villages the unit has (or had) cadres in, inside the user's jurisdiction.
        self.fields["village"].queryset = (
            selectors.village_list(user=user).filter(postings__unit=unit).distinct().order_by("code")
        )
        self.fields["kind"].choices = SupportKind.choices
        self.fields["title"].help_text = _("如:拨付产业发展资金、引进茶叶加工项目、单位主要领导到村调研。")
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


def _year_param(raw: str | None, default: int) -> int:
    if raw and raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default


class UnitSupportView(LoginRequiredMixin, TemplateView):
    """/units/<pk>/support/: the ledger of one unit. Anyone who may see the unit reads it (404 otherwise);
    the unit's contact and the organization department add and delete items (403 for the others)."""

    template_name = "villages/support_ledger.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.unit = get_object_or_404(selectors.unit_list(user=request.user), pk=kwargs["pk"])
            self.can_record = services.support_can_record(user=request.user, unit=self.unit)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        form = SupportForm(user=request.user, unit=self.unit, initial={"date": timezone.localdate()}) \
            if self.can_record else None
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if not self.can_record:
            raise PermissionDenied(_("您的角色只能查看帮扶台账。"))
        form = SupportForm(request.POST, user=request.user, unit=self.unit)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.support_record(
                    actor=request.user, unit=self.unit, village=data["village"], kind=data["kind"],
                    date=data["date"], amount_yuan=data["amount_yuan"], title=data["title"],
                    description=data["description"], ip=client_ip(request),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("帮扶记录已登记。"))
                return redirect(reverse("villages:unit_support", args=[self.unit.pk]) + f"?year={data['date'].year}")
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, unit, today = self.request.user, self.unit, timezone.localdate()
        years = selectors.unit_support_summary(user=user, unit=unit, today=today)
        year = _year_param(self.request.GET.get("year"), today.year)
        records = list(
            selectors.support_list(user=user).filter(unit=unit, date__year=year).order_by("-date", "-pk")[:LEDGER_ROWS]
        )
        policy = policy_for(unit.region)
        ctx.update(
            unit=unit,
            years=years,
            year=year,
            year_choices=sorted({e.year for e in years} | {today.year}, reverse=True),
            records=records,
            can_record=self.can_record,
            policy=policy,
            hearings_split=hearings_required(policy.report_hearings_per_year),
        )
        return ctx


class SupportDeleteView(LoginRequiredMixin, View):
    """POST /units/<pk>/support/<record_pk>/delete/: remove a wrongly entered item."""

    def post(self, request, pk, record_pk):
        record = get_object_or_404(
            selectors.support_list(user=request.user).filter(unit_id=pk, unit__in=selectors.unit_list(user=request.user)),
            pk=record_pk,
        )
        services.support_delete(actor=request.user, record=record, ip=client_ip(request))  # 403 for read-only roles
        messages.success(request, _("已删除该帮扶记录。"))
        return redirect(reverse("villages:unit_support", args=[pk]) + f"?year={record.date.year}")


class SupportOverviewView(LoginRequiredMixin, TemplateView):
    """/support/: the organization department's view of every unit with cadres in its jurisdiction in a
    year: funds, projects, visits, hearings and what is missing. Units and their totals, never persons."""

    template_name = "villages/support_overview.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            scope = scope_of(request.user)
            if request.user.role not in (Role.ORG_DEPT, Role.ADMIN) or scope.is_empty:
                raise PermissionDenied(_("帮扶台账汇总由组织部查看。"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        year = _year_param(self.request.GET.get("year"), today.year)
        rows = selectors.support_overview(user=self.request.user, year=year, today=today)
        only_flagged = self.request.GET.get("flagged") == "1"
        flagged = [r for r in rows if r.flags]
        ctx.update(
            year=year,
            year_choices=list(range(today.year, today.year - 6, -1)),
            rows=flagged if only_flagged else rows,
            only_flagged=only_flagged,
            n_units=len(rows),
            n_flagged=len(flagged),
            funds_total=sum((r.entry.funds_yuan for r in rows), start=Decimal("0")),
            projects_total=sum(r.entry.projects for r in rows),
            visits_total=sum(r.entry.visits for r in rows),
            hearings_total=sum(r.entry.hearings for r in rows),
        )
        return ctx
