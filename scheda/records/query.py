"""Filtering, sorting and keyset paging of records on any property (HubSpot's CRM search):
filter groups ORed, filters in a group ANDed, one sort, and a cursor that is the id of the
last record of the page, so paging never stops at 10,000 results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from scheda.errors import FieldError, ValidationFailed
from scheda.objects.services import PIPELINE_PROPERTIES, Schema
from scheda.objects.types import DateTimeType, PropertyType, PropertyValueError, WriteContext, shown
from scheda.records import search, storage

OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
             "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
COMPARE = {"EQ": "=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
MAX_TOKEN_LENGTH = 1_000


@dataclass
class Filter:
    property_name: str
    operator: str
    value: Any = None
    high_value: Any = None
    values: list[Any] | None = None


@dataclass
class Query:
    filter_groups: list[list[Filter]] = field(default_factory=list)
    text: str = ""
    sort: str = "hs_object_id"
    descending: bool = False
    archived: bool = False
    # The owners whose records may be found (scheda.accounts.permissions `Rights.owners`): None
    # for every record, an empty set for none.
    owners: frozenset[str] | None = None
    # `text`'s last word matched whole, not as the start of a longer one (`count_of`).
    whole_words: bool = False


def _invalid(message: str, name: str, code: str = "INVALID_FILTER") -> ValidationFailed:
    return ValidationFailed(message, [FieldError(message, code, name)])


class Compiler:
    """Turns a Query into SQL over records_record for one object type."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.ctx = WriteContext()

    def param(self, name: str, raw: Any) -> tuple[str, Any]:
        """(placeholder, parameter) for comparing `name` with a filter value, normalised as a
        value of that property is on write, so that "Ada@Example.com" finds ada@example.com."""
        if name in storage.COLUMNS:
            if name == "hs_object_id":
                try:
                    record_id = int(str(raw))
                except ValueError:
                    record_id = -1
                if not 0 <= record_id < 2**63:  # beyond a 64-bit id the database driver fails
                    raise _invalid(f"{shown(raw)} is not a record id", name)
                return "%s", record_id
            try:
                moment = DateTimeType().normalise(self.schema.properties[name], raw, self.ctx)
            except PropertyValueError as exc:
                raise _invalid(f"Filter on {name}: {exc.message}", name) from None
            parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
            return "%s", connection.ops.adapt_datetimefield_value(parsed)
        prop = self.schema.properties[name]
        try:
            if name in PIPELINE_PROPERTIES and not prop.options:
                value: Any = PropertyType.text(raw)  # a pipeline or stage id: any text, checked like one
            else:
                value = self.schema.types[name].normalise(prop, raw, self.ctx)
        except PropertyValueError as exc:
            raise _invalid(f"Filter on {name}: {exc.message}", name) from None
        return storage.compare_param(), storage.encode(value)

    def property_word(self, name: str, token: str) -> tuple[str, list] | None:
        """For a searchable property and a plain word ("rossi", or "ross*"), the condition that
        the property holds that word, answered by the property-word index alone."""
        if not self.schema.properties[name].searchable:
            return None
        return search.word_condition(self.schema.properties[name].pk, token)

    def condition(self, item: Filter) -> tuple[str, list[Any]]:
        name, operator = item.property_name, (item.operator or "").upper()
        if name not in self.schema.properties:
            raise _invalid(f'Property "{name}" does not exist', name, "PROPERTY_DOESNT_EXIST")
        if operator not in OPERATORS:
            raise _invalid(f"Unknown operator {item.operator!r}: use one of {', '.join(sorted(OPERATORS))}", "operator")
        column = storage.value_sql(name)
        if operator == "HAS_PROPERTY":
            return f"{column} IS NOT NULL", []
        if operator == "NOT_HAS_PROPERTY":
            return f"{column} IS NULL", []
        if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            if name in storage.COLUMNS:  # an id or a timestamp: PostgreSQL has no lower() of one
                raise _invalid(f"{operator} works on text values, not on {name}", name)
            try:
                # PostgreSQL refuses NUL in a pattern; no stored value holds one (scheda.objects.types).
                token = str(item.value if item.value is not None else "").replace("\x00", "").strip().lower()
                token.encode()
            except ValueError:  # an int too long to show, or a lone surrogate no database takes
                raise _invalid(f"{operator} needs a word, not {shown(item.value)}", name) from None
            if not token:
                raise _invalid(f"{operator} needs a value", name)
            if len(token) > MAX_TOKEN_LENGTH:  # SQLite refuses a LIKE pattern over 50,000 bytes
                raise _invalid(f"{operator} takes at most {MAX_TOKEN_LENGTH} characters", name)
            pattern = token.replace("\\", "").replace("%", "").replace("_", "")
            pattern = pattern.replace("*", "%") if "*" in pattern else f"%{pattern}%"
            text = f"lower({storage.text_sql(name)})"
            word = self.property_word(name, token)
            if operator == "CONTAINS_TOKEN":
                return word or (f"{text} LIKE %s", [pattern])
            return (f"NOT ({word[0]})", word[1]) if word else (f"({text} IS NULL OR {text} NOT LIKE %s)", [pattern])
        if operator in ("IN", "NOT_IN"):
            values = item.values or []
            if not values or len(values) > 100:
                raise _invalid(f"{operator} needs from 1 to 100 values", name)
            marks, params = zip(*(self.param(name, v) for v in values), strict=True)
            listed = f"{column} IN ({', '.join(marks)})"
            return (listed, list(params)) if operator == "IN" else (f"({column} IS NULL OR NOT {listed})", list(params))
        if item.value is None:
            raise _invalid(f"{operator} needs a value", name)
        mark, param = self.param(name, item.value)
        if operator == "BETWEEN":
            if item.high_value is None:
                raise _invalid("BETWEEN needs a highValue", name)
            high_mark, high = self.param(name, item.high_value)
            return f"({column} >= {mark} AND {column} <= {high_mark})", [param, high]
        if operator == "NEQ":
            return f"({column} IS NULL OR {column} <> {mark})", [param]
        return f"{column} {COMPARE[operator]} {mark}", [param]

    def where(self, query: Query, *, typed: bool = True) -> tuple[str, list[Any]]:
        """The conditions of `query`; without the object type and archived flag if not `typed`
        (the caller names them otherwise)."""
        if len(query.filter_groups) > MAX_GROUPS:
            raise _invalid(f"At most {MAX_GROUPS} filter groups", "filterGroups")
        if sum(len(group) for group in query.filter_groups) > MAX_FILTERS or any(
                len(group) > MAX_FILTERS_PER_GROUP for group in query.filter_groups):
            raise _invalid(f"At most {MAX_FILTERS_PER_GROUP} filters a group and {MAX_FILTERS} in all", "filterGroups")
        # The type and the archived flag are written into the SQL, not bound: SQLite uses a
        # partial index ("WHERE object_type_id = N [AND NOT archived]") only when its terms
        # appear literally in the query.
        parts = [f"records_record.object_type_id = {int(self.schema.object_type.pk)}",
                 f"records_record.{storage.ACTIVE}" if not query.archived else "records_record.archived = TRUE"] if typed else []
        params: list[Any] = []
        groups = []
        for group in query.filter_groups:
            conditions = [self.condition(item) for item in group]
            if conditions:
                groups.append("(" + " AND ".join(sql for sql, _ in conditions) + ")")
                params.extend(p for _, group_params in conditions for p in group_params)
        if groups:
            parts.append("(" + " OR ".join(groups) + ")")
        if query.text:
            condition = search.text_condition(query.text, self.schema.object_type.pk, prefix=not query.whole_words)
            if condition is None:
                parts.append("1 = 0")
            else:
                parts.append(condition[0])
                params.extend(condition[1])
        owned = storage.owner_condition(query.owners)
        if owned is not None:  # bound like a filter value, so the owner property's own index serves it
            parts.append(owned[0])
            params.extend(owned[1])
        return " AND ".join(parts) or "TRUE", params

    def page(self, query: Query, limit: int, after: int | None) -> tuple[list[int], int | None]:
        """Ids of one page in order, and the cursor of the next page (None on the last)."""
        if query.sort not in self.schema.properties:
            raise _invalid(f'Cannot sort by "{query.sort}": no such property', "sorts", "PROPERTY_DOESNT_EXIST")
        self.check_cursor(query, after)
        by_id_on_postgresql = query.sort == "hs_object_id" and connection.vendor == "postgresql"
        where, params = self.where(query, typed=not by_id_on_postgresql)
        column = storage.value_sql(query.sort)
        order = "DESC" if query.descending else "ASC"
        if by_id_on_postgresql:
            sql, params = storage.first_by_id(self.schema.object_type.pk, query.archived, where, params, limit=limit + 1,
                                              after=after, descending=query.descending)
        elif query.sort == "hs_object_id":
            if after is not None:
                where += f" AND records_record.id {'<' if query.descending else '>'} %s"
                params.append(after)
            sql = f"SELECT id FROM records_record WHERE {where} ORDER BY records_record.id {order} LIMIT %s"
            params.append(limit + 1)
        else:
            if after is not None:
                condition = self.after_condition(column, query.descending)
                where += " AND " + condition
                params.extend([after] * condition.count("%s"))
            # Empty values come first going up and last going down, on both databases.
            nulls = "NULLS LAST" if query.descending else "NULLS FIRST"
            sql = (f"SELECT id FROM records_record{self.sort_index(query)} WHERE {where}"
                   f" ORDER BY {column} {order} {nulls}, records_record.id {order} LIMIT %s")
            params.append(limit + 1)
        ids = [row[0] for row in storage.planned(sql, params)]
        more = len(ids) > limit
        ids = ids[:limit]
        return ids, (ids[-1] if more and ids else None)

    def check_cursor(self, query: Query, after: int | None) -> None:
        """A user who sees some owners' records pages only from one of them: the rows after a
        cursor are found by the cursor record's value, so another record as cursor would tell
        where its value sorts among the visible ones."""
        owned = storage.owner_condition(query.owners)
        if after is None or owned is None:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM records_record WHERE id = %s AND object_type_id = {int(self.schema.object_type.pk)}"
                           f" AND {owned[0]}", [after, *owned[1]])
            if cursor.fetchone() is None:
                raise _invalid(f"{after} is not a record this search can page from", "after", "INVALID_CURSOR")

    def sort_index(self, query: Query) -> str:
        """With nothing to narrow the rows, read them in the order of the sort property's own
        index: SQLite's planner, even with statistics, may pick the object-type index and sort
        every record of the type to return ten. Narrowed to some owners, the owner index does better."""
        prop = self.schema.properties[query.sort]
        if (connection.vendor != "sqlite" or query.filter_groups or query.text or query.owners is not None
                or query.sort in storage.COLUMNS
                or not (prop.indexed or prop.unique) or not self.schema.types[query.sort].indexed
                or (prop.unique and query.archived)):  # a unique index holds active records only
            return ""
        return f' INDEXED BY "{storage.index_name(prop)}"'

    @staticmethod
    def after_condition(column: str, descending: bool) -> str:
        """Rows after the cursor record in (value, id) order, the cursor's value read from the
        cursor record itself (every %s is the cursor id)."""
        cursor_value = column.replace("\"records_record\".", "cursor_row.")
        value = f"(SELECT {cursor_value} FROM records_record cursor_row WHERE cursor_row.id = %s)"
        if descending:  # values down, empty ones last, ids down
            return (f"(({value} IS NOT NULL AND ({column} < {value} OR ({column} = {value} AND records_record.id < %s)"
                    f" OR {column} IS NULL)) OR ({value} IS NULL AND {column} IS NULL AND records_record.id < %s))")
        return (f"(({value} IS NULL AND ({column} IS NOT NULL OR records_record.id > %s))"
                f" OR ({column} > {value} OR ({column} = {value} AND records_record.id > %s)))")

    def count(self, query: Query) -> int:
        where, params = self.where(query)
        return storage.planned(f"SELECT count(*) FROM records_record WHERE {where}", params)[0][0]
