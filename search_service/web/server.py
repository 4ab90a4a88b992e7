"""`search-service serve` and `search-service search`: the service and the core from a shell."""

from __future__ import annotations

import html
import json
import logging
import os
from dataclasses import asdict
from typing import Final

import uvicorn

from search_service.errors import DamagedPointerError
from search_service.index.build import build_index
from search_service.index.generations import read_pointer
from search_service.search.engine import SearchEngine, SearchRequest, SearchResult
from search_service.settings import Settings
from search_service.web.api import load_vocabulary
from search_service.wording import counted

#: `create_app` reads its settings from the environment when uvicorn calls the
#: factory (each worker process does), so `serve` passes its own through it.
_FACTORY: Final = "search_service.web.api:create_app"


#: Appended to a damaged pointer's message by `serve` and `search` (the CLI exits 7).
DAMAGED_REMEDY: Final = (
    "nothing can be served until `search-service index rollback` republishes the newest "
    "complete generation on disk"
)


def live_pointer(settings: Settings) -> str | None:
    """The live generation's name, None before the first publish.

    A damaged pointer is not "nothing published" (building a first index would
    refuse): `DamagedPointerError`, saying how to repair it.
    """
    try:
        return read_pointer(settings.index_dir)
    except DamagedPointerError as damaged:
        raise damaged.with_remedy(DAMAGED_REMEDY) from damaged


def ensure_index(settings: Settings) -> None:
    """Build and publish a first generation from the corpus when none is live yet.

    `DamagedPointerError` when `live.json` is damaged: nothing is built.
    """
    if live_pointer(settings) is not None:
        return
    print(f"no index in {settings.index_dir}: building one from {settings.corpus_dir} …")
    report = build_index(
        settings.corpus_dir, settings.index_dir, full=True, keep=settings.keep_generations
    )
    for line in report.summary_lines():
        print(line)


def run_serve(settings: Settings) -> int:
    """Serve the API (and the widget) with uvicorn; builds the index first if needed."""
    ensure_index(settings)
    _export_settings(settings)
    host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else settings.host
    print(f"search service: open http://{host}:{settings.port}/ (API docs at /docs)")
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(message)s")
    uvicorn.run(
        _FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
    )
    return 0


def _export_settings(settings: Settings) -> None:
    """Hand command-line overrides to the app factory (and worker processes) via SEARCH_*."""
    for name, value in settings.model_dump(mode="json").items():
        os.environ[f"SEARCH_{name.upper()}"] = (
            json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        )


def run_search(settings: Settings, query: str, *, limit: int, as_json: bool) -> int:
    """One query against the live index, printed as text or JSON; 0 when something was found.

    1 when nothing was found; `IndexNotFoundError` / `DamagedPointerError` (exit 4 / 7)
    when there is nothing to search.
    """
    live_pointer(settings)  # a damaged pointer: say how to repair it
    engine = SearchEngine(settings, vocabulary=load_vocabulary(settings))
    per_page = max(1, min(100, limit))
    result = engine.search(SearchRequest(q=query, per_page=per_page))
    if as_json:
        print(json.dumps(result_json(result), ensure_ascii=False, indent=2))
    else:
        print(render_text(result))
    return 0 if result.total else 1


def result_json(result: SearchResult) -> dict[str, object]:
    data = asdict(result)
    data.pop("generation", None)
    return data


def render_text(result: SearchResult) -> str:
    lines = [f"{counted(result.total, 'result')} for {result.query!r} ({result.took_ms:.1f} ms)"]
    if result.suggestion:
        lines.append(f"did you mean: {result.suggestion}")
    for rank, hit in enumerate(result.hits, start=1):
        when = hit.date or "undated"
        lines.append(f"{rank:>3}. {hit.title}  [{hit.id}, {hit.language}, {when}]")
        plain = html.unescape(hit.snippet.replace("<mark>", "[").replace("</mark>", "]"))
        lines.append(f"     {plain}")
    return "\n".join(lines)
