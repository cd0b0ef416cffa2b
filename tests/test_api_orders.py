"""The public API over orders (issue 18): the "Done when" walk-through (a key made in the BSS,
an order created, items added, 3 of 5 executed, the sub-order read, Scheduled refused), the
same rules as the BSS pages, problem+json errors, Idempotency-Key, cursor pages and a fixed
number of queries. Both engines."""

from __future__ import annotations

import json
import re

from sqlalchemy import event, func, select

from core.models import Account, ApiKey, Order, OrderStatus
from core.rules.statuses import StatusKey
from tests.api_helpers import account_id, auth, make_key, product, tenant_id
from tests.conftest import login, soup

PROBLEM = "application/problem+json"


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["type"].endswith("#problem-" + slug), body
    assert body["status"] == status
    return body


def _status_id(session, key: str, slug: str = "reseller") -> int:
    """A mandatory status of a demo tenant (StatusKey)."""
    return session.scalar(
        select(OrderStatus.id).where(
            OrderStatus.mandatory_key == key, OrderStatus.tenant_id == tenant_id(session, slug)
        )
    )


def _order_in(session, key: str, slug: str = "reseller", **where) -> Order:
    """A primary order of a demo tenant in a mandatory status."""
    return session.scalar(
        select(Order)
        .where(
            Order.status_id == _status_id(session, key, slug),
            Order.parent_order_id.is_(None),
            *[getattr(Order, k) == v for k, v in where.items()],
        )
        .order_by(Order.id)
        .limit(1)
    )


def test_done_when_a_key_made_in_the_bss_creates_executes_3_of_5_and_is_refused_scheduled(
    client, session, demo
):
    # an admin creates a read-write key in the BSS; the answer shows it once
    login(client, "admin@skyline.example")
    page = client.get("/bss/api-keys")
    admin_id = next(
        o["value"]
        for o in soup(page).select("#user_id option")
        if "Skyline" in o.text or "admin" in o.text
    )
    created = client.post(
        "/bss/api-keys",
        data={"name": "ERP", "user_id": admin_id, "scope": "read_write", "expires_in_days": "90"},
    )
    assert created.status_code == 201
    token = soup(created).select_one("#new-api-key")["value"]
    assert re.fullmatch(r"csk_[0-9a-f]{8}_[\w-]{43}", token)
    stored = session.scalar(select(ApiKey))
    assert stored.secret_hash != token and token not in stored.secret_hash
    assert token not in client.get("/bss/api-keys").get_data(as_text=True)  # shown once
    api = client.application.test_client()  # no BSS cookie: the key alone
    headers = auth(token)

    acme = account_id(session, "Acme Ltd")
    order = api.post(
        "/api/v1/orders", json={"account_id": acme, "name": "From ERP"}, headers=headers
    )
    assert order.status_code == 201, order.get_json()
    assert "Set-Cookie" not in order.headers
    order_id = order.get_json()["id"]
    assert order.get_json()["status"]["description"] == "Submitted"

    backup = product(session, "AZ-BACKUP")
    added = api.post(
        f"/api/v1/orders/{order_id}/items",
        json={"product_id": backup.id, "plan_id": backup.plans[0].id, "quantity": 5},
        headers=headers,
    )
    assert added.status_code == 201, added.get_json()
    item_id = added.get_json()["items"][0]["id"]

    executed = api.post(
        f"/api/v1/orders/{order_id}/execute",
        json={"items": [{"item_id": item_id, "quantity": 3}]},
        headers=headers,
    )
    assert executed.status_code == 200, executed.get_json()
    result = executed.get_json()
    assert result["fully_executed"] is False
    assert result["order"]["items"][0]["executed_quantity"] == 3
    assert result["order"]["items"][0]["remaining_quantity"] == 2
    sub = api.get(f"/api/v1/orders/{result['sub_order']['id']}", headers=headers).get_json()
    assert sub["number"] == result["order"]["number"] + "-1"
    assert sub["parent_order"]["id"] == order_id
    assert [(i["quantity"], i["executed_quantity"]) for i in sub["items"]] == [(3, 3)]
    assert sub["status"]["description"] == "Executed"

    scheduled = _status_id(session, StatusKey.SCHEDULED)
    refused = api.put(
        f"/api/v1/orders/{order_id}/status", json={"status_id": scheduled}, headers=headers
    )
    body = _problem(refused, 422, "status-not-assignable")
    assert "status_id" in body["errors"]
    again = api.get(f"/api/v1/orders/{order_id}", headers=headers).get_json()
    assert again["status"]["description"] == "Submitted"


