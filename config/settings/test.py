"""Test settings: the suite runs on whatever DATABASE_URL / REDIS_URL the environment gives (CI: PostgreSQL
and Redis); without them, on SQLite with eager Celery."""
import os

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests create many users
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Unit tests run tasks in-process; the Redis/Celery integration tests start a real worker explicitly. A worker
# started as a subprocess by a test (tests/security/test_worker_kill.py) runs with ZHUCUN_CELERY_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("ZHUCUN_CELERY_EAGER", "1") == "1"
if os.environ.get("ZHUCUN_BROKER_VISIBILITY_TIMEOUT"):
    # The same drill kills a worker in the middle of a task: Redis hands the unacknowledged message to another
    # worker after the visibility timeout (an hour by default); the drill's workers use a few seconds and look
    # for such messages every second.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ["ZHUCUN_BROKER_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic before tests
AXES_ENABLED = False  # tests log in with force_login/client.login; the lockout test enables it explicitly
