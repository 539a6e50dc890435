"""Test settings: the suite runs on whatever DATABASE_URL / REDIS_URL the environment gives (CI: PostgreSQL
and Redis); without them, on SQLite with eager Celery."""
from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests create many users
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Unit tests run tasks in-process; the Redis/Celery integration tests start a real worker explicitly.
CELERY_TASK_ALWAYS_EAGER = True
WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic before tests
AXES_ENABLED = False  # tests log in with force_login/client.login; the lockout test enables it explicitly
