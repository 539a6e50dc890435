"""Security headers not covered by Django 5.2's SecurityMiddleware, the interface language, and the session's
inactivity expiry."""
import time

from django.conf import settings

# Our pages need no inline script or style: scripts and styles are static files. Django's admin keeps a
# few inline style attributes, so its pages alone allow them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_ADMIN = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(settings, "CSP_ENABLED", True) and "Content-Security-Policy" not in response:
            admin = request.path.startswith("/admin/")
            response["Content-Security-Policy"] = CSP_ADMIN if admin else CSP
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        return response


class LanguageMiddleware:
    """Simplified Chinese unless the user chose another language (the language cookie set by the language
    switch). Unlike Django's LocaleMiddleware it ignores the browser's Accept-Language: an office PC with an
    English Windows must still show the Chinese interface by default."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def now() -> int:
    return int(time.time())


class SessionActivityMiddleware:
    """The inactivity timeout (SESSION_COOKIE_AGE, two hours) counted from the last request, without a write to
    the session table on every request as SESSION_SAVE_EVERY_REQUEST would make: a logged-in session is saved
    (its expiry moved on, the cookie sent again) when its last refresh is SESSION_REFRESH_SECONDS old or more,
    so a session expires between SESSION_COOKIE_AGE − SESSION_REFRESH_SECONDS and SESSION_COOKIE_AGE after the
    last request. Placed after SessionMiddleware, so its change is saved by it."""

    KEY = "_refreshed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # No session cookie (an anonymous visitor, or a session just flushed at logout): nothing to refresh.
        if session is None or session.session_key is None or "_auth_user_id" not in session:
            return response
        current = now()
        if current - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[self.KEY] = current
        return response
