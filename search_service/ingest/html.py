"""HTML pages of the site (`.html`, `.htm`): the article in a page, and what the page says of it.

The main content is extracted by trafilatura (menus, banners, breadcrumbs, share bars,
teasers, footers and scripts left out), then the site's furniture rules of saved text
pages (`pages`) run over it ("Latest news" and what follows, site-name and share lines,
a category or date line left at the top). The facts come from the page's markup, in
order of trust:

* title: the page's `<h1>` (not the logo's), else `og:title`, else `<title>`, with the
  site's name cut off ("… – Education and Solidarity Network", "… | Site");
* date: `article:published_time`, JSON-LD `datePublished`, the article's `<time
  datetime>`, a date line in the article's header or at the top of its text (en/fr/es,
  as in saved pages), then htmldate;
* language: `<html lang>`, `og:locale`, JSON-LD `inLanguage` (checked against the text by
  the ingest);
* url: `<link rel=canonical>`, `og:url`, else where the page was fetched from.

A page that is not an article (a listing, archive, category, tag or search page, an
empty page, a page whose main content is teasers of other pages or links) gets a
`Refusal` instead of being indexed as noise.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement

from search_service.articles import Language
from search_service.ingest.dates import parse_metadata_date
from search_service.ingest.language import normalise_language
from search_service.ingest.pages import (
    PageNote,
    classify_line,
    clean_body,
    drop_footer,
    is_site_name,
    looks_like_date,
    parse_date_line,
    without_repeated_title,
)
from search_service.text import WORD_RE, fold
from search_service.wording import counted

HTML_EXTENSIONS = (".html", ".htm")
MIN_ARTICLE_WORDS = 20  # fewer words, and nothing says "article": a stub, a form, a menu
LISTING_TEASERS = 3  # this many teasers of other pages and no article of its own: a listing
MAX_LINK_SHARE = 0.6  # more of the main text in links than this: a page of links
EARLIEST_YEAR = 1990  # dates before the web are misreadings
LEAD_LINES = 6  # lines at the top of the extracted text where furniture may be left
SHORT_TEXT_WORDS = 80  # a text this short is extracted again, favouring precision
_TITLE_MARK = "data-search-service-title"
# Landmarks that are never the article, removed before trafilatura reads the main region.
_PRUNED = (
    ".//nav | .//aside | .//form | .//script | .//style | .//noscript | .//template"
    " | .//*[@role='navigation' or @role='search' or @role='complementary' or @role='banner']"
    f" | .//*[@{_TITLE_MARK}]"
)

# WordPress `body_class()` tokens of pages that list other pages.
_LISTING_BODY_CLASSES = frozenset(
    {
        "archive",
        "category",
        "tag",
        "tax",
        "author",
        "date",
        "search",
        "search-results",
        "search-no-results",
        "blog",
        "error404",
        "post-type-archive",
    }
)
_ARTICLE_BODY_CLASSES = frozenset({"single", "single-post", "singular"})
_LISTING_TYPES = frozenset({"collectionpage", "searchresultspage", "profilepage", "itemlist"})
_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "blogposting", "reportage", "analysisnewsarticle", "report"}
)
_EXCERPT_END = re.compile(r"\w(?:\.\.\.|…|\s\[(?:\.\.\.|…)\])\s*$")
_TITLE_SEPARATOR = re.compile(r"\s+[|–—·•»\-]\s+")
_OUTSIDE_CONTENT = frozenset({"nav", "footer", "aside", "form", "script", "style", "noscript"})
_NOT_CONTENT = " or ".join(f"ancestor::{tag}" for tag in sorted(_OUTSIDE_CONTENT))
_CONTENT_TEXT = f".//text()[not({_NOT_CONTENT})]"
_LINK_TEXT = f".//text()[ancestor::a and not({_NOT_CONTENT})]"
_DATE_CLASS = re.compile(r"date|posted|published|time|meta", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    """Why a page gives no article (a `Problem` with this code and message)."""

    code: str
    message: str


@dataclass(frozen=True)
class HtmlPage:
    """What an HTML page says: its article's fields, each with where it was found."""

    title: str | None
    body: str
    date: dt.date | None = None
    language: Language | None = None
    declared_language: str | None = None  # as written (`fr-FR`), for messages
    url: str | None = None
    # Where each fact was found ("title": "h1", "date": "time", ...), for diagnostics.
    sources: dict[str, str] = field(default_factory=dict)
    notes: tuple[PageNote, ...] = ()
    refusal: Refusal | None = None


