"""All settings in one place, read from `SEARCH_*` environment variables.

Every field is documented in the README's settings table; a test checks that the
two agree. Build a `Settings()` where it is needed (in `create_app`, in the CLI),
never at import time. The CLI builds them with `load_settings`, which checks only
the settings a command uses and names a bad one as the user wrote it.
"""

from __future__ import annotations

import json
import os
import shlex
import typing
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from search_service.errors import SettingError

#: Prefix of every setting's environment variable.
ENV_PREFIX = "SEARCH_"

#: The largest HTML page the ingest reads, in bytes (a news page is 50-500 kB; more is a
#: dump, not an article), and so the most `SEARCH_FETCH_MAX_PAGE_BYTES` may be: every
#: page `corpus fetch` saves is read by the next build.
MAX_PAGE_BYTES = 5_000_000

#: The standard level names of `logging` (any case in the environment).
LogLevel = Literal["debug", "info", "warning", "error", "critical"]


#: The shortest admin token accepted: a short one could be guessed over HTTP.
MIN_ADMIN_TOKEN_CHARS = 16


def _lowercase(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def absolute_path(path: Path | str) -> Path:
    """A path given by the user, made absolute from the working folder (`~` expanded,
    links kept as given), so that every message names it in full."""
    return Path(os.path.abspath(os.path.expanduser(path)))


#: A folder setting: resolved from the working folder when the settings are built.
Folder = Annotated[Path, AfterValidator(absolute_path)]


def _json_from_env(value: Any) -> Any:
    """A list setting is JSON in the environment; a list given in code passes as it is.

    Decoded here rather than by pydantic-settings, whose decoding error names no
    setting and stops every command, even those that do not use it.
    """
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg})") from error


#: A list of strings, written as JSON in its environment variable.
JsonList = Annotated[list[str], NoDecode, BeforeValidator(_json_from_env)]


