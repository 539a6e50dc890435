from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import CreateView, DetailView, TemplateView, UpdateView
from django_filters.views import FilterView

from attendance.models import DayStatus
from cadres.audit import client_ip
from cadres.jurisdiction import can_manage, scope_of
from cadres.mixins import ManageMixin, ScopedQuerysetMixin, add_service_errors, owned_by_scope
from cadres.models import PostingStatus
from cadres.selectors import cadre_list, policy_for, posting_list, village_teams

from . import selectors, services
from .filters import RegionFilter, UnitFilter, VillageFilter
from .forms import LeaveRouteFormSet, PolicyForm, UnitForm, VillageForm
from .models import Policy, PolicyChange, Region


class RegionListView(ScopedQuerysetMixin, FilterView):
    selector = selectors.region_list
    filterset_class = RegionFilter
    template_name = "villages/region_list.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            super().get_queryset()
            .annotate(n_children=Count("children", distinct=True), n_villages=Count("villages", distinct=True))
            .order_by("code")
        )


class RegionDetailView(ScopedQuerysetMixin, DetailView):
    selector = selectors.region_list
    template_name = "villages/region_detail.html"
    context_object_name = "region"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        region, user = self.object, self.request.user
        ctx["children"] = selectors.region_children_with_counts(user=user, region=region)
        if region.level == Region.Level.TOWNSHIP:
            ctx["villages"] = selectors.village_list(user=user).filter(township=region).annotate(
                n_in_post=Count("postings", filter=Q(postings__status=PostingStatus.IN_POST))
            )
        ctx["policy"] = policy_for(region)
        return ctx


class VillageListView(ScopedQuerysetMixin, FilterView):
    selector = selectors.village_list
    filterset_class = VillageFilter
    template_name = "villages/village_list.html"
    paginate_by = 25

    def get_queryset(self):
        return (
            super().get_queryset()
            .prefetch_related("categories")
            .annotate(n_in_post=Count("postings", filter=Q(postings__status=PostingStatus.IN_POST)))
            .order_by("code")
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = can_manage(self.request.user)
        return ctx


class VillageDetailView(ScopedQuerysetMixin, DetailView):
    selector = selectors.village_list
    template_name = "villages/village_detail.html"
    context_object_name = "village"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["teams"] = village_teams(user=self.request.user, village=self.object)
        ctx["categories"] = list(self.object.categories.all())
        ctx["can_manage"] = can_manage(self.request.user)
        ctx["policy"] = policy_for(self.object.township)
        return ctx


class VillageFormMixin(ManageMixin):
    selector = selectors.village_list
    form_class = VillageForm
    template_name = "villages/village_form.html"

    def save(self, form):
        return services.village_save(
            actor=self.request.user, village=form.instance, categories=form.cleaned_data["categories"], ip=self.ip
        )


class VillageCreateView(VillageFormMixin, CreateView):
    pass


class VillageUpdateView(VillageFormMixin, UpdateView):
    pass


class UnitListView(ScopedQuerysetMixin, FilterView):
    selector = selectors.unit_list
    filterset_class = UnitFilter
    template_name = "villages/unit_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().annotate(
            n_cadres=Count("postings", filter=Q(postings__status=PostingStatus.IN_POST))
        ).order_by("level", "name")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_manage"] = can_manage(self.request.user)
        return ctx


class UnitDetailView(ScopedQuerysetMixin, DetailView):
    selector = selectors.unit_list
    template_name = "villages/unit_detail.html"
    context_object_name = "unit"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, unit = self.request.user, self.object
        ctx["postings"] = (
            posting_list(user=user).filter(unit=unit).order_by("status", "-start_date")
        )
        ctx["cadres_without_posting"] = cadre_list(user=user).filter(unit=unit, postings__isnull=True)
        ctx["can_manage"] = can_manage(user)
        return ctx


class UnitFormMixin(ManageMixin):
    selector = selectors.unit_list

    def may_change(self, obj) -> bool:
        # A county sees the city units whose cadres serve in it, but only the city may change them.
        return owned_by_scope(self.request.user, obj.region)
    form_class = UnitForm
    template_name = "villages/unit_form.html"

    def save(self, form):
        return services.unit_save(actor=self.request.user, unit=form.instance, ip=self.ip)


class UnitCreateView(UnitFormMixin, CreateView):
    pass


class UnitUpdateView(UnitFormMixin, UpdateView):
    pass



# --- Policy (政策设置) -------------------------------------------------------------------------------------


