"""Audit (issue 8, point 8): every status change, execution, cancellation and setup change is in
an append-only history with actor and time (OrderEvent, OfferEvent, AuditEntry)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from core.append_only import AppendOnlyViolation
from core.db import write_transaction
from core.models import AuditEntry, Offer, OfferEvent, Order, OrderEvent, OrderItem, User
from tests.authz_matrix import MATRIX, OK, ROLES
from tests.security_helpers import form_data, make_world, sign_in, url_of


def user_id(session, email: str) -> int:
    return session.scalar(select(User.id).where(User.email == email))


# --- append-only -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [OrderEvent, OfferEvent, AuditEntry])
def test_history_rows_can_be_added_but_never_changed_or_deleted(session, demo, model):
    from core.services.audit import record_audit
    from tests.security_helpers import add_world_objects

    add_world_objects(session)  # orders and an offer with their histories
    with write_transaction(session):
        record_audit(session, 2, None, "product_type", 1, "updated", {"name": "x"})
    row_id = session.scalar(select(model.id).order_by(model.id).limit(1))
    assert row_id is not None
    with pytest.raises(AppendOnlyViolation):
        with write_transaction(session):
            session.get(model, row_id).actor_label = "someone else"
    with pytest.raises(AppendOnlyViolation):
        with write_transaction(session):
            session.delete(session.get(model, row_id))
    with pytest.raises(AppendOnlyViolation):
        with write_transaction(session):
            session.execute(update(model).where(model.id == row_id).values(actor_label="x"))
    with pytest.raises(AppendOnlyViolation):
        with write_transaction(session):
            session.execute(delete(model).where(model.id == row_id))
    session.rollback()
    assert session.get(model, row_id).actor_label != "someone else"


def test_the_guard_also_holds_in_a_session_without_flask(plain_session):
    from core.models import Tenant

    with write_transaction(plain_session):
        tenant = Tenant(name="T", slug="t")
        plain_session.add(tenant)
        plain_session.flush()
        plain_session.add(
            AuditEntry(tenant_id=tenant.id, actor_label="a", entity="x", action="created")
        )
    entry = plain_session.scalars(select(AuditEntry)).one()
    entry.detail = "rewritten"
    with pytest.raises(AppendOnlyViolation):
        plain_session.commit()


# --- every change is in the history ---------------------------------------------------------------


def run_every_write_route(world) -> int:
    """Each write route, as each role allowed on it, with the page's own form (see the matrix
    tests): executions, cancellations, approvals, setup changes ..."""
    from tests.test_security_authz import _write_order

    session = world["session"]
    done = 0
    for key in sorted((k for k in MATRIX if not k.startswith("GET ")), key=_write_order):
        if "logout" in key:
            continue
        method = key.split(" ", 1)[0]
        policy, _params = MATRIX[key]
        url = url_of(session, key)
        for role in ROLES:
            if policy[role] == OK:
                response = world["clients"][role].open(
                    url, method=method, data=form_data(world, url)
                )
                assert response.status_code < 500, (key, role)
                done += 1
    return done


def assert_status_history_is_complete(session) -> int:
    """For every order: the status lines chain from creation to the current status, each with a
    time and an actor. Likewise for every offer."""
    session.rollback()
    problems: list[str] = []
    orders = session.scalars(select(Order)).all()
    for order in orders:
        events = session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        ).all()
        if any(e.at is None or not e.actor_label for e in events):
            problems.append(f"{order.number}: a line without time or actor")
        changes = [e for e in events if e.to_status_id is not None]
        if not changes:
            problems.append(f"{order.number}: no status line at all")
            continue
        if changes[0].from_status_id is not None:
            problems.append(f"{order.number}: the first status line is not the creation")
        for before, after in zip(changes, changes[1:], strict=False):
            if after.from_status_id != before.to_status_id:
                problems.append(f"{order.number}: a status change is missing before {after.id}")
        if changes[-1].to_status_id != order.status_id:
            problems.append(f"{order.number}: the current status is not in the history")
    offers = session.scalars(select(Offer)).all()
    for offer in offers:
        changes = session.scalars(
            select(OfferEvent)
            .where(OfferEvent.offer_id == offer.id, OfferEvent.to_status_id.is_not(None))
            .order_by(OfferEvent.id)
        ).all()
        if not changes or changes[-1].to_status_id != offer.status_id:
            problems.append(f"{offer.number}: the current status is not in the history")
        if any(not e.at or not e.actor_label for e in changes):
            problems.append(f"{offer.number}: a line without time or actor")
    assert not problems, "\n".join(problems)
    return len(orders) + len(offers)


def test_after_every_write_route_every_order_and_offer_has_its_complete_status_history(
    app, session, demo
):
    world = make_world(app, session)
    writes = run_every_write_route(world)
    checked = assert_status_history_is_complete(session)
    print(f"\naudit: {writes} writes, {checked} orders and offers with complete histories")


def test_execution_cancellation_and_status_edits_name_the_user_who_did_them(app, session, demo):
    from tests.security_helpers import OBJECTS, add_world_objects

    add_world_objects(session)
    order_a, order_b = OBJECTS["order_a"](session), OBJECTS["placed_order_a"](session)
    item = session.scalars(select(OrderItem).where(OrderItem.order_id == order_a)).first()
    operator, admin = sign_in(app, "operator"), sign_in(app, "admin")
    assert (
        operator.post(
            f"/bss/orders/{order_a}/execute-partial", data={f"execute-{item.id}": "1"}
        ).status_code
        == 303
    )
    assert admin.post(f"/bss/orders/{order_b}/cancel").status_code == 303
    session.rollback()

    def lines(order_id, kind):
        return session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id, OrderEvent.kind == kind)
        ).all()

    execution = lines(order_a, "execution")[-1]
    assert execution.actor_user_id == user_id(session, "operator@skyline.example")
    assert "Olga Operator" in execution.actor_label and execution.at is not None
    cancel = [e for e in lines(order_b, "status") if e.actor_user_id][-1]
    assert cancel.actor_user_id == user_id(session, "admin@skyline.example")
    assert_status_history_is_complete(session)


def test_every_setup_change_is_in_the_audit_trail_with_its_admin(app, session, demo):
    admin = sign_in(app, "admin")
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    assert admin.post("/bss/setup/product-types/new", data={"name": "Audited"}).status_code == 303
    assert (
        admin.post(
            "/bss/setup/order-statuses",
            data={
                "number": "40",
                "description": "Audited status",
                "type": "in_progress",
                "storefront_type": "viewable",
                "color": "#123456",
                "active": "y",
            },
        ).status_code
        == 303
    )
    session.rollback()
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id).offset(before)).all()
    assert len(entries) >= 2
    admin_id = user_id(session, "admin@skyline.example")
    assert all(e.actor_user_id == admin_id and e.at is not None for e in entries)
    assert {e.entity for e in entries} >= {"product_type"}