def _empty_as_unset(value: Any) -> Any:
    """`SEARCH_ADMIN_TOKEN=` (empty) is no token, as when it is not set at all."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return None if isinstance(value, str) and not value.strip() else value


def _long_enough(value: SecretStr | None) -> SecretStr | None:
    if value is not None and len(value.get_secret_value()) < MIN_ADMIN_TOKEN_CHARS:
        raise ValueError(
            f"the admin token needs at least {MIN_ADMIN_TOKEN_CHARS} characters (one is made by "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe())'`)"
        )
    return value


def build_processes(workers: int) -> int:
    """The processes of a build: `workers`, or the machine's cores when 0."""
    return workers if workers > 0 else max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    corpus_dir: Folder = Field(
        default=Path("corpus"),
        validate_default=True,
        description="Corpus folder: article files, and its vocabulary in `vocabulary/`.",
    )
    index_dir: Folder = Field(
        default=Path("indexes"),
        validate_default=True,
        description="Folder of index generations and the live pointer.",
    )
    keep_generations: int = Field(
        default=3, ge=1, description="How many generations a build keeps (live one included)."
    )
    build_workers: int = Field(
        default=0,
        ge=0,
        description="Processes `index build` reads the corpus, writes the index and compiles "
        "its serving view with (0: as many as the machine has cores).",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `serve` listens on.")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes for `serve`.")
    cors_origins: JsonList = Field(
        default=["*"],
        description='Origins allowed to call the API from a browser, as JSON: `["https://a.org"]`.',
    )
    reload_interval: float = Field(
        default=0.5,
        gt=0,
        description="Seconds between checks for a newly published generation (each worker "
        "also checks in the background, so an idle service follows publishes too).",
    )
    max_query_words: int = Field(
        default=32,
        ge=1,
        description="Words of a query beyond this are ignored (the response's `notice` says so).",
    )
    max_prefix_expansions: int = Field(
        default=64, ge=1, description="Most frequent completions a prefix word expands to."
    )
    search_time_budget_ms: int = Field(
        default=1500, ge=10, description="Time budget of one search; past it, results so far."
    )
    cache_size: int = Field(
        default=512, ge=0, description="Search responses cached per generation (0 disables)."
    )
    max_url_bytes: int = Field(
        default=16384,
        ge=1024,
        description="Longest request target (path and query string, percent-encoded) "
        "served; longer: 414 `uri_too_long`.",
    )
    max_header_bytes: int = Field(
        default=32768,
        ge=1024,
        description="Most bytes of request headers (names and values) served; more: 431 "
        "`headers_too_large`.",
    )
    request_read_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a client has to send a whole request from its first byte (or "
        "from connecting); slower: 408 `request_timeout` and the connection is closed.",
    )
    timeout_keep_alive: int = Field(
        default=5,
        ge=1,
        description="Seconds an idle keep-alive connection stays open (uvicorn's "
        "`timeout_keep_alive`).",
    )
    limit_concurrency: int = Field(
        default=256,
        ge=1,
        description="Requests a worker of `serve` handles at once; beyond, 503 `overloaded` "
        "with `Retry-After` (idle connections do not count).",
    )
    backlog: int = Field(
        default=2048,
        ge=1,
        description="Connections waiting to be accepted (the listen backlog of `serve`).",
    )
    balance_wait_ms: int = Field(
        default=20,
        ge=0,
        le=10_000,
        description="How long a worker of `serve --workers N` holding more connections than "
        "another leaves a new one to it before taking it itself (0: no balancing, the "
        "worker woken first takes it).",
    )
    proxy_headers: bool = Field(
        default=True,
        description="Read the client address and scheme from `X-Forwarded-For`/"
        "`X-Forwarded-Proto`, only when sent by `SEARCH_FORWARDED_ALLOW_IPS`.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Comma-separated addresses or networks of the reverse proxies whose "
        "forwarded headers are trusted (`*`: any, only behind a proxy that overwrites them).",
    )
    log_level: Annotated[LogLevel, BeforeValidator(_lowercase)] = Field(
        default="info",
        description="Log level of the service: `debug`, `info`, `warning`, `error` or "
        "`critical` (any case).",
    )
    fetch_delay: float = Field(
        default=1.0,
        ge=0,
        description="Seconds between two requests of `corpus fetch` to the same site "
        "(more if robots.txt asks for a Crawl-delay).",
    )
    fetch_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds `corpus fetch` waits for a connection, for each read and "
        "for a whole page.",
    )
    fetch_max_page_bytes: int = Field(
        default=MAX_PAGE_BYTES,
        ge=1024,
        le=MAX_PAGE_BYTES,
        description="Largest page `corpus fetch` downloads, in bytes (the download is cut there "
        "and the page reported as failed); at most 5000000, the largest page the ingest "
        "reads, so every page saved is read by the next build.",
    )
    fetch_max_redirects: int = Field(
        default=5, ge=0, le=20, description="Redirects `corpus fetch` follows for one URL."
    )
    fetch_user_agent: str = Field(
        default="ESN-site-search",
        min_length=1,
        description="Product token of `corpus fetch`'s User-Agent (robots.txt groups match it); "
        "the version and the contact URL are added.",
    )
    fetch_contact_url: str = Field(
        default="https://www.educationsolidarite.org/",
        description="URL in `corpus fetch`'s User-Agent where a site's admin finds who runs it.",
    )
    data_dir: Folder = Field(
        default=Path("data"),
        validate_default=True,
        description="Folder of the service's own data (the search analytics store).",
    )
    analytics: bool = Field(
        default=True,
        description="Count searches and opened results for editors (`false`: nothing recorded).",
    )
    analytics_days: int = Field(
        default=90, ge=1, description="Days of search analytics kept; older ones are deleted."
    )
    admin_token: Annotated[
        SecretStr | None, BeforeValidator(_empty_as_unset), AfterValidator(_long_enough)
    ] = Field(
        default=None,
        description="Token of the editors' report at `/admin/report` (unset: the page is off).",
    )


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    used: Collection[str] | None = None,
) -> Settings:
    """Settings from `SEARCH_*` variables, `overrides` (field: value) winning over them.

    Only the settings in `used` (default: all) are held to their rules: a bad value
    of another one is not read (its default stands in), so a command is never
    stopped by a setting it does not use. A bad used value raises `SettingError`,
    one line per setting naming it as the user wrote it: the variable, or the
    option `labels` gives for an overridden field (`{"port": "--port"}`).
    """
    overrides = dict(overrides or {})
    needed = set(Settings.model_fields) if used is None else set(used)
    try:
        return Settings(**overrides)
    except ValidationError as error:
        bad = list(dict.fromkeys(str(problem["loc"][0]) for problem in error.errors()))
    refused = [name for name in bad if name in needed]
    if refused:
        raise SettingError("; ".join(_refusal(name, overrides, labels or {}) for name in refused))
    defaults = {name: Settings.model_fields[name].default for name in bad}
    return Settings(**{**overrides, **defaults})


def _refusal(name: str, overrides: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    if name in overrides:
        written = f"{labels.get(name, name)} {shlex.quote(str(overrides[name]))}"
    else:
        variable = f"{ENV_PREFIX}{name.upper()}"
        written = f"{variable}={shlex.quote(_environment_value(variable))}"
    return f"{written} is not valid: expected {accepted_values(name)}"


def _environment_value(variable: str) -> str:
    """The value of `variable` as pydantic-settings reads it (names in any case)."""
    for key, value in os.environ.items():
        if key.upper() == variable:
            return value
    return ""


def accepted_values(name: str) -> str:
    """What setting `name` accepts, in words, from its type and its bounds."""
    field = Settings.model_fields[name]
    annotation = field.annotation
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(choice) for choice in typing.get_args(annotation))
    if typing.get_origin(annotation) is list:
        return 'a JSON list of strings, e.g. ["https://a.org"]'
    if annotation is int or annotation is float:
        kind = "an integer" if annotation is int else "a number"
        return kind + _bounds(field.metadata)
    if annotation is Path:
        return "a folder path"
    if annotation is bool:
        return "true or false"
    if name == "admin_token":
        return f"text of at least {MIN_ADMIN_TOKEN_CHARS} characters, or nothing"
    return "text"


def _bounds(metadata: list[Any]) -> str:
    """`Field(ge=…, le=…, gt=…)` in words (pydantic keeps them as `annotated_types` objects)."""
    low, high, above = (
        next((getattr(m, bound) for m in metadata if hasattr(m, bound)), None)
        for bound in ("ge", "le", "gt")
    )
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if above is not None:
        return f" greater than {above}"
    return ""
