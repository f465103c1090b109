"""How records sit in the database, per vendor: one expression index per indexed property, the
text-search index, and id allocation for bulk inserts. Nothing else writes SQL by hand."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from django.db import connection

if TYPE_CHECKING:
    from scheda.objects.models import PropertyDefinition

TABLE = "records_record"
# \Z, not $: "$" also matches before a final newline, which must not pass into SQL.
PROPERTY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}\Z")
# System properties that are columns of the record, not keys of its JSON.
COLUMNS = {
    "hs_object_id": "id",
    "createdate": "created_at",
    "hs_createdate": "created_at",
    "lastmodifieddate": "updated_at",
    "hs_lastmodifieddate": "updated_at",
}


# How every query and index says "not archived", word for word: SQLite uses a partial index
# only when the query repeats its terms.
ACTIVE = "archived = FALSE"


ID_MAX = 9223372036854775807
# Records of a type PostgreSQL tests in id order before it looks for rare matches another way.
PROBE = 2000


def planned(sql: str, params: Sequence[Any], off: Sequence[str] = ()) -> list[tuple]:
    """The rows of a search or count, planned for its values. A kept PostgreSQL connection
    prepares a statement it runs again and may keep one plan for every value, but how many
    records a search's values match picks its plan (docs/DECISIONS.md 13, 21, 42): so the values
    are written into the statement, as Django's client-bound cursor writes them. With the
    planner settings `off` turned off, in the same round trip: the SETs, the statement and the
    RESETs go as one simple query; should the statement fail, PostgreSQL rolls the SETs back
    with it (a SET is transactional; the statements of one query are one implicit transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchall()
        statement = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined]  # PostgreSQL's ops
        cursor.execute(" ".join([*(f"SET {name} = off;" for name in off), statement, *(f"; RESET {name}" for name in off)]))
        for _setting in off:  # past the SETs' results to the statement's
            cursor.nextset()
        return cursor.fetchall()


def first_by_id(object_type_id: int, archived: bool, condition: str, params: list[Any], *, limit: int,
                after: int | None = None, descending: bool = False) -> tuple[str, list[Any]]:
    """PostgreSQL: the SQL of the first `limit` ids by id of one type's records that meet
    `condition` (on `records_record`'s columns), past the cursor id `after`.

    PostgreSQL expects a type's matches spread evenly over the ids and walks them in id order
    testing each: quick when many match, a walk over all 200k companies (1.2 s at data set L)
    when none does. And written `object_type_id = 1 AND id > x ORDER BY id`, it walks the primary
    key through every other type's records first (the 200k companies before the first contact,
    50-68 ms), the primary key being in the table's order. So one statement tests the first PROBE
    records of the type in id order, read from the type's own index by a row range (which only
    that index answers in order); if fewer than `limit` of them match (matches are rare), a second
    part, whose gate PostgreSQL computes once, finds them all by whatever index the condition has
    (the type's text index, a property's) and sorts them. docs/DECISIONS.md 22."""
    key = f"({TABLE}.object_type_id, {TABLE}.archived, {TABLE}.id)"
    below = descending and after is not None
    low = after if after is not None and not descending else 0
    high = after if below else ID_MAX
    direction = "DESC" if descending else "ASC"
    walk = ", ".join(f"{TABLE}.{column} {direction}" for column in ("object_type_id", "archived", "id"))
    past = f" AND {TABLE}.id {'<' if descending else '>'} {int(after)}" if after is not None else ""
    typed = (f"{TABLE}.object_type_id = {int(object_type_id)} AND {TABLE}.{ACTIVE if not archived else 'archived = TRUE'}"
             f"{past}")
    sql = f"""WITH probed AS MATERIALIZED (
    SELECT id FROM (SELECT * FROM {TABLE} WHERE {key} > (%s, %s, %s) AND {key} {'<' if below else '<='} (%s, %s, %s)
        ORDER BY {walk} LIMIT {PROBE}) {TABLE}
    WHERE {condition} ORDER BY id {direction} LIMIT %s)
SELECT id FROM probed WHERE (SELECT count(*) FROM probed) = %s
UNION ALL
(SELECT id FROM {TABLE} WHERE {typed} AND {condition} AND (SELECT count(*) FROM probed) < %s
    ORDER BY {TABLE}.id + 0 {direction} LIMIT %s)"""
    return sql, [object_type_id, archived, low, object_type_id, archived, high, *params, limit, limit, *params, limit, limit]


