"""Starting checkout again (back to the basket, Check out once more) replaces the earlier
Draft cleanly, whatever it holds (plans with add-ons), on both engines."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import Order, OrderItem, Product, User
from core.services import basket as basket_service
from core.services import checkout
from core.services.statuses import StatusBook
from tests.conftest import login


def _user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _add_plan_with_addon(session, user: User, code="M365-STD"):
    product = session.scalar(
        select(Product).where(Product.tenant_id == user.tenant_id, Product.code == code)
    )
    addon = product.addons[0]
    return basket_service.add_product(
        session, user.tenant_id, user, product.id, product.plans[0].id, 2, addons={addon.id: "3"}
    )


def _order_lines(session) -> int:
    return session.scalar(select(func.count()).select_from(OrderItem))


def _drafts(session, user: User) -> list[int]:
    book = StatusBook.load(session, user.tenant_id)
    return list(
        session.scalars(
            select(Order.id).where(
                Order.created_by_user_id == user.id, Order.status_id == book.draft().id
            )
        )
    )


def test_a_second_checkout_of_a_plan_with_an_add_on_replaces_the_draft(session, demo):
    alice = _user(session, "alice@acme.example")
    _add_plan_with_addon(session, alice)
    lines_before = _order_lines(session)
    first = checkout.start_checkout(session, alice.tenant_id, alice)
    first_key = first.idempotency_key
    checkout.start_checkout(session, alice.tenant_id, alice)
    third = checkout.start_checkout(session, alice.tenant_id, alice)  # never stuck for good
    assert _drafts(session, alice) == [third.id]
    assert third.idempotency_key != first_key  # a review page of the old one is refused
    assert _order_lines(session) == lines_before + 2  # the replaced drafts left no line behind
    kinds = sorted((i.kind, i.parent_item_id is not None) for i in third.items)
    assert kinds == [("addon_new", True), ("new", False)]


def test_the_replaced_draft_can_be_placed(session, demo):
    alice = _user(session, "alice@acme.example")
    _add_plan_with_addon(session, alice)
    checkout.start_checkout(session, alice.tenant_id, alice)
    draft = checkout.start_checkout(session, alice.tenant_id, alice)
    from tests.test_storefront_checkout import GOOD_CARD

    result = checkout.place(session, alice.tenant_id, alice, draft.id, card=GOOD_CARD)
    assert not result.already_placed
    assert basket_service.basket_count(session, alice.id) == 0


def test_placing_empties_the_basket_of_a_plan_and_its_add_on_in_one_delete(session, demo):
    """Both lines go in one statement (issue 19, sixth pass: the add-on's was a DELETE of its
    own, before its plan's), on both engines' foreign-key checks."""
    from tests.conftest import QueryCounter
    from tests.test_storefront_checkout import GOOD_CARD

    alice = _user(session, "alice@acme.example")
    _add_plan_with_addon(session, alice)
    draft = checkout.start_checkout(session, alice.tenant_id, alice)
    with QueryCounter(session.get_bind()) as q:
        checkout.place(session, alice.tenant_id, alice, draft.id, card=GOOD_CARD)
    deletes = [s for s in q.statements if s.lstrip().startswith("DELETE FROM basket_item")]
    assert len(deletes) == 1
    assert basket_service.basket_count(session, alice.id) == 0
    placed = session.get(Order, draft.id)
    kinds = sorted((i.kind, i.parent_item_id is not None) for i in placed.items)
    assert kinds == [("addon_new", True), ("new", False)]  # the order keeps both lines


def test_check_out_back_to_the_basket_and_check_out_again_over_http(client, session, demo):
    login(client, "alice@acme.example")
    _add_plan_with_addon(session, _user(session, "alice@acme.example"))
    first = client.post("/checkout")
    assert first.status_code == 303
    assert client.get("/basket").status_code == 200
    again = client.post("/checkout")
    assert again.status_code == 303, again.get_data(as_text=True)[:300]
    assert client.get(again.headers["Location"]).status_code == 200
    assert len(_drafts(session, _user(session, "alice@acme.example"))) == 1
