"""Management pages (六项管理制度): inspections with their findings and rectification items, training / theory
study / work exchange events with participants and attendance, and the work diary.

Every page reads through attendance.selectors_management with user=: an object outside the user's
jurisdiction answers 404; a user who may see an object but not act on it gets 403 on the action. State changes
only on POST, each through one service."""
import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from cadres.audit import client_ip
from cadres.jurisdiction import scope_of
from cadres.mixins import add_service_errors
from cadres.models import EvaluationGrade, Role
from cadres.selectors import evaluation_limits, inspection_absences, policy_for
from villages.models import Region
from villages.selectors import region_list

from .. import selectors_management as sm
from ..forms_management import DiaryForm, InspectionForm, RectificationForm, TrainingForm
from ..models import (
    AttendanceDay,
    DayStatus,
    DiaryEntry,
    FindingResult,
    InspectionKind,
    RectificationStatus,
    TrainingKind,
    TrainingParticipant,
)
from ..services.diary import diary_write
from ..services.inspection import (
    approved_leave_on,
    can_manage_inspection,
    can_record_inspections,
    inspection_record,
    postings_on,
    rectification_close,
    rectification_open,
)
from ..services.register import next_month
from ..services.training import (
    can_manage_event,
    can_organize,
    eligible_cadres,
    training_attendance_save,
    training_event_cancel,
    training_event_save,
)
from .register import parse_month

ONE_DAY = datetime.timedelta(days=1)
OFFICIALS = (Role.ORG_DEPT, Role.TOWNSHIP, Role.ADMIN)


