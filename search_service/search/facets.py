"""Filters and multi-select facet counts from a generation's facet arrays.

Each facet is counted over the matching documents with every filter applied
except its own, so a visitor who ticked Benin still sees how many results Togo
would add. Selected values are always listed, even at zero. The counts are
`bincount`s over precomputed document→value arrays: no per-search grouping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from search_service.index.view import FACETS, IndexView

BoolArray = npt.NDArray[np.bool_]
#: Values listed per facet (the most frequent; selected values are always added).
MAX_FACET_VALUES: Final = 100


@dataclass(slots=True)
class FacetValue:
    """One listed value of a facet.

    Not frozen: a frozen dataclass costs 4× more to create, and a response lists up
    to a few hundred of these. Treat them as read-only: cached responses share them.
    """

    value: str
    count: int
    selected: bool


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
) -> dict[str, list[FacetValue]]:
    """Multi-select counts of every facet over the candidates."""
    out: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        column = view.facets[name]
        counts = column.counts(combine(masks, candidates, skip=name))
        selected = set(selections.get(name) or ())
        out[name] = _listing(name, column.values, counts, selected)
    return out


def _listing(
    name: str, values: list[str], counts: npt.NDArray[np.int64], selected: set[str]
) -> list[FacetValue]:
    """Values with results, most frequent first (years newest first), then selected ones.

    `values` are sorted, so a stable sort by count keeps ties in alphabetical order.
    """
    present = np.nonzero(counts)[0]
    if name == "year":
        order = present[::-1]
    else:
        order = present[np.argsort(-counts[present], kind="stable")]
    shown = order[:MAX_FACET_VALUES]
    listed = [
        FacetValue(value, count, value in selected)
        for value, count in zip(
            [values[i] for i in shown.tolist()], counts[shown].tolist(), strict=True
        )
    ]
    missing = selected - {item.value for item in listed}
    if missing:
        index = {value: i for i, value in enumerate(values)}
        for value in sorted(missing):
            count = int(counts[index[value]]) if value in index else 0
            listed.append(FacetValue(value, count, True))
    return listed