def value_sql(name: str, table: str = TABLE) -> str:
    """The SQL of one property's value. It is written exactly as Django writes a key lookup on
    a JSONField (`properties__name`), so that ORM filters and the indexes below match."""
    if not PROPERTY_NAME.match(name):
        raise ValueError(f"not a property name: {name!r}")
    if name in COLUMNS:
        return f'"{table}"."{COLUMNS[name]}"'
    if connection.vendor == "postgresql":
        return f"(\"{table}\".\"properties\" -> '{name}')"
    return f"JSON_EXTRACT(\"{table}\".\"properties\", '$.\"{name}\"')"


def index_name(prop: PropertyDefinition) -> str:
    return _index_name(prop.object_type_id, prop.name)


def _index_name(object_type_id: int, property_name: str) -> str:
    name = f"rp_{object_type_id}_{property_name}"
    if len(name) > 60:
        name = name[:50] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return name


def create_property_index(prop: PropertyDefinition) -> None:
    """Index one property of one object type. Unique properties get a unique index over the
    active records: the database itself refuses a second contact with the same e-mail."""
    expression = _index_expression(prop.name)
    where = f"object_type_id = {int(prop.object_type_id)}"
    unique = ""
    if prop.unique:
        unique, where = "UNIQUE ", f"{where} AND {ACTIVE}"
    elif connection.vendor == "postgresql":
        # Pages sort by (value, id): with the id in the key PostgreSQL reads a page's 25 rows from
        # the index in order, where (value) alone made it sort every record sharing the first
        # value (SQLite's index ends with the rowid by itself). docs/DECISIONS.md 21.
        expression = f"{expression}, id"
    _create_index(f'CREATE {unique}INDEX IF NOT EXISTS "{index_name(prop)}" ON {TABLE} ({expression}) WHERE {where}')


def _create_index(sql: str) -> None:
    if connection.vendor == "postgresql":
        # PostgreSQL refuses to index a table with deferred foreign-key checks pending (records
        # written earlier in this transaction): run them now; they stay deferred afterwards.
        connection.check_constraints()
    with connection.cursor() as cursor:
        cursor.execute(sql)


def create_search_index(object_type_id: int) -> None:
    """PostgreSQL's text index of one object type's records. One GIN index over every type
    answered "companies matching 'ma'" by reading the 145k contacts matching it too (87 ms at
    data set L); a type's own index reads only its records' (0.1 ms). docs/DECISIONS.md 22.
    SQLite's FTS5 tables are one for all types."""
    if connection.vendor != "postgresql":
        return
    _create_index(f'CREATE INDEX IF NOT EXISTS "rs_{int(object_type_id)}" ON {TABLE} USING gin (search_vector)'
                  f" WHERE object_type_id = {int(object_type_id)}")


def drop_property_index(prop: PropertyDefinition) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX IF EXISTS "{index_name(prop)}"')


def _index_expression(name: str) -> str:
    if connection.vendor == "postgresql":
        return f"(properties -> '{name}')"
    return f"JSON_EXTRACT(properties, '$.\"{name}\"')"


