"""SQLAlchemy 2 declarative models for every table.

No Flask import: Flask-SQLAlchemy takes :class:`core.db.Base` as its model class. Every
tenant-owned row carries ``tenant_id`` and every query filters on it. Status rows are never
matched by name: code uses ``mandatory_key`` (for the defaults of PRODUCT.md section 7) or the
(type, storefront_type) pair.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, query_expression, relationship
from sqlalchemy.orm.attributes import set_committed_value

from core.db import Base, Money, UTCDateTime, utcnow
from core.enums import (  # noqa: F401  (re-exported for convenience)
    AccountKind,
    BillingCycle,
    ExecutionType,
    HoldReason,
    ItemKind,
    OrderSource,
    PaymentMethod,
    Role,
    UserKind,
)

# --- tenants, accounts, users -------------------------------------------------------------------


def new_statuses_version() -> int:
    """A new ``Tenant.statuses_version``: random (not a counter), so that a tenant made again
    under the same id (a database restored, or reset by tests) does not match what a process
    kept of its predecessor."""
    return secrets.randbelow(2**31 - 1) + 1


class Tenant(Base):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    host: Mapped[str | None] = mapped_column(String(255), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # accounts and people (issue 14): who must sign in with two factors (off/admins/all)
    two_factor_required: Mapped[str] = mapped_column(
        String(10), default="off", server_default="off"
    )
    # Storefront self-registration: "off", or "approval" (a BSS user approves the account)
    self_registration: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    # job queue (issue 16): where each new manual order is announced (None: OPERATIONS_EMAIL)
    operations_email: Mapped[str | None] = mapped_column(String(255))
    # a token that changes with every change to the tenant's order statuses (the flush hook
    # after OrderStatus below): read with the signed-in user, it tells whether the statuses a
    # process keeps for the BSS read pages are still the tenant's (issue 19, ninth pass)
    statuses_version: Mapped[int] = mapped_column(
        Integer, default=new_statuses_version, server_default="0"
    )

    parent: Mapped[Tenant | None] = relationship(remote_side=[id])


class PriceList(Base):
    __tablename__ = "price_list"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # issue 13 (prices): the price list anonymous visitors of the Storefront see; one a tenant
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# issue 13 (prices): at most one default price list per tenant
Index(
    "uq_price_list_default",
    PriceList.tenant_id,
    unique=True,
    sqlite_where=PriceList.is_default,
    postgresql_where=PriceList.is_default,
)


class Account(Base):
    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_ref"),
        # the account pickers list the first accounts by name without sorting them all
        Index("ix_account_tenant_name", "tenant_id", "name", "id"),
        CheckConstraint("credit_limit IS NULL OR credit_limit >= 0", name="credit_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30), default=AccountKind.END_CUSTOMER)
    email: Mapped[str | None] = mapped_column(String(255))
    # an end customer under a standard reseller (same tenant)
    reseller_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    # a tenant reseller account (in a distributor) stands for this child tenant
    represents_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    # mirrored accounts (back-orders): a stable reference to the source record
    external_ref: Mapped[str | None] = mapped_column(String(120))
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("price_list.id"))
    payment_method: Mapped[str] = mapped_column(String(20), default=PaymentMethod.CARD)
    credit_limit: Mapped[Decimal | None] = mapped_column(Money)
    manager_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", use_alter=True))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    billing_name: Mapped[str | None] = mapped_column(String(200))
    billing_address: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # --- accounts and people (issue 14): VAT number, deactivation ---
    vat_number: Mapped[str | None] = mapped_column(String(20))
    # a deactivated account's users cannot sign in; its history stays
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # self-registered: waits for a BSS user's approval before its first order
    registration_pending: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # --- recurring billing (issue 17): where the customer is taxed, how its invoices read ---
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166 alpha-2 ("DE", "IE")
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locale: Mapped[str] = mapped_column(String(16), default="en_IE", server_default="en_IE")

    price_list: Mapped[PriceList | None] = relationship()
    reseller: Mapped[Account | None] = relationship(remote_side=[id])


# --- accounts and people (issue 14) ---------------------------------------------------------

# the BSS accounts list filtered by kind, by name, keyset-paginated on (name, id)
Index("ix_account_tenant_kind_name", Account.tenant_id, Account.kind, Account.name, Account.id)


class CreditLimitChange(Base):
    """Append-only record of a credit limit change: who, when, from, to, why."""

    __tablename__ = "credit_limit_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    from_limit: Mapped[Decimal | None] = mapped_column(Money)
    to_limit: Mapped[Decimal | None] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # UserKind
    role: Mapped[str] = mapped_column(String(20))  # Role
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    email: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # bumped on logout / password change: old session cookies stop working
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    date_format: Mapped[str] = mapped_column(String(32), default="%d/%m/%Y")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # --- accounts and people (issue 14): a BSS user's team (sharing rules of back-orders) ---
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    # two-factor sign-in: the TOTP secret (base32), the last time step accepted (no replay),
    # the SHA-256 hashes of the unused recovery codes (JSON list)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_codes: Mapped[str | None] = mapped_column(Text)

    tenant: Mapped[Tenant] = relationship()
    account: Mapped[Account | None] = relationship(foreign_keys=[account_id])


# a BSS user's address names their tenant at the BSS sign-in: one BSS user per address across
# all tenants, whatever its case (core.services.people.bss_address_in_use says why first;
# this holds when two tenants invite one address at the same moment). Storefront users are
# unique per tenant only (the UniqueConstraint above).
Index(
    "uq_user_bss_email",
    func.lower(User.email),
    unique=True,
    sqlite_where=User.kind == UserKind.BSS,
    postgresql_where=User.kind == UserKind.BSS,
)


class Team(Base):
    """A team of BSS users (issue 14): the Team sharing rule shares an order with them."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    name: Mapped[str] = mapped_column(String(120))


