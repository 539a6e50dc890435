"""Import of a DingTalk / WeCom monthly attendance export into the register as evidence, and the list of
past imports. The township confirms the evidence in the register grid; nothing here writes the register."""
import datetime
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import ListView

from cadres.audit import client_ip
from cadres.jurisdiction import is_township_official, scope_of
from cadres.models import Role
from villages.models import Region

from .. import selectors
from ..models import EvidenceSource, ImportBatch
from ..services.importing import import_attendance_export
from ..services.register import month_start

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a township's month is a few dozen kilobytes


def may_use_imports(user) -> bool:
    return is_township_official(user) or (
        user.role in (Role.ORG_DEPT, Role.ADMIN) and not scope_of(user).is_empty
    )


def import_batch_list(*, user) -> QuerySet[ImportBatch]:
    """Imports of the townships in the user's jurisdiction. (A read: it belongs with attendance.selectors.)"""
    return (
        ImportBatch.objects.filter(township__in=selectors.townships_for(user=user))
        .select_related("township", "imported_by")
        .annotate(evidence_days=Count("days"))
        .order_by("-imported_at", "-pk")
    )


def last_month() -> datetime.date:
    return month_start(month_start(timezone.localdate()) - datetime.timedelta(days=1))


class ImportForm(forms.Form):
    township = forms.ModelChoiceField(label=gettext_lazy("乡镇(街道)"), queryset=Region.objects.none())
    month = forms.CharField(
        label=gettext_lazy("月份"),
        widget=forms.TextInput(attrs={"type": "month", "class": "input", "placeholder": "2026-10"}),
        help_text=gettext_lazy("导出文件所属的月份,格式 YYYY-MM。"),
    )
    source = forms.ChoiceField(
        label=gettext_lazy("来源"),
        choices=[(EvidenceSource.DINGTALK, gettext_lazy("钉钉")), (EvidenceSource.WECOM, gettext_lazy("企业微信"))],
    )
    file = forms.FileField(
        label=gettext_lazy("考勤导出文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx", "class": "input"}),
        help_text=gettext_lazy("钉钉“月度汇总”或企业微信“打卡月报”导出的 .xlsx 文件。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = selectors.townships_for(user=user).order_by("code")
        if user.role == Role.TOWNSHIP:
            self.fields["township"].empty_label = None  # their own township is the only choice

    def clean_month(self) -> datetime.date:
        value = (self.cleaned_data["month"] or "").strip()
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
        if not m or not 1 <= int(m[2]) <= 12:
            raise forms.ValidationError(_("请按 YYYY-MM 填写月份,如 2026-10。"))
        return datetime.date(int(m[1]), int(m[2]), 1)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件过大(超过5MB),请确认是一个乡镇一个月的考勤导出。"))
        return upload


class ImportAccessMixin(LoginRequiredMixin):
    """Township officials and organization departments (or admins) only; others get 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_use_imports(request.user):
            raise PermissionDenied(_("考勤导入由乡镇(街道)或组织部办理。"))
        return super().dispatch(request, *args, **kwargs)


class RegisterImportView(ImportAccessMixin, View):
    template_name = "attendance/import_form.html"

    def get(self, request):
        township = self._township(request.GET.get("township"))
        initial = {"month": request.GET.get("month") or f"{last_month():%Y-%m}", "source": EvidenceSource.DINGTALK}
        if township is not None:
            initial["township"] = township.pk
        elif request.user.role == Role.TOWNSHIP:
            initial["township"] = request.user.region_id
        return self._render(ImportForm(user=request.user, initial=initial))

    def post(self, request):
        # A township outside the jurisdiction answers 404 like one that does not exist, before any validation.
        self._township(request.POST.get("township"))
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self._render(form)
        data = form.cleaned_data
        try:
            batch = import_attendance_export(
                actor=request.user, township=data["township"], month=data["month"], source=data["source"],
                file=data["file"], file_name=data["file"].name, ip=client_ip(request),
            )
        except ValidationError as exc:
            return self._render(form, import_errors=exc.messages)
        messages.success(request, _("已导入%(people)s人%(days)s天的考勤佐证,请在考勤簿中确认") % {
            "people": batch.rows, "days": batch.days.count()})
        return redirect(
            reverse("attendance:register") + f"?township={batch.township_id}&month={batch.month:%Y-%m}"
        )

    def _township(self, raw: str | None) -> Region | None:
        if not raw:
            return None
        if not str(raw).isdigit():
            raise Http404
        try:
            return selectors.townships_for(user=self.request.user).get(pk=raw)
        except Region.DoesNotExist as exc:
            raise Http404 from exc

    def _render(self, form, import_errors=None):
        return render(self.request, self.template_name, {
            "form": form,
            "import_errors": import_errors or [],
            "cancel_url": reverse("attendance:register"),
        })


class ImportListView(ImportAccessMixin, ListView):
    template_name = "attendance/import_list.html"
    context_object_name = "batches"
    paginate_by = 50

    def get_queryset(self):
        return import_batch_list(user=self.request.user)


urlpatterns = [
    path("register/import/", RegisterImportView.as_view(), name="register_import"),
    path("register/imports/", ImportListView.as_view(), name="import_list"),
]
