"""Files under `corpus/` -> validated `Article` records, plus a `Problem` per thing wrong.

Three inputs, chosen by extension: saved site pages (`.txt`, furniture stripped by
`pages`, with an optional `NAME.meta.yaml` sidecar), Markdown with YAML front
matter (`.md`), and JSON Lines exports (`.jsonl`, one article per line). Facts
stated in metadata (front matter, sidecar, JSONL fields) always win over what is
inferred from the text; metadata `countries` / `partners` *replace* the detected
ones (so an editor can also remove a wrong detection), after being mapped to
canonical names through the vocabulary.

Nothing escapes this module but `SearchServiceError`: a bad file or line becomes a
`Problem` (`error` = skipped, `warning` = kept), and the other articles are still
produced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from search_service import collector
from search_service.articles import Article, Language, Problem, SourceRef
from search_service.errors import ArticleParseError, SearchServiceError
from search_service.fetch.urls import InvalidUrlError, normalise_url, page_key
from search_service.ingest.corpus_root import (
    FETCH_SIDECAR_SUFFIX,
    SOURCES_FILE,
    VOCABULARY_DIR,
    open_corpus,
    vocabulary_of,
)
from search_service.ingest.dates import parse_metadata_date
from search_service.ingest.html import HTML_EXTENSIONS, parse_html
from search_service.ingest.html_encoding import decode_html
from search_service.ingest.language import (
    DETECTION_CHARS_UNSURE,
    detect_language,
    language_guess,
    normalise_language,
)
from search_service.ingest.organisations import (
    ArticleEvidence,
    Discovery,
    counted,
    discover,
    with_discovered_partners,
)
from search_service.ingest.pages import infer_title, parse_page
from search_service.ingest.text_repair import (
    BINARY_CONTROL,
    ESCAPED_NOT_TEXT,
    UTF16_BOMS,
    binary_bytes,
    characters_message,
    clean_characters,
    clean_value,
    decode_fallback,
    holds_not_text,
    mojibake_message,
    nfc,
    repair_mojibake,
    utf8_holds_not_text,
    utf16_text,
)
from search_service.ingest.vocabulary import Kind, Vocabulary
from search_service.settings import MAX_PAGE_BYTES, absolute_path
from search_service.text import fold

EXTENSIONS = (".txt", ".md", ".jsonl", *HTML_EXTENSIONS)
SIDECAR_SUFFIX = ".meta.yaml"
#: Files read with their article, never reported as not read. (The vocabulary folder,
#: hidden files and `SOURCES_FILE` at the root are not articles either.)
COMPANION_SUFFIXES = (SIDECAR_SUFFIX, FETCH_SIDECAR_SUFFIX)  # read with their page
# Where an HTML page declares its own url: two pages declaring one are copies (`_PageCopy`).
_DECLARED_URLS = frozenset({"canonical", "og:url"})
# lingua's confidence needed to overrule the language an HTML page declares.
DECLARED_LANGUAGE_OVERRULED = 0.9
METADATA_KEYS = ("id", "title", "date", "language", "url", "countries", "partners", "summary")
PROGRESS_EVERY = 1000  # JSONL lines between two progress reports

FilesProgress = Callable[[int, int, int], None]
"""on_files(files done, files in all, articles so far)."""
logger = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """What the ingest produced: articles in file order, and every problem met."""

    articles: list[Article]
    problems: list[Problem]
    files_read: int
    not_read: list[Problem] = field(default_factory=list)
    """Files met while walking a folder that are not article files, with the reason
    (unsupported extension): no article was read from them, so an editor should know."""
    discovery: Discovery = field(default_factory=Discovery)
    """The organisations found in these articles beyond the vocabulary; the auto ones are
    already among the articles' partners (`ingest.organisations`)."""

    @property
    def skipped(self) -> list[Problem]:
        """Problems that cost an article (or a whole file)."""
        return [p for p in self.problems if p.severity == "error"]


def load_vocabulary(corpus_dir: Path) -> Vocabulary:
    """The vocabulary of the corpus rooted at `corpus_dir`: `corpus_dir/vocabulary/`,
    else the shipped default (`corpus_root.vocabulary_of`; raises `VocabularyError`)."""
    return Vocabulary.load(vocabulary_of(corpus_dir).directory)


def ingest_corpus(
    corpus_dir: Path,
    *,
    on_files: FilesProgress | None = None,
    processes: int = 1,
) -> IngestResult:
    """Every article file of the corpus rooted at `corpus_dir`, with its vocabulary.

    `CorpusError` when `corpus_dir` is not a corpus folder (`corpus_root.open_corpus`).
    """
    corpus = open_corpus(corpus_dir)
    return ingest_paths(
        [corpus.path],
        corpus_root=corpus.path,
        vocabulary=Vocabulary.load(corpus.vocabulary.directory),
        on_files=on_files,
        processes=processes,
    )


