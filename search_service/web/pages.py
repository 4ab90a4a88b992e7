"""The HTML pages of the service: an article for a reader who follows a result link.

Everything shown is escaped; the one link leads only to `http(s)` addresses.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from search_service.web.api import ArticleModel


def wants_html(accept: str) -> bool:
    """A browser following a link sends `text/html` before any JSON type."""
    accept = accept.lower()
    html_at = accept.find("text/html")
    json_at = accept.find("application/json")
    return html_at != -1 and (json_at == -1 or html_at < json_at)


def article_page(article: ArticleModel) -> str:
    """A plain, readable page for an article that has no URL of its own; all text escaped."""
    esc = html.escape
    facts = [
        value
        for value in (
            article.date,
            ", ".join(article.countries),
            ", ".join(article.partners),
        )
        if value
    ]
    paragraphs = "\n".join(
        f"<p>{esc(block.strip())}</p>" for block in article.body.split("\n\n") if block.strip()
    )
    link = (
        f'<p><a href="{esc(article.url)}">Original page</a></p>'
        if article.url and article.url.lower().startswith(("https://", "http://"))
        else ""
    )
    return (
        f'<!doctype html>\n<html lang="{esc(article.language)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(article.title)}</title>\n"
        "<style>body{font:1.05rem/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;"
        "padding:0 1rem;color:#222}.facts{color:#555}</style>\n</head>\n<body>\n"
        f"<article>\n<h1>{esc(article.title)}</h1>\n"
        f'<p class="facts">{esc(" · ".join(facts))}</p>\n{paragraphs}\n{link}\n</article>\n'
        "</body>\n</html>\n"
    )
