"""Leave pages: the list with its tabs (queue, all, filings, overdue returns), request, detail with history
and the actions (approve, reject, withdraw, return), and notifications."""
import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from cadres.audit import client_ip
from cadres.mixins import add_service_errors
from cadres.models import Role

from .. import selectors, services
from ..forms import DecisionForm, LeaveForm, ReturnForm
from ..models import LeaveStatus, Notification
from ..services.leave import DECIDE_RELATED, can_act_for_cadre, can_decide, leave_chain

TABS = ("queue", "mine", "all", "filings", "overdue")


class LeaveListView(LoginRequiredMixin, ListView):
    template_name = "attendance/leave_list.html"
    paginate_by = 25

    def get_tab(self) -> str:
        user = self.request.user
        tab = self.request.GET.get("tab", "")
        if tab in TABS:
            return tab
        if user.role == Role.CADRE:
            return "mine"
        return "queue" if selectors.leave_queue(user=user).exists() else "all"

    def get_queryset(self):
        user, tab = self.request.user, self.get_tab()
        if tab == "queue":
            qs = selectors.leave_queue(user=user)
        elif tab == "filings":
            qs = selectors.leave_filings(user=user)
        elif tab == "overdue":
            qs = selectors.overdue_returns(user=user)
        else:
            qs = selectors.leave_list(user=user).order_by("-start_date", "-pk")
        status = self.request.GET.get("status", "")
        if status in LeaveStatus.values:
            qs = qs.filter(status=status)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx["tab"] = self.get_tab()
        ctx["queue_count"] = selectors.leave_queue(user=user).count()
        ctx["overdue_count"] = selectors.overdue_returns(user=user).count()
        ctx["is_approver"] = services.leave.approver_level_of(user) is not None
        ctx["shows_filings"] = user.role == Role.ORG_DEPT
        ctx["can_request"] = user.role in (Role.CADRE, Role.TOWNSHIP, Role.ORG_DEPT)
        ctx["statuses"] = LeaveStatus.choices
        return ctx


class LeaveCreateView(LoginRequiredMixin, FormView):
    template_name = "attendance/leave_form.html"
    form_class = LeaveForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in (Role.CADRE, Role.TOWNSHIP, Role.ORG_DEPT):
            raise PermissionDenied(_("您的角色不能提交请假。"))
        self.extends = None
        if request.user.is_authenticated and request.GET.get("extends", "").isdigit():
            self.extends = get_object_or_404(selectors.leave_list(user=request.user), pk=request.GET["extends"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        if self.extends is not None:
            nxt = self.extends.end_date + datetime.timedelta(days=1) if self.extends.end_half == "pm" else \
                self.extends.end_date
            initial.update({
                "cadre": self.extends.cadre_id, "kind": self.extends.kind, "start_date": nxt,
                "start_half": "am" if self.extends.end_half == "pm" else "pm", "end_date": nxt,
            })
        elif self.request.user.role == Role.CADRE:
            initial["cadre"] = self.request.user.cadre_id
        return initial

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["extends"] = self.extends
        return ctx

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            leave = services.leave_request(
                actor=self.request.user, cadre=data["cadre"], kind=data["kind"], start_date=data["start_date"],
                start_half=data["start_half"], end_date=data["end_date"], end_half=data["end_half"],
                reason=data["reason"], extends=self.extends,
                retroactive_reason=data.get("retroactive_reason", ""), ip=client_ip(self.request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        if leave.status == LeaveStatus.APPROVED:
            messages.success(self.request, _("已补办并批准该请假。"))
        else:
            messages.success(
                self.request,
                _("请假已提交,共%(days)s天,由%(approver)s审批。") % {
                    "days": leave.days, "approver": leave.approver_region.name + leave.get_approver_level_display()},
            )
        return redirect(leave.get_absolute_url())


class LeaveDetailView(LoginRequiredMixin, DetailView):
    template_name = "attendance/leave_detail.html"
    context_object_name = "leave"

    def get_queryset(self):
        return selectors.leave_list(user=self.request.user).select_related(
            "posting__round", "decided_by", "requested_by", "extends"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, leave = self.request.user, self.object
        today = timezone.localdate()
        ctx["events"] = leave.events.select_related("actor")
        ctx["filed_with"] = list(leave.filed_with.all())
        ctx["extensions"] = leave.extensions.all()
        ctx["can_decide"] = leave.status == LeaveStatus.SUBMITTED and can_decide(user, leave)
        acts = can_act_for_cadre(user, leave)
        ctx["can_withdraw"] = acts and leave.status in (LeaveStatus.SUBMITTED, LeaveStatus.APPROVED) \
            and leave.start_date > today
        ctx["can_return"] = acts and leave.status == LeaveStatus.APPROVED and leave.start_date <= today
        ctx["can_extend"] = acts and leave.status == LeaveStatus.APPROVED
        ctx["decision_form"] = DecisionForm()
        ctx["return_form"] = ReturnForm(initial={"returned_on": today})
        return ctx


class LeaveActionView(LoginRequiredMixin, View):
    """POST only: approve, reject, withdraw, return. The leave is fetched through the user's scope first,
    so a request outside it answers 404; the service then checks the user's right to act."""

    http_method_names = ["post"]

    def post(self, request, pk, action):
        # Selecting what a decision reads (and only that: not the list's township and approver), so the service
        # does not read the leave again.
        leave = get_object_or_404(
            selectors.leave_list(user=request.user).select_related(None).select_related(*DECIDE_RELATED), pk=pk)
        ip = client_ip(request)
        try:
            if action in ("approve", "reject"):
                form = DecisionForm(request.POST)
                form.is_valid()
                comment = form.cleaned_data.get("comment", "")
                if action == "approve":
                    services.leave_approve(actor=request.user, leave_id=leave.pk, comment=comment, ip=ip,
                                           leave=leave)
                    messages.success(request, _("已批准。"))
                else:
                    services.leave_reject(actor=request.user, leave_id=leave.pk, comment=comment, ip=ip,
                                          leave=leave)
                    messages.success(request, _("已驳回。"))
            elif action == "withdraw":
                services.leave_withdraw(actor=request.user, leave_id=leave.pk, ip=ip)
                messages.success(request, _("请假已撤回。"))
            elif action == "return":
                form = ReturnForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("请填写有效的返岗日期。"))
                done = services.leave_return(
                    actor=request.user, leave_id=leave.pk, returned_on=form.cleaned_data["returned_on"], ip=ip
                )
                # The lateness is recorded on the last leave of the chain, which is an extension when the
                # cadre returns through the original.
                late = sum(item.late_days for item in leave_chain(done))
                if late:
                    messages.warning(request, _("已销假。逾期%(n)d天,已记为缺勤。") % {"n": late})
                else:
                    messages.success(request, _("已销假。"))
            else:
                raise PermissionDenied
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect(leave.get_absolute_url())


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "attendance/notification_list.html"
    paginate_by = 30

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)


class NotificationReadView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        return redirect(reverse("attendance:notifications"))


urlpatterns = [
    path("leave/", LeaveListView.as_view(), name="leave_list"),
    path("leave/new/", LeaveCreateView.as_view(), name="leave_create"),
    path("leave/<int:pk>/", LeaveDetailView.as_view(), name="leave_detail"),
    path("leave/<int:pk>/<str:action>/", LeaveActionView.as_view(), name="leave_action"),
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", NotificationReadView.as_view(), name="notifications_read"),
]
