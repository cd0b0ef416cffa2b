"""The Storefront through HTTP (Flask test client): catalogue, basket with htmx and without,
mixed-basket page, subscriptions and their pop-ups, checkout steps, billing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core import texts
from core.models import (
    BasketItem,
    Invoice,
    Order,
    Payment,
    Product,
    Subscription,
    SubscriptionAddOn,
    User,
)
from tests.conftest import login, soup, text_of

HTMX = {"HX-Request": "true"}
CARD = {
    "card_holder": "Alice Acme",
    "card_number": "4242 4242 4242 4242",
    "card_expiry": f"12/{(date.today().year + 2) % 100:02d}",
    "card_cvc": "123",
}


def product(session, code) -> Product:
    return session.scalar(
        select(Product)
        .join(Product.product_type)
        .where(Product.code == code)
        .order_by(Product.id.desc())
    )


def reseller_product(session, code) -> Product:
    from core.models import Tenant

    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant.id, Product.code == code)
    )


def add(client, session, code, quantity="1", headers=None, back=None):
    p = reseller_product(session, code)
    data = {"plan_id": str(p.plans[0].id), "quantity": quantity}
    if back:
        data["back"] = back
    return client.post(f"/products/{p.id}/add", data=data, headers=headers or {})


def basket_lines(session, email) -> int:
    user = session.scalar(select(User).where(User.email == email))
    from core.services.basket import basket_count

    return basket_count(session, user.id)


def test_anonymous_visitors_browse_the_catalogue_and_see_the_manual_marker(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Microsoft 365 Business Standard" in page
    assert "Dedicated Private Cloud" in page
    cards = {
        li.h2.get_text(strip=True): li.get_text(" ")
        for li in soup(response).select("li.product-card")
    }
    assert texts.DELIVERED_MANUALLY in cards["Managed Firewall Setup"]
    assert texts.DELIVERED_MANUALLY in cards["Secure Office Bundle"]  # a manual component
    assert texts.DELIVERED_MANUALLY not in cards["Azure Backup"]


def test_the_product_page_shows_plans_prices_add_ons_and_asks_anonymous_visitors_to_sign_in(
    client, session, demo
):
    p = reseller_product(session, "M365-STD")
    response = client.get(f"/products/{p.id}")
    page = text_of(response)
    assert "Annual" in page and "Extra Storage 100 GB" in page
    assert texts.SIGN_IN_TO_BUY in page
    assert client.post(f"/products/{p.id}/add", data={"quantity": "1"}).status_code in (302, 303)


def test_a_customer_sees_prices_of_their_own_price_list(client, session, demo):
    login(client, "carol@bluesky.example")  # Partner price list
    p = reseller_product(session, "M365-PREM")
    assert "€18.50" in text_of(client.get(f"/products/{p.id}"))


def test_adding_without_javascript_redirects_to_the_basket_with_the_manual_banner(
    client, session, demo
):
    login(client, "alice@acme.example")
    response = add(client, session, "MNG-FW")
    assert response.status_code == 303 and response.headers["Location"].endswith("/basket")
    page = text_of(client.get("/basket"))
    assert texts.MANUAL_BASKET_BANNER in page
    assert "Managed Firewall Setup" in page


def test_adding_with_htmx_answers_the_form_with_the_banner_and_an_out_of_band_counter(
    client, session, demo
):
    login(client, "alice@acme.example")
    response = add(client, session, "PRIV-CLOUD", headers=HTMX)
    assert response.status_code == 200
    html = soup(response)
    counter = html.find(id="basket-count")
    assert counter["hx-swap-oob"] == "true" and counter.get_text(strip=True).endswith("1")
    assert texts.MANUAL_BASKET_BANNER in html.get_text(" ")
    assert html.find("html") is None  # a fragment, not a page


def test_a_quantity_outside_the_plan_limits_is_refused_and_changes_nothing(client, session, demo):
    login(client, "alice@acme.example")
    for bad in ("0", "301", "2.5", "abc", "", "-1"):
        response = add(client, session, "M365-STD", quantity=bad, headers=HTMX)
        assert response.status_code == 422, bad
        assert "Enter a whole number of at least 1 and at most 300." in text_of(response)
    assert basket_lines(session, "alice@acme.example") == 0


def test_adding_the_other_type_leaves_the_basket_and_goes_to_the_mixed_basket_page(
    client, session, demo
):
    login(client, "alice@acme.example")
    add(client, session, "M365-STD")
    p = reseller_product(session, "MNG-FW")
    response = add(client, session, "MNG-FW", headers=HTMX, back=f"/products/{p.id}")
    assert response.status_code == 204
    target = response.headers["HX-Redirect"]
    assert "/basket/mixed" in target and "manual_into_automatic" in target
    assert basket_lines(session, "alice@acme.example") == 1
    page = client.get(target)
    assert texts.MIXED_BASKET_MANUAL_INTO_AUTOMATIC in text_of(page)
    links = {a.get_text(strip=True): a["href"] for a in soup(page).select("a.button")}
    assert links[texts.GO_BACK_TO_PREVIOUS_PAGE] == f"/products/{p.id}"
    assert links[texts.GO_TO_BASKET] == "/basket"


def test_the_automatic_into_manual_case_without_javascript_is_a_303_to_its_message(
    client, session, demo
):
    login(client, "alice@acme.example")
    add(client, session, "SEC-BUNDLE")  # a bundle with a manual component is manual
    response = add(client, session, "AZ-BACKUP")
    assert response.status_code == 303
    assert texts.MIXED_BASKET_AUTOMATIC_INTO_MANUAL in text_of(
        client.get(response.headers["Location"])
    )


def test_the_go_back_button_never_leaves_the_site(client, demo):
    login(client, "alice@acme.example")
    for evil in ("https://evil.example/", "//evil.example", "javascript:alert(1)", "/\\evil"):
        response = client.get(
            "/basket/mixed", query_string={"case": "manual_into_automatic", "back": evil}
        )
        back = soup(response).find("a", string=texts.GO_BACK_TO_PREVIOUS_PAGE)["href"]
        assert back == "/", evil


def test_changing_and_removing_items_with_htmx_re_renders_the_basket_and_counter(
    client, session, demo
):
    login(client, "alice@acme.example")
    add(client, session, "M365-STD", quantity="2")
    item = session.scalar(select(BasketItem).order_by(BasketItem.id.desc()))
    response = client.post(
        f"/basket/items/{item.id}/quantity", data={"quantity": "5"}, headers=HTMX
    )
    assert response.status_code == 200
    assert soup(response).find(id="basket-total").get_text(strip=True) == "€58.50"
    bad = client.post(f"/basket/items/{item.id}/quantity", data={"quantity": "5000"}, headers=HTMX)
    assert bad.status_code == 422 and "at most 300" in text_of(bad)
    session.refresh(item)
    assert item.quantity == 5
    gone = client.post(f"/basket/items/{item.id}/remove", headers=HTMX)
    assert soup(gone).find(id="basket-count").get_text(strip=True).endswith("0")
    assert texts.BASKET_EMPTY in text_of(gone)


def test_a_refused_basket_quantity_stays_in_its_field_with_its_message(client, session, demo):
    login(client, "alice@acme.example")
    add(client, session, "M365-STD", quantity="2")
    item = session.scalar(select(BasketItem).order_by(BasketItem.id.desc()))
    for typed in ("0", "-3", "abc", "301", "1.5"):
        for headers in ({}, HTMX):
            bad = client.post(
                f"/basket/items/{item.id}/quantity", data={"quantity": typed}, headers=headers
            )
            assert bad.status_code == 422, (typed, headers)
            field = soup(bad).find(id=f"qty-{item.id}")
            assert field["value"] == typed and field["aria-invalid"] == "true", (typed, headers)
            assert "at most 300" in text_of(bad)
    session.refresh(item)
    assert item.quantity == 2


def test_another_customers_basket_item_is_not_found(client, session, demo):
    login(client, "alice@acme.example")
    add(client, session, "M365-STD")
    item = session.scalar(select(BasketItem).order_by(BasketItem.id.desc()))
    client.post("/logout")
    login(client, "bob@globex.example")
    assert client.post(f"/basket/items/{item.id}/remove").status_code == 404
    assert (
        client.post(f"/basket/items/{item.id}/quantity", data={"quantity": "2"}).status_code == 404
    )


def test_the_credit_ribbon_shows_the_excess_before_checkout(client, session, demo):
    login(client, "bob@globex.example")  # €1,500 limit, €900 already open (demo)
    add(client, session, "M365-PREM", quantity="30")
    page = text_of(client.get("/basket"))
    assert texts.CREDIT_LIMIT_EXCEEDED_RIBBON.format(amount="€18.00") in page


def subscription(session, email, code) -> Subscription:
    user = session.scalar(select(User).where(User.email == email))
    return session.scalar(
        select(Subscription)
        .join(Product, Product.id == Subscription.product_id)
        .where(Subscription.account_id == user.account_id, Product.code == code)
    )


def test_my_subscriptions_lists_products_quantities_add_ons_and_trials(client, demo):
    login(client, "alice@acme.example")
    page = text_of(client.get("/subscriptions"))
    assert "Microsoft 365 Business Standard" in page and "Extra Storage 100 GB × 5" in page
    assert "trial until" in page
    assert "Upgrade to paid" in page and "Buy licenses" in page


def test_each_subscription_action_puts_a_change_in_the_basket(client, session, demo):
    login(client, "alice@acme.example")
    std = subscription(session, "alice@acme.example", "M365-STD")
    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    addon = session.scalar(
        select(SubscriptionAddOn).where(SubscriptionAddOn.subscription_id == std.id)
    )
    other_addon = [a for a in std.product.addons if a.id != addon.addon_id][0]
    premium = reseller_product(session, "M365-PREM")
    posts = [
        (std.id, "licenses", {"quantity": "3"}),
        (std.id, "addon", {"addon_id": str(other_addon.id), "quantity": "2"}),
        (std.id, "addon-quantity", {"addon_id": str(addon.addon_id), "quantity": "4"}),
        (std.id, "upgrade", {"target_product_id": str(premium.id)}),
        (trial.id, "to-paid", {}),
    ]
    for sub_id, action, data in posts:
        response = client.post(f"/subscriptions/{sub_id}/{action}", data=data, headers=HTMX)
        assert response.status_code == 204, (action, response.get_data(as_text=True)[:300])
        assert response.headers["HX-Redirect"] == "/basket"
    kinds = sorted(session.scalars(select(BasketItem.kind)))
    assert kinds == sorted(["licenses", "addon_new", "addon_quantity", "upgrade", "to_paid"])
    page = text_of(client.get("/basket"))
    assert "Additional licenses: Microsoft 365 Business Standard" in page
    assert "Upgrade Microsoft 365 Business Standard to Microsoft 365 Business Premium" in page


def test_a_mixing_subscription_action_answers_with_the_dialog_and_changes_nothing(
    client, session, demo
):
    login(client, "alice@acme.example")
    add(client, session, "M365-STD")
    manual_sub = subscription(session, "alice@acme.example", "PRIV-CLOUD")
    response = client.post(
        f"/subscriptions/{manual_sub.id}/licenses", data={"quantity": "1"}, headers=HTMX
    )
    assert response.status_code == 409
    dialog = soup(response).find("dialog")
    assert dialog.has_attr("data-autoshow") and dialog["aria-labelledby"] == "popup-heading"
    assert (
        dialog.find(id="popup-message").get_text(strip=True)
        == texts.POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET
    )
    assert basket_lines(session, "alice@acme.example") == 1


def test_without_javascript_the_pop_up_text_is_a_page(client, session, demo):
    login(client, "alice@acme.example")
    add(client, session, "MNG-FW")
    auto_sub = subscription(session, "alice@acme.example", "M365-STD")
    response = client.post(f"/subscriptions/{auto_sub.id}/licenses", data={"quantity": "1"})
    assert response.status_code == 409
    assert soup(response).find("html") is not None and soup(response).find("dialog") is None
    assert texts.POPUP_AUTOMATIC_SUBSCRIPTION_MANUAL_BASKET in text_of(response)


def checkout(client, session, email, code, quantity="1", card=None, when="now", schedule_on=None):
    login(client, email)
    add(client, session, code, quantity=quantity)
    start = client.post("/checkout")
    assert start.status_code == 303, start.get_data(as_text=True)[:300]
    billing_url = start.headers["Location"]
    order_id = int(billing_url.split("/")[2])
    billing = client.post(
        billing_url,
        data={
            "billing_name": "Acme Ltd",
            "billing_address": "1 Main St",
            "payment_method": "card" if email.startswith(("alice", "dave")) else "on_account",
        },
    )
    assert billing.status_code == 303, text_of(billing)[:500]
    review = client.get(billing.headers["Location"])
    assert review.status_code == 200
    data = {"when": when, **(card or {})}
    if schedule_on:
        data["schedule_on"] = schedule_on
    placed = client.post(f"/checkout/{order_id}/place", data=data)
    return order_id, review, placed


def test_the_whole_manual_checkout_submits_without_charging(client, session, demo):
    order_id, review, placed = checkout(client, session, "alice@acme.example", "MNG-FW")
    assert texts.MANUAL_BASKET_BANNER in text_of(review)
    assert soup(review).find(id="card_number") is None  # nothing to charge
    assert placed.status_code == 303
    confirmation = client.get(placed.headers["Location"])
    assert texts.MANUAL_ORDER_CONFIRMATION in text_of(confirmation)
    assert "Submitted" in text_of(confirmation)
    assert (
        session.scalar(
            select(func.count()).select_from(Payment).where(Payment.order_id == order_id)
        )
        == 0
    )
    assert (
        session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.order_id == order_id)
        )
        == 0
    )


def test_the_whole_automatic_checkout_charges_and_executes(client, session, demo):
    order_id, review, placed = checkout(
        client, session, "alice@acme.example", "AZ-BACKUP", "2", CARD
    )
    assert placed.status_code == 303
    page = text_of(client.get(placed.headers["Location"]))
    assert texts.AUTOMATIC_ORDER_CONFIRMATION in page and "Executed" in page
    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.card_last4 == "4242" and payment.status == "succeeded"
    # placing again (back button + resubmit) goes to the same confirmation, nothing new
    again = client.post(f"/checkout/{order_id}/place", data={"when": "now", **CARD})
    assert again.status_code == 303
    assert (
        session.scalar(
            select(func.count()).select_from(Payment).where(Payment.order_id == order_id)
        )
        == 1
    )


def test_a_declined_card_leaves_the_order_submitted_with_the_reason(client, session, demo):
    declined = {**CARD, "card_number": "4000000000000002"}
    order_id, _review, placed = checkout(
        client, session, "alice@acme.example", "AZ-BACKUP", "1", declined
    )
    page = text_of(client.get(placed.headers["Location"]))
    assert "Your card was declined." in page
    order = session.get(Order, order_id)
    session.refresh(order)
    assert order.status.mandatory_key == "submitted"
    assert (
        session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.order_id == order_id)
        )
        == 0
    )


def test_an_invalid_card_is_refused_with_field_messages_and_the_number_is_not_echoed(
    client, session, demo
):
    bad = {**CARD, "card_number": "4242 4242 4242 4241", "card_cvc": "1"}
    order_id, _review, placed = checkout(
        client, session, "alice@acme.example", "AZ-BACKUP", "1", bad
    )
    assert placed.status_code == 422
    html = soup(placed)
    assert "Enter a valid card number." in html.get_text(" ")
    assert html.find(id="card_number")["aria-describedby"] == "card_number-errors"
    assert "4241" not in placed.get_data(as_text=True)
    session.expire_all()
    assert session.get(Order, order_id).status.mandatory_key == "draft"


def test_a_scheduled_checkout_waits_with_its_date(client, session, demo):
    from datetime import timedelta

    from core.db import utcnow

    day = (utcnow().date() + timedelta(days=5)).isoformat()
    order_id, review, placed = checkout(
        client,
        session,
        "alice@acme.example",
        "AZ-BACKUP",
        "1",
        CARD,
        when="scheduled",
        schedule_on=day,
    )
    assert soup(review).find(id="schedule_on") is not None
    assert placed.status_code == 303
    session.expire_all()
    order = session.get(Order, order_id)
    assert order.status.mandatory_key == "scheduled" and order.scheduled_for.isoformat() == day
    assert session.scalar(select(Payment).where(Payment.order_id == order_id)).status == "awaiting"
    assert "scheduled" in text_of(client.get(placed.headers["Location"]))


def test_a_date_outside_the_window_is_refused(client, session, demo):
    from core.db import utcnow

    order_id, _review, placed = checkout(
        client,
        session,
        "alice@acme.example",
        "AZ-BACKUP",
        "1",
        CARD,
        when="scheduled",
        schedule_on=utcnow().date().isoformat(),
    )
    assert placed.status_code == 422 and "tomorrow to 60 days ahead" in text_of(placed)


def test_an_on_account_checkout_over_the_credit_limit_is_submitted_and_notified(
    client, session, demo
):
    from core.models import Notification

    order_id, review, placed = checkout(client, session, "bob@globex.example", "M365-PREM", "30")
    assert "exceeds your available credit" in text_of(review)
    page = text_of(client.get(placed.headers["Location"]))
    assert texts.CREDIT_REVIEW_CONFIRMATION in page
    recipients = set(
        session.scalars(select(Notification.recipient).where(Notification.order_id == order_id))
    )
    assert recipients == {"accounts@globex.example", "operator@skyline.example"}


def test_a_customer_of_a_standard_reseller_waits_for_approval(client, session, demo):
    order_id, _review, placed = checkout(
        client, session, "dave@initech.example", "M365-PREM", "1", CARD
    )
    assert texts.RESELLER_APPROVAL_CONFIRMATION in text_of(client.get(placed.headers["Location"]))
    session.expire_all()
    assert session.get(Order, order_id).status.mandatory_key == "pending_reseller_approval"


def test_orders_show_the_configured_status_and_a_submitted_order_can_be_canceled(
    client, session, demo
):
    order_id, _review, _placed = checkout(client, session, "alice@acme.example", "MNG-FW")
    listing = soup(client.get("/orders"))
    row = listing.find("a", string=session.get(Order, order_id).number).find_parent("tr")
    assert "Submitted" in row.get_text(" ")
    detail = client.get(f"/orders/{order_id}")
    assert texts.DELIVERY_PENDING in text_of(detail)
    response = client.post(f"/orders/{order_id}/cancel")
    assert response.status_code == 303
    assert "Canceled" in text_of(client.get(f"/orders/{order_id}"))
    assert client.post(f"/orders/{order_id}/cancel").status_code == 303  # refused, flashed
    assert texts.ORDER_NOT_CANCELABLE in text_of(client.get(f"/orders/{order_id}"))


def test_a_partly_delivered_order_shows_per_item_progress_and_cannot_be_canceled(
    client, session, demo
):
    login(client, "bob@globex.example")
    order = session.scalar(
        select(Order)
        .where(Order.parent_order_id.is_(None))
        .join(Order.account)
        .where(Order.account.has(name="Globex Corp"))
    )
    page = client.get(f"/orders/{order.id}")
    assert "1 of 2 delivered" in text_of(page)
    assert soup(page).find("button", string="Cancel this order") is None


def test_invoices_list_and_page(client, session, demo):
    login(client, "alice@acme.example")
    listing = client.get("/invoices")
    link = soup(listing).select_one("table a")
    page = client.get(link["href"])
    assert "Microsoft 365 Business Premium" in text_of(page)


def test_orders_and_invoices_of_another_account_are_not_found(client, session, demo):
    login(client, "alice@acme.example")
    globex_order = session.scalar(
        select(Order).join(Order.account).where(Order.account.has(name="Globex Corp"))
    )
    globex_invoice = session.scalar(
        select(Invoice).where(Invoice.account_id == globex_order.account_id)
    )
    assert client.get(f"/orders/{globex_order.id}").status_code == 404
    assert client.get(f"/invoices/{globex_invoice.id}").status_code == 404
    assert client.post(f"/orders/{globex_order.id}/cancel").status_code == 404
    assert client.get(f"/checkout/{globex_order.id}/review").status_code == 404


def test_a_checkout_restarted_in_another_tab_is_not_placed_from_the_stale_review(
    client, session, demo
):
    login(client, "alice@acme.example")
    add(client, session, "AZ-BACKUP")
    first = client.post("/checkout").headers["Location"].split("/")[2]
    stale_key = soup(client.get(f"/checkout/{first}/review")).find(id="checkout_key")["value"]
    add(client, session, "M365-PREM")  # the basket changes in the other tab...
    second = client.post("/checkout").headers["Location"].split("/")[2]  # ...which restarts
    response = client.post(
        f"/checkout/{second}/place", data={"when": "now", "checkout_key": stale_key, **CARD}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/basket")
    assert texts.CHECKOUT_CHANGED in text_of(client.get("/basket"))
    payments = select(func.count()).select_from(Payment).where(Payment.order_id == int(second))
    assert session.scalar(payments) == 0
    fresh_key = soup(client.get(f"/checkout/{second}/review")).find(id="checkout_key")["value"]
    placed = client.post(
        f"/checkout/{second}/place", data={"when": "now", "checkout_key": fresh_key, **CARD}
    )
    assert "/confirmation" in placed.headers["Location"]


def test_a_custom_pending_approval_status_is_shown_to_the_customer(client, session, demo):
    from core.db import write_transaction
    from core.models import OrderStatus
    from core.services.statuses import set_order_status

    order_id, _review, _placed = checkout(client, session, "alice@acme.example", "MNG-FW")
    order = session.get(Order, order_id)
    with write_transaction(session):
        # every Storefront Type but Draft is shown, Pending approval too (issue 13 point 2)
        review = OrderStatus(
            tenant_id=order.tenant_id,
            number=40,
            description="Internal credit check",
            type="in_progress",
            storefront_type="pending_approval",
            color="#123456",
        )
        session.add(review)
        session.flush()
        set_order_status(session, order, review, note="internal")
    row = soup(client.get("/orders")).find("a", string=order.number).find_parent("tr")
    assert "Internal credit check" in row.get_text(" ")
    assert "Internal credit check" in text_of(client.get(f"/orders/{order_id}"))


def test_the_product_page_shows_the_best_promotion_of_the_day(client, session, demo):
    """The best active promotion of the product's tenant that day; expired, future, inactive
    and other tenants' promotions are ignored; the price-list prices are shown as they are."""
    from datetime import timedelta
    from decimal import Decimal

    from core.db import utcnow, write_transaction
    from core.models import Promotion, Tenant

    reseller = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    distributor = session.scalar(select(Tenant).where(Tenant.slug == "distributor"))
    backup = session.scalar(
        select(Product).where(Product.tenant_id == reseller.id, Product.code == "AZ-BACKUP")
    )
    today = utcnow().date()

    def promotion(tenant_id, percent, starts, ends, active=True):
        return Promotion(
            tenant_id=tenant_id,
            product_id=backup.id,
            name=f"{percent} %",
            percent_off=Decimal(percent),
            starts_on=today + timedelta(days=starts),
            ends_on=today + timedelta(days=ends),
            active=active,
        )

    url = f"/products/{backup.id}"
    assert "Promotion:" not in text_of(client.get(url))
    with write_transaction(session):
        session.add_all(
            [
                promotion(reseller.id, "15", -3, 3),
                promotion(reseller.id, "25", -3, 3),  # the best of the day
                promotion(reseller.id, "50", -10, -1),  # expired
                promotion(reseller.id, "60", 1, 10),  # not started
                promotion(reseller.id, "70", -3, 3, active=False),
                promotion(distributor.id, "80", -3, 3),  # another tenant's
            ]
        )
    page = text_of(client.get(url))
    assert "Promotion: 25% off" in page
    for other in ("15%", "50%", "60%", "70%", "80%"):
        assert other not in page
