"""Template helpers of the management workflows: status badges, the "提出召回" permission, and the table of
replacements owed after recalls (used on the unit page and the recall list)."""
from django import template
from django.utils.html import format_html

from cadres import selectors

register = template.Library()

_BADGES = {
    "proposed": "warn",
    "approved": "danger",
    "rejected": "muted",
    "excellent": "ok",
    "competent": "info",
    "basic": "warn",
    "incompetent": "danger",
    "merit_third": "ok",
    "commendation": "ok",
    "praise": "info",
    "criticism": "danger",
    "admonition": "warn",
}


@register.simple_tag
def mbadge(value: str, label: str) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', _BADGES.get(value, "plain"), label)


@register.simple_tag(takes_context=True)
def can_propose_recall(context, posting) -> bool:
    request = context.get("request")
    if request is None or posting.status != "in_post":
        return False
    return selectors.recall_can_propose(user=request.user, posting=posting)


@register.inclusion_tag("cadres/recall_replacements_table.html", takes_context=True)
def replacements_due(context, unit=None, title: str = ""):
    """Approved recalls still waiting for a replacement, in the user's jurisdiction (optionally one unit's),
    earliest deadline first; overdue ones flagged."""
    request = context.get("request")
    user = request.user if request is not None else None
    today = selectors.today()
    recalls = list(selectors.replacements_pending(user=user, unit=unit)) if user is not None else []
    rows = []
    for r in recalls:
        left = (r.replacement_due - today).days
        rows.append({"r": r, "left": max(left, 0), "overdue": max(-left, 0)})
    return {"rows": rows, "today": today, "title": title, "unit": unit}
