"""Sessions signed in before the authentication backend changed (cadres.backends) name Django's ModelBackend;
Django ignores a session whose backend is no longer configured, which would sign everyone out at the upgrade
(and lose a register form posted in that moment). This rewrites the backend recorded in each open session."""
from django.db import migrations

OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "cadres.backends.UserWithJurisdictionBackend"


def rename_backend(apps, schema_editor, old=OLD, new=NEW):
    from django.contrib.auth import BACKEND_SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    db = schema_editor.connection.alias
    for session in Session.objects.using(db).filter(expire_date__gt=timezone.now()).iterator():
        data = store.decode(session.session_data)  # {} for data signed with another key: left as it is
        if data.get(BACKEND_SESSION_KEY) == old:
            data[BACKEND_SESSION_KEY] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def restore_backend(apps, schema_editor):
    rename_backend(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("cadres", "0004_recall_evaluation_award"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(rename_backend, restore_backend)]
