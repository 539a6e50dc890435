"""The benchmark server's URLs (bench/wsgi.py): the application's own, plus the write floor.

`POST /bench/write-floor/` is the least any authenticated write through this stack costs: the session and
the user read, the CSRF check, one row updated and committed (the session's own, by SessionMiddleware), a
redirect. `make bench` measures it in the same run as `/ping/`, the approvals and the register saves, so
their rates can be read against what no implementation of a write can beat on the same server. It is not
part of the application (config.urls) and is served only by the benchmark's gunicorn."""
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as application_urls

WRITE_FLOOR_PATH = "/bench/write-floor/"


@require_POST
@login_required
def write_floor(request):
    request.session["bench_write_floor"] = request.session.get("bench_write_floor", 0) + 1
    return HttpResponseRedirect("/ping/")


urlpatterns = [*application_urls, path(WRITE_FLOOR_PATH.strip("/") + "/", write_floor, name="bench_write_floor")]