def parse_html(text: str, *, fetched_url: str | None = None) -> HtmlPage:
    """An HTML page's article: title, date, language, url and body, or why there is none."""
    tree = _parse(text)
    if tree is None:
        return _refused("not_an_article", "no HTML document could be read from this file")
    head = _Head.read(tree)
    notes: list[PageNote] = []
    sources: dict[str, str] = {}
    listing = _listing_markup(head)
    if listing is not None:
        return _refused("not_an_article", listing)
    heading = _main_heading(tree, head)
    main_article = _main_article(tree, heading)
    teasers = _teasers(tree, main_article)
    title = _title(head, heading, sources)
    date = _marked_date(head, main_article, tree, teasers, sources)
    for teaser in teasers:
        teaser.drop_tree()
    body_lines = _extract(tree, heading)
    body_lines, lead_date = _without_lead_furniture(body_lines, title)
    body = without_repeated_title(clean_body(drop_footer(body_lines)), title)
    if date is None and lead_date is not None:
        date, sources["date"] = lead_date, "date line"
    refusal = _not_an_article(
        body,
        tree=tree,
        head=head,
        teasers=len(teasers),
        has_main=main_article is not None,
        dated=date is not None,
    )
    if refusal is not None:
        return HtmlPage(title=title, body=body, refusal=refusal)
    url = _url(head, fetched_url, sources)
    if date is None:
        date = _htmldate(tree, heading, url, sources)
    language, declared = _language(head, notes, sources)
    return HtmlPage(
        title=title,
        body=body,
        date=date,
        language=language,
        declared_language=declared,
        url=url,
        sources=sources,
        notes=tuple(notes),
    )


def _refused(code: str, message: str) -> HtmlPage:
    return HtmlPage(title=None, body="", refusal=Refusal(code, message))


# ---- the document ---------------------------------------------------------------------


def _parse(text: str) -> HtmlElement | None:
    """lxml's HTML parser (libxml2), forgiving of broken markup; None when nothing is left."""
    from lxml import html

    # lxml refuses a str that still declares its byte encoding (`<?xml … encoding=…?>`).
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1)
    if not text.strip():
        return None
    try:
        tree = html.document_fromstring(text, parser=_parser())
    except (etree.ParserError, ValueError):
        return None
    return tree if tree is not None and len(tree) else None


_PARSER: Any = None


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        from lxml import html

        _PARSER = html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False)
    return _PARSER


@dataclass
class _Head:
    """What the page declares about itself: `<meta>`, `<link>`, `<title>`, JSON-LD, classes."""

    meta: dict[str, str]
    canonical: str | None
    base: str | None  # `<base href>`: what relative URLs of the page are relative to
    title: str | None
    lang: str | None
    body_classes: frozenset[str]
    json_ld: list[dict[str, Any]]

    @classmethod
    def read(cls, tree: HtmlElement) -> _Head:
        meta: dict[str, str] = {}
        for element in tree.iter("meta"):
            key = element.get("property") or element.get("name") or element.get("itemprop")
            content = element.get("content")
            if key and content and content.strip():
                meta.setdefault(key.strip().lower(), content.strip())
        canonical = None
        for link in tree.iter("link"):
            rel = (link.get("rel") or "").lower().split()
            if "canonical" in rel and (link.get("href") or "").strip():
                canonical = (link.get("href") or "").strip()
                break
        base = next((b.get("href", "").strip() for b in tree.iter("base") if b.get("href")), None)
        title_element = next(tree.iter("title"), None)
        title = _text(title_element) if title_element is not None else None
        lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
        body = tree.find("body")
        classes = (body.get("class") or "") if body is not None else ""
        return cls(
            meta=meta,
            canonical=canonical,
            base=base or None,
            title=title or None,
            lang=lang.strip() if lang and lang.strip() else None,
            body_classes=frozenset(classes.lower().split()),
            json_ld=list(_json_ld_nodes(tree)),
        )

    @property
    def site_name(self) -> str | None:
        return self.meta.get("og:site_name") or self.meta.get("application-name")

    def ld_value(self, key: str, types: frozenset[str] | None = None) -> Any:
        """The first value of `key` in the JSON-LD nodes (of the given `@type`s, if any)."""
        for node in self.json_ld:
            if types is not None and not (_ld_types(node) & types):
                continue
            value = node.get(key)
            if value not in (None, "", []):
                return value
        return None