# --- statuses (PRODUCT.md section 7) ----------------------------------------------------------


class OrderStatus(Base):
    __tablename__ = "order_status"
    __table_args__ = (
        UniqueConstraint("tenant_id", "mandatory_key"),
        Index("ix_order_status_tenant_number", "tenant_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    number: Mapped[int] = mapped_column(Integer)  # "No.": priority among similar statuses
    description: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(30))  # core.rules.statuses.OrderStatusType
    storefront_type: Mapped[str] = mapped_column(String(30))  # ...StorefrontType
    color: Mapped[str] = mapped_column(String(7), default="#6b7280")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # set on the default statuses of section 7 (draft, submitted, executed, ...); NULL on custom
    mandatory_key: Mapped[str | None] = mapped_column(String(40))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@event.listens_for(Session, "before_flush")
def _order_statuses_changed(session, _flush_context, _instances) -> None:
    """Any order status added, changed or deleted through the ORM (every write of them: BSS
    Setup, a new tenant, the demo) gives its tenant a new ``statuses_version`` in the same
    transaction. A Core UPDATE of ``order_status`` would not: there is none; write one with
    the tenant's version too."""
    tenants = {
        o.tenant_id
        for changed in (session.new, session.dirty, session.deleted)
        for o in changed
        if type(o) is OrderStatus
    }
    tenants.discard(None)
    if tenants:
        version = new_statuses_version()
        table = Tenant.__table__
        session.execute(
            table.update().where(table.c.id.in_(sorted(tenants))).values(statuses_version=version)
        )
        for tenant_id in tenants:  # a tenant this session holds reads the new version too
            tenant = session.identity_map.get(session.identity_key(Tenant, tenant_id))
            if tenant is not None:
                set_committed_value(tenant, "statuses_version", version)


class OfferStatus(Base):
    __tablename__ = "offer_status"
    __table_args__ = (UniqueConstraint("tenant_id", "default_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(30))  # in_progress / accepted / cancelled
    color: Mapped[str] = mapped_column(String(7), default="#6b7280")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    default_key: Mapped[str | None] = mapped_column(String(40))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiOptions(Base):
    """Setup > Use of API Options: what the system gives to records it creates itself."""

    __tablename__ = "api_options"
    __table_args__ = (UniqueConstraint("tenant_id", "entity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    entity: Mapped[str] = mapped_column(String(30), default="order")
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sharing_rule: Mapped[str] = mapped_column(String(30), default="private")


# --- catalogue (PRODUCT.md section 3) ---------------------------------------------------------


class ProductType(Base):
    __tablename__ = "product_type"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(
            "NOT (is_asset AND non_automatic_execution)", name="asset_has_no_customer_request"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    is_asset: Mapped[bool] = mapped_column(Boolean, default=False)
    non_automatic_execution: Mapped[bool] = mapped_column(Boolean, default=False)
    # the provisioning connector of its products (issue 16); none: the manual connector
    connector: Mapped[str | None] = mapped_column(String(40))


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    product_type_id: Mapped[int] = mapped_column(ForeignKey("product_type.id"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_days: Mapped[int | None] = mapped_column(Integer)  # a trial is offered when set
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # issue 13 (prices): what one of quantity is ("user", "host"); prices read "per user / month"
    unit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # catalogue back office (issue 15): ``active`` False is a retired product (kept for history);
    # an unpublished one is sold from the BSS only; one-off or recurring (core.rules.catalogue)
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    billing_kind: Mapped[str] = mapped_column(
        String(20), default="recurring", server_default="recurring"
    )

    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        # the catalogue's pages, by name
        Index("ix_product_tenant_name", "tenant_id", "name", "id"),
    )

    product_type: Mapped[ProductType] = relationship()
    plans: Mapped[list[Plan]] = relationship(back_populates="product", order_by="Plan.id")
    addons: Mapped[list[AddOn]] = relationship(back_populates="product", order_by="AddOn.id")
    # catalogue back office (issue 15): its active promotions, read with the product page
    active_promotions: Mapped[list[Promotion]] = relationship(
        viewonly=True,
        primaryjoin="and_(Promotion.product_id == Product.id, "
        "Promotion.tenant_id == Product.tenant_id, Promotion.active.is_(True))",
        order_by="Promotion.id",
    )


class BundleComponent(Base):
    __tablename__ = "bundle_component"
    __table_args__ = (UniqueConstraint("bundle_id", "component_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)

    component: Mapped[Product] = relationship(foreign_keys=[component_id])


class ProductUpgrade(Base):
    __tablename__ = "product_upgrade"
    __table_args__ = (UniqueConstraint("from_product_id", "to_product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    to_product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))


class Plan(Base):
    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint("min_quantity >= 1 AND max_quantity >= min_quantity", name="limits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    billing_cycle: Mapped[str] = mapped_column(String(20), default=BillingCycle.MONTHLY)
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int] = mapped_column(Integer, default=10000)
    # catalogue back office (issue 15): the commitment term in months (0: none)
    commitment_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # --- catalogue back office gaps (issue 15): the plan's own free trial in days; None: the
    # product's trial_days (core.rules.catalogue.trial_days_for), 0: no trial for this plan
    trial_days: Mapped[int | None] = mapped_column(Integer)
    # not a column: the plan's price in one price list, when a query asks for it with
    # core.services.pricing.WITH_LIST_PRICE (in the query that loads the plan, issue 19)
    list_price: Mapped[Decimal | None] = query_expression()

    product: Mapped[Product] = relationship(back_populates="plans")


class PlanPrice(Base):
    __tablename__ = "plan_price"
    __table_args__ = (UniqueConstraint("plan_id", "price_list_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_list.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)


class AddOn(Base):
    __tablename__ = "addon"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int] = mapped_column(Integer, default=10000)

    product: Mapped[Product] = relationship(back_populates="addons")


class AddOnPrice(Base):
    __tablename__ = "addon_price"
    __table_args__ = (UniqueConstraint("addon_id", "price_list_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    addon_id: Mapped[int] = mapped_column(ForeignKey("addon.id"))
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_list.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)


class Promotion(Base):
    __tablename__ = "promotion"
    __table_args__ = (
        CheckConstraint("percent_off > 0 AND percent_off <= 100", name="percent_range"),
        CheckConstraint("ends_on >= starts_on", name="date_range"),
        # catalogue back office (issue 15): a percentage or a fixed amount off each unit
        CheckConstraint("amount_off > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'percent' AND percent_off IS NOT NULL) "
            "OR (kind = 'amount' AND amount_off IS NOT NULL)",
            name="kind_value",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    percent_off: Mapped[Decimal | None] = mapped_column(Money)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # catalogue back office (issue 15): core.rules.promotions; plan None: every plan
    kind: Mapped[str] = mapped_column(String(20), default="percent", server_default="percent")
    amount_off: Mapped[Decimal | None] = mapped_column(Money)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))


# --- baskets --------------------------------------------------------------------------------


class Basket(Base):
    __tablename__ = "basket"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[BasketItem]] = relationship(
        back_populates="basket", cascade="all, delete-orphan", order_by="BasketItem.id"
    )


class BasketItem(Base):
    __tablename__ = "basket_item"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    basket_id: Mapped[int] = mapped_column(ForeignKey("basket.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.NEW)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    addon_id: Mapped[int | None] = mapped_column(ForeignKey("addon.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id"))
    target_product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))  # upgrade
    parent_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("basket_item.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    trial: Mapped[bool] = mapped_column(Boolean, default=False)

    basket: Mapped[Basket] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(foreign_keys=[product_id])
    plan: Mapped[Plan | None] = relationship()
    addon: Mapped[AddOn | None] = relationship()


# --- orders (PRODUCT.md sections 5.5, 6) -----------------------------------------------------


class Order(Base):
    __tablename__ = "order"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_key"),
        UniqueConstraint("backorder_event_key"),
        Index("ix_order_tenant_date", "tenant_id", "order_date", "id"),
        Index("ix_order_tenant_status_date", "tenant_id", "status_id", "order_date", "id"),
        Index("ix_order_tenant_account_date", "tenant_id", "account_id", "order_date", "id"),
        # the sub-orders alone: with every primary order in it (NULL), SQLite's statistics
        # made "parent_order_id = ?" look as unselective as the tenant (issue 19, migration 0017)
        Index(
            "ix_order_parent",
            "parent_order_id",
            sqlite_where=text("parent_order_id IS NOT NULL"),
            postgresql_where=text("parent_order_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    number: Mapped[str] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(200))
    order_type: Mapped[str | None] = mapped_column(String(60))  # the "Type" field of the form
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    billing_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    status_id: Mapped[int] = mapped_column(ForeignKey("order_status.id"))
    # the last status the customer could see (an order whose status is hidden shows it)
    storefront_status_id: Mapped[int | None] = mapped_column(ForeignKey("order_status.id"))
    parent_order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id", use_alter=True))
    source: Mapped[str] = mapped_column(String(20), default=OrderSource.STOREFRONT)
    execution_type: Mapped[str] = mapped_column(String(20), default=ExecutionType.AUTOMATIC)
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("price_list.id"))
    payment_method: Mapped[str] = mapped_column(String(20), default=PaymentMethod.CARD)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))  # without taxes
    order_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sharing_rule: Mapped[str | None] = mapped_column(String(30))
    sales_rep: Mapped[str | None] = mapped_column(String(120))
    contact: Mapped[str | None] = mapped_column(String(120))
    campaign: Mapped[str | None] = mapped_column(String(120))
    custom_fields: Mapped[str | None] = mapped_column(Text)  # JSON object
    billing_name: Mapped[str | None] = mapped_column(String(200))
    billing_address: Mapped[str | None] = mapped_column(Text)
    # why a reseller rejected the order (PRODUCT.md 5.5), shown to the customer
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # back-orders (PRODUCT.md section 8)
    backorder_reseller_name: Mapped[str | None] = mapped_column(String(200))
    backorder_source_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"))
    backorder_event_key: Mapped[str | None] = mapped_column(String(120))
    backorder_action: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    status: Mapped[OrderStatus] = relationship(foreign_keys=[status_id])
    storefront_status: Mapped[OrderStatus | None] = relationship(
        foreign_keys=[storefront_status_id]
    )
    account: Mapped[Account] = relationship(foreign_keys=[account_id])
    billing_account: Mapped[Account | None] = relationship(foreign_keys=[billing_account_id])
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    holds: Mapped[list[OrderHold]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderHold.id"
    )


class OrderItem(Base):
    __tablename__ = "order_item"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint(
            "executed_quantity >= 0 AND executed_quantity <= quantity", name="executed_within"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.NEW)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    addon_id: Mapped[int | None] = mapped_column(ForeignKey("addon.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id"))
    target_product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    parent_item_id: Mapped[int | None] = mapped_column(ForeignKey("order_item.id"))
    # on a sub-order's item: the primary order's item it executed
    source_item_id: Mapped[int | None] = mapped_column(ForeignKey("order_item.id"))
    description: Mapped[str] = mapped_column(String(300))
    execution_type: Mapped[str] = mapped_column(String(20), default=ExecutionType.AUTOMATIC)
    quantity: Mapped[int] = mapped_column(Integer)
    executed_quantity: Mapped[int] = mapped_column(Integer, default=0)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_percent: Mapped[Decimal | None] = mapped_column(Money)
    trial: Mapped[bool] = mapped_column(Boolean, default=False)
    # --- billing changes (issue 17, point 3): an increase's prorated charge for
    # [charge_from, charge_to) of the subscription's period; None: the item bills in full ---
    charge_now: Mapped[Decimal | None] = mapped_column(Money)
    charge_from: Mapped[date | None] = mapped_column(Date)
    charge_to: Mapped[date | None] = mapped_column(Date)

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(foreign_keys=[product_id])
    plan: Mapped[Plan | None] = relationship()
    # issue 13 (prices): an add-on's price follows the billing cycle of the item it belongs to
    parent_item: Mapped[OrderItem | None] = relationship(
        remote_side=[id], foreign_keys=[parent_item_id]
    )
    # a change of a subscription (an add-on for it): its price follows the subscription's cycle
    subscription: Mapped[Subscription | None] = relationship(foreign_keys=[subscription_id])


class OrderHold(Base):
    __tablename__ = "order_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(30))  # HoldReason
    detail: Mapped[str | None] = mapped_column(Text)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    release_note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="holds")


class OrderEvent(Base):
    """Append-only history of an order: status changes, holds, executions, notes."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(120))  # user name, "system", "worker"...
    kind: Mapped[str] = mapped_column(String(30))  # status / hold / release / execution / note
    from_status_id: Mapped[int | None] = mapped_column(ForeignKey("order_status.id"))
    to_status_id: Mapped[int | None] = mapped_column(ForeignKey("order_status.id"))
    note: Mapped[str | None] = mapped_column(Text)

    from_status: Mapped[OrderStatus | None] = relationship(foreign_keys=[from_status_id])
    to_status: Mapped[OrderStatus | None] = relationship(foreign_keys=[to_status_id])


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    # None for a payment of an invoice (issue 17: renewals, dunning, recorded payments)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # succeeded / declined / error
    gateway: Mapped[str] = mapped_column(String(40))
    gateway_reference: Mapped[str | None] = mapped_column(String(120))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    message: Mapped[str | None] = mapped_column(String(300))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # --- payment and dunning (issue 17): a payment of an invoice ---
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    # the business day of a charge (the run's or dunning's date) or when a recorded payment
    # was received
    value_date: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str | None] = mapped_column(String(200))  # a BSS user's payment


class Invoice(Base):
    """An issued invoice or credit note (issue 17). Never changed once issued, except its
    ``status`` (open -> paid, open -> void when fully credited); corrections are credit notes
    (``kind`` "credit_note", ``credit_note_for_id`` the invoice they correct, amounts positive).
    Issued only by :mod:`core.services.invoicing` (number, tax, totals, snapshots)."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_invoice_tenant_issue", "tenant_id", "issue_date", "id"),
        Index("ix_invoice_run", "billing_run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    # None for a renewal (the billing run) and for a credit note
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    total: Mapped[Decimal] = mapped_column(Money)  # gross: net_total + tax_total
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # --- recurring billing (issue 17) ---
    kind: Mapped[str] = mapped_column(String(20), default="invoice", server_default="invoice")
    # open / paid / void, a credit note issued (core.rules.invoicing.InvoiceStatus); ``paid``
    # below reads it
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    issue_date: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date())
    due_date: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date())
    net_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), server_default="0")
    tax_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), server_default="0")
    tax_note: Mapped[str | None] = mapped_column(Text)  # e.g. the reverse-charge wording
    locale: Mapped[str] = mapped_column(String(16), default="en_IE", server_default="en_IE")
    # bill-to and seller as they were on the issue date (later edits never change an invoice)
    bill_to_name: Mapped[str | None] = mapped_column(String(200))
    bill_to_address: Mapped[str | None] = mapped_column(Text)
    bill_to_country: Mapped[str | None] = mapped_column(String(2))
    bill_to_vat_number: Mapped[str | None] = mapped_column(String(20))
    seller_name: Mapped[str | None] = mapped_column(String(200))
    seller_address: Mapped[str | None] = mapped_column(Text)
    seller_country: Mapped[str | None] = mapped_column(String(2))
    seller_vat_number: Mapped[str | None] = mapped_column(String(20))
    credit_note_for_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    billing_run_id: Mapped[int | None] = mapped_column(ForeignKey("billing_run.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credit_reason: Mapped[str | None] = mapped_column(Text)  # a credit note's, said by the BSS

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.id"
    )
    credit_note_for: Mapped[Invoice | None] = relationship(remote_side=[id])

    @property
    def paid(self) -> bool:
        """Kept for the pages and services written before issue 17: ``status == "paid"``."""
        return self.status == "paid"

    @paid.setter
    def paid(self, value: bool) -> None:
        self.status = "paid" if value else "open"
        if value and self.paid_at is None:
            self.paid_at = utcnow()


class InvoiceLine(Base):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="CASCADE"), index=True
    )
    order_item_id: Mapped[int | None] = mapped_column(ForeignKey("order_item.id"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)  # net, after any discount
    # --- recurring billing (issue 17): the subscription period a line bills, its VAT ---
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id"), index=True)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)  # exclusive
    tax_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), server_default="0")
    tax_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), server_default="0")
    discount_percent: Mapped[Decimal | None] = mapped_column(Money)
    # on a credit note: the invoice line it credits
    credits_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_line.id"))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    order_item: Mapped[OrderItem | None] = relationship()  # issue 13: its price's unit
    # a billing run's line (no order item): its price's cycle and unit are its subscription's
    subscription: Mapped[Subscription | None] = relationship()


# --- subscriptions --------------------------------------------------------------------------


def _subscription_bill_to(context) -> int:
    """Recurring billing (issue 17): a subscription is billed to its own account unless told."""
    return context.get_current_parameters()["account_id"]


class Subscription(Base):
    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        Index("ix_subscription_tenant_account", "tenant_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")
    is_trial: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_ends_on: Mapped[date | None] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))  # the "Order" field
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # --- recurring billing (issue 17): billing terms (core.rules.billing_periods) ---
    billing_cycle: Mapped[str] = mapped_column(
        String(20), default=BillingCycle.MONTHLY, server_default=BillingCycle.MONTHLY
    )
    commitment_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the period billed last: [current_period_start, current_period_end)
    current_period_start: Mapped[date | None] = mapped_column(Date)
    current_period_end: Mapped[date | None] = mapped_column(Date)
    # the start of the next period to bill; None: never billed again (ended, one-off)
    next_billing_date: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)  # exclusive, like a period's end
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # the price each unit bills at (set at purchase; a later price list change never rewrites it)
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), server_default="0")
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    ended_on: Mapped[date | None] = mapped_column(Date)  # auto-renew off: ended at term end
    # who its invoices are billed to: the order's Billing To (a distributor bills the tenant
    # reseller for a back-order's end customer), else the subscription's own account
    billing_account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id"), default=_subscription_bill_to
    )
    # --- payment and dunning (issue 17): status "suspended" for this unpaid invoice ---
    suspended_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    suspended_on: Mapped[date | None] = mapped_column(Date)
    suspended_invoice: Mapped[Invoice | None] = relationship(foreign_keys=[suspended_invoice_id])

    # --- billing changes (issue 17, point 3): trials (core.rules.subscription_changes) ---
    # the customer's "Continue on the paid plan after the trial" (off: the trial expires)
    trial_converts: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    trial_notice_sent_on: Mapped[date | None] = mapped_column(Date)  # the notice, sent once

    product: Mapped[Product] = relationship()
    plan: Mapped[Plan | None] = relationship()
    addons: Mapped[list[SubscriptionAddOn]] = relationship(
        back_populates="subscription", order_by="SubscriptionAddOn.id"
    )


