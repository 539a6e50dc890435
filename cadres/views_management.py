"""Pages of the management workflows: recall and replacement (召回替补), annual evaluation (年度考核), awards and
discipline (工作激励) and the printable dossier (档案).

Every page first reads its object through a selector taking user= (outside the jurisdiction: 404), then
checks the action (seen but not allowed: 403); state changes are POSTs that call one service."""
import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView

from villages.models import RegionLevel
from villages.selectors import region_list

from . import selectors, services
from .audit import client_ip
from .forms_management import AwardForm, EvaluationForm, RecallDecideForm, RecallProposeForm
from .jurisdiction import can_manage, scope_of
from .mixins import ScopedQuerysetMixin, add_service_errors
from .models import AWARD_KINDS, AwardKind, EvaluationGrade, RecallStatus

# --- recall and replacement --------------------------------------------------------------------------------


class RecallListView(ScopedQuerysetMixin, ListView):
    """Recalls in the user's jurisdiction; on top, the proposals waiting for this user's decision and the
    replacements still owed (overdue ones flagged)."""

    selector = selectors.recall_list
    template_name = "cadres/recall_list.html"
    context_object_name = "recalls"
    paginate_by = 25

    def get_queryset(self):
        qs = super().get_queryset().order_by("-proposed_at", "-pk")
        status = self.request.GET.get("status", "")
        if status in RecallStatus.values:
            qs = qs.filter(status=status)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["queue"] = selectors.recall_queue(user=user)
        ctx["replacements"] = selectors.replacements_pending(user=user)
        ctx["today"] = selectors.today()
        ctx["status"] = self.request.GET.get("status", "")
        ctx["statuses"] = RecallStatus.choices
        return ctx


