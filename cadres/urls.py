from django.urls import path

from . import views

app_name = "cadres"

urlpatterns = [
    path("cadres/", views.CadreListView.as_view(), name="cadre_list"),
    path("cadres/new/", views.CadreCreateView.as_view(), name="cadre_create"),
    path("cadres/<int:pk>/", views.CadreDetailView.as_view(), name="cadre_detail"),
    path("cadres/<int:pk>/edit/", views.CadreUpdateView.as_view(), name="cadre_update"),
    path("cadres/<int:pk>/reveal-id/", views.CadreRevealIdView.as_view(), name="cadre_reveal_id"),
    path("rounds/", views.RoundListView.as_view(), name="round_list"),
    path("rounds/new/", views.RoundCreateView.as_view(), name="round_create"),
    path("rounds/<int:pk>/", views.RoundDetailView.as_view(), name="round_detail"),
    path("rounds/<int:pk>/edit/", views.RoundUpdateView.as_view(), name="round_update"),
    path("postings/", views.PostingListView.as_view(), name="posting_list"),
    path("postings/new/", views.PostingCreateView.as_view(), name="posting_create"),
    path("postings/<int:pk>/", views.PostingDetailView.as_view(), name="posting_detail"),
    path("postings/<int:pk>/edit/", views.PostingUpdateView.as_view(), name="posting_update"),
]

from . import views_management as management  # noqa: E402 - the management workflows (issue 5)

urlpatterns += [
    path("recalls/", management.RecallListView.as_view(), name="recall_list"),
    path("recalls/<int:pk>/", management.RecallDetailView.as_view(), name="recall_detail"),
    path("recalls/<int:pk>/decide/", management.RecallDecideView.as_view(), name="recall_decide"),
    path("postings/<int:pk>/recall/", management.RecallProposeView.as_view(), name="recall_propose"),
    path("evaluations/", management.EvaluationListView.as_view(), name="evaluation_list"),
    path("evaluations/<int:year>/<int:cadre_pk>/", management.EvaluationEditView.as_view(), name="evaluation_edit"),
    path("awards/", management.AwardListView.as_view(), name="award_list"),
    path("cadres/<int:pk>/awards/new/", management.AwardCreateView.as_view(), name="award_create"),
    path("cadres/<int:pk>/dossier/", management.DossierView.as_view(), name="cadre_dossier"),
]

# Bulk import (批量导入) of villages, units, cadres and postings.
from . import views_import  # noqa: E402

urlpatterns += [
    path("import/", views_import.ImportView.as_view(), name="import"),
    path("import/templates/<str:kind>.xlsx", views_import.ImportTemplateView.as_view(), name="import_template"),
]
