"""PostgreSQL: a text index per object type instead of one over all records (docs/DECISIONS.md
22). Types made later get theirs from scheda.objects.services."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from scheda.records import storage

    for object_type_id in apps.get_model("objects", "ObjectType").objects.values_list("id", flat=True):
        storage.create_search_index(object_type_id)
    schema_editor.execute("DROP INDEX IF EXISTS record_search_vector")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE INDEX IF NOT EXISTS record_search_vector ON records_record USING gin (object_type_id, search_vector)")
    for object_type_id in apps.get_model("objects", "ObjectType").objects.values_list("id", flat=True):
        schema_editor.execute(f'DROP INDEX IF EXISTS "rs_{int(object_type_id)}"')


class Migration(migrations.Migration):
    dependencies = [("records", "0005_date_index_id")]
    operations = [migrations.RunPython(forward, backward)]
