from django.db import migrations

CATEGORIES = [
    # code, name, is_priority, sort_order
    ("poverty_exit", "脱贫村", True, 10),
    ("key_assistance", "重点帮扶村", True, 20),
    ("relocation", "易地搬迁安置村", True, 30),
    ("weak_party", "软弱涣散村", True, 40),
    ("weak_economy", "集体经济薄弱村", False, 50),
    ("advanced", "先进村", False, 60),
]


def add_categories(apps, schema_editor):
    VillageCategory = apps.get_model("villages", "VillageCategory")
    for code, name, is_priority, order in CATEGORIES:
        VillageCategory.objects.update_or_create(
            code=code, defaults={"name": name, "is_priority": is_priority, "sort_order": order}
        )


def pattern_indexes(apps, schema_editor):
    # Jurisdiction filters are `code LIKE 'prefix%'`. PostgreSQL uses a btree index for that only with the
    # pattern operator class when the database collation is not C.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS villages_village_code_like ON villages_village (code varchar_pattern_ops)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS villages_region_code_like ON villages_region (code varchar_pattern_ops)"
    )


def drop_pattern_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS villages_village_code_like")
    schema_editor.execute("DROP INDEX IF EXISTS villages_region_code_like")


class Migration(migrations.Migration):
    dependencies = [("villages", "0001_initial")]

    operations = [
        migrations.RunPython(add_categories, migrations.RunPython.noop),
        migrations.RunPython(pattern_indexes, drop_pattern_indexes),
    ]
