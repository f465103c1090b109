"""What hostile input looks like, shared by the hypothesis tests of property values and search
filters, and the two hypothesis profiles they run under.

Each test tries 50 examples; `HYPOTHESIS_PROFILE=long` tries 2,000:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest -q scheda/records/tests/test_properties_hypothesis.py scheda/records/tests/test_search_hypothesis.py
"""

import os
from datetime import UTC, timedelta, timezone

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The database fixtures are per test, not per example: each example checks counts before and
# after its own write, so the records earlier examples left do not matter. `fuzz` decorates each
# test rather than loading a profile, so the other hypothesis tests keep their own settings.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}
settings.register_profile("long", max_examples=2000, **_COMMON)
fuzz = settings(settings.get_profile("long")) if os.environ.get("HYPOTHESIS_PROFILE") == "long" else settings(max_examples=50, **_COMMON)

# Text a browser, an import or an API client can send: any code point, including NUL and, from
# JSON's "\ud800" escapes, lone surrogates.
ANY_CHARACTER = st.characters(codec=None, categories=None)
offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
datelike = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.one_of(st.none(), st.just(UTC), offsets)).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.integers(min_value=-(10**16), max_value=10**16),  # epoch milliseconds, in and out of range
    st.integers(min_value=-(10**16), max_value=10**16).map(str),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(),
    st.text(ANY_CHARACTER, max_size=20),
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True).map(str),
    st.sampled_from(["", " ", ";", "true", "NO", "0", "1e308", "-1e-400", "NaN", "Infinity", "+44 20 7946 0000 ext 12",
                     "Ada@Example.COM", "www.Example.com/about", "javascript:alert(1)", "http://[::1]:80/",
                     "\x00", "\ud800", "9" * 5000, "x" * 70_000]),
    datelike,
)
hostile = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                       max_leaves=6)
