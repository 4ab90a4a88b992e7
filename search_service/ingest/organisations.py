"""Organisations found in the corpus itself, beyond those the vocabulary lists.

The network's members, partners and programmes are mostly named by acronyms that an
article spells out once ("the Syndicat national des enseignants (SNE)"), or by long
names in French or Spanish. A corpus-wide pass over every article's title and body
finds them:

* **definitions** of acronyms, in English, French and Spanish: "Long Name (ACR)",
  "ACR (Long Name)", "ACR – Long Name", "ACR: Long Name", "ACR, the Long Name" /
  "ACR, la …" / "ACR, el …". The long name must open with a capital and spell the
  acronym (its letters in order, the first one opening the name: Schwartz and
  Hearst's rule) or, in brackets, be a capitalised name holding an organisation word
  (an acronym of another language: "the National Union of Teachers (SNES)");
* **names** headed by organisation words (`HEAD_WORDS`: Fédération, Union, Mutual,
  Sindicato, Ministry, Programme, Network …): runs of capitalised words joined by
  lower-case connectors ("de", "of", "des", "y"), holding such a word and one word
  that is neither an organisation word nor a generic qualifier ("Executive
  Committee", "National Union" name nobody in particular). The same proper words
  under translated organisation words are one name ("Steve Sinnott Foundation",
  "Fondation Steve Sinnott");
* **acronyms** standing alone in running text, which nobody defines;
* **names a classifying noun introduces**, the author saying what kind of organisation
  they are: "the NGO Open Hands", "l'association Jeunes Solidaires", "the Bright
  Harbour association", "HORIZON, an international organisation that …".

An acronym and the long names it is defined with (in any language) make one
organisation; an article naming any of them gets it as a partner. Well-evidenced
discoveries go into the partner facet (`auto`), the others are only `proposed`
(thresholds below). `search-service corpus organisations` lists both; `--accept` /
`--reject` write an editor's decision into the vocabulary, which wins over discovery.

Noise is kept out by rules, never by lists of pages: month names and headings in
capitals (a common word in capitals, a run of capitals with function words: "NEWS OF
THE NETWORK"), people's names in capitals (a run of capitals without function words,
"JEAN DUPONT"; a word in capitals next to a first name or a civility, "Jean DUPONT",
"M. DUPONT", "DUPONT Jean"), country names and ISO codes (the vocabulary's), the
`not_organisations` of partners.yaml (generic acronyms: UHC, NGO, HIV …, and generic
bodies), its `ignore` list (the network itself), roles before a name ("President of
the …"), the names of projects, events and documents ("the SACHA project", "General
Meeting of …"), title-case headings (a capitalised "Of" or "De" inside a run), and
the article's title, in title case on English pages.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import yaml

from search_service.articles import Article
from search_service.ingest.vocabulary import ORGANISATION_WORDS, Vocabulary, words_of
from search_service.ingest.word_lists import word_zipf
from search_service.text import NAME_CONNECTORS, WORD_PATTERN, fold, fold_same_length

# ---- thresholds ---------------------------------------------------------------------------

#: An acronym defined once ("Long Name (ACR)") is a partner from that one article: the
#: author spelt the organisation out, the best evidence a text gives.
DEFINITION_MIN_ARTICLES: Final = 1
#: A name headed by an organisation word but never defined must be written the same way
#: (or translated: "Fondation X" / "X Foundation") in this many articles: in one article
#: it may be a one-off or a heading in title case; two articles make it a name.
NAME_MIN_ARTICLES: Final = 2
#: An acronym that nobody defines, standing alone in running text (not in a heading, not
#: a person's name, not a project's), in this many articles. One: the site names most
#: of its members and partners by acronym only, often once; the rules on the acronym
#: itself (`UNDEFINED_ACRONYM_MIN_LETTERS`, `COMMON_WORD_ZIPF`, country codes,
#: `not_organisations`) and on where it stands keep the noise out.
ACRONYM_MIN_ARTICLES: Final = 1
#: A word in capitals this common in English, French or Spanish (wordfreq's Zipf scale:
#: 4.2 is about 16 uses per million words: "CONTACT", "MARS", "JEAN", "CARE") is a word
#: shouted, not an acronym, unless a definition says otherwise. Acronyms that are also
#: written as words (UNESCO 4.0, CGT 4.0, UNSA 3.1) stay below it.
COMMON_WORD_ZIPF: Final = 4.2
#: Letters needed by an acronym that nobody defines: two-letter ones are codes, units,
#: initials ("AG", "CA", "TV").
UNDEFINED_ACRONYM_MIN_LETTERS: Final = 3
#: Long names of more significant words than this are sentences or headings.
NAME_MAX_WORDS: Final = 14
#: A country's or a nationality's word has at least this many letters (codes such as "is",
#: "as", "de" are words of the three languages too).
NATIONALITY_MIN_LETTERS: Final = 4
#: A name a classifying noun introduces ("the NGO Aide Directe") has at most this many words.
CLASSIFIED_MAX_WORDS: Final = 5
#: An acronym has at most this many characters (hyphenated parts included: "MUGEF-CI").
ACRONYM_MAX_CHARS: Final = 16
#: Runs of words around organisation words whose reading is remembered, at most.
_RUN_MEMO_LIMIT: Final = 100_000
#: The example sentence shown to editors is cut to this many characters.
EXAMPLE_MAX_CHARS: Final = 220

Status = Literal["auto", "proposed"]
Evidence = Literal["definition", "classified", "repeated", "proper", "acronym", "single"]

# ---- words ----------------------------------------------------------------------------------


def _folded_set(words: str) -> frozenset[str]:
    """The words folded and in lower case with their accents: a written word's `.lower()`
    is looked up directly (folding every word read would cost more than the reading)."""
    return frozenset(form for w in words.split() for form in (fold(w), w.lower()))


#: Organisation words that head a name worth discovering, one family per line (the same
#: word in English, French and Spanish: names translated under them are one). Narrower
#: than the vocabulary's `ORGANISATION_WORDS` (which says how a partner is written):
#: schools, offices, groups and centres are named in passing more than as partners.
_HEAD_FAMILIES: Final = (
    "mutual mutuals mutuality mutualities mutuelle mutuelles mutualité mutualités mutualidad "
    "mutualidades mutua mutuas",
    "union unions unión uniones",
    "association associations asociación asociaciones",
    "federation fédération federación federations fédérations federaciones",
    "confederation confédération confederación",
    "syndicat syndicats sindicato sindicatos",
    "university université universidad",
    "institute institut instituto",
    "foundation fondation fundación",
    "organisation organization organización",
    "ministry ministère ministerio",
    "bank banque banco",
    "cooperative coopérative cooperativa cooperatives coopératives cooperativas",
    "council conseil consejo",
    "agency agence agencia",
    "programme program programa",
    "society société sociedad societies sociétés sociedades",
    "fund fonds fondo",
    "alliance alianza",
    "caisse caja",
    "network réseau red networks réseaux redes",
    "league ligue liga",
    "movement mouvement movimiento",
    "coalition coalición",
    "centrale",
    "partnership partenariat",
    "forum foro",
    "platform plateforme plataforma",
    "observatory observatoire observatorio",
    "commission comisión",
    "trust",
    "chair chaire cátedra",
)
_FAMILY: Final[dict[str, int]] = {
    fold(word): number for number, family in enumerate(_HEAD_FAMILIES) for word in family.split()
}
HEAD_WORDS: Final = frozenset(_FAMILY)
_HEAD_LOWER: Final = HEAD_WORDS | frozenset(w.lower() for f in _HEAD_FAMILIES for w in f.split())
#: Words that qualify an organisation word without naming anyone: a name made only of
#: these and organisation words ("National Union", "Executive Committee") is generic.
_QUALIFIERS: Final = _folded_set(
    """
    national nationale nacional nationales nacionales international internationale
    internacional general générale generale executive exécutif exécutive ejecutivo ejecutiva
    steering technical technique técnico técnica scientific scientifique científico
    regional régional régionale local locale federal fédéral fédérale public publique
    público pública central world mondial mondiale mundial global new nouveau nouvelle
    nuevo nueva social sociale permanent permanente joint mixte mixto director directeur
    directrice directivo directiva directors board bureau comité committee comite
    administration administración directorio annual annuel annuelle anual special spécial
    especial extraordinary extraordinaire extraordinaria ordinary ordinaire ordinaria
    """
)
#: A name opening or closing with one of these names an event, a body of another
#: organisation, a document or a project: "General Meeting of …", "Mutuality Month".
_NOT_BODIES: Final = _folded_set(
    """
    assembly assemblée asamblea meeting meetings réunion reunión rencontre encuentro
    congress congrès congreso conference conférence conferencia summit sommet cumbre
    session séance sesión board committee comité comite day days journée journées día
    días week semaine semana month mois mes year année año webinar webinaire seminar
    séminaire seminario workshop atelier taller festival award prix premio report
    rapport informe barometer baromètre barómetro survey enquête encuesta study étude
    estudio campaign campagne campaña project projet proyecto plan strategy stratégie
    estrategia law loi ley decree décret decreto kit guide guía newsletter lettre boletín
    articles statutes statuts estatutos
    """
)
#: Nouns that make the acronym beside them the name of a thing, not of an organisation
#: ("the SACHA project", "le projet SACHA", "the I-BEST barometer").
_THING_NOUNS: Final = _folded_set(
    """
    project projects projet projets proyecto proyectos barometer baromètre barómetro
    survey enquête encuesta study étude estudio campaign campagne campaña plan day
    journée día week semaine semana conference conférence conferencia congress congrès
    congreso webinar webinaire seminar séminaire seminario workshop atelier taller
    report rapport informe kit guide guía app application aplicación platform
    plateforme plataforma tool outil herramienta method méthode método award prix premio
    festival festivals festivales game jeu juego film films película device dispositif
    dispositivo
    """
)
#: A person's role before a name ("President of the …", "Secretary General of …").
_ROLES: Final = _folded_set(
    """
    president président présidente presidente vice chair chairman chairwoman chairperson secretary
    secrétaire secretario secretaria general général générale treasurer trésorier
    trésorière tesorero tesorera director directeur directrice directora minister ministre
    ministro ministra deputy adjoint adjointe member membre miembro head chef jefe jefa
    representative représentant représentante representante coordinator coordinateur
    coordinatrice coordinador coordinadora officer delegate délégué déléguée delegado
    delegada founder fondateur fondatrice fundador fundadora manager executive
    professor professeur profesor profesora
    """
)
#: Civilities before a surname ("M. DUPONT", "Dr TRAORE").
_CIVILITIES: Final = frozenset("m mr mrs ms mme mlle dr pr prof sr sra srta don dona".split())  # noqa: SIM905
#: Words in capitals that make a heading of a run of capitals ("NEWS OF THE CSMF"): a run
#: of capitals with none of them ("JEAN DUPONT", "MOUSSA OUEDRAOGO") is a person's name.
_FUNCTION_WORDS: Final = frozenset(
    """
    the of and for to in on at with by from a an de des du la le les et pour sur avec dans
    par en au aux y el los las del con para por al sobre un une una
    """.split()  # noqa: SIM905
)
_MONTHS: Final = _folded_set(
    """
    january february march april may june july august september october november december
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
    """
)
_CONNECTORS: Final = NAME_CONNECTORS
_CONNECTORS_LOWER: Final = NAME_CONNECTORS | frozenset(("à", "&"))
_CONJUNCTIONS: Final = frozenset(("and", "et", "y", "e", "&"))
_ARTICLES: Final = frozenset("the a an la le les l el los las un une una".split())  # noqa: SIM905
_ARTICLES_LOWER: Final = _ARTICLES
#: Prepositions of place after an organisation word end its name ("… in Dakar", "… à Lomé").
_PLACE_PREPOSITIONS: Final = frozenset(("in", "en", "à", "at", "au", "aux"))
_MINISTRIES: Final = _folded_set("ministry ministère ministerio")
#: Organisation words that are also adjectives ("l'Afrique centrale"): heads only first.
_HEAD_FIRST_ONLY: Final = _folded_set("centrale")
#: Common nouns that say what kind of organisation the name beside them is, in lower case
#: (the noun, not a word of the name): "the NGO Aide Directe", "l'association Jeunes
#: Debout", "the Jeunes Debout association", "ESPOIR, an international organisation …".
#: The author classifying a name is evidence of its own, as a definition is.
_CLASSIFIER_WORDS: Final = (
    *("NGO", "ONG", "ONGD", "INGO", "ngo", "association", "asociación", "associação"),
    *("foundation", "fondation", "fundación", "mutual", "mutuelle", "mutua", "union"),
    *("syndicat", "sindicato", "federation", "fédération", "federación", "network", "réseau"),
    *("cooperative", "coopérative", "cooperativa"),
)
_CLASSIFIERS: Final = _folded_set(" ".join(_CLASSIFIER_WORDS))
#: After the name, in English ("the Jeunes Debout association"), these only.
_CLASSIFIERS_AFTER: Final = ("association", "NGO", "ngo", "foundation", "network", "union")
#: Words of a long name that make a definition an organisation's (with the vocabulary's
#: `ORGANISATION_WORDS`): a community of states or of schools ("East African Community").
_DEFINITION_WORDS: Final = ORGANISATION_WORDS | _folded_set(
    "community communities communauté communautés comunidad comunidades"
)
#: Where an apposition that classifies a name ends ("FOO, a network of …", "FOO, une ONG
#: qui …"): its last word before these is its noun.
_APPOSITION_ENDS: Final = _folded_set(
    """
    that which who whose where qui que dont où quien quienes cuyo cuya donde in at for with of
    from by to based on en à au aux de du des del para por con sur dans pour avec
    """
)
_APPOSITION_OPENS: Final = _folded_set("a an the un une una el la le l")
APPOSITION_MAX_WORDS: Final = 8

# ---- patterns -------------------------------------------------------------------------------

_PART = r"[A-Z][A-Z0-9&]*[A-Z0-9]"
#: An acronym as written in running text: capitals (ASCII: words in capitals with accents
#: are headings), digits, "&", hyphenated parts ("MUGEF-CI"), or two acronyms joined by a
#: slash, one organisation's in two languages or a branch and its parent ("CTF/FCE").
_ACRONYM_TEXT = (
    rf"{_PART}(?:-[A-Z0-9]+)*(?:/{_PART}(?:-[A-Z0-9]+)*)?(?:-[A-ZÀ-Þ][a-zà-ÿ]+(?![\w-]))?"
)
#: The short form in brackets may also be a capitalised word ("(Colacot)").
_SHORT_IN_BRACKETS = re.compile(r"\(\s*([A-Z][A-Za-z0-9&]*(?:[-/][A-Za-z0-9]+)*)\s*[),;]")
_ACRONYM_THEN_BRACKETS = re.compile(rf"(?<![\w&/-])({_ACRONYM_TEXT})[ \t]*\(([^()\n]{{4,200}})\)")
#: A short name written as a word, then its long name in brackets ("Alcona (…)").
_WORD_THEN_BRACKETS = re.compile(r"(?<![\w&/-])([A-Z][a-z][a-z0-9]{2,})[ \t]*\(([^()\n]{4,200})\)")
_WORD = re.compile(WORD_PATTERN)
_TOKEN_SPLIT = re.compile(f"({WORD_PATTERN})")
_CLAUSE_END = re.compile(r"[,;:.!?()\[\]\n\"“”«»|]|\s[–—-]\s")
_CLAUSE_BEFORE = re.compile(r"[.;:!?()\[\]\n\"“”«»|]|,\s|\s[–—-]\s")
_SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+|\n")
_ROMAN = re.compile(r"[IVXLCDM]+")
_POSSESSIVE = re.compile(r"['’]s$")
_PREVIOUS_WORD = re.compile(r"([^\W\d_][\w'’-]*\.?)[ \t]+$")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_][\w'’-]*)")
#: A noun, a preposition (and an article) and a word before a name: "festival des
#: solidarités", "festival of the city", "projet d'éducation".
_UPPER = "A-ZÀ-ÖØ-Þ"
#: Determiners before a classifying noun: "the NGO …", "l'ONG …", "de la fundación …".
_DETERMINERS: Final = _folded_set(
    "the a an this its their our la le un une du au cette notre leur el una del al su nuestra"
)
#: A classifying noun and a capitalised word after it, maybe after one lower-case
#: adjective: "the NGO Aide", "l'ONG nantaise ESPOIR" (starting at a space, an apostrophe
#: or a bracket: a pattern that starts with an alternation is tried at every position).
_CLASSIFIER_THEN_CAPITAL = re.compile(
    rf"[ \t'’(]({'|'.join(_CLASSIFIER_WORDS)})"
    rf"(?:[ \t]+[^\W\d_{_UPPER}]+)?[ \t]+(?:&[ \t]+)?[{_UPPER}]"
)
#: A capitalised word and a classifying noun after it: "the Jeunes Debout association".
_CAPITAL_THEN_CLASSIFIER = re.compile(
    rf"[{_UPPER}][\w'’-]*[ \t]+({'|'.join(_CLASSIFIERS_AFTER)})(?![\w-])"
)
_THING_AND_COMPLEMENT = re.compile(
    r"([^\W\d_]+)[ \t]+(?:of|de|des|du|del|d['’])[ \t]*(?:(?:the|la|el|l['’])[ \t]*)?"
    r"([^\W\d_]+)[ \t]+$"
)


# ---- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """One organisation found in the corpus, with every way it was written."""

    canonical: str
    acronyms: tuple[str, ...]
    names: tuple[str, ...]
    articles: int
    example: str
    evidence: Evidence
    status: Status
    extends: str | None = None
    """The curated partner this adds names to (its `canonical`), if any."""
    ids: tuple[str, ...] = ()
    """The articles naming it: those it was seen in, or (auto) those that got it."""

    @property
    def forms(self) -> tuple[str, ...]:
        return (*self.acronyms, *self.names)

    def entry(self) -> dict[str, Any]:
        """The organisation as an entry of partners.yaml (`discovered.yaml`)."""
        entry: dict[str, Any] = {"canonical": self.partner}
        acronyms = [a for a in self.acronyms if a.upper() == a]
        exact = [a for a in self.acronyms if a.upper() != a]
        if acronyms:
            entry["acronyms"] = acronyms
        if exact:
            entry["exact"] = exact
        if self.names:
            entry["names"] = list(self.names)
        return entry

    @property
    def partner(self) -> str:
        """The partner facet's value for it."""
        return self.extends or self.canonical

    def as_json(self) -> dict[str, Any]:
        return {
            "canonical": self.canonical,
            "acronyms": list(self.acronyms),
            "names": list(self.names),
            "articles": self.articles,
            "article_ids": list(self.ids),
            "example": self.example,
            "evidence": self.evidence,
            "status": self.status,
            "extends": self.extends,
        }