class SubscriptionAddOn(Base):
    __tablename__ = "subscription_addon"
    __table_args__ = (
        UniqueConstraint("subscription_id", "addon_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"))
    addon_id: Mapped[int] = mapped_column(ForeignKey("addon.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    source_order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))  # "Source Type"
    # --- recurring billing (issue 17): the price each unit of the add-on bills at ---
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"), server_default="0")

    subscription: Mapped[Subscription] = relationship(back_populates="addons")
    addon: Mapped[AddOn] = relationship()


class SubscriptionHistory(Base):
    __tablename__ = "subscription_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    change: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    from_quantity: Mapped[int | None] = mapped_column(Integer)
    to_quantity: Mapped[int | None] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))


class ProvisioningTask(Base):
    __tablename__ = "provisioning_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    # None: a change the billing run applied (a cancellation or decrease at period end), or a
    # suspension or resumption by dunning (issue 17): no order asked for it
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id"))
    action: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="started")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # provisioning through connectors (issue 16)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    connector: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- offers (PRODUCT.md 6.5) ----------------------------------------------------------------


class Offer(Base):
    __tablename__ = "offer"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("offer_status.id"))
    valid_until: Mapped[date | None] = mapped_column(Date)
    converted_order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), unique=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    status: Mapped[OfferStatus] = relationship()
    account: Mapped[Account] = relationship()
    items: Mapped[list[OfferItem]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferItem.id"
    )