def ingest_paths(
    paths: Sequence[Path],
    *,
    corpus_root: Path,
    vocabulary: Vocabulary,
    on_files: FilesProgress | None = None,
    discovery: Discovery | None = None,
    processes: int = 1,
    parallel_bytes: int | None = None,
) -> IngestResult:
    """Articles of the given files and folders (folders are walked recursively).

    With `processes` > 1 and files of `parallel_bytes` or more in all (by default
    `parallel.PARALLEL_BYTES`), the files are read by that many processes
    (`ingest.parallel`), with the same result.

    `on_files` receives the files done, the files found in all, and the articles
    produced so far, after each file and every `PROGRESS_EVERY` lines of a JSONL export.
    Organisations are discovered in these articles (`ingest.organisations`) and the
    well-evidenced ones added to their partners, unless a `discovery` made from a
    larger set (the whole corpus) is given to be applied instead.
    """
    run = _Run(Path(corpus_root), vocabulary, on_files)
    files = list(_article_files(paths, Path(corpus_root), run))
    run.files_total = len(files)
    from search_service.ingest import parallel  # it builds on this module

    threshold = parallel.PARALLEL_BYTES if parallel_bytes is None else parallel_bytes
    evidence: dict[str, ArticleEvidence] = {}
    if parallel.should_fork(files, processes, threshold):
        evidence = parallel.read_in_processes(
            run, files, processes, read_evidence=discovery is None
        )
    else:
        for path in files:
            run.read_file(path)
    run.drop_copies()  # before discovery: a copy would count its names twice
    with collector.paused():  # over articles that all stay alive (`collector`)
        if discovery is None:
            discovery = discover(run.articles, vocabulary, evidence)
        articles = with_discovered_partners(
            run.articles,
            discovery,
            vocabulary,
            stated=run.stated_partners,
            stated_countries=run.stated_countries,
        )
    return IngestResult(
        articles=articles,
        problems=run.problems,
        files_read=run.files_read,
        not_read=run.not_read,
        discovery=counted(discovery, articles),
    )


# ---- walking ---------------------------------------------------------------------------


def _article_files(paths: Sequence[Path], corpus_root: Path, run: _Run) -> Iterator[Path]:
    vocabulary_dir = (corpus_root / VOCABULARY_DIR).resolve()
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            candidates = _folder_files(path, vocabulary_dir, run)
        elif path.exists():
            if path.name.lower().endswith(COMPANION_SUFFIXES):
                continue  # read with its page (`corpus check site/host/*` names both)
            if path.suffix.lower() not in EXTENSIONS:
                run.problem(
                    path,
                    "unsupported_file",
                    f"not an article file (expected {', '.join(EXTENSIONS)})",
                )
                continue
            candidates = [path]
        else:
            run.problem(path, "unreadable_file", f"no such file or folder: {absolute_path(path)}")
            continue
        for candidate in candidates:
            key = candidate.resolve()
            if key not in seen:
                seen.add(key)
                yield candidate


def _relative(path: Path, root: Path) -> str:
    """`path` relative to `root` (posix), links not followed, else `path` as given."""
    for left, right in (
        (Path(os.path.abspath(path)), Path(os.path.abspath(root))),
        (path.resolve(), root.resolve()),
    ):
        if left.is_relative_to(right):
            return left.relative_to(right).as_posix()
    return path.as_posix()


def _folder_files(folder: Path, vocabulary_dir: Path, run: _Run) -> list[Path]:
    """Article files under `folder`, sorted; a sub-folder that cannot be listed is a problem.

    Other files are noted in `run.not_read` with the reason, except the ones a
    corpus is known to hold besides articles (`_known_non_article`).
    """
    found: list[Path] = []
    others: list[Path] = []
    root = Path(os.path.abspath(run.corpus_root))
    for directory, subdirectories, files in os.walk(folder, onerror=run.unlistable):
        here = Path(directory)
        subdirectories[:] = sorted(
            d
            for d in subdirectories
            if not d.startswith(".") and (here / d).resolve() != vocabulary_dir
        )
        at_root = Path(os.path.abspath(here)) == root
        names = {name for name in files if not name.startswith(".")}
        for name in names:
            if _is_article_file(name):
                found.append(here / name)
            elif not _known_non_article(name, names, at_root):
                others.append(here / name)
    for path in sorted(others):
        run.note_not_read(path)
    return sorted(found)


def _is_article_file(name: str) -> bool:
    return Path(name).suffix.lower() in EXTENSIONS


def _known_non_article(name: str, siblings: set[str], at_root: bool) -> bool:
    """A file a corpus holds besides articles: fetch sources and sidecars, metadata
    sidecars beside their article."""
    if name.endswith(FETCH_SIDECAR_SUFFIX) or (at_root and name == SOURCES_FILE):
        return True
    if name.endswith(SIDECAR_SUFFIX):
        stem = name[: -len(SIDECAR_SUFFIX)]
        return any(Path(other).stem == stem and _is_article_file(other) for other in siblings)
    return False


