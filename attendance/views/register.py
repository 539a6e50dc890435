"""The register (考勤簿): a township's month as one grid, bulk actions, confirmation, and corrections of
confirmed months (township asks, county decides)."""
import datetime
import re

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from cadres.audit import client_ip
from cadres.mixins import add_service_errors
from cadres.models import Cadre, Role
from cadres.selectors import cadre_list

from .. import selectors, services
from ..forms import BulkForm, CorrectionForm
from ..models import DaySource, DayStatus, EvidenceSource
from ..services.register import Entry, month_days, month_start, next_month

STATUS_CODES = [
    # (value, short label shown in a cell)
    (DayStatus.NOT_RECORDED, "–"),
    (DayStatus.PRESENT, "√"),
    (DayStatus.LEAVE, "假"),
    (DayStatus.BUSINESS, "公"),
    (DayStatus.TRAINING, "训"),
    (DayStatus.ABSENT, "缺"),
]
EDITABLE = {value for value, _label in STATUS_CODES if value != DayStatus.LEAVE}  # leave comes from approvals
EVIDENCE_SOURCE = {
    EvidenceSource.CHECKIN: DaySource.CHECKIN,
    EvidenceSource.DINGTALK: DaySource.IMPORT,
    EvidenceSource.WECOM: DaySource.IMPORT,
}


CELL_NAME = re.compile(r"c_(\d{1,18})_(\d{8})")


def grid_cells_html(grid, *, can_edit: bool, can_correct: bool) -> list:
    """The cells of each grid row as one piece of HTML per row.

    A month is ~1,500 cells; through the template (a loop over the status codes, a {% url %} and a dozen
    lookups per cell) they took ~150 ms of a 210 ms page at province scale. Here each cell is a few string
    operations: the <option> lists and labels are built once per request, the correction URL reversed once,
    and every piece of text that comes from the database (names, notes, evidence details) is escaped."""
    code_of = dict(STATUS_CODES)
    source_label = {value: str(label) for value, label in DaySource.choices}
    options = {
        status: "".join(
            f'<option value="{value}"{" selected" if value == status else ""}>{code}</option>'
            for value, code in STATUS_CODES if value != DayStatus.LEAVE
        )
        for status in EDITABLE
    }
    correction_url = escape(reverse("attendance:correction_create"))
    correction_title = escape(_("申请更正"))
    result = []
    for row in grid:
        posting = row.posting
        name = escape(posting.cadre.name)
        parts = []
        for c in row.cells:
            day, status = c["day"], c["status"]
            evidence = c["evidence"]
            css = "cell"
            if not c["in_post"]:
                css += " out"
            if evidence is not None and status == DayStatus.NOT_RECORDED:
                css += " ev"
            if c["flagged"]:
                css += " flag"
            if day.weekday() >= 5:
                css += " weekend"
            if evidence is not None:
                title = escape(f"{evidence.get_source_display()}:{evidence.get_status_display()} {evidence.detail}")
                title = f' title="{title}"'
            elif c["source"]:
                title = f' title="{escape(source_label.get(c["source"], c["source"]) + " " + c["note"])}"'
            else:
                title = ""
            if not c["in_post"]:
                inner = '<span class="muted">·</span>'
            elif can_edit and status != DayStatus.LEAVE:
                inner = (f'<select name="c_{posting.pk}_{day:%Y%m%d}" class="st-{status}" '
                         f'aria-label="{name} {day.month}月{day.day}日">{options[status]}</select>')
            elif can_correct:
                inner = (f'<a class="cell-code st-{status}" href="{correction_url}?cadre={posting.cadre_id}'
                         f'&amp;day={day:%Y-%m-%d}" title="{correction_title}">{code_of[status]}</a>')
            else:
                inner = f'<span class="cell-code st-{status}">{code_of[status]}</span>'
            parts.append(f'<td class="{css}"{title}>{inner}</td>')
        result.append(mark_safe("".join(parts)))  # noqa: S308 - every database value above is escaped
    return result


