"""The search compiler's owner restriction (`Query.owners`), which every listing, search and
count of a user who may not see every record goes through: on SQLite and PostgreSQL alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheda.accounts.models import User
from scheda.objects.services import load_schema
from scheda.records import services, storage
from scheda.records.query import Compiler, Filter, Query
from scheda.records.services import Author

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """Three owners and 12 contacts: four each for Ada and Bea, three for Cy, one with no owner;
    last names L00..L11 in id order, every one a "rossi"."""
    ada, bea, cy = (User.objects.create_user(f"{n}@example.com", "a-long-password-1") for n in ("ada", "bea", "cy"))
    owners = [ada, bea, ada, cy, bea, ada, bea, cy, ada, bea, cy, None]
    ids = [r.pk for r in services.create_records("contacts", [
        {"lastname": f"L{n:02d}", "firstname": "Rossi", "email": f"c{n}@example.com",
         **({"hubspot_owner_id": str(owner.pk)} if owner else {})}
        for n, owner in enumerate(owners)], Author())]
    return {"ada": str(ada.pk), "bea": str(bea.pk), "cy": str(cy.pk), "ids": ids, "owners": owners}


def every(compiler: Compiler, query: Query, limit: int = 3) -> list[int]:
    """Every page of a query, by its keyset cursor."""
    found, after = [], None
    while True:
        ids, after = compiler.page(query, limit, after)
        found += ids
        if after is None:
            return found


def owned(people, *names: str) -> list[int]:
    wanted = {people[n] for n in names}
    return [i for i, owner in zip(people["ids"], people["owners"], strict=True) if owner and str(owner.pk) in wanted]


def test_none_is_no_restriction(people):
    compiler = Compiler(load_schema("contacts"))
    assert every(compiler, Query()) == every(compiler, Query(owners=None)) == people["ids"]
    assert compiler.count(Query(owners=None)) == 12


def test_a_set_of_owners_finds_their_records_only(people):
    compiler = Compiler(load_schema("contacts"))
    for names in (("ada",), ("bea", "cy"), ("ada", "bea", "cy")):
        query = Query(owners=frozenset(people[n] for n in names))
        assert every(compiler, query) == owned(people, *names)
        assert compiler.count(query) == len(owned(people, *names))


def test_an_empty_set_finds_nothing(people):
    compiler = Compiler(load_schema("contacts"))
    assert compiler.page(Query(owners=frozenset()), 10, None) == ([], None)
    assert compiler.count(Query(owners=frozenset())) == 0
    assert compiler.count(Query(owners=frozenset({"999999"}))) == 0


def test_the_restriction_holds_with_filters_text_sorts_and_paging(people):
    """ANDed with the filter groups (ORed among themselves), the text search and the keyset
    cursor of a sort on a property, going up and down."""
    compiler = Compiler(load_schema("contacts"))
    mine = frozenset({people["ada"]})
    groups = [[Filter("lastname", "EQ", "L00")], [Filter("lastname", "IN", values=["L03", "L05", "L08"])]]
    query = Query(filter_groups=groups, owners=mine)
    assert every(compiler, query, 1) == [people["ids"][0], people["ids"][5], people["ids"][8]]
    assert compiler.count(query) == 3
    assert compiler.count(Query(text="rossi", owners=mine)) == 4
    up = every(compiler, Query(sort="lastname", owners=frozenset({people["bea"], people["cy"]})), 2)
    assert up == owned(people, "bea", "cy")
    down = every(compiler, Query(sort="lastname", descending=True, owners=frozenset({people["bea"]})), 2)
    assert down == list(reversed(owned(people, "bea")))


def test_archived_records_are_restricted_too(people):
    schema = load_schema("contacts")
    services.archive_records(schema.object_type, people["ids"][:4], Author())
    compiler = Compiler(schema)
    assert every(compiler, Query(archived=True, owners=frozenset({people["ada"]}))) == [people["ids"][0], people["ids"][2]]


def test_owner_ids_are_bound_not_written_into_the_sql(people):
    compiler = Compiler(load_schema("contacts"))
    strange = frozenset({"1') OR 1=1 --", "x' OR '1'='1"})
    assert compiler.count(Query(owners=strange)) == 0
    assert compiler.page(Query(owners=strange), 10, None) == ([], None)


@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's query plan")
@pytest.mark.parametrize("sort", ["lastname", "hs_object_id"])
def test_a_restricted_listing_uses_the_owner_index(sort):
    """No forced sort index when narrowed to owners: with statistics, the owner property's index
    finds one owner's rows among 20 owners' instead of the walk over every contact."""
    users = [User.objects.create_user(f"u{n}@example.com", "a-long-password-1") for n in range(20)]
    services.create_records("contacts", [{"lastname": f"L{n:04d}", "hubspot_owner_id": str(users[n % 20].pk)}
                                         for n in range(1000)], Author())
    storage.refresh_statistics()
    compiler = Compiler(load_schema("contacts"))
    with CaptureQueriesContext(connection) as captured:
        ids, _ = compiler.page(Query(sort=sort, owners=frozenset({str(users[0].pk)})), 10, None)
    assert len(ids) == 10
    sql = captured.captured_queries[-1]["sql"]
    assert "INDEXED BY" not in sql
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    assert "hubspot_owner_id" in plan, plan


def test_a_cursor_outside_the_owners_is_refused(people):
    """The rows after a cursor are found by the cursor record's value: a hidden record as
    cursor would say where its value sorts, so it is refused, for every sort."""
    from scheda.errors import ValidationFailed
    from scheda.savedviews.index import IndexCompiler

    schema = load_schema("contacts")
    query = Query(sort="lastname", owners=frozenset({people["ada"]}))
    hidden = owned(people, "bea")[0]
    for compiler in (Compiler(schema), IndexCompiler(schema)):
        with pytest.raises(ValidationFailed):
            compiler.page(query, 3, hidden)
        assert compiler.page(query, 3, owned(people, "ada")[0])[0] == owned(people, "ada")[1:4]


def test_the_index_count_of_a_restricted_text_search(people):
    """The index page counts a restricted user's text search from the text index, checking the
    owner on the way (savedviews.index.count_of): the same count, capped the same way."""
    from scheda.savedviews import index

    compiler = index.IndexCompiler(load_schema("contacts"))
    mine = frozenset({people["ada"], people["cy"]})
    with CaptureQueriesContext(connection) as captured:
        assert index.count_of(compiler, Query(text="rossi", owners=mine), 100) == (7, False)
    assert index.count_of(compiler, Query(text="rossi", owners=mine), 5) == (5, True)
    assert index.count_of(compiler, Query(text="nobody", owners=mine), 100) == (0, False)
    assert index.count_of(compiler, Query(text="rossi", owners=frozenset({"999999"})), 100) == (0, False)
    counted = next(q["sql"] for q in captured.captured_queries if "count(*)" in q["sql"])
    assert ("OFFSET 0) records_record WHERE" in counted) == (connection.vendor == "postgresql"), counted
