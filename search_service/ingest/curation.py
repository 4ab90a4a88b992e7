"""`search-service corpus organisations`: what the corpus-wide discovery found, and the
editor's decisions about it written into the vocabulary.

Without options it lists the organisations discovered (in the partner facet) and
proposed (not indexed until accepted), each with its article count and an example
sentence. `--accept NAME…` writes an organisation into `partners.yaml` (a new entry,
or the new names of a partner the file lists); `--reject NAME…` adds names to its
`not_organisations`, so they are never proposed nor discovered again. The file is
edited with ruamel.yaml's round trip: its comments, order and layout stay as the
editor wrote them. The vocabulary is the last word: what it lists or rejects wins
over discovery at the next check or build.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from search_service.errors import UnknownOrganisationError, VocabularyError
from search_service.ingest.corpus import ingest_paths
from search_service.ingest.corpus_root import VOCABULARY_DIR, CorpusRoot, open_corpus
from search_service.ingest.organisations import Discovery, Organisation
from search_service.ingest.vocabulary import PARTNERS_FILE, Vocabulary
from search_service.settings import Settings
from search_service.text import fold


@dataclass
class Decisions:
    """What `--accept` / `--reject` wrote, for the report."""

    accepted: list[Organisation] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def run_organisations(
    settings: Settings,
    *,
    as_json: bool,
    accept: Sequence[str] = (),
    reject: Sequence[str] = (),
) -> int:
    """List the corpus's discovered and proposed organisations, or record decisions on them.

    The corpus must be a corpus root (`CorpusError` otherwise). An `--accept` name
    that is neither discovered nor proposed raises `UnknownOrganisationError` before
    anything is written. Decisions go into the corpus's own vocabulary; a corpus that
    uses the shipped default gets its own copy of it first (said in one line).
    """
    corpus = open_corpus(settings.corpus_dir)
    vocabulary = Vocabulary.load(corpus.vocabulary.directory)
    result = ingest_paths([corpus.path], corpus_root=corpus.path, vocabulary=vocabulary)
    discovery = result.discovery
    if accept or reject:
        path = partners_file(corpus, accept, discovery)
        decisions = decide(path, discovery, accept=accept, reject=reject)
        _print_decisions(decisions, path, as_json)
        return 0
    if as_json:
        print(json.dumps(discovery_json(discovery), ensure_ascii=False, indent=1))
    else:
        print_discovery(discovery, Console(highlight=False, soft_wrap=True, emoji=False))
    return 0


def partners_file(corpus: CorpusRoot, accept: Sequence[str], discovery: Discovery) -> Path:
    """The corpus's own partners.yaml: a corpus that uses the shipped default vocabulary
    gets a copy of it first (`<corpus>/vocabulary/`), so that its decisions are its own
    and the other partners stay known. Nothing is copied when an `--accept` name is
    unknown (it fails before anything is written)."""
    folder = corpus.path / VOCABULARY_DIR
    if corpus.vocabulary.shipped_default:
        for name in accept:
            if discovery.find(name) is None:
                return folder / PARTNERS_FILE  # `decide` refuses it, nothing written
        shutil.copytree(corpus.vocabulary.directory, folder)
        print(
            f"the corpus had no vocabulary of its own: {folder} is now a copy of the shipped "
            "default, with these decisions",
            file=sys.stderr,
        )
    return folder / PARTNERS_FILE


def discovery_json(discovery: Discovery) -> dict[str, Any]:
    return {
        "discovered": [o.as_json() for o in discovery.auto],
        "proposed": [o.as_json() for o in discovery.proposed],
    }


def print_discovery(discovery: Discovery, console: Console) -> None:
    sections = (
        ("discovered (in the partner facet)", discovery.auto),
        ("proposed (not indexed until accepted)", discovery.proposed),
    )
    for heading, organisations in sections:
        console.print(f"[bold]{heading}: {len(organisations)}[/bold]")
        for organisation in organisations:
            _print_organisation(console, organisation)
    console.print(
        "\naccept: search-service corpus organisations --accept NAME …; "
        "reject: --reject NAME … (written into the corpus's vocabulary/partners.yaml)"
    )


def _print_organisation(console: Console, organisation: Organisation) -> None:
    forms = [f for f in organisation.forms if f != organisation.canonical]
    also = f" = {', '.join(forms)}" if forms else ""
    extends = f" (new names of {organisation.extends})" if organisation.extends else ""
    count = f"{organisation.articles} article{'s' if organisation.articles != 1 else ''}"
    console.print(
        f"  [cyan]{escape(organisation.canonical)}[/cyan]{escape(also)}{escape(extends)}: "
        f"{count}, {organisation.evidence}"
    )
    if organisation.example:
        console.print(f"      “{escape(organisation.example)}”")


# ---- editing partners.yaml ------------------------------------------------------------------


def decide(
    path: Path, discovery: Discovery, *, accept: Sequence[str], reject: Sequence[str]
) -> Decisions:
    """Write the editor's decisions into `path` (comments and order kept), all or nothing."""
    chosen = []
    for name in accept:
        organisation = discovery.find(name)
        if organisation is None:
            raise UnknownOrganisationError(
                f"{name!r} is neither discovered nor proposed in this corpus "
                "(`search-service corpus organisations` lists them); nothing was written. "
                f"To add a partner of your own, edit {path}"
            )
        chosen.append(organisation)
    document = _RoundTrip.load(path)
    decisions = Decisions()
    for organisation in chosen:
        if _accept(document, organisation):
            decisions.accepted.append(organisation)
        else:
            decisions.already.append(organisation.canonical)
    for name in reject:
        found = discovery.find(name)
        forms = [*found.forms] if found is not None else [name]
        added = _reject(document, forms)
        decisions.rejected += added
        if not added:
            decisions.already.append(name)
    if decisions.accepted or decisions.rejected:
        _RoundTrip.save(document, path)
    return decisions


