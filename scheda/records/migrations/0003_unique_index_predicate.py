"""Unique property indexes say "archived = FALSE", as queries do, so that SQLite uses them."""

from django.db import migrations


def rebuild(apps, schema_editor):
    from scheda.objects.models import PropertyDefinition
    from scheda.records import storage

    for prop in PropertyDefinition.objects.filter(unique=True, archived=False).exclude(name__in=list(storage.COLUMNS)):
        storage.drop_property_index(prop)
        storage.create_property_index(prop)


class Migration(migrations.Migration):
    dependencies = [("records", "0002_text_search"), ("objects", "0003_schema_version")]
    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
