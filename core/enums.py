"""Enumerations as plain strings: portable, readable in the database, importable by the
pure rules without SQLAlchemy."""


class AccountKind:
    END_CUSTOMER = "end_customer"
    STANDARD_RESELLER = "standard_reseller"
    TENANT_RESELLER = "tenant_reseller"
    ALL = (END_CUSTOMER, STANDARD_RESELLER, TENANT_RESELLER)


class PaymentMethod:
    CARD = "card"
    ON_ACCOUNT = "on_account"
    ALL = (CARD, ON_ACCOUNT)


class UserKind:
    BSS = "bss"
    STOREFRONT = "storefront"


class Role:
    ADMIN = "admin"
    OPERATOR = "operator"
    CUSTOMER = "customer"  # Storefront user of an account


class ExecutionType:
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class BillingCycle:
    MONTHLY = "monthly"
    ANNUAL = "annual"
    ONE_OFF = "one_off"
    ALL = (MONTHLY, ANNUAL, ONE_OFF)


class ItemKind:
    """What a basket/order item does. The first two create things; the rest change them."""

    NEW = "new"  # a new subscription (or a one-off product)
    ADDON_NEW = "addon_new"  # an add-on for a new item, or bought for an existing subscription
    LICENSES = "licenses"  # buy licenses: subscription quantity increase
    ADDON_QUANTITY = "addon_quantity"  # increase an existing add-on's quantity
    UPGRADE = "upgrade"  # move a subscription to another product
    TO_PAID = "to_paid"  # upgrade a trial to paid
    ALL = (NEW, ADDON_NEW, LICENSES, ADDON_QUANTITY, UPGRADE, TO_PAID)


class OrderSource:
    STOREFRONT = "storefront"
    BSS = "bss"
    OFFER = "offer"
    BACKORDER = "backorder"
    COPY = "copy"


class HoldReason:
    """Why an order is not executed (PRODUCT.md rule 4.5); each has its own release."""

    MANUAL_EXECUTION = "manual_execution"
    CREDIT_LIMIT = "credit_limit"
    PAYMENT_FAILED = "payment_failed"
    SCHEDULED = "scheduled"
    RESELLER_APPROVAL = "reseller_approval"
    ALL = (MANUAL_EXECUTION, CREDIT_LIMIT, PAYMENT_FAILED, SCHEDULED, RESELLER_APPROVAL)
