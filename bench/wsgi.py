"""The benchmark's WSGI application: config.wsgi's, with bench.urls (the application's URLs plus the write
floor) as the URL configuration. Only `make bench` serves it."""
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
settings.ROOT_URLCONF = "bench.urls"

application = get_wsgi_application()