def not_read_reason(name: str) -> str:
    """Why a file met while walking a corpus gives no article."""
    if name.endswith(SIDECAR_SUFFIX):
        return "metadata sidecar with no article file of the same name beside it"
    suffix = Path(name).suffix.lower()
    kind = f"unsupported extension {suffix}" if suffix else "no extension"
    return f"{kind} (article files are {', '.join(EXTENSIONS)})"


# ---- one run ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """An article before validation: what was read, and what metadata said."""

    id: str
    title: str | None
    body: str
    date: dt.date | None = None
    language: Language | None = None
    url: str | None = None
    summary: str | None = None
    countries: tuple[str, ...] | None = None
    partners: tuple[str, ...] | None = None
    line: int | None = None
    title_inferred: bool = False
    declared_language: Language | None = None  # an HTML page's `lang`: checked against the text
    declared_as: str | None = None  # that declaration as written ("fr-FR"), for messages
    canonical: str | None = None  # the url an HTML page declares as its own (`_PageCopy`)
    fetched_from: str | None = None  # where the fetch got that page (its fetch record)
    notes: list[tuple[str, str, int | None]] = field(default_factory=list)  # warnings


@dataclass(frozen=True)
class _PageCopy:
    """An HTML page's article, the canonical url the page declares, and whether the page
    was fetched from that address."""

    article: Article
    path: Path
    canonical: str
    at_canonical: bool


@dataclass
class _Prepared:
    """A draft as far as its own file can take it (`_Run.prepare`): what `_Run.accept`
    needs to keep it or refuse it in file order, perhaps in another process."""

    path: Path
    id: str
    line: int | None
    notes: list[Problem]
    no_text: bool
    canonical: str | None
    fetched_from: str | None
    completed: bool = False
    warnings: list[Problem] = field(default_factory=list)
    stated_partners: bool = False
    stated_countries: bool = False
    article: Article | None = None
    invalid: str | None = None
    evidence: ArticleEvidence | None = None  # what `discover` reads in it, when a worker read it


