"""Saved pages of the site (`.txt`): strip the site's furniture, find title and date.

A saved page is the article wrapped in the site's furniture: a banner ("🌎 Join
online ESN’s International Meeting", with a countdown on Spanish pages), the
site-name line (in English whatever the page's language, sometimes twice),
category lines, a region menu, or on old pages a header such as "Espagnol English
Français" / "PDF Imprimer Envoyer" / "E-mail"; then the article; then a footer
("Latest news", "Les dernières actualités", ...) followed by other articles' teasers.

The page is read top-down as a *header zone* then a body. In the header zone,
furniture lines are dropped, the date line is parsed (and only there: a date in
the body is never taken as the article's date), and the title is the last line of
text that is followed by an *anchor* (the site-name line, the date line, or the
old site's "PDF Imprimer Envoyer" / "E-mail"). The first line of text that is
not followed by an anchor starts the body. Pages without a title line get none
here; the ingest makes one from the first sentence (`infer_title`).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from search_service.text import HEADING_CONNECTORS, WORD_RE, capitalised_as_name, fold

HEADER_SEARCH_LINES = 60  # the header zone never extends beyond this many lines
TITLE_MAX_CHARS = 90  # inferred titles
TITLE_LINE_MAX_CHARS = 250  # a longer line is a paragraph, not a title
BARE_TITLE_MAX_CHARS = 150  # first line taken as title on a page without the site's furniture
FURNITURE_MAX_CHARS = 160  # longer lines are article text: never folded for furniture tests
CATEGORY_MAX_WORDS = 4  # a label glued under the site name is at most this long
HEADER_MENU_LINES = 3  # unknown short lines tolerated between a title and its anchor
MENU_LINE_MAX_CHARS = 120


def _folded_words(text: str) -> frozenset[str]:
    return frozenset(fold(word) for word in text.split())


LineKind = Literal["blank", "furniture", "site_name", "date", "old_anchor", "titled_tools", "text"]

_SITE_NAMES = frozenset(
    fold(name)
    for name in (
        "Education and Solidarity Network",
        "Education & Solidarity Network",
        "Réseau Education et Solidarité",
        "Réseau Éducation et Solidarité",
        "Réseau Education & Solidarité",
        "Red Educación y Solidaridad",
        "Red Educación & Solidaridad",
    )
)
_FOOTERS = frozenset(
    fold(line)
    for line in (
        "Latest news",
        "Les dernières actualités",
        "Dernières actualités",
        "Últimas noticias",
        "Las últimas noticias",
        "Please login or register to see the full article",
        "Connectez-vous ou inscrivez-vous pour voir l'article complet",
        "Inicie sesión o regístrese para ver el artículo completo",
    )
)
_OLD_ANCHOR_WORDS = frozenset(
    "pdf imprimer envoyer print e mail email imprimir enviar send courriel correo".split()  # noqa: SIM905
)
#: The old site's tools written at the end of the title's line: "… PDF Imprimer Envoyer",
#: "… PDF Print E-mail", "… PDF Imprimir E-mail".
_TOOLS_AFTER_TITLE = re.compile(
    r"\s+PDF\s+(?:Imprimer|Print|Imprimir)\s+(?:Envoyer|E-?mail|Enviar|Courriel|Correo)\s*$",
    re.IGNORECASE,
)
#: An image's alternative text left alone on a line: a file name ("logo-fr", "base_line2",
#: "banner.jpg"): lower case, no space, parts joined by "-", "_" or ".".
_FILE_NAME = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+")
#: The heading of the old site's join-the-network box; its text and its link ("» …") follow.
_JOIN_HEADINGS = frozenset(
    " ".join(WORD_RE.findall(fold(h)))
    for h in (
        "Join us",
        "Join the network",
        "Join the Education and Solidarity Network",
        "Become a member",
        "Rejoindre le réseau",
        "Rejoignez-nous",
        "Rejoignez le réseau",
        "Adhérer au réseau",
        "Devenir membre",
        "Únete a la red",
        "Únase a la red",
        "Únete a nosotros",
        "Hazte miembro",
    )
)
_LINK_LINE = re.compile(r"^[»›→]\s*\S")
#: A photo credit on a line of its own ("Photo: Jane Doe / Flickr", "Credit: GPE/J. Doe",
#: "Crédit photo : …", "©Jane Doe"): who took a picture, not what the article says.
_CREDIT_LINE = re.compile(
    r"^(?:©|\(c\)|(?:photos?|photo\s+credits?|credits?|cr[ée]dits?(?:\s+photos?)?|cr[ée]dito|fotos?"
    r"|image|illustration)\s*:)",
    re.IGNORECASE,
)
CREDIT_MAX_WORDS = 8
JOIN_BOX_MAX_LINES = 4  # lines of text between the box's heading and its link
BYLINE_MAX_WORDS = 4  # an author's name (or login) on the line above the date
_OLD_HEADER_WORDS = frozenset(
    "espagnol english francais frances ingles espanol anglais spanish french".split()  # noqa: SIM905
)
_SOCIAL = re.compile(
    r"^(rejoignez nous|suivez nous|join us|follow us|siguenos|unete a nosotros)\b.*"
    r"\b(facebook|twitter|linkedin|youtube|instagram|x)$"
)
_SHARE_WORDS = frozenset(
    "share partager compartir tweet facebook twitter linkedin whatsapp telegram x email e mail "  # noqa: SIM905
    "print imprimer imprimir this ce cet article cette page esta este on sur en".split()
)
_COUNTDOWN_WORDS = frozenset(
    "dias dia horas hora minutos minuto segundos segundo days day hours hour minutes minute "  # noqa: SIM905
    "seconds second jours jour heures heure secondes seconde d h m s".split()
)
_BANNER = re.compile(
    r"(join|rejoignez|rejoindre|participez|unete|unase|inscribete|register)\b.*"
    r"\b(meeting|rencontre|reunion|encuentro|conference|conferencia|congres|congreso)\b"
)
_REGION_WORDS = _folded_words(
    "Africa Afrique África Americas America Amériques Amérique Américas América Asia Asie "
    "Europe Europa Oceania Océanie Middle East Moyen Orient Oriente Medio Latin Latine "
    "Latina North South Nord Sud Norte Sur Central Centrale World Monde Mundo International "
    "Internacional Caribbean Caraïbes Caribe Maghreb Magreb du de la del and et y all tout "
    "todo toutes todas regions régions regiones"
)
_KNOWN_CATEGORIES = frozenset(
    " ".join(WORD_RE.findall(fold(c)))
    for c in (
        "Gouvernance",
        "Governance",
        "Gobernanza",
        "Vie de l'association",
        "Life of the association",
        "Vida de la asociación",
        "Personnel éducatif",
        "Education staff",
        "Educational staff",
        "Personal educativo",
        "Protection sociale",
        "Social protection",
        "Protección social",
        "Actualités",
        "News",
        "Noticias",
        "Santé",
        "Health",
        "Salud",
        "Éducation",
        "Education",
        "Educación",
        "The Network",
        "Le Réseau",
        "La Red",
        "Education personnel",
        "Personnel de l'éducation",
        "Personal de la educación",
        "Youth engagement",
        "Engagement des jeunes",
        "Compromiso juvenil",
        "Health promotion",
        "Promotion de la santé",
        "Promoción de la salud",
        "Mutualism",
        "Mutualisme",
        "Mutualismo",
        "Social and solidarity economy",
        "Économie sociale et solidaire",
        "Economía social y solidaria",
        "Projects",
        "Projets",
        "Proyectos",
        "Events",
        "Événements",
        "Eventos",
        "Members",
        "Membres",
        "Miembros",
    )
)
_CATEGORY_SEPARATORS = re.compile(r"\s+[/|>»·•]\s+")
_MONTHS = _folded_words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec janvier février mars avril mai juin "
    "juillet août septembre octobre novembre décembre janv févr fév avr juil déc enero "
    "febrero marzo abril mayo junio julio agosto septiembre setiembre octubre noviembre "
    "diciembre ene abr ago dic"
)
_WEEKDAYS = _folded_words(
    "monday tuesday wednesday thursday friday saturday sunday lundi mardi mercredi jeudi "
    "vendredi samedi dimanche lunes martes miércoles jueves viernes sábado domingo"
)
_WORD_DATE = re.compile(
    r"^(?:(?P<weekday>[a-z]+),?\s+)?"
    r"(?:(?P<day>\d{1,2})(?:er|st|nd|rd|th|º|°)?\s+(?:de\s+)?(?P<month>[a-z]+)\.?,?\s+(?:de\s+)?"
    r"|(?P<month2>[a-z]+)\.?\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?,?\s+)"
    r"(?P<year>\d{4})$"
)
_DATE_PREFIX = re.compile(
    r"^(?:publi[ée]e?\s+le|mis\s+en\s+ligne\s+le|posted\s+on|published\s+on|published|posted"
    r"|publi[ée]e?|mis\s+en\s+ligne|publicad[oa]\s+el|publicad[oa]|le|el|on)\s+",
    re.IGNORECASE,
)
#: A publication line may say when the article was changed after its date: "published 19
#: July 2018 updated 18 September 2018", "Publié 22 octobre 2020 Mis à jour …",
#: "publicado 10 septiembre 2008 actualizado …". The first date is the article's.
_UPDATED_SUFFIX = re.compile(
    r"(?<=\d)[\s,;|–-]+(?:\(?\s*)?(?:last\s+)?(?:updated|modified|edited|mis\s+[àa]\s+jour|modifi[ée]e?"
    r"|actualizad[oa]|modificad[oa])\b.*$",
    re.IGNORECASE,
)
#: A date line that says it is the publication date ("Published …", "Publié le …",
#: "Posted on …", "Publicado el …"): no body sentence starts so.
_PUBLICATION_LINE = re.compile(
    r"^\s*(?:publi[ée]|published|posted|publicad[oa]|mis\s+en\s+ligne)\b", re.I
)
_TIME_SUFFIX = re.compile(
    r"(?<=\d)(?:\s*[-,|–]?\s*(?:à|a|at|um|T)?\s*\d{1,2}[:h]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?|h)?)$",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")
_DATE_SETTINGS: dict[str, Any] = {
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
}
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+(?=[\"'“«(¿¡]*[A-ZÀ-Ý0-9])")
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_TRAILING_WEAK = _folded_words(
    "a an the of and or to in on for with by at from as le la les l de du des d et ou à au "
    "aux en pour par sur avec un une el los las lo del y o a al en para por con un una su "
    "sus"
)


@dataclass(frozen=True)
class PageNote:
    """Something the ingest should report about a page (turned into a `Problem`)."""

    code: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class ParsedPage:
    """What a saved page says once its furniture is gone."""

    title: str | None
    date: dt.date | None
    body: str
    notes: tuple[PageNote, ...] = ()


def parse_page(text: str) -> ParsedPage:
    """Split a saved page into title (or None), date (or None) and cleaned body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    notes: list[PageNote] = []
    kinds = [classify_line(line) for line in lines[:HEADER_SEARCH_LINES]]
    kinds = _mark_category_blocks(lines, _mark_join_boxes(lines, kinds))
    body_start, title_index, date_index, kept = _read_header(lines, kinds)
    date: dt.date | None = None
    if date_index is not None:
        date = parse_date_line(lines[date_index])
        if date is None:
            notes.append(
                PageNote(
                    "bad_date",
                    f"date line {lines[date_index].strip()!r} is not a valid date; date left empty",
                    date_index + 1,
                )
            )
    title = _clean_line(_title_text(lines[title_index])) if title_index is not None else None
    # Header lines of text that are not titles ("Thank you, Marie." above the site name)
    # are the article's first words: they open the body.
    lead = [line for index in kept for line in (lines[index], "")]
    body_lines = drop_footer([*lead, *lines[body_start:]])
    body = without_repeated_title(clean_body(body_lines), title)
    return ParsedPage(title=title or None, date=date, body=body, notes=tuple(notes))


