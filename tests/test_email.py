"""E-mail (issue 16): a real SMTP server in this process (aiosmtpd) receives each message once,
with a Message-ID and plain-text and HTML bodies from the templates; without MAIL_SERVER in
development messages land in the BSS's development mailbox (404 in production); a tenant can
turn a kind of message off."""

import pytest
from sqlalchemy import select

from core.models import Notification, OutboxItem
from core.rules import outbox as rules
from core.services import notifications
from tests.conftest import login, soup, text_of
from tests.queue_helpers import count, demo_tenant_id, item, note_of, send_note, smtp_server
from webapp import tasks


@pytest.fixture(autouse=True)
def _nothing_queued_but_ours(request):
    """The demo's own work (its executions' messages and provisioning) is not this test's."""
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")
        tasks.huey.flush()


def test_a_message_reaches_a_real_smtp_server_once_with_both_bodies(app, session, demo):
    with smtp_server() as (port, inbox):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="shop@sky.test")
        item_id = send_note(session, subject="Order SO0000007 needs you", recipient="ops@x.test")
        tasks.run_queued()
        tasks.relay_outbox.call_local()  # nothing left behind: no second copy
        tasks.run_queued()
    ids = [m["Message-ID"] for m in inbox.messages]  # the demo's own messages went too
    assert len(ids) == len(set(ids))  # ... each once
    ours = [m for m in inbox.messages if m["To"] == "ops@x.test"]
    assert len(ours) == 1
    message = ours[0]
    note = note_of(session, item_id)
    assert message["Message-ID"] == note.message_id and note.message_id.startswith("<")
    assert message["To"] == "ops@x.test" and message["From"] == "shop@sky.test"
    assert message["Subject"] == "Order SO0000007 needs you"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Body text." in text and "Body text." in html and "<h1>" in html
    assert note.transport == "smtp" and note.sent_at is not None


def test_a_server_that_cannot_be_reached_leaves_the_message_for_a_later_try(app, session, demo):
    from tests.queue_helpers import free_port

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens
    item_id = send_note(session)
    tasks.run_queued()
    pending = item(session, item_id)
    assert pending.status == rules.PENDING and pending.attempts == 1
    assert "ConnectionRefusedError" in pending.last_error
    assert note_of(session, item_id).sent_at is None
    with smtp_server() as (port, inbox):
        app.config.update(MAIL_PORT=port)
        from core.services import outbox

        outcome = outbox.process(
            session, item_id, tasks._handlers(), "w2", now=pending.next_attempt_at
        )
    assert outcome.status == "done" and len(inbox.messages) == 1


def test_a_message_already_sent_is_never_sent_again(app, session, demo):
    with smtp_server() as (port, inbox):
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        item_id = send_note(session)
        tasks.run_queued()
        # a worker died after the server's answer was recorded but before the item was done
        from core.db import write_transaction

        with write_transaction(session):
            row = session.get(OutboxItem, item_id)
            row.status = rules.PENDING
        again = tasks.deliver_outbox_item.call_local(item_id)
    assert again == "done"
    assert len(inbox.messages) == 1


def test_the_development_mailbox_shows_each_message(app, client, session, demo):
    item_id = send_note(session, subject="Welcome aboard", recipient="new@x.test")
    tasks.run_queued()
    login(client, "admin@skyline.example")
    listing = client.get("/bss/mailbox")
    assert listing.status_code == 200
    assert "Welcome aboard" in text_of(listing) and "Delivered to this mailbox" in text_of(listing)
    note = note_of(session, item_id)
    page = client.get(f"/bss/mailbox/{note.id}")
    assert note.message_id in text_of(page) and "Body text." in text_of(page)
    assert soup(client.get("/bss/")).find("a", string="Mailbox") is not None


def test_the_mailbox_does_not_exist_in_production(app, client, session, demo):
    item_id = send_note(session)
    login(client, "admin@skyline.example")
    app.config.update(DEVELOPMENT=False)
    assert client.get("/bss/mailbox").status_code == 404
    assert client.get(f"/bss/mailbox/{note_of(session, item_id).id}").status_code == 404
    assert soup(client.get("/bss/")).find("a", string="Mailbox") is None


def test_another_tenants_message_is_not_in_the_mailbox(app, client, session, demo):
    item_id = send_note(session)
    login(client, "admin@nimbus.example")
    assert client.get(f"/bss/mailbox/{note_of(session, item_id).id}").status_code == 404


def test_a_tenant_can_turn_a_kind_of_message_off_and_on(app, client, session, demo):
    login(client, "admin@skyline.example")
    page = soup(client.get("/bss/setup/notifications"))
    boxes = page.find_all("input", attrs={"name": "kinds"})
    # 12 kinds of issue 16; issue 17: the trial ending notice, 3 of payment and dunning;
    # an invoice issued (or its card receipt) and a credit note
    assert len(boxes) == 18 and all(b.has_attr("checked") for b in boxes)
    kept = [b["value"] for b in boxes if b["value"] != "manual_order"]
    saved = client.post("/bss/setup/notifications", data={"kinds": kept})
    assert saved.status_code == 303
    before = count(session, Notification)
    with_kind = notifications.notify(
        session, demo_tenant_id(session), "manual_order", "ops@x.test", "S", "B"
    )
    session.rollback()
    assert with_kind is None and count(session, Notification) == before
    # kinds that are not settings (a password reset) always go
    session.rollback()
    send_note(session, kind="password_reset")
    assert count(session, Notification) == before + 1
    client.post("/bss/setup/notifications", data={"kinds": kept + ["manual_order"]})
    assert notifications.settings(session, demo_tenant_id(session))["manual_order"] is True


def test_the_message_bodies_come_from_the_templates(app, session, demo):
    item_id = send_note(session, subject="Order SO1 & more")
    note = note_of(session, item_id)
    assert note.body.startswith("Body text.")
    # signed by the provider (the demo tenant), not by the platform
    assert "Sent by Skyline Cloud." in note.body and "Sent by Skyline Cloud." in note.html_body
    assert "Cloudshop" not in note.body
    assert "<h1>Order SO1 &amp; more</h1>" in note.html_body
    rows = session.scalars(select(Notification.message_id)).all()
    assert len(rows) == len(set(rows))  # every message has its own Message-ID
