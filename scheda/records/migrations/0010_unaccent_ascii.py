"""PostgreSQL: `unaccent_immutable`, which every record's text index column is computed with,
skips translate() for a text of ASCII characters only, where it changes nothing
(docs/DECISIONS.md 41). Its answers are the same for every text, so the column and its indexes
stay as they are. SQLite has no such function."""

import importlib

from django.db import migrations

# translate() looks each character up in the list of accented letters: 10 us a contact's search
# text, a sixth of what writing its row cost PostgreSQL. A text is ASCII when no character is past
# U+007F, in any server encoding; the test costs 2 us.
FAST = ("CREATE OR REPLACE FUNCTION unaccent_immutable(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
        " $$ SELECT CASE WHEN $1 ~ '^[\\x01-\\x7f]*$' THEN lower($1)"
        " ELSE lower(translate($1, 'àáâãäåèéêëìíîïòóôõöùúûüýÿñçÀÁÂÃÄÅÈÉÊËÌÍÎÏÒÓÔÕÖÙÚÛÜÝÑÇ',"
        " 'aaaaaaeeeeiiiiooooouuuuyyncAAAAAAEEEEIIIIOOOOOUUUUYNC')) END $$")
# The function as migration 0002 made it.
BEFORE = next(statement for statement in importlib.import_module("scheda.records.migrations.0002_text_search").POSTGRESQL
              if "FUNCTION unaccent_immutable" in statement)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FAST)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BEFORE)


class Migration(migrations.Migration):
    dependencies = [("records", "0009_type_words")]
    operations = [migrations.RunPython(forward, backward)]
