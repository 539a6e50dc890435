"""The home and compliance pages of the province's and of a city's organization department, timed in-process
(docs/scaling.md, "Pages of a city and of the province"): these grow with the jurisdiction, unlike the county
and township pages `make bench` measures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhucun_scale .venv/bin/python -m bench.big_pages

django.test.Client, one warm-up and three timed requests per page: the median, the SQL queries and the size of
the HTML. Read-only: every connection is `SET default_transaction_read_only = on`, sessions are signed cookies
(no session row) and the login signals are disconnected (no audit row, no last_login), so nothing is written —
and each page makes one query less than deployed (the session lookup)."""
import os
import secrets
import statistics
import time


def main() -> None:
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhucun_scale")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    from django.contrib.auth.signals import user_logged_in
    from django.db import connection
    from django.db.backends.signals import connection_created
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.generate import PROVINCE_CODE
    from cadres.models import Role, User
    from villages.models import RegionLevel

    def read_only(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")

    connection_created.connect(read_only)
    user_logged_in.receivers = []
    province = User.objects.get(role=Role.ORG_DEPT, region__code=PROVINCE_CODE)
    city = User.objects.filter(role=Role.ORG_DEPT, region__level=RegionLevel.CITY).order_by("username").first()
    for label, user in (("province", province), ("city", city)):
        client = Client()
        client.force_login(user, backend="cadres.backends.UserWithJurisdictionBackend")
        for path in ("/", "/attendance/compliance/"):
            response = client.get(path)  # warm-up
            assert response.status_code == 200, (path, response.status_code)
            times = []
            for _ in range(3):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
            print(f"{label:8} {user.username:10} {user.region.name:12} {path:26} "
                  f"median {statistics.median(times):7.3f} s (runs {', '.join(f'{t:.3f}' for t in times)}) "
                  f"queries {len(ctx.captured_queries)} html {len(response.content):,} bytes", flush=True)


if __name__ == "__main__":
    main()
