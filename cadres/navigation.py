"""The navigation of each role: what the menu shows. Access itself is enforced by selectors and views."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

ORG = {Role.ORG_DEPT, Role.ADMIN}
_ITEMS = [
    # (url name, label, roles that see it; None = everyone)
    ("home", _("首页"), None),
    ("attendance:register", _("考勤簿"), {Role.TOWNSHIP, *ORG}),
    ("attendance:leave_list", _("请假销假"), None),
    ("attendance:compliance", _("在村天数"), None),
    ("attendance:checkin", _("签到"), {Role.CADRE}),
    ("villages:region_list", _("区划"), {Role.TOWNSHIP, *ORG}),
    ("villages:village_list", _("村(社区)"), None),
    ("villages:unit_list", _("派驻单位"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
    ("cadres:round_list", _("轮次"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
    ("cadres:cadre_list", _("驻村干部"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
    ("cadres:posting_list", _("派驻记录"), None),
    ("cadres:recall_list", _("召回替补"), {Role.UNIT, *ORG}),
    ("cadres:evaluation_list", _("年度考核"), ORG),
    ("cadres:award_list", _("奖惩记录"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
    ("villages:support_overview", _("帮扶台账"), ORG),
    ("cadres:import", _("批量导入"), ORG),
    ("reports:report_list", _("统计报表"), {Role.TOWNSHIP, *ORG}),
    ("reports:dashboard", _("数据看板"), {Role.TOWNSHIP, *ORG}),
    ("villages:policy_detail", _("政策设置"), {Role.TOWNSHIP, *ORG}),
    ("audit_list", _("审计日志"), ORG),
]


def checkin_enabled_for(user) -> bool:
    from .selectors import current_posting, policy_for

    if user.role != Role.CADRE or not user.cadre_id:
        return False
    posting = current_posting(cadre=user.cadre)
    return posting is not None and policy_for(posting.village.township).checkin_enabled


def nav_items(user, path: str) -> list[dict]:
    items = []
    for name, label, roles in _ITEMS:
        if roles is not None and user.role not in roles:
            continue
        if name == "attendance:checkin" and not checkin_enabled_for(user):
            continue  # self check-in is optional and off unless the jurisdiction enables it
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    if user.is_staff:
        items.append({"url": reverse("admin:index"), "label": _("系统管理"), "active": path.startswith("/admin/")})
    return items