class RecallProposeView(LoginRequiredMixin, FormView):
    """提出召回 for one posting: the organization department of the county or city, or the dispatching unit."""

    form_class = RecallProposeForm
    template_name = "cadres/recall_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.posting = get_object_or_404(
            selectors.posting_list(user=request.user).select_related("village__township__parent"), pk=kwargs["pk"]
        )
        if not selectors.recall_can_propose(user=request.user, posting=self.posting):
            raise PermissionDenied(_("您的角色不能提出召回。"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["posting"] = self.posting
        ctx["decider"] = selectors.recall_decider(posting=self.posting)
        ctx["pending"] = self.posting.recalls.filter(status=RecallStatus.PROPOSED).first()
        ctx["deadline_days"] = selectors.policy_for(self.posting.village.township).replacement_deadline_days
        return ctx

    def form_valid(self, form):
        try:
            recall = services.recall_propose(
                actor=self.request.user, posting=self.posting, reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"], recall_date=form.cleaned_data["recall_date"],
                ip=client_ip(self.request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("召回申请已提交,等待%(body)s审批。") % {
            "body": _("%(region)s委组织部") % {"region": recall.decider_region.name}})
        return redirect(recall.get_absolute_url())


class RecallDetailView(ScopedQuerysetMixin, DetailView):
    selector = selectors.recall_list
    template_name = "cadres/recall_detail.html"
    context_object_name = "recall"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        recall = self.object
        ctx["can_decide"] = (
            recall.status == RecallStatus.PROPOSED and selectors.recall_can_decide(user=self.request.user, recall=recall)
        )
        if ctx["can_decide"] and "form" not in kwargs:
            ctx["form"] = RecallDecideForm(initial={"recall_date": recall.recall_date or selectors.today()})
        ctx["today"] = selectors.today()
        ctx["deadline_days"] = selectors.policy_for(recall.posting.village.township).replacement_deadline_days
        ctx["can_replace"] = (
            recall.status == RecallStatus.APPROVED and can_manage(self.request.user)
            and not hasattr(recall.posting, "replaced_by")
        )
        return ctx


class RecallDecideView(LoginRequiredMixin, View):
    """POST only: approve (ends the posting as recalled) or reject a proposed recall."""

    def post(self, request, pk):
        recall = get_object_or_404(selectors.recall_list(user=request.user), pk=pk)
        if not selectors.recall_can_decide(user=request.user, recall=recall):
            raise PermissionDenied(_("该召回不由您审批。"))
        form = RecallDecideForm(request.POST)
        if form.is_valid():
            try:
                services.recall_decide(
                    actor=request.user, recall_id=recall.pk, approve=form.cleaned_data["decision"] == "approve",
                    comment=form.cleaned_data["comment"], recall_date=form.cleaned_data["recall_date"],
                    ip=client_ip(request),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                recall.refresh_from_db()
                if recall.status == RecallStatus.APPROVED:
                    messages.success(request, _("已批准召回;派驻单位应于%(due)s前选派替补。") % {
                        "due": recall.replacement_due.isoformat()})
                else:
                    messages.success(request, _("已驳回召回申请。"))
                return redirect(recall.get_absolute_url())
        view = RecallDetailView(request=request, kwargs={"pk": pk}, object=recall)
        return view.render_to_response(view.get_context_data(object=recall, form=form))


# --- annual evaluation -------------------------------------------------------------------------------------


def _default_year(today: datetime.date) -> int:
    # Evaluations are made in December and January: until December the year to work on is the last one.
    return today.year if today.month == 12 else today.year - 1


def _year_param(request) -> int:
    today = selectors.today()
    raw = request.GET.get("year", "")
    if raw.isdigit() and 2000 <= int(raw) <= today.year:
        return int(raw)
    return _default_year(today)


class EvaluationListView(LoginRequiredMixin, TemplateView):
    """The year's roster: every cadre in post during the year in the user's jurisdiction, their absences found,
    any recall, and the evaluation (editable by the county organization department that decides it)."""

    template_name = "cadres/evaluation_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, year = self.request.user, _year_param(self.request)
        counties = list(region_list(user=user).filter(level=RegionLevel.COUNTY).order_by("code"))
        county = None
        wanted = self.request.GET.get("county", "")
        if wanted:
            if not wanted.isdigit():
                raise Http404
            county = get_object_or_404(region_list(user=user).filter(level=RegionLevel.COUNTY), pk=int(wanted))
        elif scope_of(user).region is not None and scope_of(user).region.level == RegionLevel.COUNTY:
            county = scope_of(user).region
        rows = selectors.evaluation_roster(user=user, year=year, county=county)
        counts = {g: 0 for g in EvaluationGrade.values}
        for row in rows:
            if row.evaluation is not None:
                counts[row.evaluation.grade] += 1
        cap = None
        if county is not None:
            policy = selectors.policy_for(county)
            cap = selectors.excellent_cap(county=county, year=year, policy=policy)
            ctx["cap_text"] = cap.explain(county=county, year=year) if cap else ""
            ctx["policy"] = policy
        ctx.update(
            year=year, years=list(range(selectors.today().year, 2022, -1)), counties=counties, county=county,
            rows=rows, grade_counts=[(EvaluationGrade(g).label, n) for g, n in counts.items()],
            evaluated=sum(counts.values()), cap=cap,
        )
        return ctx


class EvaluationEditView(LoginRequiredMixin, FormView):
    """One cadre's evaluation for one year, with the limits that apply to them and why."""

    form_class = EvaluationForm
    template_name = "cadres/evaluation_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.year = kwargs["year"]
        self.cadre = get_object_or_404(selectors.cadre_list(user=request.user), pk=kwargs["cadre_pk"])
        self.posting = selectors.evaluation_posting(cadre=self.cadre, year=self.year)
        if self.posting is None or not selectors.posting_list(user=request.user).filter(pk=self.posting.pk).exists():
            raise Http404
        if not selectors.evaluation_can_decide(user=request.user, posting=self.posting):
            raise PermissionDenied(_("年度考核由干部所驻村的县(区)委组织部确定。"))
        self.evaluation = self.cadre.evaluations.filter(year=self.year).first()
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return EvaluationForm.initial_from(self.evaluation)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        county = self.posting.village.township.parent
        policy = selectors.policy_for(self.posting.village.township)
        limits = selectors.evaluation_limits(cadre=self.cadre, year=self.year, policy=policy, county=county)
        ctx.update(
            cadre=self.cadre, year=self.year, posting=self.posting, evaluation=self.evaluation, policy=policy,
            limits=limits, county=county,
            allowed_labels=[EvaluationGrade(g).label for g in limits.allowed],
            refused=[(EvaluationGrade(g).label, limits.refusal(g)) for g in EvaluationGrade.values
                     if limits.refusal(g)],
        )
        return ctx

    def form_valid(self, form):
        try:
            evaluation = services.evaluation_save(
                actor=self.request.user, cadre=self.cadre, year=self.year, grade=form.cleaned_data["grade"],
                comment=form.cleaned_data["comment"], votes=form.votes(), aspects=form.aspects(),
                ip=client_ip(self.request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存%(name)s的%(year)d年度考核:%(grade)s。") % {
            "name": self.cadre.name, "year": self.year, "grade": evaluation.get_grade_display()})
        if evaluation.proposed_recall is not None:
            messages.warning(self.request, _("考核为不称职,已提出召回,等待审批。"))
        return redirect(f"{reverse('cadres:evaluation_list')}?year={self.year}")


# --- awards and discipline ---------------------------------------------------------------------------------


class AwardListView(ScopedQuerysetMixin, ListView):
    selector = selectors.award_list
    template_name = "cadres/award_list.html"
    context_object_name = "awards"
    paginate_by = 50

    def get_queryset(self):
        qs = super().get_queryset().order_by("-date", "-pk")
        params = self.request.GET
        self.cadre = None
        if params.get("cadre", "").isdigit():
            self.cadre = get_object_or_404(selectors.cadre_list(user=self.request.user), pk=int(params["cadre"]))
            qs = qs.filter(cadre=self.cadre)
        side = params.get("side", "")
        if side == "award":
            qs = qs.filter(kind__in=AWARD_KINDS)
        elif side == "discipline":
            qs = qs.exclude(kind__in=AWARD_KINDS)
        if params.get("year", "").isdigit():
            qs = qs.filter(date__year=int(params["year"]))
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["cadre"] = self.cadre
        ctx["can_record"] = self.cadre is not None and selectors.award_can_record(
            user=self.request.user, cadre=self.cadre
        )
        ctx["side"] = self.request.GET.get("side", "")
        ctx["year"] = self.request.GET.get("year", "")
        ctx["years"] = list(range(selectors.today().year, 2022, -1))
        return ctx


class AwardCreateView(LoginRequiredMixin, FormView):
    """登记奖惩 for one cadre: organization departments (and admins of a region) of cadres they see."""

    form_class = AwardForm
    template_name = "cadres/award_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.cadre = get_object_or_404(selectors.cadre_list(user=request.user), pk=kwargs["pk"])
        if not selectors.award_can_record(user=request.user, cadre=self.cadre):
            raise PermissionDenied(_("您的角色不能登记奖惩记录。"))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        user = self.request.user
        initial = {"date": selectors.today()}
        if user.region_id:
            initial["level"] = user.region.level
            initial["issuing_body"] = _("中共%(region)s委组织部") % {"region": user.region.name}
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["cadre"] = self.cadre
        ctx["recalled"] = selectors.recalled_in_year(cadre_ids=[self.cadre.pk], year=selectors.today().year).get(
            self.cadre.pk
        )
        ctx["kinds_award"] = [AwardKind(k).label for k in AwardKind.values if k in AWARD_KINDS]
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            award = services.award_record(
                actor=self.request.user, cadre=self.cadre, kind=data["kind"], date=data["date"],
                level=data["level"], issuing_body=data["issuing_body"], document_number=data["document_number"],
                reason=data["reason"], ip=client_ip(self.request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("已登记:%(award)s。") % {"award": award})
        return redirect(award.get_absolute_url())


# --- the dossier -------------------------------------------------------------------------------------------


class DossierView(ScopedQuerysetMixin, DetailView):
    """档案: one cadre's record on one page set, printable on A4 (static/css/print.css)."""

    selector = selectors.cadre_list
    template_name = "cadres/dossier.html"
    context_object_name = "cadre"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(selectors.cadre_dossier(user=self.request.user, cadre=self.object))
        ctx["printed_on"] = selectors.today()
        ctx["age"] = self.object.age_on(selectors.today())
        ctx["can_manage"] = can_manage(self.request.user)
        ctx["region_level_labels"] = dict(RegionLevel.choices)
        return ctx

