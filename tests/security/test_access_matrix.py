"""Access control, proven: every named URL of the URL configuration, for every role and anonymous, on an object
inside county A (township A1, village A1a, 李娜) and on one outside it (county B), answers what TABLE says.

The URL configuration is walked at collection time; a named pattern without a row in TABLE fails with "new view
X has no access expectations", so a new view cannot ship without saying who may use it.

A row is a dict:
    "kwargs":  (side) -> URL kwargs, or absent for URLs without any;
    "query":   (side) -> GET query parameters naming an object of the side (?township=, ?region=, ...);
    "get":     expectations of a GET;
    "post":    expectations of a POST (POST-only views, and forms whose POST answers differently from GET);
    "data":    (world, side) -> the POST body (valid, so what is proven is the permission, not the form).
Expectations are {"inside": ..., "outside": ...} for rows naming an object, else {"any": ...}; each maps a
space-separated list of roles to an outcome, "*" being everyone else logged in. Anonymous visitors go to the
login page unless a row says otherwise under "anon".

Outcomes: 200; 204; REDIRECT (302 somewhere other than the login page, with no error message); REFUSED (302
back to the page with an error message: the service said no, nothing changed); LOGIN (302 to /accounts/login/);
403 (may see the object, may not do this); 404 (outside the jurisdiction: the same as not existing); 405.
"""
import datetime
from urllib.parse import urlencode

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .conftest import client_for
from .world import ANON, ROLES

REDIRECT, REFUSED, LOGIN = "redirect", "refused", "login"

# Namespaces and names that are not ours to test here: the Django admin has its own permission system
# (is_staff / model permissions) and its own tests upstream.
SKIPPED_NAMESPACES = {"admin"}

# Who sees what, in the words of the selectors (tests/cadres/test_scoping.py proves each selector):
# A1 objects involving both cadres of village A1a (a city-unit cadre 张伟 and 李娜), and 李娜's own things.
SEES_A1 = "admin city county township unit cadre"
SEES_LINA = "admin city county township cadre"          # the city unit sent 张伟, not 李娜
SEES_B1 = "admin city county_b township_b unit_b cadre_b"  # 刘洋 is unit_b's cadre and cadre_b himself
MANAGERS = "admin city county county_b"                  # cadres.jurisdiction.can_manage
OFFICIALS = "admin city county county_b township township2 township_b"
ORGANIZERS = "city county county_b township township2 township_b"  # training: organization departments, townships


def everyone(status) -> dict:
    return {"*": status}


def month(world) -> str:
    return f"{world.last_month:%Y-%m}"


