"""Days in the village per cadre and period, with the formula on the page; early warnings."""
import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.views.generic import TemplateView

from cadres.models import Role
from villages.selectors import region_list

from .. import selectors

ONE_DAY = datetime.timedelta(days=1)


class ComplianceView(LoginRequiredMixin, TemplateView):
    """Per cadre: days in the village, leave, business, training, absent, not recorded, the pro-rated
    minimum and the verdict for the policy period containing `date`. Ordered by place and name: no ranking."""

    template_name = "attendance/compliance.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, params = self.request.user, self.request.GET
        today = timezone.localdate()
        try:
            ref = datetime.date.fromisoformat(params.get("date", ""))
        except ValueError:
            ref = today
        region = None
        if params.get("region", "").isdigit() and user.role != Role.CADRE:
            region = get_object_or_404(region_list(user=user), pk=params["region"])
        figures = selectors.compliance_for_user(user=user, ref=ref, region=region, as_of=today)
        state = params.get("state", "")
        if state == "flagged":
            figures = [f for f in figures if f.flagged or (f.finished and not f.compliant)]
        periods = sorted({(f.period_start, f.period_end, f.period_kind) for f in figures})
        start, end = (periods[0][0], periods[0][1]) if periods else selectors.period_bounds("quarter", ref)
        ctx.update({
            "figures": figures,
            "ref": ref,
            "region": region,
            "regions": region_list(user=user).filter(level__lte=4).order_by("code") if user.role != Role.CADRE else [],
            "state": state,
            "formula": selectors.FORMULA,
            "period_start": start,
            "period_end": end,
            "period_label": selectors.period_label(periods[0][2], start) if periods else "",
            "prev_ref": start - ONE_DAY,
            "next_ref": end + ONE_DAY,
            "mixed_periods": len(periods) > 1,
            "totals": {
                "cadres": len(figures),
                "flagged": sum(1 for f in figures if f.flagged),
                "not_compliant": sum(1 for f in figures if f.finished and not f.compliant),
            },
        })
        return ctx


urlpatterns = [path("attendance/compliance/", ComplianceView.as_view(), name="compliance")]
