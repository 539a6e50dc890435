"""Days in the village per cadre and period, with the formula on the page; early warnings."""
import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from cadres.models import Role
from villages.selectors import region_list

from .. import selectors

ONE_DAY = datetime.timedelta(days=1)
# Rows per page: a county (~600 cadres) fits on one or two pages; a province of 60,000 would otherwise be a
# 40 MB page. The totals above the table count every cadre of the selection.
PAGE_SIZE = 500


def figure_rows_html(figures: list) -> str:
    """The table rows, one per cadre. A county has ~600 cadres and a row 13 cells: through the template that
    was ~15,000 variable lookups and a {% url %} per row (~2/3 of the page's time at province scale); here
    labels are translated and the link reversed once, and names are escaped."""
    label = {key: escape(_(text)) for key, text in (
        ("town", "乡镇"), ("village", "村"), ("cadre", "干部"), ("days", "在岗天数"), ("present", "在村"),
        ("leave", "请假"), ("business", "因公外出"), ("training", "培训"), ("absent", "缺勤"), ("none", "未记录"),
        ("counted", "计入在村天数"), ("minimum", "折算下限"), ("result", "结果"),
    )}
    badge = {
        "compliant": f'<span class="badge badge-ok">{escape(_("达标"))}</span>',
        "not_compliant": f'<span class="badge badge-danger">{escape(_("未达标"))}</span>',
        "cannot_reach": f'<span class="badge badge-danger">{escape(_("已无法达标"))}</span>',
        "on_track": f'<span class="badge badge-plain">{escape(_("进行中"))}</span>',
    }
    behind = escape(_("进度落后(应≥%(t)s)"))
    cadre_url = reverse("cadres:cadre_detail", args=[0]).removesuffix("0/")  # "/cadres/" of "/cadres/<pk>/"
    rows = []
    for f in figures:
        state = f.state
        result = (f'<span class="badge badge-warn">{behind % {"t": f.pace_target}}</span>' if state == "behind"
                  else badge[state])
        rows.append(
            f'<tr><td data-label="{label["town"]}">{escape(f.township)}</td>'
            f'<td data-label="{label["village"]}">{escape(f.village)}</td>'
            f'<td data-label="{label["cadre"]}"><a href="{cadre_url}{f.cadre_id}/">{escape(f.name)}</a></td>'
            f'<td data-label="{label["days"]}" class="num">{f.days_in_post}</td>'
            f'<td data-label="{label["present"]}" class="num">{f.present}</td>'
            f'<td data-label="{label["leave"]}" class="num">{f.leave}</td>'
            f'<td data-label="{label["business"]}" class="num">{f.business}</td>'
            f'<td data-label="{label["training"]}" class="num">{f.training}</td>'
            f'<td data-label="{label["absent"]}" class="num">{f.absent}</td>'
            f'<td data-label="{label["none"]}" class="num">{f.not_recorded}</td>'
            f'<td data-label="{label["counted"]}" class="num"><strong>{f.counted}</strong></td>'
            f'<td data-label="{label["minimum"]}" class="num" title="⌈{f.policy_minimum} × {f.days_in_post} ÷ '
            f'{f.period_days}⌉">{f.minimum}</td>'
            f'<td data-label="{label["result"]}">{result}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - names escaped above, the rest numbers and our labels


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
        paginator = Paginator(figures, PAGE_SIZE)
        page = paginator.get_page(params.get("page"))
        ctx.update({
            "figures": figures,
            "page_obj": page if paginator.num_pages > 1 else None,
            "paginator": paginator,
            "rows_html": figure_rows_html(page.object_list),
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
