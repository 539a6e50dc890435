"""Small template helpers: query strings that keep the current filters, sortable headers, status badges."""
from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or '' removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str) -> str:
    """A column header that sorts by `field`, toggling the direction, and resets to page 1."""
    params = context["request"].GET.copy()
    current = params.get("o", "")
    if current == field:
        new, arrow = f"-{field}", " ↑"
    elif current == f"-{field}":
        new, arrow = field, " ↓"
    else:
        new, arrow = field, ""
    params["o"] = new
    params.pop("page", None)
    return format_html('<a class="sort" href="?{}">{}{}</a>', params.urlencode(), label, arrow)


_BADGES = {
    "in_post": "ok",
    "recalled": "danger",
    "replaced": "muted",
    "completed": "muted",
    "transferred": "muted",
    "first_secretary": "primary",
    "team_leader": "info",
    "member": "plain",
}


@register.simple_tag
def badge(value: str, label: str) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', _BADGES.get(value, "plain"), label)