@dataclass
class Discovery:
    """What the corpus-wide pass found: auto first, stronger evidence first."""

    organisations: list[Organisation] = field(default_factory=list)
    capitalised: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    """Article id -> its capitalised words (lower case), as read by the discovery."""

    @property
    def auto(self) -> list[Organisation]:
        """Well-evidenced: they go into the partner facet."""
        return [o for o in self.organisations if o.status == "auto"]

    @property
    def proposed(self) -> list[Organisation]:
        """Weak evidence: shown to editors, never indexed until accepted."""
        return [o for o in self.organisations if o.status == "proposed"]

    def document(self) -> dict[str, Any]:
        """The auto organisations as a partners.yaml document (`discovered.yaml`)."""
        return {"partners": [o.entry() for o in self.auto]}

    def find(self, name: str) -> Organisation | None:
        """The organisation whose canonical, acronym or name `name` is (folded)."""
        key = fold(name.strip())
        for organisation in self.organisations:
            if key in {fold(f) for f in (organisation.canonical, *organisation.forms)}:
                return organisation
        return None


#: What a generation's `discovered.yaml` says of itself.
DISCOVERED_HEADER: Final = (
    "# Organisations discovered in the corpus by the build that made this generation\n"
    "# (search_service.ingest.organisations). Written by the build, read by the search\n"
    "# below the curated files; accept or reject them with `search-service corpus\n"
    "# organisations`, which writes the corpus's vocabulary/partners.yaml.\n"
)


def discovered_file(discovery: Discovery) -> bytes:
    """The auto organisations as the text of `discovered.yaml` (partners.yaml's shape)."""
    body = yaml.safe_dump(discovery.document(), allow_unicode=True, sort_keys=False, width=4096)
    return (DISCOVERED_HEADER + body).encode("utf-8")


# ---- what one article says ------------------------------------------------------------------

