"""Authorization, route by route and role by role (issue 8, point 1), and GETs that change
nothing (point 2). The expectations are the data file tests/authz_matrix.py."""

from __future__ import annotations

import pytest

from tests.authz_matrix import HIDDEN, LOGIN, MATRIX, OK, ROLES
from tests.security_helpers import (
    OBJECTS,
    Tally,
    build_url,
    changed_tables,
    classify,
    form_data,
    make_world,
    row_counts,
    rule_params,
    sign_in,
    url_of,
)

IGNORED_METHODS = {"HEAD", "OPTIONS"}
HTMX = {"HX-Request": "true"}


def app_routes(app) -> dict[str, object]:
    """``"METHOD rule"`` for every route the application serves, but the public API's: keys,
    not cookies, reach it, and tests/test_api_authz.py checks every one of its routes."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - IGNORED_METHODS):
            routes[f"{method} {rule.rule}"] = rule
    return routes


@pytest.fixture
def world(app, session, demo):
    return make_world(app, session)


def test_every_route_of_the_application_is_in_the_authorization_matrix(app):
    served = set(app_routes(app))
    missing = sorted(served - set(MATRIX))
    stale = sorted(set(MATRIX) - served)
    assert not missing, f"routes missing from tests/authz_matrix.py: {missing}"
    assert not stale, f"routes listed in tests/authz_matrix.py that no longer exist: {stale}"
    for key, (policy, _params) in MATRIX.items():
        assert set(policy) == set(ROLES), key


def test_every_get_route_answers_each_role_as_the_matrix_says_and_changes_no_row(world):
    """Full pages and htmx partials alike; and GETting every route as every role writes nothing
    (row counts of every table before and after)."""
    session, clients = world["session"], world["clients"]
    tally = Tally()
    before = row_counts(session)
    for key, (policy, _params) in MATRIX.items():
        method, rule = key.split(" ", 1)
        if method != "GET":
            continue
        url = url_of(session, key)
        for role in ROLES:
            for headers in ({}, HTMX):
                response = clients[role].get(url, headers=headers)
                got = classify(response, rule)
                tally.record(key, role, policy[role], got, url + (" (htmx)" if headers else ""))
    routes, roles = len(tally.routes), len(tally.roles)
    print(f"\nGET matrix: {routes} routes x {roles} roles, {tally.checks} checks")
    assert not tally.failures, "\n".join(tally.failures)
    assert changed_tables(before, row_counts(session)) == {}


def test_every_post_route_refuses_the_wrong_roles_before_changing_anything(world):
    session, clients = world["session"], world["clients"]
    tally = Tally()
    before = row_counts(session)
    for key, (policy, _params) in MATRIX.items():
        method, rule = key.split(" ", 1)
        if method == "GET":
            continue
        if set(policy.values()) == {LOGIN}:
            continue  # signing out: checked with fresh clients below
        url = url_of(session, key)
        data = form_data(world, url)
        for role in ROLES:
            if policy[role] == OK:
                continue
            response = clients[role].open(url, method=method, data=data)
            tally.record(key, role, policy[role], classify(response, rule), url)
    print(f"\nrefused writes: {len(tally.routes)} routes, {tally.checks} checks")
    assert not tally.failures, "\n".join(tally.failures)
    assert changed_tables(before, row_counts(session)) == {}


def _write_order(key: str) -> int:
    if "logout" in key:
        return 3
    if key.endswith(" /checkout"):
        return 2  # starting a checkout replaces the Draft order the checkout routes use
    words = ("delete", "remove", "cancel", "reject", "approve", "convert", "place", "execute")
    return 1 if any(w in key for w in words) else 0


def test_every_post_route_serves_the_roles_allowed_to_use_it(world):
    app, session = world["app"], world["session"]
    tally = Tally()
    # routes that end or replace their object last, so the others still find theirs
    keys = sorted((k for k in MATRIX if not k.startswith("GET ")), key=_write_order)
    for key in keys:
        method, rule = key.split(" ", 1)
        policy, _params = MATRIX[key]
        url = url_of(session, key)
        signing_out = set(policy.values()) == {LOGIN}
        destroyed = False
        for role in ROLES:
            if policy[role] != OK and not signing_out:
                continue
            client = sign_in(app, role)  # fresh: a logout must not sign out the others
            response = client.open(url, method=method, data=form_data(world, url))
            got = classify(response, rule)
            if destroyed and got == 404:
                got = OK  # an earlier role already deleted the object
            destroyed = destroyed or (got == OK and rule.endswith(("/delete", "/remove")))
            tally.record(key, role, policy[role], got, url)
    print(f"\nallowed writes: {len(tally.routes)} routes, {tally.checks} checks")
    assert not tally.failures, "\n".join(tally.failures)


def test_an_id_that_does_not_exist_is_a_404_for_every_role_allowed_on_the_route(world):
    session, clients = world["session"], world["clients"]
    tally = Tally()
    for key, (policy, params) in MATRIX.items():
        method, rule = key.split(" ", 1)
        int_params = [p for p in rule_params(rule) if f"<int:{p}>" in rule]
        if not int_params:
            continue
        values = {name: OBJECTS[obj](session) for name, obj in params.items()}
        values.update(dict.fromkeys(int_params, 987654))
        data = form_data(
            world, build_url(rule, {n: OBJECTS[o](session) for n, o in params.items()})
        )
        url = build_url(rule, values)
        missing = HIDDEN if HIDDEN in policy.values() else 404  # as for another's id
        for role in ROLES:
            if policy[role] != OK:
                continue
            response = clients[role].open(url, method=method, data=data)
            tally.record(key, role, missing, classify(response, rule), url)
    assert not tally.failures, "\n".join(tally.failures)