class OfferItem(Base):
    __tablename__ = "offer_item"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)

    offer: Mapped[Offer] = relationship(back_populates="items")
    # issue 13 (prices): what the price is for
    plan: Mapped[Plan | None] = relationship()
    product: Mapped[Product] = relationship()


class OfferEvent(Base):
    __tablename__ = "offer_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    from_status_id: Mapped[int | None] = mapped_column(ForeignKey("offer_status.id"))
    to_status_id: Mapped[int | None] = mapped_column(ForeignKey("offer_status.id"))
    note: Mapped[str | None] = mapped_column(Text)


# --- order side records the distributor may add (PRODUCT.md section 8) ----------------------


class OrderActivity(Base):
    __tablename__ = "order_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class OrderEmail(Base):
    __tablename__ = "order_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender: Mapped[str] = mapped_column(String(255))
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)


class Case(Base):
    __tablename__ = "support_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- cross-cutting ---------------------------------------------------------------------------


class AuditEntry(Base):
    """Append-only audit trail for setup changes and other non-order actions."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """Outgoing messages (e-mail when configured, the log in development)."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # job queue and e-mail (issue 16): the HTML body, the Message-ID, how it left
    html_body: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    transport: Mapped[str | None] = mapped_column(String(20))  # "smtp" or "mailbox"