def _title_text(line: str) -> str:
    """A title line without the old site's tools written after it."""
    return _TOOLS_AFTER_TITLE.sub("", line)


def _mark_join_boxes(lines: Sequence[str], kinds: list[LineKind]) -> list[LineKind]:
    """The old site's join-the-network box above the title is furniture, not text.

    Its heading ("Join us", "Rejoindre le réseau", "Únete a la red"), the few lines of
    text under it and the link that closes it ("» Get the membership form") go.
    """
    marked = list(kinds)
    for index, kind in enumerate(kinds):
        if kind != "text" or " ".join(_words(lines[index])) not in _JOIN_HEADINGS:
            continue
        box = [index]
        for position in range(index + 1, len(kinds)):
            if kinds[position] == "blank":
                continue
            if _LINK_LINE.match(lines[position].strip()):
                for inside in box:
                    marked[inside] = "furniture"
                break
            if kinds[position] != "text" or len(box) > JOIN_BOX_MAX_LINES:
                break
            box.append(position)
    return marked


def without_repeated_title(body: str, title: str | None) -> str:
    """Some saved pages repeat the title as the body's first line: keep it once."""
    if not title:
        return body
    first, _, rest = body.partition("\n\n")
    if fold(first) == fold(title) and rest:
        return rest
    return body


