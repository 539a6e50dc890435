from django.db import migrations


def add_exclusion(apps, schema_editor):
    # One posting in force per cadre on any day, held by the database itself on PostgreSQL: no two rows of
    # a cadre may have intersecting [start_date, end_date] ranges (an open end is unbounded). SQLite has no
    # exclusion constraints; there the service's check under the cadre row lock is the guard.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        "ALTER TABLE cadres_posting ADD CONSTRAINT posting_one_in_force_per_cadre "
        "EXCLUDE USING gist (cadre_id WITH =, daterange(start_date, end_date, '[]') WITH &&)"
    )


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE cadres_posting DROP CONSTRAINT IF EXISTS posting_one_in_force_per_cadre")


class Migration(migrations.Migration):
    dependencies = [("cadres", "0001_initial")]

    operations = [migrations.RunPython(add_exclusion, drop_exclusion)]
