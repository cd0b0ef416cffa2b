"""Standard resellers approve or reject their customers' orders: service and Storefront pages.
A reseller sees only its own customers' orders; approved orders proceed as at checkout."""

from sqlalchemy import func, select

from core import texts
from core.enums import AccountKind, HoldReason
from core.models import Account, Invoice, Notification, Order, OrderEvent, OrderHold
from core.rules.statuses import OrderStatusType
from core.services import reseller_approval
from core.services.errors import NotFound
from tests.conftest import login, soup, text_of
from tests.helpers_issue5 import account, pending_approval_order, tenant, user


def _order(session, order_id) -> Order:
    session.expire_all()
    return session.get(Order, order_id)


def _other_reseller(session):
    t = tenant(session)
    other = Account(
        tenant_id=t.id, name="Rival IT", kind=AccountKind.STANDARD_RESELLER, email="r@rival.example"
    )
    session.add(other)
    session.commit()
    return other


def test_the_pending_approvals_page_lists_only_the_resellers_customers_orders(
    client, demo, session
):
    order_id = pending_approval_order(session)
    login(client, "carol@bluesky.example", bss=False)
    page = client.get("/reseller/approvals")
    assert page.status_code == 200
    assert _order(session, order_id).number in text_of(page)
    assert "Initech" in text_of(page)
    nav = soup(page).find("nav", {"aria-label": "Main"})
    assert nav.find("a", href="/reseller/approvals") is not None


def test_approving_executes_an_automatic_order_with_the_reason_in_the_history(
    client, demo, session
):
    order_id = pending_approval_order(session)
    login(client, "carol@bluesky.example", bss=False)
    response = client.post(
        f"/reseller/approvals/{order_id}/approve", data={"reason": "Budget confirmed"}
    )
    assert response.status_code == 303
    order = _order(session, order_id)
    assert order.status.type == OrderStatusType.AUTOMATIC_EXECUTE
    assert session.scalar(select(func.count()).where(Invoice.order_id == order_id)) == 1
    notes = " ".join(
        n or ""
        for n in session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order_id))
    )
    assert "Approved by the reseller: Budget confirmed" in notes
    hold = session.scalar(select(OrderHold).where(OrderHold.order_id == order_id))
    assert hold.released_at is not None
    assert hold.released_by_user_id == user(session, "carol@bluesky.example").id
    # gone from the list
    listing = soup(client.get("/reseller/approvals")).find(id="approvals").get_text(" ")
    assert _order(session, order_id).number not in listing


def test_an_approved_manual_order_is_submitted_for_the_operations_team(session, demo):
    order_id = pending_approval_order(session, code="MNG-FW", quantity=1)
    carol = user(session, "carol@bluesky.example")
    reseller_approval.approve(
        session, tenant(session).id, carol.account_id, order_id, actor=carol, reason=None
    )
    order = _order(session, order_id)
    assert order.status.mandatory_key == "submitted"
    open_holds = [h.reason for h in order.holds if h.released_at is None]
    assert open_holds == [HoldReason.MANUAL_EXECUTION]
    assert session.scalar(select(func.count()).where(Invoice.order_id == order_id)) == 0


def test_rejecting_needs_a_reason_and_cancels_by_reseller(client, demo, session):
    order_id = pending_approval_order(session)
    login(client, "carol@bluesky.example", bss=False)
    empty = client.post(
        f"/reseller/approvals/{order_id}/reject",
        data={"reason": " "},
        headers={"HX-Request": "true"},
    )
    assert empty.status_code == 422
    assert "<html" not in empty.get_data(as_text=True)
    assert texts.RESELLER_REASON_REQUIRED in text_of(empty)
    assert _order(session, order_id).status.type == OrderStatusType.IN_PROGRESS

    done = client.post(f"/reseller/approvals/{order_id}/reject", data={"reason": "Not budgeted"})
    assert done.status_code == 303
    order = _order(session, order_id)
    assert order.status.mandatory_key == "canceled_by_reseller"
    last = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id.desc())
    ).first()
    assert "Rejected by the reseller: Not budgeted" in last.note
    notice = session.scalar(select(Notification).where(Notification.order_id == order_id))
    assert notice.recipient == "it@initech.example"
    again = client.post(f"/reseller/approvals/{order_id}/approve")
    assert again.status_code == 409