#: Where a name was read: (in the title?, start, end); the example sentence is cut from
#: there at the end, once per organisation.
Where = tuple[bool, int, int]


@dataclass
class _Sighting:
    """How an acronym stood in one article: at least once in running text, in a heading
    in capitals, beside the noun of a thing ("the SACHA project")."""

    where: Where
    alone: bool = False
    heading: bool = False
    thing: bool = False
    classified: bool = False


@dataclass
class _Seen:
    """The evidence of one article."""

    definitions: list[tuple[str, str, Where]] = field(default_factory=list)
    """(acronym, long name, where)."""
    names: dict[tuple[str, ...], tuple[str, Where]] = field(default_factory=dict)
    """name words -> (as written, where)."""
    within: set[tuple[str, ...]] = field(default_factory=set)
    """The names seen inside a sentence at least once (not opening it)."""
    acronyms: dict[str, _Sighting] = field(default_factory=dict)
    capitalised: set[str] = field(default_factory=set)
    """Every capitalised word and acronym, in lower case: what discovered names start from."""
    classified: dict[str, Where] = field(default_factory=dict)
    """Names and acronyms a classifying noun says are organisations -> where."""


#: Capitalised words: acronyms and organisation words are among them (one scan in C;
#: patterns without a word boundary or a look-behind, which would cost twice as much).
_CAPITALISED = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W_]*")
_CAPITALS = re.compile(r"[A-Z][A-Z0-9&]+")
_ACRONYM_AT = re.compile(rf"(?<![\w&/-]){_ACRONYM_TEXT}(?![\w&/]|-\w)")
_AFTER_ACRONYM = re.compile(
    r"[ \t]*(?:(?P<bracket>\()|(?P<dash>[–—:]|-(?=[ \t]))"
    r"|,[ \t]+(?P<article>the|la|le|les|el|los|las|l['’]))"
)


#: What one article says about organisations (`discover` puts them together).
ArticleEvidence = _Seen