def refresh_statistics() -> None:
    """Let the query planner know the data's shape after large writes. Without statistics SQLite
    prefers the object-type index to a property's own index, and sorts a million rows to read
    ten. ANALYZE samples at most analysis_limit rows an index (see config), so it takes
    milliseconds even at a million records. PostgreSQL's autovacuum does this by itself."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")


def allocate_ids(count: int) -> list[int]:
    """Ids for `count` new records, so a bulk insert needs no RETURNING per row. Must run inside
    the writing transaction: on SQLite that transaction holds the write lock, so no other
    writer can take the same ids; on PostgreSQL the sequence hands them out."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence('{TABLE}', 'id')) FROM generate_series(1, %s)", [count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{TABLE}'), 0),"
            f" coalesce((SELECT max(id) FROM {TABLE}), 0))"
        )
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def lock_records(ids: Iterable[int]) -> None:
    """Take the row locks of these records until the transaction ends, in id order: writers that
    lock overlapping records queue behind each other and never deadlock. PostgreSQL only; on
    SQLite the IMMEDIATE transaction already holds the database's one write lock."""
    if connection.features.has_select_for_update:
        rows_for_ids(f"SELECT id FROM {TABLE} WHERE id IN ({{ids}}) ORDER BY id FOR UPDATE", sorted(set(ids)))


# Ids an IN list of `rows_for_ids` holds: far under SQLite's 32,766 parameters.
IDS_CHUNK = 900


def rows_for_ids(sql: str, ids: Iterable[int]) -> list[tuple]:
    """The rows of `sql`, whose `{ids}` is an IN list (and which has no other braces), run for
    IDS_CHUNK ids at a time, in the order given. Raw SQL because, for thousands of ids, Django's
    `__in` lookup prepares each one and took longer than the query."""
    ordered = list(ids)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), IDS_CHUNK):
            chunk = ordered[start:start + IDS_CHUNK]
            cursor.execute(sql.format(ids=", ".join(["%s"] * len(chunk))), chunk)
            found.extend(cursor.fetchall())
    return found


def encode(value: Any) -> Any:
    """A stored value as a parameter compared with `value_sql`: JSON on PostgreSQL (jsonb
    compares numbers as numbers and strings as strings), the scalar itself on SQLite."""
    if connection.vendor == "postgresql":
        return json.dumps(value)
    return int(value) if isinstance(value, bool) else value


def compare_param() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def owner_condition(owners: frozenset[str] | None) -> tuple[str, list[Any]] | None:
    """The SQL that keeps the records owned by `owners` (the record access a user has, from
    scheda.accounts.permissions): None for no restriction, a condition that holds for nothing
    for an empty set."""
    if owners is None:
        return None
    if not owners:
        return "1 = 0", []
    marks = ", ".join([compare_param()] * len(owners))
    return f"{value_sql('hubspot_owner_id')} IN ({marks})", [encode(owner) for owner in sorted(owners)]


def holders(object_type_id: int, name: str, values: list) -> list[tuple[int, Any]]:
    """(id, value) of the active records of a type whose unique property `name` has one of
    `values`: one indexed lookup (on SQLite one per 500 values). SQLite is told the unique index,
    because with a long IN list its planner may walk every record of the type instead (4.5 s for
    2,000 e-mails among 380,000 contacts)."""
    found: list[tuple[int, Any]] = []
    column = value_sql(name)
    # The type as a literal, so that SQLite can use the property's partial index.
    active = f"object_type_id = {int(object_type_id)} AND {ACTIVE}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array, as insert_rows passes many values, joined rather than `= ANY(array)`: the
            # planner proves each partial index's predicate against every element of an ANY list
            # (to 100) and estimates each, 1.0-1.2 ms to plan 100 e-mails, 0.4-0.5 as a join.
            cursor.execute(f"SELECT id, {column} FROM unnest(%s::jsonb[]) AS wanted(value) JOIN {TABLE}"
                           f" ON {column} = wanted.value WHERE {active}", [[encode(v) for v in values]])
            return [(record_id, decode(value)) for record_id, value in cursor.fetchall()]
        hint = f' INDEXED BY "{_index_name(object_type_id, name)}"'
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT id, {column} FROM {TABLE}{hint} WHERE {active} AND {column} IN ({marks})", [encode(v) for v in chunk])
            found.extend((record_id, decode(value)) for record_id, value in cursor.fetchall())
    return found


def decode(value) -> object:
    """A value read through `value_sql`: Django leaves jsonb as text on PostgreSQL."""
    if connection.vendor == "postgresql" and isinstance(value, str):
        return json.loads(value)
    return value


