"""Execution type of products and bundles (PRODUCT.md section 3)."""

from __future__ import annotations

from collections.abc import Iterable

from core.enums import ExecutionType


def product_execution_type(non_automatic_execution: bool) -> str:
    """A product is manual when its product type has the option on, else automatic."""
    return ExecutionType.MANUAL if non_automatic_execution else ExecutionType.AUTOMATIC


def bundle_execution_type(component_types: Iterable[str]) -> str:
    """A bundle is manual if at least one component is manual [seed 001]."""
    return (
        ExecutionType.MANUAL
        if any(t == ExecutionType.MANUAL for t in component_types)
        else ExecutionType.AUTOMATIC
    )
