"""What an index page shows: the state a URL (or a saved view) carries, the operators each
property type offers, and one page of records, its neighbours' cursors and its count, all through
scheda.records.query (keyset pages over indexed properties, never OFFSET)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from scheda.accounts.permissions import OWNER
from scheda.errors import ValidationFailed
from scheda.objects.models import PropertyDefinition
from scheda.objects.services import Schema
from scheda.objects.types import WriteContext
from scheda.records import storage
from scheda.records.models import Record
from scheda.records.pages import is_id
from scheda.records.query import Compiler, Filter, Query

PAGE_SIZE = 25
# Counting stops here: "10,000+ records" reads at most this many rows (docs/DECISIONS.md 13).
COUNT_CAP = 10_000
# A text search, and a user who sees some owners' records with a filter as well, get "1,000+":
# each match the index finds is confirmed on its row (the search's text, the filter's owner), so
# 10,000 team matches among 1M contacts read 50,000 rows (70 ms), 1,000 read 5,000; "rossi"'s
# first 10,001 of 33,250 matches took 22 ms on PostgreSQL at data set L (docs/DECISIONS.md 15, 22).
NARROWED_COUNT_CAP = 1_000
# The first columns of a new view, after the record's name (HubSpot's defaults).
DEFAULT_COLUMNS = {
    "contacts": ["email", "phone", "hubspot_owner_id", "lifecyclestage", "createdate"],
    "companies": ["domain", "hubspot_owner_id", "city", "industry", "createdate"],
    "deals": ["dealstage", "amount", "closedate", "hubspot_owner_id", "createdate"],
    "tickets": ["hs_pipeline_stage", "hs_ticket_priority", "hubspot_owner_id", "createdate"],
}
OPERATOR_LABELS = {
    "EQ": _("is equal to"), "NEQ": _("is not equal to"), "CONTAINS_TOKEN": _("contains"),
    "NOT_CONTAINS_TOKEN": _("doesn't contain"), "GT": _("is greater than"), "LT": _("is less than"),
    "HAS_PROPERTY": _("is known"), "NOT_HAS_PROPERTY": _("is unknown"),
}
DATE_LABELS = {"LT": _("is before"), "GT": _("is after")}
KIND_OPERATORS = {
    "text": ["EQ", "NEQ", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"],
    "number": ["EQ", "NEQ", "GT", "LT", "HAS_PROPERTY", "NOT_HAS_PROPERTY"],
    "date": ["LT", "GT", "HAS_PROPERTY", "NOT_HAS_PROPERTY"],
    "choice": ["EQ", "NEQ", "HAS_PROPERTY", "NOT_HAS_PROPERTY"],
}
VALUELESS = {"HAS_PROPERTY", "NOT_HAS_PROPERTY"}


def kind_of(prop: PropertyDefinition) -> str:
    if prop.referenced_object_type == "OWNER" or prop.type in ("enumeration", "bool"):
        return "choice"
    if prop.type == "number":
        return "number"
    if prop.type in ("date", "datetime"):
        return "date"
    return "text"


def operators_of(prop: PropertyDefinition) -> list[tuple[str, str]]:
    kind = kind_of(prop)
    labels = {**OPERATOR_LABELS, **DATE_LABELS} if kind == "date" else OPERATOR_LABELS
    return [(code, str(labels[code])) for code in KIND_OPERATORS[kind]]


def is_indexed(schema: Schema, name: str) -> bool:
    """Filter and sort only where an index answers: on an unindexed property either would read
    every record of the object."""
    prop = schema.properties.get(name)
    if prop is None:
        return False
    return name in storage.COLUMNS or ((prop.indexed or prop.unique) and schema.types[name].indexed)


def compiler_for(schema: Schema, ctx: WriteContext | None) -> Compiler:
    """A compiler sharing `ctx`: what checking values reads (the owners) is read once a request."""
    compiler = Compiler(schema)
    if ctx is not None:
        compiler.ctx = ctx
    return compiler


def filter_problem(schema: Schema, item: dict[str, Any], ctx: WriteContext | None = None) -> tuple[str, str] | None:
    """(field, message) of what is wrong with one filter, or None: the field is "property",
    "operator" or "value", so the page puts the message next to it."""
    name, operator = item.get("propertyName") or "", item.get("operator") or ""
    prop = schema.properties.get(name)
    if prop is None:
        return "property", str(_("Choose a property"))
    if not is_indexed(schema, name):
        return "property", str(_("%(label)s is not indexed: an admin can index it to filter on it") % {"label": prop.label})
    if operator not in dict(operators_of(prop)):
        return "operator", str(_("Choose an operator"))
    if operator in VALUELESS:
        return None
    value = item.get("value")
    if value is None or str(value).strip() == "":
        return "value", str(_("Enter a value"))
    try:
        compiler_for(schema, ctx).condition(Filter(name, operator, str(value).strip()))
    except ValidationFailed as exc:
        return "value", exc.message.replace(f"Filter on {name}: ", "")
    return None


@dataclass
class State:
    """What an index page shows. A URL carries it whole, so a reload shows the same page."""

    view: str = "all"
    columns: list[str] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    sort: str = "hs_object_id"
    descending: bool = True
    text: str = ""
    mode: str = "table"
    pipeline: str = ""
    # Columns, filters or sort differ from the view's own (the URL says so with edited=1).
    edited: bool = False
    # The owners whose records the user may see (scheda.accounts.permissions); not in the URL.
    owners: frozenset[str] | None = None

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        state = replace(self, **changes) if changes else self
        pairs = [("view", state.view)]
        if state.edited:
            pairs.append(("edited", "1"))
            pairs += [("col", name) for name in state.columns]
            for item in state.filters:
                pairs += [("fp", item["propertyName"]), ("fo", item["operator"]), ("fv", str(item.get("value") or ""))]
            pairs += [("sort", state.sort), ("dir", "desc" if state.descending else "asc")]
        if state.text:
            pairs.append(("q", state.text))
        if state.mode != "table":
            pairs.append(("mode", state.mode))
        if state.pipeline:
            pairs.append(("pipeline", state.pipeline))
        return pairs

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.params(**changes))

    def edit(self, **changes: Any) -> str:
        """The query string of this state with columns, filters or sort changed."""
        return self.query_string(edited=True, **changes)

    def sort_by(self, name: str) -> str:
        descending = not self.descending if name == self.sort else name in storage.COLUMNS
        return self.edit(sort=name, descending=descending)

    def without_filter(self, index: int) -> str:
        return self.edit(filters=[f for i, f in enumerate(self.filters) if i != index])

    def query(self, schema: Schema, extra: list[Filter] | None = None, ctx: WriteContext | None = None) -> Query:
        filters = [Filter(f["propertyName"], f["operator"], None if f["operator"] in VALUELESS else str(f["value"]).strip())
                   for f in self.filters if not filter_problem(schema, f, ctx)]
        filters += extra or []
        return Query(filter_groups=[filters] if filters else [], text=self.text, sort=self.sort, descending=self.descending,
                     owners=self.owners)


def default_state(schema: Schema, view: str, user_id: int) -> State:
    """"All contacts" (view "all") and "My contacts" (view "mine"): HubSpot's default views."""
    columns = [n for n in DEFAULT_COLUMNS.get(schema.object_type.name, [schema.object_type.primary_display_property, "createdate"])
               if n in schema.properties and n != schema.object_type.primary_display_property]
    filters = [{"propertyName": "hubspot_owner_id", "operator": "EQ", "value": str(user_id)}] if view == "mine" else []
    return State(view=view, columns=columns, filters=filters, sort="createdate", descending=True)