@dataclass
class _Run:
    corpus_root: Path
    vocabulary: Vocabulary
    on_files: FilesProgress | None = None
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files_read: int = 0
    files_done: int = 0  # read or skipped, for on_files
    files_total: int = 0
    first_seen: dict[str, str] = field(default_factory=dict)
    copies: dict[str, list[_PageCopy]] = field(default_factory=dict)  # by page address
    shown: dict[Path, str] = field(default_factory=dict)
    not_read: list[Problem] = field(default_factory=list)
    stated_partners: set[str] = field(default_factory=set)  # ids: metadata named them
    stated_countries: set[str] = field(default_factory=set)

    def display(self, path: Path) -> str:
        """A path relative to the corpus root when inside it (posix), else as given."""
        shown = self.shown.get(path)
        if shown is None:
            shown = _relative(path, self.corpus_root)
            self.shown[path] = shown
        return shown

    def problem(
        self,
        path: Path,
        code: str,
        message: str,
        *,
        line: int | None = None,
        severity: str = "error",
        article_id: str | None = None,
    ) -> None:
        self.emit(
            self.make_problem(
                path, code, message, line=line, severity=severity, article_id=article_id
            )
        )

    def make_problem(
        self,
        path: Path,
        code: str,
        message: str,
        *,
        line: int | None = None,
        severity: str = "error",
        article_id: str | None = None,
    ) -> Problem:
        return Problem(
            path=self.display(path),
            line=line,
            code=code,
            message=message,
            severity="warning" if severity == "warning" else "error",
            article_id=article_id,
        )

    def emit(self, problem: Problem) -> None:
        """A problem met reading a file, in the order met."""
        self.problems.append(problem)

    def note_not_read(self, path: Path) -> None:
        self.not_read.append(
            Problem(
                path=self.display(path),
                code="not_read",
                message=not_read_reason(path.name),
                severity="warning",
            )
        )

    def unlistable(self, error: OSError) -> None:
        where = Path(error.filename) if error.filename else self.corpus_root
        self.problem(where, "unreadable_file", f"cannot list this folder: {error.strerror}")

    def report_progress(self) -> None:
        if self.on_files is not None:
            self.on_files(self.files_done, self.files_total, len(self.articles))

    # -- files --

    def read_file(self, path: Path) -> None:
        self.read_contents(path)
        self.file_done()

    def file_done(self) -> None:
        self.files_done += 1
        self.report_progress()

    def read_contents(self, path: Path) -> None:
        """Every article and problem of one file (and its sidecars)."""
        with self.costs_one_file(path):
            suffix = path.suffix.lower()
            if suffix in HTML_EXTENSIONS:
                self.add(path, self.read_html(path))
            else:
                text = self.decode(path)
                self.files_read += 1
                if suffix == ".jsonl":
                    self.read_lines(path, text.split("\n"))
                elif suffix == ".md":
                    self.add(path, self.read_markdown(path, text))
                else:
                    self.add(path, self.read_page(path, text))

    @contextmanager
    def costs_one_file(self, path: Path) -> Iterator[None]:
        """A file that cannot be read is a problem; a bug costs that file, not the build."""
        try:
            yield
        except ArticleParseError as error:
            self.problem(path, _code_of(error), error.reason, line=error.line)
        except SearchServiceError:
            raise
        except Exception as error:  # a bug must cost one file, not the whole build
            logger.exception("ingest failed on %s", path)
            self.problem(
                path, "internal_error", f"could not be read ({type(error).__name__}: {error})"
            )

    def read_bytes(self, path: Path) -> bytes:
        """The file's bytes; an unreadable or empty file is skipped."""
        try:
            data = path.read_bytes()
        except OSError as error:
            raise _Skip(
                "unreadable_file", path, f"cannot read: {error.strerror or error}"
            ) from error
        if not data.strip():
            raise _Skip("empty_file", path, "the file is empty")
        return data

    def decode(self, path: Path) -> str:
        """The file's text: UTF-8, else cp1252/latin-1 with a warning; mojibake repaired."""
        data = self.read_bytes(path)
        utf16 = utf16_text(data)
        if utf16 is None and binary_bytes(data):
            raise _Skip("binary_file", path, "this is a binary file, not text")
        utf8: bytes | None = None
        try:
            text = utf16 if utf16 is not None else data.decode("utf-8-sig")
            utf8 = data if utf16 is None else None
        except UnicodeDecodeError as error:
            text = decode_fallback(data)
            self.problem(
                path,
                "invalid_utf8",
                f"not valid UTF-8 (byte {error.start}); read as Windows-1252 and repaired",
                severity="warning",
            )
        return self.repaired(path, text, utf8=utf8)

    def repaired(self, path: Path, text: str, *, utf8: bytes | None = None) -> str:
        """Decoded text without mojibake or characters that are not text, NFC.

        `utf8`: the exact bytes `text` was decoded from as UTF-8 (BOM included), when it
        was, which are looked at for characters that are not text instead of the text
        (the same answer, an eighth of the time: `utf8_holds_not_text`); any other
        bytes would give another file's answer.
        """
        # One scan for both uses below.
        suspect = utf8_holds_not_text(utf8) if utf8 is not None else holds_not_text(text)
        if suspect and len(BINARY_CONTROL.findall(text)) > max(8, len(text) // 100):
            raise _Skip("binary_file", path, "this is a binary file, not text")
        text, repairs = repair_mojibake(text)
        if repairs:
            self.problem(path, "mojibake", mojibake_message(repairs), severity="warning")
        if suspect or repairs:  # a repair may decode to a control character ("Â€")
            text, removed = clean_characters(text)
            if removed:
                message = characters_message(removed)
                self.problem(path, "bad_characters", message, severity="warning")
        return nfc(text)

    def read_html(self, path: Path) -> _Draft:
        """An HTML page (`html`): its article, or a `not_an_article` problem."""
        data = self.read_bytes(path)
        if len(data) > MAX_PAGE_BYTES:
            raise _Skip(
                "page_too_large",
                path,
                f"{len(data):,} bytes: larger than {MAX_PAGE_BYTES:,}, not read as a page",
            )
        if not data.startswith(UTF16_BOMS) and binary_bytes(data):
            raise _Skip("binary_file", path, "this is a binary file, not an HTML page")
        fetched = self.read_fetch_sidecar(path)
        # Where the page was fetched after redirects, else as the sources list it.
        fetched_from = fetched.get("final_url") or fetched.get("url")
        decoded = decode_html(data, fetched.get("content_type"))
        if decoded.warning is not None:
            self.problem(path, "invalid_utf8", decoded.warning, severity="warning")
        text = self.repaired(path, decoded.text)
        self.files_read += 1
        page = parse_html(text, fetched_url=fetched_from)
        if page.refusal is not None:
            raise _Skip(page.refusal.code, path, page.refusal.message)
        draft = _Draft(
            id=self.default_id(path),
            title=page.title,
            body=page.body,
            date=page.date,
            url=page.url,
            declared_language=page.language,
            declared_as=page.declared_language,
            canonical=page.url if page.sources.get("url") in _DECLARED_URLS else None,
            fetched_from=fetched_from,
        )
        draft.notes += [(note.code, note.message, note.line) for note in page.notes]
        self.apply_sidecar(path, draft)
        return draft

    def read_fetch_sidecar(self, path: Path) -> dict[str, str]:
        """`url`, `final_url`, `content_type` of the page's fetch sidecar (`<page>.fetch.json`)."""
        sidecar = path.with_name(path.name + FETCH_SIDECAR_SUFFIX)
        if not sidecar.is_file():
            return {}
        try:
            record = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
            self.problem(
                sidecar,
                "bad_metadata",
                f"fetch record ignored: {_first_line(error)}",
                severity="warning",
            )
            return {}
        if not isinstance(record, dict):
            self.problem(
                sidecar, "bad_metadata", "fetch record ignored: not an object", severity="warning"
            )
            return {}
        return {
            key: record[key].strip()
            for key in ("url", "final_url", "content_type")
            if isinstance(record.get(key), str) and record[key].strip()
        }

    def read_page(self, path: Path, text: str) -> _Draft:
        page = parse_page(text)
        draft = _Draft(id=self.default_id(path), title=page.title, body=page.body, date=page.date)
        draft.notes += [(note.code, note.message, note.line) for note in page.notes]
        self.apply_sidecar(path, draft)
        return draft

    def apply_sidecar(self, path: Path, draft: _Draft) -> None:
        """`NAME.meta.yaml` next to a page supplies facts the page lacks (and wins)."""
        sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
        if sidecar.exists():
            meta = self.read_sidecar(sidecar)
            if meta is not None:
                self.apply_metadata(draft, meta, path, None)

    def read_sidecar(self, sidecar: Path) -> Mapping[str, Any] | None:
        try:
            meta = load_metadata_yaml(sidecar.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, TypeError) as error:
            self.problem(
                sidecar,
                "bad_metadata",
                f"metadata file ignored: {_first_line(error)}",
                severity="warning",
            )
            return None
        if meta is None:
            return {}
        if not isinstance(meta, dict):
            self.problem(
                sidecar, "bad_metadata", "metadata file ignored: not a mapping", severity="warning"
            )
            return None
        cleaned, removed = clean_value(meta)
        if removed:
            message = characters_message(removed)
            self.problem(sidecar, "bad_characters", message, severity="warning")
        return dict(cleaned)

    def read_markdown(self, path: Path, text: str) -> _Draft:
        try:
            meta, content = _split_front_matter(text)
        except Exception as error:  # python-frontmatter surfaces YAML and its own errors
            raise _Skip(
                "bad_front_matter",
                path,
                f"the front matter is not valid YAML: {_first_line(error)}",
            ) from error
        draft = _Draft(id=self.default_id(path), title=None, body="")
        if meta is not None and not isinstance(meta, dict):
            kind = type(meta).__name__
            draft.notes.append(
                ("bad_metadata", f"front matter ignored: a {kind}, not a mapping of keys", None)
            )
            meta = None
        if meta:
            meta, removed = clean_value(meta)
            if removed:
                draft.notes.append(("bad_characters", characters_message(removed), None))
            self.apply_metadata(draft, meta, path, None)
        rest, heading = _split_heading(content)
        # The front matter's title wins; its heading then stays in the body unless it repeats it.
        if heading is not None and (
            draft.title is None or fold(draft.title) == fold(_markdown_to_text(heading))
        ):
            draft.title = draft.title or heading
            content = rest
        draft.body = _normalise_body(_markdown_to_text(content))
        return draft

    def read_lines(self, path: Path, lines: Sequence[str], first: int = 1) -> None:
        """The lines of a JSONL export, `first` being the number of the first one given."""
        for number, line in enumerate(lines, start=first):
            if not line.strip():
                continue
            try:
                self.add(path, self.jsonl_draft(path, line, number))
            except ArticleParseError as error:
                self.problem(path, _code_of(error), error.reason, line=number)
            except SearchServiceError:
                raise
            except Exception as error:  # a bug must cost one line, not the file
                logger.exception("ingest failed on %s line %d", path, number)
                message = f"could not be read ({type(error).__name__}: {error})"
                self.problem(path, "internal_error", message, line=number)
            if number % PROGRESS_EVERY == 0:
                self.report_progress()

    def jsonl_draft(self, path: Path, line: str, number: int) -> _Draft:
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as error:
            raise _Skip(
                "bad_json", path, f"line is not valid JSON ({_first_line(error)})", number
            ) from error
        if not isinstance(record, dict):
            raise _Skip(
                "bad_record", path, f"expected a JSON object, got {type(record).__name__}", number
            )
        for key in ("id", "title", "body"):
            if key not in record or record[key] is None:
                raise _Skip("missing_field", path, f"no {key!r} field", number)
        identifier, title, body = record["id"], record["title"], record["body"]
        if not isinstance(identifier, str | int) or isinstance(identifier, bool):
            raise _Skip("bad_field", path, "'id' must be a string", number)
        for key, value in (("title", title), ("body", body)):
            if not isinstance(value, str):
                raise _Skip("bad_field", path, f"{key!r} must be a string", number)
            if not value.strip():
                raise _Skip("missing_field", path, f"{key!r} is empty", number)
        if not str(identifier).strip():
            raise _Skip("missing_field", path, "'id' is empty", number)
        # JSON escapes may hold what the file's characters could not (those were repaired
        # with the file): mojibake ("\u00c3\u00a9"), NUL and other controls, lone
        # surrogates ("\ud800"). Repaired here, with a warning.
        notes: list[tuple[str, str, int | None]] = []
        if ESCAPED_NOT_TEXT.search(line):
            record, removed = clean_value(record)
            if removed:
                notes.append(("bad_characters", characters_message(removed), number))
        title, body = record["title"], record["body"]
        if "\\u" in line:
            title, title_repairs = repair_mojibake(title)
            body, body_repairs = repair_mojibake(body)
            if title_repairs or body_repairs:
                message = mojibake_message([*title_repairs, *body_repairs])
                notes.insert(0, ("mojibake", message, number))
        for key, value in (("title", title), ("body", body)):
            if not value.strip():
                raise _Skip("missing_field", path, f"{key!r} is empty once cleaned", number)
        draft = _Draft(
            id=str(record["id"]).strip(),
            title=_one_line(nfc(title)),
            body=_normalise_body(nfc(body)),
            line=number,
            notes=notes,
        )
        meta = {k: v for k, v in record.items() if k not in ("id", "title", "body")}
        self.apply_metadata(draft, meta, path, number)
        return draft

    def default_id(self, path: Path) -> str:
        return self.display(path.with_suffix(""))

    # -- metadata --

    def apply_metadata(
        self, draft: _Draft, meta: Mapping[str, Any], path: Path, line: int | None
    ) -> None:
        """Metadata wins over inference; a bad value is a warning and inference stays."""

        def warn(code: str, message: str) -> None:
            draft.notes.append((code, message, draft.line))

        if "id" in meta and meta["id"] is not None:
            if isinstance(meta["id"], str | int) and str(meta["id"]).strip():
                draft.id = str(meta["id"]).strip()
            else:
                warn("bad_metadata", f"'id' {meta['id']!r} ignored: not a string")
        title = meta.get("title")
        if isinstance(title, str):
            if title.strip():
                draft.title = _one_line(title)
                draft.title_inferred = False
        elif title is not None:
            warn(
                "bad_metadata",
                f"'title' {title!r} ignored: not a string (quote it to give it as text)",
            )
        if meta.get("date") not in (None, ""):
            parsed = parse_metadata_date(meta["date"])
            if parsed is None:
                kept = f"; kept {draft.date.isoformat()} from the page" if draft.date else ""
                warn("bad_date", f"date {meta['date']!r} is not an ISO 8601 date{kept}")
            else:
                draft.date = parsed
        if meta.get("language") not in (None, ""):
            language = normalise_language(meta["language"])
            if language is None:
                warn(
                    "unknown_language",
                    f"language {meta['language']!r} is not one of en, fr, es; detected instead",
                )
            else:
                draft.language = language
        for key in ("url", "summary"):
            value = meta.get(key)
            if isinstance(value, str) and value.strip():
                setattr(draft, key, value.strip())
            elif value not in (None, ""):
                warn("bad_metadata", f"{key!r} ignored: not a string")
        kinds: tuple[tuple[str, Kind], ...] = (("countries", "country"), ("partners", "partner"))
        for key, kind in kinds:
            if key in meta and meta[key] is not None:
                names = self.canonical_names(meta[key], kind, warn, key)
                if names is not None:
                    setattr(draft, key, names)

    def canonical_names(
        self, value: Any, kind: Kind, warn: Callable[[str, str], None], key: str
    ) -> tuple[str, ...] | None:
        if isinstance(value, str):
            value = [v for v in value.split(",")]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            warn("bad_metadata", f"{key!r} ignored: expected a list of names")
            return None
        names: dict[str, None] = {}
        for raw in value:
            name = raw.strip()
            if not name:
                continue
            canonical = self.vocabulary.canonical(kind, name)
            if canonical is None:
                warn(
                    f"unknown_{kind}",
                    f"{kind} {name!r} is not in the vocabulary; kept as written",
                )
                canonical = name
            names.setdefault(canonical, None)
        return tuple(names)

    # -- validation --

    def add(self, path: Path, draft: _Draft) -> None:
        """Validate a draft, fill in what metadata did not say, and keep the article."""
        self.accept(self.prepare(path, draft))

    def prepare(self, path: Path, draft: _Draft) -> _Prepared:
        """What a draft gives on its own (a pure function of its file): its warnings, and
        the article completed and validated, unless it has no text or an id already used."""
        prepared = _Prepared(
            path=path,
            id=draft.id,
            line=draft.line,
            notes=[
                self.make_problem(
                    path, code, message, line=line, severity="warning", article_id=draft.id
                )
                for code, message, line in draft.notes
            ],
            no_text=not draft.body.strip(),
            canonical=draft.canonical,
            fetched_from=draft.fetched_from,
        )
        if prepared.no_text or draft.id in self.first_seen:
            return prepared  # refused by `accept`, which says why
        prepared.completed = True
        prepared.stated_partners = draft.partners is not None
        prepared.stated_countries = draft.countries is not None
        fields = self.complete(path, draft, prepared.warnings)
        try:
            prepared.article = Article(**fields)
        except ValidationError as error:  # a last guard: every field is checked above
            prepared.invalid = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
            )
        return prepared

    def accept(self, prepared: _Prepared) -> None:
        """Keep a prepared article, unless its id is already used (the first by file wins)."""
        path = prepared.path
        for note in prepared.notes:
            self.emit(note)
        refusal = self.refusal(prepared)
        if refusal is not None:
            code, message = refusal
            self.problem(path, code, message, line=prepared.line, article_id=prepared.id)
            return
        if not prepared.completed:
            raise AssertionError(f"{prepared.id!r} was not completed")
        for warning in prepared.warnings:
            self.emit(warning)
        if prepared.stated_partners:
            self.stated_partners.add(prepared.id)
        if prepared.stated_countries:
            self.stated_countries.add(prepared.id)
        article = prepared.article
        if article is None:
            self.problem(
                path,
                "invalid_article",
                prepared.invalid or "invalid",
                line=prepared.line,
                article_id=prepared.id,
            )
            return
        self.articles.append(article)
        self.first_seen[prepared.id] = str(article.source)
        if prepared.canonical is not None:
            address = _page_address(prepared.canonical)
            at_canonical = prepared.fetched_from is not None and (
                _page_address(prepared.fetched_from) == address
            )
            copy = _PageCopy(article, path, prepared.canonical, at_canonical)
            self.copies.setdefault(address, []).append(copy)

    def drop_copies(self) -> None:
        """One article per page of the site: copies of a page saved under other addresses
        (WordPress's `/?p=123` and its permalink) are not indexed, with a warning.

        Copies are HTML pages that declare the same canonical url and have the same
        title (a theme that names the home page as every page's canonical url makes
        no copies). The one kept is the copy fetched from its canonical address, else
        the first by path: the same one on every build, whatever other copies come
        and go, so its id stays.
        """
        dropped: set[str] = set()
        for copies in self.copies.values():
            by_title: dict[str, list[_PageCopy]] = {}
            for copy in copies:
                by_title.setdefault(fold(copy.article.title), []).append(copy)
            for same in by_title.values():
                kept = next((copy for copy in same if copy.at_canonical), same[0])
                for copy in same:
                    if copy is kept:
                        continue
                    dropped.add(copy.article.id)
                    self.problem(
                        kept.path,
                        "duplicate_page",
                        f"the same article is also saved as {self.display(copy.path)} (the "
                        f"same canonical url {kept.canonical} and title); that copy is not "
                        "indexed",
                        severity="warning",
                        article_id=kept.article.id,
                    )
        if dropped:
            self.articles = [a for a in self.articles if a.id not in dropped]

    def refusal(self, prepared: _Prepared) -> tuple[str, str] | None:
        """Why this draft cannot become an article, if it cannot."""
        if prepared.no_text:
            return "no_text", "no article text left once the site's furniture is removed"
        previous = self.first_seen.get(prepared.id)
        if previous is not None:
            return "duplicate_id", f"id {prepared.id!r} was already used by {previous}; skipped"
        return None

    def complete(self, path: Path, draft: _Draft, warnings: list[Problem]) -> dict[str, Any]:
        """Every Article field: metadata first, then what the text says (`warnings` gets
        what is doubtful in it)."""
        title, inferred = draft.title, draft.title_inferred
        if not title:
            title, inferred = infer_title(draft.body), True
        language = draft.language or self.checked_language(path, draft, title, warnings)
        countries, partners = draft.countries, draft.partners
        if countries is None or partners is None:
            found_countries, found_partners = self.vocabulary.find_names(f"{title}\n\n{draft.body}")
            countries = tuple(found_countries) if countries is None else countries
            partners = tuple(found_partners) if partners is None else partners
        fields: dict[str, Any] = {
            "id": draft.id,
            "title": title,
            "title_inferred": inferred,
            "date": draft.date,
            "year": draft.date.year if draft.date else None,
            "language": language,
            "body": draft.body,
            "countries": countries,
            "partners": partners,
            "url": draft.url,
            "summary": draft.summary,
            "source": SourceRef(path=self.display(path), line=draft.line),
        }
        fields["checksum"] = _checksum(fields, self.vocabulary.fingerprint)
        return fields

    def checked_language(
        self, path: Path, draft: _Draft, title: str, warnings: list[Problem]
    ) -> Language:
        """The page's declared language, unless its text is surely in another one."""
        declared = draft.declared_language
        if declared is None:
            return self.detected_language(path, draft, title, warnings)
        # Overruling a declaration needs the long sample: a few sentences full of French
        # names of institutions can sway lingua on an English page.
        text = f"{title}\n{draft.body[:DETECTION_CHARS_UNSURE]}"
        guess = language_guess(text, first_sample=DETECTION_CHARS_UNSURE)
        if guess is None or guess[0] == declared or guess[1] < DECLARED_LANGUAGE_OVERRULED:
            return declared
        warning = self.make_problem(
            path,
            "language_mismatch",
            f"the page declares {draft.declared_as or declared!r} but its text is in "
            f"{guess[0]}; {guess[0]} used",
            line=draft.line,
            severity="warning",
            article_id=draft.id,
        )
        warnings.append(warning)
        return guess[0]

    def detected_language(
        self, path: Path, draft: _Draft, title: str, warnings: list[Problem]
    ) -> Language:
        language = detect_language(f"{title}\n{draft.body[:DETECTION_CHARS_UNSURE]}")
        if language is not None:
            return language
        warning = self.make_problem(
            path,
            "unknown_language",
            "language could not be detected (too little text); assumed en",
            line=draft.line,
            severity="warning",
            article_id=draft.id,
        )
        warnings.append(warning)
        return "en"