def _json_ld_nodes(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object of the page, `@graph` members included; bad JSON is ignored."""
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if not isinstance(node, dict):
                continue
            graph = node.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
            yield node


def _ld_types(node: dict[str, Any]) -> frozenset[str]:
    return frozenset(kind.lower() for kind in _ld_type_names(node))


def _ld_type_names(node: dict[str, Any]) -> list[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k for k in kinds if isinstance(k, str)]


def _text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _inside(element: HtmlElement, tags: frozenset[str]) -> bool:
    return any(ancestor.tag in tags for ancestor in element.iterancestors())


# ---- what kind of page ----------------------------------------------------------------


def _listing_markup(head: _Head) -> str | None:
    """A page that says it lists other pages (WordPress body classes, og:type, JSON-LD)."""
    found = sorted(head.body_classes & _LISTING_BODY_CLASSES) + sorted(
        c for c in head.body_classes if c.startswith("tax-")
    )
    if found and not head.body_classes & _ARTICLE_BODY_CLASSES:
        return f"a listing page, not an article (page class {found[0]!r})"
    page_types: dict[str, str] = {}
    for node in head.json_ld:
        if node.get("@id") and head.canonical and str(node["@id"]).startswith(head.canonical):
            page_types.update((kind.lower(), kind) for kind in _ld_type_names(node))
    listing = sorted(set(page_types) & _LISTING_TYPES)
    if listing and not set(page_types) & _ARTICLE_TYPES:
        return f"a listing page, not an article (JSON-LD @type {page_types[listing[0]]!r})"
    return None


def _article_markup(head: _Head) -> bool:
    """Does the page say it is an article (og:type, a publication time, body class, JSON-LD)?"""
    return (
        head.meta.get("og:type", "").lower() == "article"
        or "article:published_time" in head.meta
        or bool(head.body_classes & _ARTICLE_BODY_CLASSES)
        or any(_ld_types(node) & _ARTICLE_TYPES for node in head.json_ld)
    )


def _not_an_article(
    body: str, *, tree: HtmlElement, head: _Head, teasers: int, has_main: bool, dated: bool
) -> Refusal | None:
    """Why the extracted page is no article, if it is not; signals in order of certainty.

    Beyond an empty text, each signal needs the page not to mark itself as an article
    (`_article_markup`), so that a short news item or one that lists related posts stays.
    """
    words = len(WORD_RE.findall(body))
    if words == 0:
        if teasers:
            return Refusal(
                "not_an_article",
                f"a listing: its main content is {counted(teasers, 'teaser')} of other pages",
            )
        return Refusal(
            "not_an_article", "an empty page: no text once the site's furniture is removed"
        )
    if _article_markup(head):
        return None
    if teasers >= LISTING_TEASERS and not has_main:
        return Refusal(
            "not_an_article",
            f"a listing: {counted(teasers, 'teaser')} of other pages and no article of its own",
        )
    excerpts = _excerpts(body)
    if excerpts:
        return Refusal(
            "not_an_article",
            f"a listing: {excerpts} of its paragraphs are excerpts cut short with '…'",
        )
    if words < MIN_ARTICLE_WORDS:
        return Refusal(
            "not_an_article",
            f"only {words} word(s) of text and nothing marks it as an article",
        )
    links = _mostly_links(tree)
    if links is not None:
        return links
    kind = head.meta.get("og:type", "").strip()
    if kind and not dated:
        return Refusal(
            "not_an_article",
            f"the page calls itself og:type {kind!r}, has no date and nothing marks it "
            "as an article",
        )
    return None


def _excerpts(body: str) -> int:
    """How many paragraphs are teasers' excerpts ("… providing..."), when they are many."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    cut = sum(1 for p in paragraphs if _EXCERPT_END.search(p))
    return cut if cut >= LISTING_TEASERS and cut * 3 >= len(paragraphs) else 0


def _mostly_links(tree: HtmlElement) -> Refusal | None:
    """A page whose main region's text is mostly link text (a list of links, a site map).

    Its teasers are already removed from the tree.
    """
    region = _main_region(tree)
    total = sum(len(text.strip()) for text in region.xpath(_CONTENT_TEXT))
    linked = sum(len(text.strip()) for text in region.xpath(_LINK_TEXT))
    if total and linked / total > MAX_LINK_SHARE:
        return Refusal(
            "not_an_article",
            f"a page of links: {round(100 * linked / total)} % of its text is link text",
        )
    return None


def _main_region(tree: HtmlElement) -> HtmlElement:
    """The page's `<main>` (or `role=main`), else its body."""
    marked = _marked_main(tree)
    if marked is not None:
        return marked
    body = tree.find("body")
    return body if body is not None else tree


def _marked_main(tree: HtmlElement) -> HtmlElement | None:
    """The page's `<main>`, or the element with `role=main`, when it marks one."""
    for path in ("//main", "//*[@role='main']"):
        found = tree.xpath(path)
        if found:
            return found[0]
    return None


def _main_heading(tree: HtmlElement, head: _Head) -> HtmlElement | None:
    """The page's own heading: the `<h1>` the head's title names, else an `<h2>` it names.

    `<h1>`s of the logo, in `nav`/`footer`/`aside`, are never it. Some themes give the
    section's name ("News") the `<h1>` and the article's title an `<h2>`: an `<h2>` whose
    text is the head's title then wins. Else the first `<h1>` in `<article>`/`<main>`.
    """
    named = {
        fold(name)
        for title in (head.meta.get("og:title"), head.title)
        if title
        for name in (title, cut_site_name(title, head.site_name))
    }
    candidates = [
        h1
        for h1 in tree.iter("h1")
        if _text(h1) and not _inside(h1, _OUTSIDE_CONTENT) and not _is_site_heading(h1, head)
    ]
    for h1 in candidates:
        key = fold(_text(h1))
        if any(key == name or (len(key) > 10 and key in name) for name in named):
            return h1
    for h2 in tree.iter("h2"):
        if fold(_text(h2)) in named and not _inside(h2, _OUTSIDE_CONTENT):
            return h2
    in_content = [h1 for h1 in candidates if _inside(h1, frozenset({"article", "main"}))]
    return (in_content or candidates or [None])[0]


def _is_site_heading(h1: HtmlElement, head: _Head) -> bool:
    """The logo of themes that wrap it in `<h1>` on every page: the site's name, a home link."""
    text = _text(h1)
    if is_site_name(" ".join(WORD_RE.findall(fold(text)))):
        return True
    site = head.site_name
    if site and fold(text) == fold(site):
        return True
    classes = (h1.get("class") or "").lower()
    return "site-title" in classes or "logo" in classes


def _main_article(tree: HtmlElement, heading: HtmlElement | None) -> HtmlElement | None:
    """The `<article>` holding the page's heading, else the only one whose heading is no link.

    A teaser's heading links to its page; the page's own article, when its title sits
    above it in a page header, has a heading that is no link, or none.
    """
    if heading is not None:
        for ancestor in heading.iterancestors():
            if ancestor.tag == "article":
                return ancestor
    outermost = [a for a in tree.iter("article") if not _inside(a, frozenset({"article"}))]
    own = [a for a in outermost if not _heading_is_link(a) and _contains_text(a)]
    return own[0] if len(own) == 1 else None


def _heading_is_link(article: HtmlElement) -> bool:
    for element in article.iter("h1", "h2", "h3", "h4"):
        links = element.findall(".//a")
        return bool(links) and sum(len(_text(a)) for a in links) >= len(_text(element)) * 0.8
    return False


def _contains_text(element: HtmlElement) -> bool:
    return len(WORD_RE.findall(element.text_content())) >= MIN_ARTICLE_WORDS


def _teasers(tree: HtmlElement, main_article: HtmlElement | None) -> list[HtmlElement]:
    """Other pages' teasers: every outermost `<article>` that is not (and holds not) the page's."""
    teasers: list[HtmlElement] = []
    for article in tree.iter("article"):
        if article is main_article or _inside_any(article, teasers):
            continue
        if main_article is not None and (
            _is_ancestor(article, main_article) or _is_ancestor(main_article, article)
        ):
            continue
        teasers.append(article)
    return teasers


def _inside_any(element: HtmlElement, containers: Sequence[HtmlElement]) -> bool:
    return any(_is_ancestor(container, element) for container in containers)


def _is_ancestor(ancestor: HtmlElement, element: HtmlElement) -> bool:
    return any(a is ancestor for a in element.iterancestors())


# ---- title ----------------------------------------------------------------------------


def _title(head: _Head, heading: HtmlElement | None, sources: dict[str, str]) -> str | None:
    if heading is not None:
        sources["title"] = "h1"
        return _text(heading)
    for source, value in (
        ("og:title", head.meta.get("og:title")),
        ("title", head.title),
        ("JSON-LD headline", head.ld_value("headline")),
    ):
        if isinstance(value, str) and value.strip():
            title = cut_site_name(value, head.site_name)
            if title:
                sources["title"] = source
                return title
    return None


def cut_site_name(title: str, site_name: str | None = None) -> str:
    """A `<title>` or `og:title` without the site's name: "Title – Site", "Site | Title".

    The network's names (en/fr/es) and the page's `og:site_name` are cut on either side
    of a separator (" – ", " — ", " | ", " - ", " · ", " » "); an unknown last part after
    " | " is cut when short (a site name, "News | Acme"), but not after a dash, which
    titles use ("Haiti – Chile: solidarity").
    """
    title = " ".join(title.split())
    parts = _TITLE_SEPARATOR.split(title)
    separators = _TITLE_SEPARATOR.findall(title)
    known = {fold(site_name)} if site_name else set()

    def is_site(part: str) -> bool:
        key = " ".join(WORD_RE.findall(fold(part)))
        return bool(key) and (is_site_name(key) or fold(part) in known)

    cut = False
    while len(parts) > 1 and is_site(parts[-1]):
        parts.pop()
        separators.pop()
        cut = True
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
        separators.pop(0)
        cut = True
    if not cut and len(parts) > 1 and separators[-1].strip() == "|" and len(parts[-1].split()) <= 4:
        parts.pop()
        separators.pop()
    rebuilt = parts[0]
    for separator, part in zip(separators, parts[1:], strict=True):
        rebuilt += separator + part
    return rebuilt.strip()


# ---- date -----------------------------------------------------------------------------


def _marked_date(
    head: _Head,
    main_article: HtmlElement | None,
    tree: HtmlElement,
    teasers: Sequence[HtmlElement],
    sources: dict[str, str],
) -> dt.date | None:
    """The date the markup gives: meta, JSON-LD, the article's `<time>`, its header's date line."""
    for source, value in (
        ("article:published_time", head.meta.get("article:published_time")),
        ("JSON-LD datePublished", head.ld_value("datePublished")),
        ("datePublished", head.meta.get("datepublished")),
    ):
        date = _plausible(parse_metadata_date(value))
        if date is not None:
            sources["date"] = source
            return date
    region = main_article if main_article is not None else _main_region(tree)
    times = [
        t
        for t in region.iter("time")
        if not _inside_any(t, teasers) and not _inside(t, _OUTSIDE_CONTENT - {"footer"})
    ]
    published = [t for t in times if "updated" not in (t.get("class") or "")] or times
    for element in published:
        date = _plausible(parse_metadata_date(element.get("datetime")))
        if date is None:
            date = _plausible(_date_line(_text(element)))
        if date is not None:
            sources["date"] = "time"
            return date
    for element in region.iter():
        if not isinstance(element.tag, str) or element.tag in ("p", "article", "main", "body"):
            continue
        if not _DATE_CLASS.search(element.get("class") or "") or _inside_any(element, teasers):
            continue
        date = _plausible(_date_line(_text(element)))
        if date is not None:
            sources["date"] = "date line"
            return date
    return None


def _date_line(text: str) -> dt.date | None:
    """A visible date in en/fr/es ("22 septembre 2016"), read as saved pages' date lines are."""
    if not text or len(text) > 80 or not looks_like_date(text):
        return None
    return parse_date_line(text)


def _plausible(date: dt.date | None) -> dt.date | None:
    if date is None:
        return None
    if date.year < EARLIEST_YEAR or date > dt.date.today() + dt.timedelta(days=366):
        return None
    return date


def _htmldate(
    tree: HtmlElement, heading: HtmlElement | None, url: str | None, sources: dict[str, str]
) -> dt.date | None:
    """htmldate's reading of the page's markup and url, teasers removed (the last resort).

    The `<title>` and the title heading are taken out first: htmldate would read a date
    in them ("Compte rendu du CA du 04-12-09", "Newsletter 2010.3"), which is what the
    article is about, not when it was published. Its extensive search (any date in the
    text, the footer's "© 2024" included) is off. The tree is changed: call it last.
    """
    from htmldate import find_date

    for element in [*tree.iter("title"), *([heading] if heading is not None else [])]:
        element.drop_tree()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = find_date(tree, url=url, original_date=True, extensive_search=False)
        except (ValueError, TypeError):
            return None
    date = _plausible(parse_metadata_date(found))
    if date is not None:
        sources["date"] = "htmldate"
    return date


# ---- body -----------------------------------------------------------------------------


def _extract(tree: HtmlElement, heading: HtmlElement | None) -> list[str]:
    """The main content's lines (trafilatura), teasers already removed from the tree.

    trafilatura reads the page's main region (`<main>`, `role=main`) when it has one,
    without its navigation, forms, asides and the title heading (already read), so that
    its fallbacks for short texts cannot pick up the site's menus. A short text is read
    again favouring precision: the balanced mode then tends to glue the article's
    header (categories, title, date) to its few sentences.
    """
    document = _content_document(tree, heading)
    lines = _trafilatura_lines(document, precision=False)
    if len(WORD_RE.findall(" ".join(lines))) < SHORT_TEXT_WORDS:
        precise = _trafilatura_lines(document, precision=True)
        if precise:
            lines = precise
    return lines


def _content_document(tree: HtmlElement, heading: HtmlElement | None) -> HtmlElement:
    from lxml import html

    region = _marked_main(tree)
    if region is None and heading is None:
        return tree
    if heading is not None:
        heading.set(_TITLE_MARK, "")
    try:
        copied = copy.deepcopy(region if region is not None else _main_region(tree))
    finally:
        if heading is not None:
            del heading.attrib[_TITLE_MARK]
    for element in copied.xpath(_PRUNED):
        element.drop_tree()
    document = html.document_fromstring("<html><body></body></html>")
    document.find("body").append(copied)
    return document


def _trafilatura_lines(document: HtmlElement, *, precision: bool) -> list[str]:
    from trafilatura import bare_extraction

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extracted = bare_extraction(
            document,
            favor_precision=precision,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
        )
    text = getattr(extracted, "text", None) if extracted is not None else None
    if not text:
        return []
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend((line, ""))
    return lines


def _without_lead_furniture(
    lines: list[str], title: str | None
) -> tuple[list[str], dt.date | None]:
    """The text without furniture left at its top (category, date, site-name lines), and the date.

    The first lines are judged as a saved page's header lines are (`classify_line`); a
    date line there is the article's date when the markup gave none.
    """
    date: dt.date | None = None
    seen = 0
    index = 0
    while index < len(lines) and seen < LEAD_LINES:
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        kind = classify_line(line)
        if kind == "date" and date is None:
            date = _plausible(parse_date_line(line))
        elif kind == "text" and not (title and fold(line.strip()) == fold(title)):
            break
        seen += 1
        index += 1
    return lines[index:], date


# ---- language and url -----------------------------------------------------------------


def _language(
    head: _Head, notes: list[PageNote], sources: dict[str, str]
) -> tuple[Language | None, str | None]:
    """The language the page declares (`<html lang>`, `og:locale`, JSON-LD), as written too."""
    for source, value in (
        ("html lang", head.lang),
        ("og:locale", head.meta.get("og:locale")),
        ("JSON-LD inLanguage", head.ld_value("inLanguage")),
    ):
        if not isinstance(value, str) or not value.strip():
            continue
        language = normalise_language(value)
        if language is None:
            notes.append(
                PageNote(
                    "unknown_language",
                    f"the page's language {value!r} is not one of en, fr, es; detected instead",
                )
            )
            return None, value
        sources["language"] = source
        return language, value
    return None, None


def _url(head: _Head, fetched_url: str | None, sources: dict[str, str]) -> str | None:
    """`<link rel=canonical>`, `og:url`, else where the page was fetched from (absolute http).

    A relative URL is resolved as a browser does: against the page's `<base href>`,
    itself resolved against where the page was fetched from.
    """
    base = urljoin(fetched_url or "", head.base or "")
    for source, value in (
        ("canonical", head.canonical),
        ("og:url", head.meta.get("og:url")),
        ("fetched", fetched_url),
    ):
        if not value:
            continue
        absolute = urljoin(base, value.strip())
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc:
            sources["url"] = source
            return absolute
    return None


def import_parsers() -> None:
    """Import trafilatura and htmldate now (imported on first page otherwise): before the
    ingest forks its workers, which then share them."""
    import htmldate  # noqa: F401
    import trafilatura  # noqa: F401
