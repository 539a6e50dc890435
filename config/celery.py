import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("zhucun")
# All Celery options live in Django settings under the CELERY_ prefix, so environments differ only
# through environment variables read there.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
