import datetime

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404, render
from django.views import View
from django.views.generic import CreateView, DetailView, TemplateView, UpdateView
from django_filters.views import FilterView

from villages.models import Region
from villages.selectors import region_list
from villages.validators import SIGNIFICANT_DIGITS

from . import selectors, services
from .audit import audit_record, client_ip
from .filters import CadreFilter, PostingFilter, RoundFilter
from .forms import CadreForm, PostingForm, RoundForm
from .jurisdiction import can_manage, scope_of
from .mixins import ManageMixin, ScopedQuerysetMixin, owned_by_scope
from .models import PostingRole, PostingStatus, Role


class HomeView(LoginRequiredMixin, TemplateView):
    """One home page per role, each with the counts that matter to it. Aggregates only, never a ranking."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        scope = scope_of(user)
        ctx["scope"] = scope
        ctx["can_manage"] = can_manage(user)
        if user.role == Role.CADRE and scope.cadre_id:
            cadre = user.cadre
            posting = selectors.current_posting(cadre=cadre)
            ctx["cadre"] = cadre
            ctx["posting"] = posting
            if posting is not None:
                ctx["teammates"] = selectors.teammates(posting=posting)
                ctx["checkin_enabled"] = selectors.policy_for(posting.village.township).checkin_enabled
            ctx.update(self.attendance_context(user))
            return ctx
        ctx["counts"] = selectors.home_counts(user=user)
        ctx["team_warnings"] = selectors.villages_with_team_warnings(user=user, limit=10)
        if scope.region is not None and scope.region.level < Region.Level.TOWNSHIP:
            ctx["breakdown"] = self.breakdown(user, scope.region)
        if user.role == Role.UNIT:
            ctx["unit_postings"] = (
                selectors.posting_list(user=user).filter(status=PostingStatus.IN_POST).order_by("village__code")[:50]
            )
        if user.role == Role.TOWNSHIP:
            ctx["township_postings"] = (
                selectors.posting_list(user=user)
                .filter(status=PostingStatus.IN_POST)
                .order_by("village__code", "role")
            )
        ctx.update(self.attendance_context(user))
        ctx["recalled_unreplaced"] = (
            selectors.posting_list(user=user)
            .filter(status=PostingStatus.RECALLED, replaced_by__isnull=True)
            .order_by("end_date")[:10]
        )
        return ctx

    def attendance_context(self, user) -> dict:
        """Leave waiting for this user, overdue returns, register status and early warnings."""
        from attendance import selectors as att
        from attendance.services.register import month_start

        today = selectors.today()
        ctx = {
            "leave_queue": att.leave_queue(user=user)[:10],
            "leave_queue_count": att.leave_queue(user=user).count(),
            "overdue_returns": att.overdue_returns(user=user).count(),
            "corrections_pending": att.correction_queue(user=user).count(),
        }
        if user.role == Role.CADRE:
            ctx["my_figures"] = next(iter(att.compliance_for_user(user=user, ref=today, as_of=today)), None)
            ctx["my_leaves"] = att.leave_list(user=user).order_by("-start_date")[:5]
            return ctx
        if user.role in (Role.TOWNSHIP, Role.ORG_DEPT, Role.ADMIN):
            warnings = att.early_warnings(user=user, as_of=today)
            ctx["warnings"] = warnings[:10]
            ctx["warnings_count"] = len(warnings)
        if user.role == Role.TOWNSHIP:
            last_month = month_start(month_start(today) - datetime.timedelta(days=1))
            ctx["last_month"] = last_month
            ctx["last_month_confirmed"] = att.confirmation_of(township=user.region, month=last_month)
            ctx["confirm_deadline"] = last_month.replace(day=1) + datetime.timedelta(
                days=32
            )
            ctx["confirm_deadline"] = ctx["confirm_deadline"].replace(
                day=selectors.policy_for(user.region).register_confirm_day
            )
        return ctx

    def breakdown(self, user, region: Region) -> list[dict]:
        """Villages and cadres in post per next-level region, in one grouped query."""
        digits = SIGNIFICANT_DIGITS[region.level + 1]
        children = list(region_list(user=user).filter(parent=region).order_by("code"))
        in_force = selectors.posting_list(user=user).in_force_on(selectors.today())
        rows = (
            in_force.annotate(prefix=Substr("village__code", 1, digits))
            .values("prefix")
            .annotate(
                cadres=Count("cadre_id", distinct=True),
                villages=Count("village_id", distinct=True),
                secretaries=Count("pk", filter=Q(role="first_secretary")),
            )
        )
        by_prefix = {row["prefix"]: row for row in rows}
        villages = (
            selectors.village_list(user=user)
            .annotate(prefix=Substr("code", 1, digits))
            .values("prefix")
            .annotate(n=Count("pk"))
        )
        village_counts = {row["prefix"]: row["n"] for row in villages}
        result = []
        for child in children:
            row = by_prefix.get(child.prefix, {})
            result.append(
                {
                    "region": child,
                    "villages": village_counts.get(child.prefix, 0),
                    "covered": row.get("villages", 0),
                    "cadres": row.get("cadres", 0),
                    "secretaries": row.get("secretaries", 0),
                }
            )
        return result


class CadreListView(ScopedQuerysetMixin, FilterView):
    selector = selectors.cadre_list
    filterset_class = CadreFilter
    template_name = "cadres/cadre_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().order_by("name", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = can_manage(self.request.user)
        # The current posting of each cadre on this page, in one query rather than one per row.
        page = list(ctx["object_list"])
        current = {}
        for posting in (
            selectors.posting_list(user=self.request.user)
            .in_force_on(selectors.today())
            .filter(cadre__in=page)
        ):
            current[posting.cadre_id] = posting
        ctx["rows"] = [(cadre, current.get(cadre.pk)) for cadre in page]
        return ctx


class CadreDetailView(ScopedQuerysetMixin, DetailView):
    selector = selectors.cadre_list
    template_name = "cadres/cadre_detail.html"
    context_object_name = "cadre"
    reveal_id = False

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, cadre = self.request.user, self.object
        ctx["postings"] = (
            selectors.posting_list(user=user)
            .filter(cadre=cadre)
            .select_related("replaces__cadre", "replaced_by__cadre")
            .order_by("-start_date")
        )
        ctx["can_manage"] = can_manage(user)
        ctx["can_reveal_id"] = can_manage(user) or (user.role == Role.CADRE and user.cadre_id == cadre.pk)
        ctx["id_display"] = cadre.id_number if self.reveal_id else cadre.masked_id_number
        ctx["id_revealed"] = self.reveal_id
        ctx["age"] = cadre.age_on(selectors.today())
        return ctx


class CadreRevealIdView(LoginRequiredMixin, View):
    """Shows the full ID number to a role that needs it (organization department, admin, the cadre), on
    POST only, and records each showing in the audit trail (PIPL)."""

    def post(self, request, pk):
        cadre = get_object_or_404(selectors.cadre_list(user=request.user), pk=pk)
        if not (can_manage(request.user) or (request.user.role == Role.CADRE and request.user.cadre_id == cadre.pk)):
            raise PermissionDenied
        audit_record(
            actor=request.user,
            action="cadre.view_id_number",
            obj=cadre,
            region_code=cadre.unit.region.code,
            ip=client_ip(request),
        )
        view = CadreDetailView(request=request, kwargs={"pk": pk}, reveal_id=True)
        view.object = cadre
        return render(request, view.template_name, view.get_context_data(object=cadre))


class CadreFormMixin(ManageMixin):
    selector = selectors.cadre_list
    form_class = CadreForm
    template_name = "cadres/cadre_form.html"

    def save(self, form):
        return services.cadre_save(actor=self.request.user, cadre=form.instance, ip=self.ip)


class CadreCreateView(CadreFormMixin, CreateView):
    pass


class CadreUpdateView(CadreFormMixin, UpdateView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The form shows the full ID number: that is a viewing of personal data, logged like the reveal.
        audit_record(actor=request.user, action="cadre.view_id_number", obj=self.object,
                     region_code=self.object.unit.region.code, ip=client_ip(request), detail={"via": "edit"})
        return response


class RoundListView(ScopedQuerysetMixin, FilterView):
    selector = selectors.round_list
    filterset_class = RoundFilter
    template_name = "cadres/round_list.html"
    paginate_by = 25

    def get_queryset(self):
        # Count only the postings the user may see: a county's view of a city-wide round counts its own.
        visible = Q(postings__in=selectors.posting_list(user=self.request.user).values("pk"))
        return super().get_queryset().annotate(
            n_postings=Count("postings", filter=visible),
            n_in_post=Count("postings", filter=visible & Q(postings__status=PostingStatus.IN_POST)),
        ).order_by("-start_date", "name")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = can_manage(self.request.user)
        return ctx


class RoundDetailView(ScopedQuerysetMixin, DetailView):
    selector = selectors.round_list
    template_name = "cadres/round_detail.html"
    context_object_name = "round"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        postings = selectors.posting_list(user=self.request.user).filter(round=self.object)
        ctx["by_status"] = postings.values("status").annotate(n=Count("pk")).order_by("status")
        ctx["by_role"] = postings.values("role").annotate(n=Count("pk")).order_by("role")
        ctx["n_villages"] = postings.values("village_id").distinct().count()
        ctx["n_postings"] = postings.count()
        ctx["status_labels"] = dict(PostingStatus.choices)
        ctx["role_labels"] = dict(PostingRole.choices)
        ctx["can_manage"] = can_manage(self.request.user)
        return ctx


class RoundFormMixin(ManageMixin):
    selector = selectors.round_list
    form_class = RoundForm
    template_name = "cadres/round_form.html"

    def may_change(self, obj) -> bool:
        # A county works in the city's rounds but does not own them.
        return owned_by_scope(self.request.user, obj.region)

    def save(self, form):
        return services.round_save(actor=self.request.user, dispatch_round=form.instance, ip=self.ip)


class RoundCreateView(RoundFormMixin, CreateView):
    pass


class RoundUpdateView(RoundFormMixin, UpdateView):
    pass


class PostingListView(ScopedQuerysetMixin, FilterView):
    selector = selectors.posting_list
    filterset_class = PostingFilter
    template_name = "cadres/posting_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().order_by("-start_date", "pk")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = can_manage(self.request.user)
        return ctx


class PostingDetailView(ScopedQuerysetMixin, DetailView):
    selector = selectors.posting_list
    template_name = "cadres/posting_detail.html"
    context_object_name = "posting"

    def get_queryset(self):
        return super().get_queryset().select_related("replaces__cadre", "replaced_by__cadre", "village__township__parent")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = can_manage(self.request.user)
        return ctx


class PostingFormMixin(ManageMixin):
    selector = selectors.posting_list
    form_class = PostingForm
    template_name = "cadres/posting_form.html"

    def get_initial(self):
        initial = super().get_initial()
        for key in ("cadre", "village", "round", "replaces"):
            value = self.request.GET.get(key, "")
            if value.isdigit():
                initial[key] = int(value)
        return initial

    def save(self, form):
        return services.posting_save(actor=self.request.user, posting=form.instance, ip=self.ip)


class PostingCreateView(PostingFormMixin, CreateView):
    pass


class PostingUpdateView(PostingFormMixin, UpdateView):
    pass