# ---- helpers -------------------------------------------------------------------------


def _page_address(url: str) -> str:
    """What makes two urls one page of a site, as for the fetch (`fetch.urls.page_key`):
    the scheme, a `www.` host, tracking parameters and spelling do not."""
    try:
        return page_key(normalise_url(url))
    except InvalidUrlError:
        return url


class _Skip(ArticleParseError):
    """A file or JSONL line that cannot give an article, with the `Problem` code to report."""

    def __init__(self, code: str, path: Path, reason: str, line: int | None = None) -> None:
        self.problem_code = code
        super().__init__(path, reason, line)


def _code_of(error: ArticleParseError) -> str:
    return error.problem_code if isinstance(error, _Skip) else "parse_error"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class _MetadataLoader(yaml.SafeLoader):
    """YAML's safe loader, but dates stay strings: `2020-13-45` must not raise mid-load.

    The ingest reads metadata dates itself (`parse_metadata_date`), so that a bad date
    is a `bad_date` warning on that value, not a file that cannot be read.
    """


_MetadataLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_metadata_yaml(text: str) -> Any:
    """A sidecar or front matter: safe YAML with dates kept as strings."""
    return yaml.load(text, Loader=_MetadataLoader)  # a SafeLoader


def _split_front_matter(text: str) -> tuple[Any, str]:
    """(front matter value or None, content) of a Markdown file (python-frontmatter's split)."""
    import frontmatter
    from frontmatter.default_handlers import YAMLHandler

    text = text.strip()
    handler = frontmatter.detect_format(text, frontmatter.handlers)
    if handler is None:
        return None, text
    try:
        matter, content = handler.split(text)
    except ValueError:
        return None, text
    if isinstance(handler, YAMLHandler):
        return load_metadata_yaml(matter), content.strip()
    return handler.load(matter), content.strip()


