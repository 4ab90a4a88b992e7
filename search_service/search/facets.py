"""Filters and multi-select facet counts from a generation's facet arrays.

A filter value is read like a query word: `benin`, `Ivory Coast` (an alias the
vocabulary knows) or `EN` select the canonical value the index holds (`Benin`,
`Côte d'Ivoire`, `en`), so facets only ever list canonical values. A value that
names nothing known selects nothing.

Each facet is counted over the matching documents with every filter applied
except its own, so a visitor who ticked Benin still sees how many results Togo
would add. Selected values are always listed, even at zero. The counts are
`bincount`s over precomputed document→value arrays: no per-search grouping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal, Protocol

import numpy as np
import numpy.typing as npt
from typing_extensions import TypedDict

from search_service.index.view import FACETS, FacetColumn, IndexView
from search_service.text import fold

BoolArray = npt.NDArray[np.bool_]
#: Values listed per facet (the most frequent; selected values are always added).
MAX_FACET_VALUES: Final = 100


class FacetValue(TypedDict):
    """One listed value of a facet.

    A dictionary: a response lists up to a few hundred of these, and for 157 values
    dictionaries took 18 µs to make and 5.8 µs for orjson to write, against 48 and
    13.4 µs as a dataclass (whose `__dict__` orjson's reading then keeps: 200 bytes a
    value). Cached responses keep their listings packed (`pack_listing`, `engine._KeptResult`).
    """

    value: str
    count: int
    selected: bool


#: A facet's listing as a cached response keeps it (`pack_listing`): its values, their
#: counts, and which are selected (None: none). Plain tuples, which `marshal` writes.
PackedListing = tuple[tuple[str, ...], tuple[int, ...], tuple[bool, ...] | None]


def pack_listing(listing: list[FacetValue]) -> PackedListing:
    """The listing as columns: a few hundred dictionaries would be most of a cached response."""
    selected = tuple(item["selected"] for item in listing)
    return (
        tuple(item["value"] for item in listing),
        tuple(item["count"] for item in listing),
        selected if any(selected) else None,
    )


def unpack_listing(packed: PackedListing) -> list[FacetValue]:
    """New dictionaries at each call: no two answers share one (a caller may change its own)."""
    values, counts, selected = packed
    if selected is None:
        return [
            {"value": value, "count": count, "selected": False}
            for value, count in zip(values, counts, strict=True)
        ]
    return [
        {"value": value, "count": count, "selected": chosen}
        for value, count, chosen in zip(values, counts, selected, strict=True)
    ]


class NameLookup(Protocol):
    """What filters need of the vocabulary: the canonical name a given name stands for."""

    def query_canonical(self, kind: Literal["country", "partner"], name: str) -> str | None: ...


def resolve_selections(
    view: IndexView,
    selections: Mapping[str, Sequence[str]],
    vocabulary: NameLookup | None,
) -> dict[str, tuple[str, ...]]:
    """Each facet's selected values as the index holds them (once each, in the order given)."""
    out: dict[str, tuple[str, ...]] = {}
    for name, values in selections.items():
        column = view.facets.get(name)
        resolved = (_resolve(name, value, column, vocabulary) for value in values)
        out[name] = tuple(dict.fromkeys(resolved))
    return out


def _resolve(
    facet: str, value: str, column: FacetColumn | None, vocabulary: NameLookup | None
) -> str:
    """The canonical value `value` stands for; itself when it names nothing known.

    The index's own values come first (they are canonical), then any name of the
    vocabulary (aliases, acronyms, adjectives, any case and accents), then the
    index's values compared folded (a value the vocabulary does not know, or no
    vocabulary at all).
    """
    value = value.strip()
    if facet == "year" and value.isdigit():
        value = str(int(value))
    if column is not None and value in column.index:
        return value
    if vocabulary is not None and facet in ("country", "partner"):
        kind: Literal["country", "partner"] = "country" if facet == "country" else "partner"
        known = vocabulary.query_canonical(kind, value)
        if known is not None:
            return known
    found = column.value_folded_as(fold(value)) if column is not None else None
    return found if found is not None else value


def filter_masks(
    view: IndexView,
    selections: Mapping[str, Sequence[str]],
    year_from: int | None,
    year_to: int | None,
) -> dict[str, BoolArray]:
    """One mask per active filter (OR within a facet), and `year_range` for the year range.

    The range is a mask of its own, not part of `year`'s: a facet's counts leave out
    only its own selections, so `year_from`/`year_to` restrict every facet's counts,
    the year facet's included (a year outside the range is listed only if selected).
    """
    masks: dict[str, BoolArray] = {}
    for name in FACETS:
        wanted = selections.get(name) or ()
        if wanted:
            masks[name] = view.facets[name].docs_with_any(wanted, view.doc_count)
    if year_from is not None or year_to is not None:
        low = year_from if year_from is not None else 1
        high = year_to if year_to is not None else 9999
        in_range = (view.year >= low) & (view.year <= high)
        masks["year_range"] = in_range
    return masks


def combine(masks: Mapping[str, BoolArray], base: BoolArray, skip: str | None = None) -> BoolArray:
    """`base` restricted by every mask except `skip`'s (AND across facets)."""
    out = base.copy()
    for name, mask in masks.items():
        if name != skip:
            out &= mask
    return out


def facet_counts(
    view: IndexView,
    candidates: BoolArray,
    masks: Mapping[str, BoolArray],
    selections: Mapping[str, Sequence[str]],
    matching: tuple[BoolArray, npt.NDArray[np.intp]] | None = None,
) -> dict[str, list[FacetValue]]:
    """Multi-select counts of every facet over the candidates.

    A facet without a filter of its own is counted over `matching` (the
    candidates with every filter applied, as a mask and its documents, given
    when the caller has them): the same documents for all of them, found once.
    """
    out: dict[str, list[FacetValue]] = {}
    shared = matching
    for name in FACETS:
        column = view.facets[name]
        if name in masks:
            mask = combine(masks, candidates, skip=name)
            counts = column.counts(mask, mask.nonzero()[0])
        else:
            if shared is None:
                every = combine(masks, candidates)
                shared = (every, every.nonzero()[0])
            counts = column.counts(*shared)
        selected = set(selections.get(name) or ())
        out[name] = _listing(name, column.values, counts, selected)
    return out


def _listing(
    name: str, values: list[str], counts: npt.NDArray[np.int64], selected: set[str]
) -> list[FacetValue]:
    """Values with results, most frequent first (years newest first), then selected ones.

    `values` are sorted, so a stable sort by count keeps ties in alphabetical order.
    """
    present = counts.nonzero()[0]
    order = present[::-1] if name == "year" else present[(-counts[present]).argsort(kind="stable")]
    shown = order[:MAX_FACET_VALUES]
    pairs = zip(map(values.__getitem__, shown.tolist()), counts[shown].tolist(), strict=True)
    if not selected:  # most searches: no value of this facet chosen, none to look up
        return [{"value": value, "count": count, "selected": False} for value, count in pairs]
    listed: list[FacetValue] = [
        {"value": value, "count": count, "selected": value in selected} for value, count in pairs
    ]
    missing = selected - {item["value"] for item in listed}
    if missing:
        index = {value: i for i, value in enumerate(values)}
        for value in sorted(missing):
            count = int(counts[index[value]]) if value in index else 0
            listed.append({"value": value, "count": count, "selected": True})
    return listed