def _mark_category_blocks(lines: Sequence[str], kinds: list[LineKind]) -> list[LineKind]:
    """Short lines hanging right under the site name or banner are category labels.

    On the site, labels such as "Education personnel" / "Youth engagement" follow the
    site-name line with no blank line between, while a title stands apart, after a
    blank line, or directly above the site-name + date anchor. A short line glued
    under furniture and not glued above an anchor is therefore a label, not a title.
    """
    marked = list(kinds)
    for index in range(1, len(marked)):
        if marked[index] != "text" or marked[index - 1] not in ("site_name", "furniture"):
            continue
        following = marked[index + 1] if index + 1 < len(marked) else "blank"
        if following in ("site_name", "date", "old_anchor", "titled_tools"):
            continue
        line = lines[index].strip()
        if len(_words(line)) <= CATEGORY_MAX_WORDS and not line.endswith((".", "!", "?", ":")):
            marked[index] = "furniture"
    return marked


def _read_header(
    lines: Sequence[str], kinds: Sequence[LineKind]
) -> tuple[int, int | None, int | None, list[int]]:
    """(index where the body starts, title line index, date line index, header text kept).

    A line of text followed by an anchor is in the header, whether or not it reads like
    a title, so the date line below it is found either way. Only then is it decided
    whether it is the title: the last such line above an anchor, if it reads like a
    title (`_title_like`). One that does not ("Thank you, Marie.", a 300-character
    paragraph) is article text, kept to open the body; title-like lines above it, with
    no anchor between, were menus.
    """
    title: int | None = None
    confirmed = False  # an anchor follows the title line
    date: int | None = None
    kept: list[int] = []
    anchored = False
    index = 0
    while index < len(kinds):
        kind = kinds[index]
        if kind == "date":
            if date is not None:
                return index, title, date, kept
            date = index
            anchored = True
            confirmed = title is not None
        elif kind in ("site_name", "old_anchor"):
            anchored = True
            confirmed = title is not None
        elif kind == "titled_tools":
            if date is not None:
                break
            anchored = True
            title, confirmed = index, True  # "Title PDF Imprimer Envoyer"
        elif kind == "text":
            if date is not None or not _anchor_ahead(lines, kinds, index):
                break
            if title is not None and _byline(lines, kinds, index, title):
                pass  # the author's name between the title and the date: dropped
            elif _title_like(lines[index]) or _publication_below(lines, kinds, index):
                title, confirmed = index, False
            else:
                kept.append(index)
                if not confirmed:
                    title = None
        index += 1
    if not anchored and title is None and index < len(kinds):
        return (*_bare_title(lines, kinds, index), kept)
    return min(index, len(lines)), title, date, kept


