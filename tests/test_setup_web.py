"""BSS Setup pages through the Flask test client: full page, htmx fragment, plain form post,
invalid input that changes nothing and says why, roles and tenant isolation."""

from sqlalchemy import func, select

from core import texts
from core.models import AuditEntry, OrderStatus, ProductType, Tenant
from tests.conftest import login, soup, text_of


def _pt(session, name, tenant_slug="reseller"):
    return session.scalar(
        select(ProductType)
        .join(Tenant, Tenant.id == ProductType.tenant_id)
        .where(ProductType.name == name, Tenant.slug == tenant_slug)
    )


def test_an_admin_turns_the_option_on_for_a_product_type(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    cloud = _pt(session, "Cloud Services")
    page = client.get(f"/bss/setup/product-types/{cloud.id}")
    assert page.status_code == 200
    assert "Customer Request" in text_of(page)
    assert texts.NON_AUTOMATIC_LABEL in text_of(page)
    response = client.post(
        f"/bss/setup/product-types/{cloud.id}",
        data={"name": "Cloud Services", "non_automatic_execution": "y"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert _pt(session, "Cloud Services").non_automatic_execution is True
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "product_type")
        )
        == 1
    )


def test_asset_types_have_no_customer_request_section(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    asset = _pt(session, "Microsoft Perpetual License Assets")
    page = client.get(f"/bss/setup/product-types/{asset.id}")
    assert "Customer Request" not in text_of(page)
    assert soup(page).find("input", {"name": "non_automatic_execution"}) is None
    # and a crafted POST cannot turn it on
    response = client.post(
        f"/bss/setup/product-types/{asset.id}",
        data={"name": asset.name, "non_automatic_execution": "y"},
    )
    assert response.status_code == 422
    session.expire_all()
    assert _pt(session, asset.name).non_automatic_execution is False


def _remove_qualifying_status(session, tenant_id):
    """As imported legacy data would be: no active In progress / Viewable status."""
    submitted = session.scalar(
        select(OrderStatus).where(
            OrderStatus.tenant_id == tenant_id, OrderStatus.mandatory_key == "submitted"
        )
    )
    submitted.active = False
    session.commit()


def test_without_a_qualifying_status_the_save_is_refused_with_the_seed_message(
    client, demo, session
):
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    _remove_qualifying_status(session, tenant.id)
    login(client, "admin@skyline.example", bss=True)
    cloud = _pt(session, "Cloud Services")
    response = client.post(
        f"/bss/setup/product-types/{cloud.id}",
        data={"name": "Renamed too", "non_automatic_execution": "y"},
    )
    assert response.status_code == 422
    assert texts.NON_AUTOMATIC_PRECONDITION in text_of(response)
    link = soup(response).find("a", string=lambda s: s and "Order Status" in s)
    assert link["href"] == "/bss/setup/order-statuses"
    session.expire_all()
    unchanged = session.get(ProductType, cloud.id)
    assert unchanged.name == "Cloud Services" and not unchanged.non_automatic_execution


def test_htmx_gets_only_the_form_fragment(client, demo, session):
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    _remove_qualifying_status(session, tenant.id)
    login(client, "admin@skyline.example", bss=True)
    cloud = _pt(session, "Cloud Services")
    response = client.post(
        f"/bss/setup/product-types/{cloud.id}",
        data={"name": "Cloud Services", "non_automatic_execution": "y"},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in body and 'id="product-type-form"' in body
    assert texts.NON_AUTOMATIC_PRECONDITION in text_of(response)


def test_a_new_product_type_is_created_by_a_plain_form_post(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    response = client.post(
        "/bss/setup/product-types/new", data={"name": "Consulting", "non_automatic_execution": "y"}
    )
    assert response.status_code == 303
    assert _pt(session, "Consulting").non_automatic_execution is True
    duplicate = client.post("/bss/setup/product-types/new", data={"name": "consulting"})
    assert duplicate.status_code == 422 and texts.PRODUCT_TYPE_NAME_TAKEN in text_of(duplicate)


def _status(session, tenant_slug, key):
    tenant = session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
    return session.scalar(
        select(OrderStatus).where(
            OrderStatus.tenant_id == tenant.id, OrderStatus.mandatory_key == key
        )
    )


def test_the_order_status_table_lists_every_default(client, demo):
    login(client, "admin@skyline.example", bss=True)
    page = text_of(client.get("/bss/setup/order-statuses"))
    for name in (
        "Draft",
        "Submitted",
        "Executed",
        "Canceled",
        "Pending Reseller Approval",
        "Canceled by Reseller",
        "Executing",
        "Scheduled",
    ):
        assert name in page


def test_a_custom_status_is_added_and_shown(client, demo, session):
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
    )
    assert response.status_code == 303
    assert "Awaiting hardware" in text_of(client.get("/bss/setup/order-statuses"))


def test_crafted_posts_cannot_break_a_status_rule(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    executed = _status(session, "reseller", "executed")
    count = session.scalar(select(func.count()).select_from(OrderStatus))
    attempts = [
        (
            "/bss/setup/order-statuses",
            {
                "number": "9",
                "description": "Sched",
                "type": "scheduled",
                "storefront_type": "viewable",
                "color": "#123456",
                "active": "y",
            },
            texts.STATUS_SYSTEM_ONLY_TYPE,
        ),
        (
            "/bss/setup/order-statuses",
            {
                "number": "9",
                "description": "Done 2",
                "type": "automatic_execute",
                "storefront_type": "submitted",
                "color": "#123456",
                "active": "y",
            },
            texts.STATUS_ONE_ACTIVE_EXECUTED,
        ),
        (
            f"/bss/setup/order-statuses/{executed.id}",
            {
                "number": "3",
                "description": "Executed",
                "type": "automatic_execute",
                "storefront_type": "submitted",
                "color": "#15803d",
            },
            texts.STATUS_MANDATORY_NO_DEACTIVATE,
        ),
        (f"/bss/setup/order-statuses/{executed.id}/delete", {}, texts.STATUS_MANDATORY_NO_DELETE),
        (
            f"/bss/setup/order-statuses/{executed.id}",
            {
                "number": "3",
                "description": "Executed",
                "type": "delivered",
                "storefront_type": "submitted",
                "color": "#15803d",
                "active": "y",
            },
            texts.STATUS_MANDATORY_TYPE_LOCKED,
        ),
        (
            "/bss/setup/order-statuses",
            {
                "number": "x",
                "description": "",
                "type": "nope",
                "storefront_type": "viewable",
                "color": "#123456",
            },
            None,
        ),
    ]
    for url, data, message in attempts:
        response = client.post(url, data=data)
        assert response.status_code == 422, (url, data)
        if message:
            assert message in text_of(response)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OrderStatus)) == count
    executed = session.get(OrderStatus, executed.id)
    assert executed.active and executed.type == "automatic_execute" and executed.deleted_at is None


def test_a_status_in_use_is_never_hard_deleted(client, demo, session):
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
    status = session.scalar(
        select(OrderStatus).where(OrderStatus.description == "Awaiting hardware")
    )
    assert status is not None
    assert client.post(f"/bss/setup/order-statuses/{status.id}/delete").status_code == 303
    session.expire_all()
    kept = session.get(OrderStatus, status.id)
    assert kept is not None and kept.deleted_at is not None and not kept.active
    assert "Awaiting hardware" not in text_of(client.get("/bss/setup/order-statuses"))


def test_offer_statuses_keep_one_active_status_per_type(client, demo, session):
    from core.models import OfferStatus

    login(client, "admin@skyline.example", bss=True)
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    lost = session.scalar(
        select(OfferStatus).where(
            OfferStatus.default_key == "lost", OfferStatus.tenant_id == tenant.id
        )
    )
    response = client.post(f"/bss/setup/offer-statuses/{lost.id}/delete")
    assert response.status_code == 422
    assert texts.OFFER_STATUS_LAST_OF_TYPE in text_of(response)


def test_api_options_are_saved(client, demo, session):
    from core.models import ApiOptions, User

    login(client, "admin@skyline.example", bss=True)
    operator = session.scalar(select(User).where(User.email == "operator@skyline.example"))
    response = client.post(
        "/bss/setup/api-options",
        data={"responsible_user_id": str(operator.id), "sharing_rule": "public"},
    )
    assert response.status_code == 303
    options = session.scalar(select(ApiOptions).where(ApiOptions.tenant_id == operator.tenant_id))
    session.refresh(options)
    assert options.responsible_user_id == operator.id and options.sharing_rule == "public"
    dist_admin = session.scalar(select(User).where(User.email == "admin@nimbus.example"))
    bad = client.post(
        "/bss/setup/api-options",
        data={"responsible_user_id": str(dist_admin.id), "sharing_rule": "public"},
    )
    assert bad.status_code == 422


def test_operators_and_customers_cannot_reach_setup(client, demo):
    login(client, "operator@skyline.example", bss=True)
    assert client.get("/bss/setup/product-types").status_code == 403
    assert client.post("/bss/setup/order-statuses", data={}).status_code == 403
    client.post("/bss/logout")
    login(client, "alice@acme.example", bss=False)
    assert client.get("/bss/setup/product-types").status_code == 403


def test_anonymous_users_are_sent_to_the_bss_login(client, demo):
    response = client.get("/bss/setup/product-types")
    assert response.status_code == 302 and "/bss/login" in response.headers["Location"]


def test_one_tenants_admin_cannot_see_or_change_another_tenants_setup(client, demo, session):
    other = _pt(session, "Cloud Services")  # reseller's
    distributor = session.scalar(select(Tenant).where(Tenant.slug == "distributor"))
    reseller_type = session.scalar(
        select(ProductType).where(
            ProductType.name == "Cloud Services", ProductType.tenant_id != distributor.id
        )
    )
    dist_status = _status(session, "distributor", "submitted")
    login(client, "admin@nimbus.example", bss=True)
    assert other is not None
    assert client.get(f"/bss/setup/product-types/{reseller_type.id}").status_code == 404
    response = client.post(
        f"/bss/setup/product-types/{reseller_type.id}",
        data={"name": "Hacked", "non_automatic_execution": "y"},
    )
    assert response.status_code == 404
    reseller_status = _status(session, "reseller", "submitted")
    assert (
        client.post(
            f"/bss/setup/order-statuses/{reseller_status.id}",
            data={
                "number": "2",
                "description": "Hacked",
                "type": "in_progress",
                "storefront_type": "viewable",
                "color": "#000000",
                "active": "y",
            },
        ).status_code
        == 404
    )
    assert client.post(f"/bss/setup/order-statuses/{reseller_status.id}/delete").status_code == 404
    session.expire_all()
    assert session.get(ProductType, reseller_type.id).name == "Cloud Services"
    assert session.get(OrderStatus, reseller_status.id).description == "Submitted"
    assert dist_status.tenant_id == distributor.id
    names = text_of(client.get("/bss/setup/product-types"))
    assert "Cloud Services" in names  # the distributor's own


def test_an_existing_custom_rows_type_picker_offers_only_choosable_types(client, demo, session):
    """Tester: an existing custom row offered Scheduled and Executing, always refused on save,
    and the refusal sat under Description saying "a new status" although the row was not new."""
    login(client, "admin@skyline.example", bss=True)
    row = {
        "number": "12",
        "description": "Delivered to customer",
        "type": "delivered",
        "storefront_type": "viewable",
        "color": "#123456",
        "active": "y",
    }
    assert client.post("/bss/setup/order-statuses", data=row).status_code == 303
    custom = session.scalar(
        select(OrderStatus).where(OrderStatus.description == "Delivered to customer")
    )
    page = soup(client.get("/bss/setup/order-statuses"))
    picker = page.find("select", id=f"status-{custom.id}-type")
    offered = {o["value"] for o in picker.find_all("option")}
    assert "scheduled" not in offered and "executing" not in offered
    assert "delivered" in offered
    # a crafted post is refused, on the Type field, with words that fit an existing row
    response = client.post(
        f"/bss/setup/order-statuses/{custom.id}",
        data={**row, "type": "scheduled"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    cells = soup(response).find(id=f"row-{custom.id}").find_all("td")
    type_cell, description_cell = cells[2], cells[1]
    assert texts.STATUS_SYSTEM_ONLY_TYPE_CHANGE in type_cell.get_text(" ", strip=True)
    assert "new status" not in soup(response).get_text(" ", strip=True)
    assert description_cell.find(class_="field-errors") is None
    picker = type_cell.find("select")
    assert picker["aria-invalid"] == "true"
    assert picker["aria-describedby"] == f"status-{custom.id}-type-errors"
    session.expire_all()
    assert session.get(OrderStatus, custom.id).type == "delivered"
