from .views import checkin, compliance, imports, leave, management, register

app_name = "attendance"

urlpatterns = (
    leave.urlpatterns + register.urlpatterns + compliance.urlpatterns + checkin.urlpatterns + imports.urlpatterns
    + management.urlpatterns
)
