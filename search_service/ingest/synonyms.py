"""Words that mean the same: `synonyms.yaml` of a corpus's vocabulary folder.

One line per group, in any of the site's three languages, under `synonyms:` (a
mapping at the top, like `countries.yaml` and `partners.yaml`):

    synonyms:
      - [teacher, enseignant, docente]
      - [health insurance, assurance maladie, seguro de salud]

A query holding one form of a group (a word, or words side by side) also
finds the articles with the others (`search.ranking`, like the names of a
country or partner). Forms are compared as the search compares words: folded
(case, accents, apostrophes) and, word by word, the same word or the same stem
in English, French or Spanish ("teachers" is a form of "teacher",
"enseignants" of "enseignant"). The file travels with each generation in its
vocabulary snapshot, so the search uses the synonyms the index was built with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import yaml

from search_service.analysis import QUERY_WORDS_KEPT, analyze, analyze_neutral
from search_service.articles import LANGUAGES
from search_service.errors import VocabularyError

SYNONYMS_FILE: Final = "synonyms.yaml"
#: Words of one form at most (a name, not a sentence).
MAX_FORM_WORDS: Final = 6

Form = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SynonymMatch:
    """Words `first` to `first + count - 1` of a query are `form` of `group`."""

    first: int
    count: int
    group: int
    form: int


@lru_cache(maxsize=QUERY_WORDS_KEPT)
def word_keys(word: str) -> frozenset[str]:
    """What a (folded) word is compared by: itself, and its stem in each language.

    Kept for as many words as the analyzers of query words keep (about 500 bytes a
    word): the query words `Synonyms.find` compares, whatever visitors typed.
    """
    keys = {word}
    for language in LANGUAGES:
        keys.update(f"{language}:{stem}" for stem in analyze(word, language)[:1])
    return frozenset(keys)


class Synonyms:
    """The groups of a synonyms file, and finding their forms among a query's words."""

    def __init__(self, groups: Sequence[Sequence[Form]] = ()) -> None:
        self.groups: tuple[tuple[Form, ...], ...] = tuple(tuple(group) for group in groups)
        # Forms found through the keys of their first word, longest forms first.
        self._by_first: dict[str, list[tuple[int, int]]] = {}
        for g, group in enumerate(self.groups):
            for f, form in enumerate(group):
                for key in word_keys(form[0]):
                    self._by_first.setdefault(key, []).append((g, f))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda gf: -len(self.groups[gf[0]][gf[1]]))

    def __bool__(self) -> bool:
        return bool(self.groups)

    @classmethod
    def parse(cls, path: Path, data: bytes | None) -> Synonyms:
        """The groups of a synonyms file (none when there is no file).

        `VocabularyError` naming the file and the line for anything else than a list
        of groups of two or more forms, or a form in two groups.
        """
        if data is None:
            return cls()
        try:
            node = yaml.compose(data.decode("utf-8"), Loader=yaml.SafeLoader)
        except (UnicodeDecodeError, yaml.YAMLError) as error:
            raise VocabularyError(f"{path}: cannot read the synonyms file: {error}") from error
        groups_node = _groups_node(path, node)
        if groups_node is None:
            return cls()
        groups: list[list[Form]] = []
        where_is: dict[Form, int] = {}
        for item in groups_node.value:
            line = item.start_mark.line + 1
            forms = _forms(path, line, item)
            for form in forms:
                if form in where_is and where_is[form] != line:
                    raise VocabularyError(
                        f"{path}:{line}: {' '.join(form)!r} is in the group of line "
                        f"{where_is[form]} too; a word belongs to one group (merge the lines)"
                    )
                where_is[form] = line
            groups.append(forms)
        return cls(groups)

    def find(self, words: Sequence[str | None]) -> list[SynonymMatch]:
        """Forms found among a query's words, left to right, longest first, not overlapping.

        `words`: one folded word per query part, None for a part that takes no
        synonym (a quoted phrase, an excluded word).
        """
        found: list[SynonymMatch] = []
        if not self.groups:
            return found
        i = 0
        while i < len(words):
            match = self._longest_at(words, i)
            if match is None:
                i += 1
                continue
            found.append(match)
            i += match.count
        return found

    def _longest_at(self, words: Sequence[str | None], i: int) -> SynonymMatch | None:
        first = words[i]
        if first is None:
            return None
        seen: set[tuple[int, int]] = set()
        best: SynonymMatch | None = None
        for key in word_keys(first):
            for g, f in self._by_first.get(key, ()):
                form = self.groups[g][f]
                if (g, f) in seen or (best is not None and len(form) <= best.count):
                    continue
                seen.add((g, f))
                if _fits(form, words, i):
                    best = SynonymMatch(first=i, count=len(form), group=g, form=f)
        return best

    def others(self, match: SynonymMatch) -> tuple[Form, ...]:
        """The other forms of the group a match belongs to."""
        group = self.groups[match.group]
        return tuple(form for f, form in enumerate(group) if f != match.form)


def _groups_node(path: Path, node: Any) -> yaml.SequenceNode | None:
    """The list under `synonyms:` (None when the file or the list is empty)."""
    expected = "expected `synonyms:` and a list of groups, one per line: - [word, mot, palabra]"
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode):
        raise VocabularyError(f"{path}:{node.start_mark.line + 1}: {expected}")
    found: yaml.Node | None = None
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value != "synonyms":
            raise VocabularyError(
                f"{path}:{key.start_mark.line + 1}: unknown key {getattr(key, 'value', key)!r}; "
                f"{expected}"
            )
        if found is not None:
            raise VocabularyError(f"{path}:{key.start_mark.line + 1}: 'synonyms' is given twice")
        found = value
    if found is None or (isinstance(found, yaml.ScalarNode) and found.tag.endswith(":null")):
        return None
    if not isinstance(found, yaml.SequenceNode):
        raise VocabularyError(f"{path}:{found.start_mark.line + 1}: {expected}")
    return found


def _fits(form: Form, words: Sequence[str | None], i: int) -> bool:
    if i + len(form) > len(words):
        return False
    for offset, expected in enumerate(form):
        word = words[i + offset]
        if word is None or not (word_keys(word) & word_keys(expected)):
            return False
    return True


def _forms(path: Path, line: int, item: Any) -> list[Form]:
    """The forms of one group: a list of two or more distinct words or phrases."""
    example = "  - [teacher, enseignant, docente]"
    if not isinstance(item, yaml.SequenceNode) or not all(
        isinstance(value, yaml.ScalarNode) for value in item.value
    ):
        raise VocabularyError(f"{path}:{line}: a group is a list of words, as in {example}")
    forms: list[Form] = []
    for value in item.value:
        words = tuple(analyze_neutral(str(value.value)))
        if not words:
            raise VocabularyError(f"{path}:{line}: {value.value!r} has no word to search")
        if len(words) > MAX_FORM_WORDS:
            raise VocabularyError(
                f"{path}:{line}: {value.value!r} has more than {MAX_FORM_WORDS} words"
            )
        if words not in forms:
            forms.append(words)
    if len(forms) < 2:
        raise VocabularyError(
            f"{path}:{line}: a group needs two or more different words, as in {example}"
        )
    return forms
