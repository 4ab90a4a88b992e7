"""`search-service corpus check`: what the ingest understands of each article file.

For editors: per article the title, date, language, countries and partners that
would be indexed (the organisations discovered in the corpus marked so), every
problem, per file the organisations proposed but not indexed (candidates to accept
with `corpus organisations --accept`), and the files that are not article files.
`--json` prints one JSON object per article and nothing else on stdout, for
scripts; the files skipped or not read go to stderr.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Final, TextIO

from rich.console import Console
from rich.markup import escape

from search_service.articles import Article, Problem
from search_service.errors import CorpusError
from search_service.ingest.corpus import IngestResult, ingest_paths
from search_service.ingest.corpus_root import CorpusRoot, enclosing_corpus, open_corpus
from search_service.ingest.organisations import Discovery
from search_service.ingest.vocabulary import Vocabulary
from search_service.settings import Settings, absolute_path
from search_service.wording import counted

NO_ARTICLE: Final = "no article found: nothing checked would be indexed"


def run_check(
    paths: list[Path], *, as_json: bool, settings: Settings, corpus: Path | None = None
) -> int:
    """Ingest `paths` (default: the corpus) and report; 1 when some file or article was
    skipped, or when nothing checked yields an article (`index build` would refuse such a
    corpus, and a folder of .docx files must not look fine).

    The corpus (its root, for ids, and its vocabulary) is `corpus` when given,
    else the one the first path belongs to (`corpus_root.enclosing_corpus`), else
    the configured one. `CorpusError` when that is not a corpus folder, when none of
    the paths exists (one missing among others is a line of the report), or when the
    paths belong to different corpora. The organisations are discovered over the
    whole corpus even when only some files are checked, so that their partners are
    the ones the build will index.
    """
    root = _corpus_of(paths, corpus, settings)
    vocabulary = Vocabulary.load(root.vocabulary.directory)
    targets = list(paths) or [root.path]
    discovery = None
    if paths:
        whole = ingest_paths([root.path], corpus_root=root.path, vocabulary=vocabulary)
        discovery = whole.discovery
    result = ingest_paths(
        targets, corpus_root=root.path, vocabulary=vocabulary, discovery=discovery
    )
    notice = root.vocabulary.notice()
    if as_json:
        print_json(result, sys.stdout)
        for line in [notice] if notice else []:
            print(line, file=sys.stderr)
        for problem in result.skipped:
            print(problem, file=sys.stderr)
        for problem in result.not_read:
            print(not_read_line(problem), file=sys.stderr)
        if not result.articles:
            print(NO_ARTICLE, file=sys.stderr)
    else:
        console = _Console(highlight=False, soft_wrap=True, emoji=False)
        console.print(escape(corpus_line(root)))
        print_report(result, console)
    return 1 if result.skipped or not result.articles else 0


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Rich exits with status 1 when the reader leaves (`| head`); the CLI's entry
        handles a broken pipe for every command (exit status of its own, no message)."""
        raise BrokenPipeError


def _corpus_of(paths: list[Path], corpus: Path | None, settings: Settings) -> CorpusRoot:
    if corpus is not None:
        return open_corpus(corpus)
    if not paths:
        return open_corpus(settings.corpus_dir)
    if not any(path.exists() for path in paths):
        missing = ", ".join(str(absolute_path(path)) for path in paths)
        raise CorpusError(f"no such file or folder: {missing}; nothing was checked")
    roots = {path: enclosing_corpus(path) for path in paths}
    found = {root.path for root in roots.values()}
    if len(found) > 1:
        listed = ", ".join(str(path) for path in sorted(found))
        raise CorpusError(
            f"the paths belong to different corpora ({listed}): check one corpus at a "
            "time, or name the one whose vocabulary to use with --corpus"
        )
    return roots[paths[0]]


def corpus_line(root: CorpusRoot) -> str:
    """The corpus checked and its vocabulary, in one line (ids are relative to the root)."""
    notice = root.vocabulary.notice()
    vocabulary = notice if notice else f"vocabulary {root.vocabulary.directory}"
    return f"corpus {root.path}; {vocabulary}"


def article_record(article: Article, problems: list[Problem]) -> dict[str, Any]:
    """An article's fields plus its `problems`, as JSON-ready values."""
    record = article.model_dump(mode="json")
    record["problems"] = [p.model_dump(mode="json") for p in problems]
    return record