def test_every_status_the_bss_edit_refuses_is_refused_and_an_in_progress_one_is_set(
    client, session, demo
):
    token = make_key(session, "operator@skyline.example")
    order = _order_in(session, StatusKey.SUBMITTED)
    for type_ in (StatusKey.DRAFT, StatusKey.SCHEDULED, StatusKey.EXECUTING):
        status_id = _status_id(session, type_)
        response = client.put(
            f"/api/v1/orders/{order.id}/status", json={"status_id": status_id}, headers=auth(token)
        )
        assert response.status_code in (409, 422), (type_, response.get_json())
        assert response.mimetype == PROBLEM


def test_an_executed_order_is_locked_and_a_backorder_restricted_as_in_the_bss(
    client, session, demo
):
    token = make_key(session, "admin@skyline.example")
    executed = _order_in(session, StatusKey.EXECUTED)
    backup = product(session, "AZ-BACKUP")
    body = {"product_id": backup.id, "plan_id": backup.plans[0].id, "quantity": 1}
    _problem(
        client.post(f"/api/v1/orders/{executed.id}/items", json=body, headers=auth(token)),
        409,
        "order-locked",
    )
    _problem(
        client.post(f"/api/v1/orders/{executed.id}/cancel", headers=auth(token)),
        409,
        "order-locked",
    )
    copied = client.post(f"/api/v1/orders/{executed.id}/copy", headers=auth(token))
    assert copied.status_code == 201 and copied.get_json()["number"] != executed.number
    distributor = make_key(session, "admin@nimbus.example")
    backorder = session.scalar(select(Order).where(Order.backorder_event_key.is_not(None)).limit(1))
    _problem(
        client.post(f"/api/v1/orders/{backorder.id}/execute", json={}, headers=auth(distributor)),
        403,
        "backorder-restricted",
    )


def test_errors_are_problems_never_html(client, session, demo):
    token = make_key(session, "admin@skyline.example")
    _problem(client.get("/api/v1/orders"), 401, "unauthenticated")
    _problem(client.get("/api/v1/orders", headers=auth("csk_00000000_nope")), 401, "key-unknown")
    _problem(client.get("/api/v1/nowhere", headers=auth(token)), 404, "not-found")
    _problem(client.get("/api/v1/orders/99999", headers=auth(token)), 404, "not-found")
    _problem(client.delete("/api/v1/orders", headers=auth(token)), 405, "method-not-allowed")
    bad = _problem(
        client.post("/api/v1/orders", json={"account_id": "x", "extra": 1}, headers=auth(token)),
        422,
        "validation-failed",
    )
    assert set(bad["errors"]) == {"account_id", "extra"}
    _problem(
        client.post(
            "/api/v1/orders", data="{not json", content_type="application/json", headers=auth(token)
        ),
        400,
        "bad-request",
    )
    _problem(
        client.post("/api/v1/orders", json={"account_id": 2**40}, headers=auth(token)),
        422,
        "validation-failed",
    )
    _problem(
        client.get("/api/v1/orders/99999999999999999999999", headers=auth(token)),
        400,
        "bad-request",
    )
    _problem(
        client.post(
            "/api/v1/orders", json={"account_id": 1, "name": "a\x00b"}, headers=auth(token)
        ),
        422,
        "validation-failed",
    )
    _problem(client.get("/api/v1/orders?cursor=zzz", headers=auth(token)), 422, "validation-failed")


def test_idempotency_key_answers_the_first_answer_and_refuses_another_body(client, session, demo):
    token = make_key(session, "admin@skyline.example")
    acme = account_id(session, "Acme Ltd")
    count = session.scalar(select(func.count(Order.id)))
    headers = auth(token, **{"Idempotency-Key": "create-1"})
    first = client.post("/api/v1/orders", json={"account_id": acme}, headers=headers)
    second = client.post("/api/v1/orders", json={"account_id": acme}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count(Order.id))) == count + 1
    other = client.post("/api/v1/orders", json={"account_id": acme, "name": "x"}, headers=headers)
    _problem(other, 422, "idempotency-key-reused")
    # a refusal is an answer too: the retry gets the same problem, nothing is written
    executed = _order_in(session, StatusKey.EXECUTED)
    locked = auth(token, **{"Idempotency-Key": "cancel-1"})
    one = client.post(f"/api/v1/orders/{executed.id}/cancel", headers=locked)
    two = client.post(f"/api/v1/orders/{executed.id}/cancel", headers=locked)
    assert one.status_code == two.status_code == 409 and one.data == two.data
    # keys are per tenant: the same key in another tenant is a new request
    nimbus = make_key(session, "admin@nimbus.example")
    nimbus_account = session.scalar(
        select(Account.id).where(Account.tenant_id == tenant_id(session, "distributor")).limit(1)
    )
    elsewhere = client.post(
        "/api/v1/orders",
        json={"account_id": nimbus_account},
        headers=auth(nimbus, **{"Idempotency-Key": "create-1"}),
    )
    assert elsewhere.status_code == 201 and "Idempotent-Replayed" not in elsewhere.headers


