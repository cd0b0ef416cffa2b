"""Demo data (PRODUCT.md section 9): one command loads a demo that shows every flow.

``load_demo(session, hash_password)`` expects an empty database; the caller commits.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.enums import (
    AccountKind,
    BillingCycle,
    ExecutionType,
    OrderSource,
    PaymentMethod,
    Role,
    UserKind,
)
from core.models import (
    Account,
    AddOn,
    AddOnPrice,
    ApiOptions,
    BundleComponent,
    HoldReason,
    OrderHold,
    Payment,
    Plan,
    PlanPrice,
    PriceList,
    Product,
    ProductType,
    ProductUpgrade,
    Promotion,
    Subscription,
    SubscriptionAddOn,
    Tenant,
    User,
)
from core.rules import offers as offer_rules
from core.services.execution import apply_execution, lock_order
from core.services.invoicing import order_gross, take_number
from core.services.order_factory import ItemSpec, build_order
from core.services.statuses import StatusBook
from core.services.tenants import create_tenant

DEMO_PASSWORD = "demo-password"

# (email, name, kind, role, account key or None)
DEMO_LOGINS = (
    ("admin@skyline.example", "Sam Admin", UserKind.BSS, Role.ADMIN, None, "reseller"),
    ("operator@skyline.example", "Olga Operator", UserKind.BSS, Role.OPERATOR, None, "reseller"),
    ("admin@nimbus.example", "Dana Distributor", UserKind.BSS, Role.ADMIN, None, "distributor"),
    ("alice@acme.example", "Alice Acme", UserKind.STOREFRONT, Role.CUSTOMER, "acme", "reseller"),
    ("bob@globex.example", "Bob Globex", UserKind.STOREFRONT, Role.CUSTOMER, "globex", "reseller"),
    (
        "carol@bluesky.example",
        "Carol BlueSky",
        UserKind.STOREFRONT,
        Role.CUSTOMER,
        "bluesky",
        "reseller",
    ),
    (
        "dave@initech.example",
        "Dave Initech",
        UserKind.STOREFRONT,
        Role.CUSTOMER,
        "initech",
        "reseller",
    ),
)

# code, name, type key, description, trial days, plans [(name, cycle, price std, price partner)],
# add-ons [(name, price std, price partner)]
CATALOGUE = (
    (
        "M365-STD",
        "Microsoft 365 Business Standard",
        "cloud",
        "Desktop Office apps, business e-mail and 1 TB of cloud storage per user.",
        30,
        [
            ("Monthly", BillingCycle.MONTHLY, "11.70", "10.50"),
            ("Annual", BillingCycle.ANNUAL, "126.00", "113.40"),
        ],
        [("Extra Storage 100 GB", "2.00", "1.80"), ("Advanced Threat Protection", "2.50", "2.20")],
    ),
    (
        "M365-PREM",
        "Microsoft 365 Business Premium",
        "cloud",
        "Everything in Standard plus advanced security and device management.",
        None,
        [("Monthly", BillingCycle.MONTHLY, "20.60", "18.50")],
        [("Extra Storage 100 GB", "2.00", "1.80")],
    ),
    (
        "AZ-BACKUP",
        "Azure Backup",
        "cloud",
        "Simple, secure and cost-effective backup to the cloud, per protected instance.",
        14,
        [("Monthly", BillingCycle.MONTHLY, "9.00", "8.10")],
        [],
    ),
    (
        "MNG-FW",
        "Managed Firewall Setup",
        "managed",
        "Our engineers design, install and tune a firewall for your network.",
        None,
        [("One-off", BillingCycle.ONE_OFF, "450.00", "400.00")],
        [],
    ),
    (
        "PRIV-CLOUD",
        "Dedicated Private Cloud",
        "managed",
        "A dedicated virtual host, set up and run by our operations team, per host licence.",
        None,
        [("Monthly", BillingCycle.MONTHLY, "120.00", "110.00")],
        [("Extra vCPU", "15.00", "13.50")],
    ),
    (
        "OFFICE-2021",
        "Office Home & Business 2021",
        "asset",
        "Perpetual licence of the Office desktop apps.",
        None,
        [("Perpetual", BillingCycle.ONE_OFF, "249.00", "229.00")],
        [],
    ),
)


# issue 13 (prices): what one of each demo product's quantity is; the others have no unit
DEMO_UNITS = {
    "M365-STD": "user",
    "M365-PREM": "user",
    "AZ-BACKUP": "instance",
    "PRIV-CLOUD": "host",
}


def load_demo(session: Session, hash_password) -> dict:
    """Load the demo into an empty database. Returns a summary for the CLI."""
    if session.scalar(select(Tenant.id).limit(1)) is not None:
        raise RuntimeError("the database is not empty")
    now = utcnow()
    today = now.date()
    distributor = create_tenant(
        session, name="Nimbus Distribution", slug="distributor", host="distributor.localhost"
    )
    reseller = create_tenant(
        session, name="Skyline Cloud", slug="reseller", host="localhost", parent=distributor
    )
    tenants = {"distributor": distributor, "reseller": reseller}

    catalogues = {key: _catalogue(session, t) for key, t in tenants.items()}
    cat = catalogues["reseller"]

    accounts = {}
    std, partner = cat["price_lists"]["Standard"], cat["price_lists"]["Partner"]
    accounts["acme"] = _account(
        session, reseller, "Acme Ltd", std, PaymentMethod.CARD, email="billing@acme.example"
    )
    accounts["globex"] = _account(
        session,
        reseller,
        "Globex Corp",
        std,
        PaymentMethod.ON_ACCOUNT,
        # issue 13 (credit ribbon): the open firewall order below uses €900.00 of it, so a
        # small basket fits (€600.00 available) and a bigger one waits for credit review
        credit_limit=Decimal("1500.00"),
        email="accounts@globex.example",
    )
    accounts["bluesky"] = _account(
        session,
        reseller,
        "BlueSky IT",
        partner,
        PaymentMethod.ON_ACCOUNT,
        kind=AccountKind.STANDARD_RESELLER,
        email="orders@bluesky.example",
    )
    accounts["initech"] = _account(
        session,
        reseller,
        "Initech",
        std,
        PaymentMethod.CARD,
        reseller=accounts["bluesky"],
        email="it@initech.example",
    )
    dcat = catalogues["distributor"]
    accounts["skyline_in_distributor"] = _account(
        session,
        distributor,
        "Skyline Cloud",
        dcat["price_lists"]["Partner"],
        PaymentMethod.ON_ACCOUNT,
        kind=AccountKind.TENANT_RESELLER,
        represents_tenant_id=reseller.id,
        email="purchasing@skyline.example",
    )

    _demo_billing_settings(session, tenants, accounts)  # recurring billing (issue 17)

    users = {}
    for email, name, kind, role, account_key, tenant_key in DEMO_LOGINS:
        user = User(
            tenant_id=tenants[tenant_key].id,
            kind=kind,
            role=role,
            email=email,
            name=name,
            password_hash=hash_password(DEMO_PASSWORD),
            account_id=accounts[account_key].id if account_key else None,
        )
        session.add(user)
        users[email] = user
    session.flush()
    # accounts and people (issue 14): Alice is her account's admin user (invites colleagues);
    # the Storefront takes registrations, each approved in the BSS before its first order
    users["alice@acme.example"].role = "account_admin"
    reseller.self_registration = "approval"
    for account in accounts.values():
        if account.tenant_id == reseller.id:
            account.manager_user_id = users["operator@skyline.example"].id
    options = session.scalar(select(ApiOptions).where(ApiOptions.tenant_id == distributor.id))
    options.responsible_user_id = users["admin@nimbus.example"].id
    options.sharing_rule = "team"
    session.add(
        Promotion(
            tenant_id=distributor.id,
            product_id=dcat["products"]["M365-STD"].id,
            name="Modern Work push",
            percent_off=Decimal("10.00"),
            starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=60),
        )
    )

    products = cat["products"]
    # existing subscriptions: automatic, manual, trial
    session.add_all(
        [
            _subscription(
                reseller, accounts["acme"], products["M365-STD"], 10, today - timedelta(90)
            ),
            _subscription(
                reseller, accounts["acme"], products["PRIV-CLOUD"], 2, today - timedelta(60)
            ),
            _subscription(
                reseller,
                accounts["acme"],
                products["AZ-BACKUP"],
                3,
                today - timedelta(5),
                trial_ends_on=today + timedelta(days=9),
            ),
            _subscription(
                reseller, accounts["globex"], products["M365-PREM"], 4, today - timedelta(120)
            ),
            _subscription(
                reseller, accounts["initech"], products["M365-STD"], 6, today - timedelta(30)
            ),
        ]
    )
    session.flush()
    acme_std = session.scalar(
        select(Subscription).where(
            Subscription.account_id == accounts["acme"].id,
            Subscription.product_id == products["M365-STD"].id,
        )
    )
    session.add(
        SubscriptionAddOn(
            subscription_id=acme_std.id, addon_id=products["M365-STD"].addons[0].id, quantity=5
        )
    )

    book = StatusBook.load(session, reseller.id)
    admin = users["admin@skyline.example"]

    def item(code, qty, plan_index=0):
        product = products[code]
        plan = product.plans[plan_index]
        price = cat["plan_prices"][(plan.id, std.id)]
        manual = product.product_type.non_automatic_execution
        return ItemSpec(
            product_id=product.id,
            plan_id=plan.id,
            description=f"{product.name} ({plan.name})",
            quantity=qty,
            unit_price=price,
            execution_type=ExecutionType.MANUAL if manual else ExecutionType.AUTOMATIC,
        )

    # a manual Storefront order waiting for the operations team (5 host licences)
    manual = build_order(
        session,
        tenant_id=reseller.id,
        account=accounts["acme"],
        status=book.submitted(),
        items=[item("PRIV-CLOUD", 5)],
        source=OrderSource.STOREFRONT,
        order_date=now - timedelta(hours=3),
        actor_name="Alice Acme (Storefront)",
        note="Placed on the Storefront",
    )
    session.add(  # waiting since it was placed: the dashboard says how long
        OrderHold(
            order_id=manual.id, reason=HoldReason.MANUAL_EXECUTION, placed_at=manual.order_date
        )
    )
    # a manual order already partly executed (1 of 2 firewall setups)
    partial = build_order(
        session,
        tenant_id=reseller.id,
        account=accounts["globex"],
        status=book.submitted(),
        items=[item("MNG-FW", 2)],
        source=OrderSource.STOREFRONT,
        order_date=now - timedelta(days=2),
        actor_name="Bob Globex (Storefront)",
        note="Placed on the Storefront",
    )
    session.add(
        OrderHold(
            order_id=partial.id,
            reason=HoldReason.MANUAL_EXECUTION,
            placed_at=now - timedelta(days=2),
        )
    )
    session.flush()
    apply_execution(
        session,
        lock_order(session, reseller.id, partial.id),
        {partial.items[0].id: 1},
        actor=admin,
        now=now - timedelta(days=1),
        release_holds=False,
    )
    # an executed automatic order
    done = build_order(
        session,
        tenant_id=reseller.id,
        account=accounts["acme"],
        status=book.submitted(),
        items=[item("M365-PREM", 2)],
        source=OrderSource.STOREFRONT,
        order_date=now - timedelta(days=7),
        actor_name="Alice Acme (Storefront)",
    )
    session.flush()
    # paid by card at its checkout, as an automatic card order is: its invoice is paid
    import uuid

    from core.services.checkout import charge_key, execute_paid

    session.add(
        Payment(
            tenant_id=reseller.id,
            order_id=done.id,
            amount=order_gross(session, done),
            method=PaymentMethod.CARD,
            status="succeeded",
            gateway="sandbox",
            gateway_reference=f"ch_sandbox_{uuid.uuid4().hex[:12]}",
            card_last4="4242",
            idempotency_key=charge_key(done),
        )
    )
    execute_paid(
        session,
        lock_order(session, reseller.id, done.id),
        now - timedelta(days=7),
        actor_name="Storefront checkout",
    )
    _demo_offers_schedules_approvals(session, reseller, accounts, users, cat, now)  # issue 5
    _demo_failed_payment(session, reseller, accounts, cat, now)  # issue 13, point 9
    _demo_billing_terms(session, tenants, today)  # recurring billing (issue 17)
    _demo_scheduled_change(session, reseller, accounts, users, now)  # issue 17, point 3
    _demo_dunning_card(session, accounts, now)  # issue 17, point 5
    session.flush()
    return {
        "tenants": [t.name for t in tenants.values()],
        "logins": [(e, DEMO_PASSWORD) for e, *_ in DEMO_LOGINS],
        "orders": [manual.number, partial.number, done.number],
    }


def _catalogue(session: Session, tenant: Tenant) -> dict:
    types = {
        "cloud": ProductType(tenant_id=tenant.id, name="Cloud Services"),
        "managed": ProductType(
            tenant_id=tenant.id, name="Managed Services", non_automatic_execution=True
        ),
        "asset": ProductType(
            tenant_id=tenant.id, name="Microsoft Perpetual License Assets", is_asset=True
        ),
        "reservation": ProductType(
            tenant_id=tenant.id, name="Azure Plan Reservation Assets", is_asset=True
        ),
    }
    session.add_all(types.values())
    # job queue (issue 16): cloud services are provisioned through the sandbox vendor
    types["cloud"].connector = "sandbox"
    price_lists = {
        name: PriceList(tenant_id=tenant.id, name=name) for name in ("Standard", "Partner")
    }
    price_lists["Standard"].is_default = True  # issue 13: what visitors see
    session.add_all(price_lists.values())
    session.flush()
    products: dict[str, Product] = {}
    plan_prices: dict[tuple[int, int], Decimal] = {}
    for code, name, type_key, description, trial, plans, addons in CATALOGUE:
        product = Product(
            tenant_id=tenant.id,
            product_type_id=types[type_key].id,
            code=code,
            name=name,
            description=description,
            trial_days=trial,
            unit=DEMO_UNITS.get(code, ""),  # issue 13 (prices)
            # --- catalogue back office gaps (issue 15): a product whose plans are all one-off
            # (the firewall set-up, the perpetual Office licence) is sold as one-off
            billing_kind="one_off"
            if all(cycle == BillingCycle.ONE_OFF for _, cycle, _, _ in plans)
            else "recurring",
        )
        session.add(product)
        session.flush()
        for plan_name, cycle, price_std, price_partner in plans:
            plan = Plan(
                product_id=product.id,
                name=plan_name,
                billing_cycle=cycle,
                min_quantity=1,
                max_quantity=300 if cycle != BillingCycle.ONE_OFF else 10,
            )
            session.add(plan)
            session.flush()
            for pl, price in (("Standard", price_std), ("Partner", price_partner)):
                session.add(
                    PlanPrice(
                        plan_id=plan.id, price_list_id=price_lists[pl].id, price=Decimal(price)
                    )
                )
                plan_prices[(plan.id, price_lists[pl].id)] = Decimal(price)
        for addon_name, price_std, price_partner in addons:
            addon = AddOn(product_id=product.id, name=addon_name, min_quantity=1, max_quantity=300)
            session.add(addon)
            session.flush()
            for pl, price in (("Standard", price_std), ("Partner", price_partner)):
                session.add(
                    AddOnPrice(
                        addon_id=addon.id, price_list_id=price_lists[pl].id, price=Decimal(price)
                    )
                )
        products[code] = product
    bundle = Product(
        tenant_id=tenant.id,
        product_type_id=types["cloud"].id,
        code="SEC-BUNDLE",
        name="Secure Office Bundle",
        is_bundle=True,
        unit="user",  # issue 13 (prices)
        description="Microsoft 365 Business Standard with a managed firewall "
        "set up by our engineers.",
    )
    session.add(bundle)
    session.flush()
    bundle_plan = Plan(
        product_id=bundle.id,
        name="Monthly",
        billing_cycle=BillingCycle.MONTHLY,
        min_quantity=1,
        max_quantity=50,
    )
    session.add(bundle_plan)
    session.flush()
    for pl, price in (("Standard", "59.00"), ("Partner", "53.00")):
        session.add(
            PlanPrice(
                plan_id=bundle_plan.id, price_list_id=price_lists[pl].id, price=Decimal(price)
            )
        )
    session.add_all(
        [
            BundleComponent(bundle_id=bundle.id, component_id=products["M365-STD"].id, quantity=1),
            BundleComponent(bundle_id=bundle.id, component_id=products["MNG-FW"].id, quantity=1),
        ]
    )
    products["SEC-BUNDLE"] = bundle
    session.add(
        ProductUpgrade(
            from_product_id=products["M365-STD"].id, to_product_id=products["M365-PREM"].id
        )
    )
    session.flush()
    return {
        "types": types,
        "price_lists": price_lists,
        "products": products,
        "plan_prices": plan_prices,
    }


def _account(
    session,
    tenant,
    name,
    price_list,
    payment_method,
    *,
    kind=AccountKind.END_CUSTOMER,
    credit_limit=None,
    reseller=None,
    email=None,
    represents_tenant_id=None,
) -> Account:
    account = Account(
        tenant_id=tenant.id,
        name=name,
        kind=kind,
        price_list_id=price_list.id,
        payment_method=payment_method,
        credit_limit=credit_limit,
        reseller_account_id=reseller.id if reseller else None,
        email=email,
        represents_tenant_id=represents_tenant_id,
        billing_name=name,
    )
    session.add(account)
    session.flush()
    return account


def _subscription(tenant, account, product, quantity, start: date, trial_ends_on=None):
    return Subscription(
        tenant_id=tenant.id,
        account_id=account.id,
        product_id=product.id,
        plan_id=product.plans[0].id,
        quantity=quantity,
        start_date=start,
        is_trial=trial_ends_on is not None,
        trial_ends_on=trial_ends_on,
    )


def _demo_offers_schedules_approvals(session, reseller, accounts, users, cat, now) -> None:
    """Issue 5: an offer In Progress and an Accepted one for Acme, an order of Initech waiting
    for BlueSky's approval, and an Acme order scheduled for tomorrow (cards kept as sandbox
    tokens, as the checkout does, so approving or the worker can charge them)."""
    import uuid

    from core.models import Offer, OfferEvent, OfferItem, OfferStatus, Payment
    from core.rules.statuses import StatusKey
    from core.services.checkout import charge_key

    products = cat["products"]
    std = cat["price_lists"]["Standard"]
    admin = users["admin@skyline.example"]
    statuses = {
        s.default_key: s
        for s in session.scalars(select(OfferStatus).where(OfferStatus.tenant_id == reseller.id))
    }
    for name, key, lines in (
        ("Modern Work 2027", "in_progress", [("M365-STD", 1, 25, None), ("M365-PREM", 0, 5, None)]),
        ("Firewall refresh", "accepted", [("MNG-FW", 0, 1, Decimal("399.00"))]),
    ):
        offer = Offer(
            tenant_id=reseller.id,
            number=offer_rules.offer_number(
                take_number(session, reseller.id, offer_rules.NUMBER_SEQUENCE)
            ),
            name=name,
            account_id=accounts["acme"].id,
            status_id=statuses[key].id,
            valid_until=now.date() + timedelta(days=30),
            created_by_user_id=admin.id,
            created_at=now - timedelta(days=2),
        )
        session.add(offer)
        session.flush()
        for code, plan_index, quantity, price in lines:
            plan = products[code].plans[plan_index]
            session.add(
                OfferItem(
                    offer_id=offer.id,
                    product_id=products[code].id,
                    plan_id=plan.id,
                    description=f"{products[code].name} ({plan.name})",
                    quantity=quantity,
                    unit_price=price or cat["plan_prices"][(plan.id, std.id)],
                )
            )
        session.add(
            OfferEvent(
                offer_id=offer.id,
                at=now - timedelta(days=2),
                actor_user_id=admin.id,
                actor_label=f"{admin.name} <{admin.email}>",
                to_status_id=statuses[key].id,
                note="Offer created",
            )
        )

    book = StatusBook.load(session, reseller.id)

    def storefront_order(account_key, status, code, quantity, hold, who, **fields):
        product = products[code]
        plan = product.plans[0]
        order = build_order(
            session,
            tenant_id=reseller.id,
            account=accounts[account_key],
            status=status,
            items=[
                ItemSpec(
                    product_id=product.id,
                    plan_id=plan.id,
                    description=f"{product.name} ({plan.name})",
                    quantity=quantity,
                    unit_price=cat["plan_prices"][(plan.id, std.id)],
                )
            ],
            source=OrderSource.STOREFRONT,
            order_date=now - timedelta(days=8),  # older than the other demo orders
            actor_name=f"{who} (Storefront)",
            note="Placed on the Storefront",
            idempotency_key=uuid.uuid4().hex,
            **fields,
        )
        session.add(
            OrderHold(
                order_id=order.id,
                reason=hold,
                detail=fields.get("scheduled_for") and str(fields["scheduled_for"]),
                placed_at=order.order_date,
            )
        )
        session.add(
            Payment(
                tenant_id=reseller.id,
                order_id=order.id,
                amount=order_gross(session, order),  # VAT included, as it is charged
                method=PaymentMethod.CARD,
                status="awaiting",
                gateway="sandbox",
                gateway_reference=f"tok_sandbox_4242_{uuid.uuid4().hex[:8]}",
                card_last4="4242",
                idempotency_key=charge_key(order),
            )
        )
        return order

    storefront_order(
        "initech",
        book.by_key(StatusKey.PENDING_RESELLER_APPROVAL),
        "M365-STD",
        4,
        HoldReason.RESELLER_APPROVAL,
        "Dave Initech",
    )
    storefront_order(
        "acme",
        book.by_key(StatusKey.SCHEDULED),
        "AZ-BACKUP",
        3,
        HoldReason.SCHEDULED,
        "Alice Acme",
        scheduled_for=now.date() + timedelta(days=1),
    )
    session.flush()


# --- payment failure (issue 13, point 9) -----------------------------------------------------


def _demo_failed_payment(session, reseller, accounts, cat, now) -> None:
    """An Acme order whose card was declined at checkout: Submitted with a payment-failed hold,
    its declined payment and history, so the demo shows the flag and Pay now at once."""
    import uuid

    from core import texts
    from core.models import Payment
    from core.services.audit import record_order_event
    from core.services.checkout import charge_key

    placed_at = now - timedelta(hours=4)  # older than the manual order (the newest demo order)
    product = cat["products"]["AZ-BACKUP"]
    plan = product.plans[0]
    order = build_order(
        session,
        tenant_id=reseller.id,
        account=accounts["acme"],
        status=StatusBook.load(session, reseller.id).submitted(),
        items=[
            ItemSpec(
                product_id=product.id,
                plan_id=plan.id,
                description=f"{product.name} ({plan.name})",
                quantity=2,
                unit_price=cat["plan_prices"][(plan.id, cat["price_lists"]["Standard"].id)],
            )
        ],
        source=OrderSource.STOREFRONT,
        order_date=placed_at,
        actor_name="Alice Acme (Storefront)",
        note="Placed on the Storefront",
        payment_method=PaymentMethod.CARD,
        billing_name="Acme Ltd",
        billing_address="Accounts Payable\n3 Harbour Road\nCork T12 X2YZ\nIreland",  # Irish VAT
        idempotency_key=uuid.uuid4().hex,
    )
    declined = "Your card was declined."
    session.add(
        Payment(
            tenant_id=reseller.id,
            order_id=order.id,
            amount=order_gross(session, order),  # VAT included, as it was charged
            method=PaymentMethod.CARD,
            status="declined",
            gateway="sandbox",
            gateway_reference=f"sbx_{uuid.uuid4().hex[:16]}",
            card_last4="0002",
            message=declined,
            idempotency_key=charge_key(order),
            created_at=placed_at,
        )
    )
    session.add(
        OrderHold(
            order_id=order.id,
            reason=HoldReason.PAYMENT_FAILED,
            detail=declined,
            placed_at=placed_at,
        )
    )
    record_order_event(
        session,
        order,
        "note",
        actor_name="Alice Acme (Storefront)",
        note=texts.PAYMENT_EVENT_FAILED.format(attempt=1, last4="0002", reason=declined),
    )


# --- recurring billing (issue 17) -----------------------------------------------------------


def _demo_billing_settings(session: Session, tenants: dict, accounts: dict) -> None:
    """Seller details and VAT for both tenants (Irish sellers: 23 %, Germany 19 %, France
    20 %); Acme in Ireland (domestic VAT), Globex a German business with a VAT number (EU
    reverse charge), Initech in France."""
    from core.models import TenantBillingSettings, TenantVatRate

    for key, tenant in tenants.items():
        session.add(
            TenantBillingSettings(
                tenant_id=tenant.id,
                legal_name=f"{tenant.name} Limited",
                address="1 Harbour Square\nDublin 2, D02 X285\nIreland",
                country="IE",
                vat_number="IE6388047V" if key == "reseller" else "IE9825613N",
                default_vat_rate=Decimal("23.00"),
                payment_terms_days=14,
                invoice_prefix="SKY" if key == "reseller" else "NIM",
                credit_note_prefix="SKY-CN" if key == "reseller" else "NIM-CN",
            )
        )
        for country, rate in (("DE", "19.00"), ("FR", "20.00")):
            session.add(TenantVatRate(tenant_id=tenant.id, country=country, rate=Decimal(rate)))
    for key, country, vat_number, locale in (
        ("acme", "IE", None, "en_IE"),
        ("globex", "DE", "DE123456789", "de_DE"),
        ("bluesky", "IE", "IE8256796U", "en_IE"),
        ("initech", "FR", None, "fr_FR"),
        ("skyline_in_distributor", "IE", "IE6388047V", "en_IE"),
    ):
        accounts[key].country = country
        accounts[key].vat_number = vat_number
        accounts[key].locale = locale
        accounts[key].billing_address = {
            "acme": "Acme Ltd\n12 Grafton Street\nDublin 2\nIreland",
            "globex": "Globex Corp\nFriedrichstraße 100\n10117 Berlin\nGermany",
            "initech": "Initech\n8 rue de la Paix\n75002 Paris\nFrance",
        }.get(key, accounts[key].billing_address)
    session.flush()


def _demo_billing_terms(session: Session, tenants: dict, today: date) -> None:
    """Every demo subscription is billed from the first day of a month: its current period
    is this month's and its next billing date the first day of next month, at its account's
    list price, so ``flask billing run --date <first day of next month>`` invoices each active
    one once."""
    from core.rules import billing_periods

    subscriptions = session.scalars(
        select(Subscription).where(Subscription.tenant_id.in_([t.id for t in tenants.values()]))
    ).all()
    for sub in subscriptions:
        account = session.get(Account, sub.account_id)
        if account.external_ref:  # a distributor's mirror: billed to the tenant reseller
            account = session.scalar(
                select(Account).where(
                    Account.tenant_id == sub.tenant_id, Account.kind == "tenant_reseller"
                )
            )
            sub.billing_account_id = account.id
        if sub.is_trial:
            sub.current_period_start, sub.current_period_end = sub.start_date, sub.trial_ends_on
            sub.next_billing_date = sub.term_end = sub.trial_ends_on
        plan = session.get(Plan, sub.plan_id) if sub.plan_id else None
        cycle = plan.billing_cycle if plan and plan.billing_cycle != "one_off" else "monthly"
        sub.billing_cycle = cycle
        sub.commitment_months = plan.commitment_months if plan else 0
        if not sub.is_trial:
            sub.start_date = min(sub.start_date, today).replace(day=1)
            period = billing_periods.period_containing(sub.start_date, cycle, today)
            sub.current_period_start, sub.current_period_end = period.start, period.end
            sub.next_billing_date = period.end
            sub.term_end = billing_periods.term_end(
                sub.start_date, sub.commitment_months, cycle, on=today
            )
        sub.currency = "EUR"
        price = session.scalar(
            select(PlanPrice.price).where(
                PlanPrice.plan_id == sub.plan_id, PlanPrice.price_list_id == account.price_list_id
            )
        )
        if price is not None and not sub.unit_price:
            sub.unit_price = price
        for addon in sub.addons:
            if not addon.unit_price:
                addon.unit_price = session.scalar(
                    select(AddOnPrice.price).where(
                        AddOnPrice.addon_id == addon.addon_id,
                        AddOnPrice.price_list_id == account.price_list_id,
                    )
                ) or Decimal("0.00")


# --- billing changes (issue 17, point 3) ------------------------------------------------------


def _demo_scheduled_change(session, reseller, accounts, users, now) -> None:
    """Acme has asked for 3 instead of 5 Extra Storage on its Business Standard subscription
    from the end of the current period (pending, withdrawable on My subscriptions)."""
    from core.models import SubscriptionChange
    from core.rules import subscription_changes as change_rules
    from core.services.subscription_changes import terms_of

    sub = session.scalar(
        select(Subscription)
        .where(Subscription.account_id == accounts["acme"].id)
        .order_by(Subscription.id)
    )
    addon = sub.addons[0]
    session.add(
        SubscriptionChange(
            tenant_id=reseller.id,
            subscription_id=sub.id,
            kind=change_rules.REDUCE_ADDON,
            slot=f"{change_rules.REDUCE_ADDON}:{addon.addon_id}",
            addon_id=addon.addon_id,
            from_quantity=addon.quantity,
            quantity=3,
            effective_on=change_rules.effective_date(
                terms_of(sub), now.date(), change_rules.REDUCE_ADDON
            ),
            status=change_rules.PENDING,
            created_at=now,
            created_by_user_id=users["alice@acme.example"].id,
        )
    )


# --- payment and dunning (issue 17, point 5) ---------------------------------------------------
def _demo_dunning_card(session, accounts, now) -> None:
    """Acme's saved card is the sandbox's decline card (4000 0000 0000 0002), so its next
    renewal charge fails and walks through dunning (README "Payment and dunning"); paying the
    invoice from /invoices with 4242 4242 4242 4242 replaces it."""
    from core.models import AccountCard

    acme = accounts["acme"]
    session.add(
        AccountCard(
            tenant_id=acme.tenant_id,
            account_id=acme.id,
            gateway="sandbox",
            token="tok_sandbox_0002_demo0000",
            last4="0002",
            saved_at=now,
        )
    )