def parse_state(schema: Schema, data: QueryDict, base: State) -> State:
    """The state a request asks for: the view's own (`base`) unless the URL says it was edited."""
    state = replace(base)
    if data.get("edited") == "1":
        state.edited = True
        state.columns = [n for n in data.getlist("col") if n in schema.properties] or state.columns
        state.filters = [{"propertyName": p, "operator": o, "value": v}
                         for p, o, v in zip(data.getlist("fp"), data.getlist("fo"), data.getlist("fv"), strict=False) if p]
        sort = data.get("sort", state.sort)
        state.sort = sort if is_indexed(schema, sort) else base.sort
        state.descending = data.get("dir", "desc") != "asc"
    state.text = (data.get("q") or "").strip()[:200]
    mode = data.get("mode") or ""
    if mode in ("table", "board"):
        state.mode = mode
    state.pipeline = data.get("pipeline", "")[:64]
    return state


@dataclass
class Page:
    records: list[Record]
    next_after: int | None
    previous_before: int | None
    count: int
    capped: bool


def cursor(raw: str | None) -> int | None:
    return int(raw) if raw and is_id(raw) else None


def fetch(schema: Schema, query: Query, ids: list[int]) -> list[Record]:
    """The records of `ids` in that order, with their object type set (no query per record)."""
    found = {r.pk: r for r in Record.objects.filter(pk__in=ids)} if ids else {}
    for record in found.values():
        record.object_type = schema.object_type
    return [found[i] for i in ids if i in found]


