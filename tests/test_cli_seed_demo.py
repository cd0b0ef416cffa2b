"""``flask seed-demo`` (README, Demo logins): refuses a database with data, ``--if-empty`` does
nothing then, ``--force`` erases it first (history included: an administrative reset of the
whole database, not an edit of the history, which stays append-only everywhere else) and loads
the demo again. Through Flask's CLI runner, both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.append_only import AppendOnlyViolation
from core.models import AuditEntry, OfferEvent, Order, OrderEvent, Tenant, User
from tests.api_helpers import account_id, auth, make_key

COUNTED = (Tenant, User, Order, OrderEvent, OfferEvent, AuditEntry)


def _counts(session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) for model in COUNTED
    }


def test_seed_demo_force_erases_a_demo_database_with_its_history_and_loads_the_demo_again(
    app, client, session, demo
):
    fresh = _counts(session)
    assert fresh["OrderEvent"] and fresh["OfferEvent"]  # history to erase
    # the database is used: more orders, history and audit entries than the demo has
    token = make_key(session, "admin@skyline.example")
    account = account_id(session, "Acme Ltd")
    made = client.post("/api/v1/orders", json={"account_id": account}, headers=auth(token))
    assert made.status_code == 201
    assert _counts(session)["Order"] == fresh["Order"] + 1

    runner = app.test_cli_runner()
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "not empty" in refused.output
    kept = runner.invoke(args=["seed-demo", "--if-empty"])
    assert kept.exit_code == 0 and "not loaded" in kept.output

    result = runner.invoke(args=["seed-demo", "--force"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Demo loaded" in result.output
    assert _counts(session) == fresh  # the demo once, nothing of before
    # history is still append-only for everything else
    event = session.scalar(select(OrderEvent).limit(1))
    session.delete(event)
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