class _Reader:
    """Reads one article's text for definitions, names and acronyms."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._candidate: dict[str, bool] = {}
        self._ignored_first_words: frozenset[str] | None = None
        self._runs: dict[tuple[tuple[str, ...], int, bool], tuple[int, int, tuple[str, ...]] | None]
        self._runs = {}
        self._classified_names: dict[str, bool] = {}
        self._nationalities: dict[str, bool] = {}

    def read(self, title: str, body: str) -> _Seen:
        seen = _Seen()
        # The title is read for definitions and acronyms only: English titles are in
        # title case, so any capitalised run there would pass for a name.
        for text, in_title in ((title, True), (body, False)):
            if text:
                if "(" in text:
                    self._short_forms_in_brackets(text, in_title, seen)
                self._capitalised(text, in_title, seen)
        if body:
            self._classified(body, seen)
        return seen

    def _capitalised(self, text: str, in_title: bool, seen: _Seen) -> None:
        """Acronyms and organisation words: the capitalised words are listed in C, and the
        few that matter found again with a pattern made for them."""
        words = _CAPITALISED.findall(text)
        if not words:
            return
        lowered = set(map(str.lower, words))
        seen.capitalised |= lowered
        if any(len(word) > 1 and word.isupper() for word in words):
            done = 0
            for match in _CAPITALS.finditer(text):
                if match.start() < done:
                    continue  # "CI" of "MUGEF-CI"
                acronym = _ACRONYM_AT.match(text, match.start())
                if acronym is not None:
                    done = acronym.end()
                    self._acronym(text, in_title, acronym.group(), match.start(), seen)
        heads = lowered & _HEAD_LOWER
        if heads and not in_title:
            done = 0  # the end of the last name read: organisation words inside it are done
            for start, end in _occurrences(text, heads):
                if start >= done:
                    done = self._name(text, start, end, seen)

    # -- definitions --

    def _short_forms_in_brackets(self, text: str, in_title: bool, seen: _Seen) -> None:
        """ "Long Name (ACR)", and a short name written as a word before its long name in
        brackets: "Alcona (National Cooperative Alliance of Mexico)"."""
        for match in _SHORT_IN_BRACKETS.finditer(text):
            short = match.group(1)
            if _short_form(short):
                before = text[max(0, match.start() - 300) : match.start()]
                name = _long_form_before(short, before)
                if name is not None:
                    _define(seen, short, name, (in_title, match.start(), match.end()))
        for match in _WORD_THEN_BRACKETS.finditer(text):
            short = match.group(1)
            previous = _previous_word(text, match.start())
            if previous and _first_name(previous, self.vocabulary):
                continue  # "Jane Dupuis (Mutual Insurance)": a surname, and her portfolio
            if _short_form(short):
                name = _name_inside(short, match.group(2))
                if name is not None:
                    _define(seen, short, name, (in_title, match.start(), match.end()))

    def _definition_after(
        self, text: str, in_title: bool, acronym: str, start: int, seen: _Seen
    ) -> None:
        """ "ACR (Long Name)", "ACR – Long Name", "ACR: Long Name", "ACR, the Long Name"."""
        after = _AFTER_ACRONYM.match(text, start + len(acronym))
        if after is None:
            return
        if after.group("bracket"):
            match = _ACRONYM_THEN_BRACKETS.match(text, start)
            if match is None:
                return
            # "PASS (Programme to Support … – Programme d'Appui …)": one name per language
            for inside in re.split(r"\s[–—/-]\s", match.group(2)):
                name = _name_inside(acronym, inside)
                if name is not None:
                    _define(seen, acronym, name, (in_title, start, match.end()))
            return
        clause = _CLAUSE_END.split(text[after.end() : after.end() + 200], maxsplit=1)[0]
        name = _long_form_after(acronym, clause)
        if name is not None:
            _define(seen, acronym, name, (in_title, start, after.end() + len(clause)))

    # -- acronyms --

    def _acronym(self, text: str, in_title: bool, written: str, start: int, seen: _Seen) -> None:
        self._definition_after(text, in_title, written, start, seen)
        for acronym, begin, end in _acronym_parts(written, start, self.vocabulary):
            if len(acronym) > ACRONYM_MAX_CHARS:
                continue
            sighting = seen.acronyms.get(acronym)
            if sighting is None:
                sighting = seen.acronyms[acronym] = _Sighting((in_title, begin, end))
            if end == start + len(written) and not in_title:
                kind = _apposition_kind(text, end)
                if kind == "thing":
                    sighting.thing = True
                elif kind == "organisation" and self._classifiable(acronym):
                    seen.classified.setdefault(acronym, (in_title, begin, end))
            if sighting.alone or not self._may_stand_alone(acronym):
                continue  # where it stands changes nothing (known, generic, a code …)
            place = _place(text, begin, end, self.vocabulary)
            if place == "alone":
                sighting.alone, sighting.where = True, (in_title, begin, end)
            sighting.heading = sighting.heading or place == "heading"
            sighting.thing = sighting.thing or place == "thing"

    def _may_stand_alone(self, acronym: str) -> bool:
        """Could this acronym, undefined, be an organisation of its own? (memoised)"""
        known = self._candidate.get(acronym)
        if known is None:
            known = self._candidate[acronym] = _possible_acronym(acronym, self.vocabulary)
        return known

    # -- names classified by a noun --

    def _classified(self, text: str, seen: _Seen) -> None:
        """Names that a classifying noun before ("the NGO Aide Directe", "l'ONG nantaise
        ESPOIR") or after them ("the Jeunes Debout association") says are organisations.
        The noun has its determiner (a word list's "association Dakar" classifies
        nothing); a social network is a platform ("the social network Facebook"). Two scans in C
        find the few places where a capitalised word is beside such a noun."""
        for match in _CLASSIFIER_THEN_CAPITAL.finditer(text):
            if _determined(text, match.start(1)):
                self._named_after(text, match.end(1), seen)
        for match in _CAPITAL_THEN_CLASSIFIER.finditer(text):
            self._named_before(text, match.start(1), seen)

    def _named_after(self, text: str, end: int, seen: _Seen) -> None:
        """ "the NGO Aide Directe", "l'ONG nantaise ESPOIR": the name after the noun."""
        run: list[Token] = []
        pending: list[Token] = []
        position = end
        adjective = False
        while len(run) < CLASSIFIED_MAX_WORDS:
            match = _NEXT_TOKEN.match(text, position)
            if match is None or (not run and match.group(1).strip() not in ("", "&")):
                break
            word = match.group(2)
            if word[:1].isupper():
                run += [*pending, (word, match.start(2))]
                pending = []
            elif not run and not adjective and _first_word_adjective(word, self.vocabulary):
                adjective = True  # "l'ONG nantaise ESPOIR": the noun's adjective
            elif run and word.lower() in _PLACE_PREPOSITIONS:
                break  # "la fundación Manos Abiertas en Cali": where it is, not its name
            elif run and _may_join(pending, word.lower()):
                pending.append((word, match.start(2)))
            else:
                break
            position = match.end()
        capitals = next((k for k, (w, _) in enumerate(run) if _in_capitals(w)), None)
        if capitals is not None:
            run = run[capitals : capitals + 1]  # "l'ONG Nantaise ESPOIR": the shouted name
        self._keep_classified(text, run, seen)

    def _named_before(self, text: str, start: int, seen: _Seen) -> None:
        """ "the Jeunes Debout association": two capitalised words or one in capitals, after
        an article (English writes the kind after the name)."""
        run: list[Token] = []
        position = start
        while len(run) < CLASSIFIED_MAX_WORDS:
            previous = _previous_token(text, position)
            if previous is None or not previous[0][:1].isupper():
                break
            if previous[0].lower() in ("the", "a", "an"):
                break  # "The Bright Harbour association …" opening a sentence
            run.insert(0, previous)
            position = previous[1]
        article = _previous_token(text, position)
        if not run or article is None or article[0].lower() not in ("the", "a", "an"):
            return
        if len(run) >= 2 or _in_capitals(run[0][0]):
            self._keep_classified(text, run, seen)

    def _keep_classified(self, text: str, run: Sequence[Token], seen: _Seen) -> None:
        if not run:
            return
        start, end = run[0][1], run[-1][1] + len(run[-1][0])
        name = text[start:end]
        keep = self._classified_names.get(name)
        if keep is None:
            keep = self._classified_names[name] = self._may_be_classified(name, run)
        if keep:
            seen.classified.setdefault(name, (False, start, end))

    def _may_be_classified(self, name: str, run: Sequence[Token]) -> bool:
        """Is this name, which a classifying noun introduces, an organisation's we may name?
        (memoised: the same names come back all over a corpus)"""
        words = [w for w, _ in run]
        if len(words) == 1 and not self._classifiable(name):
            return False
        lower = [w.lower() for w in words]
        if any(w in _ROLES or w in _MONTHS or w in _NOT_BODIES for w in lower):
            return False  # "the union President", "the association's Annual Meeting"
        if all(w in _QUALIFIERS or w in _HEAD_LOWER or w in _CONNECTORS_LOWER for w in lower):
            return False  # "the union General Council": generic
        vocabulary = self.vocabulary
        if any(_nationality(w, vocabulary) for w in words):
            return False  # "the NGO Plan Togo": the country's branch or a place, not ours
        if vocabulary.canonical("country", name) is not None:
            return False  # a country, misspelt ("Bukina Faso")
        if vocabulary.known_name("partner", name) or vocabulary.is_ignored(name):
            return False
        return not (vocabulary.is_not_organisation(name) or vocabulary.names_ignored(name))

    def _classifiable(self, word: str) -> bool:
        """Could this one word, classified by a noun, be an organisation's name? Not a known
        or generic name, a code, a country, a month or a role (a common word may: an NGO
        called "Espoir" is written "the NGO ESPOIR")."""
        vocabulary = self.vocabulary
        if vocabulary.known_name("partner", word) or vocabulary.is_ignored(word):
            return False
        if vocabulary.is_not_organisation(word) or vocabulary.known_name("country", word):
            return False
        letters = sum(ch.isalpha() for ch in word)
        folded = fold(word)
        if letters < UNDEFINED_ACRONYM_MIN_LETTERS or _ROMAN.fullmatch(word):
            return False
        return not (folded in _MONTHS or folded in _ROLES or folded in _QUALIFIERS)

    # -- names --

    def _name(self, text: str, start: int, end: int, seen: _Seen) -> int:
        """Reads the name around the organisation word at text[start:end]; where it ends.

        The same runs of words come back all over a corpus: what a run holds is worked
        out once (`_read_run`) and remembered.
        """
        run = _run_around(text, start, end)
        nationality = self._nationality_after(text, run)
        if nationality is not None:
            run.append(nationality)  # "la Ligue de l'Enseignement luxembourgeoise"
        if len(run) < 2:
            return end
        raws = tuple(word for word, _ in run)
        head = next(k for k, (_, offset) in enumerate(run) if offset == start)
        opens = _opens_sentence(text, run[0][1])
        key = (raws, head, opens)
        if key not in self._runs:
            if len(self._runs) > _RUN_MEMO_LIMIT:
                self._runs.clear()
            self._runs[key] = self._read_run(raws, head, opens)
        found = self._runs[key]
        if found is None:
            return end
        first, last, words = found
        name_end = run[last][1] + len(raws[last])
        if words not in seen.names:
            seen.names[words] = (text[run[first][1] : name_end], (False, run[first][1], name_end))
        if first > 0 or not opens:
            seen.within.add(words)
        return name_end  # a list of names: the next one is read on its own

    def _read_run(
        self, raws: tuple[str, ...], head: int, opens: bool
    ) -> tuple[int, int, tuple[str, ...]] | None:
        """(first word, last word, words) of the name in a run, or None when it holds none
        (or when the organisation word belongs to a name the vocabulary lists: "West African
        Economic and Monetary Union" holds no "Monetary Union")."""
        if self._in_a_known_name(raws, head, whole=not raws[-1][:1].isupper()):
            return None
        span = _name_in_run(raws, head, opens)
        if span is None:
            return None
        first, last = span
        name = " ".join(raws[first : last + 1])
        if not _a_name(name):
            return None
        if self._may_be_ignored(raws) and self.vocabulary.names_ignored(" ".join(raws)):
            return None  # "the Education and Solidarity Network": the network itself
        return first, last, words_of(name)

    def _in_a_known_name(self, raws: Sequence[str], head: int, whole: bool = False) -> bool:
        """Does a name the vocabulary lists hold the organisation word? `whole`: the run ends
        with a nationality, which the listed name must hold too ("la Mutualité française"
        is the listed one; "la Ligue de l'Enseignement luxembourgeoise" is not the French
        "Ligue de l'enseignement" but a national league of its own)."""
        text = " ".join(raws)
        start = sum(len(word) + 1 for word in raws[:head])
        return any(
            m.kind == "partner"
            and m.start <= start < m.end
            and m.end - m.start > len(raws[head])
            and (not whole or m.end == len(text))
            for m in self.vocabulary.match_names(text, prose=True)
        )

    def _nationality_after(self, text: str, run: Sequence[Token]) -> Token | None:
        """A nationality written in lower case right after a name (French and Spanish put it
        there: "Ligue de l'Enseignement luxembourgeoise", "Liga de Maestros chilena")."""
        last, offset = run[-1]
        match = _NEXT_TOKEN.match(text, offset + len(last))
        if match is None or match.group(1) != " ":
            return None
        word = match.group(2)
        if not word[:1].islower():
            return None
        nationality = self._nationalities.get(word)
        if nationality is None:
            nationality = self._nationalities[word] = _nationality(word, self.vocabulary)
        if not nationality:
            return None
        return word, match.start(2)

    def _may_be_ignored(self, raws: Sequence[str]) -> bool:
        """Does the run hold a word that opens a phrase the vocabulary ignores? (quick test)"""
        if self._ignored_first_words is None:
            self._ignored_first_words = self.vocabulary.ignored_first_words()
        return any(word.lower() in self._ignored_first_words for word in raws)


def _occurrences(text: str, heads: Iterable[str]) -> list[tuple[int, int]]:
    """Where the organisation words stand in `text`, capitalised or in capitals, as words.

    `str.find` for each (an article holds one to three): far quicker than one pattern of
    alternatives run over the whole text.
    """
    found: list[tuple[int, int]] = []
    for head in heads:
        for form in {head.capitalize(), head.upper()}:
            position = text.find(form)
            while position >= 0:
                end = position + len(form)
                before = text[position - 1] if position else " "
                after = text[end] if end < len(text) else " "
                if not (before.isalnum() or before in "'’-" or after.isalnum() or after == "-"):
                    found.append((position, end))
                position = text.find(form, end)
    return sorted(found)


def _define(seen: _Seen, short: str, name: str, where: Where) -> None:
    name = _without_place(name)
    if short != name and not _in_capitals(name.replace(" ", "")):
        seen.definitions.append((short, name, where))


def _example(article: Article, where: Where) -> str:
    in_title, start, end = where
    return _sentence_at(article.title if in_title else article.body, start, end)


def _sentence_at(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end], cut to `EXAMPLE_MAX_CHARS` around it."""
    left = 0
    for match in _SENTENCE_BOUNDARY.finditer(text, max(0, start - 400), start):
        left = match.end()
    right_match = _SENTENCE_BOUNDARY.search(text, end)
    right = right_match.start() if right_match else len(text)
    sentence = " ".join(text[left:right].split())
    if len(sentence) <= EXAMPLE_MAX_CHARS:
        return sentence
    middle = min((start - left) + (end - start) // 2, len(sentence))
    first = max(0, min(middle - EXAMPLE_MAX_CHARS // 2, len(sentence) - EXAMPLE_MAX_CHARS))
    last = first + EXAMPLE_MAX_CHARS
    cut = sentence[first:last].strip()
    return ("…" if first else "") + cut + ("…" if last < len(sentence) else "")


# ---- definitions ------------------------------------------------------------------------------


def _without_place(name: str) -> str:
    """The name without the place written after its organisation word ("Mutual General de
    la Educación Nacional en Francia": where it is, not its name)."""
    words = list(_WORD.finditer(name))
    lower = [w.group().lower() for w in words]
    head = next((k for k, w in enumerate(lower) if w in _HEAD_LOWER), None)
    if head is None:
        return name
    for k in range(head + 1, len(words) - 1):
        if lower[k] in _PLACE_PREPOSITIONS and words[k + 1].group()[:1].isupper():
            return _clean_name(name[: words[k].start()])
    return name


def _short_form(short: str) -> bool:
    """Can this bracketed word be an acronym or a short name? ("ILO", "SNEA-B", "Colacot")."""
    if len(short) < 2 or len(short) > ACRONYM_MAX_CHARS or _ROMAN.fullmatch(short):
        return False
    capitals = sum(ch.isupper() for ch in short)
    if capitals >= 2:
        return capitals * 2 >= sum(ch.isalpha() for ch in short)
    return len(short) >= 4 and not short[1:].isdigit() and _zipf(fold(short)) == 0


def _spells(short: str, name: str) -> bool:
    """Does `name` spell `short`: its letters in order, the first opening the name?

    Schwartz and Hearst's rule, forwards: "Syndicat national des enseignants" spells
    SNE, "Union Africaine de la Mutualité" spells UAM.
    """
    positions = _spelling(short, name)
    return positions is not None and positions[0] == 0 and _spelt_closely(short, name, positions)


def _spelling(short: str, text: str) -> list[int] | None:
    """Where each letter of `short` is found in the shortest long form ending `text`.

    Schwartz and Hearst's algorithm: the acronym's letters and digits are matched right
    to left against `text` (accents folded), the first one at the start of a word.
    None when `text` does not spell it.
    """
    letters = [fold(ch) for ch in short if ch.isalnum()]
    if not letters:
        return None
    folded = fold_same_length(text)
    positions: list[int] = []
    position = len(folded) - 1
    for index in range(len(letters) - 1, -1, -1):
        wanted = letters[index]
        while position >= 0:
            if folded[position] == wanted and (
                index > 0 or position == 0 or not folded[position - 1].isalnum()
            ):
                break
            position -= 1
        if position < 0:
            return None
        positions.append(position)
        position -= 1
    return positions[::-1]


def _spelt_closely(short: str, text: str, positions: Sequence[int]) -> bool:
    """Do most words of the long form give the acronym a letter? A sentence does not:
    "Presidente Macky Sall lanzó oficialmente la CSU…" spells PASS, loosely."""
    unused = 0
    for word in _WORD.finditer(text, positions[0]):
        if fold(word.group()) in _CONNECTORS:
            continue
        if not any(word.start() <= p < word.end() for p in positions):
            unused += 1
    return unused <= 1 + len(short) // 4


def _long_form_before(short: str, before: str) -> str | None:
    """The long name written just before "(ACR)", or None.

    The clause before the bracket is searched for the shortest long form spelling the
    acronym (Schwartz–Hearst, within `len(ACR) + 5` words), widened over capitalised
    words directly before it ("International" in "the International Association of
    Mutuality (AIM)"). Failing that, a capitalised name holding an organisation word
    that ends at the bracket counts: an acronym of another language ("the National
    Union of Teachers (SNES)").
    """
    clause = _CLAUSE_BEFORE.split(before)[-1].rstrip()
    words = list(_WORD.finditer(clause))
    if not words:
        return None
    limit = min(len(short) + 5, 2 * len(short)) + 2
    window_start = words[-limit].start() if len(words) > limit else words[0].start()
    window = clause[window_start:]
    positions = _spelling(short, window)
    if positions is not None and _spelt_closely(short, window, positions):
        name = _clean_name(clause[_widened(clause, window_start + positions[0]) :])
        if name and name[:1].isupper() and _significant_words(name) >= 2:
            return name
    tail = _capitalised_tail(clause)
    if tail is not None:
        name = _clean_name(clause[tail:])
        if name and _capitalised_run(name) and _a_name(name):
            return name
    return None


def _long_form_after(short: str, clause: str) -> str | None:
    """The long name written just after "ACR –", "ACR:" or "ACR, the", or None.

    The shortest start of the clause spelling the acronym (its first letter opening the
    clause), then the capitalised words that follow it ("… Éducateurs du Congo"), and a
    last word or two in lower case ("… de second degré") unless a conjunction shows that
    the sentence goes on ("… du Congo and two others").
    """
    name = _clean_name(clause)
    if not name[:1].isupper():
        return None
    words = list(_WORD.finditer(name))
    for k, word in enumerate(words):  # noqa: B007 (k and word are used after the loop)
        positions = _spelling(short, name[: word.end()])
        if positions is not None and positions[0] == 0:
            if not _spelt_closely(short, name[: word.end()], positions):
                return None
            break
    else:
        return None
    end = word.end()
    rest = [w.group() for w in words[k + 1 :]]
    j = 0
    while j < len(rest):
        lower = rest[j].lower()
        if rest[j][:1].isupper():
            end = words[k + 1 + j].end()
        elif lower not in _CONNECTORS_LOWER or lower in _CONJUNCTIONS:
            break
        j += 1
    tail = [w.lower() for w in rest[j:]]
    if tail and len(tail) <= 2 and not _CONJUNCTIONS.intersection(tail):
        end = words[-1].end()
    return name[:end]


def _widened(clause: str, start: int) -> int:
    """`start` moved left over the capitalised words written directly before it."""
    while True:
        match = _PREVIOUS_WORD.search(clause, max(0, start - 40), start)
        if match is None:
            return start
        word = match.group(1)
        if not word[:1].isupper() or word.endswith(".") or fold(word) in _ARTICLES:
            return start
        if _in_capitals(word) or fold(word) in _ROLES:
            return start
        start = match.start(1)


def _capitalised_tail(clause: str) -> int | None:
    """Where the run of capitalised words (with connectors) that ends `clause` starts."""
    parts = _TOKEN_SPLIT.split(clause)
    raws, gaps = parts[1::2], parts[2::2]
    if not raws or gaps[-1].strip() or not raws[-1][:1].isupper():
        return None
    first = len(raws) - 1
    k = first - 1
    while k >= 0 and _joins(gaps[k]):
        if raws[k][:1].isupper():
            first = k
        elif fold(raws[k]) not in _CONNECTORS or fold(raws[k]) in _CONJUNCTIONS:
            break
        k -= 1
    return len(parts[0]) + sum(len(p) for p in parts[1 : 2 * first + 1])


def _name_inside(short: str, inside: str) -> str | None:
    """ "ACR (Long Name)": the bracket holds one name, spelt or holding an organisation word.

    A language said first is dropped: "CSQ (in French: Centrale des syndicats du Québec)".
    """
    text = inside.rsplit(":", 1)[-1].strip()
    if "," in text or ";" in text:
        return None  # a list or a description, not one name
    name = _clean_name(text)
    if not name or not name[:1].isupper():
        return None
    if _spells(short, name) or (_capitalised_run(name) and _a_name(name)):
        return name
    return None


def _significant_words(name: str) -> int:
    """Words of a name other than connectors ("America" alone spells no "AMA")."""
    return sum(fold(w) not in _CONNECTORS for w in _WORD.findall(name))


def _capitalised_run(name: str) -> bool:
    """Every significant word capitalised: written as a name in any language."""
    return all(w[:1].isupper() or fold(w) in _CONNECTORS for w in _WORD.findall(name))


def _clean_name(text: str) -> str:
    """A name without leading articles, trailing connectors or a possessive "'s"."""
    text = _POSSESSIVE.sub("", text.strip())
    parts = _TOKEN_SPLIT.split(text)
    raws = parts[1::2]
    if not raws:
        return ""
    first, last = 0, len(raws) - 1
    while first < last and fold(raws[first]) in _ARTICLES:
        first += 1
    while last > first and fold(raws[last]) in _CONNECTORS:
        last -= 1
    if last - first + 1 > NAME_MAX_WORDS:
        return ""
    start = len(parts[0]) + sum(len(p) for p in parts[1 : 2 * first + 1])
    end = len(parts[0]) + sum(len(p) for p in parts[1 : 2 * last + 2])
    return " ".join(text[start:end].split())


# ---- names ------------------------------------------------------------------------------------


def _joins(gap: str) -> bool:
    """May the words on both sides of `gap` belong to one name (space, hyphen, apostrophe,
    "&": "Global Health & Education")?"""
    return gap in (" ", "-", "'", "’", " & ") or (0 < len(gap) <= 3 and not gap.strip(" \t'’-"))


_NEXT_TOKEN = re.compile(r"([ \t]+&[ \t]+|[ \t]+|[ \t]*[-'’][ \t]*)([^\W_]+)")
Token = tuple[str, int]  # a word and where it starts


def _run_around(text: str, start: int, end: int) -> list[Token]:
    """The capitalised words around an organisation word, with the connectors between them.

    At most two connectors in a row, the second an article ("of the", "de la", "et de"):
    "Réseau la sur de sur Abidjan" is no name.
    """
    run: list[Token] = [(text[start:end], start)]
    pending: list[Token] = []
    position = end
    while len(run) + len(pending) < 2 * NAME_MAX_WORDS:
        match = _NEXT_TOKEN.match(text, position)
        if match is None:
            break
        word = match.group(2)
        if word[:1].isupper():
            run += [*pending, (word, match.start(2))]
            pending = []
        elif _may_join(pending, word.lower()):
            pending.append((word, match.start(2)))
        else:
            break
        position = match.end()
    pending = []
    position = start
    while len(run) + len(pending) < 2 * NAME_MAX_WORDS:
        previous = _previous_token(text, position)
        if previous is None:
            break
        word, word_start = previous
        if word[:1].isupper():
            run = [(word, word_start), *pending, *run]
            pending = []
        elif _may_join([], word.lower()) and len(pending) < 2:
            pending.insert(0, (word, word_start))
        else:
            break
        position = word_start
    return run


def _previous_token(text: str, end: int) -> Token | None:
    """The word before `end` when a gap that may join two words of a name separates them
    (spaces, a hyphen or an apostrophe, " & "): read backwards by hand, which is quicker
    than a regular expression anchored at the end."""
    k = end
    while k > 0 and text[k - 1] in " \t":
        k -= 1
    if k > 0 and text[k - 1] in "-'’&":
        if text[k - 1] == "&" and k == end:
            return None
        k -= 1
        while k > 0 and text[k - 1] in " \t":
            k -= 1
    elif k == end:
        return None  # no gap: punctuation, or the start of the text
    word_end = k
    while k > 0 and (text[k - 1].isalnum()):
        k -= 1
    if k == word_end:
        return None
    return text[k:word_end], k


def _may_join(pending: Sequence[Token], lower: str) -> bool:
    """May this lower-case word join a name after the connectors already pending?"""
    if lower not in _CONNECTORS_LOWER:
        return False
    if not pending:
        return True
    return len(pending) == 1 and (
        lower in _ARTICLES_LOWER or pending[0][0].lower() in _CONJUNCTIONS
    )


def _name_in_run(raws: Sequence[str], head: int, opens: bool) -> tuple[int, int] | None:
    """The first and last words of the name around the organisation word `raws[head]`;
    None when it is one word. `opens`: the run opens a sentence.

    A list of names is cut (`_one_name_of_a_list`); leading articles, roles ("President
    of the") and connectors go, and a first word whose capital is only the sentence's
    ("Health Ministry officials"); so do a place after the organisation word ("… in
    Dakar") and trailing connectors.
    """
    lower = [word.lower() for word in raws]
    first, last = _one_name_of_a_list(raws, 0, len(raws) - 1, head)
    start = first
    while first < head:
        word = lower[first]
        if word in _ARTICLES_LOWER or word in _ROLES or word in _CONNECTORS_LOWER:
            first += 1  # "the", "President of the"
        elif first == start == 0 and opens and word not in _HEAD_LOWER and _zipf(word) > 0:
            first += 1  # "Said the …", "Health Ministry officials": grammar's capital
        else:
            break
    for k in range(head + 1, last):
        if lower[k] in _PLACE_PREPOSITIONS:
            last = k - 1  # "… Trabajadores in Dakar": where it met, not its name
            break
    while last > head and lower[last] in _CONNECTORS_LOWER:
        last -= 1
    return None if first == last else (first, last)


def _one_name_of_a_list(raws: Sequence[str], first: int, last: int, head: int) -> tuple[int, int]:
    """The name holding the head word, when the run is a list of names.

    "the Solidaris Mutual Society and the Free Mutual Society", "MAADO et de la
    Fédération": a conjunction between two names of their own (two words or more, one an
    organisation word, on each side), before an acronym, or before an article or a
    connector and then an organisation word, separates two names; inside one name it
    does not ("West African Economic and Monetary Union", "Confederation of Worker
    Cooperatives and Mutuals", "Programme for Development and the Social Dialogue").
    """
    for k in range(first + 1, last):
        if raws[k].lower() not in _CONJUNCTIONS:
            continue
        after = raws[k + 1].lower()
        right = [w.lower() for w in raws[k + 1 : last + 1]]
        next_name = right[: next((i for i, w in enumerate(right) if w in _CONJUNCTIONS), None)]
        significant = [w for w in next_name if w not in _CONNECTORS_LOWER]
        head_next = any(w in _HEAD_LOWER for w in significant)
        head_before = any(w.lower() in _HEAD_LOWER for w in raws[first:k])
        own_name = len(significant) >= 2 and head_next and head_before
        acronym = _in_capitals(raws[k + 1])  # "… and UNSA-Education"
        connector = after in _ARTICLES_LOWER or after in _CONNECTORS_LOWER
        if own_name or acronym or (head_next and connector):
            if k < head:
                first = k + 1
            else:
                return first, k - 1
    return first, last


def _opens_sentence(text: str, offset: int) -> bool:
    """Does the word at `offset` open the text, a line or a sentence?"""
    k = offset
    while k > 0 and text[k - 1] in " \t\"'“«(¿¡*•-–—":
        k -= 1
    return k == 0 or text[k - 1] in "\n.!?…:"


def _a_name(name: str) -> bool:
    """Is this run of words an organisation's name, not a heading or a generic body?

    Two significant words at least, one of them an organisation word and one neither
    an organisation word nor a qualifier ("Executive Committee" is generic); no event,
    body or document word at either end ("General Meeting of the Union", "Mutuality
    Month"); no connector written with a capital inside ("Programme Of The Conference"
    is a heading in title case); not all in capitals (a heading); no month.
    """
    raws = _WORD.findall(name)
    lower = [w.lower() for w in raws]  # the word sets hold lower-case and folded forms
    significant = [w for w in lower if w not in _CONNECTORS_LOWER]
    if not 2 <= len(significant) <= NAME_MAX_WORDS:
        return False
    if not any(
        w in _HEAD_LOWER and (w not in _HEAD_FIRST_ONLY or i == 0)
        for i, w in enumerate(significant)
    ):
        return False
    if all(w in _HEAD_LOWER or w in _QUALIFIERS or w in _ROLES for w in significant):
        return False
    if significant[0] in _NOT_BODIES or significant[-1] in _NOT_BODIES:
        return False
    if all(_in_capitals(w) or w.lower() in _CONNECTORS_LOWER for w in raws):
        return False
    if any(w in _MONTHS for w in significant):
        return False
    return not any(w[:1].isupper() and w.lower() in _FUNCTION_WORDS for w in raws[1:])


# ---- acronyms ---------------------------------------------------------------------------------


def _acronym_parts(written: str, start: int, vocabulary: Vocabulary) -> list[tuple[str, int, int]]:
    """ "CTF/FCE" is one organisation's acronym; "RES/FESP", whose part is known, is two.

    A country's name after a hyphen belongs to the acronym ("CEMEA-Haïti", a branch of an
    international movement); another capitalised word does not ("UNSA-Éducation").
    """
    head, _, suffix = written.rpartition("-")
    titled = head and suffix[:1].isupper() and not suffix.isupper()
    if titled and vocabulary.known_name("country", suffix) is None:
        written = head
    if "/" not in written:
        return [(written, start, start + len(written))]
    parts = written.split("/")
    if not any(vocabulary.known_name("partner", p) or vocabulary.is_ignored(p) for p in parts):
        return [(written, start, start + len(written))]
    out = []
    offset = start
    for part in parts:
        out.append((part, offset, offset + len(part)))
        offset += len(part) + 1
    return out


Place = Literal["alone", "heading", "thing", "name"]


def _place(text: str, start: int, end: int, vocabulary: Vocabulary) -> Place:
    """Where a word in capitals stands: alone in running text, in a heading, beside the
    noun of a thing, or in a person's name.

    A heading is a run of capitals with a function word ("THE CSMF MEETS AIM"); a run
    without one is a person's name ("JEAN DUPONT") or a country ("BURKINA FASO"). Next to
    a first name or a civility it is a surname ("Jean DUPONT", "M. DUPONT", and "DUPONT
    Jean", though not after an article: "the CSMF Congress" is the CSMF's). Beside
    "project", "survey", "day" … it names a thing ("the SACHA project", "le projet SACHA"),
    as it does after such a noun and its complement ("le festival des solidarités FESTI").
    """
    previous = _previous_word(text, start)
    following = _following_word(text, end)
    if fold(previous) in _THING_NOUNS or fold(following) in _THING_NOUNS:
        return "thing"
    if previous and _thing_before(text, start):
        return "thing"
    if _in_capitals(previous) or _in_capitals(following):
        run = _capitals_around(text, start, end)
        if _names_a_country(run, vocabulary):
            return "name"
        return "heading" if any(w.lower() in _FUNCTION_WORDS for w in run) else "name"
    if previous and _first_name(previous, vocabulary):
        return "name"
    if following and _first_name(following, vocabulary):
        before = fold(previous)
        return "alone" if before in _ARTICLES or before in _CONNECTORS else "name"
    return "alone"


def _determined(text: str, start: int) -> bool:
    """Does a determiner come right before the noun at `start` ("the NGO", "l'ONG", "de
    la fundación"), or a bracket that opens a list of names with their kinds ("(NGO
    Solidarity Now, …)"), and no "social" ("the social network Facebook" is a platform)?"""
    if text[start - 1] == "(":
        return True
    if text[start - 1] in "'’":
        elided = start >= 2 and text[start - 2] in "lL"
        return elided and (start < 3 or not text[start - 3].isalnum())
    return _previous_word(text, start).lower() in _DETERMINERS


def _thing_before(text: str, start: int) -> bool:
    """Does a thing's noun and its complement come right before `start` ("le festival des
    solidarités FESTI", "the festival of solidarity FESTI", "le projet d'éducation SACHA")?
    Not when the complement is an organisation ("the report of the union NASU" names the
    union)."""
    match = _THING_AND_COMPLEMENT.search(text, max(0, start - 60), start)
    if match is None or fold(match.group(1)) not in _THING_NOUNS:
        return False
    complement = fold(match.group(2))
    return not (complement in _CLASSIFIERS or complement in HEAD_WORDS)


def _previous_word(text: str, start: int) -> str:
    """The word before `start` in the same sentence ("Dr." and "M." end no sentence)."""
    match = _PREVIOUS_WORD.search(text, max(0, start - 40), start)
    if match is None:
        return ""
    word = match.group(1)
    if word.endswith(".") and (len(word) > 4 or _in_capitals(word)):
        return ""
    return word


def _following_word(text: str, end: int) -> str:
    match = _NEXT_WORD.match(text, end)
    return match.group(1) if match else ""


def _apposition_kind(text: str, end: int) -> Literal["thing", "organisation"] | None:
    """What an apposition after a name says it is: "FOO, a diagnostic tool for schools"
    (a thing), "FOO, an international organisation that …" (an organisation), or None.

    The apposition opens with an article and holds lower-case words only (capitals make
    it a long name: "ACR, the Long Name" is a definition); its noun is its last word
    before a relative pronoun or a preposition.
    """
    if not text.startswith(", ", end):
        return None
    words: list[str] = []
    last_end = end + 2
    for match in _WORD.finditer(text, end + 2, min(len(text), end + 2 + 120)):
        if text[last_end : match.start()].strip(" '’-"):
            break  # punctuation: the apposition ends
        word = match.group()
        if not words and word.lower() not in _APPOSITION_OPENS:
            return None
        if words and fold(word) in _APPOSITION_ENDS:
            break
        if word[:1].isupper() or len(words) > APPOSITION_MAX_WORDS:
            return None
        words.append(word)
        last_end = match.end()
    if len(words) < 2:
        return None
    noun = fold(words[-1])
    if noun in _THING_NOUNS:
        return "thing"
    if noun in _CLASSIFIERS or noun in ORGANISATION_WORDS or noun in HEAD_WORDS:
        return "organisation"
    return None


def _nationality(word: str, vocabulary: Vocabulary) -> bool:
    """A country or a nationality written as a word ("luxembourgeoise", "belge", "Togo"),
    not a country's code that is also a short word ("is", "as", "de", "la")."""
    return (
        len(word) >= NATIONALITY_MIN_LETTERS and vocabulary.known_name("country", word) is not None
    )


def _first_word_adjective(word: str, vocabulary: Vocabulary) -> bool:
    """A lower-case adjective between a classifying noun and its name ("l'ONG nantaise
    ESPOIR", "l'association belge …"): a nationality, or a word ending like one (a
    city's or a region's people: "nantaise", "lyonnais", "parisienne")."""
    if _nationality(word, vocabulary):
        return True
    return len(word) >= NATIONALITY_MIN_LETTERS + 1 and word.lower().endswith(
        ("aise", "ais", "ienne", "ien", "aine", "ain", "oise", "ois", "ese", "ano", "ana")
    )


def _capitals_around(text: str, start: int, end: int) -> list[str]:
    """The words in capitals next to one another around text[start:end], in one sentence."""
    run = [text[start:end]]
    position = start
    while _in_capitals(word := _previous_word(text, position)):
        run.insert(0, word)
        position = text.rfind(word, 0, position)
    position = end
    while (match := _NEXT_WORD.match(text, position)) and _in_capitals(match.group(1)):
        run.append(match.group(1))
        position = match.end()
    return run


def _names_a_country(run: Sequence[str], vocabulary: Vocabulary) -> bool:
    """Do two neighbours of a run of capitals name a country ("BURKINA FASO")?"""
    return any(
        vocabulary.known_name("country", f"{a} {b}") is not None for a, b in itertools.pairwise(run)
    )


def _in_capitals(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def _first_name(word: str, vocabulary: Vocabulary) -> bool:
    """Could this word be a first name or a civility next to a surname in capitals?

    A capitalised word that is no article, connector, role, month, organisation word
    or country name ("Ivorian MUGEF-CI" is no person), or a civility ("M.", "Dr").
    """
    folded = fold(word.rstrip("."))
    if folded in _CIVILITIES:
        return True
    if not word[:1].isupper() or _in_capitals(word) or "." in word:
        return False
    if folded in _ARTICLES or folded in _CONNECTORS or folded in _ROLES or folded in _MONTHS:
        return False
    if folded in HEAD_WORDS or folded in ORGANISATION_WORDS or folded in _QUALIFIERS:
        return False
    if folded in _THING_NOUNS or folded in _NOT_BODIES:
        return False
    return vocabulary.known_name("country", word) is None


def _possible_acronym(acronym: str, vocabulary: Vocabulary) -> bool:
    """Could this acronym, undefined, be an organisation of its own? Not a known name, a
    generic acronym, a code, a unit, a numeral, a month or a common word."""
    for form in dict.fromkeys((acronym, acronym.replace("-", " "))):
        if vocabulary.known_name("partner", form) is not None or vocabulary.is_ignored(form):
            return False  # "UNSA-Education" is the listed "UNSA Education"
    if vocabulary.is_not_organisation(acronym):
        return False
    letters = sum(ch.isalpha() for ch in acronym)
    if letters < UNDEFINED_ACRONYM_MIN_LETTERS or _ROMAN.fullmatch(acronym):
        return False
    parts = [part for part in re.split(r"[-/]", acronym) if len(part) > 1]
    if all(_zipf(part) >= COMMON_WORD_ZIPF for part in parts) or fold(acronym) in _MONTHS:
        return False  # "CONTACT", "MARS", "BIEN-ETRE"
    return vocabulary.known_name("country", acronym) is None and not _made_of_known(
        acronym, vocabulary
    )


def _undefined_acronym_ok(acronym: str, sighting: _Sighting, candidate: dict[str, bool]) -> bool:
    """Is an acronym nobody defines kept from this article? A possible one (above), seen in
    running text, or in a heading when it is no word at all ("EN LA ENCRUCIJADA DE LOS
    MUNDOS" holds words, not acronyms)."""
    if not candidate[acronym]:
        return False
    word = any(_zipf(part) > 0 for part in re.split(r"[-/]", acronym) if len(part) > 1)
    return sighting.alone or (sighting.heading and not word)


def _made_of_known(acronym: str, vocabulary: Vocabulary) -> bool:
    """ "MASMUT-UEMOA", "UNSA-CI": hyphenated known names (a partner, a country code)."""
    parts = re.split(r"[-/]", acronym)
    return len(parts) > 1 and all(
        vocabulary.known_name("partner", part) or vocabulary.known_name("country", part)
        for part in parts
    )


def _zipf(word: str) -> float:
    return word_zipf(word)


# ---- the corpus-wide pass -----------------------------------------------------------------------


class _Forms:
    """Union-find over the keys of names: an acronym and its long names become one."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, ...], tuple[str, ...]] = {}

    def find(self, key: tuple[str, ...]) -> tuple[str, ...]:
        parent = self.parent
        parent.setdefault(key, key)
        root = key
        while parent[root] != root:
            root = parent[root]
        while parent[key] != root:
            parent[key], key = root, parent[key]
        return root

    def union(self, a: tuple[str, ...], b: tuple[str, ...]) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_b] = root_a


def _acronym_key(acronym: str) -> tuple[str, ...]:
    return ("\0acronym", acronym)


def _translation_key(words: tuple[str, ...]) -> tuple[str, ...] | None:
    """One key for a name and its translations: its organisation word's family and its
    other words ("Steve Sinnott Foundation" = "Fondation Steve Sinnott" = "Fundación Steve
    Sinnott"). Other words that translate ("National Federation", "Fédération
    nationale") differ, so such names stay apart."""
    significant = [w for w in words if w not in _CONNECTORS]
    heads = [w for w in significant if w in _FAMILY]
    others = sorted(w for w in significant if w not in _FAMILY)
    if len(heads) != 1 or not others or all(w in _QUALIFIERS for w in others):
        return None
    return ("\0translated", str(_FAMILY[heads[0]]), *others)


@dataclass
class _Group:
    acronyms: Counter[str] = field(default_factory=Counter)
    name_forms: dict[tuple[str, ...], Counter[str]] = field(default_factory=dict)
    articles: set[int] = field(default_factory=set)
    defined: bool = False
    name_articles: set[int] = field(default_factory=set)
    within: bool = False  # seen inside a sentence, where its capitals are the name's
    acronym_articles: set[int] = field(default_factory=set)
    classified: bool = False  # a classifying noun said it is an organisation
    example: tuple[int, Where] | None = None

    def add_name(self, name: str, article: int) -> None:
        self.name_forms.setdefault(words_of(name), Counter())[name] += 1
        self.articles.add(article)


def discover(
    articles: Sequence[Article],
    vocabulary: Vocabulary,
    evidence: Mapping[str, ArticleEvidence] | None = None,
) -> Discovery:
    """The organisations the articles name that the vocabulary does not know (or knows
    by fewer names), with their evidence and whether they go into the facet.

    `evidence` holds what `read_evidence` found in some articles already (by id: the
    ingest's worker processes read it), so that only the rest are read here.
    """
    reader = _Reader(vocabulary)
    known = evidence or {}
    seen = [
        known[article.id] if article.id in known else reader.read(article.title, article.body)
        for article in articles
    ]
    discovery = _aggregate(seen, articles, vocabulary)
    discovery.capitalised = {
        a.id: frozenset(e.capitalised) for a, e in zip(articles, seen, strict=True)
    }
    return discovery


def evidence_reader(vocabulary: Vocabulary) -> Callable[[Article], ArticleEvidence]:
    """What `discover` reads in each article, one article at a time (for the ingest's
    worker processes: the reader keeps what it learnt of the vocabulary between calls)."""
    reader = _Reader(vocabulary)
    return lambda article: reader.read(article.title, article.body)


def _aggregate(
    seen: Sequence[_Seen], articles: Sequence[Article], vocabulary: Vocabulary
) -> Discovery:
    forms = _Forms()
    for evidence in seen:
        for short, name, _sentence in evidence.definitions:
            forms.union(_acronym_key(short), words_of(name))
        for words in evidence.names:
            translated = _translation_key(words)
            if translated is not None:
                forms.union(translated, words)
    defined = {key[1] for key in forms.parent if key[0] == "\0acronym"}
    places = _places(seen, articles)
    # An acronym written once beside "project", "survey", "day" … names a thing.
    things = {a for evidence in seen for a, s in evidence.acronyms.items() if s.thing}
    groups: dict[tuple[str, ...], _Group] = {}
    candidate: dict[str, bool] = {}
    for evidence in seen:
        for acronym in evidence.acronyms:
            if acronym not in candidate:
                candidate[acronym] = _possible_acronym(acronym, vocabulary)

    def group_of(key: tuple[str, ...]) -> _Group:
        return groups.setdefault(forms.find(key), _Group())

    for number, evidence in enumerate(seen):
        for short, name, where in evidence.definitions:
            group = group_of(_acronym_key(short))
            group.acronyms[short] += 1
            group.add_name(name, number)
            group.defined = True
            group.example = group.example or (number, where)
        for words, (name, where) in evidence.names.items():
            group = group_of(words)
            group.within = group.within or words in evidence.within
            group.add_name(name, number)
            group.name_articles.add(number)
            group.example = group.example or (number, where)
        for acronym, sighting in evidence.acronyms.items():
            if acronym in defined:
                group = group_of(_acronym_key(acronym))
            elif acronym in things or not _undefined_acronym_ok(acronym, sighting, candidate):
                continue
            else:
                group = group_of(_acronym_key(acronym))
                group.acronym_articles.add(number)
            group.acronyms[acronym] += 1
            group.articles.add(number)
            group.example = group.example or (number, sighting.where)
        for written, where in evidence.classified.items():
            if written in things or written in places:
                continue
            if " " in written:
                group = group_of(words_of(written))
                group.add_name(written, number)
            else:
                group = group_of(_acronym_key(written))
                group.acronyms[written] += 1
                group.articles.add(number)
                if written.isupper() and _zipf(written) > 0:
                    group.acronyms[written.capitalize()] += 0  # "ESPOIR" is written "Espoir" too
            group.classified = True
            group.example = group.example or (number, where)
    found = [
        o
        for o in (_organisation(g, vocabulary, articles) for g in groups.values())
        if o is not None
    ]
    rank = {"definition": 0, "classified": 1, "repeated": 2, "proper": 3, "acronym": 4, "single": 5}
    found.sort(key=lambda o: (o.status != "auto", rank[o.evidence], -o.articles, fold(o.canonical)))
    return Discovery(_without_clashes(found))


def _places(seen: Sequence[_Seen], articles: Sequence[Article]) -> set[str]:
    """The one-word names a classifying noun introduced that the corpus also writes as
    places ("in Dakar", "à Dakar", "en Dakar"): a city or a region, not an organisation.
    Names in capitals are left alone ("the NGO ESPOIR"). Only the articles that hold
    the word are searched, and only until one writes it as a place."""
    words = {
        written
        for evidence in seen
        for written in evidence.classified
        if " " not in written and not _in_capitals(written)
    }
    places: set[str] = set()
    for word in words:
        pattern = re.compile(rf"(?<![\w-])(?:in|à|en|au|aux)[ \t]+{re.escape(word)}(?![\w'’-])")
        lower = word.lower()
        if any(
            pattern.search(article.body) or pattern.search(article.title)
            for article, evidence in zip(articles, seen, strict=True)
            if lower in evidence.capitalised
        ):
            places.add(word)
    return places


def _organisation(
    group: _Group, vocabulary: Vocabulary, articles: Sequence[Article]
) -> Organisation | None:
    """The group as an organisation once the vocabulary has had its say; None if nothing new."""
    acronyms = [a for a, _ in group.acronyms.most_common()]
    names = [c.most_common(1)[0][0] for c in group.name_forms.values()]
    names = [n for n in names if not _not_a_partner(n, vocabulary, group.defined)]
    if any(vocabulary.is_not_organisation(a) or vocabulary.is_ignored(a) for a in acronyms):
        return None  # a generic acronym's definition: "UHC (Universal Health Coverage)"
    if any(vocabulary.known_name("country", f) is not None for f in acronyms):
        return None
    owners = {vocabulary.known_name("partner", f) for f in (*acronyms, *names)} - {None}
    if len(owners) > 1:
        return None  # names of two curated partners defined together: not ours to merge
    extends = owners.pop() if owners else None
    new_acronyms = [a for a in acronyms if vocabulary.known_name("partner", a) is None]
    new_names = [n for n in names if vocabulary.known_name("partner", n) is None]
    if not new_acronyms and not new_names:
        return None
    count = len(group.articles)
    organisation_word = any(w in _DEFINITION_WORDS for n in names for w in words_of(n))
    if group.defined:
        evidence: Evidence = "definition"
        auto = (
            organisation_word or extends is not None or group.classified
        ) and count >= DEFINITION_MIN_ARTICLES
    elif group.classified:
        evidence, auto = "classified", True
    elif group.name_articles:
        if not group.within or _only_known_names(new_names, vocabulary):
            evidence = "single"
        elif len(group.name_articles) >= NAME_MIN_ARTICLES:
            evidence = "repeated"
        elif any(_holds_a_proper_name(n, vocabulary) for n in new_names):
            evidence = "proper"
        else:
            evidence = "single"
        auto = evidence != "single"
    else:
        evidence = "acronym"
        auto = len(group.acronym_articles) >= ACRONYM_MIN_ARTICLES
    canonical = extends or (acronyms[0] if acronyms else names[0])
    return Organisation(
        canonical=canonical,
        acronyms=tuple(new_acronyms),
        names=tuple(new_names),
        articles=count,
        example=_example(articles[group.example[0]], group.example[1]) if group.example else "",
        ids=tuple(articles[number].id for number in sorted(group.articles)),
        evidence=evidence,
        status="auto" if auto else "proposed",
        extends=extends,
    )


def _not_a_partner(name: str, vocabulary: Vocabulary, defined: bool) -> bool:
    """A long name the vocabulary rules out, or a ministry of no country that no acronym
    defines ("the Ministry of Education": every country has one)."""
    if vocabulary.is_not_organisation(name) or vocabulary.is_ignored(name):
        return True
    if vocabulary.known_name("country", name) is not None or vocabulary.names_ignored(name):
        return True
    words = words_of(name)
    if words and words[0] in _MINISTRIES and not defined:
        return not vocabulary.find_countries(name)
    return _part_of_a_known_partner(name, vocabulary)


def _only_known_names(names: Sequence[str], vocabulary: Vocabulary) -> bool:
    """Are the names organisation words around known names only ("Mutuelle MGEN", "the PASS
    Programme", "Programme Togo")? They name that partner, or nobody in particular."""
    for name in names:
        words = [w for w in _WORD.findall(name) if w.lower() not in _CONNECTORS_LOWER]
        others = " ".join(w for w in words if w.lower() not in _HEAD_LOWER)
        spans = [(m.start, m.end) for m in vocabulary.match_names(others)]
        if not others or _WORD.search(_blanked(others, spans)):
            return False
    return bool(names)


def _holds_a_proper_name(name: str, vocabulary: Vocabulary) -> bool:
    """Does the name hold a country, a nationality or a word of no language ("University of
    Geneva" does not, "Uruguayan Mutual Union" and "Céméa International Federation" do)?"""
    words = [w for w in _WORD.findall(name) if fold(w) not in _CONNECTORS]
    if any(len(w) > 2 and _zipf(w) == 0 for w in words):
        return True
    return bool(vocabulary.find_countries(name))


def _part_of_a_known_partner(name: str, vocabulary: Vocabulary) -> bool:
    """ "Social Protection of the International Labour Organization": a department or a
    programme of a partner the vocabulary knows, named after it, is that partner's."""
    parts = _TOKEN_SPLIT.split(name)
    raws = parts[1::2]
    for k in range(1, len(raws) - 1):
        if fold(raws[k]) in _CONNECTORS and fold(raws[k + 1]) not in _CONNECTORS:
            rest = name[len(parts[0]) + sum(len(p) for p in parts[1 : 2 * k + 2]) :].strip()
            rest = _clean_name(rest)
            if rest and vocabulary.known_name("partner", rest) is not None:
                return True
    return False


def _without_clashes(found: list[Organisation]) -> list[Organisation]:
    """One owner per name: the stronger organisation (listed first) keeps a shared form."""
    taken: set[tuple[str, ...]] = set()
    kept: list[Organisation] = []
    for organisation in found:
        acronyms = tuple(a for a in organisation.acronyms if words_of(a) not in taken)
        names = tuple(n for n in organisation.names if words_of(n) not in taken)
        if not acronyms and not names:
            continue
        taken |= {words_of(f) for f in (*acronyms, *names)}
        canonical = organisation.canonical
        if organisation.extends is None and canonical not in (*acronyms, *names):
            canonical = (acronyms or names)[0]
        kept.append(replace(organisation, canonical=canonical, acronyms=acronyms, names=names))
    return kept


# ---- into the articles ------------------------------------------------------------------------


#: Characters read on either side of a capitalised word that may open a discovered name
#: when an article is matched again (a name is shorter; windows that meet are joined).
WINDOW_CHARS: Final = 160


def with_discovered_partners(
    articles: Sequence[Article],
    discovery: Discovery,
    vocabulary: Vocabulary,
    *,
    stated: Iterable[str] = (),
    stated_countries: Iterable[str] = (),
) -> list[Article]:
    """The articles, with the auto-discovered organisations each names among its partners.

    `stated` / `stated_countries`: ids of articles whose partners / countries metadata
    gave (the editor's lists, left as they are). As with the vocabulary's names, a
    country named only inside a discovered name counts for the organisation only ("the
    Gambian Teachers Union" is no mention of the Gambia). Only the passages around a
    capitalised word that may open one of the organisations' names (or an acronym of
    theirs) are matched again, so the cost follows what was discovered, not the size of
    the corpus.
    """
    auto = discovery.auto
    if not auto:
        return list(articles)
    rematch = _Rematch(vocabulary, auto)
    keep_partners, keep_countries = set(stated), set(stated_countries)
    out: list[Article] = []
    for article in articles:
        if article.id not in keep_partners:
            words = discovery.capitalised.get(article.id)
            if words is None:
                words = _capitalised_words(article)
            if not words.isdisjoint(rematch.triggers):
                countries, partners = rematch.names(article)
                if article.id in keep_countries:
                    countries = article.countries
                if (countries, partners) != (article.countries, article.partners):
                    article = _with_names(article, countries, partners, vocabulary)
        out.append(article)
    return out


class _Rematch:
    """Finds the discovered organisations in an article whose vocabulary names are known."""

    def __init__(self, vocabulary: Vocabulary, organisations: Sequence[Organisation]) -> None:
        self.vocabulary = vocabulary
        document = {"partners": [o.entry() for o in organisations]}
        # The curated partners and the discovered ones matched together: the longest name
        # wins ("UNESCO Chair …" over "UNESCO"), and a discovered acronym beside a curated
        # one makes no shouted line of them ("(PASS, MUPEMENET, SIGEM)").
        self.matcher = vocabulary.with_partners(document, curated=True)
        self.discovered = {o.partner for o in organisations}
        self.forms = {words_of(form) for o in organisations for form in o.forms}
        self.triggers = _trigger_words(organisations)

    def names(self, article: Article) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(countries, partners): those of the vocabulary that the discovered names leave,
        then the discovered partners.

        A partner or a country the vocabulary found stays unless discovered names hold
        all its mentions ("Protección Social de la OIT" is no mention of the ILO, "the
        Canadian Teachers' Federation" none of Canada).
        """
        text = f"{article.title}\n\n{article.body}"
        found: dict[str, None] = {}
        spans: list[tuple[int, int]] = []
        for start, end in self._windows(text):
            for match in self.matcher.match_names(text[start:end], typos=True, prose=True):
                if match.kind != "partner":
                    continue
                found.setdefault(match.canonical, None)
                span = (start + match.start, start + match.end)
                if words_of(text[span[0] : span[1]]) in self.forms:
                    spans.append(span)
        hidden = [text[a:b] for a, b in spans]
        partners = list(article.partners)
        countries = list(article.countries)
        if any(p not in found for p in partners) and any(
            map(self.vocabulary.find_partners, hidden)
        ):
            outside = set(self.vocabulary.find_partners(_blanked(text, spans)))
            partners = [p for p in partners if p in found or p in outside]
        if countries and any(map(self.vocabulary.find_countries, hidden)):
            outside = set(self.vocabulary.find_countries(_blanked(text, spans)))
            countries = [c for c in countries if c in outside]
        new = [p for p in found if p in self.discovered and p not in partners]
        return tuple(countries), tuple([*partners, *new])

    def _windows(self, text: str) -> list[tuple[int, int]]:
        """Passages around the capitalised words that may open a discovered name."""
        windows: list[tuple[int, int]] = []
        for match in _CAPITALISED.finditer(text):
            if match.group().lower() not in self.triggers:
                continue
            start = text.rfind(" ", 0, max(0, match.start() - WINDOW_CHARS)) + 1
            end = text.find(" ", match.end() + WINDOW_CHARS)
            end = len(text) if end < 0 else end
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], end)
            else:
                windows.append((start, end))
        return windows


def counted(discovery: Discovery, articles: Sequence[Article]) -> Discovery:
    """The discovery with each auto organisation's articles: those whose partners hold it."""
    holding: dict[str, list[str]] = {}
    for article in articles:
        for partner in article.partners:
            holding.setdefault(partner, []).append(article.id)
    organisations = [
        replace(o, articles=len(ids), ids=tuple(ids))
        if o.status == "auto" and (ids := holding.get(o.partner))
        else o
        for o in discovery.organisations
    ]
    return Discovery(organisations, discovery.capitalised)


def _trigger_words(organisations: Iterable[Organisation]) -> frozenset[str]:
    """Lower-case capitalised words of which an article naming one of the organisations
    holds at least one: its acronyms, and the rarest capitalised word of each name."""
    words: set[str] = set()
    for organisation in organisations:
        words.update(re.split(r"[-/]", a)[0].lower() for a in organisation.acronyms)
        for name in organisation.names:
            capitalised = _CAPITALISED.findall(name) or [name]
            words.add(min(capitalised, key=lambda w: (_zipf(w), -len(w))).lower())
    return frozenset(words)


def _capitalised_words(article: Article) -> frozenset[str]:
    return frozenset(
        w.lower() for text in (article.title, article.body) for w in _CAPITALISED.findall(text)
    )


def _blanked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the given spans replaced by spaces (offsets kept)."""
    pieces = []
    done = 0
    for start, end in sorted(spans):
        pieces += [text[done:start], " " * (end - start)]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _with_names(
    article: Article,
    countries: tuple[str, ...],
    partners: tuple[str, ...],
    vocabulary: Vocabulary,
) -> Article:
    from search_service.ingest.corpus import article_checksum

    updated = article.model_copy(update={"countries": countries, "partners": partners})
    return updated.model_copy(
        update={"checksum": article_checksum(updated, vocabulary.fingerprint)}
    )
