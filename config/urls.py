from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from cadres.views import HomeView
from cadres.views_audit import AuditListView

from .views import healthz, ping

admin.site.site_header = _("驻村干部管理系统")
admin.site.site_title = _("驻村干部管理系统")
admin.site.index_title = _("系统管理")

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("ping/", ping, name="ping"),
    path("audit/", AuditListView.as_view(), name="audit_list"),
    path("admin/", admin.site.urls),
    path("", include("villages.urls")),
    path("", include("cadres.urls")),
    path("", include("attendance.urls")),
    path("", include("reports.urls")),
]