def _errors_to_messages(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# ---------------------------------------------------------------- inspections


class InspectionListView(LoginRequiredMixin, ListView):
    """Two tabs: the inspections, and the rectification items (overdue first flagged)."""

    template_name = "attendance/inspection_list.html"
    paginate_by = 30

    def get_tab(self) -> str:
        return "rectifications" if self.request.GET.get("tab") == "rectifications" else "inspections"

    def get_queryset(self):
        user, params = self.request.user, self.request.GET
        if self.get_tab() == "rectifications":
            qs = sm.rectification_list(user=user)
            state = params.get("state", "")
            if state == "overdue":
                qs = qs.filter(status=RectificationStatus.OPEN, deadline__lt=timezone.localdate())
            elif state in RectificationStatus.values:
                qs = qs.filter(status=state)
            return qs.order_by("status", "deadline", "pk")
        qs = sm.inspection_list(user=user).prefetch_related("villages")
        if params.get("kind") in InspectionKind.values:
            qs = qs.filter(kind=params["kind"])
        return qs.order_by("-date", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        ctx.update({
            "tab": self.get_tab(),
            "can_record": can_record_inspections(user),
            "overdue_count": sm.overdue_rectifications(user=user).count(),
            "open_count": sm.rectification_list(user=user).filter(status=RectificationStatus.OPEN).count(),
            "kinds": InspectionKind.choices,
            "kind": self.request.GET.get("kind", ""),
            "state": self.request.GET.get("state", ""),
            "today": timezone.localdate(),
        })
        return ctx


class InspectionCreateView(LoginRequiredMixin, View):
    """One page in two steps, no JavaScript needed: choose the date and villages ("列出干部"), then give a
    finding for every cadre posted there that day and save. The grid shows the register and approved leave of
    the day so the inspectors can check what the township recorded."""

    template_name = "attendance/inspection_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_record_inspections(request.user):
            raise PermissionDenied(_("督查由县(区)或市委组织部录入。"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = InspectionForm(user=request.user, initial={"date": timezone.localdate()})
        return self.render(form)

    def post(self, request):
        form = InspectionForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(form)
        data = form.cleaned_data
        grid = self.grid(data["date"], data["villages"])
        if request.POST.get("action") != "save":
            return self.render(form, grid=grid, step=2)
        findings = [
            {"cadre_id": row["posting"].cadre_id, "finding": request.POST.get(f"f_{row['posting'].cadre_id}", ""),
             "note": request.POST.get(f"n_{row['posting'].cadre_id}", "")}
            for row in grid
        ]
        try:
            inspection = inspection_record(
                actor=request.user, date=data["date"], kind=data["kind"], inspectors=data["inspectors"],
                villages=list(data["villages"]), findings=findings, note=data["note"], ip=client_ip(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render(form, grid=grid, step=2)
        absent = sum(1 for f in findings if f["finding"] == FindingResult.ABSENT)
        if absent:
            messages.warning(request, _("已保存督查记录;%(n)d人不在岗,已记入考勤簿并通知乡镇和县(区)委组织部。") % {"n": absent})
        else:
            messages.success(request, _("已保存督查记录。"))
        return redirect(inspection.get_absolute_url())

    def grid(self, day: datetime.date, villages) -> list[dict]:
        postings = postings_on(villages=list(villages), day=day)
        cadre_ids = {p.cadre_id for p in postings}
        leave = approved_leave_on(cadre_ids=cadre_ids, day=day)
        register = {r.cadre_id: r for r in AttendanceDay.objects.filter(cadre_id__in=cadre_ids, day=day)}
        posted = self.request.POST
        rows = []
        for posting in postings:
            row = register.get(posting.cadre_id)
            covered = posting.cadre_id in leave or (row is not None and row.status == DayStatus.LEAVE)
            default = FindingResult.ON_LEAVE if covered else FindingResult.PRESENT
            rows.append({
                "posting": posting, "register": row, "leave": leave.get(posting.cadre_id),
                "value": posted.get(f"f_{posting.cadre_id}", default), "note": posted.get(f"n_{posting.cadre_id}", ""),
            })
        return rows

    def render(self, form, grid=None, step=1):
        return render(self.request, self.template_name, {
            "form": form, "grid": grid, "step": step, "results": FindingResult.choices,
            "groups": form.villages_by_township(),
        })


class InspectionDetailView(LoginRequiredMixin, DetailView):
    template_name = "attendance/inspection_detail.html"
    context_object_name = "inspection"

    def get_queryset(self):
        return sm.inspection_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, inspection = self.request.user, self.object
        findings = list(sm.inspection_findings(user=user, inspection=inspection))
        absent = [f for f in findings if f.finding == FindingResult.ABSENT]
        year = inspection.date.year
        # The evaluation's own rule (cadres.selectors.evaluation_limits), so this page and the evaluation form
        # never disagree; the county's excellent-share cap is left to the evaluation page.
        days = inspection_absences(cadre_ids=[f.cadre_id for f in absent], year=year)
        policies: dict[int, object] = {}
        for finding in absent:
            township = finding.village.township
            policy = policies.setdefault(township.pk, policy_for(township))
            finding.year_days = days.get(finding.cadre_id, [])
            finding.limits = evaluation_limits(
                cadre=finding.cadre, year=year, policy=policy, absences=finding.year_days, with_cap=False
            )
            finding.best_label = EvaluationGrade(finding.limits.best).label
        ctx.update({
            "findings": findings,
            "absent": absent,
            "villages": inspection.villages.select_related("township").order_by("code"),
            "rectifications": inspection.rectifications.select_related("finding__cadre", "created_by", "closed_by"),
            "can_manage": can_manage_inspection(user, inspection),
            "rect_form": RectificationForm(initial={"deadline": timezone.localdate() + datetime.timedelta(days=30)}),
            "today": timezone.localdate(),
        })
        return ctx


class RectificationCreateView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        inspection = get_object_or_404(sm.inspection_list(user=request.user), pk=pk)
        if not can_manage_inspection(request.user, inspection):
            raise PermissionDenied(_("您只能查看督查记录。"))
        form = RectificationForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(inspection.get_absolute_url())
        data = form.cleaned_data
        finding = None
        if data.get("finding"):
            finding = get_object_or_404(sm.inspection_findings(user=request.user, inspection=inspection),
                                        pk=data["finding"])
        try:
            rectification_open(
                actor=request.user, inspection=inspection, finding=finding, description=data["description"],
                owner=data["owner"], deadline=data["deadline"], ip=client_ip(request),
            )
            messages.success(request, _("已提出整改事项。"))
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        return redirect(inspection.get_absolute_url())


class RectificationCloseView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        item = get_object_or_404(sm.rectification_list(user=request.user), pk=pk)
        if not can_manage_inspection(request.user, item.inspection):
            raise PermissionDenied(_("整改事项由组织部验收。"))
        try:
            rectification_close(actor=request.user, rectification=item, note=request.POST.get("note", ""),
                                ip=client_ip(request))
            messages.success(request, _("已验收整改事项。"))
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        return redirect(item.inspection.get_absolute_url())


# ---------------------------------------------------------------- training


class TrainingListView(LoginRequiredMixin, ListView):
    template_name = "attendance/training_list.html"
    paginate_by = 30

    def get_queryset(self):
        qs = sm.training_list(user=self.request.user)
        kind = self.request.GET.get("kind", "")
        if kind in TrainingKind.values:
            qs = qs.filter(kind=kind)
        return qs.order_by("-start_date", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = list(ctx["object_list"])
        counts = dict(
            TrainingParticipant.objects.filter(event__in=page).values("event_id")
            .annotate(n=Count("pk")).values_list("event_id", "n")
        )
        for event in page:
            event.n_participants = counts.get(event.pk, 0)
        ctx.update({
            "object_list": page, "can_organize": can_organize(self.request.user), "kinds": TrainingKind.choices,
            "kind": self.request.GET.get("kind", ""),
        })
        return ctx


class TrainingFormView(LoginRequiredMixin, View):
    """New event (no pk) or edit (pk): 404 outside the jurisdiction, 403 for those who may only read it."""

    template_name = "attendance/training_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.event = None
        if "pk" in kwargs:
            self.event = get_object_or_404(sm.training_list(user=request.user), pk=kwargs["pk"])
            if not can_manage_event(request.user, self.event):
                raise PermissionDenied(_("活动由组织单位维护。"))
            if self.event.cancelled_at is not None:
                raise PermissionDenied(_("该活动已取消,不能修改。"))
        elif not can_organize(request.user):
            raise PermissionDenied(_("培训学习交流由组织部或乡镇党委组织。"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk=None):
        initial = {} if self.event else {"start_date": timezone.localdate(), "end_date": timezone.localdate()}
        return self.render(TrainingForm(user=request.user, instance=self.event, initial=initial))

    def post(self, request, pk=None):
        form = TrainingForm(request.POST, user=request.user, instance=self.event)
        if not form.is_valid():
            return self.render(form)
        data = form.cleaned_data
        cadre_ids = {c.pk for c in data["cadres"]}
        if data.get("whole_region") is not None:
            cadre_ids |= set(eligible_cadres(region=data["whole_region"], start=data["start_date"],
                                             end=data["end_date"]).values_list("pk", flat=True))
        try:
            event = training_event_save(actor=request.user, event=form.instance, cadre_ids=cadre_ids,
                                        ip=client_ip(request))
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render(form)
        messages.success(request, _("已保存,参加人员%(n)d人。") % {"n": event.participants.count()})
        return redirect(event.get_absolute_url())

    def render(self, form):
        return render(self.request, self.template_name, {"form": form, "event": self.event})


class TrainingDetailView(LoginRequiredMixin, DetailView):
    template_name = "attendance/training_detail.html"
    context_object_name = "event"

    def get_queryset(self):
        return sm.training_list(user=self.request.user).select_related("created_by")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, event = self.request.user, self.object
        participants = list(sm.training_participants(user=user, event=event))
        postings = sm.participant_villages(event=event, cadre_ids=[p.cadre_id for p in participants])
        for p in participants:
            p.posting = postings.get(p.cadre_id)
        participants.sort(key=lambda p: (p.posting.village.code if p.posting else "", p.cadre.name))
        manage = can_manage_event(user, event)
        ctx.update({
            "participants": participants,
            "total": event.participants.count(),
            "attended": sum(1 for p in participants if p.attended),
            "can_manage": manage and event.cancelled_at is None,
            "can_mark": manage and event.cancelled_at is None and event.start_date <= timezone.localdate(),
        })
        return ctx


class TrainingAttendanceView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        event = get_object_or_404(sm.training_list(user=request.user), pk=pk)
        if not can_manage_event(request.user, event):
            raise PermissionDenied(_("参加情况由组织单位登记。"))
        present = {int(v) for v in request.POST.getlist("attended") if v.isdigit()}
        listed = [int(v) for v in request.POST.getlist("listed") if v.isdigit()]
        try:
            n = training_attendance_save(actor=request.user, event=event,
                                         attended={c: c in present for c in listed}, ip=client_ip(request))
            messages.success(request, _("已登记参加情况,%(n)d人有变化。") % {"n": n})
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        return redirect(event.get_absolute_url())


class TrainingCancelView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        event = get_object_or_404(sm.training_list(user=request.user), pk=pk)
        if not can_manage_event(request.user, event):
            raise PermissionDenied(_("活动由组织单位维护。"))
        try:
            training_event_cancel(actor=request.user, event=event, ip=client_ip(request))
            messages.success(request, _("活动已取消,其计入的培训考勤已释放。"))
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        return redirect(event.get_absolute_url())


# ---------------------------------------------------------------- diary


class DiaryListView(LoginRequiredMixin, ListView):
    """A cadre's own diary; for officials and units, the entries of their cadres (read-only) with the month's
    outcome totals, and for a county or city the same totals by township or county."""

    template_name = "attendance/diary_list.html"
    paginate_by = 30

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.region = None

    def get_month(self):
        raw = self.request.GET.get("month", "")
        if not raw:
            return None
        return parse_month(raw)

    def get_queryset(self):
        user, params = self.request.user, self.request.GET
        qs = sm.diary_list(user=user)
        month = self.get_month()
        if month is not None:
            qs = qs.filter(day__gte=month, day__lt=next_month(month))
        if params.get("region", "").isdigit() and user.role in OFFICIALS:
            self.region = get_object_or_404(region_list(user=user), pk=params["region"])
            qs = qs.filter(posting__village__code__startswith=self.region.prefix)
        if params.get("major") == "1":
            qs = qs.filter(major_event=True)
        q = params.get("q", "").strip()
        if q and user.role != Role.CADRE:
            qs = qs.filter(Q(cadre__name__contains=q) | Q(posting__village__name__contains=q))
        return qs.order_by("-day", "-pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        month = self.get_month()
        scope = scope_of(user)
        is_cadre = user.role == Role.CADRE
        ctx.update({
            "is_cadre": is_cadre,
            "month": month,
            "totals": sm.sum_outcomes(self.object_list),
            "region": self.region,
            "regions": region_list(user=user).filter(level__lte=Region.Level.TOWNSHIP).order_by("code")
            if user.role in OFFICIALS else [],
            "today": timezone.localdate(),
            "written_today": is_cadre and sm.diary_list(user=user).filter(day=timezone.localdate()).first(),
        })
        base = self.region or scope.region
        if not is_cadre and base is not None and base.level < Region.Level.TOWNSHIP:
            start = month or datetime.date(timezone.localdate().year, 1, 1)
            end = next_month(month) - ONE_DAY if month else timezone.localdate()
            level = base.level + 1
            sums = sm.outcome_totals(region_prefix=base.prefix, start=start, end=end, level=level)
            children = Region.objects.filter(parent=base).order_by("code")
            ctx["breakdown"] = [(child, sums.get(child.code)) for child in children]
            ctx["breakdown_period"] = (start, end)
        return ctx


class DiaryDetailView(LoginRequiredMixin, DetailView):
    template_name = "attendance/diary_detail.html"
    context_object_name = "entry"

    def get_queryset(self):
        return sm.diary_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_edit"] = self.request.user.role == Role.CADRE and self.object.cadre_id == self.request.user.cadre_id
        return ctx


class DiaryFormView(LoginRequiredMixin, View):
    """The cadre's phone page: write today's entry (or another past day's), or correct one."""

    template_name = "attendance/diary_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.entry = None
        if "pk" in kwargs:
            self.entry = get_object_or_404(sm.diary_list(user=request.user), pk=kwargs["pk"])
        if request.user.role != Role.CADRE or (self.entry and self.entry.cadre_id != request.user.cadre_id):
            raise PermissionDenied(_("民情日记由驻村干部本人填写,其他人只能查看。"))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk=None):
        initial = {}
        if self.entry is None:
            try:
                initial["day"] = datetime.date.fromisoformat(request.GET.get("day", ""))
            except ValueError:
                initial["day"] = timezone.localdate()
            existing = sm.diary_list(user=request.user).filter(day=initial["day"]).first()
            if existing is not None:
                return redirect("attendance:diary_edit", pk=existing.pk)
        return self.render(DiaryForm(instance=self.entry, initial=initial))

    def post(self, request, pk=None):
        form = DiaryForm(request.POST, instance=self.entry)
        if not form.is_valid():
            return self.render(form)
        data = form.cleaned_data
        try:
            entry = diary_write(
                actor=request.user, day=data["day"], text=data["text"], outcomes=form.outcomes(),
                major_event=data["major_event"], major_event_note=data["major_event_note"], entry=self.entry,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.render(form)
        if entry.major_event:
            messages.warning(request, _("日记已保存,重大事项已报告乡镇党委。"))
        else:
            messages.success(request, _("日记已保存。"))
        return redirect("attendance:diary_list")

    def render(self, form):
        return render(self.request, self.template_name, {
            "form": form, "entry": self.entry, "outcome_fields": [form[name] for name in DiaryEntry.OUTCOME_FIELDS],
        })


urlpatterns = [
    path("inspections/", InspectionListView.as_view(), name="inspection_list"),
    path("inspections/new/", InspectionCreateView.as_view(), name="inspection_create"),
    path("inspections/<int:pk>/", InspectionDetailView.as_view(), name="inspection_detail"),
    path("inspections/<int:pk>/rectifications/new/", RectificationCreateView.as_view(), name="rectification_create"),
    path("rectifications/<int:pk>/close/", RectificationCloseView.as_view(), name="rectification_close"),
    path("training/", TrainingListView.as_view(), name="training_list"),
    path("training/new/", TrainingFormView.as_view(), name="training_create"),
    path("training/<int:pk>/", TrainingDetailView.as_view(), name="training_detail"),
    path("training/<int:pk>/edit/", TrainingFormView.as_view(), name="training_edit"),
    path("training/<int:pk>/attendance/", TrainingAttendanceView.as_view(), name="training_attendance"),
    path("training/<int:pk>/cancel/", TrainingCancelView.as_view(), name="training_cancel"),
    path("diary/", DiaryListView.as_view(), name="diary_list"),
    path("diary/new/", DiaryFormView.as_view(), name="diary_create"),
    path("diary/<int:pk>/", DiaryDetailView.as_view(), name="diary_detail"),
    path("diary/<int:pk>/edit/", DiaryFormView.as_view(), name="diary_edit"),
]
