"""The navigation of each role: what the menu shows. Access itself is enforced by selectors and views."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

_ITEMS = [
    # (url name, label, roles that see it)
    ("home", _("首页"), None),
    ("villages:region_list", _("区划"), {Role.ORG_DEPT, Role.ADMIN, Role.TOWNSHIP}),
    ("villages:village_list", _("村(社区)"), None),
    ("villages:unit_list", _("派驻单位"), {Role.ORG_DEPT, Role.ADMIN, Role.TOWNSHIP, Role.UNIT}),
    ("cadres:round_list", _("轮次"), {Role.ORG_DEPT, Role.ADMIN, Role.TOWNSHIP, Role.UNIT}),
    ("cadres:cadre_list", _("驻村干部"), {Role.ORG_DEPT, Role.ADMIN, Role.TOWNSHIP, Role.UNIT}),
    ("cadres:posting_list", _("派驻记录"), None),
]


def nav_items(user, path: str) -> list[dict]:
    items = []
    for name, label, roles in _ITEMS:
        if roles is not None and user.role not in roles:
            continue
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    if user.is_staff:
        items.append({"url": reverse("admin:index"), "label": _("系统管理"), "active": path.startswith("/admin/")})
    return items
