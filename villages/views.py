from django.db.models import Count, Q
from django.views.generic import CreateView, DetailView, UpdateView
from django_filters.views import FilterView

from cadres.jurisdiction import can_manage
from cadres.mixins import ManageMixin, ScopedQuerysetMixin
from cadres.models import PostingStatus
from cadres.selectors import cadre_list, policy_for, posting_list, village_teams

from . import selectors, services
from .filters import RegionFilter, UnitFilter, VillageFilter
from .forms import UnitForm, VillageForm
from .models import Region


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
    form_class = UnitForm
    template_name = "villages/unit_form.html"

    def save(self, form):
        return services.unit_save(actor=self.request.user, unit=form.instance, ip=self.ip)


class UnitCreateView(UnitFormMixin, CreateView):
    pass


class UnitUpdateView(UnitFormMixin, UpdateView):
    pass