def _normalise_body(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        paragraphs[-1].append(stripped)
    return "\n\n".join("\n".join(p) for p in paragraphs if p)


def _one_line(text: str) -> str:
    return " ".join(text.split())


_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_MD_EMPHASIS = re.compile(
    r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?!\w)"
)
_MD_CODE = re.compile(r"`([^`\n]+)`")


def _markdown_to_text(text: str) -> str:
    """The words of a Markdown body: links, images, headings and emphasis reduced to text.

    Bodies are indexed and quoted in snippets, where "**AIM**" or "[ILO](https://…)"
    would show their markup; lists and paragraphs are kept as they are.
    """
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HEADING.sub(r"\1", text)
    text = _MD_CODE.sub(r"\1", text)
    return _MD_EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)


def _split_heading(body: str) -> tuple[str, str | None]:
    """A Markdown body's first `# heading` (if it opens the body) becomes the title."""
    stripped = body.lstrip("\n")
    first, _, rest = stripped.partition("\n")
    match = re.fullmatch(r"#\s+(.+?)\s*#*\s*", first)
    if match:
        return rest, _one_line(match.group(1))
    return body, None


#: The fields of an article its checksum covers (with the vocabulary's fingerprint).
CHECKSUM_FIELDS = (
    "id",
    "title",
    "title_inferred",
    "date",
    "year",
    "language",
    "body",
    "countries",
    "partners",
    "url",
    "summary",
    "source",
)


def article_checksum(article: Article, fingerprint: str) -> str:
    """The checksum of an article changed after the ingest (discovered partners added)."""
    return _checksum({name: getattr(article, name) for name in CHECKSUM_FIELDS}, fingerprint)


def _checksum(fields: Mapping[str, Any], fingerprint: str) -> str:
    """sha256 over every indexed field and the vocabulary, so any change is noticed."""
    payload = {k: v for k, v in fields.items() if k != "source"}
    payload["date"] = fields["date"].isoformat() if fields["date"] else None
    payload["source"] = str(fields["source"])
    payload["vocabulary"] = fingerprint
    encoded = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=list)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
