"""`search-service serve` and `search-service search`: the service and the core from a shell."""

from __future__ import annotations

import contextlib
import errno
import html
import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any, Final

import uvicorn
from pydantic import SecretStr
from uvicorn.supervisors import Multiprocess

from search_service.errors import CorpusError, DamagedPointerError, IndexNotFoundError, ServeError
from search_service.index.build import build_index
from search_service.index.generations import read_pointer
from search_service.search.engine import SearchEngine
from search_service.search.results import SearchRequest, SearchResult
from search_service.settings import Settings
from search_service.web.balance import LOOP, share_connections
from search_service.web.workers import forked_workers, preload_app
from search_service.wording import counted

#: `create_app` reads its settings from the environment (called by uvicorn's factory
#: with one worker, by `workers.preload_app` with several), so `serve` passes its own
#: through it.
_FACTORY: Final = "search_service.web.api:create_app"
#: With several workers, the factory each forked worker calls: the app the supervisor
#: built before forking it (`workers.preload_app`).
_PRELOADED_FACTORY: Final = "search_service.web.workers:preloaded_app"
#: uvicorn imports it by name in each worker process (a class would not cross to them).
_PROTOCOL: Final = "search_service.web.protocol:GuardedHttpToolsProtocol"


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

    Only when the corpus folder is one (`corpus_root.open_corpus`): otherwise
    `IndexNotFoundError` naming both folders, and nothing is created (`serve` run
    from the wrong folder must not leave an index folder there).
    `DamagedPointerError` when `live.json` is damaged: nothing is built.
    """
    from search_service.ingest.corpus_root import open_corpus

    if live_pointer(settings) is not None:
        return
    try:
        corpus = open_corpus(settings.corpus_dir)
    except CorpusError as error:
        raise IndexNotFoundError(
            f"no index in {settings.index_dir}, and none can be built: {error} "
            "(run from the project folder, or give --index, or --corpus to build one)"
        ) from error
    print(f"no index in {settings.index_dir}: building one from {corpus.path} …", flush=True)
    report = build_index(corpus.path, settings.index_dir, full=True, keep=settings.keep_generations)
    for line in report.summary_lines():
        print(line)


def run_serve(settings: Settings) -> int:
    """Serve the API (and the widget) with uvicorn; builds the index first if needed.

    The address is bound before the index is built, so a busy port or an unusable
    host fails at once (`ServeError`) without building anything; "open http://…"
    is printed once the socket listens, so the address it names answers
    (connections wait in the backlog until the app has started). With `--port 0`
    it names the port the system chose. Ctrl-C stops the service: exit 0.
    """
    live_pointer(settings)  # a damaged pointer stops `serve` before anything else
    with _bound_socket(settings.host, settings.port) as sock:
        ensure_index(settings)
        _export_settings(settings)
        sock.listen(settings.backlog)
        print(f"search service: open {service_url(sock)} (API docs at /docs)", flush=True)
        logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(message)s")
        config = uvicorn_config(settings)
        with contextlib.suppress(KeyboardInterrupt):
            _run_uvicorn(config, sock, settings.balance_wait_ms / 1000)
    return 0


def _run_uvicorn(config: uvicorn.Config, sock: socket.socket, balance_wait: float) -> None:
    """What `uvicorn.run` does after binding, on our socket; `ServeError` when the app
    (or a worker) failed to start, instead of uvicorn's exit status 3 (ours: build running).
    Several workers share connections out (`balance`), each leaving a new one to a less
    loaded worker for `balance_wait` seconds at most."""
    if config.workers > 1:
        preload_app(config)
        supervisor = Multiprocess(config, sockets=[sock])
        share_connections(config.workers, balance_wait)
        with forked_workers():
            supervisor.run()
        if any(worker.exitcode == _UVICORN_STARTUP_FAILURE for worker in supervisor.processes):
            raise ServeError("the service failed to start in its workers (the log above says why)")
        return
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    except SystemExit as stopped:  # uvicorn exits when the app cannot be loaded or started
        raise ServeError("the service failed to start (the log above says why)") from stopped
    if not server.started and not server.should_exit:
        raise ServeError("the service failed to start (the log above says why)")


#: uvicorn's exit status for a worker whose app failed to start.
_UVICORN_STARTUP_FAILURE: Final = 3


@contextlib.contextmanager
def _bound_socket(host: str, port: int) -> Iterator[socket.socket]:
    """A TCP socket bound to `host`:`port` (not yet listening), closed on the way out.

    `ServeError` naming the address and the way out when it cannot be bound.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise ServeError(
            f"cannot listen on host {host!r}: not an address or a known host name "
            f"({error.strerror}); choose another with --host or SEARCH_HOST"
        ) from error
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            raise ServeError(_bind_failure(host, port, error)) from error
        sock.set_inheritable(True)  # worker processes serve on it
        yield sock
    finally:
        sock.close()


