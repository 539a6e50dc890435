from .views import checkin, compliance, imports, leave, register

app_name = "attendance"

urlpatterns = (
    leave.urlpatterns + register.urlpatterns + compliance.urlpatterns + checkin.urlpatterns + imports.urlpatterns
)
