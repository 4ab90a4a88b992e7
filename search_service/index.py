"""The Whoosh schema, and how an article becomes an index document.

The schema is the contract between the build and the search core (the table in
docs/architecture.md). Text goes only into its own language's `title_xx`/`body_xx`
fields (stemmed) and into `title_exact`/`body_exact` for every article (folded,
unstemmed). No field boost is set at index time: the search core weights title
against body at query time, where it can be tuned without a rebuild.

Text fields receive ready-made term lists from the analyzers' fast path rather
than raw text (Whoosh accepts a list of terms for a field and numbers their
positions), which is what makes builds fast; the analyzers in the schema give the
same terms for query parsing and highlighting.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from whoosh import fields

from search_service.analysis import language_analyzer, neutral_analyzer
from search_service.articles import LANGUAGES, Article

#: Bump when what is indexed changes without the schema's shape changing (the
#: analysis rules, say); a schema or version change makes the next build full.
SCHEMA_VERSION: Final = 1

STORED_FIELDS: Final = ("title", "body", "url", "summary", "source", "checksum")
TEXT_FIELDS: Final = tuple(f"{part}_{lang}" for lang in LANGUAGES for part in ("title", "body"))
EXACT_FIELDS: Final = ("title_exact", "body_exact")
FACET_FIELDS: Final = ("language", "country", "partner", "year")
#: Multi-valued facets are stored as canonical names joined by this separator.
VALUE_SEPARATOR: Final = ","


def make_schema() -> fields.Schema:
    """The one schema of every generation (see the table in docs/architecture.md)."""
    schema_fields: dict[str, fields.FieldType] = {
        "id": fields.ID(stored=True, unique=True),
        "date": fields.ID(stored=True),
        "date_sort": fields.NUMERIC(numtype=int, bits=32, sortable=True),
        "year": fields.NUMERIC(numtype=int, bits=32, stored=True, sortable=True),
        "language": fields.ID(stored=True, sortable=True),
        "country": _facet_keyword(),
        "partner": _facet_keyword(),
    }
    for name in STORED_FIELDS:
        schema_fields[name] = fields.STORED()
    for lang in LANGUAGES:
        analyzer = language_analyzer(lang)
        schema_fields[f"title_{lang}"] = fields.TEXT(analyzer=analyzer, phrase=True)
        schema_fields[f"body_{lang}"] = fields.TEXT(analyzer=analyzer, phrase=True)
    for name in EXACT_FIELDS:
        schema_fields[name] = fields.TEXT(analyzer=neutral_analyzer(), phrase=True)
    return fields.Schema(**schema_fields)


def _facet_keyword() -> fields.KEYWORD:
    return fields.KEYWORD(stored=True, commas=True, scorable=False, lowercase=False)


def schema_fingerprint(schema: fields.Schema | None = None) -> str:
    """A short digest of the schema's shape and `SCHEMA_VERSION`.

    Kept in each generation's manifest: when it differs from the code's, an
    incremental build cannot reuse that generation and builds everything afresh.
    """
    schema = schema or make_schema()
    shape = [
        [
            name,
            type(field).__name__,
            bool(field.stored),
            bool(getattr(field, "unique", False)),
            bool(field.sortable if hasattr(field, "sortable") else field.column_type),
            type(field.format).__name__ if field.format else None,
            repr(getattr(field, "analyzer", None)) if field.format else None,
        ]
        for name, field in sorted(schema.items())
    ]
    payload = json.dumps({"version": SCHEMA_VERSION, "fields": shape}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def facet_value(names: tuple[str, ...]) -> str:
    """Canonical names joined for a KEYWORD field (a comma inside a name would split it)."""
    return VALUE_SEPARATOR.join(name.replace(VALUE_SEPARATOR, " ").strip() for name in names)


def article_document(article: Article) -> dict[str, Any]:
    """The Whoosh document of one article: stored facts, facets, analysed text.

    Optional facts (date, year, url, summary, countries, partners) are left out
    when unknown rather than stored empty, so readers use `.get`.
    """
    analyzer = language_analyzer(article.language)
    neutral = neutral_analyzer()
    document: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "source": str(article.source),
        "checksum": article.checksum,
        "language": article.language,
        "date_sort": article.date.toordinal() if article.date else 0,
        f"title_{article.language}": analyzer.terms(article.title),
        f"body_{article.language}": analyzer.terms(article.body),
        "title_exact": neutral.terms(article.title),
        "body_exact": neutral.terms(article.body),
    }
    optional: dict[str, Any] = {
        "date": article.date.isoformat() if article.date else None,
        "year": article.year,
        "url": article.url,
        "summary": article.summary,
        "country": facet_value(article.countries) if article.countries else None,
        "partner": facet_value(article.partners) if article.partners else None,
    }
    document.update({key: value for key, value in optional.items() if value is not None})
    return document


def split_facet_value(value: str | None) -> list[str]:
    """The canonical names stored in a `country`/`partner` field."""
    if not value:
        return []
    return [name for name in (part.strip() for part in value.split(VALUE_SEPARATOR)) if name]
