"""The index page over Django's test client: filters, sort, keyset pages both ways, the count,
the search box, and a query count that does not grow with the page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheda.records import services as records
from scheda.savedviews import index

pytestmark = pytest.mark.django_db


def names(html):
    return re.findall(r'<th scope="row"><a href="/contacts/\d+/">([^<]+)</a>', html)


def get(browser, query="", **extra):
    answer = browser.get(f"/contacts/?{query}", **extra)
    assert answer.status_code == 200, answer.content[:2000]
    return answer.content.decode()


def test_all_contacts_lists_every_contact_linking_to_its_page(browser, contacts):
    html = get(browser)
    assert "All contacts" in html and "My contacts" in html and "12 records" in html
    assert f'href="/contacts/{contacts[0].pk}/"' in html
    assert 'hx-get="/contacts/create/" hx-target="#dialog"' in html and '<div id="dialog"></div>' in html
    assert "Create contact" in html


def test_my_contacts_are_the_owners(browser, contacts):
    html = get(browser, "view=mine")
    assert "6 records" in html and "F01 L01" not in html and "F00 L00" in html


def test_filter_equal_and_known(browser, contacts):
    html = get(browser, "edited=1&fp=lifecyclestage&fo=EQ&fv=customer&sort=lastname&dir=asc")
    assert names(html) == ["F00 L00", "F03 L03", "F06 L06", "F09 L09"]
    assert "4 records" in html and "Lifecycle Stage is equal to Customer" in html
    html = get(browser, "edited=1&fp=hubspot_owner_id&fo=NOT_HAS_PROPERTY&fv=&sort=lastname&dir=asc")
    assert names(html)[:2] == ["F01 L01", "F03 L03"] and "6 records" in html


def test_contains_filter_and_search(browser, contacts):
    assert names(get(browser, "edited=1&fp=email&fo=CONTAINS_TOKEN&fv=c1*&sort=lastname&dir=asc")) == ["F01 L01", "F10 L10", "F11 L11"]
    assert names(get(browser, "q=L07")) == ["F07 L07"]


def test_a_bad_value_comes_back_next_to_its_field_and_is_not_applied(browser, contacts):
    html = get(browser, "edited=1&fp=createdate&fo=LT&fv=soon")
    assert re.search(r'id="filter-value-error" class="field-error" role="alert">[^<]*not a date', html)
    assert 'aria-invalid="true" aria-describedby="filter-value-error"' in html and "12 records" in html
    html = get(browser, "edited=1&fp=lifecyclestage&fo=EQ&fv=martian")
    assert 'id="filter-value-error"' in html and "allowed options" in html


def test_unindexed_properties_are_neither_filters_nor_sorts(browser, contacts):
    html = get(browser, "edited=1&fp=jobtitle&fo=EQ&fv=CEO&col=jobtitle&sort=jobtitle")
    assert 'id="filter-property-error"' in html and "not indexed" in html
    assert 'title="Not indexed: cannot sort by it">Job Title' in html or "Not indexed: cannot sort by it" in html
    assert "12 records" in html


def test_sort_by_header_both_ways_with_aria_sort(browser, contacts):
    html = get(browser, "edited=1&col=lastname&sort=lastname&dir=asc")
    assert names(html)[:3] == ["F00 L00", "F01 L01", "F02 L02"]
    assert re.search(r'aria-sort="ascending"><a href="/contacts/\?[^"]*sort=lastname&amp;dir=desc', html)
    html = get(browser, "edited=1&col=lastname&sort=lastname&dir=desc")
    assert names(html)[:2] == ["F11 L11", "F10 L10"] and 'aria-sort="descending"' in html


def test_keyset_pages_forward_and_back(browser, contacts, monkeypatch):
    monkeypatch.setattr(index, "PAGE_SIZE", 5)
    base = "edited=1&col=lastname&sort=lastname&dir=asc"
    first = get(browser, base)
    assert names(first) == [f"F{n:02d} L{n:02d}" for n in range(5)] and ">Previous<" not in first
    after = re.search(r"after=(\d+)", first)[1]
    assert int(after) == contacts[4].pk and "offset" not in first.lower()
    second = get(browser, f"{base}&after={after}")
    assert names(second) == [f"F{n:02d} L{n:02d}" for n in range(5, 10)]
    third = get(browser, f"{base}&after={contacts[9].pk}")
    assert names(third) == ["F10 L10", "F11 L11"] and ">Next<" not in third
    before = re.search(r"before=(\d+)", third)[1]
    assert int(before) == contacts[10].pk
    back = get(browser, f"{base}&before={before}")
    assert names(back) == [f"F{n:02d} L{n:02d}" for n in range(5, 10)] and ">Previous<" in back and ">Next<" in back
    start = get(browser, f"{base}&before={contacts[5].pk}")
    assert names(start) == [f"F{n:02d} L{n:02d}" for n in range(5)] and ">Previous<" not in start
    # Before the very first record: the first page, not an empty one.
    assert names(get(browser, f"{base}&before={contacts[0].pk}"))[0] == "F00 L00"
    # A cursor that is not a number is the first page.
    assert names(get(browser, f"{base}&after=x"))[0] == "F00 L00"
    # An exact multiple: the last full page has no "Next".
    assert ">Next<" not in get(browser, f"{base}&after={contacts[6].pk}")


def test_count_stops_at_the_cap(browser, contacts, monkeypatch):
    monkeypatch.setattr(index, "COUNT_CAP", 10)
    assert "10+ records" in get(browser)
    assert "4 records" in get(browser, "edited=1&fp=lifecyclestage&fo=EQ&fv=customer")


def test_a_text_searchs_count_stops_sooner(browser, contacts, monkeypatch):
    """A search's matches are confirmed row by row: its count stops at the lower cap."""
    monkeypatch.setattr(index, "COUNT_CAP", 10)
    monkeypatch.setattr(index, "NARROWED_COUNT_CAP", 3)
    assert "3+ records" in get(browser, "q=example")  # all 12 have an e-mail at example.com
    assert "1 record" in get(browser, "q=L07")
    assert "10+ records" in get(browser)