class IndexCompiler(Compiler):
    """With `dense` set, SQLite reads the rows in the order of the sort property's own index and
    filters them on the way, instead of finding every match through the filter's index and
    sorting them all: right when the matches are many (a sixth of 1M contacts: 6.2 s -> 1 ms for
    a page), wrong when they are few, so the count decides (docs/DECISIONS.md 13)."""

    dense = False
    # The record's own columns and the (object type, archived, column) index that orders them.
    COLUMN_INDEXES = {"created_at": "record_type_created", "updated_at": "record_type_updated"}

    @staticmethod
    def cursor_param(name: str, value: Any) -> tuple[str, Any]:
        """The cursor record's value, as read back, as a parameter compared with `value_sql`."""
        if name in storage.COLUMNS or connection.vendor != "postgresql":
            return "%s", value
        return "%s::jsonb", value

    def sort_index(self, query: Query) -> str:
        prop = self.schema.properties[query.sort]
        column_index = self.COLUMN_INDEXES.get(storage.COLUMNS.get(query.sort, ""))
        if self.dense and connection.vendor == "sqlite" and column_index and not query.archived:
            return f' INDEXED BY "{column_index}"'
        if (self.dense and connection.vendor == "sqlite" and query.sort not in storage.COLUMNS
                and (prop.indexed or prop.unique) and self.schema.types[query.sort].indexed
                and not (prop.unique and query.archived)):
            return f' INDEXED BY "{storage.index_name(prop)}"'
        return super().sort_index(query)

    def page(self, query: Query, limit: int, after: int | None) -> tuple[list[int], int | None]:
        """The page is read in up to three ranges an index can seek to and read in order, each
        holding only values or only empty ones (the cursor's value with later ids, the later
        values, the empty values), instead of Compiler.page's single OR condition after a
        cursor, which SQLite can only evaluate walking the index from its start (the page before
        page 2 of 1M contacts read them all, 5 s). On PostgreSQL the first page is read so too:
        an index holds empty values last going up, so "empty first going up" in one ORDER BY
        sorts every match (470 ms for all contacts at L)."""
        postgresql = connection.vendor == "postgresql"
        if query.sort == "hs_object_id" or (after is None and not postgresql):
            return super().page(query, limit, after)
        self.check_cursor(query, after)
        column = storage.value_sql(query.sort)
        down = query.descending
        later, order = ("<", "DESC") if down else (">", "ASC")
        by_id = f"records_record.id {later} %s"
        by_value = f"{column} {order}, records_record.id {order}"
        by_id_only = f"records_record.id {order}"
        never_empty = query.sort in storage.COLUMNS  # create and modified dates
        # The order of the outer query when PostgreSQL walks the sort index (read_ranges): the
        # inner query's value column, but the id alone where the inner one compares the value
        # with one (what the inner query knows of its order does not cross the fence).
        walk_value, walk_id = f"sort_value {order}, id {order}", f"id {order}"
        if after is None:
            ranges: list[tuple[str, list[Any], str, str]] = [(f"{column} IS NOT NULL", [], by_value, walk_value)]
            if not never_empty:  # empty values come first going up, last going down
                ranges.insert(len(ranges) if down else 0, (f"{column} IS NULL", [], by_id_only, walk_value))
        else:
            with connection.cursor() as cursor:
                # On PostgreSQL the value comes back as JSON text and is compared as jsonb again.
                read = f"{column}::text" if postgresql and query.sort not in storage.COLUMNS else column
                cursor.execute(f"SELECT {read} FROM records_record WHERE id = %s", [after])
                row = cursor.fetchone()
            if row is None:
                return super().page(query, limit, after)
            value = row[0]
            if value is None:
                ranges = [(f"{column} IS NULL AND {by_id}", [after], by_id_only, walk_value)]
                ranges += [] if down else [(f"{column} IS NOT NULL", [], by_value, walk_value)]
            else:
                mark, param = self.cursor_param(query.sort, value)
                ranges = [(f"{column} = {mark} AND {by_id}", [param, after], by_id_only, walk_id),
                          (f"{column} {later} {mark}", [param], by_value, walk_value)]
                ranges += [(f"{column} IS NULL", [], by_id_only, walk_value)] if down and not never_empty else []
        where, params = self.where(query)
        ids = self.read_ranges(query, where, params, ranges, (column, order), limit)
        more = len(ids) > limit
        ids = ids[:limit]
        return ids, (ids[-1] if more and ids else None)

    def read_ranges(self, query: Query, where: str, params: list[Any], ranges: list[tuple[str, list[Any], str, str]],
                    sort: tuple[str, str], limit: int) -> list[int]:
        ids: list[int] = []
        for condition, extra, ordering, walked in ranges:
            sql = (f"SELECT id FROM records_record{self.sort_index(query)} WHERE {where} AND {condition}"
                   f" ORDER BY {ordering} LIMIT %s")
            arguments = [*params, *extra, limit + 1 - len(ids)]
            off: list[str] = []
            if self.dense and connection.vendor == "postgresql":
                # PostgreSQL has no INDEXED BY. OFFSET 0 keeps the inner query apart from the
                # filter, so that (with sorts and other scans made dear, `index_scans`) it can only
                # read the sort index in order (in a range of empty or equal values the value is
                # one, so ordering by it too names that index), and the filter outside stops it
                # after the page: about 25 x total / matches rows.
                # The value is a column of the inner query, so the outer ORDER BY is its order.
                column, order = sort
                inner = (f"SELECT *, {column} AS sort_value FROM records_record"
                         f" WHERE object_type_id = {int(self.schema.object_type.pk)}"
                         f" AND archived = {'TRUE' if query.archived else 'FALSE'} AND {condition}"
                         f" ORDER BY sort_value {order}, id {order} OFFSET 0")
                sql = f"SELECT id FROM ({inner}) records_record WHERE {where} ORDER BY {walked} LIMIT %s"
                arguments = [*extra, *params, limit + 1 - len(ids)]
                off = index_scans(query, ordered=True)
            elif query.text and connection.vendor == "postgresql":
                # Under the cap a text search has at most NARROWED_COUNT_CAP matches, to find by
                # the text index and sort. PostgreSQL guesses a word missing from its statistics at
                # 2,219 of 1M contacts and walks the sort index for them instead: through every
                # contact when one holds it (3.4 s at L). OFFSET 0 has it find the matches first.
                sql = (f"SELECT id FROM (SELECT * FROM records_record WHERE {where} AND {condition} OFFSET 0) records_record"
                       f" ORDER BY {ordering} LIMIT %s")
            ids += [r[0] for r in storage.planned(sql, arguments, off)]
            if len(ids) > limit:
                break
        return ids


