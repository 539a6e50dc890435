"""Operational endpoints."""
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Database and broker reachability, for the load balancer and monitoring. 200 when both answer (or
    when no broker is configured and tasks run in-process), 503 otherwise."""
    checks, ok = {}, True
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        checks["database"] = f"error: {type(exc).__name__}"
        ok = False
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["broker"] = f"error: {type(exc).__name__}"
            ok = False
    else:
        checks["broker"] = "in-process (no REDIS_URL)"
    checks["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return JsonResponse({"status": "ok" if ok else "error", **checks}, status=200 if ok else 503)


def ping(request):
    """The benchmark's baseline (bench/run.py, throughput): the cheapest answer Django gives through the whole
    middleware stack, without the database, so the rate of a real view can be read as a share of it."""
    return HttpResponse("ok", content_type="text/plain")
