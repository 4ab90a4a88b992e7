"""`sources.yaml`: where the fetch finds the site's pages, and which of them it keeps.

```yaml
sources:
  - url: https://www.example.org/sitemap.xml   # a sitemap (index), a feed or a page
    include: ["/en/*", "/fr/*"]                 # path patterns; none = every page
    exclude: ["/*/tag/*"]                       # wins over include
```

Patterns are shell-style globs (`fnmatch`, case-sensitive) matched against the
whole path of a page's URL (`*` also matches `/`). They choose pages, not the
sitemaps that list them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from search_service.errors import SourcesError
from search_service.fetch.urls import InvalidUrlError, normalise_url
from search_service.ingest.corpus_root import SOURCES_FILE


class Source(BaseModel):
    """One place to start from, and the path patterns of the pages it may give."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="A sitemap, a sitemap index, an RSS/Atom feed or a page.")
    include: tuple[str, ...] = Field(
        default=(), description="Path patterns a page must match (none: every path)."
    )
    exclude: tuple[str, ...] = Field(default=(), description="Path patterns that leave a page out.")

    @field_validator("url")
    @classmethod
    def _fetchable(cls, value: str) -> str:
        try:
            return normalise_url(value)
        except InvalidUrlError as error:
            raise ValueError(error.reason) from error

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _patterns(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            for pattern in value:
                if isinstance(pattern, str) and not pattern.startswith(("/", "*")):
                    raise ValueError(f"{pattern!r} must start with / or * (it matches URL paths)")
        return value

    def wants(self, path: str) -> bool:
        """Whether a page at `path` (the URL's path) is one of this source's pages."""
        if self.include and not any(fnmatch.fnmatchcase(path, p) for p in self.include):
            return False
        return not any(fnmatch.fnmatchcase(path, p) for p in self.exclude)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source] = Field(default_factory=list)


def sources_path(corpus_dir: Path) -> Path:
    return Path(corpus_dir) / SOURCES_FILE


def load_sources(corpus_dir: Path) -> list[Source]:
    """The sources of `<corpus>/sources.yaml`; `SourcesError` saying what is wrong and where.

    A file whose entries are all commented out (as shipped) is an error too: a
    fetch with nothing to fetch is a mistake the admin should hear about.
    """
    path = sources_path(corpus_dir)
    shown = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(
            f"no URL given and no sources file {shown}: give the site's sitemap or feed "
            "URL, or list them in that file (docs/fetch.md)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourcesError(f"cannot read {shown}: {error}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SourcesError(f"{shown} is not valid YAML: {_one_line(error)}") from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SourcesError(f"{shown}: expected a mapping with a 'sources' list")
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as error:
        raise SourcesError(f"{shown}: {_validation_message(error)}") from error
    if not parsed.sources:
        raise SourcesError(
            f"{shown} lists no sources: uncomment or add one (url: the site's sitemap or feed)"
        )
    return parsed.sources


def sources_from_urls(urls: Sequence[str]) -> list[Source]:
    """Sources for URLs given on the command line (every path wanted)."""
    return [Source(url=normalise_url(url)) for url in urls]


def _validation_message(error: ValidationError) -> str:
    messages = []
    for item in error.errors():
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"]
        ).lstrip(".")
        message = str(item["msg"]).removeprefix("Value error, ")
        messages.append(f"{where}: {message}" if where else message)
    return "; ".join(messages)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
