"""The support summary box on a unit's page (this year's totals and flags, a link to the ledger). A tag, so
the unit page shows it without its view knowing about the ledger; it reads through the scoped selector."""
from django import template
from django.utils import timezone

from villages.selectors import unit_support_summary

register = template.Library()


@register.inclusion_tag("villages/support_box.html", takes_context=True)
def unit_support_box(context, unit) -> dict:
    user = context["request"].user
    today = timezone.localdate()
    years = unit_support_summary(user=user, unit=unit, today=today)
    entry = next((e for e in years if e.year == today.year), None)
    return {"unit": unit, "year": today.year, "entry": entry}