def _byline(lines: Sequence[str], kinds: Sequence[LineKind], index: int, title: int) -> bool:
    """Is this line the author's name between a title and the date ("Title" / "" / "Jane
    Doe" / "July 16, 2021")? Glued to the date line below it, apart from the title above
    it (a blank line between), short and without a sentence's punctuation."""
    following = index + 1
    if following >= len(kinds) or kinds[following] != "date":
        return False
    if not any(kinds[k] == "blank" for k in range(title + 1, index)):
        return False
    line = lines[index].strip()
    return len(line.split()) <= BYLINE_MAX_WORDS and not re.search(r"[,:;!?|()]|\.$", line)


def _bare_title(
    lines: Sequence[str], kinds: Sequence[LineKind], index: int
) -> tuple[int, int | None, int | None]:
    """A page with none of the site's furniture: a short first line is a title when a
    blank line follows it, or a line that is plainly not more of it (a paragraph, a
    heading in capitals: "Who are we?" / "OUR NETWORK, AT THE CROSSROADS…")."""
    line = lines[index].strip()
    following = index + 1
    followed_by_blank = following < len(kinds) and kinds[following] == "blank"
    more_text = any(kind == "text" for kind in kinds[index + 2 :])
    apart = followed_by_blank or (
        following < len(kinds)
        and kinds[following] == "text"
        and _not_more_of(line, lines[following])
    )
    if (
        apart
        and more_text
        and len(line) <= BARE_TITLE_MAX_CHARS
        and not line.endswith((".", ":", ";", ","))
    ):
        return index + 1, index, None
    return index, None, None


