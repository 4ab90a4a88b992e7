"""The HTML pages of the service, for a reader who follows a result link.

An article's page, and the page saying an article is not there (a link kept
from before a rebuild). A page's own few words are in the page's language: the
article's for an article, the reader's (`Accept-Language`) when there is no
article. Everything shown is escaped; the one link leads only to `http(s)`
addresses.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Final

from search_service.articles import LANGUAGES

if TYPE_CHECKING:
    from search_service.web.responses import ArticleModel

#: The pages' own words, in each language the site publishes.
WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "original": "Original page",
        "not_found": "Article not found",
        "not_found_text": "There is no article at this address. It may have been removed or "
        "renamed since the search results were shown: search again to find it.",
    },
    "fr": {
        "original": "Page d’origine",
        "not_found": "Article introuvable",
        "not_found_text": "Aucun article ne se trouve à cette adresse. Il a peut-être été "
        "retiré ou renommé depuis l’affichage des résultats : relancez la recherche pour "
        "le retrouver.",
    },
    "es": {
        "original": "Página original",
        "not_found": "Artículo no encontrado",
        "not_found_text": "No hay ningún artículo en esta dirección. Puede que se haya "
        "retirado o cambiado de nombre desde que se mostraron los resultados: vuelva a "
        "buscar para encontrarlo.",
    },
}
_STYLE: Final = (
    "<style>body{font:1.05rem/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;"
    "padding:0 1rem;color:#222}.facts{color:#555}</style>"
)


def wants_html(accept: str) -> bool:
    """A browser following a link sends `text/html` before any JSON type."""
    accept = accept.lower()
    html_at = accept.find("text/html")
    json_at = accept.find("application/json")
    return html_at != -1 and (json_at == -1 or html_at < json_at)


def reader_language(accept_language: str) -> str:
    """The reader's preferred language among en, fr, es (`Accept-Language`), else en.

    Only the primary subtag counts (`fr-CA` is `fr`), as in the widget; ranges are
    taken by their `q` weight, in the order given when weights are equal.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else "en"


def _words(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["en"])


def _page(language: str, title: str, content: str, *, index: bool = True) -> str:
    esc = html.escape
    robots = "" if index else '<meta name="robots" content="noindex">\n'
    return (
        f'<!doctype html>\n<html lang="{esc(language)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{robots}<title>{esc(title)}</title>\n{_STYLE}\n</head>\n<body>\n"
        f"{content}\n</body>\n</html>\n"
    )


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
        f'<p><a href="{esc(article.url)}">{esc(_words(article.language)["original"])}</a></p>'
        if article.url and article.url.lower().startswith(("https://", "http://"))
        else ""
    )
    return _page(
        article.language,
        article.title,
        f"<article>\n<h1>{esc(article.title)}</h1>\n"
        f'<p class="facts">{esc(" · ".join(facts))}</p>\n{paragraphs}\n{link}\n</article>',
    )


def not_found_page(article_id: str, language: str) -> str:
    """The page for an article id that the live index does not hold (status 404)."""
    esc = html.escape
    words = _words(language)
    return _page(
        language if language in WORDS else "en",
        words["not_found"],
        f"<main>\n<h1>{esc(words['not_found'])}</h1>\n<p>{esc(words['not_found_text'])}</p>\n"
        f'<p class="facts"><code>{esc(article_id)}</code></p>\n</main>',
        index=False,
    )