# --- job queue: transactional outbox, notification settings (issue 16) ----------------------


class OutboxItem(Base):
    """Work that leaves the system (an e-mail, a provisioning step, a webhook delivery),
    written in the use case's transaction and done by a worker that claims it first."""

    __tablename__ = "outbox_item"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_outbox_item_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "email", ...
    ref_id: Mapped[int] = mapped_column(Integer)  # the row the kind names (Notification.id ...)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProvisioningAttempt(Base):
    """One call to a connector for a provisioning task, and what came of it (the history)."""

    __tablename__ = "provisioning_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("provisioning_task.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)


class WebhookEndpoint(Base):
    """A tenant's receiver of signed event notifications (Standard Webhooks)."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[str] = mapped_column(String(500), default="")  # comma list; empty: all
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: the signed payload and what became of it (the log)."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(60))
    message_id: Mapped[str] = mapped_column(String(60), unique=True)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationSetting(Base):
    """A tenant's choice for one kind of message; no row means on (the default)."""

    __tablename__ = "notification_setting"
    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    kind: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


# --- catalogue back office (issue 15) ---------------------------------------------------------

# a catalogue object's history (who, when, before -> after) is read by its entity and id
Index("ix_audit_entry_entity", AuditEntry.tenant_id, AuditEntry.entity, AuditEntry.entity_id)