def _not_more_of(line: str, following: str) -> bool:
    """Is `following` plainly not the rest of `line`: a paragraph (a longer line ending like
    a sentence) or a heading in capitals?"""
    following = following.strip()
    letters = [ch for ch in following if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        return True
    return len(following) > 2 * len(line) and following.endswith((".", "…", "!", "?", ":"))


def _publication_below(lines: Sequence[str], kinds: Sequence[LineKind], index: int) -> bool:
    """Is the next line (past blanks and furniture) a publication line ("Published …",
    "Publié le …") that makes this line, a full stop and all, the headline it dates?"""
    for position in range(index + 1, len(kinds)):
        if kinds[position] in ("blank", "furniture"):
            continue
        return (
            kinds[position] == "date"
            and _headline_above(lines, position)
            and (len(lines[index].strip()) <= TITLE_LINE_MAX_CHARS)
        )
    return False


def _headline_above(lines: Sequence[str], date_index: int) -> bool:
    """A line that ends like a sentence is a headline when the date line under it says it
    dates a publication ("“A memoir”, by Jane Doe." / "Published 22 October 2020"): a
    sentence of the body is not followed by such a line, while a bare date may be the
    body's ("The meeting took place in Dakar." / "22 septembre 2016")."""
    return bool(_PUBLICATION_LINE.match(lines[date_index]))


def _title_like(line: str) -> bool:
    """Titles are short and do not end like a sentence of the body does."""
    stripped = line.strip()
    return len(stripped) <= TITLE_LINE_MAX_CHARS and not (
        stripped.endswith(".") and not stripped.endswith("...")
    )


def _anchor_ahead(lines: Sequence[str], kinds: Sequence[LineKind], index: int) -> bool:
    """Is this line in the header, i.e. does an anchor come before the body starts?

    The anchor (site name, date line, the old site's "PDF Imprimer Envoyer") may be
    a few short lines further down, past unknown menu lines; more lines, or a long
    one, on the way mean the body has started. A line that reads like a sentence (this
    one or one on the way) must sit right above the site's own furniture (site name,
    old-site tools): a date line may be the body's ("The meeting took place in
    Dakar." / "22 septembre 2016"), and so may text before the next heading.
    """
    sentence = not _title_like(lines[index])
    skipped = 0
    for position in range(index + 1, len(kinds)):
        kind = kinds[position]
        if kind in ("blank", "furniture"):
            continue
        if kind in ("site_name", "old_anchor", "titled_tools"):
            return True
        if kind == "date" or sentence:
            return kind == "date" and (not sentence or _headline_above(lines, position))
        skipped += 1
        line = lines[position].strip()
        if len(line) > MENU_LINE_MAX_CHARS and skipped <= HEADER_MENU_LINES:
            # A long title under category lines ("Health education" / "Mutual insurance" /
            # "Côte d'Ivoire | A title of 130 characters …"): its own anchor decides.
            return _title_like(line) and _anchor_ahead(lines, kinds, position)
        if skipped > HEADER_MENU_LINES:
            return False
        sentence = not _title_like(line)
    return False


def classify_line(line: str) -> LineKind:
    stripped = line.strip()
    if not stripped:
        return "blank"
    if len(stripped) > FURNITURE_MAX_CHARS:
        return "text"  # no furniture, anchor or date line is this long: skip the folding
    words = _words(stripped)
    key = " ".join(words)
    if not words:
        # emoji, bullets or punctuation only
        return "furniture"
    if is_site_name(key):
        return "site_name"
    if _is_old_anchor(words):
        return "old_anchor"
    if _TOOLS_AFTER_TITLE.search(stripped):
        return "titled_tools"
    if looks_like_date(stripped):
        return "date"
    if _is_furniture(stripped, words, key):
        return "furniture"
    return "text"


def _is_old_anchor(words: Sequence[str]) -> bool:
    """The old site's "PDF Imprimer Envoyer" and "E-mail" lines (any of their words only)."""
    return 0 < len(words) <= 4 and all(word in _OLD_ANCHOR_WORDS for word in words)


def _is_share_line(words: Sequence[str]) -> bool:
    """ "Share this: Facebook Twitter", "Partager : Facebook LinkedIn" (a network name needed)."""
    networks = {"facebook", "twitter", "linkedin", "whatsapp", "telegram", "tweet"}
    return (
        0 < len(words) <= 10
        and all(word in _SHARE_WORDS for word in words)
        and (bool(networks & set(words)) or words[0] in ("share", "partager", "compartir"))
    )


def is_site_name(key: str) -> bool:
    """The network's name alone, repeated, or with menu words ("… Menu", "… Search")."""
    if key in _SITE_NAMES:
        return True
    rest = key
    for name in _SITE_NAMES:
        rest = rest.replace(name, " ")
    if rest == key:
        return False
    return all(word in _MENU_WORDS for word in rest.split())


_MENU_WORDS = frozenset(
    "menu search rechercher recherche buscar home accueil inicio en fr es".split()  # noqa: SIM905
)


def _is_banner(stripped: str, words: Sequence[str], key: str) -> bool:
    """The meeting banner: a globe emoji, or "join … online … meeting" naming the network.

    Without the emoji all three are needed, so a title such as "Teachers join the
    international meeting in Dakar" stays a title.
    """
    if stripped[0] in "🌎🌍🌏":
        return True
    online = "online" in words or "en ligne" in key or "en linea" in key
    network = bool({"esn", "res", "network", "reseau", "red"} & set(words))
    return online and network and bool(_BANNER.search(key))


def _is_furniture(stripped: str, words: list[str], key: str) -> bool:
    if _is_banner(stripped, words, key):
        return True
    if _FILE_NAME.fullmatch(stripped) or _LINK_LINE.match(stripped) or _is_credit(stripped):
        return True  # an image's alternative text or credit, a link ("» Get the form")
    if all(w in _COUNTDOWN_WORDS or w.isdigit() for w in words):
        return True
    if all(w in _OLD_HEADER_WORDS for w in words) or _SOCIAL.match(key) or _is_share_line(words):
        return True
    if all(w in _REGION_WORDS for w in words) and len(words) <= 12:
        return True
    return _is_category_line(stripped, key)


def _is_credit(stripped: str) -> bool:
    """A photo credit alone on a line: short, after "Photo:", "Credit:", "©" …"""
    return bool(_CREDIT_LINE.match(stripped)) and len(stripped.split()) <= CREDIT_MAX_WORDS


def _is_category_line(stripped: str, key: str) -> bool:
    """ "Gouvernance / Vie de l'association", "África / Personal educativo / Protección social".

    Segments must be short; at least one must be a known category or region, or every
    word must be capitalised ("Home » News » Africa"). A title with a slash keeps
    lower-case words or a colon ("Haiti / Chile: solidarity"), so it is not taken.
    """
    if key in _KNOWN_CATEGORIES:
        return True
    segments = [s.strip() for s in _CATEGORY_SEPARATORS.split(stripped)]
    if len(segments) < 2 and "/" in stripped:
        segments = [segment.strip() for segment in stripped.split("/")]
        return all(" ".join(_words(s)) in _KNOWN_CATEGORIES | _REGION_WORDS for s in segments)
    if len(segments) < 2 or len(stripped) > 100 or ":" in stripped:
        return False
    if stripped.endswith((".", "!", "?")):
        return False
    words = [_words(s) for s in segments]
    if not all(0 < len(w) <= 4 for w in words):
        return False
    if any(" ".join(w) in _KNOWN_CATEGORIES or " ".join(w) in _REGION_WORDS for w in words):
        return True
    written = [word for s in segments for word in WORD_RE.findall(s)]
    return capitalised_as_name(written, HEADING_CONNECTORS)


def _words(text: str) -> list[str]:
    return WORD_RE.findall(fold(text))


def _date_text(line: str) -> str:
    """The date part of a date line: "Publié le 8 juillet 2020 à 10h30" -> "8 juillet 2020"."""
    text = _UPDATED_SUFFIX.sub("", _DATE_PREFIX.sub("", line.strip())).strip(" .")
    return _TIME_SUFFIX.sub("", text)


def looks_like_date(line: str) -> bool:
    """Shaped like a date line: "December 19, 2016", "22 septembre 2016", "19/12/2016"."""
    folded = fold(_date_text(line))
    if len(folded) > 40:
        return False
    if _NUMERIC_DATE.match(folded):
        return True
    match = _WORD_DATE.match(folded)
    if match is None:
        return False
    month = (match.group("month") or match.group("month2") or "").rstrip(".")
    weekday = match.group("weekday")
    return month in _MONTHS and (weekday is None or weekday in _WEEKDAYS)


def parse_date_line(line: str) -> dt.date | None:
    """The date of a date line, in English, French or Spanish; None when it is not a date."""
    text = _date_text(line)
    numeric = _NUMERIC_DATE.match(text)
    if numeric is not None:
        day, month, year = (
            (numeric.group(1), numeric.group(2), numeric.group(3))
            if numeric.group(1)
            else (numeric.group(6), numeric.group(5), numeric.group(4))
        )
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            return None
    shaped, worded = _worded_date(text)
    if shaped:
        return worded
    parsed = _dateparser_parse(text)
    return parsed.date() if parsed is not None else None


def _worded_date(text: str) -> tuple[bool, dt.date | None]:
    """ "22 septembre 2016", "December 19, 2016": day and year read here, the month by dateparser.

    dateparser knows every month name and abbreviation of en/fr/es but costs ~1 ms per
    call; asking it once per month word (cached) and building the date here makes a
    corpus of pages with thousands of distinct dates fast. `dt.date` keeps it strict
    ("31 septembre 2016" is no date). Returns (whether the shape was recognised, the
    date or None); shapes it does not recognise go to dateparser whole.
    """
    match = _WORD_DATE.match(fold(text))
    if match is None:
        return False, None
    month = _month_number((match.group("month") or match.group("month2") or "").rstrip("."))
    day = match.group("day") or match.group("day2")
    if month is None or day is None:
        return False, None
    try:
        return True, dt.date(int(match.group("year")), month, int(day))
    except ValueError:
        return True, None


@lru_cache(maxsize=512)
def _month_number(word: str) -> int | None:
    parsed = _dateparser_parse(f"15 {word} 2001")
    return parsed.month if parsed is not None else None


@lru_cache(maxsize=8192)
def _dateparser_parse(text: str) -> dt.datetime | None:
    """dateparser, restricted to en/fr/es and strict; one parser, results cached per text."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _date_parser().get_date_data(text).date_obj  # type: ignore[no-any-return]
        except (ValueError, TypeError, OverflowError, RecursionError, LookupError):
            return None


@lru_cache(maxsize=1)
def _date_parser() -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en", "fr", "es"], settings=_DATE_SETTINGS)


def drop_footer(lines: Sequence[str]) -> list[str]:
    for index, line in enumerate(lines):
        short = len(line) <= FURNITURE_MAX_CHARS
        if short and line.strip() and " ".join(_words(line)) in _FOOTERS:
            return list(lines[:index])
    return list(lines)


def clean_body(lines: Sequence[str]) -> str:
    """Paragraphs separated by one blank line; stray furniture lines and edge spaces removed."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        stripped = _clean_line(line)
        if not stripped:
            if paragraphs[-1]:
                paragraphs.append([])
            continue
        key = " ".join(_words(stripped)) if len(stripped) <= FURNITURE_MAX_CHARS else ""
        if key and (
            is_site_name(key)
            or _is_old_anchor(key.split())
            or _is_share_line(key.split())
            or _is_credit(stripped)
            or (_is_banner(stripped, key.split(), key) and _BANNER.search(key))
        ):
            continue
        paragraphs[-1].append(stripped)
    return "\n\n".join("\n".join(p) for p in paragraphs if p)


def _clean_line(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").split())


def infer_title(body: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """A readable title from the first sentence: asides in brackets dropped, cut at a word."""
    first_paragraph = body.strip().split("\n", 1)[0]
    sentence = _SENTENCE_END.split(first_paragraph, maxsplit=1)[0].strip()
    shorter = _PARENTHESES.sub("", sentence).strip() or sentence
    shorter = " ".join(shorter.split())
    if len(shorter) <= max_chars:
        return shorter.rstrip(" ,;:.") or body.strip()[:max_chars]
    cut = shorter[: max_chars + 1].rsplit(" ", 1)[0] if " " in shorter[:max_chars] else ""
    words = cut.split()
    while len(words) > 1 and (
        fold(words[-1]).strip(".,;:") in _TRAILING_WEAK or words[-1][-1] in ",;:-–—"
    ):
        words.pop()
    if not words:
        return shorter[:max_chars].rstrip() + "…"
    return " ".join(words).rstrip(" ,;:") + "…"
