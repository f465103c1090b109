"""The property-word index (docs/DECISIONS.md 35): each searchable value's words tagged with
their property, so CONTAINS_TOKEN finds a property's word without reading every candidate's
JSON. An FTS5 table of its own on SQLite (no positions: a query is one word); on PostgreSQL a
column of the record, read on the rows its text index finds. Existing records get theirs here."""

from django.db import migrations

SQLITE = ["CREATE VIRTUAL TABLE record_words USING fts5(property_words, tokenize='unicode61 remove_diacritics 2',"
          " detail=none)"]
SQLITE_REVERSE = ["DROP TABLE record_words"]
POSTGRESQL = ["ALTER TABLE records_record ADD COLUMN property_words text NOT NULL DEFAULT ''"]
POSTGRESQL_REVERSE = ["ALTER TABLE records_record DROP COLUMN property_words"]

def forward(apps, schema_editor):
    for statement in POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement)
    fill(apps, schema_editor.connection)


def fill(apps, connection):
    """Every record's property words."""
    from scheda.objects.types import plain_text
    from scheda.records import storage
    from scheda.records.search import property_words

    postgresql = connection.vendor == "postgresql"
    Record = apps.get_model("records", "Record")
    for object_type in apps.get_model("objects", "ObjectType").objects.all():
        searchable = dict(apps.get_model("objects", "PropertyDefinition").objects
                          .filter(object_type=object_type, archived=False, searchable=True).values_list("name", "pk"))
        if not searchable:
            continue
        last = 0
        while rows := list(Record.objects.filter(object_type=object_type, pk__gt=last).order_by("pk")
                           .values_list("pk", "properties")[:2000]):
            last = rows[-1][0]
            # As scheda.records.services writes them, property by property in the schema's order.
            words = [(pk, property_words((prop_id, plain_text(str(values[name]))) for name, prop_id in searchable.items()
                                         if values.get(name) is not None)) for pk, values in rows]
            if postgresql:
                # One UPDATE from arrays a batch (docs/DECISIONS.md 30), not one a row.
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE records_record SET property_words = v.words FROM unnest(%s::bigint[], %s::text[])"
                                   " AS v(id, words) WHERE records_record.id = v.id",
                                   [[pk for pk, text in words if text], [text for _, text in words if text]])
            else:
                storage.insert_rows("record_words", "rowid, property_words", [(pk, text) for pk, text in words if text])


def backward(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRESQL_REVERSE if postgresql else SQLITE_REVERSE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("records", "0007_deleted_at_index")]
    operations = [migrations.RunPython(forward, backward)]