# --- public API (issue 18): API keys and stored answers of idempotent POSTs -------------------


class ApiKey(Base):
    """A key of the public API: acts as one BSS user of its tenant, read or read-write.
    Only the SHA-256 of the secret is kept; ``prefix`` is the visible part that names it."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))  # the key acts as this user
    name: Mapped[str] = mapped_column(String(120))  # who uses it: a person or an integration
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(20))  # core.rules.api_keys.Scope
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ApiIdempotencyRecord(Base):
    """The first answer to a POST sent with an ``Idempotency-Key``, per tenant and key."""

    __tablename__ = "api_idempotency_record"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))  # method, path and body
    status_code: Mapped[int | None] = mapped_column(Integer)  # None: still being answered
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# --- performance at scale (issue 19) ---
# executing an order reads back the subscriptions it just created (by order): without this
# index that read scanned every subscription ever sold (26 ms at 200,000 orders, growing)
Index("ix_subscription_order", Subscription.order_id)
# the subscriptions an invoice suspended (its payments page, every payment that settles it):
# without it a scan of every subscription ever sold, 19 ms on SQLite at 190,000 (migration
# 0017); partial, as almost none is suspended
Index(
    "ix_subscription_suspended_invoice",
    Subscription.suspended_invoice_id,
    sqlite_where=Subscription.suspended_invoice_id.is_not(None),
    postgresql_where=Subscription.suspended_invoice_id.is_not(None),
)
# the open balance (credit check of every on-account checkout) finds the orders billed to an
# account through either column; an OR over an unindexed column scanned the tenant's orders.
# Partial (migration 0014_checkout): almost every order has no billing account, and over all
# of them SQLite's statistics judged the index useless and walked the tenant's orders instead
Index(
    "ix_order_billing_account",
    Order.billing_account_id,
    sqlite_where=Order.billing_account_id.is_not(None),
    postgresql_where=Order.billing_account_id.is_not(None),
)
# the distributor's back-orders list, newest first: the back-orders alone (a few of the
# tenant's orders). Filtering the tenant's orders by source read them all (PostgreSQL: a
# parallel scan of 200,000 orders, 26 ms a page and growing; migration 0016). The source is
# a column too: without statistics (SQLite's, until ANALYZE) two equal columns are what make
# the planner prefer this index to ix_order_tenant_date
Index(
    "ix_order_backorder_date",
    Order.tenant_id,
    Order.source,
    Order.order_date,
    Order.id,
    sqlite_where=Order.source == OrderSource.BACKORDER,
    postgresql_where=Order.source == OrderSource.BACKORDER,
)
# --- end performance at scale (issue 19) ---
# --- recurring billing (issue 17) -----------------------------------------------------------

# the billing run walks the billed accounts in order and finds what is due for each
Index(
    "ix_subscription_due",
    Subscription.tenant_id,
    Subscription.billing_account_id,
    Subscription.next_billing_date,
)


class TenantBillingSettings(Base):
    """Setup > Billing: the seller on the tenant's invoices, its VAT and payment terms."""

    __tablename__ = "tenant_billing_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), default="IE")
    vat_number: Mapped[str | None] = mapped_column(String(20))
    default_vat_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=14)
    invoice_prefix: Mapped[str] = mapped_column(String(12), default="INV")
    credit_note_prefix: Mapped[str] = mapped_column(String(12), default="CN")