def test_a_searchs_count_takes_the_words_that_start_with_it(browser, rep, monkeypatch):
    """"Rossi" finds Rossini too. On PostgreSQL the whole word is counted first and, past the
    cap, alone: its matches are some of the prefix's."""
    monkeypatch.setattr(index, "COUNT_CAP", 10)
    monkeypatch.setattr(index, "NARROWED_COUNT_CAP", 3)
    for n, name in enumerate(["Rossi", "Rossi", "Rossini", "Rossini", "Rossini"]):
        records.create_record("contacts", {"email": f"r{n}@example.com", "lastname": name}, rep)
    assert "3+ records" in get(browser, "q=rossi")
    monkeypatch.setattr(index, "NARROWED_COUNT_CAP", 8)
    assert "5 records" in get(browser, "q=rossi")  # the word's 2 fall short: the prefix is counted
    monkeypatch.setattr(index, "NARROWED_COUNT_CAP", 1)
    with CaptureQueriesContext(connection) as queries:
        assert "1+ records" in get(browser, "q=rossi")
    counts = [q["sql"] for q in queries if "SELECT count(*)" in q["sql"]]
    # One count; on PostgreSQL the whole word's (its text query has no prefix mark ':*').
    assert len(counts) == 1 and (connection.vendor != "postgresql" or ":*" not in counts[0]), counts


