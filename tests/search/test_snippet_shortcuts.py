"""The snippets' shortcuts give what the longer way gave: each against the code it replaced."""

from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st

from search_service.search.snippets import (
    Span,
    _best_window,
    _candidate_starts,
    _escaped,
    _window_start,
)
from search_service.text import fold_same_length, fold_to_words, is_word_char

#: Characters that make the shortcuts' cases: spaces, letters, apostrophes (one a letter to
#: `isalnum`), a combining accent, an underscore, HTML's specials.
TEXT = st.text(alphabet=" \nabcdeé'ʼ’\u0301_-&<>\"", max_size=80)


def _candidate_starts_asking_each(folded: str, heads: tuple[str, ...]) -> list[int]:
    starts = []
    for head in heads:
        at = folded.find(head)
        while at != -1:
            if at == 0 or not is_word_char(folded[at - 1]):
                starts.append(at)
            at = folded.find(head, at + 1)
    return sorted(starts)


def _best_window_weighing_each(text: str, spans: list[Span], size: int) -> tuple[int, int]:
    """Every window (the spans from each one on that fit in `size`, the first always),
    weighed; the first of the heaviest."""
    windows = []
    for left in range(len(spans)):
        right = left + 1
        while right < len(spans) and spans[right][1] - spans[left][0] <= size:
            right += 1
        windows.append(spans[left:right])

    def weight(window: list[Span]) -> tuple[int, int, int]:
        kinds = {(is_name, matched) for _, _, matched, is_name in window}
        names = sum(is_name for is_name, _ in kinds)
        return names, len(kinds) - names, len(window)

    best = max(windows, key=weight)  # the first of equals, as a strict `>` keeps it
    return _window_start(text, best[0][0], best[-1][1], size), best[-1][1]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_a_passage_is_escaped_as_html_escape_escapes_it(text: str) -> None:
    assert _escaped(text) == html.escape(text, quote=True)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.lists(st.sampled_from(["a", "b", "ab", "e", "d", "_"]), min_size=1, max_size=3))
def test_words_are_found_where_asking_each_character_found_them(
    text: str, heads: list[str]
) -> None:
    distinct = tuple(sorted(set(heads)))
    kept = tuple(h for h in distinct if not any(h != o and h.startswith(o) for o in distinct))
    expected = _candidate_starts_asking_each(fold_same_length(text), kept)
    assert _candidate_starts(fold_to_words(text), kept) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=" \nМоaŁłə.’ʼ_", max_size=80),
    st.lists(st.sampled_from(["мо", "о", "ə", "l", "a"]), min_size=1, max_size=3),
)
def test_words_beyond_latin1_are_found_where_asking_each_character_found_them(
    text: str, heads: list[str]
) -> None:
    """Cyrillic and other letters are kept by the fold of a body with Latin letters
    beyond Latin-1 (and are "?" in any other, as they were)."""
    distinct = tuple(sorted(set(heads)))
    kept = tuple(h for h in distinct if not any(h != o and h.startswith(o) for o in distinct))
    expected = _candidate_starts_asking_each(fold_same_length(text), kept)
    assert _candidate_starts(fold_to_words(text), kept) == expected


@st.composite
def spans_of_a_body(draw: st.DrawFn) -> list[Span]:
    """Spans in order and apart, as `_matched_spans` gives them: words and names."""
    spans: list[Span] = []
    at = 0
    for _ in range(draw(st.integers(1, 14))):
        at += draw(st.integers(0, 60))
        length = draw(st.integers(1, 25))
        is_name = draw(st.booleans())
        matched = draw(st.sampled_from(["ivory coast", "aim", "health", "teachers", "union"]))
        spans.append((at, at + length, matched, is_name))
        at += length
    return spans


@settings(max_examples=400, deadline=None)
@given(spans_of_a_body(), st.integers(10, 220))
def test_the_best_window_is_the_one_weighing_every_window_found(
    spans: list[Span], size: int
) -> None:
    text = "word " * 300
    assert _best_window(text, spans, size) == _best_window_weighing_each(text, spans, size)
