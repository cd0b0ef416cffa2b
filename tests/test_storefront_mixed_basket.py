"""Rule 4.2 at checkout and placement, not only when adding: a basket that became mixed because
a product type's "Non-automatic execution" option was turned on after its items were added says
so, offers to remove one kind, and is never checked out or placed as one mixed order.
On both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import texts
from core.enums import ExecutionType
from core.models import Order, Product, ProductType, User
from core.rules import basket as rules
from core.services import basket as basket_service
from core.services import checkout
from core.services.errors import Conflict
from core.services.setup import save_product_type
from tests.conftest import login, soup, text_of

HTMX = {"HX-Request": "true"}


def test_a_basket_of_both_delivery_methods_is_mixed():
    A, M = ExecutionType.AUTOMATIC, ExecutionType.MANUAL
    assert rules.is_mixed([A, M, A])
    assert not rules.is_mixed([A, A]) and not rules.is_mixed([M]) and not rules.is_mixed([])


def _user(session, email="alice@acme.example") -> User:
    return session.scalar(select(User).where(User.email == email))


def _managed_type(session, tenant_id) -> ProductType:
    return session.scalar(
        select(ProductType).where(
            ProductType.tenant_id == tenant_id, ProductType.name == "Managed Services"
        )
    )


def _set_managed_option(session, tenant_id, on: bool) -> None:
    """What a BSS admin does in Setup › Product types (rule 4.1 checked by the service)."""
    managed = _managed_type(session, tenant_id)
    save_product_type(
        session,
        tenant_id,
        None,
        product_type_id=managed.id,
        name=managed.name,
        is_asset=False,
        non_automatic_execution=on,
    )


def _add(session, user, code, quantity=1):
    product = session.scalar(
        select(Product).where(Product.tenant_id == user.tenant_id, Product.code == code)
    )
    basket_service.add_product(
        session, user.tenant_id, user, product.id, product.plans[0].id, quantity
    )


def _mixed_basket(session, user) -> None:
    """Azure Backup (automatic) and a Managed Firewall Setup added while the option was off."""
    _set_managed_option(session, user.tenant_id, False)
    _add(session, user, "AZ-BACKUP")
    _add(session, user, "MNG-FW")
    _set_managed_option(session, user.tenant_id, True)


def _orders(session) -> int:
    return session.scalar(select(func.count()).select_from(Order))


def test_the_basket_says_it_is_mixed_and_offers_to_remove_either_kind(client, session, demo):
    alice = _user(session)
    _mixed_basket(session, alice)
    login(client, "alice@acme.example")
    page = client.get("/basket")
    assert texts.BASKET_MIXED in text_of(page)
    buttons = [b.get_text(" ", strip=True) for b in soup(page).select(".mixed-basket button")]
    assert buttons == [
        texts.BASKET_REMOVE_MANUAL.format(count=1),
        texts.BASKET_REMOVE_AUTOMATIC.format(count=1),
    ]


def test_a_mixed_basket_cannot_start_checkout(client, session, demo):
    alice = _user(session)
    _mixed_basket(session, alice)
    with pytest.raises(Conflict) as refused:
        checkout.start_checkout(session, alice.tenant_id, alice)
    assert refused.value.message == texts.BASKET_MIXED
    before = _orders(session)
    login(client, "alice@acme.example")
    response = client.post("/checkout")
    assert response.status_code == 303 and response.headers["Location"].endswith("/basket")
    assert texts.BASKET_MIXED in text_of(client.get("/basket"))
    assert _orders(session) == before  # no draft


def test_a_checkout_started_before_the_change_is_not_placed_as_a_mixed_order(client, session, demo):
    alice = _user(session)
    _set_managed_option(session, alice.tenant_id, False)
    _add(session, alice, "AZ-BACKUP")
    _add(session, alice, "MNG-FW")
    login(client, "alice@acme.example")
    billing_url = client.post("/checkout").headers["Location"]
    order_id = int(billing_url.split("/")[2])
    data = {"billing_name": "Acme", "billing_address": "1 Main St", "payment_method": "card"}
    assert client.post(billing_url, data=data).status_code == 303
    _set_managed_option(session, alice.tenant_id, True)  # while the customer reviews

    with pytest.raises(Conflict) as refused:
        checkout.place(session, alice.tenant_id, alice, order_id)
    assert refused.value.message == texts.BASKET_MIXED
    placed = client.post(f"/checkout/{order_id}/place", data={"when": "now"})
    assert placed.status_code == 303 and placed.headers["Location"].endswith("/basket")
    assert texts.BASKET_MIXED in text_of(client.get("/basket"))
    session.expire_all()
    assert session.get(Order, order_id).status.mandatory_key == "draft"
    assert basket_service.basket_count(session, alice.id) == 2  # the basket is untouched


def test_a_checkout_whose_lines_all_changed_delivery_method_is_not_placed_as_reviewed(
    session, demo
):
    alice = _user(session)
    _set_managed_option(session, alice.tenant_id, False)
    _add(session, alice, "MNG-FW")
    draft = checkout.start_checkout(session, alice.tenant_id, alice)
    assert draft.execution_type == ExecutionType.AUTOMATIC
    _set_managed_option(session, alice.tenant_id, True)
    with pytest.raises(Conflict) as refused:
        checkout.place(session, alice.tenant_id, alice, draft.id)
    assert refused.value.message == texts.CHECKOUT_CHANGED
    again = checkout.start_checkout(session, alice.tenant_id, alice)
    assert again.execution_type == ExecutionType.MANUAL  # a fresh checkout is manual


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_removing_one_kind_leaves_a_basket_that_checks_out(client, session, demo, headers):
    alice = _user(session)
    _mixed_basket(session, alice)
    login(client, "alice@acme.example")
    data = {"execution_type": ExecutionType.MANUAL}
    response = client.post("/basket/remove-delivery", data=data, headers=headers)
    if headers:
        assert response.status_code == 200
        assert texts.BASKET_MIXED not in text_of(response)
        assert soup(response).find(id="basket") is not None
    else:
        assert response.status_code == 303 and response.headers["Location"].endswith("/basket")
    page = text_of(client.get("/basket"))
    assert texts.BASKET_MIXED not in page and "Azure Backup" in page
    assert "Managed Firewall Setup" not in page
    # a repeat (double click, retry) changes nothing more
    client.post("/basket/remove-delivery", data=data)
    assert basket_service.basket_count(session, alice.id) == 1
    assert client.post("/checkout").status_code == 303


def test_removing_a_kind_with_its_add_ons(client, session, demo):
    alice = _user(session)
    _set_managed_option(session, alice.tenant_id, False)
    priv = session.scalar(
        select(Product).where(Product.tenant_id == alice.tenant_id, Product.code == "PRIV-CLOUD")
    )
    basket_service.add_product(
        session,
        alice.tenant_id,
        alice,
        priv.id,
        priv.plans[0].id,
        2,
        addons={priv.addons[0].id: "4"},
    )
    _add(session, alice, "AZ-BACKUP")
    _set_managed_option(session, alice.tenant_id, True)
    removed = basket_service.remove_lines_by_delivery(
        session, alice.tenant_id, alice, ExecutionType.MANUAL
    )
    assert removed == 2  # the plan line and its add-on
    view = basket_service.load_basket(session, alice.tenant_id, alice, _account(session, alice))
    assert not view.mixed and [line.description for line in view.lines] == [
        "Azure Backup (Monthly)"
    ]


def _account(session, user):
    from core.models import Account

    return session.get(Account, user.account_id)


def test_an_unknown_delivery_method_is_refused_and_changes_nothing(client, session, demo):
    alice = _user(session)
    _mixed_basket(session, alice)
    login(client, "alice@acme.example")
    for bad in ("", "both", "x" * 200):
        response = client.post("/basket/remove-delivery", data={"execution_type": bad})
        assert response.status_code == 400, bad
        assert texts.BASKET_DELIVERY_INVALID in text_of(response)
    assert basket_service.basket_count(session, alice.id) == 2
