"""Rule 4.1: enabling "Non-automatic execution of new orders" on a product type."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core import texts
from core.rules.statuses import StatusRow, manual_execution_status

MAX_NAME = 120


@dataclass(frozen=True)
class ProductTypeChange:
    name: str
    is_asset: bool
    non_automatic_execution: bool


def validate_product_type(
    change: ProductTypeChange,
    order_statuses: Iterable[StatusRow],
    other_names: Iterable[str] = (),
) -> dict[str, list[str]]:
    """Field name -> messages. Empty when the change may be saved."""
    errors: dict[str, list[str]] = {}
    name = change.name.strip()
    if not name:
        errors.setdefault("name", []).append(texts.PRODUCT_TYPE_NAME_REQUIRED)
    elif len(name) > MAX_NAME:
        errors.setdefault("name", []).append(texts.PRODUCT_TYPE_NAME_TOO_LONG.format(max=MAX_NAME))
    elif name.casefold() in {n.casefold() for n in other_names}:
        errors.setdefault("name", []).append(texts.PRODUCT_TYPE_NAME_TAKEN)
    if change.non_automatic_execution:
        if change.is_asset:
            errors.setdefault("non_automatic_execution", []).append(
                texts.ASSET_HAS_NO_CUSTOMER_REQUEST
            )
        elif manual_execution_status(order_statuses) is None:
            errors.setdefault("non_automatic_execution", []).append(
                texts.NON_AUTOMATIC_PRECONDITION
            )
    return errors
