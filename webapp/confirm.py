"""One confirmation mechanism for destructive or irreversible actions (issue 13 point 11).

A GET on the action's confirmation URL answers a page (without JavaScript) or, for htmx, only
its dialog (``<dialog data-autoshow>``, opened modally by app.js); both render the same
fragment, whose form posts to the real action. The POST itself is unchanged: CSRF, the rules
and the services protect it as before, and a GET never changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from webapp.web import page


@dataclass(frozen=True)
class ConfirmChoice:
    """An optional select posted with the confirmation (e.g. the status once executed)."""

    name: str
    label: str
    options: Sequence[tuple[str, str]]  # (value, label); the first is the default


@dataclass(frozen=True)
class Confirmation:
    title: str
    message: str
    yes_label: str
    action_url: str  # the real action (POST)
    back_url: str  # where "No" goes without JavaScript; with it, "No" closes the dialog
    back_label: str
    lines: Sequence[str] = ()  # what will be done, one line each
    warnings: Sequence[str] = ()
    # posted with the form; a sequence posts the field once per value
    hidden: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    choice: ConfirmChoice | None = None
    danger: bool = True


def confirm_page(layout: str, confirmation: Confirmation):
    """The confirmation page in ``layout`` (Storefront or BSS), or its dialog for htmx."""
    return page("confirm/confirm.html", block="dialog", layout=layout, c=confirmation)