def _bind_failure(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {host} port {port}: the port is in use (another service "
            "listens there); choose another with --port or SEARCH_PORT"
        )
    if error.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {host}: not an address of this machine; "
            "choose another with --host or SEARCH_HOST (0.0.0.0: every address)"
        )
    if error.errno == errno.EACCES:
        return (
            f"cannot listen on {host} port {port}: permission denied (ports below 1024 "
            "need privileges); choose another with --port or SEARCH_PORT"
        )
    return f"cannot listen on {host} port {port}: {error.strerror or error}"


def service_url(sock: socket.socket) -> str:
    """The address to open in a browser: `localhost` for a loopback or wildcard address."""
    host, port = sock.getsockname()[:2]
    if host in ("127.0.0.1", "0.0.0.0", "::", "::1"):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """What uvicorn serves: with several workers, the app the supervisor builds before
    forking them (`workers.preload_app`); with one, the app its process builds."""
    factory = _PRELOADED_FACTORY if settings.workers > 1 else _FACTORY
    return uvicorn.Config(factory, factory=True, **uvicorn_options(settings))


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for `serve` besides its socket (docs/deploy.md explains each;
    the socket's backlog is `SEARCH_BACKLOG`).

    The HTTP layer is `protocol.GuardedHttpToolsProtocol`: it applies the read
    timeout, the URL and header limits and the concurrency limit itself, in the
    API's error shape, so uvicorn's own `limit_concurrency` (plain text, counting
    idle connections) stays off.
    """
    return {
        "workers": settings.workers,
        "http": _PROTOCOL,
        "ws": "none",  # no WebSocket route: an upgrade is answered as plain HTTP
        "backlog": settings.backlog,
        # Several workers share their connections out evenly (`balance`).
        "loop": LOOP if settings.workers > 1 else "auto",
        "timeout_keep_alive": settings.timeout_keep_alive,
        "proxy_headers": settings.proxy_headers,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "log_level": settings.log_level,
        "access_log": False,
    }


def _export_settings(settings: Settings) -> None:
    """Hand command-line overrides to the app factory (and worker processes) via SEARCH_*.

    Secrets as they are (a dump would mask them), unset ones (None) left unset.
    """
    for name, value in settings.model_dump().items():
        variable = f"SEARCH_{name.upper()}"
        if value is None:
            os.environ.pop(variable, None)
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        os.environ[variable] = json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def run_search(settings: Settings, query: str, *, limit: int, as_json: bool) -> int:
    """One query against the live index, printed as text or JSON; 0 when something was found.

    1 when nothing was found; `IndexNotFoundError` / `DamagedPointerError` (exit 4 / 7)
    when there is nothing to search.
    """
    live_pointer(settings)  # a damaged pointer: say how to repair it
    engine = SearchEngine(settings)
    result = engine.search(SearchRequest(q=query, per_page=limit))
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
    if result.notice:
        lines.append(f"note: {result.notice.message}")
    if result.suggestion:
        lines.append(f"did you mean: {result.suggestion}")
    for rank, hit in enumerate(result.hits, start=1):
        when = hit.date or "undated"
        lines.append(f"{rank:>3}. {hit.title}  [{hit.id}, {hit.language}, {when}]")
        plain = html.unescape(hit.snippet.replace("<mark>", "[").replace("</mark>", "]"))
        lines.append(f"     {plain}")
    return "\n".join(lines)
