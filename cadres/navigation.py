"""The navigation of each role: what the menu shows, in sections. Access itself is enforced by selectors
and views; the menu only hides what a role cannot use."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

ORG = {Role.ORG_DEPT, Role.ADMIN}
ALL = None
SECTIONS = [
    (_("日常工作"), [
        # (url name, label, roles that see it; None = everyone)
        ("home", _("首页"), ALL),
        ("attendance:register", _("考勤簿"), {Role.TOWNSHIP, *ORG}),
        ("attendance:leave_list", _("请假销假"), ALL),
        ("attendance:compliance", _("在村天数"), ALL),
        ("attendance:checkin", _("签到"), {Role.CADRE}),
        ("attendance:diary_list", _("民情日记"), ALL),
    ]),
    (_("管理制度"), [
        ("attendance:inspection_list", _("督查问责"), {Role.TOWNSHIP, *ORG}),
        ("attendance:training_list", _("培训学习交流"), ALL),
        ("cadres:recall_list", _("召回替补"), {Role.UNIT, *ORG}),
        ("cadres:evaluation_list", _("年度考核"), ORG),
        ("cadres:award_list", _("奖惩记录"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
        ("villages:support_overview", _("帮扶台账"), ORG),
    ]),
    (_("基础数据"), [
        ("cadres:cadre_list", _("驻村干部"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
        ("cadres:posting_list", _("派驻记录"), ALL),
        ("villages:village_list", _("村(社区)"), ALL),
        ("villages:region_list", _("区划"), {Role.TOWNSHIP, *ORG}),
        ("villages:unit_list", _("派驻单位"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
        ("cadres:round_list", _("轮次"), {Role.TOWNSHIP, Role.UNIT, *ORG}),
        ("cadres:import", _("批量导入"), ORG),
    ]),
    (_("统计与设置"), [
        ("reports:report_list", _("统计报表"), {Role.TOWNSHIP, *ORG}),
        ("reports:dashboard", _("数据看板"), {Role.TOWNSHIP, *ORG}),
        ("villages:policy_detail", _("政策设置"), {Role.TOWNSHIP, *ORG}),
        ("audit_list", _("审计日志"), ORG),
    ]),
]


def checkin_enabled_for(user) -> bool:
    from .selectors import current_posting, policy_for

    if user.role != Role.CADRE or not user.cadre_id:
        return False
    posting = current_posting(cadre=user.cadre)
    return posting is not None and policy_for(posting.village.township).checkin_enabled


def nav_items(user, path: str) -> list[dict]:
    """Sections with their items: [{"label": …, "items": [{"url", "label", "active"}]}]."""
    sections = []
    for title, entries in SECTIONS:
        items = []
        for name, label, roles in entries:
            if roles is not None and user.role not in roles:
                continue
            if name == "attendance:checkin" and not checkin_enabled_for(user):
                continue  # self check-in is optional and off unless the jurisdiction enables it
            url = reverse(name)
            items.append({"url": url, "label": label, "active": False})
        if user.is_staff and title == SECTIONS[-1][0]:
            items.append({"url": reverse("admin:index"), "label": _("系统管理"), "active": False})
        if items:
            sections.append({"label": title, "items": items})
    # The one entry whose address is the longest prefix of the current path is active (/reports/ and
    # /reports/dashboard/ are both prefixes of the dashboard's path; only the dashboard is).
    candidates = [item for section in sections for item in section["items"]
                  if (item["url"] == "/" and path == "/") or (item["url"] != "/" and path.startswith(item["url"]))]
    if candidates:
        max(candidates, key=lambda item: len(item["url"]))["active"] = True
    return sections
