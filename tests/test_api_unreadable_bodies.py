"""Bodies the JSON decoder itself cannot read (a number of more than 4,300 digits, arrays nested
50,000 deep) are a 400 problem+json on every API operation that reads a JSON body, never a 500,
and nothing is written. Both engines."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core import texts
from core.models import Order
from tests.api_helpers import auth, make_key

PROBLEM = "application/problem+json"

BODIES = {
    "huge-integer": '{"account_id": 1' + "0" * 4400 + "}",
    "deep-nesting": "[" * 50000 + "]" * 50000,
    "not-json": "{not json",
}


def _operations_with_a_json_body(client) -> list[tuple[str, str]]:
    document = client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete") and "requestBody" in operation:
                if "application/json" in operation["requestBody"].get("content", {}):
                    found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return found


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_body_the_decoder_cannot_read_is_a_400_on_every_operation_that_reads_json(
    client, session, demo, kind
):
    token = make_key(session, "admin@skyline.example")
    operations = _operations_with_a_json_body(client)
    assert len(operations) >= 10, operations  # orders, offers, accounts, catalogue ...
    orders = session.scalar(select(func.count(Order.id)))
    for method, path in operations:
        for idempotency in ({}, {"Idempotency-Key": f"{kind}-{method}-{path}"}):
            response = client.open(
                path,
                method=method.upper(),
                data=BODIES[kind],
                content_type="application/json",
                headers=auth(token, **idempotency),
            )
            where = f"{method.upper()} {path} {idempotency}"
            assert response.status_code == 400, (where, response.get_data(as_text=True)[:300])
            assert response.mimetype == PROBLEM, where
            body = response.get_json(force=True)
            assert body["type"].endswith("#problem-bad-request"), where
            assert body["detail"] == texts.API_BODY_UNREADABLE, where
    assert session.scalar(select(func.count(Order.id))) == orders
