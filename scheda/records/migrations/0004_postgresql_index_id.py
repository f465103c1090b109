"""On PostgreSQL a property's index ends with the record id, as SQLite's do by themselves, so
that a page sorted by a property reads its rows in order (docs/DECISIONS.md 21)."""

from django.db import migrations


def rebuild(apps, schema_editor):
    from scheda.objects.models import PropertyDefinition
    from scheda.objects.services import index_property
    from scheda.records import storage

    if schema_editor.connection.vendor != "postgresql":
        return
    for prop in PropertyDefinition.objects.filter(archived=False, unique=False).exclude(name__in=list(storage.COLUMNS)):
        storage.drop_property_index(prop)
        index_property(prop)


class Migration(migrations.Migration):
    dependencies = [("records", "0003_unique_index_predicate")]
    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
