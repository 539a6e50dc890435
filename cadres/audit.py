"""The audit trail: one call per state change or personal-data access."""
from django.db import models

from .models import AuditEntry


def client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind the reverse proxy (deploy/) the client address arrives in X-Forwarded-For; the proxy
    # overwrites the header, so its first entry is trustworthy there.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    region_code: str = "",
    detail: dict | None = None,
    ip: str | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        region_code=region_code,
        ip=ip,
        detail=detail or {},
    )