def test_a_restricted_users_filtered_count_stops_sooner(client, contacts, owner, grant, monkeypatch):
    """A user who sees only their own contacts: the plain count as before, a filtered one
    capped lower (its rows are checked one by one for their owner)."""
    monkeypatch.setattr(index, "COUNT_CAP", 10)
    monkeypatch.setattr(index, "NARROWED_COUNT_CAP", 3)
    client.force_login(grant(owner, all_objects={"view": "owned", "edit": "owned"}))
    assert "6 records" in get(client)  # the even ones: the owner's
    assert "3+ records" in get(client, "edited=1&fp=lifecyclestage&fo=EQ&fv=lead")  # 4 of them leads
    assert "2 records" in get(client, "edited=1&fp=lifecyclestage&fo=EQ&fv=customer")


def test_the_query_count_does_not_grow_with_the_page(browser, contacts, rep, django_assert_num_queries):
    query = "edited=1&fp=lifecyclestage&fo=EQ&fv=lead&col=email&col=hubspot_owner_id&col=createdate&sort=lastname&dir=asc"
    get(browser, query)  # the schema is cached per process after the first load
    # PostgreSQL reads the empty last names and the others as two ranges (index.IndexCompiler); it
    # sets its planner for the count and back in the count's own round trip (storage.planned).
    postgresql = connection.vendor == "postgresql"
    expected = 11 if postgresql else 10
    with django_assert_num_queries(expected):
        small = get(browser, query)
    for n in range(30):
        records.create_record("contacts", {"email": f"more{n}@example.com", "lastname": f"M{n}", "lifecyclestage": "lead"}, rep)
    with django_assert_num_queries(expected):
        full = get(browser, query)
    assert len(names(full)) == 25 > len(names(small))
    # "My contacts" checks its owner filter against the active users once, not once per use;
    # its sort is the create date, one range on both databases.
    with django_assert_num_queries(11):
        get(browser, "view=mine")


def test_a_search_nothing_matches_reads_no_page(browser, contacts):
    """Counted none, the page is not read: PostgreSQL may walk the whole sort index for it."""
    with CaptureQueriesContext(connection) as captured:
        html = get(browser, "view=all&q=zyzzyva")
    assert "0 records" in html
    assert not [q for q in captured.captured_queries if "ORDER BY" in q["sql"] and "records_record" in q["sql"]
                and "count(" not in q["sql"]]


def test_htmx_gets_the_page_partial(browser, contacts):
    html = get(browser, "view=all", HTTP_HX_REQUEST="true")
    assert html.lstrip().startswith('<div id="index-page"') and "<html" not in html


def test_unknown_objects_and_activities_are_not_found(browser):
    assert browser.get("/martians/").status_code == 404
    assert browser.get("/notes/").status_code == 404


def test_signed_out_goes_to_login(client, contacts):
    assert client.get("/contacts/").status_code == 302


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dense", [False, True])
def test_keyset_walks_match_one_big_page_with_empty_and_equal_values(contacts, rep, descending, dense, monkeypatch):
    """Forward then backward, three at a time, over values that repeat and values that are empty:
    the pages join up into exactly the order of one big page."""
    from scheda.objects.services import load_schema
    from scheda.records.query import Query

    for n in range(7):
        records.create_record("contacts", {"email": f"x{n}@example.com", **({"lastname": "Same"} if n % 2 else {})}, rep)
    schema = load_schema("contacts")
    query = Query(sort="lastname", descending=descending)
    whole = [r.pk for r in index.page_of(schema, query, limit=100).records]
    assert len(whole) == 19
    if dense:  # past the cap the pages walk the sort index (INDEXED BY on SQLite)
        monkeypatch.setattr(index, "COUNT_CAP", 5)
    seen, page = [], index.page_of(schema, query, limit=3)
    pages = [page]
    for _ in range(20):
        seen += [r.pk for r in page.records]
        if page.next_after is None:
            break
        page = index.page_of(schema, query, limit=3, after=page.next_after)
        pages.append(page)
    assert seen == whole
    back = pages[-1]
    backwards = [r.pk for r in back.records]
    for _ in range(20):
        if back.previous_before is None:
            break
        back = index.page_of(schema, query, limit=3, before=back.previous_before)
        backwards = [r.pk for r in back.records] + backwards
    assert backwards == whole