def test_another_reseller_or_an_end_customer_cannot_touch_the_order(client, demo, session):
    order_id = pending_approval_order(session)
    rival = _other_reseller(session)
    try:
        reseller_approval.approve(
            session, tenant(session).id, rival.id, order_id, actor=None, reason=""
        )
    except NotFound:
        pass
    else:  # pragma: no cover
        raise AssertionError("a rival reseller approved the order")
    login(client, "dave@initech.example", bss=False)  # the customer himself
    assert client.get("/reseller/approvals").status_code == 403
    assert client.post(f"/reseller/approvals/{order_id}/approve").status_code == 403
    client.post("/logout")
    login(client, "alice@acme.example", bss=False)
    assert client.post(f"/reseller/approvals/{order_id}/approve").status_code == 403
    assert _order(session, order_id).status.type == OrderStatusType.IN_PROGRESS
    assert _order(session, order_id).status.storefront_type == "pending_approval"


def test_an_order_of_a_customer_of_another_reseller_is_a_404(client, demo, session):
    rival = _other_reseller(session)
    initech = account(session, "Initech")
    initech.reseller_account_id = rival.id
    session.commit()
    order_id = pending_approval_order(session)
    login(client, "carol@bluesky.example", bss=False)
    assert client.post(f"/reseller/approvals/{order_id}/approve").status_code == 404
    assert _order(session, order_id).number not in text_of(client.get("/reseller/approvals"))


def test_the_card_that_pays_an_approved_order_is_kept_for_the_renewals(client, demo, session):
    """A tester's approved card order was paid, but its card not kept: the renewals failed
    with "No card on file" and dunning suspended the subscription."""
    from core.models import AccountCard, Payment

    initech = account(session, "Initech")
    assert initech.payment_method == "card"
    session.query(AccountCard).filter(AccountCard.account_id == initech.id).delete()
    session.commit()
    order_id = pending_approval_order(session)
    login(client, "carol@bluesky.example", bss=False)
    approved = client.post(f"/reseller/approvals/{order_id}/approve", data={"reason": "OK"})
    assert approved.status_code == 303
    session.expire_all()
    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    assert payment.status == "succeeded" and payment.invoice_id == invoice.id
    card = session.scalar(select(AccountCard).where(AccountCard.account_id == initech.id))
    assert card is not None and (card.token, card.last4) == ("tok_sandbox_4242_test", "4242")


def test_with_htmx_an_approval_answers_in_place_and_focus_goes_to_its_result(client, demo, session):
    """The region is marked data-focus-answer and the result data-focus-after-swap: the shared
    htmx-forms.js moves focus there (as after Add to basket), not to <body>."""
    order_id = pending_approval_order(session)
    login(client, "carol@bluesky.example", bss=False)
    empty = client.post(
        f"/reseller/approvals/{order_id}/reject",
        data={"reason": " "},
        headers={"HX-Request": "true"},
    )
    region = soup(empty).find(id="approvals")
    assert region.has_attr("data-focus-answer")
    # a refused reason: focus goes to the field (its message is tied to it), as on a product
    assert region.select_one("[data-focus-after-swap]") is None
    assert region.select_one("[aria-invalid=true]")["id"] == f"reason-{order_id}"
    done = client.post(
        f"/reseller/approvals/{order_id}/reject",
        data={"reason": "Not budgeted"},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200 and "<html" not in done.get_data(as_text=True)
    region = soup(done).find(id="approvals")
    answer = region.select_one("[data-focus-after-swap]")
    assert answer["tabindex"] == "-1" and answer["role"] == "status"
    number = _order(session, order_id).number
    assert answer.get_text(strip=True) == texts.RESELLER_REJECTED.format(number=number)
    assert f"approval-{order_id}" not in str(region)  # the decided order left the list
