"""A few searches served in the supervisor of `serve --workers N` before it forks them.

What a worker's first requests build on the way, each worker would build for itself:
the middleware stack (Starlette builds it on the first request), modules imported where
they are first needed, compiled patterns, cached lookups, and the bytecode Python 3.11
specialises as it runs. Built once in the supervisor, it is shared by the workers it
forks (docs/serving-speed.md, "A worker's memory, piece by piece").

The requests go to the app itself (httpx's ASGI transport: no server, no lifespan), searching with a
throwaway engine over the live generation. The app's own engine opens nothing in the
supervisor, and the throwaway one is dropped with its generation before the fork: a
supervisor holding a generation would keep its files mapped long after a newer one
replaced it. Nothing is logged (these are not a visitor's requests) and nothing is
recorded (the supervisor has no analytics recorder). Without a generation to search,
or with a damaged one, it stops at the first request: the workers will say why.
"""

from __future__ import annotations

import asyncio
import logging
import math
import urllib.parse
from typing import Any, Final

import httpx
from fastapi import FastAPI

from search_service.search.engine import SearchEngine
from search_service.settings import Settings

logger = logging.getLogger(__name__)

#: Letters of a title word worth searching for (shorter ones are often stop words).
_WORD_LETTERS: Final = 4


def warm_up(app: FastAPI) -> None:
    """Serve the widget's kinds of request once through `app`, with a throwaway engine,
    logging nothing. A failure costs the workers the memory, never the service."""
    engine = app.state.engine
    disabled = logging.root.manager.disable
    app.state.engine = SearchEngine(_never_looking_again(app.state.settings))
    logging.disable(logging.CRITICAL)
    failure: Exception | None = None
    try:
        asyncio.run(_visit(app))
    except Exception as error:  # whatever it is, the workers meet it again and say so
        failure = error
    finally:
        logging.disable(disabled)
        app.state.engine = engine  # the throwaway one goes, with its generation
    if failure is not None:
        logger.debug("the warm-up before forking the workers stopped: %r", failure)


def _never_looking_again(settings: Settings) -> Settings:
    """The app's settings, but the generation the first request opens is the only one:
    a newer one published meanwhile would be opened on a thread of its own, which the
    fork could leave half-done in every worker, with its files mapped."""
    return settings.model_copy(update={"reload_interval": math.inf})


async def _visit(app: FastAPI) -> None:
    """Browse, then search the words of the newest article's title."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        browsed = await client.get("/search")
        if browsed.status_code != 200:
            return  # nothing published yet, or a damaged generation
        found = browsed.json()
        words = title_words(found["hits"])
        if words:
            for path in visitor_paths(words, found["facets"]):
                await client.get(path)


def title_words(hits: list[dict[str, Any]]) -> list[str]:
    """The two longest words of the first hit's title (letters only)."""
    if not hits:
        return []
    words = {word.strip(".,:;!?«»\"'()") for word in str(hits[0]["title"]).split()}
    usable = [word for word in words if len(word) >= _WORD_LETTERS and word.isalpha()]
    return sorted(usable, key=lambda word: (-len(word), word))[:2]


def visitor_paths(words: list[str], facets: dict[str, list[dict[str, Any]]]) -> list[str]:
    """A request of each kind the widget sends: a word, words with a filter sorted by
    date, a phrase, the next page, suggestions as a word is typed, a misspelt word."""
    first, both = words[0], " ".join(words)
    misspelt = first[:-2] + first[-1] + first[-2]
    listed = [(name, values[0]["value"]) for name, values in facets.items() if values]
    filters = dict(listed[:1])
    return [
        _path("/search", q=first),
        _path("/search", q=both, sort="newest", **filters),
        _path("/search", q=f'"{both}"'),
        _path("/search", q=first, page="2"),
        _path("/suggest", q=first[:3]),
        _path("/search", q=misspelt),
    ]


def _path(route: str, **params: Any) -> str:
    return f"{route}?{urllib.parse.urlencode(params)}"
