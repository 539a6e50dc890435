"""Self check-in pages: the cadre's phone page (checkin/) and the list of check-ins (checkins/).

Self check-in is optional and off unless the jurisdiction's policy enables it; a check-in is only evidence
for the township's register (attendance.services.checkin)."""
import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_filters.views import FilterView

from cadres.audit import client_ip
from cadres.models import Role
from cadres.selectors import current_posting, policy_for

from ..selectors import checkins_of
from ..services.checkin import checkin_record, checkin_summary


class CheckInForm(forms.Form):
    """The three numbers the page's JavaScript fills from navigator.geolocation. Ranges are the service's
    to check; the form only makes sure they are numbers."""

    latitude = forms.FloatField()
    longitude = forms.FloatField()
    accuracy = forms.FloatField()


class CheckInView(LoginRequiredMixin, View):
    template_name = "attendance/checkin.html"

    def get(self, request):
        user = request.user
        ctx = {"is_cadre": user.role == Role.CADRE and user.cadre_id is not None}
        if ctx["is_cadre"]:
            posting = current_posting(cadre=user.cadre)
            ctx["posting"] = posting
            if posting is not None:
                policy = policy_for(posting.village.township)
                today = timezone.localdate()
                ctx.update(
                    policy=policy,
                    enabled=policy.checkin_enabled,
                    village=posting.village,
                    has_coordinates=posting.village.latitude is not None and posting.village.longitude is not None,
                    todays=checkins_of(user=user).filter(at__date=today).order_by("at", "pk"),
                )
        return render(request, self.template_name, ctx)

    def post(self, request):
        user = request.user
        if user.role != Role.CADRE or user.cadre_id is None:
            raise PermissionDenied(_("只有驻村干部本人可以签到。"))
        form = CheckInForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("没有收到有效的位置信息,请允许浏览器获取位置后再点“签到”。"))
            return redirect("attendance:checkin")
        try:
            checkin = checkin_record(
                actor=user,
                latitude=form.cleaned_data["latitude"],
                longitude=form.cleaned_data["longitude"],
                accuracy_m=form.cleaned_data["accuracy"],
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("attendance:checkin")
        summary = checkin_summary(checkin)
        if checkin.is_flagged:
            messages.warning(
                request,
                _("已签到,但有需要乡镇核实的情况:%(summary)s。签到只是佐证,由乡镇确认考勤。") % {"summary": summary},
            )
        else:
            messages.success(request, _("已签到:%(summary)s。") % {"summary": summary})
        return redirect("attendance:checkin")


class CheckInFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label=gettext_lazy("起始日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label=gettext_lazy("截止日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    flagged = django_filters.BooleanFilter(
        method="filter_flagged", label=gettext_lazy("只看存疑"), widget=forms.CheckboxInput
    )

    def filter_flagged(self, queryset, name, value):
        if value:
            return queryset.filter(Q(outside_radius=True) | Q(poor_accuracy=True) | Q(impossible_speed=True))
        return queryset


class CheckInListView(LoginRequiredMixin, FilterView):
    """Check-ins of the user's jurisdiction (officials) or their own (cadres); the selector decides which.
    The filter receives the already-scoped queryset."""

    filterset_class = CheckInFilter
    template_name = "attendance/checkin_list.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            checkins_of(user=self.request.user)
            .select_related("posting__village__township")
            .order_by("-at", "-pk")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["is_cadre"] = self.request.user.role == Role.CADRE
        return ctx


urlpatterns = [
    path("checkin/", CheckInView.as_view(), name="checkin"),
    path("checkins/", CheckInListView.as_view(), name="checkin_list"),
]
