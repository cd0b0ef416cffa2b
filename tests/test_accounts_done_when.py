"""Issue 14's done-when, the customer's half, through the pages: an admin creates a customer
account with a credit limit and a price list, invites its user, who sets a password from the
e-mail link, signs in, resets the password, buys within the limit (executed) and is held over
it. (The other half, an operator who must set up two-factor sign-in, is in
tests/test_two_factor.py; the sharing rules in tests/test_sharing.py.)"""

from __future__ import annotations

from sqlalchemy import select

from core.enums import HoldReason
from core.models import Account, OrderHold, PriceList, Product, Tenant, User
from core.rules.statuses import StatusKey
from core.services import basket as basket_service
from core.services import checkout
from tests.conftest import login
from tests.security_helpers import client_for, reset_throttling
from tests.test_people import GOOD_PASSWORD, _path
from tests.test_storefront_checkout import status_key
from tests.test_storefront_people import _last_link


def _buy(session, user, quantity):
    product = session.scalar(
        select(Product).where(Product.tenant_id == user.tenant_id, Product.code == "AZ-BACKUP")
    )
    basket_service.add_product(
        session, user.tenant_id, user, product.id, product.plans[0].id, quantity
    )
    order = checkout.start_checkout(session, user.tenant_id, user)
    checkout.place(session, user.tenant_id, user, order.id)
    return order


def test_a_new_customer_from_account_to_credit_hold(app, demo, session):
    reset_throttling()
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    partner = session.scalar(
        select(PriceList.id).where(PriceList.tenant_id == tenant.id, PriceList.name == "Partner")
    )
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    created = admin.post(
        "/bss/accounts/new",
        data={
            "name": "Wayne Enterprises",
            "kind": "end_customer",
            "price_list_id": str(partner),
            "payment_method": "on_account",
            "credit_limit": "100",
            "billing_email": "ap@wayne.example",
            "timezone": "America/New_York",
        },
    )
    assert created.status_code == 303
    session.rollback()  # the requests ran in their own sessions
    account = session.scalar(select(Account).where(Account.name == "Wayne Enterprises"))
    assert account.price_list_id == partner
    invited = admin.post(
        f"/bss/accounts/{account.id}/users/invite",
        data={"email": "bruce@wayne.example", "name": "Bruce Wayne", "role": "account_admin"},
    )
    assert invited.status_code == 303

    bruce = client_for(app)
    link = _path(_last_link(session, "bruce@wayne.example", "/invitation/"))
    bruce.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    login(bruce, "bruce@wayne.example", GOOD_PASSWORD, bss=False)
    assert bruce.post("/password/forgot", data={"email": "bruce@wayne.example"}).status_code == 303
    reset = _path(_last_link(session, "bruce@wayne.example", "/password/reset/"))
    new_password = "second-" + GOOD_PASSWORD
    assert (
        bruce.post(reset, data={"password": new_password, "confirm": new_password}).status_code
        == 303
    )
    login(bruce, "bruce@wayne.example", new_password, bss=False)

    session.rollback()
    user = session.scalar(select(User).where(User.email == "bruce@wayne.example"))
    within = _buy(session, user, 1)
    assert status_key(session, within) == StatusKey.EXECUTED
    over = _buy(session, user, 20)
    assert status_key(session, over) == StatusKey.SUBMITTED
    hold = session.scalar(select(OrderHold).where(OrderHold.order_id == over.id))
    assert hold.reason == HoldReason.CREDIT_LIMIT
    reset_throttling()
