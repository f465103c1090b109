"""SQLite's text search reads one word index (docs/DECISIONS.md 38): `record_words` holds each
record's property words and the words of its search text tagged with its type, and the text
index of every type's words, `record_fts`, goes. Existing records get their type words here.
PostgreSQL, which has a text index per type, is unchanged."""

from django.db import migrations

BATCH = 5_000
WORDS = "CREATE VIRTUAL TABLE record_words_new USING fts5({columns}, tokenize='unicode61 remove_diacritics 2', detail={detail})"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        return
    from scheda.records import storage
    from scheda.records.search import type_words

    with schema_editor.connection.cursor() as cursor:
        # Which column holds a word is kept (no positions): FTS5 reads a prefix's rows without it
        # at half the speed ("t1xrossi"* among data set L's contacts 4.0 ms, 1.7 ms with it).
        cursor.execute(WORDS.format(columns="property_words, type_words", detail="column"))
        last = 0
        while True:  # in id order, as the index is best written
            cursor.execute("SELECT r.id, r.object_type_id, r.search_text, coalesce(w.property_words, '')"
                           " FROM records_record r LEFT JOIN record_words w ON w.rowid = r.id"
                           " WHERE r.id > %s ORDER BY r.id LIMIT %s", [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            storage.insert_rows("record_words_new", "rowid, property_words, type_words",
                                [(pk, words, type_words(type_id, text)) for pk, type_id, text, words in rows if text or words])
        _replace(cursor, "record_fts")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE VIRTUAL TABLE record_fts USING fts5(search_text, tokenize='unicode61 remove_diacritics 2')")
        cursor.execute("INSERT INTO record_fts(rowid, search_text) SELECT id, search_text FROM records_record"
                       " WHERE search_text <> '' ORDER BY id")
        cursor.execute(WORDS.format(columns="property_words", detail="none"))
        cursor.execute("INSERT INTO record_words_new(rowid, property_words) SELECT rowid, property_words FROM record_words"
                       " WHERE property_words <> '' ORDER BY rowid")
        _replace(cursor)


def _replace(cursor, *dropped):
    for table in ("record_words", *dropped):
        cursor.execute(f"DROP TABLE {table}")
    cursor.execute("ALTER TABLE record_words_new RENAME TO record_words")


class Migration(migrations.Migration):
    dependencies = [("records", "0008_property_words")]
    operations = [migrations.RunPython(forward, backward)]
