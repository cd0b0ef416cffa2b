"""The public API's authorization matrix (issue 18, point 8): every API route × the key that
calls it (operator and admin of the demo tenant, a read key, the distributor, an unrelated
tenant, a revoked and an expired key, no key). A key of tenant A never sees tenant B, a read
key never writes, a revoked key is refused at once; refused calls change no row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import utcnow, write_transaction
from core.enums import OrderSource, UserKind
from core.models import (
    ApiKey,
    Offer,
    OfferItem,
    Order,
    PriceList,
    Product,
    Subscription,
    User,
)
from core.services import api_keys
from tests.api_helpers import account_id, auth, make_key, tenant_id
from tests.conftest import demo_manual_order
from tests.security_helpers import add_other_tenant, build_url, changed_tables, row_counts

OK, UNAUTHENTICATED, READ_ONLY, ROLE_REFUSED, HIDDEN, ACCOUNT_REFUSED = (
    "ok",
    401,
    403,
    403,
    404,
    422,
)
PUBLIC_RULES = {"/api/v1/openapi.json", "/api/v1/reference"}
CALLERS = (
    "operator",
    "admin",
    "catalogue",
    "finance",
    "read",
    "distributor",
    "other_tenant",
    "revoked",
    "expired",
    "none",
)
# the role of each caller's user (core.rules.roles); the distributor and the other tenant's
# keys act as admins of their own tenants
ROLE_OF = {
    "operator": "operator",
    "admin": "admin",
    "catalogue": "catalogue_manager",
    "finance": "finance",
    "read": "admin",
    "distributor": "admin",
    "other_tenant": "admin",
}


def roles_allowed(method: str, rule: str) -> set[str]:
    """Written out here, not read from the code: who may use each part of the API, as the
    BSS pages of the same things (core.rules.roles.PERMISSIONS)."""
    if rule.startswith("/api/v1/accounts"):
        return {"admin", "operator", "finance"} if method == "GET" else {"admin"}
    if rule.startswith("/api/v1/products"):
        return (
            {"admin", "operator", "catalogue_manager"}
            if method == "GET"
            else {
                "admin",
                "catalogue_manager",
            }
        )
    return {"admin", "operator"}  # orders, offers, subscriptions, statuses, back-orders


def expected(method: str, rule: str, caller: str):
    if rule in PUBLIC_RULES:
        return OK
    if caller in ("revoked", "expired", "none"):
        return UNAUTHENTICATED
    if caller == "read" and method != "GET":
        return READ_ONLY
    if ROLE_OF[caller] not in roles_allowed(method, rule):
        return ROLE_REFUSED
    has_object = "<" in rule
    if rule.startswith("/api/v1/backorders/"):
        # the demo's back-orders are the distributor's: no other tenant has them
        return OK if caller == "distributor" else HIDDEN
    if caller in ("distributor", "other_tenant"):
        # another tenant's object does not exist; the demo's account is not one it can choose
        if method == "POST" and rule.endswith(("/orders", "/offers")):
            return ACCOUNT_REFUSED
        return HIDDEN if has_object else OK
    return OK


def api_routes(app) -> dict[str, str]:
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes[f"{method} {rule.rule}"] = rule.rule
    return routes


@pytest.fixture
def keys(app, session, demo):
    from webapp.auth import hash_password

    add_other_tenant(session, hash_password)
    reseller = tenant_id(session)
    with write_transaction(session):
        for role in ("catalogue_manager", "finance"):
            session.add(
                User(
                    tenant_id=reseller,
                    kind=UserKind.BSS,
                    role=role,
                    email=f"{role}@skyline.example",
                    name=role.replace("_", " ").title(),
                    password_hash=hash_password("demo-password"),
                )
            )
    tokens = {
        "catalogue": make_key(session, "catalogue_manager@skyline.example"),
        "finance": make_key(session, "finance@skyline.example"),
        "operator": make_key(session, "operator@skyline.example"),
        "admin": make_key(session, "admin@skyline.example"),
        "read": make_key(session, "admin@skyline.example", scope="read"),
        "distributor": make_key(session, "admin@nimbus.example"),
        "other_tenant": make_key(session, "admin@othercloud.example"),
        "revoked": make_key(session, "admin@skyline.example"),
        "expired": make_key(session, "admin@skyline.example"),
    }
    admin = session.scalar(select(ApiKey).where(ApiKey.scope == "read")).user
    revoked = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()[-2]
    api_keys.revoke_key(session, revoked.tenant_id, admin, revoked.id)
    expired = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()[-1]
    with write_transaction(session):
        session.get(ApiKey, expired.id).expires_at = utcnow() - timedelta(seconds=1)
    return tokens


def _objects(session) -> dict:
    demo_tenant = tenant_id(session)
    order = demo_manual_order(session)
    plan_product = session.scalar(
        select(Product).where(Product.tenant_id == demo_tenant, Product.code == "PRIV-CLOUD")
    )
    return {
        "order_id": order.id,
        "account_id": account_id(session, "Acme Ltd"),
        "product_id": plan_product.id,
        "subscription_id": session.scalar(
            select(Subscription.id).where(Subscription.tenant_id == demo_tenant).limit(1)
        ),
        # an offer of the demo tenant with an item (the item routes need both)
        "offer_id": session.scalar(
            select(OfferItem.offer_id)
            .join(Offer, Offer.id == OfferItem.offer_id)
            .where(Offer.tenant_id == demo_tenant)
            .order_by(OfferItem.id)
            .limit(1)
        ),
        "item_id": order.items[0].id,
        "plan_id": plan_product.plans[0].id,
        "price_list_id": session.scalar(
            select(PriceList.id).where(PriceList.tenant_id == demo_tenant).order_by(PriceList.id)
        ),
        "product_type_id": plan_product.product_type_id,
        "backorder_id": session.scalar(
            select(Order.id).where(Order.source == OrderSource.BACKORDER).order_by(Order.id)
        ),
        "offer_item_id": session.scalar(
            select(OfferItem.id)
            .join(Offer, Offer.id == OfferItem.offer_id)
            .where(Offer.tenant_id == demo_tenant)
            .order_by(OfferItem.id)
            .limit(1)
        ),
    }


def _body(method: str, rule: str, objects: dict) -> dict | None:
    if method == "GET":
        return None
    if rule.endswith(("/orders", "/offers")):
        return {"account_id": objects["account_id"]}
    if rule.startswith("/api/v1/accounts"):
        return _account_body(method, objects)
    if rule.startswith("/api/v1/products"):
        return _catalogue_body(method, rule, objects)
    if rule.startswith("/api/v1/backorders/"):
        return {"sales_rep": "Through the API"}
    if "/offers/" in rule:
        return _offer_body(method, rule, objects)
    if rule.endswith("/items") and method == "POST":
        return {"product_id": objects["product_id"], "plan_id": objects["plan_id"], "quantity": 1}
    if rule.endswith("/items"):
        return {"items": [{"item_id": objects["item_id"], "quantity": 6}]}
    if rule.endswith("/status"):
        return {"status_id": 1}
    if rule.endswith("/execute"):
        return {"items": [{"item_id": objects["item_id"], "quantity": 1}]}
    return None


def _account_body(method: str, objects: dict) -> dict:
    if method == "POST":
        return {
            "name": f"API account {utcnow().timestamp()}",
            "kind": "end_customer",
            "payment_method": "card",
            "price_list_id": objects["price_list_id"],
        }
    return {"billing_name": "Billing through the API"}


def _catalogue_body(method: str, rule: str, objects: dict) -> dict:
    if rule.endswith("/plans"):
        return {
            "name": f"API plan {utcnow().timestamp()}",
            "billing_cycle": "monthly",
            "max_quantity": 10,
            "prices": {str(objects["price_list_id"]): "9.50"},
        }
    if rule.endswith("<int:plan_id>"):
        return {"max_quantity": 500}
    if method == "POST":
        return {
            "code": f"API-{int(utcnow().timestamp() * 1e6)}",
            "name": "Made through the API",
            "product_type_id": objects["product_type_id"],
        }
    return {"description": "Described through the API"}


def _offer_body(method: str, rule: str, objects: dict) -> dict | None:
    if rule.endswith("/items"):
        return {"plan_id": objects["plan_id"], "quantity": 1}
    if rule.endswith("<int:offer_item_id>") and method == "PATCH":
        return {"quantity": 2, "unit_price": "10.00"}
    if rule.endswith("<int:offer_id>"):
        return {"name": "Renamed through the API"}
    return None


def _outcome(response, want):
    if response.status_code in (401, 403, 404) or response.status_code == want:
        return response.status_code
    assert response.status_code < 500, response.get_data(as_text=True)
    return OK


def test_every_api_route_answers_each_key_as_the_matrix_says(app, client, session, keys):
    routes = api_routes(app)
    assert len(routes) >= 37, sorted(routes)
    failures, checks = [], 0
    # refused callers first: no row may change
    order = sorted(CALLERS, key=lambda c: c in ("operator", "admin"))
    # removals last, and the objects found again for each caller (an earlier one removed an item)
    # (an offer's items before the offer)
    in_order = sorted(
        routes.items(),
        key=lambda kv: (kv[0].startswith("DELETE"), -kv[0].count("<"), kv[0]),
    )
    for caller in order:
        objects = _objects(session)
        for key, rule in in_order:
            method = key.split(" ", 1)[0]
            values = objects
            if rule.startswith("/api/v1/backorders/"):
                values = {**objects, "order_id": objects["backorder_id"]}
            url = build_url(rule, values)
            headers = auth(keys[caller]) if caller in keys else {}
            want = expected(method, rule, caller)
            before = row_counts(session) if want != OK else None
            response = client.open(
                url, method=method, json=_body(method, rule, objects), headers=headers
            )
            checks += 1
            assert response.mimetype != "text/html" or rule in PUBLIC_RULES, (key, caller)
            got = _outcome(response, want)
            if got != want:
                failures.append(f"{key} as {caller}: wanted {want}, got {response.status_code}")
            if before is not None:
                changed = changed_tables(before, row_counts(session))
                changed.pop("api_key", None)  # last-used time is an update, never a row
                if changed:
                    failures.append(f"{key} as {caller} changed {changed}")
    print(f"\nAPI matrix: {len(routes)} routes x {len(CALLERS)} callers, {checks} checks")
    assert not failures, "\n".join(failures)


def test_a_key_of_another_tenant_never_lists_the_demo_tenants_rows(client, session, keys):
    demo_order = demo_manual_order(session)
    for caller in ("distributor", "other_tenant"):
        for path in ("/api/v1/orders?limit=200", "/api/v1/accounts?limit=200"):
            body = client.get(path, headers=auth(keys[caller])).get_json()
            ids = {row["id"] for row in body["data"]}
            if "orders" in path:
                assert demo_order.id not in ids
            else:
                assert account_id(session, "Acme Ltd") not in ids


def test_a_key_revoked_in_the_bss_is_refused_at_once(client, session, keys):
    token = keys["admin"]
    assert client.get("/api/v1/orders", headers=auth(token)).status_code == 200
    from tests.conftest import login

    bss = client.application.test_client()
    login(bss, "admin@skyline.example")
    for key in session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None))):
        if key.user.email == "admin@skyline.example" and key.scope == "read_write":
            assert bss.post(f"/bss/api-keys/{key.id}/revoke").status_code == 303
    refused = client.get("/api/v1/orders", headers=auth(token))
    assert refused.status_code == 401
    assert refused.get_json()["type"].endswith("#problem-key-revoked")


def test_the_rate_limit_is_per_key(app, client, session, keys):
    app.config["API_RATE_LIMIT"] = "3/minute"  # fresh keys: fresh counters
    for _ in range(3):
        assert (
            client.get("/api/v1/order-statuses", headers=auth(keys["operator"])).status_code == 200
        )
    limited = client.get("/api/v1/order-statuses", headers=auth(keys["operator"]))
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert limited.get_json()["type"].endswith("#problem-rate-limited")
    assert client.get("/api/v1/order-statuses", headers=auth(keys["admin"])).status_code == 200


def test_the_rate_limit_per_key_comes_from_the_environment(monkeypatch, tmp_path):
    from webapp.config import load_config

    monkeypatch.setenv("API_RATE_LIMIT", "5/second")
    assert load_config(str(tmp_path))["API_RATE_LIMIT"] == "5/second"
    monkeypatch.delenv("API_RATE_LIMIT")
    assert load_config(str(tmp_path))["API_RATE_LIMIT"] == "600/minute"
