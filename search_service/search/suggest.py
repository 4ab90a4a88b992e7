"""Completions for the search box, cheap enough for every keystroke.

The last word typed is a prefix. Titles come first: articles whose title holds
every earlier word and a word beginning with the prefix (those holding the typed
word itself first, then newest first), found with the cached postings of
`title_exact`. Then frequent words: the earlier
words followed by the most frequent completions of the prefix from the
generation's dictionary. Everything is compared folded, so accents never matter.
In a query of more words than the maximum, the last ones count: they are being typed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import numpy as np

from search_service.index.view import DocIds, Postings
from search_service.search.query import parse_query

if TYPE_CHECKING:
    from search_service.search.generation import Generation
    from search_service.search.results import Suggestion

#: Words of the dictionary a prefix is completed with, at most (before ranking).
_TITLE_PREFIX_EXPANSIONS: Final = 32
_CHUNK_RE: Final = re.compile(r"\S+")


def suggest(generation: Generation, q: str, limit: int, max_words: int) -> list[Suggestion]:
    from search_service.search.results import Suggestion

    tail = _last_chunks(q, max_words)
    parsed = parse_query(tail, len(tail) + 1)
    words = [term for part in parsed.positive for term in part.terms][-max_words:]
    if not words or limit <= 0:
        return []
    *head, last = words
    typed_on = bool(parsed.positive) and parsed.positive[-1].prefix
    titles = _titles(generation, head, last, typed_on, max(1, limit // 2 + limit % 2))
    out = [Suggestion(text=title, kind="title", id=doc_id) for doc_id, title in titles]
    seen = {title.casefold() for _, title in titles}
    completions = generation.lexicon.completions(last, limit * 2) if typed_on else [last]
    for word in completions:
        if len(out) >= limit:
            break
        text = " ".join([*head, word])
        if text.casefold() in seen or (word == last and len(completions) > 1 and typed_on):
            continue
        seen.add(text.casefold())
        out.append(Suggestion(text=text, kind="word", id=None))
    return out[:limit]


def _last_chunks(q: str, count: int) -> str:
    """`q` from its `count`-th last run of non-spaces on (all of it when it has fewer).

    A run holds one word or more, so the last `count` words are in there.
    """
    starts = [match.start() for match in _CHUNK_RE.finditer(q)]
    return q[starts[-count] :] if len(starts) > count else q


def _titles(
    generation: Generation, head: list[str], last: str, prefix: bool, limit: int
) -> list[tuple[str, str]]:
    view = generation.view
    reader = None if view.compiled else generation.searcher().reader()
    matching = np.zeros(view.doc_count, dtype=np.bool_)
    lasts = generation.lexicon.completions(last, _TITLE_PREFIX_EXPANSIONS) if prefix else [last]
    for word in lasts:
        matching[_ids(view.postings(reader, "title_exact", word))] = True
    for word in head:
        required = np.zeros(view.doc_count, dtype=np.bool_)
        required[_ids(view.postings(reader, "title_exact", word))] = True
        matching &= required
    matching &= view.live
    docs = matching.nonzero()[0]
    if not docs.size:
        return []
    # Titles holding the last word as typed (not only a longer word) first, then newest.
    whole = np.isin(docs, _ids(view.postings(reader, "title_exact", last)))
    docs = docs[np.lexsort((-view.date_sort[docs], ~whole))][:limit]
    out = []
    for doc in docs.tolist():
        shown = generation.shown(int(doc))
        out.append((shown.id, shown.title))
    return out


def _ids(postings: Postings) -> DocIds:
    return postings.ids
