"""All settings in one place, read from `SEARCH_*` environment variables.

Every field is documented in the README's settings table; a test checks that the
two agree. Build a `Settings()` where it is needed (in `create_app`, in the CLI),
never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The standard level names of `logging` (any case in the environment).
LogLevel = Literal["debug", "info", "warning", "error", "critical"]


def _lowercase(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def absolute_path(path: Path | str) -> Path:
    """A path given by the user, made absolute from the working folder (`~` expanded,
    links kept as given), so that every message names it in full."""
    return Path(os.path.abspath(os.path.expanduser(path)))


#: A folder setting: resolved from the working folder when the settings are built.
Folder = Annotated[Path, AfterValidator(absolute_path)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", extra="ignore")

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
    host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `serve` listens on.")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes for `serve`.")
    cors_origins: list[str] = Field(
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
    log_level: Annotated[LogLevel, BeforeValidator(_lowercase)] = Field(
        default="info",
        description="Log level of the service: `debug`, `info`, `warning`, `error` or "
        "`critical` (any case).",
    )