def page_of(schema: Schema, query: Query, *, after: int | None = None, before: int | None = None,
            limit: int | None = None, ctx: WriteContext | None = None) -> Page:
    """One page after the record `after` or before the record `before` (the first page with
    neither): the page before is the page after in the reversed order, read backwards (empty
    values come first going up and last going down, so the reversed order is exactly the
    reverse)."""
    compiler, limit = IndexCompiler(schema), limit or PAGE_SIZE
    compiler.ctx = ctx or compiler.ctx
    count, capped = count_of(compiler, query, cap_for(query))
    # Past the cap at least one record in the cap's share of them matches, so walking the sort
    # index reads at most about limit * total / cap rows for a page.
    compiler.dense = capped
    if not count:
        # Nothing matches, so no page to read: read anyway, it may walk the whole sort index on
        # PostgreSQL for the matches the planner expects (a word no contact holds: 3.4 s at L).
        return Page([], None, None, 0, False)
    if before is not None:
        ids, further = compiler.page(replace(query, descending=not query.descending), limit, before)
        ids.reverse()
        previous = ids[0] if further is not None and ids else None
        next_after = ids[-1] if ids else None
    if before is not None and not ids:  # nothing before that record: the first page
        before = None
    if before is None:
        ids, next_after = compiler.page(query, limit, after)
        previous = ids[0] if after is not None and ids else None
    return Page(fetch(schema, query, ids), next_after, previous, count, capped)


