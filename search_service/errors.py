"""The project's own error types.

Every error the package raises on purpose is a `SearchServiceError`. The CLI turns
them into exit codes in one place (`cli.exit_code_for`), the API into HTTP errors
in one place (`api` error handlers), so no other module knows about either.
"""

from __future__ import annotations

from pathlib import Path


class SearchServiceError(Exception):
    """Base of every error this package raises on purpose."""

    code = "error"


class ArticleParseError(SearchServiceError):
    """An article file (or one line of a JSONL export) could not be turned into an article."""

    code = "article_parse_error"

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class CorpusError(SearchServiceError):
    """A corpus folder that cannot be used as one (missing, a file, inside another corpus),
    or `corpus check` paths of several corpora: nothing is read, built or created.

    Its own exit code (`cli.EXIT_CODES`, "bad_corpus"), apart from a build that was
    attempted and failed: the folder given is wrong, not the corpus in it. `serve`
    without an index turns it into `IndexNotFoundError` (no index, and none can be built).
    """

    code = "corpus_error"


class VocabularyError(SearchServiceError):
    """A vocabulary file in the corpus is missing or malformed."""

    code = "vocabulary_error"


class UnknownOrganisationError(SearchServiceError):
    """`corpus organisations --accept` named an organisation the corpus does not show."""

    code = "unknown_organisation"


class IndexNotFoundError(SearchServiceError):
    """No generation has been published in the index folder yet."""

    code = "index_not_found"


class BuildInProgressError(SearchServiceError):
    """Another build holds the index lock."""

    code = "build_in_progress"

    def __init__(self, pid: int | None, message: str | None = None) -> None:
        self.pid = pid
        super().__init__(message or f"another build is running (pid {pid})")


class BuildFailedError(SearchServiceError):
    """A build did not publish anything; the live generation is untouched."""

    code = "build_failed"


class IngestWorkerError(BuildFailedError):
    """A process reading the corpus for a build died, or an error escaped its per-file
    guard: nothing was read, nothing published (`ingest.parallel`)."""

    code = "ingest_worker_failed"


class WriterProcessError(BuildFailedError):
    """A process writing a build's segments ended without its segment (`index.writer`):
    nothing published."""

    code = "writer_process_failed"


class SettingError(SearchServiceError):
    """A setting (a `SEARCH_*` variable or its command-line option) has a value it does
    not accept; the message names it as the user wrote it and what it accepts."""

    code = "bad_setting"


class ServeError(SearchServiceError):
    """`serve` cannot start: its address cannot be listened on (port in use, a host
    that is not an address of this machine), or the app failed to start."""

    code = "serve_failed"


class DamagedPointerError(SearchServiceError):
    """The live pointer (`live.json`) exists but cannot be read as a pointer.

    Nothing that deletes or publishes may go on: which generations are live and
    kept is unknown. It is not "no index" either: `index rollback` repairs it.
    Only the service's reload check, already serving a generation, takes it as
    "no change" and keeps serving (`SearchEngine.generation`).
    """

    code = "index_damaged"

    def __init__(self, path: Path | str, detail: str, remedy: str | None = None) -> None:
        self.path = str(path)
        self.detail = detail
        self.remedy = remedy
        message = f"the live pointer {self.path} is damaged ({detail})"
        super().__init__(f"{message}; {remedy}" if remedy else message)

    def with_remedy(self, remedy: str) -> DamagedPointerError:
        """The same damage, with what the admin can do about it appended to the message."""
        return DamagedPointerError(self.path, self.detail, remedy)


class DamagedGenerationError(SearchServiceError):
    """A file of the live generation is missing, truncated or not what the build wrote.

    The generation cannot be trusted: the service answers 503 `index_damaged` for
    it (instead of errors or wrong results) until another generation is live;
    `index rollback` republishes the previous one.
    """

    code = "index_damaged"

    def __init__(self, generation: str, detail: str) -> None:
        self.generation = generation
        self.detail = detail
        super().__init__(
            f"the live generation {generation} is damaged ({detail}); "
            "`search-service index rollback` republishes the previous generation"
        )


class IndexAccessError(SearchServiceError):
    """The index folder or its pointer cannot be read by the user running the command.

    Not damage (`index rollback` would not help) and not "no index": the folder's
    permissions (or its owner) must change.
    """

    code = "index_unreadable"

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"cannot read {self.path} ({reason}): the user running this command "
            f"({_user_name()}) needs read access to the index folder (and write access to "
            "build in it)"
        )


def _user_name() -> str:
    import os
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


class RollbackError(SearchServiceError):
    """There is no earlier generation to go back to."""

    code = "rollback_impossible"


class QueryError(SearchServiceError):
    """A search request that cannot be answered as asked (turned into HTTP 422)."""

    code = "invalid_query"

    def __init__(self, message: str, code: str = "invalid_query") -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class ArticleNotFoundError(SearchServiceError):
    """No article with this id in the live generation (turned into HTTP 404)."""

    code = "article_not_found"


class FetchError(SearchServiceError):
    """`corpus fetch` got nothing usable: bad sources, or not one source could be read.

    Pages that fail one by one are no error: the fetch report lists them and the
    command exits 1. This is for a run that produced no list of pages at all.
    """

    code = "fetch_failed"


class SourcesError(FetchError):
    """`sources.yaml`, or a URL given on the command line, cannot be used as a source."""

    code = "bad_sources"


class FetchInProgressError(SearchServiceError):
    """Another fetch holds the corpus's fetch lock."""

    code = "fetch_in_progress"

    def __init__(self, pid: int | None, corpus: Path | str) -> None:
        self.pid = pid
        who = f" (pid {pid})" if pid else ""
        super().__init__(f"another fetch is running on {corpus}{who}")


class AnalyticsStoreError(SearchServiceError):
    """The search analytics store cannot be opened, read or written as it is."""

    code = "analytics_store_error"


class UnauthorizedError(SearchServiceError):
    """A request for the editors' report without the right token (turned into HTTP 401)."""

    code = "unauthorized"


class BodyTooLargeError(SearchServiceError):
    """A request body beyond what its route accepts (turned into HTTP 413)."""

    code = "body_too_large"


class MediaTypeError(SearchServiceError):
    """A request body of a type its route does not read (turned into HTTP 415)."""

    code = "unsupported_media_type"
