"""In-app notifications, and e-mail through Django's mail backend when the recipient has an address."""
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from cadres.models import User

from .models import Notification


def notify_users(*, users, text: str, url: str = "") -> int:
    users = [u for u in users if u.is_active]
    Notification.objects.bulk_create([Notification(user=u, text=text[:300], url=url[:200]) for u in users])
    recipients = sorted({u.email for u in users if u.email})
    if recipients:
        # One message per address (recipients do not see each other's), over one connection; after commit: a
        # rolled-back approval must not have sent mail.
        messages = [(text[:80], f"{text}\n{url}", settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    return len(users)


def notify_region_users(*, region, role: str, text: str, url: str = "") -> int:
    if region is None:
        return 0
    return notify_users(users=list(User.objects.filter(region=region, role=role, is_active=True)), text=text, url=url)


def notify_cadre(*, cadre, text: str, url: str = "") -> int:
    return notify_users(users=list(User.objects.filter(cadre=cadre, is_active=True)), text=text, url=url)