def print_json(result: IngestResult, out: TextIO) -> None:
    """One line per article; warnings about its whole file (encoding) are listed with it."""
    by_article = _problems_by_article(result.problems)
    file_warnings: dict[str, list[Problem]] = defaultdict(list)
    for problem in result.problems:
        if problem.article_id is None and problem.severity == "warning":
            file_warnings[problem.path].append(problem)
    for article in result.articles:
        problems = file_warnings.get(article.source.path, []) + by_article.get(
            (article.source.path, article.id), []
        )
        out.write(json.dumps(article_record(article, problems), ensure_ascii=False) + "\n")


def print_report(result: IngestResult, console: Console) -> None:
    by_article = _problems_by_article(result.problems)
    by_file: dict[str, list[Article]] = defaultdict(list)
    for article in result.articles:
        by_file[article.source.path].append(article)
    file_problems: dict[str, list[Problem]] = defaultdict(list)
    for problem in result.problems:
        if problem.article_id is None or problem.severity == "error":
            file_problems[problem.path].append(problem)
    discovered = {o.partner for o in result.discovery.auto if o.extends is None}
    for path in dict.fromkeys([*by_file, *file_problems]):
        console.print(f"[bold]{escape(path)}[/bold]")
        for problem in file_problems.get(path, []):
            _print_problem(console, problem)
        articles = by_file.get(path, [])
        for article in articles:
            problems = by_article.get((path, article.id), [])
            _print_article(console, article, problems, discovered)
        proposed = _proposed_in(articles, result.discovery)
        if proposed:
            console.print(f"  not in the vocabulary: {escape(', '.join(proposed))}")
    _print_summary(console, result)
    _print_not_read(console, result.not_read)
    if not result.articles:
        console.print(NO_ARTICLE)


def _print_article(
    console: Console, article: Article, problems: list[Problem], discovered: set[str]
) -> None:
    where = f" (line {article.source.line})" if article.source.line is not None else ""
    inferred = " [dim](inferred)[/dim]" if article.title_inferred else ""
    console.print(f"  [cyan]{escape(article.id)}[/cyan]{where}")
    console.print(f"    title:     {escape(article.title)}{inferred}")
    console.print(f"    date:      {article.date.isoformat() if article.date else '—'}")
    console.print(f"    language:  {article.language}")
    console.print(f"    countries: {escape(', '.join(article.countries) or '—')}")
    partners = [f"{p} (discovered)" if p in discovered else p for p in article.partners]
    console.print(f"    partners:  {escape(', '.join(partners) or '—')}")
    for problem in problems:
        _print_problem(console, problem, indent="    ")


def _print_problem(console: Console, problem: Problem, indent: str = "  ") -> None:
    colour = "red" if problem.severity == "error" else "yellow"
    where = f"line {problem.line}: " if problem.line is not None else ""
    console.print(
        f"{indent}[{colour}]{problem.severity}[/{colour}] \\[{escape(problem.code)}] "
        f"{escape(where + problem.message)}"
    )


def _print_summary(console: Console, result: IngestResult) -> None:
    errors = len(result.skipped)
    warnings = len(result.problems) - errors
    console.print(
        f"\n{counted(len(result.articles), 'article')} from {counted(result.files_read, 'file')}; "
        f"{errors} skipped, {counted(warnings, 'warning')}."
    )
    discovery = result.discovery
    if discovery.organisations:
        console.print(
            f"organisations found in the corpus: {len(discovery.auto)} in the partner facet, "
            f"{len(discovery.proposed)} proposed (`search-service corpus organisations`)."
        )


def _print_not_read(console: Console, not_read: list[Problem]) -> None:
    """The files met that are not article files, and why (an article saved as .docx is lost)."""
    if not not_read:
        return
    console.print(f"{counted(len(not_read), 'other file')} not read:")
    for problem in not_read:
        console.print(f"  {escape(not_read_line(problem))}")


def not_read_line(problem: Problem) -> str:
    return f"{problem.path}: not read: {problem.message}"


def _proposed_in(articles: list[Article], discovery: Discovery) -> list[str]:
    """The proposed organisations these articles name, as shown to editors."""
    ids = {article.id for article in articles}
    return [o.canonical for o in discovery.proposed if ids.intersection(o.ids)]


def _problems_by_article(problems: list[Problem]) -> dict[tuple[str, str], list[Problem]]:
    grouped: dict[tuple[str, str], list[Problem]] = defaultdict(list)
    for problem in problems:
        if problem.article_id is not None and problem.severity == "warning":
            grouped[(problem.path, problem.article_id)].append(problem)
    return grouped
