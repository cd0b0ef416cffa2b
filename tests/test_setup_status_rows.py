"""Setup › Order Status (issue 13, point 16): saving one row with htmx answers that row alone
(the other rows and their unsaved edits stay), a colour change shows on the next page at once
(the colour stylesheet is revalidated, never kept 60 s), and a colour too pale to see on the
badge is refused with a message and changes nothing. Both engines."""

from sqlalchemy import select

from core import texts
from core.models import AuditEntry, OfferStatus, OrderStatus, Tenant
from tests.conftest import login, soup, text_of

HTMX = {"HX-Request": "true"}


def _status(session, key, model=OrderStatus, column="mandatory_key"):
    session.expire_all()
    return session.scalar(
        select(model)
        .join(Tenant, Tenant.id == model.tenant_id)
        .where(getattr(model, column) == key, Tenant.slug == "reseller")
    )


def _values(status, **changes):
    values = {
        "number": str(status.number),
        "description": status.description,
        "type": status.type,
        "color": status.color,
        "active": "y" if status.active else "",
    }
    if hasattr(status, "storefront_type"):
        values["storefront_type"] = status.storefront_type
    values.update(changes)
    return {k: v for k, v in values.items() if v != ""}


def test_saving_one_row_with_htmx_answers_that_row_alone(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    submitted = _status(session, "submitted")
    response = client.post(
        f"/bss/setup/order-statuses/{submitted.id}",
        data=_values(submitted, description="Submitted to operations", color="#1d4ed8"),
        headers=HTMX,
    )
    assert response.status_code == 200
    rows = soup(response).find_all("tr")
    assert [row["id"] for row in rows] == [f"row-{submitted.id}"]  # no other row is replaced
    assert texts.STATUS_ROW_SAVED in text_of(response)
    # the saved row brings the colour classes again (a URL that changes with the colours)
    link = soup(response).find("link", rel="stylesheet")
    assert link["href"].startswith("/status-colors.css?v=")
    assert ".status-color-1d4ed8" in client.get(link["href"]).get_data(as_text=True)
    saved = _status(session, "submitted")
    assert (saved.description, saved.color) == ("Submitted to operations", "#1d4ed8")


def test_adding_a_status_with_htmx_answers_its_row_and_a_fresh_row_to_add_another(
    client, demo, session
):
    login(client, "admin@skyline.example", bss=True)
    response = client.post(
        "/bss/setup/order-statuses",
        data={
            "number": "9",
            "description": "Awaiting hardware",
            "type": "in_progress",
            "storefront_type": "viewable",
            "color": "#123456",
            "active": "y",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    added = _status(session, "Awaiting hardware", column="description")
    rows = soup(response).find_all("tr")
    assert [row["id"] for row in rows] == [f"row-{added.id}", "row-new"]
    assert soup(response).find(id="new-description").get("value") in (None, "")
    # refused: the new row alone again, with what was typed and why
    again = client.post(
        "/bss/setup/order-statuses",
        data={
            "number": "10",
            "description": "Awaiting hardware",
            "type": "in_progress",
            "storefront_type": "viewable",
            "color": "#123456",
            "active": "y",
        },
        headers=HTMX,
    )
    assert again.status_code == 422
    assert [row["id"] for row in soup(again).find_all("tr")] == ["row-new"]
    assert texts.STATUS_DESCRIPTION_TAKEN in text_of(again)
    assert soup(again).find(id="new-description")["value"] == "Awaiting hardware"


def test_the_save_buttons_swap_only_their_own_row(client, demo):
    login(client, "admin@skyline.example", bss=True)
    page = soup(client.get("/bss/setup/order-statuses"))
    for row in page.select("tbody tr[id^=row-]"):
        for form in row.find_all("form"):
            assert form["hx-target"] == "#" + row["id"], form
            assert form["hx-swap"] == "outerHTML"


def test_a_refused_row_with_htmx_answers_that_row_with_the_message_and_keeps_the_input(
    client, demo, session
):
    login(client, "admin@skyline.example", bss=True)
    submitted = _status(session, "submitted")
    draft = _status(session, "draft")
    response = client.post(
        f"/bss/setup/order-statuses/{submitted.id}",
        data=_values(submitted, description=draft.description),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert [row["id"] for row in soup(response).find_all("tr")] == [f"row-{submitted.id}"]
    assert texts.STATUS_DESCRIPTION_TAKEN in text_of(response)
    typed = soup(response).find("input", id=f"status-{submitted.id}-description")
    assert typed["value"] == draft.description
    assert _status(session, "submitted").description == "Submitted"


def test_deleting_a_row_with_htmx_removes_that_row_alone(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    client.post(
        "/bss/setup/order-statuses",
        data={
            "number": "9",
            "description": "Awaiting hardware",
            "type": "in_progress",
            "storefront_type": "viewable",
            "color": "#123456",
            "active": "y",
        },
    )
    custom = _status(session, "Awaiting hardware", column="description")
    response = client.post(f"/bss/setup/order-statuses/{custom.id}/delete", headers=HTMX)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert _status(session, "Awaiting hardware", column="description").deleted_at is not None


def test_a_colour_change_shows_on_the_next_page_at_once(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    first = client.get("/status-colors.css")
    assert first.status_code == 200
    cache = first.headers["Cache-Control"]
    assert "no-cache" in cache and "max-age" not in cache
    etag = first.headers["ETag"]
    assert client.get("/status-colors.css", headers={"If-None-Match": etag}).status_code == 304
    submitted = _status(session, "submitted")
    saved = client.post(
        f"/bss/setup/order-statuses/{submitted.id}", data=_values(submitted, color="#0f766e")
    )
    assert saved.status_code == 303
    again = client.get("/status-colors.css", headers={"If-None-Match": etag})
    assert again.status_code == 200  # the browser's copy is stale now
    assert ".status-color-0f766e" in again.get_data(as_text=True)
    assert again.headers["ETag"] != etag


def test_a_colour_too_pale_for_the_badge_is_refused_and_nothing_changes(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    submitted = _status(session, "submitted")
    audits = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    response = client.post(
        f"/bss/setup/order-statuses/{submitted.id}", data=_values(submitted, color="#fde68a")
    )
    assert response.status_code == 422
    assert texts.STATUS_COLOR_TOO_PALE.format(ratio="1.0") in text_of(response)
    assert _status(session, "submitted").color == "#b45309"
    latest = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert latest == audits
    # a new status too
    response = client.post(
        "/bss/setup/order-statuses",
        data={
            "number": "9",
            "description": "Barely visible",
            "type": "in_progress",
            "storefront_type": "viewable",
            "color": "#ffffff",
            "active": "y",
        },
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "too pale" in text_of(response)
    assert _status(session, "Barely visible", column="description") is None


def test_a_pale_offer_status_colour_is_refused_too(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    accepted = _status(session, "accepted", OfferStatus, "default_key")
    response = client.post(
        f"/bss/setup/offer-statuses/{accepted.id}",
        data=_values(accepted, color="#f3f4f6"),
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "too pale" in text_of(response)
    assert _status(session, "accepted", OfferStatus, "default_key").color == "#15803d"


def test_every_row_previews_its_badge_beside_the_colour_picker(client, demo):
    login(client, "admin@skyline.example", bss=True)
    page = soup(client.get("/bss/setup/order-statuses"))
    pickers = page.select("input[type=color][data-badge-preview]")
    assert len(pickers) == len(page.select("tbody tr"))  # every row, the new one too
    for picker in pickers:
        preview = page.find(id=picker["data-badge-preview"])
        assert "status-badge" in preview["class"]
        assert preview.find(class_="status-dot")
    assert page.find("script", src="/static/js/status-colors.js")
