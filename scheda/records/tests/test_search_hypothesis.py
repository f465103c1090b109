"""Hostile search filters: any operator (HubSpot's and made-up ones) with any value on any
property finds exactly the records that match, or fails naming the property (or the operator),
never with another exception (a 500 to the user).

50 examples a test by default; `HYPOTHESIS_PROFILE=long` for 2,000 (settings in hostile.py):

    HYPOTHESIS_PROFILE=long .venv/bin/pytest -q scheda/records/tests/test_search_hypothesis.py
"""

import importlib

import pytest
from django.db import connection
from hypothesis import example, given
from hypothesis import strategies as st

from scheda.errors import ValidationFailed
from scheda.objects.services import load_schema
from scheda.objects.types import PropertyValueError, WriteContext
from scheda.records import search
from scheda.records import services as records
from scheda.records.models import Record
from scheda.records.query import OPERATORS, Compiler, Filter, Query
from scheda.records.tests.hostile import fuzz, hostile
from scheda.records.tests.test_properties_hypothesis import NAMES, fuzz_properties  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

# A few contacts with a value, another one or none for every property.
CONTACTS = [
    {"fz_text": "Ada", "fz_textarea": "long\ntext", "fz_html": "<p>Called <b>Ada</b></p>", "fz_email": "ada@example.com",
     "fz_url": "https://example.com", "fz_domain": "example.com", "fz_phone": "+44 20 7946 0000", "fz_phone_number": "020 7946 0000",
     "fz_number": 12.5, "fz_date": "2024-02-29", "fz_datetime": "2024-02-29T10:00:00Z", "fz_select": "red",
     "fz_radio": "blue", "fz_checkbox": "red;dark green", "fz_yes_no": "true", "fz_bool": True},
    {"fz_text": "Bob", "fz_email": "bob@example.org", "fz_domain": "example.org", "fz_number": -3, "fz_date": "1970-01-01",
     "fz_datetime": 0, "fz_select": "blue", "fz_checkbox": "blue", "fz_yes_no": "false", "fz_bool": False},
    {"fz_text": "0", "fz_number": 0, "fz_radio": "dark green", "fz_select": "dark green"},
    {},
]
FILTERED = [*NAMES, "hs_object_id", "createdate", "lastmodifieddate", "no_such_property"]
operators = st.one_of(st.sampled_from(sorted(OPERATORS)), st.sampled_from(["eq", "Has_Property", "", "LIKE", "EQ;", "GT "]),
                      st.text(max_size=12))
stored_values = st.sampled_from([value for contact in CONTACTS for value in contact.values()])
filter_values = st.one_of(stored_values, hostile)


@pytest.fixture
def contacts(fuzz_properties, rep, owner):  # noqa: F811 (the fixture imported above)
    ids = [records.create_record("contacts", {**contact, "hubspot_owner_id": owner.pk} if contact else {}, rep).pk
           for contact in CONTACTS]
    return load_schema("contacts"), ids


def matches(schema, name: str, operator: str, value, stored) -> bool | None:
    """Whether a stored value satisfies EQ or HAS_PROPERTY, worked out in Python; None for
    a filter this does not check."""
    if name not in NAMES:  # the id and dates are the record's columns, not its properties
        return None
    if operator == "HAS_PROPERTY":
        return stored is not None
    if operator == "EQ":
        try:
            wanted = schema.types[name].normalise(schema.properties[name], value, WriteContext())
        except PropertyValueError:
            return None  # the search refuses it, which the test checks
        return stored is not None and stored == wanted and type(stored) is type(wanted)
    return None


def run(schema, ids, filters: list[Filter]) -> tuple[list[int], int] | ValidationFailed:
    query = Query(filter_groups=[filters])
    try:
        found, _ = Compiler(schema).page(query, limit=100, after=None)
        total = Compiler(schema).count(query)
    except ValidationFailed as exc:
        return exc
    assert set(found) <= set(ids) and len(found) == total
    return found, total


