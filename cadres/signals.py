"""Logins and failed logins go to the audit trail (who, when, from where)."""
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from config.middleware import SessionActivityMiddleware, now

from .audit import audit_record, client_ip


def _region_code(user) -> str:
    if getattr(user, "region_id", None):
        return user.region.code
    if getattr(user, "unit_id", None):
        return user.unit.region.code
    return ""


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", region_code=_region_code(user), ip=client_ip(request))
    session = getattr(request, "session", None)
    if session is not None:
        # Logging in saves the session with a fresh expiry: the next refresh is due a minute from now.
        session[SessionActivityMiddleware.KEY] = now()


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", region_code=_region_code(user), ip=client_ip(request))


@receiver(user_login_failed)
def log_login_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        actor=None, action="auth.login_failed", ip=client_ip(request),
        detail={"username": str(credentials.get("username", ""))[:150]},
    )
