"""The text-search index of records: an FTS5 table on SQLite, a generated tsvector over
`search_text` with a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE = [
    # Written by scheda.records.storage, not by triggers: a trigger made each insert 26 µs
    # slower, a direct insert costs under 2 µs (docs/PERFORMANCE.md).
    "CREATE VIRTUAL TABLE record_fts USING fts5(search_text, tokenize='unicode61 remove_diacritics 2')",
]
SQLITE_REVERSE = ["DROP TABLE record_fts"]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    # translate() is immutable, unlike unaccent(), so a generated column may use it.
    "CREATE OR REPLACE FUNCTION unaccent_immutable(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
    " $$ SELECT lower(translate($1, 'àáâãäåèéêëìíîïòóôõöùúûüýÿñçÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝÑÇ',"
    " 'aaaaaaeeeeiiiiooooouuuuyyncAAAAAAEEEEIIIIOOOOOUUUUYNC')) $$",
    "ALTER TABLE records_record ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', unaccent_immutable(search_text))) STORED",
    "CREATE INDEX record_search_vector ON records_record USING gin (object_type_id, search_vector)",
]
POSTGRESQL_REVERSE = ["DROP INDEX record_search_vector", "ALTER TABLE records_record DROP COLUMN search_vector",
                      "DROP FUNCTION unaccent_immutable(text)"]


def forward(apps, schema_editor):
    for statement in POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    for statement in POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
