"""Reports page (request, list, progress, download, retry) and the dashboard with server-rendered charts."""
import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from attendance.models import LeaveRequest, LeaveStatus, MonthlyTally
from attendance.selectors import compliance_figures
from attendance.services.register import month_start
from cadres.audit import client_ip
from cadres.mixins import add_service_errors
from cadres.models import Posting, Role
from villages.models import RegionLevel
from villages.selectors import region_list
from villages.validators import SIGNIFICANT_DIGITS

from . import services
from .models import Report, ReportKind, ReportStatus

REPORT_ROLES = (Role.ORG_DEPT, Role.TOWNSHIP, Role.ADMIN)


def reports_for(user):
    """Reports of regions inside the user's jurisdiction (raw exports: admins only)."""
    if user.role not in REPORT_ROLES:
        return Report.objects.none()
    qs = Report.objects.filter(region__in=region_list(user=user)).select_related("region", "requested_by")
    if user.role != Role.ADMIN:
        qs = qs.exclude(kind__in=services.RAW_KINDS)
    return qs


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("报表类型"))
    region = forms.ModelChoiceField(label=gettext_lazy("区划"), queryset=None, empty_label=None)
    period = forms.CharField(label=gettext_lazy("期间"), max_length=7, required=False,
                             help_text=gettext_lazy("月报填YYYY-MM,年报填YYYY;原始数据无需填写。"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [(ReportKind.MONTHLY, ReportKind.MONTHLY.label), (ReportKind.ANNUAL, ReportKind.ANNUAL.label)]
        if user.role == Role.ADMIN:
            kinds += [(k, k.label) for k in (ReportKind.RAW_CADRES, ReportKind.RAW_POSTINGS, ReportKind.RAW_LEAVE,
                                              ReportKind.RAW_REGISTER)]
        self.fields["kind"].choices = kinds
        self.fields["region"].queryset = region_list(user=user).filter(level__lte=RegionLevel.TOWNSHIP).order_by("code")
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "input")


class ReportListView(LoginRequiredMixin, ListView):
    template_name = "reports/report_list.html"
    paginate_by = 20

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in REPORT_ROLES:
            raise PermissionDenied(_("报表由组织部、乡镇和管理员使用。"))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        qs = reports_for(self.request.user)
        params = self.request.GET
        if params.get("kind") in ReportKind.values:
            qs = qs.filter(kind=params["kind"])
        if params.get("status") in ReportStatus.values:
            qs = qs.filter(status=params["status"])
        if params.get("current") == "1":
            qs = qs.filter(is_current=True)
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        last_month = month_start(today.replace(day=1) - datetime.timedelta(days=1))
        ctx["form"] = kwargs.get("form") or ReportRequestForm(
            user=self.request.user, initial={"period": f"{last_month:%Y-%m}"})
        ctx["kinds"] = ReportKind.choices
        ctx["statuses"] = ReportStatus.choices
        return ctx

    def post(self, request, *args, **kwargs):
        form = ReportRequestForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                report = services.report_request(
                    actor=request.user, kind=form.cleaned_data["kind"], region=form.cleaned_data["region"],
                    period=form.cleaned_data["period"], ip=client_ip(request),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                # Without a broker the build ran on commit (eager), inside report_request: read its outcome.
                report.refresh_from_db()
                if report.status == ReportStatus.DONE:
                    messages.success(request, _("报表已生成。"))
                elif report.status == ReportStatus.FAILED or report.message:
                    messages.warning(request, report.message or _("报表生成失败,原因见下方。"))
                else:
                    messages.success(request, _("报表已加入生成队列。"))
                return redirect(report.get_absolute_url())
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(form=form))


class ReportDetailView(LoginRequiredMixin, DetailView):
    template_name = "reports/report_detail.html"
    context_object_name = "report"

    def get_queryset(self):
        return reports_for(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        report = self.object
        ctx["versions"] = reports_for(self.request.user).filter(
            kind=report.kind, region=report.region, period=report.period).order_by("-version")
        return ctx


class ReportStatusView(LoginRequiredMixin, View):
    """Polled by the detail page (static/js/reports.js) while a report is queued or running."""

    def get(self, request, pk):
        report = get_object_or_404(reports_for(request.user), pk=pk)
        return JsonResponse({
            "status": report.status, "status_label": report.get_status_display(), "progress": report.progress,
            "message": report.message, "error": report.error,
            "download": reverse("reports:report_download", args=[report.pk]) if report.status == ReportStatus.DONE else "",
        })


class ReportDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk):
        report = get_object_or_404(reports_for(request.user), pk=pk)
        try:
            handle = services.report_download(actor=request.user, report=report, ip=client_ip(request))
        except ValidationError as exc:
            raise Http404(exc.messages[0]) from exc
        name = f"{report.region.name}{report.get_kind_display()}{report.period}_v{report.version}.xlsx"
        return FileResponse(handle, as_attachment=True, filename=name)


class ReportRetryView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        report = get_object_or_404(reports_for(request.user), pk=pk)
        try:
            services.report_retry(actor=request.user, report_id=report.pk, ip=client_ip(request))
            messages.success(request, _("已重新加入生成队列。"))
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        return redirect(report.get_absolute_url())


class DashboardView(LoginRequiredMixin, TemplateView):
    """Charts per jurisdiction, drawn as SVG on the server (no chart library, no CDN): register
    completeness and days in the village by region and month, leave by approving level, compliance per
    quarter. Aggregates by region only; never individuals."""

    template_name = "reports/dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in REPORT_ROLES:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        regions = region_list(user=user).filter(level__lte=RegionLevel.TOWNSHIP)
        raw = self.request.GET.get("region", "")
        region = get_object_or_404(regions, pk=raw) if raw.isdigit() else regions.order_by("level", "code").first()
        if region is None:
            raise Http404
        today = timezone.localdate()
        months = []
        m = month_start(today)
        for _i in range(12):
            m = month_start(m - datetime.timedelta(days=1))
            months.insert(0, m)
        tallies = (
            MonthlyTally.objects.filter(posting__village__code__startswith=region.prefix, month__gte=months[0],
                                        month__lte=months[-1])
            .values("month")
            .annotate(present=Sum("present"), leave=Sum("leave"), business=Sum("business"),
                      training=Sum("training"), absent=Sum("absent"))
        )
        by_month = {t["month"]: t for t in tallies}
        series = []
        postings = list(Posting.objects.filter(village__code__startswith=region.prefix).overlapping(months[0], today)
                        .values_list("start_date", "end_date"))
        for month in months:
            end = month_start(month + datetime.timedelta(days=32)) - datetime.timedelta(days=1)
            in_post = sum(max(0, (min(e or end, end) - max(s, month)).days + 1) for s, e in postings)
            t = by_month.get(month, {})
            recorded = sum((t.get(k) or 0) for k in ("present", "leave", "business", "training", "absent"))
            series.append({
                "label": f"{month:%y-%m}", "completeness": (recorded / in_post) if in_post else 0,
                "present": t.get("present") or 0, "recorded": recorded, "in_post": in_post,
            })
        ctx["months"] = series
        ctx["max_present"] = max([s["present"] for s in series] + [1])
        # Days in the village by next-level region, last month.
        last = months[-1]
        last_end = month_start(last + datetime.timedelta(days=32)) - datetime.timedelta(days=1)
        children = []
        if region.level < RegionLevel.TOWNSHIP:
            digits = SIGNIFICANT_DIGITS[region.level + 1]
            sums = {
                r["p"]: r for r in MonthlyTally.objects.filter(
                    posting__village__code__startswith=region.prefix, month=last)
                .annotate(p=Substr("posting__village__code", 1, digits)).values("p")
                .annotate(present=Sum("present"), cadres=Count("cadre", distinct=True))
            }
            for child in region.children.order_by("code"):
                row = sums.get(child.prefix, {})
                n = row.get("cadres") or 0
                children.append({"label": child.name, "avg": round((row.get("present") or 0) / n, 1) if n else 0})
        ctx["children"] = children
        ctx["max_child"] = max([c["avg"] for c in children] + [1])
        ctx["last_month"] = last
        ctx["last_month_end"] = last_end
        leaves = (
            LeaveRequest.objects.filter(village__code__startswith=region.prefix, submitted_at__date__gte=months[0])
            .values("approver_level")
            .annotate(total=Count("pk"), approved=Count("pk", filter=Q(status__in=(LeaveStatus.APPROVED,
                                                                                      LeaveStatus.RETURNED))),
                      rejected=Count("pk", filter=Q(status=LeaveStatus.REJECTED)))
        )
        labels = dict(RegionLevel.choices)
        ctx["leave_levels"] = [
            {"label": str(labels.get(row["approver_level"], "")), **row} for row in leaves.order_by("-approver_level")
        ]
        ctx["max_leave"] = max([r["total"] for r in ctx["leave_levels"]] + [1])
        quarters = []
        for q in range(4):
            ref = datetime.date(today.year, q * 3 + 1, 1)
            if ref > today:
                break
            figures = compliance_figures(
                postings=Posting.objects.filter(village__code__startswith=region.prefix), ref=ref, as_of=today)
            done = [f for f in figures if f.finished]
            quarters.append({
                "label": f"{today.year}-Q{q + 1}", "cadres": len(figures),
                "compliant": sum(1 for f in figures if f.finished and f.compliant),
                "not_compliant": sum(1 for f in done if not f.compliant),
                "running": len(figures) - len(done),
                "flagged": sum(1 for f in figures if f.flagged),
            })
        ctx["quarters"] = quarters
        ctx["region"] = region
        ctx["regions"] = regions.order_by("code")
        return ctx


urlpatterns = [
    path("reports/", ReportListView.as_view(), name="report_list"),
    path("reports/dashboard/", DashboardView.as_view(), name="dashboard"),
    path("reports/<int:pk>/", ReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/status/", ReportStatusView.as_view(), name="report_status"),
    path("reports/<int:pk>/download/", ReportDownloadView.as_view(), name="report_download"),
    path("reports/<int:pk>/retry/", ReportRetryView.as_view(), name="report_retry"),
]