def test_order_list_filters_and_cursor_pages_in_a_fixed_number_of_queries(client, session, demo):
    token = make_key(session, "admin@skyline.example")
    acme = account_id(session, "Acme Ltd")
    for _ in range(4):
        client.post("/api/v1/orders", json={"account_id": acme}, headers=auth(token))
    seen, url, counts = [], "/api/v1/orders?limit=2", []
    engine = session.get_bind()
    statements: list[str] = []

    def count(*_args):
        statements.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        while url:
            statements.clear()
            page = client.get(url, headers=auth(token)).get_json()
            assert "data" in page, page
            counts.append(len(statements))
            seen += [row["id"] for row in page["data"]]
            url = (
                f"/api/v1/orders?limit=2&cursor={page['next_cursor']}"
                if page["next_cursor"]
                else None
            )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    total = session.scalar(
        select(func.count(Order.id)).where(Order.tenant_id == tenant_id(session))
    )
    assert len(seen) == len(set(seen)) == total
    assert len(set(counts[1:])) == 1 and counts[1] <= 3, counts  # key, statuses, page
    filtered = client.get(f"/api/v1/orders?account_id={acme}&limit=200", headers=auth(token))
    assert filtered.status_code == 200, filtered.get_json()
    names = {row["account_name"] for row in filtered.get_json()["data"]}
    assert names == {"Acme Ltd"}


def test_the_openapi_document_is_3_1_and_the_reference_page_lists_every_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    page = client.get("/api/v1/reference").get_data(as_text=True)
    for path, item in spec["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                assert f"{method.upper()} {path}" in page
    assert json.dumps(spec)  # serialisable as it is served


def test_the_same_idempotency_key_sent_by_eight_threads_at_once_writes_one_order(
    app, session, demo
):
    import threading

    token = make_key(session, "admin@skyline.example")
    acme = account_id(session, "Acme Ltd")
    before = session.scalar(select(func.count(Order.id)))
    session.commit()
    barrier = threading.Barrier(8)
    answers, lock = [], threading.Lock()

    def post():
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post(
            "/api/v1/orders",
            json={"account_id": acme},
            headers=auth(token, **{"Idempotency-Key": "race-1"}),
        )
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    session.expire_all()
    assert session.scalar(select(func.count(Order.id))) == before + 1
    created = {body["id"] for status, body in answers if status == 201}
    assert len(created) == 1, answers
    refused = [body["type"] for status, body in answers if status != 201]
    assert all(t.endswith("#problem-idempotency-in-progress") for t in refused), refused


def test_a_retry_whose_json_is_the_same_in_another_key_order_or_spacing_is_a_replay(
    client, session, demo
):
    """A tester's retry serialised the same object with its keys in another order: it was
    refused as another request (the fingerprint compared bytes). Same JSON, same request."""
    token = make_key(session, "admin@skyline.example")
    acme = account_id(session, "Acme Ltd")
    headers = {
        **auth(token, **{"Idempotency-Key": "create-ordered"}),
        "Content-Type": "application/json",
    }
    first = client.post(
        "/api/v1/orders", data=f'{{"account_id": {acme}, "name": "ERP 1"}}', headers=headers
    )
    again = client.post(
        "/api/v1/orders", data=f'{{ "name":"ERP 1","account_id":{acme} }}', headers=headers
    )
    assert first.status_code == again.status_code == 201, again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(
        "/api/v1/orders", data=f'{{"account_id": {acme}, "name": "ERP 2"}}', headers=headers
    )
    _problem(other, 422, "idempotency-key-reused")


def test_an_item_that_is_not_on_the_order_is_named_not_the_order(client, session, demo):
    """A tester's PATCH with an unknown item_id answered 404 "That order does not exist."."""
    from core import texts

    token = make_key(session, "admin@skyline.example")
    created = client.post(
        "/api/v1/orders", json={"account_id": account_id(session, "Acme Ltd")}, headers=auth(token)
    )
    order_id = created.get_json()["id"]
    answer = client.patch(
        f"/api/v1/orders/{order_id}/items",
        json={"items": [{"item_id": 987654, "quantity": 2}]},
        headers=auth(token),
    )
    body = _problem(answer, 422, "validation-failed")
    assert body["errors"] == {"987654": [texts.ORDER_ITEM_NOT_FOUND]}


def test_executing_an_order_without_items_says_it_has_none(client, session, demo):
    """A tester's empty order answered "Every quantity of this order has already been executed."."""
    from core import texts

    token = make_key(session, "admin@skyline.example")
    created = client.post(
        "/api/v1/orders", json={"account_id": account_id(session, "Acme Ltd")}, headers=auth(token)
    )
    answer = client.post(
        f"/api/v1/orders/{created.get_json()['id']}/execute", json={}, headers=auth(token)
    )
    assert answer.status_code == 409
    assert answer.get_json(force=True)["detail"] == texts.ORDER_EMPTY
