"""The article record: what the ingest produces and the index stores."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Language = Literal["en", "fr", "es"]
LANGUAGES: tuple[Language, ...] = ("en", "fr", "es")


class SourceRef(BaseModel):
    """Where an article came from: a file, and the line for JSON Lines exports."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="File path, relative to the corpus folder when inside it.")
    line: int | None = Field(default=None, description="1-based line number in a JSONL export.")

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


class Article(BaseModel):
    """One clean, validated news article."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(
        min_length=1, description="Stable across rebuilds: from metadata, else the file path."
    )
    title: str = Field(min_length=1)
    title_inferred: bool = Field(default=False, description="True when no title line was found.")
    date: dt.date | None = None
    year: int | None = None
    language: Language
    body: str
    countries: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    url: str | None = None
    summary: str | None = None
    source: SourceRef
    checksum: str = Field(description="Changes whenever anything that is indexed changes.")

    @model_validator(mode="after")
    def _year_follows_date(self) -> Article:
        if self.date is not None and self.year != self.date.year:
            object.__setattr__(self, "year", self.date.year)
        return self


Severity = Literal["error", "warning"]


class Problem(BaseModel):
    """Something wrong with an input file. `error` means an article was skipped."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int | None = None
    code: str = Field(description="Stable machine-readable kind, e.g. 'empty_file', 'bad_date'.")
    message: str
    severity: Severity = "error"
    article_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.severity}: {self.message}"
