"""A picker over a list that may be too long to show whole (issue 19): the accounts of a new
order or offer, the plans of Quick Add on an order or an offer page.

Up to ``LIMIT`` entries, the form lists them all. Beyond that it never lists them all (20,000
accounts made a megabyte-long page, 2,000 plans a 130 KB one): the user types part of a name,
the form then lists the matches to choose from. A typed name with one match, or the one whose
whole name it is, is taken at once. Works without JavaScript: the form posts the name, then the
entry chosen among the matches.

The entries come from two readers the caller gives: ``read(name_contains, limit)`` gives at most
``limit`` (key, label) pairs in the list's order, those whose name contains the text when one
is given; ``read_one(key)`` gives the entry of that key, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from core import texts

K = TypeVar("K", bound=Hashable)

LIMIT = 200  # a picker lists every entry up to this many; beyond, entries are found by name

Reader = Callable[[str | None, int], list[tuple[K, str]]]
OneReader = Callable[[K], list[tuple[K, str]]]


@dataclass(frozen=True)
class Wording:
    """What the user is told when a typed name designates no entry: ``several`` begins with
    the ``{count}`` of matches ("More than 200" past the limit); ``none`` is for no match."""

    several: str
    none: str


@dataclass(frozen=True)
class Search(Generic[K]):
    matches: list[tuple[K, str]]  # (key, label), at most LIMIT of them
    chosen: K | None  # the one entry the name designates
    error: str | None  # why none is chosen


@dataclass(frozen=True)
class Pick(Generic[K]):
    """A picker's choices, whether there are too many entries to list (then an entry is typed
    by name), the entry chosen, and why none is when a name was typed but designates none."""

    choices: list[tuple[K, str]]
    many: bool
    chosen: K | None
    error: str | None = None


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains ``text``", case-insensitive (against a lowered column);
    LIKE's own wildcards and escape character are dropped from what was typed."""
    return "%" + text.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"


def whole_label(label: str, term: str) -> bool:
    """The typed ``term`` is the entry's whole name (case aside)."""
    return label.casefold() == term.casefold()


# --- Quick Add's plans, on an order page and an offer page ---------------------------------


def plan_label(product: str, plan: str) -> str:
    return f"{product} ({plan})"


def whole_plan_label(label: str, term: str) -> bool:
    """A plan ("Product (Plan)") is designated by its whole label, or by its product's whole
    name (taken when that product has one plan to choose)."""
    label, term = label.casefold(), term.casefold()
    return label == term or label.startswith(term + " (")


PLAN_WORDING = Wording(texts.QUICK_ADD_SEARCH, texts.QUICK_ADD_NO_MATCH)


# --- the picker ------------------------------------------------------------------------------


def choices(
    read: Reader[K], read_one: OneReader[K], chosen: K | None
) -> tuple[list[tuple[K, str]], bool]:
    """Every entry up to LIMIT, and False; beyond, only ``chosen`` (read by its key when it
    is not among the first LIMIT), and True."""
    listed = read(None, LIMIT + 1)
    if len(listed) <= LIMIT:
        return listed, False
    kept = [entry for entry in listed if entry[0] == chosen]
    if chosen is not None and not kept:
        kept = read_one(chosen)
    return kept, True


def search(
    read: Reader[K],
    term: str | None,
    wording: Wording,
    is_whole: Callable[[str, str], bool] = whole_label,
) -> Search[K]:
    """An entry typed by name: the one match, or the one whose whole name it is; otherwise
    the matches to choose from and what to tell the user."""
    term = (term or "").strip()
    matches = read(term, LIMIT + 1) if term else []
    whole = [entry for entry in matches if is_whole(entry[1], term)]
    if len(matches) == 1 or len(whole) == 1:
        return Search(matches[:LIMIT], (whole or matches)[0][0], None)
    count = len(matches) if len(matches) <= LIMIT else f"More than {LIMIT}"
    error = wording.several.format(count=count) if matches else wording.none
    return Search(matches[:LIMIT], None, error)


def pick(
    read: Reader[K],
    read_one: OneReader[K],
    chosen: K | None,
    typed: str | None,
    submitted: bool,
    wording: Wording,
    is_whole: Callable[[str, str], bool] = whole_label,
) -> Pick[K]:
    """Up to LIMIT entries, a list of them all; beyond, the entry ``typed`` by name: its
    matches to choose from, and on a ``submitted`` form without a ``chosen`` one, the entry
    the name designates (:func:`search`) or why none is."""
    listed, many = choices(read, read_one, chosen)
    if not many:
        return Pick(listed, False, chosen)
    found = search(read, typed, wording, is_whole)
    matches = found.matches + [entry for entry in listed if entry not in found.matches]
    if not submitted or chosen is not None:
        return Pick(matches, True, chosen)
    if found.chosen is not None:
        return Pick(matches, True, found.chosen)
    return Pick(matches, True, None, found.error)