@pytest.mark.parametrize("name", FILTERED)
@fuzz
@given(operator=operators, value=filter_values, high=filter_values, values=st.lists(filter_values, max_size=4))
@example(operator="CONTAINS_TOKEN", value="a\x00", high=None, values=[])  # NUL in a LIKE pattern on PostgreSQL
@example(operator="EQ", value=10**30, high=None, values=[])  # an id or a number beyond 64 bits
@example(operator="CONTAINS_TOKEN", value="2024", high=None, values=[])  # on createdate: lower(timestamp) on PostgreSQL
@example(operator="CONTAINS_TOKEN", value="x" * 60_000, high=None, values=[])  # too long a LIKE pattern for SQLite
@example(operator="CONTAINS_TOKEN", value="\ud800", high=None, values=[])
@example(operator="NOT_CONTAINS_TOKEN", value=10**5000, high=None, values=[])
@example(operator="EQ", value=10**5000, high=None, values=[])  # more digits than Python turns into text
@example(operator="IN", value=None, high=None, values=["9" * 40, "\ud800"])
@example(operator="BETWEEN", value="0001-01-01T00:00:00+01:00", high="9999-12-31T23:59:59-01:00", values=[])
def test_any_filter_finds_the_matching_records_or_names_the_property(contacts, name, operator, value, high, values):
    schema, ids = contacts
    outcome = run(schema, ids, [Filter(name, operator, value, high, values)])
    if isinstance(outcome, ValidationFailed):
        assert outcome.errors, outcome
        expected = "operator" if (operator or "").upper() not in OPERATORS and name in schema.properties else name
        assert {error.name for error in outcome.errors} == {expected}, outcome.errors
        return
    found, _ = outcome
    for record in Record.objects.filter(pk__in=ids):
        stored = record.properties.get(name)
        expected = matches(schema, name, (operator or "").upper(), value, stored)
        if expected is not None:
            assert (record.pk in found) == expected, (record.pk, stored)


@fuzz
@given(name=st.sampled_from(NAMES), value=stored_values)
def test_a_stored_value_finds_its_records(contacts, name, value):
    """The fixed data set's own values, as a filter: EQ finds every record holding the value."""
    schema, ids = contacts
    outcome = run(schema, ids, [Filter(name, "EQ", value)])
    if isinstance(outcome, ValidationFailed):  # a value of another property, refused by this one
        assert {error.name for error in outcome.errors} == {name}
        return
    found, _ = outcome
    for record in Record.objects.filter(pk__in=ids):
        expected = matches(schema, name, "EQ", value, record.properties.get(name))
        assert expected is None or (record.pk in found) == expected


@pytest.mark.parametrize("name", ["pipeline", "dealstage", "amount", "closedate"])
@fuzz
@given(operator=operators, value=hostile, values=st.lists(hostile, max_size=3))
@example(operator="EQ", value="\ud800", values=[])
@example(operator="IN", value=None, values=[10**5000, "a\x00"])
def test_any_filter_on_a_deal_pipeline_is_run_or_refused(db, name, operator, value, values):
    """A pipeline and its stage are ids of any text: a filter on them is run or refused too."""
    schema = load_schema("deals")
    outcome = run(schema, [], [Filter(name, operator, value, value, values)])
    if isinstance(outcome, ValidationFailed):
        expected = "operator" if (operator or "").upper() not in OPERATORS else name
        assert {error.name for error in outcome.errors} == {expected}, outcome.errors


# Letters both databases fold alike (PostgreSQL's text index unaccents the common Latin ones:
# docs/DECISIONS.md 35), with digits, spaces, punctuation, an underscore and letters of other scripts.
FOLDED_ALIKE = st.text(st.sampled_from("abcxyzABCXYZ019 _-.,'@àèéìòùÀÉçñÑßøłΩπЖж東京한"), max_size=16)


def word_picks(shortest_cut: int) -> dict:
    """A last name, which of its words, how much of it, and whether typed in capitals."""
    return {"lastname": FOLDED_ALIKE, "pick": st.integers(min_value=0, max_value=20),
            "cut": st.integers(min_value=shortest_cut, max_value=20), "case": st.booleans()}


def in_case(word: str, capitals: bool) -> str:
    upper = word.upper()
    return upper if capitals and upper.lower() == word else word  # "ß", "SS": not one word


