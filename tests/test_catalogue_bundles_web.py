"""Upgrade targets and bundles (issue 15, part B), through the web on both engines: a bundle's
execution type comes from the seed rule (manual if any component is), shown after each save
and live through htmx; upgrade targets are added by code, once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import texts
from core.models import BundleComponent, PriceList, Product, ProductUpgrade, Tenant
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for


@pytest.fixture
def admin(app, demo):
    client = client_for(app)
    login(client, "admin@skyline.example", bss=True)
    return client


def _product(session, code) -> Product:
    session.rollback()  # a new snapshot: see what the requests wrote
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.code == code)
    )


def _new_product(admin, session, code, type_name="Cloud Services") -> Product:
    from core.models import ProductType

    type_id = session.scalar(
        select(ProductType.id).where(
            ProductType.name == type_name,
            ProductType.tenant_id == _product(session, "AZ-BACKUP").tenant_id,
        )
    )
    response = admin.post(
        "/bss/catalogue/products/new",
        data={
            "code": code,
            "name": f"{code} bundle",
            "product_type_id": str(type_id),
            "billing_kind": "recurring",
            "published": "y",
        },
    )
    assert response.status_code == 303
    return _product(session, code)


def test_a_bundle_with_a_manual_component_is_delivered_manually_and_says_so(admin, app, session):
    bundle = _new_product(admin, session, "OFFICE-PACK")
    url = f"/bss/catalogue/products/{bundle.id}"
    assert "Delivered automatically" in text_of(admin.get(url))
    response = admin.post(f"{url}/components", data={"code": "az-backup", "quantity": "2"})
    assert response.status_code == 303
    page = soup(admin.get(url))
    assert "Delivered automatically" in page.find(id="product-execution").get_text()
    admin.post(f"{url}/components", data={"code": "MNG-FW", "quantity": "1"})
    page = soup(admin.get(url))
    assert texts.DELIVERED_MANUALLY in page.find(id="product-execution").get_text()
    bundle = _product(session, "OFFICE-PACK")
    assert bundle.is_bundle
    quantities = dict(
        session.execute(
            select(BundleComponent.component_id, BundleComponent.quantity).where(
                BundleComponent.bundle_id == bundle.id
            )
        ).all()
    )
    assert quantities == {
        _product(session, "AZ-BACKUP").id: 2,
        _product(session, "MNG-FW").id: 1,
    }
    # once it has a price it can be bought: the Storefront shows it as a manual bundle
    standard = session.scalar(
        select(PriceList.id).where(
            PriceList.tenant_id == bundle.tenant_id, PriceList.name == "Standard"
        )
    )
    added = admin.post(
        f"{url}/plans/new",
        data={
            "name": "Monthly",
            "billing_cycle": "monthly",
            "commitment_months": "0",
            "min_quantity": "1",
            "max_quantity": "5",
            f"price-{standard}": "30.00",
        },
    )
    assert added.status_code == 303
    visitor = client_for(app)
    card = soup(visitor.get("/?q=office-pack")).select_one("li.product-card")
    assert texts.DELIVERED_MANUALLY in card.get_text()
    # removing the manual component makes it automatic again; the last one, a plain product
    fw = _product(session, "MNG-FW")
    admin.post(f"{url}/components/{fw.id}/delete")
    assert "Delivered automatically" in soup(admin.get(url)).find(id="product-execution").get_text()
    admin.post(f"{url}/components/{_product(session, 'AZ-BACKUP').id}/delete")
    assert _product(session, "OFFICE-PACK").is_bundle is False


def test_the_execution_type_is_previewed_live_as_a_component_code_is_typed(admin, session):
    bundle = _new_product(admin, session, "OFFICE-PACK")
    url = f"/bss/catalogue/products/{bundle.id}/components/preview"
    fragment = admin.get(url + "?code=MNG-FW", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    assert texts.BUNDLE_WOULD_BE.format(code="MNG-FW", kind="manually") in text_of(fragment)
    automatic = admin.get(url + "?code=AZ-BACKUP", headers={"HX-Request": "true"})
    assert texts.BUNDLE_WOULD_BE.format(code="AZ-BACKUP", kind="automatically") in text_of(
        automatic
    )
    unknown = admin.get(url + "?code=NOPE")  # without htmx: a whole page
    assert "<html" in unknown.get_data(as_text=True)
    assert texts.CATALOGUE_CODE_UNKNOWN in text_of(unknown)
    # the product page's form asks for it as the code is typed
    code_input = soup(admin.get(f"/bss/catalogue/products/{bundle.id}")).find(id="component-code")
    assert code_input["hx-get"] == url


def test_components_that_cannot_be_are_refused_with_a_message_and_nothing_changes(admin, session):
    bundle = _new_product(admin, session, "OFFICE-PACK")
    url = f"/bss/catalogue/products/{bundle.id}/components"
    for data, message in (
        ({"code": "OFFICE-PACK", "quantity": "1"}, texts.BUNDLE_COMPONENT_SELF),
        ({"code": "SEC-BUNDLE", "quantity": "1"}, texts.BUNDLE_COMPONENT_NESTED),
        ({"code": "NOPE", "quantity": "1"}, texts.CATALOGUE_CODE_UNKNOWN),
        ({"code": "AZ-BACKUP", "quantity": "0"}, texts.BUNDLE_QUANTITY_INVALID.format(max=1000)),
    ):
        response = admin.post(url, data=data)
        assert response.status_code == 422, data
        assert message in text_of(response), data
        assert soup(response).find(id="component-code")["value"] == data["code"]
    # a component of a bundle cannot become a bundle itself (M365-STD is in SEC-BUNDLE)
    m365 = _product(session, "M365-STD")
    nested = admin.post(
        f"/bss/catalogue/products/{m365.id}/components", data={"code": "AZ-BACKUP", "quantity": "1"}
    )
    assert nested.status_code == 422
    session.rollback()
    assert (
        session.scalar(
            select(BundleComponent.id).where(BundleComponent.bundle_id.in_([bundle.id, m365.id]))
        )
        is None
    )


def test_an_upgrade_target_is_added_by_code_once_and_removed(admin, session):
    backup = _product(session, "AZ-BACKUP")
    url = f"/bss/catalogue/products/{backup.id}/upgrades"
    assert admin.post(url, data={"code": "priv-cloud"}).status_code == 303
    assert admin.post(url, data={"code": "PRIV-CLOUD"}).status_code == 303  # again: no change
    target = _product(session, "PRIV-CLOUD")
    rows = session.scalars(
        select(ProductUpgrade).where(ProductUpgrade.from_product_id == backup.id)
    ).all()
    assert [r.to_product_id for r in rows] == [target.id]
    page = text_of(admin.get(f"/bss/catalogue/products/{backup.id}"))
    assert "PRIV-CLOUD · Dedicated Private Cloud" in page
    refused = admin.post(url, data={"code": "AZ-BACKUP"})
    assert refused.status_code == 422 and texts.UPGRADE_TARGET_SELF in text_of(refused)
    assert admin.post(f"{url}/{target.id}/delete").status_code == 303
    session.rollback()
    assert (
        session.scalar(select(ProductUpgrade.id).where(ProductUpgrade.from_product_id == backup.id))
        is None
    )