def owner_index(schema: Schema, query: Query) -> str:
    """Counting the records of some owners with nothing else to narrow them, SQLite reads the
    owner property's index: its sampled statistics (analysis_limit) rate an IN list on that
    index dearer than the object-type index, which reads every record of the type (a fifth of
    1M contacts: 675 ms -> see docs/PERFORMANCE.md)."""
    prop = schema.properties.get(OWNER)
    if (connection.vendor != "sqlite" or query.owners is None or not query.owners or query.filter_groups or query.text
            or query.archived or prop is None or not prop.indexed):
        return ""
    return f' INDEXED BY "{storage.index_name(prop)}"'


def index_scans(query: Query, *, ordered: bool = False) -> list[str]:
    """PostgreSQL plans a LIMIT as if the matches were spread evenly over the table, but records of
    every type share it and each type's were mostly written together: a sequential scan for the
    first 10,001 customers reads every company first, and a bitmap scan cannot stop early (it
    reads all 167k customers of data set L before returning one). So a capped count is planned
    with index scans only, and a page read in its sort index's order (`ordered`) without sorts;
    a text search keeps bitmap scans, the only ones its GIN index has (docs/DECISIONS.md 21).
    The planner settings to turn off for the statement (`storage.planned`); on SQLite, none."""
    if connection.vendor != "postgresql":
        return []
    text = bool(query.text) or any(f.operator.endswith("CONTAINS_TOKEN") for group in query.filter_groups for f in group)
    # A sort kept anyway (of the few rows of one value) costs as much as a disabled plan does,
    # over jit_above_cost: compiling it took 100 ms.
    return ["enable_seqscan", *([] if text else ["enable_bitmapscan"]), *(["enable_sort", "jit"] if ordered else [])]


def cap_for(query: Query) -> int:
    narrowed = bool(query.text) or (query.owners is not None and bool(query.filter_groups))
    return NARROWED_COUNT_CAP if narrowed else COUNT_CAP


def count_of(compiler: Compiler, query: Query, cap: int | None = None) -> tuple[int, bool]:
    """The number of matching records up to `cap`, and whether there are more: a count reads
    every matching row, so past the cap it stops (docs/DECISIONS.md 13)."""
    cap = cap or COUNT_CAP
    if (connection.vendor == "postgresql" and query.text and not query.whole_words and query.owners is None
            and not query.filter_groups):
        # GIN answers only bitmap scans: even a capped count first collects every match, and a
        # prefix's ("rossi" as typed, read 'rossi':*) costs 2.5 times the word's (20 against 8 ms
        # for 33,250 contacts at L). The word's matches are some of the prefix's, so when they
        # alone pass the cap, so does the prefix. With the text alone, the word's count stops at
        # cap + 1 live rows, and its bitmap is small when it falls short; with filters or an
        # owner it could read every match twice. docs/PERFORMANCE.md, "The word counted first".
        count, more = count_of(compiler, replace(query, whole_words=True), cap)
        if more:
            return count, more
    if connection.vendor == "postgresql" and query.text and query.owners and not query.filter_groups:
        # A restricted user's text search: the matches are read from the text index and checked
        # for their owner on the way, as far as the cap. PostgreSQL has no statistics for the
        # owner of a partial index, guesses it a fiftieth of the rows, and reads a fifth of the
        # type through the owner index instead ("rossi" as a Sales rep at L: 164 -> 52 ms).
        # OFFSET 0 keeps the text search apart; the outer WHERE checks the owner alone.
        matching, params = compiler.where(replace(query, owners=None))
        owned = storage.owner_condition(query.owners)
        assert owned is not None  # some owners
        source = f"(SELECT * FROM records_record WHERE {matching} OFFSET 0) records_record"
        where, params = owned[0], [*params, *owned[1]]
    else:
        where, params = compiler.where(query)
        source = f"records_record{owner_index(compiler.schema, query)}"
    ((count,),) = storage.planned(f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT %s) capped",
                                  [*params, cap + 1], index_scans(query))
    return min(count, cap), count > cap
