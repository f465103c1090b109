"""Text search over records' searchable properties, one interface for both databases: FTS5 on
SQLite, a tsvector on PostgreSQL. Every word of the query must match, the last one as a prefix
(as a user types)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.db import connection

from scheda.objects.models import ObjectType
from scheda.records import storage

WORD = re.compile(r"\w+", re.UNICODE)
# A word as both databases' tokenizers cut one: no underscore, which they take for a space, nor
# the letters SQLite's tokenizer takes for one (vowel signs that were marks in its Unicode tables).
PART = re.compile(r"[^\W_\u19b0-\u19c0\u19c8\u19c9\u1cf2\u1cf3]+")
PLAIN = re.compile(r"[A-Za-z0-9_ ]*")  # ASCII words (an underscore cuts one) and spaces


def words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:16]


def text_condition(query: str, object_type_id: int, table: str = "records_record",
                   prefix: bool = True) -> tuple[str, list] | None:
    """SQL matching the records of type `object_type_id` whose search text has every word of
    `query`, the last as a prefix (unless `prefix` is False); None when the query has no words.
    On SQLite each word is looked up tagged with the type (`type_words`), so no other type's
    words are read: a text index of every record's words read "th" among data set L's 6.6M
    records as 2.2M postings, mostly activities' words, and took 0.7 s to find no contact among
    the notes holding "budget" (docs/DECISIONS.md 38). On PostgreSQL the type has a text index
    of its own; the caller names the type."""
    terms = words(query)
    if not terms:
        return None
    star = "*" if prefix else ""
    if connection.vendor == "postgresql":
        return _pg_text_condition(terms, table, prefix)
    # A word is cut as the index's words were ("de_luca": "de", "luca"); the last part is the prefix.
    parts = [part for term in terms for part in PART.findall(fold(term))]
    if not parts:
        return "1 = 0", []
    match = " ".join(f'"t{int(object_type_id)}x{part}"' for part in parts) + star
    return f"{table}.id IN (SELECT rowid FROM record_words WHERE record_words MATCH %s)", [match]


def type_words(object_type_id: int, text: str) -> str:
    """The words of a record's search text, each tagged with its type ("t1xrossi"), for SQLite's
    text search of one type: in the word index beside the property words, the two kinds of tag
    told apart by their letter."""
    # Most texts are ASCII words and spaces, cut as the index cuts them by splitting: half the
    # time of the regular expression, a record written (2.3 against 3.9 us for a contact's).
    parts = text.lower().replace("_", " ").split() if PLAIN.fullmatch(text) else PART.findall(fold(text))
    return " ".join(f"t{int(object_type_id)}x{part}" for part in dict.fromkeys(parts))


def property_words(values: Iterable[tuple[int, str]]) -> str:
    """The words of (property id, value) pairs, each tagged with its property ("p12xrossi"),
    for the property-word index: CONTAINS_TOKEN on a searchable property finds its records there
    without reading each one's JSON (docs/DECISIONS.md 35). Every word in that index is tagged,
    so no plain word can pass for a tag."""
    return " ".join(f"p{property_id}x{part}" for property_id, value in values
                    for part in dict.fromkeys(PART.findall(fold(value))))


def fold(text: str) -> str:
    """Lower case without accents ("Rössi", "rossi"), as SQLite's text index folds words: so
    PostgreSQL compares the words as they are stored, without unaccenting each row's. Only the
    accents: "ﬁ" or "ＡＢＣ" stay as typed, as PostgreSQL's text index keeps them."""
    if text.isascii():
        return text.lower()
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).lower()  # Hangul syllables put back together


def word_condition(property_id: int, token: str, table: str = "records_record") -> tuple[str, list] | None:
    """SQL matching records whose property `property_id` holds the word `token`, or a word
    starting with it when it ends in "*"; None for a token that is not one word."""
    word = fold(token[:-1] if token.endswith("*") else token)
    if not PART.fullmatch(word):
        return None
    prefix, tagged = token.endswith("*"), f"p{int(property_id)}x{word}"
    if connection.vendor == "postgresql":
        # The type's text index finds the records holding the word in any property, and the
        # row's own words confirm it is this one's: a tsvector and GIN index of the tagged
        # words cost a seventh of batch create's rate and saved nothing, the rows being read
        # either way (docs/DECISIONS.md 35).
        narrowed = _pg_text_condition([word], table, prefix)
        return (f"{narrowed[0]} AND (' ' || {table}.property_words || ' ') LIKE %s",
                [*narrowed[1], f"% {tagged}{'%' if prefix else ' %'}"])
    return (f"{table}.id IN (SELECT rowid FROM record_words WHERE record_words MATCH %s)",
            [f'"{tagged}"{"*" if prefix else ""}'])


def search_ids(object_type: ObjectType, query: str, *, limit: int = 100, after_id: int = 0,
               archived: bool = False, owners: frozenset[str] | None = None) -> list[int]:
    """Ids of the records of one type matching every word of `query`, by id, from `after_id`
    (keyset paging); with `owners`, only the records they own (a user's record access)."""
    condition = text_condition(query, object_type.pk)
    if condition is None:
        return []
    sql, params = condition
    owned = storage.owner_condition(owners)
    if owned is not None:
        sql, params = f"{sql} AND {owned[0]}", [*params, *owned[1]]
    if connection.vendor == "postgresql":
        statement = storage.first_by_id(object_type.pk, archived, sql, params, limit=limit, after=after_id)
    else:
        statement = (f"SELECT id FROM {storage.TABLE} WHERE {sql} AND object_type_id = %s AND archived = %s"
                     " AND id > %s ORDER BY id LIMIT %s", [*params, object_type.pk, archived, after_id, limit])
    return [row[0] for row in storage.planned(*statement)]


def _pg_text_condition(terms: list[str], table: str, prefix: bool) -> tuple[str, list]:
    """PostgreSQL: the records whose tsvector holds every term, the last as a prefix if `prefix`
    (the type's text index answers it where the caller names the type)."""
    tsquery = " & ".join([*(_pg_word(t) for t in terms[:-1]), f"{_pg_word(terms[-1])}{':*' if prefix else ''}"])
    return f"{table}.search_vector @@ to_tsquery('simple', unaccent_immutable(%s))", [tsquery]


def _pg_word(term: str) -> str:
    return "'" + term.replace("'", "") + "'"
