"""The provider's catalogue (issue 15): what a product must be to be saved, what its status is,
whether the Storefront sells it, and the list's keyset cursor. Standard library only."""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from core import texts
from core.enums import ItemKind
from core.rules import amounts

MAX_CODE = 60
MAX_NAME = 200
MAX_DESCRIPTION = 5000
# letters, digits and . _ - (a code goes into CSV files, URLs of other systems and back-orders)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ProductStatus:
    """A product is on the Storefront (published), kept off it (unpublished), or retired:
    gone from every place a new sale starts, kept for the orders, offers and subscriptions
    that already use it."""

    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    RETIRED = "retired"
    ALL = (PUBLISHED, UNPUBLISHED, RETIRED)
    LABELS = {PUBLISHED: "Published", UNPUBLISHED: "Not published", RETIRED: "Retired"}


class BillingKind:
    RECURRING = "recurring"
    ONE_OFF = "one_off"
    ALL = (RECURRING, ONE_OFF)
    LABELS = {RECURRING: "Recurring", ONE_OFF: "One-off"}


def product_status(active: bool, published: bool) -> str:
    if not active:
        return ProductStatus.RETIRED
    return ProductStatus.PUBLISHED if published else ProductStatus.UNPUBLISHED


def sold_on_storefront(active: bool, published: bool) -> bool:
    """The Storefront lists, shows and sells only published products that are not retired."""
    return product_status(active, published) == ProductStatus.PUBLISHED


# a subscription's changes that buy more of its own product (licenses, add-ons)
SELLS_MORE = (ItemKind.LICENSES, ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY)


def change_refusal(kind: str, product_name: str, on_sale: bool) -> str | None:
    """A change of a subscription whose product is no longer sold on the Storefront (retired
    or unpublished) may not buy more of it: no licenses, no add-ons. It may still move to a
    product on sale (an upgrade's target is checked as any product is) or keep its trial."""
    if on_sale or kind not in SELLS_MORE:
        return None
    return texts.SUBSCRIPTION_NOT_SOLD_REFUSED.format(product=product_name)


def line_on_sale(kind: str, product_on_sale: bool, target_on_sale: bool) -> bool:
    """Whether a basket or Storefront order line sells what is on sale: an upgrade sells its
    target; a trial made paid keeps the subscription held (its trial would convert anyway);
    any other line sells its own product."""
    if kind == ItemKind.UPGRADE:
        return target_on_sale
    if kind == ItemKind.TO_PAID:
        return True
    return product_on_sale


def retired_names(products: Iterable[tuple[str, bool]]) -> str | None:
    """The retired ones among (name, active) products, by name, for a message ("A, B"); None
    when none is: a retired product is never sold again (a copied order, a converted offer),
    whoever asks."""
    names = sorted({name for name, active in products if not active})
    return ", ".join(names) or None


MAX_UNIT = 40  # Product.unit's column


@dataclass(frozen=True)
class ProductInput:
    """What a user typed for a product."""

    code: str
    name: str
    description: str
    product_type_id: int | None
    billing_kind: str
    published: bool
    unit: str = ""  # what a quantity counts: "per user", "per host"; empty: nothing shown
    trial_days: int | None = None  # the free trial its plans offer by default; None: none

    def cleaned(self) -> ProductInput:
        return ProductInput(
            code=self.code.strip(),
            name=self.name.strip(),
            description=self.description.strip(),
            product_type_id=self.product_type_id,
            billing_kind=self.billing_kind,
            published=self.published,
            unit=self.unit.strip(),
            trial_days=self.trial_days,
        )


