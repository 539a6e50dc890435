from django.db import migrations

# The audit trail is append-only in the database itself on PostgreSQL: UPDATE and DELETE raise. (The user
# FK is SET NULL on user deletion; that update is allowed for the actor column only.)
CREATE = """
CREATE OR REPLACE FUNCTION cadres_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND NEW.action = OLD.action AND NEW.object_id = OLD.object_id AND NEW.created_at = OLD.created_at
       AND NEW.detail = OLD.detail AND NEW.actor_name = OLD.actor_name THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cadres_auditentry_no_change ON cadres_auditentry;
CREATE TRIGGER cadres_auditentry_no_change BEFORE UPDATE OR DELETE ON cadres_auditentry
    FOR EACH ROW EXECUTE FUNCTION cadres_auditentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS cadres_auditentry_no_change ON cadres_auditentry;
DROP FUNCTION IF EXISTS cadres_auditentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("cadres", "0002_posting_exclusion_constraint")]

    operations = [migrations.RunPython(forwards, backwards)]