class TenantVatRate(Base):
    """The VAT rate a tenant charges customers of one country (else its default rate)."""

    __tablename__ = "tenant_vat_rate"
    __table_args__ = (
        UniqueConstraint("tenant_id", "country"),
        CheckConstraint("rate >= 0 AND rate <= 100", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    country: Mapped[str] = mapped_column(String(2))
    rate: Mapped[Decimal] = mapped_column(Money)


class DocumentNumberSequence(Base):
    """The next number of a tenant's invoices (``kind`` "invoice") or credit notes: taken by a
    conditional UPDATE in the issuing transaction, so a rollback gives it back (no gaps)."""

    __tablename__ = "document_number_sequence"
    __table_args__ = (UniqueConstraint("tenant_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    kind: Mapped[str] = mapped_column(String(20))
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class BillingRun(Base):
    """One billing run of a tenant for a date: what it invoiced and what failed (its entries)."""

    __tablename__ = "billing_run"
    __table_args__ = (Index("ix_billing_run_tenant_started", "tenant_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    run_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running/done/failed
    triggered_by: Mapped[str] = mapped_column(String(120), default="system")
    invoices_count: Mapped[int] = mapped_column(Integer, default=0)
    periods_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    ended_count: Mapped[int] = mapped_column(Integer, default=0)
    net_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    error: Mapped[str | None] = mapped_column(Text)


class BillingRunEntry(Base):
    """What a run did for one account (an invoice) or one subscription (ended, failed)."""

    __tablename__ = "billing_run_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("billing_run.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # invoiced / ended / failed
    periods: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillingCharge(Base):
    """The exactly-once key of billing: one row per subscription, period and kind ("period":
    a whole period billed by the run or by execution; other kinds, e.g. proration, may follow).
    Inserted in the transaction that writes the invoice line, so a second runner's insert
    fails (or waits and then fails) instead of billing the period twice."""

    __tablename__ = "billing_charge"
    __table_args__ = (UniqueConstraint("subscription_id", "period_start", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20), default="period")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    billing_run_id: Mapped[int | None] = mapped_column(ForeignKey("billing_run.id"))
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- billing changes (issue 17, point 3): decreases, downgrades, cancellations -----------------


class SubscriptionChange(Base):
    """A change that takes effect at the end of the subscription's period (or term): fewer
    licenses, fewer of an add-on or none, a downgrade, a cancellation. Pending until the billing
    run applies it on ``effective_on``; the customer may withdraw it until then. At most one
    pending change per subscription and ``slot`` (its kind, and its add-on)."""

    __tablename__ = "subscription_change"
    __table_args__ = (
        Index("ix_subscription_change_due", "tenant_id", "status", "effective_on"),
        CheckConstraint("quantity IS NULL OR quantity >= 1", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # core.rules.subscription_changes.KINDS
    slot: Mapped[str] = mapped_column(String(40))  # kind, plus ":<addon id>" for an add-on
    addon_id: Mapped[int | None] = mapped_column(ForeignKey("addon.id"))
    from_quantity: Mapped[int | None] = mapped_column(Integer)
    quantity: Mapped[int | None] = mapped_column(Integer)  # the quantity from effective_on
    target_product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    target_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    unit_price: Mapped[Decimal | None] = mapped_column(Money)  # a downgrade's new price
    effective_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # applied or withdrawn

    addon: Mapped[AddOn | None] = relationship()
    target_product: Mapped[Product | None] = relationship()


# one pending change per subscription and slot: a double click never schedules two
Index(
    "uq_subscription_change_pending",
    SubscriptionChange.subscription_id,
    SubscriptionChange.slot,
    unique=True,
    sqlite_where=SubscriptionChange.status == "pending",
    postgresql_where=SubscriptionChange.status == "pending",
)
# --- payment and dunning (issue 17) ---------------------------------------------------------


class AccountCard(Base):
    """The card an account's renewals are charged to: the gateway's token (never the number),
    saved when the customer pays with a card (checkout, Pay now on an invoice)."""

    __tablename__ = "account_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), unique=True)
    gateway: Mapped[str] = mapped_column(String(40))
    token: Mapped[str] = mapped_column(String(120))
    last4: Mapped[str] = mapped_column(String(4))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DunningCase(Base):
    """An invoice whose card charge failed, and where its dunning stands
    (core.rules.dunning): started on the day of the first failed charge; ``steps_done`` of
    the schedule behind it; open -> suspended -> resolved (or open -> resolved)."""

    __tablename__ = "dunning_case"
    __table_args__ = (Index("ix_dunning_case_due", "tenant_id", "status", "next_action_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    started_on: Mapped[date] = mapped_column(Date)
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    next_action_on: Mapped[date | None] = mapped_column(Date)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# history rows are append-only in every session (issue 8)
from core import append_only  # noqa: E402,F401