def validate_product(
    values: ProductInput,
    *,
    product_type_ids: Iterable[int],
    taken_codes: Iterable[str] = (),
    plan_cycles: Iterable[str] = (),
) -> dict[str, list[str]]:
    """Field name -> messages; empty when the product may be saved. ``values`` are cleaned;
    ``taken_codes``: the codes of the tenant's other products (a code is unique per tenant,
    whatever its letter case); ``plan_cycles``: the billing cycles of its plans, which its
    billing kind must agree with (:func:`cycle_error`)."""
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not values.code:
        refuse("code", texts.CATALOGUE_CODE_REQUIRED)
    elif len(values.code) > MAX_CODE:
        refuse("code", texts.CATALOGUE_CODE_TOO_LONG.format(max=MAX_CODE))
    elif not _CODE.fullmatch(values.code):
        refuse("code", texts.CATALOGUE_CODE_INVALID)
    elif values.code.casefold() in {c.casefold() for c in taken_codes}:
        refuse("code", texts.CATALOGUE_CODE_TAKEN)
    if not values.name:
        refuse("name", texts.CATALOGUE_NAME_REQUIRED)
    elif len(values.name) > MAX_NAME:
        refuse("name", texts.CATALOGUE_NAME_TOO_LONG.format(max=MAX_NAME))
    if len(values.description) > MAX_DESCRIPTION:
        refuse("description", texts.CATALOGUE_DESCRIPTION_TOO_LONG.format(max=MAX_DESCRIPTION))
    if len(values.unit) > MAX_UNIT:
        refuse("unit", texts.CATALOGUE_UNIT_TOO_LONG.format(max=MAX_UNIT))
    if values.trial_days is not None and not 0 <= values.trial_days <= MAX_TRIAL_DAYS:
        refuse("trial_days", texts.PRODUCT_TRIAL_INVALID.format(max=MAX_TRIAL_DAYS))
    if values.product_type_id not in set(product_type_ids):
        refuse("product_type_id", texts.CATALOGUE_PRODUCT_TYPE_INVALID)
    if values.billing_kind not in BillingKind.ALL:
        refuse("billing_kind", texts.CATALOGUE_BILLING_KIND_INVALID)
    elif any(cycle_error(values.billing_kind, cycle) for cycle in plan_cycles):
        refuse(
            "billing_kind",
            texts.CATALOGUE_BILLING_KIND_PLANS_RECURRING
            if values.billing_kind == BillingKind.ONE_OFF
            else texts.CATALOGUE_BILLING_KIND_PLANS_ONE_OFF,
        )
    return errors


def changes(before: dict, after: dict) -> dict[str, list]:
    """Field -> [before, after] for the fields whose value differs (the audit trail's
    "before → after")."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


# --- the BSS product list's keyset cursor: (name, id) of the last row shown ------------------


def encode_cursor(name: str, product_id: int) -> str:
    raw = f"{product_id}|{name}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    """The (name, id) a cursor carries, or None for anything that is not one of ours."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        product_id, name = raw.split("|", 1)
        number = int(product_id)
    except (ValueError, UnicodeDecodeError):
        return None
    if not 0 < number < 2**63 or len(name) > MAX_NAME:
        return None
    return name, number


# --- price lists and prices -------------------------------------------------------------------

MAX_PRICE_LIST_NAME = 120
MAX_PRICE = Decimal("999999999999.99")  # what the Money column (14, 2) holds
_CURRENCY = re.compile(r"[A-Z]{3}")


def validate_price_list(
    name: str,
    currency: str,
    taken_names: Iterable[str] = (),
    known_currencies: Collection[str] | None = None,
) -> dict[str, list[str]]:
    """Field -> messages for a price list's name (unique per tenant) and currency: three capital
    letters, and one of ``known_currencies`` (the ISO 4217 codes; the service passes them) when
    given."""
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [texts.PRICE_LIST_NAME_REQUIRED]
    elif len(name) > MAX_PRICE_LIST_NAME:
        errors["name"] = [texts.PRICE_LIST_NAME_TOO_LONG.format(max=MAX_PRICE_LIST_NAME)]
    elif name.casefold() in {n.casefold() for n in taken_names}:
        errors["name"] = [texts.PRICE_LIST_NAME_TAKEN]
    if not _CURRENCY.fullmatch(currency) or (
        known_currencies is not None and currency not in known_currencies
    ):
        errors["currency"] = [texts.PRICE_LIST_CURRENCY_INVALID]
    return errors


class PriceInvalid(ValueError):
    """A typed price that is not one; ``str()`` is the message for the user."""


