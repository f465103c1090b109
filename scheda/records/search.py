"""Text search over records' searchable properties, one interface for both databases: FTS5 on
SQLite, a tsvector on PostgreSQL. Every word of the query must match, the last one as a prefix
(as a user types)."""

from __future__ import annotations

import re

from django.db import connection

from scheda.objects.models import ObjectType
from scheda.records import storage

WORD = re.compile(r"\w+", re.UNICODE)
# Records of a type PostgreSQL tests in id order before it looks matches up in the text index.
PROBE = 2000


def words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:16]


def text_condition(query: str, table: str = "records_record", prefix: bool = True) -> tuple[str, list] | None:
    """SQL matching records whose search text has every word of `query`, the last as a prefix
    (unless `prefix` is False); None when the query has no words."""
    terms = words(query)
    if not terms:
        return None
    star = "*" if prefix else ""
    if connection.vendor == "postgresql":
        tsquery = " & ".join([*(_pg_word(t) for t in terms[:-1]), f"{_pg_word(terms[-1])}{':*' if prefix else ''}"])
        return f"{table}.search_vector @@ to_tsquery('simple', unaccent_immutable(%s))", [tsquery]
    match = " ".join([*(f'"{t}"' for t in terms[:-1]), f'"{terms[-1]}"{star}'])
    # The FTS table answers the MATCH alone; joined, SQLite may probe it once per record.
    return f"{table}.id IN (SELECT rowid FROM record_fts WHERE record_fts MATCH %s)", [match]


def search_ids(object_type: ObjectType, query: str, *, limit: int = 100, after_id: int = 0,
               archived: bool = False, owners: frozenset[str] | None = None) -> list[int]:
    """Ids of the records of one type matching every word of `query`, by id, from `after_id`
    (keyset paging); with `owners`, only the records they own (a user's record access)."""
    condition = text_condition(query)
    if condition is None:
        return []
    sql, params = condition
    owned = storage.owner_condition(owners)
    if owned is not None:
        sql, params = f"{sql} AND {owned[0]}", [*params, *owned[1]]
    of_type, of_type_params = "object_type_id = %s AND archived = %s AND id > %s", [object_type.pk, archived, after_id]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PROBED.format(table=storage.TABLE, probe=PROBE, of_type=of_type, text=sql),
                           [*of_type_params, object_type.pk, archived, *params, limit, limit, *params, *of_type_params,
                            limit, limit])
        else:
            cursor.execute(f"SELECT id FROM {storage.TABLE} WHERE {sql} AND {of_type} ORDER BY id LIMIT %s",
                           [*params, *of_type_params, limit])
        return [row[0] for row in cursor.fetchall()]


# PostgreSQL expects a type's matches spread evenly over its records and walks them in id order
# testing each: quick when many match, a walk over all 200k companies (1.2 s at data set L) when
# none does. So one statement tests the first PROBE records of the type in id order, and only if
# fewer than `limit` of them match (matches are rare) looks them all up in the type's text index
# and sorts them: the second part's condition is computed once and skips it entirely otherwise.
# The probe names the type by a range of (type, archived, id), which only the type's index
# answers in order: with `object_type_id = 1` PostgreSQL walked the primary key through the
# 200k companies before the first contact (68 ms).
_PROBED = """WITH probed AS MATERIALIZED (
    SELECT id FROM (SELECT id, search_vector, properties FROM {table}
        WHERE (object_type_id, archived, id) > (%s, %s, %s) AND (object_type_id, archived, id) <= (%s, %s, 9223372036854775807)
        ORDER BY object_type_id, archived, id LIMIT {probe}) {table}
    WHERE {text} ORDER BY id LIMIT %s)
SELECT id FROM probed WHERE (SELECT count(*) FROM probed) = %s
UNION ALL
(SELECT id FROM {table} WHERE {text} AND {of_type} AND (SELECT count(*) FROM probed) < %s ORDER BY id + 0 LIMIT %s)"""


def _pg_word(term: str) -> str:
    return "'" + term.replace("'", "") + "'"