def _policy_value_display(name: str, value) -> str:
    """A policy value as a reader sees it: choice labels, 是/否, routing rows joined."""
    if name == services.ROUTES_KEY:
        return ";".join(value) if value else "—"
    try:
        field = Policy._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed: show the raw value rather than fail the history page
        return "—" if value is None else str(value)
    if value is None:
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def _policy_field_label(name: str) -> str:
    if name == services.ROUTES_KEY:
        return _("请假审批规则")
    try:
        return str(Policy._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _policy_change_item(name: str, old, new) -> dict:
    if name == services.ROUTES_KEY:
        # The routing table reads better one row per line than joined into one long line.
        return {"label": _policy_field_label(name), "lines": True, "old": old or [], "new": new or []}
    return {
        "label": _policy_field_label(name), "lines": False,
        "old": _policy_value_display(name, old), "new": _policy_value_display(name, new),
    }


def _policy_history(policy: Policy, limit: int = 50) -> list[dict]:
    """The changes of a saved policy, newest first, each as who/when and (label, old, new) rows."""
    if policy.pk is None:
        return []
    rows = []
    for change in PolicyChange.objects.filter(policy=policy).select_related("changed_by")[:limit]:
        ordered = [n for n in (*services.POLICY_FIELDS, services.ROUTES_KEY) if n in change.changes]
        ordered += [n for n in change.changes if n not in ordered]
        rows.append({
            "change": change,
            "who": (change.changed_by.get_full_name() or change.changed_by.username) if change.changed_by else _("系统"),
            "items": [_policy_change_item(n, *change.changes[n]) for n in ordered],
        })
    return rows


class PolicyAccessMixin(LoginRequiredMixin):
    """The policy pages are for users with a region (organization departments, townships, admins): units and
    cadres answer 403, anonymous users go to the login page."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        scope = scope_of(request.user)
        if scope.region is None and not scope.everything:
            raise PermissionDenied(_("您的角色不能查看政策设置。"))
        return super().dispatch(request, *args, **kwargs)


class PolicyDetailView(PolicyAccessMixin, TemplateView):
    """The policy in force for the user's region (or, with ?region=, a region inside their jurisdiction):
    every value, where it comes from, the routing table in words and the history of changes."""

    template_name = "villages/policy_detail.html"

    def get_region(self) -> Region | None:
        user, wanted = self.request.user, self.request.GET.get("region")
        if wanted:
            if not wanted.isdigit():
                raise Http404
            return get_object_or_404(selectors.region_list(user=user), pk=int(wanted))
        return user.region if user.region_id else None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, region = self.request.user, self.get_region()
        policy = policy_for(region)
        if policy.pk is None:
            source = "default"
        elif region is not None and policy.region_id == region.pk:
            source = "own"
        else:
            source = "inherited"
        counted = policy.counted_statuses()
        ctx.update(
            region=region,
            policy=policy,
            source=source,
            values=[
                {"label": _policy_field_label(n), "value": _policy_value_display(n, getattr(policy, n)),
                 "help": Policy._meta.get_field(n).help_text}
                for n in services.POLICY_FIELDS
            ],
            counted_labels=[s.label for s in DayStatus if s.value in counted],
            min_days_help=Policy._meta.get_field("min_days").help_text,
            route_lines=services.leave_route_lines(policy.leave_routes()),
            history=_policy_history(policy),
            can_edit=services.policy_can_edit(user=user, region=region),
            # Regions below this one that set their own policy: a city sees which counties override it.
            overrides=(
                selectors.region_list(user=user)
                .filter(code__startswith=region.prefix, policy__isnull=False)
                .exclude(pk=region.pk)
                .order_by("code")
                if region is not None else []
            ),
        )
        return ctx


class PolicyEditView(PolicyAccessMixin, TemplateView):
    """Edit the policy of the user's own region (city default, county override); nothing else."""

    template_name = "villages/policy_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.policy_can_edit(
            user=request.user, region=request.user.region if request.user.region_id else None
        ):
            raise PermissionDenied(_("只有市、县(区)委组织部可以修改本级的政策设置。"))
        return super().dispatch(request, *args, **kwargs)

    def forms(self, data=None):
        policy = policy_for(self.request.user.region)
        if data is not None:
            # No initial on POST: a formset skips extra rows equal to their initial, so a row added in the
            # blank line could vanish if the table changed meanwhile. policy_update diffs against the database.
            return policy, PolicyForm(data), LeaveRouteFormSet(data, prefix="routes")
        form = PolicyForm(initial={n: getattr(policy, n) for n in services.POLICY_FIELDS})
        routes = LeaveRouteFormSet(
            prefix="routes",
            initial=[
                {"max_days": services.days_text(r["max_days"]) if r["max_days"] is not None else None,
                 "approver_level": r["approver_level"], "filing_levels": r["filing_levels"]}
                for r in map(services.route_normalize, policy.leave_routes())
            ],
        )
        return policy, form, routes

    def get(self, request, *args, **kwargs):
        policy, form, routes = self.forms()
        return self.render_to_response(self.get_context_data(policy=policy, form=form, routes=routes))

    def post(self, request, *args, **kwargs):
        policy, form, routes = self.forms(request.POST)
        route_errors = []
        if form.is_valid() and routes.is_valid():
            try:
                saved = services.policy_update(
                    actor=request.user, region=request.user.region, data=form.cleaned_data,
                    routes=routes.routes(), ip=client_ip(request),
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    route_errors = [m for e in exc.error_dict.pop(services.ROUTES_KEY, []) for m in e.messages]
                add_service_errors(form, exc)
            else:
                if saved.last_changes:
                    messages.success(request, _("政策设置已保存。"))
                else:
                    messages.info(request, _("没有修改任何内容。"))
                return redirect(reverse("villages:policy_detail"))
        return self.render_to_response(
            self.get_context_data(policy=policy, form=form, routes=routes, route_errors=route_errors)
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["form"]
        ctx["region"] = self.request.user.region
        ctx["groups"] = [
            (_("工作队与任期"), [form[n] for n in ("team_min_priority", "team_max", "term_min_months")]),
            (_("在村天数"), [form[n] for n in (
                "min_days", "min_days_period", "count_business", "count_training", "register_confirm_day")]),
            (_("自主签到"), [form[n] for n in (
                "checkin_enabled", "checkin_radius_m", "checkin_max_accuracy_m", "checkin_max_speed_kmh")]),
            (_("召回替补与年度考核"), [form[n] for n in (
                "replacement_deadline_days", "absences_block_excellent", "absences_cap_basic",
                "absences_not_competent", "excellent_share_cap")]),
        ]
        return ctx
