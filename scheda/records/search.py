"""Text search over records' searchable properties, one interface for both databases: FTS5 on
SQLite, a tsvector on PostgreSQL. Every word of the query must match, the last one as a prefix
(as a user types)."""

from __future__ import annotations

import re

from django.db import connection

from scheda.objects.models import ObjectType

WORD = re.compile(r"\w+", re.UNICODE)


def words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:16]


def search_ids(object_type: ObjectType, query: str, *, limit: int = 100, after_id: int = 0,
               archived: bool = False) -> list[int]:
    """Ids of the records of one type matching every word of `query`, by id, from `after_id`
    (keyset paging)."""
    terms = words(query)
    if not terms:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tsquery = " & ".join(f"{_pg_word(t)}" for t in terms[:-1])
            tsquery = (tsquery + " & " if tsquery else "") + f"{_pg_word(terms[-1])}:*"
            cursor.execute(
                "SELECT id FROM records_record WHERE object_type_id = %s AND archived = %s"
                " AND search_vector @@ to_tsquery('simple', unaccent_immutable(%s)) AND id > %s ORDER BY id LIMIT %s",
                [object_type.pk, archived, tsquery, after_id, limit],
            )
        else:
            match = " ".join(f'"{t}"' for t in terms[:-1]) + f' "{terms[-1]}"*'
            # The FTS table answers the MATCH alone; joined, SQLite may probe it once per record.
            cursor.execute(
                "SELECT id FROM records_record WHERE id IN (SELECT rowid FROM record_fts WHERE record_fts MATCH %s)"
                " AND object_type_id = %s AND archived = %s AND id > %s ORDER BY id LIMIT %s",
                [match.strip(), object_type.pk, archived, after_id, limit],
            )
        return [row[0] for row in cursor.fetchall()]


def _pg_word(term: str) -> str:
    return "'" + term.replace("'", "") + "'"
