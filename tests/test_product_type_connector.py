"""A product type's provisioning connector in BSS Setup › Product Types (issue 16, point 6):
a select of the connectors the plugin manager found, with their human names; an unknown one
is refused and changes nothing; the choice is audited; choosing the sandbox vendor makes the
next execution provision through it. Both engines; the queue runs in this thread."""

from __future__ import annotations

import json

from sqlalchemy import select

from core import texts
from core.connectors import DONE, Answer, Connector, ProvisioningRequest, hookimpl, load_registry
from core.models import AuditEntry, Product, ProductType, ProvisioningTask
from core.rules import provisioning as rules
from core.services import execution
from tests.conftest import demo_manual_order, login, soup
from tests.queue_helpers import demo_tenant_id
from webapp import tasks


def _type_of(session, code: str) -> ProductType:
    product = session.scalar(
        select(Product).where(Product.code == code, Product.tenant_id == demo_tenant_id(session))
    )
    return session.get(ProductType, product.product_type_id)


def _options(page) -> dict[str, str]:
    select_ = soup(page).find("select", attrs={"name": "connector"})
    return {o["value"]: o.get_text(strip=True) for o in select_.find_all("option")}


def _selected(page) -> str:
    select_ = soup(page).find("select", attrs={"name": "connector"})
    return select_.find("option", selected=True)["value"]


def test_the_select_lists_the_discovered_connectors_with_their_human_names(client, session, demo):
    login(client, "admin@skyline.example")
    cloud = _type_of(session, "AZ-BACKUP")
    page = client.get(f"/bss/setup/product-types/{cloud.id}")
    assert _options(page) == {
        "manual": texts.CONNECTOR_MANUAL_LABEL,
        "sandbox": texts.CONNECTOR_SANDBOX_LABEL,
    }
    assert _selected(page) == "sandbox"  # the demo's Cloud Services
    new = client.get("/bss/setup/product-types/new")
    assert _selected(new) == "manual"
    listing = soup(client.get("/bss/setup/product-types")).get_text(" ")
    assert texts.CONNECTOR_SANDBOX_LABEL in listing and texts.CONNECTOR_MANUAL_LABEL in listing


def test_choosing_the_sandbox_makes_the_next_execution_provision_through_it(
    app, client, session, demo
):
    order = demo_manual_order(session)
    managed = _type_of(session, "PRIV-CLOUD")
    assert managed.connector is None  # the manual connector
    login(client, "admin@skyline.example")
    response = client.post(
        f"/bss/setup/product-types/{managed.id}",
        data={"name": managed.name, "non_automatic_execution": "y", "connector": "sandbox"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(ProductType, managed.id).connector == "sandbox"
    audit = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == "product_type", AuditEntry.entity_id == managed.id)
        .order_by(AuditEntry.id.desc())
    )
    details = json.loads(audit.detail)
    assert details["connector"] == "sandbox" and details["before"]["connector"] is None

    execution.execute_order(session, order.tenant_id, order.id)
    tasks.run_queued()
    session.expire_all()
    ours = session.scalars(
        select(ProvisioningTask)
        .join(Product, Product.id == ProvisioningTask.product_id)
        .where(ProvisioningTask.order_id == order.id, Product.product_type_id == managed.id)
    ).all()
    assert ours
    for task in ours:
        assert task.connector == rules.SANDBOX
        assert task.status == rules.ACTIVE and task.external_ref == f"SBX-{task.id:06d}"


def test_an_unknown_connector_is_refused_and_changes_nothing(client, session, demo):
    login(client, "admin@skyline.example")
    cloud = _type_of(session, "AZ-BACKUP")
    audits = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    response = client.post(
        f"/bss/setup/product-types/{cloud.id}",
        data={"name": "Renamed", "connector": "acme"},
    )
    assert response.status_code == 422
    assert texts.PRODUCT_TYPE_CONNECTOR_UNKNOWN in response.get_data(as_text=True)
    session.expire_all()
    kept = session.get(ProductType, cloud.id)
    assert (kept.name, kept.connector) == ("Cloud Services", "sandbox")
    last = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    assert last == audits


class _Acme(Connector):
    name = "acme"
    label = "Acme Cloud API"

    def perform(self, request: ProvisioningRequest) -> Answer:
        return Answer(DONE, external_ref="ACME-1")


class _AcmePlugin:
    @hookimpl
    def cloudshop_connectors(self, settings):
        return [_Acme()]


def test_an_installed_plugins_connector_can_be_chosen(client, session, demo, monkeypatch):
    monkeypatch.setattr(
        tasks, "_registry", load_registry(entry_points=False, plugins=(_AcmePlugin(),))
    )
    login(client, "admin@skyline.example")
    cloud = _type_of(session, "AZ-BACKUP")
    page = client.get(f"/bss/setup/product-types/{cloud.id}")
    assert _options(page)["acme"] == "Acme Cloud API"
    response = client.post(
        f"/bss/setup/product-types/{cloud.id}", data={"name": cloud.name, "connector": "acme"}
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.get(ProductType, cloud.id).connector == "acme"