def parse_month(value: str | None) -> datetime.date:
    """'2026-10' → 2026-10-01; anything else → last month (the one a township confirms)."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return datetime.date(year, month, 1)
    except (TypeError, ValueError):
        return month_start(month_start(timezone.localdate()) - datetime.timedelta(days=1))


def resolve_township(request):
    """The township whose register is shown: a township official's own; for an organization department or
    admin, the `township` parameter, which must lie in their jurisdiction (else 404)."""
    user = request.user
    if user.role == Role.TOWNSHIP:
        return user.region
    townships = selectors.townships_for(user=user)
    raw = request.GET.get("township") or request.POST.get("township") or ""
    if raw.isdigit():
        return get_object_or_404(townships, pk=raw)
    return townships.order_by("code").first()


class RegisterView(LoginRequiredMixin, TemplateView):
    template_name = "attendance/register.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in (Role.TOWNSHIP, Role.ORG_DEPT, Role.ADMIN):
            raise PermissionDenied(_("考勤簿由乡镇维护,组织部查看。"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        township = resolve_township(self.request)
        if township is None:
            raise Http404
        month = parse_month(self.request.GET.get("month"))
        confirmation = selectors.confirmation_of(township=township, month=month)
        today = timezone.localdate()
        # When the grid was read (taken before the read), sent back by the form: a save refuses days changed
        # since by anyone else or by an older form of the same person (see register_write).
        seen = timezone.now()
        grid = selectors.register_grid(township=township, month=month)
        can_edit = user.role == Role.TOWNSHIP and confirmation is None
        can_correct = user.role == Role.TOWNSHIP and confirmation is not None
        ctx.update({
            "township": township,
            "month": month,
            "seen": seen.isoformat(),
            "prev_month": month_start(month - datetime.timedelta(days=1)),
            "next_month": next_month(month),
            "days": month_days(month),
            "grid": grid,
            "rows": list(zip(grid, grid_cells_html(grid, can_edit=can_edit, can_correct=can_correct), strict=True)),
            "confirmation": confirmation,
            "can_edit": can_edit,
            "can_correct": can_correct,
            "can_confirm": user.role == Role.TOWNSHIP and confirmation is None and next_month(month) <= today,
            "status_codes": STATUS_CODES,
            "editable": EDITABLE,
            "townships": selectors.townships_for(user=user) if user.role != Role.TOWNSHIP else None,
            "bulk_form": BulkForm(initial={"date_from": month, "date_to": min(next_month(month), today + datetime.timedelta(days=1)) - datetime.timedelta(days=1)}),
            "evidence_count": sum(1 for row in grid for c in row.cells if c["evidence"] and c["status"] == DayStatus.NOT_RECORDED),
            "today": today,
            "deadline_day": selectors.policy_for(township).register_confirm_day,
        })
        return ctx

    def post(self, request, *args, **kwargs):
        user = request.user
        if user.role != Role.TOWNSHIP:
            raise PermissionDenied(_("只有乡镇(街道)可以填写考勤簿。"))
        township = user.region
        month = parse_month(request.POST.get("month"))
        action = request.POST.get("action", "save")
        ip = client_ip(request)
        try:
            if action == "confirm":
                services.register_confirm_month(
                    actor=user, township=township, month=month, ip=ip,
                    accept_unrecorded=request.POST.get("accept_unrecorded") == "1",
                )
                messages.success(request, _("%(month)s 的考勤已确认并锁定。") % {"month": month.strftime("%Y-%m")})
            else:
                entries = self.entries_for(action, township, month)
                n = services.register_write(entries=entries, source=DaySource.TOWNSHIP, actor=user,
                                            reason=_("乡镇录入"),
                                            unchanged_since=self.seen() if action == "save" else None)
                if action == "accept_evidence":
                    n = self.accept_evidence(township, month)
                messages.success(request, _("已保存,%(n)d天有变化。") % {"n": n})
        except ValidationError as exc:
            for message in exc.messages[:30]:
                messages.error(request, message)
        url = reverse("attendance:register") + f"?township={township.pk}&month={month:%Y-%m}"
        return redirect(url)

    def seen(self) -> datetime.datetime | None:
        """When the posted grid was read (the form's hidden field); None from a client that does not send it."""
        value = self.request.POST.get("seen", "")
        if not value:
            return None
        try:
            seen = datetime.datetime.fromisoformat(value)
        except ValueError:
            seen = None
        if seen is None or timezone.is_naive(seen):
            raise ValidationError(_("考勤簿页面已过期,请刷新后重新填写。"))
        return seen

    def entries_for(self, action: str, township, month) -> list[Entry]:
        entries = []
        if action == "save":
            # Only the cells the form posted are read: the page's script disables the unchanged ones before
            # submitting, so a save costs what was changed; without JavaScript every cell is posted and
            # the unchanged ones are skipped here, as before.
            posted = {}
            for key, value in self.request.POST.items():
                match = CELL_NAME.fullmatch(key)
                if match is None:
                    continue
                try:
                    day = datetime.datetime.strptime(match[2], "%Y%m%d").date()
                except ValueError:
                    continue
                posted[(int(match[1]), day)] = value
            current = selectors.register_cells(township=township, month=month, cells=set(posted))
            outside = []
            for (posting_id, day), (cadre_id, status, in_post) in sorted(current.items()):
                value = posted[(posting_id, day)]
                if value == status:
                    continue
                if not in_post:
                    # A day outside this township's posting is refused here, never passed on by cadre and
                    # day: the cadre may hold another posting that day (moved to another township), whose
                    # register is not this township's to write.
                    outside.append((cadre_id, day))
                    continue
                if value not in EDITABLE or status == DayStatus.LEAVE:
                    # Leave days follow the approval; a township changes them only through the leave.
                    raise ValidationError(_("请假天数由请假审批自动填写,不能在考勤簿中修改。"))
                entries.append(Entry(cadre_id=cadre_id, day=day, status=value))
            if outside:
                names = dict(Cadre.objects.filter(pk__in={c for c, _d in outside}).values_list("pk", "name"))
                raise ValidationError([
                    _("%(name)s 在 %(day)s 不在派驻期内,不能记录考勤。") % {"name": names[c], "day": day.isoformat()}
                    for c, day in outside
                ])
            return entries
        if action == "bulk":
            by_posting = {row.posting.pk: row for row in selectors.register_grid(township=township, month=month)}
            form = BulkForm(self.request.POST)
            if not form.is_valid():
                raise ValidationError([e for errs in form.errors.values() for e in errs])
            chosen = [int(v) for v in self.request.POST.getlist("sel") if v.isdigit()]
            if not chosen:
                raise ValidationError(_("请先勾选要批量标记的干部。"))
            start, end, status = form.cleaned_data["date_from"], form.cleaned_data["date_to"], form.cleaned_data["status"]
            for pk in chosen:
                row = by_posting.get(pk)
                if row is None:
                    raise ValidationError(_("所选干部不在本乡镇本月的考勤簿中。"))
                for cell in row.cells:
                    if cell["in_post"] and start <= cell["day"] <= end and cell["status"] != DayStatus.LEAVE:
                        entries.append(Entry(cadre_id=row.posting.cadre_id, day=cell["day"], status=status))
        return entries

    def accept_evidence(self, township, month) -> int:
        """Copy check-in and imported evidence into the register for days still unrecorded. Evidence marked
        doubtful (outside the radius, missing punch) is copied only when the township ticks it."""
        include_flagged = self.request.POST.get("include_flagged") == "1"
        by_source: dict[str, list[Entry]] = {}
        for row in selectors.register_grid(township=township, month=month):
            for cell in row.cells:
                ev = cell["evidence"]
                if ev is None or cell["status"] != DayStatus.NOT_RECORDED or (ev.flagged and not include_flagged):
                    continue
                by_source.setdefault(EVIDENCE_SOURCE[ev.source], []).append(
                    Entry(cadre_id=row.posting.cadre_id, day=cell["day"], status=ev.status, flagged=ev.flagged,
                          note=ev.detail[:200])
                )
        return sum(
            services.register_write(entries=entries, source=source, actor=self.request.user, reason=_("乡镇确认佐证"))
            for source, entries in by_source.items()
        )


class CorrectionListView(LoginRequiredMixin, ListView):
    template_name = "attendance/correction_list.html"
    paginate_by = 30

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role not in (Role.TOWNSHIP, Role.ORG_DEPT, Role.ADMIN):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.correction_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["queue_ids"] = set(selectors.correction_queue(user=self.request.user).values_list("pk", flat=True))
        return ctx


class CorrectionCreateView(LoginRequiredMixin, FormView):
    template_name = "attendance/correction_form.html"
    form_class = CorrectionForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        if request.user.role != Role.TOWNSHIP:
            raise PermissionDenied(_("考勤更正由乡镇提出。"))
        raw_cadre = request.GET.get("cadre") or request.POST.get("cadre") or ""
        self.cadre = get_object_or_404(cadre_list(user=request.user), pk=raw_cadre) if raw_cadre.isdigit() else None
        try:
            self.day = datetime.date.fromisoformat(request.GET.get("day") or request.POST.get("day") or "")
        except ValueError:
            self.day = None
        if self.cadre is None or self.day is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update({"cadre": self.cadre, "day": self.day})
        return ctx

    def form_valid(self, form):
        try:
            services.correction_request(
                actor=self.request.user, cadre=self.cadre, day=self.day, new_status=form.cleaned_data["new_status"],
                reason=form.cleaned_data["reason"], ip=client_ip(self.request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("更正申请已提交县(区)委组织部审批。"))
        return redirect(reverse("attendance:corrections"))


class CorrectionDecideView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk, decision):
        correction = get_object_or_404(selectors.correction_list(user=request.user), pk=pk)
        if decision not in ("approve", "reject"):
            raise Http404
        try:
            services.correction_decide(
                actor=request.user, correction_id=correction.pk, approve=decision == "approve",
                comment=request.POST.get("comment", ""), ip=client_ip(request),
            )
            messages.success(request, _("已批准更正。") if decision == "approve" else _("已驳回更正。"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect(reverse("attendance:corrections"))


urlpatterns = [
    path("register/", RegisterView.as_view(), name="register"),
    path("register/corrections/", CorrectionListView.as_view(), name="corrections"),
    path("register/corrections/new/", CorrectionCreateView.as_view(), name="correction_create"),
    path("register/corrections/<int:pk>/<str:decision>/", CorrectionDecideView.as_view(), name="correction_decide"),
]
