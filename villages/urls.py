from django.urls import path

from . import views

app_name = "villages"

urlpatterns = [
    path("regions/", views.RegionListView.as_view(), name="region_list"),
    path("regions/<int:pk>/", views.RegionDetailView.as_view(), name="region_detail"),
    path("villages/", views.VillageListView.as_view(), name="village_list"),
    path("villages/new/", views.VillageCreateView.as_view(), name="village_create"),
    path("villages/<int:pk>/", views.VillageDetailView.as_view(), name="village_detail"),
    path("villages/<int:pk>/edit/", views.VillageUpdateView.as_view(), name="village_update"),
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/new/", views.UnitCreateView.as_view(), name="unit_create"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/edit/", views.UnitUpdateView.as_view(), name="unit_update"),
    path("policy/", views.PolicyDetailView.as_view(), name="policy_detail"),
    path("policy/edit/", views.PolicyEditView.as_view(), name="policy_edit"),
]

# Dispatching-unit support (帮扶台账).
from . import views_support  # noqa: E402

urlpatterns += [
    path("units/<int:pk>/support/", views_support.UnitSupportView.as_view(), name="unit_support"),
    path(
        "units/<int:pk>/support/<int:record_pk>/delete/", views_support.SupportDeleteView.as_view(),
        name="support_delete",
    ),
    path("support/", views_support.SupportOverviewView.as_view(), name="support_overview"),
]