TABLE: dict[str, dict] = {
    # ------------------------------------------------------------------ site
    "home": {"get": {"any": everyone(200)}},
    "login": {"get": {"any": {"*": REDIRECT, "anon": 200}}},  # redirect_authenticated_user
    "logout": {
        "get": {"any": {"*": 405, "anon": 405}},
        "post": {"any": {"*": LOGIN, "anon": LOGIN}},  # LOGOUT_REDIRECT_URL is the login page
    },
    "set_language": {
        "get": {"any": {"*": REDIRECT, "anon": REDIRECT}},  # a GET only redirects; the cookie is set on POST
        "post": {"any": {"*": REDIRECT, "anon": REDIRECT}},
        "data": lambda w, o: {"language": "en", "next": "/"},
    },
    "healthz": {"get": {"any": {"*": 200, "anon": 200}}},
    "ping": {"get": {"any": {"*": 200, "anon": 200}}},  # the benchmark's baseline: public, no data
    "audit_list": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    # ------------------------------------------------------------------ villages
    "villages:region_list": {"get": {"any": everyone(200)}},
    "villages:region_detail": {
        "kwargs": lambda o: {"pk": o.township.pk},
        "get": {"inside": {SEES_A1: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "villages:village_list": {"get": {"any": everyone(200)}},
    "villages:village_create": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    "villages:village_detail": {
        "kwargs": lambda o: {"pk": o.village.pk},
        "get": {"inside": {SEES_A1: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "villages:village_update": {
        "kwargs": lambda o: {"pk": o.village.pk},
        "get": {
            "inside": {"admin city county": 200, "township unit cadre": 403, "*": 404},
            "outside": {"admin city county_b": 200, "township_b unit_b cadre_b": 403, "*": 404},
        },
    },
    "villages:unit_list": {"get": {"any": everyone(200)}},
    "villages:unit_create": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    # Inside: the city unit 市财政局 (its cadre 张伟 serves in A1a); outside: 石门县教育局 (刘洋's unit).
    "villages:unit_detail": {
        "kwargs": lambda o: {"pk": o.unit.pk},
        "get": {"inside": {"admin city county township unit": 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "villages:unit_update": {
        "kwargs": lambda o: {"pk": o.unit.pk},
        "get": {
            # A county sees the city unit whose cadre serves in it, but only the city changes it.
            "inside": {"admin city": 200, "county township unit": 403, "*": 404},
            "outside": {"admin city county_b": 200, "township_b unit_b cadre_b": 403, "*": 404},
        },
    },
    "villages:policy_detail": {
        "query": lambda o: {"region": o.township.pk},
        "get": {
            "inside": {"admin city county township": 200, "unit unit_b cadre cadre_b": 403, "*": 404},
            "outside": {"admin city county_b township_b": 200, "unit unit_b cadre cadre_b": 403, "*": 404},
        },
    },
    "villages:policy_edit": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    "villages:unit_support": {
        "kwargs": lambda o: {"pk": o.unit.pk},
        "get": {"inside": {"admin city county township unit": 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
        # An empty POST: the form comes back with its errors for those who record, 403 for readers.
        "post": {
            "inside": {"admin city county unit": 200, "township": 403, "*": 404},
            "outside": {"admin city county_b unit_b": 200, "township_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {},
    },
    "villages:support_delete": {
        "kwargs": lambda o: {"pk": o.unit.pk, "record_pk": o.support.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        "post": {
            # 李娜 sees the record (it went to her village) but not the city unit's ledger: 404.
            "inside": {"admin city county unit": REDIRECT, "township": 403, "*": 404},
            "outside": {"admin city county_b unit_b": REDIRECT, "township_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {},
    },
    "villages:support_overview": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    # ------------------------------------------------------------------ cadres, rounds, postings
    "cadres:cadre_list": {"get": {"any": everyone(200)}},
    "cadres:cadre_create": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    "cadres:cadre_detail": {
        "kwargs": lambda o: {"pk": o.cadre.pk},
        "get": {"inside": {SEES_LINA: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "cadres:cadre_update": {
        "kwargs": lambda o: {"pk": o.cadre.pk},
        "get": {
            "inside": {"admin city county": 200, "township cadre": 403, "*": 404},
            "outside": {"admin city county_b": 200, "township_b unit_b cadre_b": 403, "*": 404},
        },
    },
    "cadres:cadre_reveal_id": {
        "kwargs": lambda o: {"pk": o.cadre.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        "post": {
            # Managers and the cadre themself; a township sees the masked number only.
            "inside": {"admin city county cadre": 200, "township": 403, "*": 404},
            "outside": {"admin city county_b cadre_b": 200, "township_b unit_b": 403, "*": 404},
        },
        "data": lambda w, o: {},
    },
    "cadres:round_list": {"get": {"any": everyone(200)}},
    "cadres:round_create": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    # County rounds: 云溪县第一批 inside, 石门县第一批 outside (a township works in its county's rounds).
    "cadres:round_detail": {
        "kwargs": lambda o: {"pk": o.round.pk},
        "get": {
            "inside": {"admin city county township township2": 200, "*": 404},
            "outside": {"admin city county_b township_b": 200, "*": 404},
        },
    },
    "cadres:round_update": {
        "kwargs": lambda o: {"pk": o.round.pk},
        "get": {
            "inside": {"admin city county": 200, "township township2": 403, "*": 404},
            "outside": {"admin city county_b": 200, "township_b": 403, "*": 404},
        },
    },
    "cadres:posting_list": {"get": {"any": everyone(200)}},
    "cadres:posting_create": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    "cadres:posting_detail": {
        "kwargs": lambda o: {"pk": o.posting.pk},
        "get": {"inside": {SEES_LINA: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "cadres:posting_update": {
        "kwargs": lambda o: {"pk": o.posting.pk},
        "get": {
            "inside": {"admin city county": 200, "township cadre": 403, "*": 404},
            "outside": {"admin city county_b": 200, "township_b unit_b cadre_b": 403, "*": 404},
        },
    },
    # ------------------------------------------------------------------ management workflows
    "cadres:recall_list": {"get": {"any": everyone(200)}},
    "cadres:recall_detail": {
        "kwargs": lambda o: {"pk": o.recall.pk},
        "get": {"inside": {SEES_LINA: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "cadres:recall_decide": {
        "kwargs": lambda o: {"pk": o.recall.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        # Both recalled cadres were sent by county units: their county decides.
        "post": {
            "inside": {"county": REDIRECT, "admin city township cadre": 403, "*": 404},
            "outside": {"county_b": REDIRECT, "admin city township_b unit_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {"decision": "approve", "comment": "同意", "recall_date": ""},
    },
    "cadres:recall_propose": {
        "kwargs": lambda o: {"pk": o.posting.pk},
        "get": {
            # County and city organization departments, and the posting's own dispatching unit.
            "inside": {"city county": 200, "admin township cadre": 403, "*": 404},
            "outside": {"city county_b unit_b": 200, "admin township_b cadre_b": 403, "*": 404},
        },
    },
    "cadres:evaluation_list": {
        "query": lambda o: {"county": o.county.pk},
        "get": {
            "inside": {"admin city county unit cadre": 200, "*": 404},
            "outside": {"admin city county_b unit_b cadre_b": 200, "*": 404},
        },
    },
    "cadres:evaluation_edit": {
        "kwargs": lambda o: {"year": o.evaluation_year, "cadre_pk": o.cadre.pk},
        "get": {
            # Only the county of the cadre's village decides.
            "inside": {"county": 200, "admin city township cadre": 403, "*": 404},
            "outside": {"county_b": 200, "admin city township_b unit_b cadre_b": 403, "*": 404},
        },
    },
    "cadres:award_list": {
        "query": lambda o: {"cadre": o.cadre.pk},
        "get": {"inside": {SEES_LINA: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "cadres:award_create": {
        "kwargs": lambda o: {"pk": o.cadre.pk},
        "get": {
            "inside": {"admin city county": 200, "township cadre": 403, "*": 404},
            "outside": {"admin city county_b": 200, "township_b unit_b cadre_b": 403, "*": 404},
        },
    },
    "cadres:cadre_dossier": {
        "kwargs": lambda o: {"pk": o.cadre.pk},
        "get": {"inside": {SEES_LINA: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "cadres:import": {"get": {"any": {MANAGERS: 200, "*": 403}}},
    "cadres:import_template": {
        "kwargs": lambda o: {"kind": "villages"},
        "get": {"any": {MANAGERS: 200, "*": 403}},
    },
    # ------------------------------------------------------------------ leave
    "attendance:leave_list": {"get": {"any": everyone(200)}},
    "attendance:leave_create": {
        "query": lambda o: {"extends": o.leave.pk},
        "get": {
            "inside": {"city county township cadre": 200, "admin unit unit_b": 403, "*": 404},
            "outside": {"city county_b township_b cadre_b": 200, "admin unit unit_b": 403, "*": 404},
        },
    },
    "attendance:leave_detail": {
        "kwargs": lambda o: {"pk": o.leave.pk},
        "get": {"inside": {SEES_LINA: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "attendance:leave_action": {
        "kwargs": lambda o: {"pk": o.leave.pk, "action": "approve"},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        # A two-day leave is the township's to approve. Others who see it are refused (403) and nothing
        # changes (tests/attendance/test_leave.py).
        "post": {
            "inside": {"township": REDIRECT, "admin city county cadre": 403, "*": 404},
            "outside": {"township_b": REDIRECT, "admin city county_b unit_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {"comment": "同意"},
    },
    "attendance:notifications": {"get": {"any": everyone(200)}},
    "attendance:notifications_read": {
        "get": {"any": everyone(405)},
        "post": {"any": everyone(REDIRECT)},
        "data": lambda w, o: {},
    },
    # ------------------------------------------------------------------ register
    "attendance:register": {
        "query": lambda o: {"township": o.township.pk},
        "get": {
            # A township official always sees their own township, whatever the parameter says.
            "inside": {"admin city county township township2 township_b": 200, "unit unit_b cadre cadre_b": 403,
                       "*": 404},
            "outside": {"admin city county_b township township2 township_b": 200, "unit unit_b cadre cadre_b": 403,
                        "*": 404},
        },
        # Only a township official writes the register (an empty save changes nothing and redirects).
        "post": {
            "inside": {"township township2 township_b": REDIRECT, "*": 403},
            "outside": {"township township2 township_b": REDIRECT, "*": 403},
        },
        "data": lambda w, o: {"month": month(w), "action": "save"},
    },
    "attendance:corrections": {"get": {"any": {OFFICIALS: 200, "*": 403}}},
    "attendance:correction_create": {
        "query": lambda o: {"cadre": o.cadre.pk, "day": o.correction.day.isoformat()},
        "get": {
            "inside": {"township": 200, "township2 township_b": 404, "*": 403},
            "outside": {"township_b": 200, "township township2": 404, "*": 403},
        },
    },
    "attendance:correction_decide": {
        "kwargs": lambda o: {"pk": o.correction.pk, "decision": "approve"},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        # The county decides; the others who see the request are refused (403, tests/attendance/test_register.py).
        "post": {
            "inside": {"county": REDIRECT, "admin city township": 403, "*": 404},
            "outside": {"county_b": REDIRECT, "admin city township_b": 403, "*": 404},
        },
        "data": lambda w, o: {"comment": "同意"},
    },
    "attendance:compliance": {
        "query": lambda o: {"region": o.township.pk},
        "get": {
            # A cadre always sees their own figures (the parameter is ignored for them).
            "inside": {f"{SEES_A1} cadre_b": 200, "*": 404},
            "outside": {f"{SEES_B1} cadre": 200, "*": 404},
        },
    },
    "attendance:checkin": {
        "get": {"any": everyone(200)},
        # Only a cadre checks in (an empty POST: "no position received", back to the page).
        "post": {"any": {"cadre cadre_b": REFUSED, "*": 403}},
        "data": lambda w, o: {},
    },
    "attendance:checkin_list": {"get": {"any": everyone(200)}},
    "attendance:register_import": {
        "query": lambda o: {"township": o.township.pk},
        "get": {
            "inside": {"admin city county township": 200, "unit unit_b cadre cadre_b": 403, "*": 404},
            "outside": {"admin city county_b township_b": 200, "unit unit_b cadre cadre_b": 403, "*": 404},
        },
    },
    "attendance:import_list": {"get": {"any": {OFFICIALS: 200, "*": 403}}},
    # ------------------------------------------------------------------ inspections, training, diary
    "attendance:inspection_list": {"get": {"any": everyone(200)}},
    "attendance:inspection_create": {"get": {"any": {"city county county_b": 200, "*": 403}}},
    "attendance:inspection_detail": {
        "kwargs": lambda o: {"pk": o.inspection.pk},
        "get": {"inside": {SEES_A1: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "attendance:rectification_create": {
        "kwargs": lambda o: {"pk": o.inspection.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        "post": {
            "inside": {"city county": REDIRECT, "admin township unit cadre": 403, "*": 404},
            "outside": {"city county_b": REDIRECT, "admin township_b unit_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {"description": "补齐台账", "owner": "村委会",
                              "deadline": (w.today + datetime.timedelta(days=10)).isoformat()},
    },
    "attendance:rectification_close": {
        "kwargs": lambda o: {"pk": o.rectification.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        "post": {
            "inside": {"city county": REDIRECT, "admin township unit cadre": 403, "*": 404},
            "outside": {"city county_b": REDIRECT, "admin township_b unit_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {"note": "已整改"},
    },
    "attendance:training_list": {"get": {"any": everyone(200)}},
    "attendance:training_create": {"get": {"any": {ORGANIZERS: 200, "*": 403}}},
    # Events organized by each county; a township sees its county's events, a unit and a cadre those they
    # (their cadres) take part in.
    "attendance:training_detail": {
        "kwargs": lambda o: {"pk": o.training.pk},
        "get": {
            "inside": {"admin city county township township2 unit cadre": 200, "*": 404},
            "outside": {SEES_B1: 200, "*": 404},
        },
    },
    "attendance:training_edit": {
        "kwargs": lambda o: {"pk": o.training.pk},
        "get": {
            "inside": {"city county": 200, "admin township township2 unit cadre": 403, "*": 404},
            "outside": {"city county_b": 200, "admin township_b unit_b cadre_b": 403, "*": 404},
        },
    },
    "attendance:training_attendance": {
        "kwargs": lambda o: {"pk": o.training.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        "post": {
            "inside": {"city county": REDIRECT, "admin township township2 unit cadre": 403, "*": 404},
            "outside": {"city county_b": REDIRECT, "admin township_b unit_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {"listed": [o.cadre.pk], "attended": [o.cadre.pk]},
    },
    "attendance:training_cancel": {
        "kwargs": lambda o: {"pk": o.training.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        "post": {
            "inside": {"city county": REDIRECT, "admin township township2 unit cadre": 403, "*": 404},
            "outside": {"city county_b": REDIRECT, "admin township_b unit_b cadre_b": 403, "*": 404},
        },
        "data": lambda w, o: {},
    },
    "attendance:diary_list": {"get": {"any": everyone(200)}},
    # Both cadres wrote today's entry already: the new-entry page takes them to it.
    "attendance:diary_create": {"get": {"any": {"cadre cadre_b": REDIRECT, "*": 403}}},
    "attendance:diary_detail": {
        "kwargs": lambda o: {"pk": o.diary.pk},
        "get": {"inside": {SEES_LINA: 200, "*": 404}, "outside": {SEES_B1: 200, "*": 404}},
    },
    "attendance:diary_edit": {
        "kwargs": lambda o: {"pk": o.diary.pk},
        "get": {
            "inside": {"cadre": 200, "admin city county township": 403, "*": 404},
            "outside": {"cadre_b": 200, "admin city county_b township_b unit_b": 403, "*": 404},
        },
    },
    # ------------------------------------------------------------------ reports (of county A / county B)
    "reports:report_list": {
        "get": {"any": {OFFICIALS: 200, "*": 403}},
        "post": {"any": {OFFICIALS: 200, "*": 403}},  # an empty request: the form with its errors
        "data": lambda w, o: {},
    },
    "reports:dashboard": {
        "query": lambda o: {"region": o.township.pk},
        "get": {
            "inside": {"admin city county township": 200, "unit unit_b cadre cadre_b": 403, "*": 404},
            "outside": {"admin city county_b township_b": 200, "unit unit_b cadre cadre_b": 403, "*": 404},
        },
    },
    "reports:report_detail": {
        "kwargs": lambda o: {"pk": o.report.pk},
        "get": {"inside": {"admin city county": 200, "*": 404}, "outside": {"admin city county_b": 200, "*": 404}},
    },
    "reports:report_status": {
        "kwargs": lambda o: {"pk": o.report.pk},
        "get": {"inside": {"admin city county": 200, "*": 404}, "outside": {"admin city county_b": 200, "*": 404}},
    },
    "reports:report_download": {
        "kwargs": lambda o: {"pk": o.report.pk},
        "get": {"inside": {"admin city county": 200, "*": 404}, "outside": {"admin city county_b": 200, "*": 404}},
    },
    "reports:report_retry": {
        "kwargs": lambda o: {"pk": o.failed_report.pk},
        "get": {"inside": everyone(405), "outside": everyone(405)},
        "post": {
            "inside": {"admin city county": REDIRECT, "*": 404},
            "outside": {"admin city county_b": REDIRECT, "*": 404},
        },
        "data": lambda w, o: {},
    },
}


# ---------------------------------------------------------------------------------------------------- the URLconf


def url_names() -> list[str]:
    """Every named pattern of the URL configuration, "namespace:name", walked recursively."""
    names: list[str] = []

    def walk(patterns, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in SKIPPED_NAMESPACES:
                    continue
                inner = ":".join(n for n in (namespace, p.namespace) if n) or None
                walk(p.url_patterns, inner)
            elif isinstance(p, URLPattern) and p.name:
                names.append(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns, None)
    return names


def sides(row: dict, method: str) -> list[str]:
    return list(row.get(method, {}))


def expected(row: dict, method: str, side: str, role: str):
    table = row[method][side]
    for roles, outcome in table.items():
        if role in roles.split():
            return outcome
    if role == ANON:
        return LOGIN
    return table["*"]


def url_of(world, name: str, side: str) -> str:
    row = TABLE[name]
    o = world.inside if side in ("inside", "any") else world.outside
    url = reverse(name, kwargs=row["kwargs"](o)) if "kwargs" in row else reverse(name)
    if "query" in row and side != "any":
        url += "?" + urlencode(row["query"](o))
    return url


def post_data(world, name: str, side: str) -> dict:
    o = world.inside if side in ("inside", "any") else world.outside
    return TABLE[name].get("data", lambda w, o: {})(world, o)


def cases() -> list[tuple[str, str, str, str]]:
    """(name, method, side, role) for every row, plus one failing case per URL name the table lacks."""
    result = []
    for name in url_names():
        row = TABLE.get(name)
        if row is None:
            result.append((name, "-", "-", "-"))
            continue
        for method in ("get", "post"):
            for side in sides(row, method):
                for role in (*ROLES, ANON):
                    result.append((name, method, side, role))
    return result


def error_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level >= message_levels.ERROR]


def check(response, outcome, *, name: str, method: str, side: str, role: str) -> None:
    where = f"{method.upper()} {name} ({side}) as {role}"
    status, location = response.status_code, response.get("Location", "")
    if outcome == LOGIN:
        assert status == 302 and location.startswith("/accounts/login/"), f"{where}: {status} {location}"
    elif outcome in (REDIRECT, REFUSED):
        assert status == 302 and not location.startswith("/accounts/login/"), f"{where}: {status} {location}"
        errors = error_messages(response)
        if outcome == REDIRECT:
            assert not errors, f"{where}: refused with {errors}"
        else:
            assert errors, f"{where}: expected an error message, got none"
    else:
        assert status == outcome, f"{where}: expected {outcome}, got {status} {location}"


def test_the_table_has_no_row_for_a_url_that_no_longer_exists():
    stale = sorted(set(TABLE) - set(url_names()))
    assert not stale, f"rows for URL names that no longer exist: {stale}"


@pytest.mark.parametrize(("name", "method", "side", "role"), cases(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_it_answers_as_the_table_says(world, db, name, method, side, role):
    if name not in TABLE:
        pytest.fail(f"new view {name} has no access expectations: add a row to TABLE in {__name__}")
    client = client_for(world, role)
    url = url_of(world, name, side)
    response = client.get(url) if method == "get" else client.post(url, post_data(world, name, side))
    check(response, expected(TABLE[name], method, side, role), name=name, method=method, side=side, role=role)