def _accept(document: Any, organisation: Organisation) -> bool:
    """Add the organisation (or its new names) to the `partners` list; False if all there."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    partners = document.setdefault("partners", CommentedSeq())
    if organisation.extends is not None:
        entry = next(
            (
                p
                for p in partners
                if isinstance(p, dict) and p.get("canonical") == organisation.extends
            ),
            None,
        )
        if entry is not None:
            added = _extend(entry, "acronyms", organisation.acronyms)
            return _extend(entry, "names", organisation.names) or added
    if any(isinstance(p, dict) and p.get("canonical") == organisation.canonical for p in partners):
        return False
    entry = CommentedMap()
    entry["canonical"] = organisation.canonical
    acronyms = [a for a in organisation.acronyms if a.upper() == a]
    exact = [a for a in organisation.acronyms if a.upper() != a]
    for key, values, flow in (("acronyms", acronyms, True), ("exact", exact, True)):
        if values:
            entry[key] = _sequence(values, flow)
    names = [n for n in organisation.names if n != organisation.canonical]
    if names:  # the canonical name is matched as a name already
        entry["names"] = _sequence(names, flow=False)
    partners.append(entry)
    return True


def _extend(entry: Any, key: str, values: Iterable[str]) -> bool:
    """Append the values the entry's list lacks (folded); create the list if need be."""
    current = entry.get(key)
    if current is None:
        current = entry[key] = _sequence([], flow=True)
    elif isinstance(current, str):
        current = entry[key] = _sequence([current], flow=True)
    known = {fold(str(v)) for v in current}
    added = False
    for value in values:
        if fold(value) not in known:
            current.append(value)
            known.add(fold(value))
            added = True
    return added


def _reject(document: Any, names: Iterable[str]) -> list[str]:
    """Add the names to `not_organisations`; the ones added."""
    from ruamel.yaml.comments import CommentedSeq

    listed = document.get("not_organisations")
    if listed is None:
        listed = document["not_organisations"] = CommentedSeq()
    known = {fold(str(v)) for v in listed}
    added = []
    for name in names:
        if fold(name) not in known:
            listed.append(name)
            known.add(fold(name))
            added.append(name)
    return added


def _sequence(values: Iterable[str], flow: bool) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    sequence = CommentedSeq(values)
    if flow:
        sequence.fa.set_flow_style()
    return sequence


class _RoundTrip:
    """partners.yaml read and written by ruamel.yaml, keeping comments, order and layout."""

    @staticmethod
    def _yaml() -> Any:
        from ruamel.yaml import YAML

        yaml = YAML()  # round-trip mode
        yaml.preserve_quotes = True
        yaml.width = 4096  # never re-wrap an editor's long lines
        yaml.indent(mapping=2, sequence=4, offset=2)  # the shipped file's layout
        return yaml

    @classmethod
    def load(cls, path: Path) -> Any:
        from ruamel.yaml.comments import CommentedMap
        from ruamel.yaml.error import YAMLError

        if not path.exists():
            return CommentedMap()
        try:
            document = cls._yaml().load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError) as error:
            raise VocabularyError(f"{path}: cannot read vocabulary file: {error}") from error
        if document is None:
            return CommentedMap()
        if not isinstance(document, dict):
            raise VocabularyError(f"{path}: expected a mapping at the top level")
        return document

    @classmethod
    def save(cls, document: Any, path: Path) -> None:
        """Written to a temporary file beside it, then moved over it: never half-written."""
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                cls._yaml().dump(document, out)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _print_decisions(decisions: Decisions, path: Path, as_json: bool) -> None:
    if as_json:
        report = {
            "file": str(path.resolve()),
            "accepted": [o.as_json() for o in decisions.accepted],
            "rejected": decisions.rejected,
            "unchanged": decisions.already,
        }
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    where = path.resolve()
    for organisation in decisions.accepted:
        forms = ", ".join(organisation.forms)
        target = f"new names of {organisation.extends}" if organisation.extends else "a partner"
        print(f"accepted {organisation.canonical} as {target} ({forms}) in {where}")
    for name in decisions.rejected:
        print(f"rejected {name}: added to not_organisations in {where}")
    for name in decisions.already:
        print(f"{name}: already in {where}, nothing to change", file=sys.stderr)