@fuzz
@given(**word_picks(0))
@example(lastname="De_Rossi", pick=1, cut=0, case=False)
@example(lastname="Rössi-Bianchi", pick=0, cut=2, case=True)
def test_contains_token_on_a_searchable_property_finds_each_of_its_words(db, rep, lastname, pick, cut, case):
    """Each word of a searchable value, or its start with "*", in any case, finds the record
    through the property-word index; another property's words do not."""
    record = records.create_record("contacts", {"lastname": lastname, "firstname": "Zzyzx"}, rep)
    parts = search.PART.findall(search.fold(lastname))
    schema = load_schema("contacts")

    def found(token: str) -> bool:
        query = Query(filter_groups=[[Filter("hs_object_id", "EQ", record.pk), Filter("lastname", "CONTAINS_TOKEN", token)]])
        return Compiler(schema).page(query, limit=10, after=None)[0] == [record.pk]

    if parts:
        word = parts[pick % len(parts)]
        token = in_case(f"{word[:cut]}*" if cut else word, case)
        assert found(token), (lastname, token)
    assert not found("zzyzx")


@fuzz
@given(**word_picks(1))
@example(lastname="De_Rossi", pick=0, cut=8, case=False)
@example(lastname="Rössi-Bianchi", pick=1, cut=3, case=True)
def test_the_text_search_finds_a_record_by_each_of_its_words(db, rep, lastname, pick, cut, case):
    """The text search of a type finds a record by the start of any word of a searchable value as
    typed, in any case, alone or after another of its words; a word the record lacks finds nothing."""
    record = records.create_record("contacts", {"lastname": lastname, "firstname": "Zzyzx"}, rep)
    contacts = load_schema("contacts").object_type
    typed = search.PART.findall(lastname)  # words as both text indexes cut them (an "_" alone is none)
    if typed:
        word = in_case(typed[pick % len(typed)][:cut], case)
        since = record.pk - 1  # the examples before this one keep their records
        assert search.search_ids(contacts, word, after_id=since) == [record.pk], (lastname, word)
        assert search.search_ids(contacts, f"zzyzx {word}", after_id=since) == [record.pk], (lastname, word)
    assert search.search_ids(contacts, "qqqzzz") == []


@fuzz
@given(value=hostile)
@example(value="a\u19b0b")  # a letter SQLite's tokenizer cuts words at
@example(value="½")  # a letter whose compatibility form is three characters
def test_contains_token_on_a_searchable_property_is_run_or_refused(db, value):
    """Any value on a property the property-word index answers: run, or refused naming it."""
    for operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        outcome = run(load_schema("contacts"), [], [Filter("lastname", operator, value)])
        if isinstance(outcome, ValidationFailed):
            assert {error.name for error in outcome.errors} == {"lastname"}, outcome.errors


@fuzz
@given(text=st.one_of(st.text(alphabet="abcXYZ019_ ", max_size=40), st.lists(st.from_regex(r"\w+", fullmatch=True), max_size=6).map(" ".join),
                      st.text(max_size=40)))
@example(text="De_Luca  ACME srl")
def test_a_search_texts_type_words_are_its_words_as_the_index_cuts_them(text):
    """Type words are the text's words, cut and folded as the index cuts them, once each, the
    ASCII ones cut by a quicker path."""
    expected = " ".join(dict.fromkeys(f"t7x{part}" for part in search.PART.findall(search.fold(text))))
    assert search.type_words(7, text) == expected


@fuzz
@given(text=st.text(st.characters(exclude_characters="\x00"), max_size=40))
@example(text="Nicolò ROSSI")
@example(text="ÀÉÎÕÜ ñç ß Ж")
@example(text="Plain\tASCII\x7f")
def test_the_text_index_folds_any_text_as_it_did_before_its_ascii_shortcut(db, text):
    """`unaccent_immutable`, which computes every record's text index column, answers any text as
    the function migration 0002 made, so the column and its indexes needed no rewrite when
    migration 0010 let an ASCII text skip translate()."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's text index function")
    before = importlib.import_module("scheda.records.migrations.0010_unaccent_ascii").BEFORE
    with connection.cursor() as cursor:
        cursor.execute(before.replace("FUNCTION unaccent_immutable", "FUNCTION pg_temp.unaccent_before"))
        cursor.execute("SELECT unaccent_immutable(%s), pg_temp.unaccent_before(%s), pg_get_functiondef('unaccent_immutable'::regproc)",
                       [text, text])
        now, then, body = cursor.fetchone()
    assert now == then, text
    assert "THEN lower($1)" in body  # the shortcut is the installed function's