# Rows an INSERT of `insert_rows` takes on SQLite: 8,000 parameters for a record's row, far under
# its limit of 32,766.
INSERT_CHUNK = 1000


def insert_rows(table: str, columns: str, rows: Sequence[Sequence[Any]], *, skip_existing: bool = False) -> int:
    """Write `rows` (a value for each of the comma-separated `columns`) and return how many the
    database wrote: a COPY on PostgreSQL, or where existing rows are to be skipped one INSERT of
    the columns as arrays; an INSERT a thousand rows on SQLite. A statement a row (executemany)
    made PostgreSQL open every index of the table for each row: 100 contacts took 9.2 ms into
    records_record at data set L, 5.6 ms as one INSERT, 4.1 ms as a COPY (docs/DECISIONS.md 30)."""
    if not rows:
        return 0
    head = f"{table} ({columns})"
    if connection.vendor == "postgresql" and skip_existing:
        # COPY has no ON CONFLICT. One array a column, unnested: psycopg quotes a statement's
        # values in Python, and 8,000 rows of four ("VALUES (%s, %s, %s, %s), ...") were a quarter
        # of the generator's time writing contacts with their companies; four arrays cost little.
        arrays = ", ".join(f"%s::{kind}[]" for kind in _column_types(table, columns))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {head} SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING",
                           [list(column) for column in zip(*rows, strict=True)])
            return max(cursor.rowcount, 0)
    if connection.vendor == "postgresql":
        sql = f"COPY {head} FROM STDIN"
        # Django's cursor has no COPY: psycopg's, with Django's error classes (an IntegrityError
        # stays one) and, when it keeps one, Django's query log (tests count statements).
        with connection.cursor() as cursor:
            logged = cursor.debug_sql(f"{sql} ({len(rows)} rows)") if connection.queries_logged else nullcontext()
            with logged, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return len(rows)
    written = 0
    # SQLite's own "?" placeholders, past Django's cursor, which turns each "%s" of the statement
    # into one with a regular expression: 105 us for 100 records' rows, in the write lock.
    row = f"({', '.join(['?'] * len(rows[0]))})"
    skip = " ON CONFLICT DO NOTHING" if skip_existing else ""
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start:start + INSERT_CHUNK]
            sql, params = f"INSERT INTO {head} VALUES {', '.join([row] * len(chunk))}{skip}", [v for values in chunk for v in values]
            logged = cursor.debug_sql(sql, params) if connection.queries_logged else nullcontext()
            with logged, connection.wrap_database_errors:
                written += max(sqlite3.Cursor.execute(cursor.cursor, sql, params).rowcount, 0)
    return written


_COLUMN_TYPES: dict[tuple[str, str], list[str]] = {}


def _column_types(table: str, columns: str) -> list[str]:
    """PostgreSQL's type of each of a table's comma-separated `columns`, in order (read once)."""
    key = (table, columns)
    if key not in _COLUMN_TYPES:
        names = [name.strip().strip('"') for name in columns.split(",")]
        with connection.cursor() as cursor:
            cursor.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                           " WHERE attrelid = %s::regclass AND attname = ANY(%s)", [table, names])
            kinds = dict(cursor.fetchall())
        _COLUMN_TYPES[key] = [kinds[name] for name in names]
    return _COLUMN_TYPES[key]


RECORD_COLUMNS = "id, object_type_id, properties, search_text, created_at, updated_at, created_by_id, archived"


def insert_records(rows: Sequence[tuple]) -> None:
    """Insert records of one type: each row RECORD_COLUMNS' values and the property words
    (scheda.records.search.property_words), which PostgreSQL keeps in the row and SQLite in its
    word index, with their type words."""
    if connection.vendor == "postgresql":
        insert_rows(TABLE, f"{RECORD_COLUMNS}, property_words", rows)
    else:
        insert_rows(TABLE, RECORD_COLUMNS, [row[:-1] for row in rows])
    if rows:
        index_text(rows[0][1], [(row[0], row[3], row[-1]) for row in rows])


