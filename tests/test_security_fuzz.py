"""Bad input (issue 8, point 6): Hypothesis fills every field of every form the application
shows (found by GETting every page as each role and parsing its ``<form method=post>``) with
unicode, NUL, very long, negative, huge, missing, repeated and wrongly typed values, and posts
them. No answer is a server error; a refused input changes no row and the page says what is
wrong."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.authz_matrix import MATRIX, OK
from tests.security_helpers import (
    FormSpec,
    changed_tables,
    discover_forms,
    make_world,
    reset_throttling,
    row_counts,
    url_of,
)

EXAMPLES_PER_FORM = 25
FUZZ_ROLES = ("anonymous", "customer_a", "reseller", "operator", "admin")

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "-99999999999999999999",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "-inf",
    "1.5",
    "0x10",
    "abc",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '"; DROP TABLE "order"; --',
    "😀👩‍💻",
    "\u202eevil",
    "Ｔｅｓｔ",
    "x" * 10_000,
    "2024-02-30",
    "9999-12-31",
    "0001-01-01",
    "31/12/2025",
    "../../etc/passwd",
    "%00",
    "[]",
    "{}",
    "null",
    "true",
    "#zzzzzz",
    "\r\nSet-Cookie: x=1",
]


def value_strategy(field) -> st.SearchStrategy[str]:
    choices = [
        st.sampled_from(NASTY),
        st.text(max_size=200),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.just(field.value or ""),
    ]
    if field.options:
        choices.append(st.sampled_from(field.options))
    return st.one_of(*choices)


def form_strategy(form: FormSpec):
    fields = {}
    for f in form.fields:
        if f.kind == "csrf":
            continue
        single = value_strategy(f)
        fields[f.name] = st.one_of(
            st.none(),  # missing
            single,
            single,
            st.lists(single, min_size=2, max_size=3),  # repeated
        )
    return st.fixed_dictionaries(fields)


def says_what_is_wrong(response) -> bool:
    html = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    if html.find(attrs={"role": "alert"}) or html.find(attrs={"aria-invalid": "true"}):
        return True
    for element in html.find_all(class_=True):
        classes = " ".join(element.get("class"))
        if ("error" in classes or "invalid" in classes) and element.get_text(strip=True):
            return True
    return False


def collect_forms(app, world) -> list[tuple[str, FormSpec]]:
    """One form per route: every form of every page, seen by the first role that may use it."""
    session, clients = world["session"], world["clients"]
    adapter = app.url_map.bind("localhost")
    seen: dict[str, tuple[str, FormSpec]] = {}
    for key, (policy, _params) in MATRIX.items():
        if not key.startswith("GET ") or "static" in key or "preview" in key:
            continue
        url = url_of(session, key)
        for role in FUZZ_ROLES:
            if policy[role] != OK:
                continue
            response = clients[role].get(url)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            for form in discover_forms(response.get_data(as_text=True), url, role):
                try:
                    rule, _args = adapter.match(form.action.split("?", 1)[0], method="POST")
                except (NotFound, MethodNotAllowed):
                    continue
                if rule.endswith("logout"):
                    continue  # signing out is not input
                seen.setdefault(rule, (role, form))
    return list(seen.values())


@pytest.fixture
def no_throttling():
    from webapp.extensions import limiter

    enabled, limiter.enabled = limiter.enabled, False
    reset_throttling()
    yield
    limiter.enabled = enabled
    reset_throttling()


def test_no_form_breaks_on_bad_input_and_refused_input_changes_nothing(
    app, session, demo, no_throttling
):
    world = make_world(app, session)
    forms = collect_forms(app, world)
    failures: list[str] = []
    posted = {"count": 0}

    def fuzzer(client, form: FormSpec, role: str):
        @settings(
            max_examples=EXAMPLES_PER_FORM,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(values=form_strategy(form))
        def post_bad_input(values):
            data = {k: v for k, v in values.items() if v is not None}
            before = row_counts(session)
            posted["count"] += 1
            response = client.post(form.action, data=data)
            where = f"{form.action} as {role} with {data!r:.300}"
            assert response.status_code < 500, where
            if response.status_code >= 400:
                assert changed_tables(before, row_counts(session)) == {}, where
            if response.status_code in (400, 409, 422):
                assert says_what_is_wrong(response), where

        return post_bad_input

    for role, form in forms:
        try:
            fuzzer(world["clients"][role], form, role)()
        except Exception as error:  # noqa: BLE001  (collect them all, then fail)
            failures.append(f"{form.action} as {role}: {type(error).__name__}: {error}"[:1500])
    print(
        f"\nfuzzing: {len(forms)} forms (one per route), {EXAMPLES_PER_FORM} examples each, "
        f"{posted['count']} posts"
    )
    assert len(forms) >= 20
    assert not failures, "\n\n".join(failures)
