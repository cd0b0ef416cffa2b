"""Rules 4.2 and 4.3: a basket holds one execution type; quantities are whole numbers within
the plan's limits. Pure: plain values in, plain values (or a domain error) out."""

from __future__ import annotations

from collections.abc import Iterable

from core import texts
from core.enums import ExecutionType, ItemKind

MANUAL_INTO_AUTOMATIC = "manual_into_automatic"
AUTOMATIC_INTO_MANUAL = "automatic_into_manual"
CASES = (MANUAL_INTO_AUTOMATIC, AUTOMATIC_INTO_MANUAL)


class MixedExecutionTypes(Exception):
    """Adding this item would mix manual and automatic delivery in one basket."""

    def __init__(self, case: str):
        super().__init__(case)
        self.case = case


class QuantityInvalid(ValueError):
    def __init__(self, minimum: int, maximum: int, message: str | None = None):
        super().__init__(message or texts.QUANTITY_INVALID.format(min=minimum, max=maximum))
        self.minimum = minimum
        self.maximum = maximum


def basket_execution_type(item_types: Iterable[str]) -> str | None:
    """The execution type of a basket: that of its items, or None when it is empty."""
    types = set(item_types)
    if not types:
        return None
    return ExecutionType.MANUAL if ExecutionType.MANUAL in types else ExecutionType.AUTOMATIC


def is_mixed(item_types: Iterable[str]) -> bool:
    """Rule 4.2 over a whole basket or order: both delivery methods at once. Adding an item
    never makes one, but turning a product type's "Non-automatic execution" option on or off
    after its products were added can, so checkout and placement check it again."""
    types = set(item_types)
    return ExecutionType.MANUAL in types and ExecutionType.AUTOMATIC in types


def mixed_case(basket_type: str | None, new_type: str) -> str | None:
    """Which mixed-basket case adding an item of ``new_type`` is, or None if it fits."""
    if basket_type is None or basket_type == new_type:
        return None
    if new_type == ExecutionType.MANUAL:
        return MANUAL_INTO_AUTOMATIC
    return AUTOMATIC_INTO_MANUAL


def check_compatible(basket_type: str | None, new_type: str) -> None:
    case = mixed_case(basket_type, new_type)
    if case:
        raise MixedExecutionTypes(case)


def mixed_basket_message(case: str) -> str:
    """The mixed-basket page's message (PRODUCT.md 5.3)."""
    if case == MANUAL_INTO_AUTOMATIC:
        return texts.MIXED_BASKET_MANUAL_INTO_AUTOMATIC
    return texts.MIXED_BASKET_AUTOMATIC_INTO_MANUAL


def subscription_popup_message(case: str) -> str:
    """The pop-up of a subscription action (PRODUCT.md 5.4): the subscription's type is the
    "new" type, the basket holds the other one."""
    if case == MANUAL_INTO_AUTOMATIC:
        return texts.POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET
    return texts.POPUP_AUTOMATIC_SUBSCRIPTION_MANUAL_BASKET


# a line with neither a plan nor an add-on to bound it
LINE_MAX_QUANTITY = 100000


def line_limits(
    kind: str, plan: tuple[int, int] | None, addon: tuple[int, int] | None
) -> tuple[int, int]:
    """The quantities an order line may hold, as the Storefront's basket bounds them: an
    add-on line, its add-on's (min, max), from 1 when it adds to an add-on held; any other
    line its plan's; 1 to LINE_MAX_QUANTITY without either."""
    if addon is not None:
        low, high = addon
        return (1 if kind == ItemKind.ADDON_QUANTITY else low, high)
    if plan is not None:
        return plan
    return 1, LINE_MAX_QUANTITY


def is_whole_number(raw) -> bool:
    """A typed quantity: ASCII digits only, everywhere (Python's int() also reads other
    scripts' digits, "٥" as 5, and "1_000"); a sign, a space inside or a decimal is not one."""
    text = str(raw if raw is not None else "").strip()
    return text.isascii() and text.isdigit()


def parse_quantity(raw, minimum: int, maximum: int) -> int:
    """A whole number within [minimum, maximum], from a form value; else QuantityInvalid."""
    if isinstance(raw, bool):
        raise QuantityInvalid(minimum, maximum)
    if isinstance(raw, int):
        value = raw
    else:
        if not is_whole_number(raw):
            raise QuantityInvalid(minimum, maximum)
        value = int(str(raw).strip())
    if value < minimum or value > maximum:
        raise QuantityInvalid(minimum, maximum)
    return value


def parse_addon_quantity(raw, minimum: int, maximum: int) -> int:
    """An add-on's quantity beside a plan: 0 (or empty) for none, else a whole number within
    [minimum, maximum]; a refusal states that range, 0 included, as the field's label does."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 0
    try:
        value = parse_quantity(raw, 0, maximum)
        if value == 0 or value >= minimum:
            return value
    except QuantityInvalid:
        pass
    if minimum <= 1:
        message = texts.ADDON_QUANTITY_INVALID.format(max=maximum)
    else:
        message = texts.ADDON_QUANTITY_INVALID_WITH_MINIMUM.format(min=minimum, max=maximum)
    raise QuantityInvalid(minimum, maximum, message)
