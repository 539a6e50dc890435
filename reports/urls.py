from .views import urlpatterns as _patterns

app_name = "reports"
urlpatterns = _patterns