def parse_price(text: str | None) -> Decimal | None:
    """A typed price: None for an empty cell (no price in this list), else a Decimal of at
    most two places from 0 to :data:`MAX_PRICE`. Raises :class:`PriceInvalid`."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = amounts.parse_amount(text)
    except amounts.AmountInvalid as refused:
        raise PriceInvalid(
            texts.PRICE_TOO_LARGE if refused.too_large else texts.PRICE_INVALID
        ) from None
    if value > MAX_PRICE:
        raise PriceInvalid(texts.PRICE_TOO_LARGE)
    return value


def parse_prices(cells: dict[str, str]) -> tuple[dict[str, Decimal | None], dict[str, str]]:
    """Every typed cell of a bulk price edit -> (the values, row key -> message for each cell
    that is not a price). The table is saved only when the second is empty."""
    values: dict[str, Decimal | None] = {}
    errors: dict[str, str] = {}
    for key, text in cells.items():
        try:
            values[key] = parse_price(text)
        except PriceInvalid as refused:
            errors[key] = str(refused)
    return values, errors


# --- plans and add-ons ------------------------------------------------------------------------

MAX_QUANTITY = 100_000
MAX_COMMITMENT_MONTHS = 120
MAX_TRIAL_DAYS = 365
BILLING_CYCLES = ("monthly", "annual", "one_off")  # core.enums.BillingCycle
BILLING_CYCLE_LABELS = {"monthly": "Monthly", "annual": "Yearly", "one_off": "One-off"}


@dataclass(frozen=True)
class PlanInput:
    name: str
    billing_cycle: str
    commitment_months: int | None
    min_quantity: int | None
    max_quantity: int | None
    # the plan's free trial in days: None = the product's, 0 = none (see trial_days_for);
    # a negative number stands for something typed that is not a whole number
    trial_days: int | None = None


@dataclass(frozen=True)
class AddOnInput:
    name: str
    min_quantity: int | None
    max_quantity: int | None


def quantity_range_errors(low: int | None, high: int | None) -> dict[str, list[str]]:
    """A plan's or add-on's quantity limits: whole numbers, 1 <= minimum <= maximum <=
    :data:`MAX_QUANTITY`."""
    errors: dict[str, list[str]] = {}
    message = texts.QUANTITY_LIMIT_INVALID.format(max=MAX_QUANTITY)
    if low is None or not 1 <= low <= MAX_QUANTITY:
        errors["min_quantity"] = [message]
    if high is None or not 1 <= high <= MAX_QUANTITY:
        errors["max_quantity"] = [message]
    if not errors and low > high:
        errors["max_quantity"] = [texts.QUANTITY_RANGE_INVERTED]
    return errors


def _name_errors(name: str, max_length: int = 120) -> list[str]:
    if not name:
        return [texts.PLAN_NAME_REQUIRED]
    if len(name) > max_length:
        return [texts.PLAN_NAME_TOO_LONG.format(max=max_length)]
    return []


def _name_taken(name: str, taken_names: Iterable[str]) -> bool:
    """Plans (and add-ons) are named by name in the CSV import, promotions and back-orders,
    so a product's are unique whatever their letter case."""
    return name.casefold() in {n.casefold() for n in taken_names}


def cycle_error(billing_kind: str | None, billing_cycle: str) -> str | None:
    """Why a plan of ``billing_cycle`` cannot belong to a product sold as ``billing_kind``
    (a one-off product has one-off plans, a recurring one monthly or yearly plans), or None."""
    if billing_kind == BillingKind.ONE_OFF and billing_cycle != "one_off":
        return texts.PLAN_CYCLE_NOT_ONE_OFF
    if billing_kind == BillingKind.RECURRING and billing_cycle == "one_off":
        return texts.PLAN_CYCLE_NOT_RECURRING
    return None