def write_records(rows: Sequence[tuple[str, str, str, Any, int]]) -> None:
    """Write records' (properties as JSON, search text, property words, updated_at) by id. On
    PostgreSQL one UPDATE from the rows as arrays: an UPDATE a row opened every index each time,
    21-29 ms for 100 contacts at data set L against 8.5-10.8 ms (docs/DECISIONS.md 30). SQLite
    keeps executemany, whose one prepared statement costs little a row (and UPDATE ... FROM
    needs 3.33); its word index is written by `index_text`."""
    # A record named twice in a batch ends with its last values, as an UPDATE a row left it; one
    # UPDATE ... FROM would take either.
    rows = list({row[-1]: row for row in rows}.values())
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany("UPDATE records_record SET properties = %s, search_text = %s, updated_at = %s WHERE id = %s",
                               [(properties, text, updated_at, record_id) for properties, text, _, updated_at, record_id in rows])
            return
        if rows:  # one array a column, as insert_rows skipping existing rows does, for the same reason
            cursor.execute("UPDATE records_record SET properties = v.properties, search_text = v.search_text,"
                           " property_words = v.property_words, updated_at = v.updated_at"
                           " FROM unnest(%s::jsonb[], %s::text[], %s::text[], %s::timestamptz[], %s::bigint[])"
                           " AS v(properties, search_text, property_words, updated_at, id) WHERE records_record.id = v.id",
                           [list(column) for column in zip(*rows, strict=True)])


def write_texts(object_type_id: int, rows: Sequence[tuple[int, str, str]]) -> None:
    """Rewrite the (id, search text, property words) of records of one type, with SQLite's word index."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if rows:  # one UPDATE from arrays, as write_records
                cursor.execute("UPDATE records_record SET search_text = v.search_text, property_words = v.property_words"
                               " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, search_text, property_words)"
                               " WHERE records_record.id = v.id", [list(column) for column in zip(*rows, strict=True)])
            return
        cursor.executemany("UPDATE records_record SET search_text = %s WHERE id = %s",
                           [(text, record_id) for record_id, text, _ in rows])
    index_text(object_type_id, rows, replace=True)


def read_words(ids: Sequence[int]) -> dict[int, str]:
    """Records' property words by id, as written."""
    table, column = (TABLE, "id") if connection.vendor == "postgresql" else ("record_words", "rowid")
    return dict(rows_for_ids(f"SELECT {column}, property_words FROM {table} WHERE {column} IN ({{ids}})", ids))


def index_text(object_type_id: int, rows: Sequence[tuple[int, str, str]], *, replace: bool = False) -> None:
    """Put the (id, search text, property words) of records of one type into SQLite's word
    index, `record_words`: the property words, and the search text's words tagged with the type
    (scheda.records.search.type_words), which the text search reads. On PostgreSQL the tsvector
    is a generated column of `search_text` and the words are in the row: nothing to do."""
    if connection.vendor == "postgresql" or not rows:
        return
    from scheda.records.search import type_words  # which builds its SQL on this module's

    texts = {row[0]: row for row in rows}  # a record named twice in a batch update: its last text
    if replace:
        drop_text(list(texts))
    insert_rows("record_words", "rowid, property_words, type_words",
                [(record_id, words, type_words(object_type_id, text)) for record_id, text, words in texts.values()
                 if text or words])


def drop_text(ids: list[int]) -> None:
    if connection.vendor == "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            cursor.execute(f"DELETE FROM record_words WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk)


def text_sql(name: str, table: str = TABLE) -> str:
    """A property's value as text, for LIKE: what `value_sql` gives on SQLite, `->>` on PostgreSQL."""
    if connection.vendor == "postgresql" and name not in COLUMNS:
        if not PROPERTY_NAME.match(name):
            raise ValueError(f"not a property name: {name!r}")
        return f"(\"{table}\".\"properties\" ->> '{name}')"
    return value_sql(name, table)