def validate_plan(
    values: PlanInput, *, billing_kind: str | None = None, taken_names: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Field -> messages for a plan of a product sold as ``billing_kind`` (None: not
    checked) whose other plans are named ``taken_names``."""
    errors: dict[str, list[str]] = {}
    if messages := _name_errors(values.name):
        errors["name"] = messages
    elif _name_taken(values.name, taken_names):
        errors["name"] = [texts.PLAN_NAME_TAKEN]
    if values.billing_cycle not in BILLING_CYCLES:
        errors["billing_cycle"] = [texts.PLAN_CYCLE_INVALID]
    elif message := cycle_error(billing_kind, values.billing_cycle):
        errors["billing_cycle"] = [message]
    months = values.commitment_months
    if months is None or not 0 <= months <= MAX_COMMITMENT_MONTHS:
        errors["commitment_months"] = [
            texts.PLAN_COMMITMENT_INVALID.format(max=MAX_COMMITMENT_MONTHS)
        ]
    elif values.billing_cycle == "one_off" and months:
        errors["commitment_months"] = [texts.PLAN_ONE_OFF_NO_COMMITMENT]
    if values.trial_days is not None and not 0 <= values.trial_days <= MAX_TRIAL_DAYS:
        errors["trial_days"] = [texts.PLAN_TRIAL_INVALID.format(max=MAX_TRIAL_DAYS)]
    elif values.billing_cycle == "one_off" and values.trial_days:
        errors["trial_days"] = [texts.PLAN_ONE_OFF_NO_TRIAL]
    errors |= quantity_range_errors(values.min_quantity, values.max_quantity)
    return errors


def trial_days_for(plan_trial_days: int | None, product_trial_days: int | None) -> int | None:
    """How many days of free trial a plan offers, or None when it offers none. The plan's own
    length wins (0: this plan has no trial); a plan without one takes the product's (the
    default for its plans). Every place that offers, shows or starts a trial asks this."""
    days = product_trial_days if plan_trial_days is None else plan_trial_days
    return days if days and days > 0 else None


def longest_trial(plan_trial_days: Iterable[int | None], product_trial_days: int | None):
    """The longest trial any of a product's plans offers (the catalogue's "N-day free
    trial"), or None."""
    found = [trial_days_for(d, product_trial_days) for d in plan_trial_days]
    return max((d for d in found if d), default=None)


def validate_addon(values: AddOnInput, *, taken_names: Iterable[str] = ()) -> dict[str, list[str]]:
    """Field -> messages for an add-on of a product whose other add-ons are ``taken_names``."""
    errors: dict[str, list[str]] = {}
    if messages := _name_errors(values.name):
        errors["name"] = messages
    elif _name_taken(values.name, taken_names):
        errors["name"] = [texts.ADDON_NAME_TAKEN]
    errors |= quantity_range_errors(values.min_quantity, values.max_quantity)
    return errors


# --- upgrade targets and bundles ----------------------------------------------------------------

MAX_COMPONENT_QUANTITY = 1000


@dataclass(frozen=True)
class Candidate:
    """The product a code names (for an upgrade target or a bundle component)."""

    id: int
    active: bool
    is_bundle: bool


def upgrade_target_error(product_id: int, target: Candidate | None) -> str | None:
    """Why ``target`` cannot be an upgrade target of the product, or None."""
    if target is None or not target.active:
        return texts.CATALOGUE_CODE_UNKNOWN
    if target.id == product_id:
        return texts.UPGRADE_TARGET_SELF
    return None


def component_errors(
    bundle_id: int, component: Candidate | None, quantity: int | None
) -> dict[str, list[str]]:
    """Field -> messages for adding ``quantity`` of ``component`` to the bundle: an existing,
    not retired product, not the bundle itself nor another bundle (bundles do not nest)."""
    errors: dict[str, list[str]] = {}
    if component is None or not component.active:
        errors["code"] = [texts.CATALOGUE_CODE_UNKNOWN]
    elif component.id == bundle_id:
        errors["code"] = [texts.BUNDLE_COMPONENT_SELF]
    elif component.is_bundle:
        errors["code"] = [texts.BUNDLE_COMPONENT_NESTED]
    if quantity is None or not 1 <= quantity <= MAX_COMPONENT_QUANTITY:
        errors["quantity"] = [texts.BUNDLE_QUANTITY_INVALID.format(max=MAX_COMPONENT_QUANTITY)]
    return errors
