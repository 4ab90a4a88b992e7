"""Pages shaped like the network's site (WordPress): text written for the tests.

`site_page` wraps an article in the site's furniture: skip link, logo, language
switcher, menus, the meeting banner with its countdown, breadcrumbs, category line,
share bar, "latest news" teasers of other articles, newsletter box and footer. Every
piece can be replaced or left out, so each test states what it is about.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SITE_NAMES = {
    "en": "Education and Solidarity Network",
    "fr": "Réseau Education et Solidarité",
    "es": "Red Educación y Solidaridad",
}

MENUS = {
    "en": ["The Network", "News", "Projects", "Members", "Resources", "Contact", "Menuword"],
    "fr": ["Le Réseau", "Actualités", "Projets", "Membres", "Ressources", "Contact", "Menuword"],
    "es": ["La Red", "Noticias", "Proyectos", "Miembros", "Recursos", "Contacto", "Menuword"],
}
BANNERS = {
    "en": "🌎 Join online ESN’s International Meeting",
    "fr": "🌎 Rejoignez en ligne la Rencontre internationale du RES",
    "es": "🌎 Únete en línea a la Reunión internacional de la RES",
}
COUNTDOWN = {
    "en": ["Days", "Hours", "Minutes", "Seconds"],
    "fr": ["Jours", "Heures", "Minutes", "Secondes"],
    "es": ["Días", "Horas", "Minutos", "Segundos"],
}
LATEST = {"en": "Latest news", "fr": "Les dernières actualités", "es": "Últimas noticias"}
SHARE = {"en": "Share this article", "fr": "Partager cet article", "es": "Compartir este artículo"}
HOME = {"en": "Home", "fr": "Accueil", "es": "Inicio"}
READ_MORE = {"en": "Read more", "fr": "Lire la suite", "es": "Leer más"}
NEWSLETTER = {
    "en": "Subscribe to our newsletter to receive the network's news every month.",
    "fr": "Abonnez-vous à notre lettre d'information pour recevoir les nouvelles du réseau.",
    "es": "Suscríbase a nuestro boletín para recibir cada mes las noticias de la red.",
}
FOOTER = {
    "en": "Education and Solidarity Network, 3 square Max-Hymans, 75015 Paris. Legal notice. "
    "Privacy policy. Site map. © 2024 all rights reserved, footerword.",
    "fr": "Réseau Education et Solidarité, 3 square Max-Hymans, 75015 Paris. Mentions légales. "
    "Politique de confidentialité. Plan du site. © 2024 tous droits réservés, footerword.",
    "es": "Red Educación y Solidaridad, 3 square Max-Hymans, 75015 París. Aviso legal. "
    "Política de privacidad. Mapa del sitio. © 2024 todos los derechos reservados, footerword.",
}

# Teasers of other articles (the "latest news" block): each has a word no article body has.
TEASERS = {
    "en": [
        (
            "Teachers' mutual opens a clinic in Lomé",
            "2024-03-02",
            "The new clinic will serve teachers and their families, teaserword one.",
        ),
        (
            "Youth engagement week in Montevideo",
            "2024-02-20",
            "Young members from Peru met to prepare the campaign, teaserword two.",
        ),
        (
            "Annual report published",
            "2024-02-01",
            "The network's annual report is online, teaserword three.",
        ),
    ],
    "fr": [
        (
            "La mutuelle des enseignants ouvre un centre à Lomé",
            "2024-03-02",
            "Le nouveau centre accueillera les enseignants, teaserword un.",
        ),
        (
            "Semaine de l'engagement des jeunes à Montevideo",
            "2024-02-20",
            "Les jeunes membres du Pérou ont préparé la campagne, teaserword deux.",
        ),
        (
            "Le rapport annuel est publié",
            "2024-02-01",
            "Le rapport annuel du réseau est en ligne, teaserword trois.",
        ),
    ],
    "es": [
        (
            "La mutual docente abre un centro en Lomé",
            "2024-03-02",
            "El nuevo centro atenderá a los docentes, teaserword uno.",
        ),
        (
            "Semana del compromiso juvenil en Montevideo",
            "2024-02-20",
            "Los jóvenes miembros de Perú prepararon la campaña, teaserword dos.",
        ),
        (
            "Se publica el informe anual",
            "2024-02-01",
            "El informe anual de la red está en línea, teaserword tres.",
        ),
    ],
}


@dataclass
class Page:
    """One page of the site; `render()` gives its HTML. Fields left None are left out."""

    language: str = "en"
    title: str | None = "A title"
    paragraphs: Sequence[str] = ()
    html_lang: str | None = "default"  # "default": from `language` ("en-US", "fr-FR", ...)
    head_title: str | None = "default"  # "default": title + " – " + site name
    og_title: str | None = None
    og_type: str | None = "article"
    og_locale: str | None = None
    og_url: str | None = None
    canonical: str | None = None
    published_meta: str | None = None  # article:published_time
    json_ld: dict[str, Any] | None = None
    time_datetime: str | None = None  # <time datetime=...> in the article header
    date_text: str | None = None  # the visible date line (text of <time> when it has one)
    categories: Sequence[str] = ("Africa", "Social protection")
    body_classes: str = (
        "post-template-default single single-post postid-1234 single-format-standard"
    )
    teasers: bool = True
    banner: bool = True
    share: bool = True
    h1: bool = True
    logo_in_h1: bool = False  # some themes wrap the logo in <h1> on every page
    charset: str | None = "utf-8"
    extra_head: str = ""
    extra_footer: str = ""  # appended after the site's footer
    main_html: str | None = None  # replaces the whole <main> content

    def render(self) -> str:
        lang = self.language
        site = SITE_NAMES[lang]
        parts = ["<!DOCTYPE html>"]
        html_lang = (
            {"en": "en-US", "fr": "fr-FR", "es": "es-ES"}[lang]
            if self.html_lang == "default"
            else self.html_lang
        )
        parts.append(f'<html lang="{html_lang}">' if html_lang else "<html>")
        parts.append("<head>")
        if self.charset:
            parts.append(f'<meta charset="{self.charset}">')
        parts.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
        head_title = f"{self.title} – {site}" if self.head_title == "default" else self.head_title
        if head_title is not None:
            parts.append(f"<title>{_e(head_title)}</title>")
        for prop, value in (
            ("og:locale", self.og_locale),
            ("og:type", self.og_type),
            ("og:title", self.og_title),
            ("og:url", self.og_url),
            ("og:site_name", site),
            ("article:published_time", self.published_meta),
        ):
            if value is not None:
                parts.append(f'<meta property="{prop}" content="{_e(value)}">')
        if self.canonical is not None:
            parts.append(f'<link rel="canonical" href="{_e(self.canonical)}">')
        if self.json_ld is not None:
            parts.append(
                '<script type="application/ld+json">'
                + json.dumps(self.json_ld, ensure_ascii=False)
                + "</script>"
            )
        parts.append('<link rel="stylesheet" href="/wp-content/themes/res/style.css">')
        parts.append(
            "<script>window.dataLayer = window.dataLayer || []; var scriptword = 1;</script>"
        )
        parts.append(self.extra_head)
        parts.append("</head>")
        parts.append(f'<body class="{self.body_classes}">')
        parts.append('<a class="skip-link screen-reader-text" href="#content">Skip to content</a>')
        parts.append(self.header_html())
        if self.main_html is not None:
            parts.append(f'<main id="content" class="site-main">{self.main_html}</main>')
        else:
            parts.append(self.main())
        parts.append(self.footer_html())
        parts.append(self.extra_footer)
        parts.append("<script>document.querySelectorAll('.countdown'); // scriptword</script>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def header_html(self) -> str:
        lang = self.language
        site = SITE_NAMES[lang]
        logo = (
            f'<a href="/{lang}/" rel="home"><img src="/logo.png" alt="{_e(site)}"> {_e(site)}</a>'
        )
        if self.logo_in_h1:
            logo = f'<h1 class="site-title">{logo}</h1>'
        menu = "".join(
            f'<li><a href="/{lang}/{i}/">{_e(m)}</a></li>' for i, m in enumerate(MENUS[lang])
        )
        languages = (
            '<ul class="language-switcher"><li><a href="/en/">English</a></li>'
            '<li><a href="/fr/">Français</a></li><li><a href="/es/">Español</a></li></ul>'
        )
        banner = ""
        if self.banner:
            units = "".join(
                f'<span class="unit"><span class="number">{n}</span> {_e(u)}</span>'
                for n, u in zip((12, 5, 41, 9), COUNTDOWN[lang], strict=True)
            )
            banner = (
                f'<div class="top-banner"><a href="/{lang}/meeting/">{_e(BANNERS[lang])}</a>'
                f'<div class="countdown">{units}</div></div>'
            )
        return (
            f'{banner}<header id="masthead" class="site-header">'
            f'<div class="site-branding">{logo}</div>{languages}'
            f'<nav class="main-navigation" aria-label="Menu"><ul>{menu}</ul></nav>'
            '<form role="search" class="search-form"><label>Search'
            '<input type="search" name="s"></label><button>Search</button></form>'
            "</header>"
        )

    def main(self) -> str:
        lang = self.language
        crumbs = (
            f'<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/{lang}/">{HOME[lang]}</a>'
            f' » <a href="/{lang}/news/">{_e(MENUS[lang][1])}</a>'
            f" » <span>{_e(self.title or '')}</span></nav>"
        )
        categories = " / ".join(
            f'<a href="/{lang}/category/{i}/" rel="category tag">{_e(c)}</a>'
            for i, c in enumerate(self.categories)
        )
        date = ""
        if self.time_datetime is not None or self.date_text is not None:
            shown = _e(self.date_text or self.time_datetime or "")
            if self.time_datetime is not None:
                date = (
                    f'<time class="entry-date published" datetime="{_e(self.time_datetime)}">'
                    f"{shown}</time>"
                )
            else:
                date = f'<span class="posted-on">{shown}</span>'
        heading = f'<h1 class="entry-title">{_e(self.title)}</h1>' if self.h1 and self.title else ""
        body = "\n".join(f"<p>{p}</p>" for p in self.paragraphs)
        share = ""
        if self.share:
            share = (
                f'<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">'
                f"{_e(SHARE[self.language])}</h3><ul>"
                '<li><a class="share-facebook" href="#">Facebook</a></li>'
                '<li><a class="share-twitter" href="#">Twitter</a></li>'
                '<li><a class="share-linkedin" href="#">LinkedIn</a></li>'
                '<li><a class="share-email" href="#">Email</a></li></ul></div>'
            )
        teasers = self.teasers_html() if self.teasers else ""
        return (
            '<main id="content" class="site-main">'
            f"{crumbs}"
            '<article id="post-1234" class="post-1234 post type-post status-publish hentry">'
            f'<header class="entry-header"><div class="cat-links">{categories}</div>'
            f'{heading}<div class="entry-meta">{date}</div></header>'
            f'<div class="entry-content">{body}</div>'
            f'<footer class="entry-footer">{share}</footer>'
            "</article>"
            f"{teasers}"
            "</main>"
        )

    def teasers_html(self) -> str:
        lang = self.language
        items = "".join(teaser(lang, t, d, x, i) for i, (t, d, x) in enumerate(TEASERS[lang]))
        return (
            f'<section class="latest-news"><h2 class="widget-title">{_e(LATEST[lang])}</h2>'
            f"{items}</section>"
        )

    def footer_html(self) -> str:
        lang = self.language
        return (
            f'<aside class="newsletter"><h2>Newsletter</h2><p>{_e(NEWSLETTER[lang])}</p>'
            '<form><input type="email" name="email"><button>OK</button></form></aside>'
            f'<footer id="colophon" class="site-footer"><p>{_e(FOOTER[lang])}</p>'
            '<ul class="social"><li><a href="#">Facebook</a></li><li><a href="#">Twitter</a></li>'
            "</ul></footer>"
        )


def teaser(lang: str, title: str, date: str, excerpt: str, number: int) -> str:
    """One teaser of another article, as the site's listings and "latest news" show them."""
    return (
        f'<article class="post-{900 + number} post type-post hentry teaser">'
        f'<h3 class="entry-title"><a href="/{lang}/{date}/other-{number}/">{_e(title)}</a></h3>'
        f'<time class="entry-date published" datetime="{date}T09:00:00+00:00">{date}</time>'
        f'<div class="entry-summary"><p>{_e(excerpt)}</p></div>'
        f'<a class="more-link" href="/{lang}/{date}/other-{number}/">{_e(READ_MORE[lang])}</a>'
        "</article>"
    )


def listing_main(lang: str, heading: str, count: int = 8) -> str:
    """The <main> of a category or archive page: a heading and teasers, then pagination."""
    items = "".join(
        teaser(lang, f"{t} ({i})", d, x, i)
        for i, (t, d, x) in enumerate(TEASERS[lang] * (count // 3 + 1))
        if i < count
    )
    return (
        f'<header class="page-header"><h1 class="page-title">{_e(heading)}</h1></header>'
        f'{items}<nav class="pagination"><a href="?page=2">2</a> <a href="?page=3">3</a>'
        '<a class="next" href="?page=2">Next</a></nav>'
    )


def _e(text: str | None) -> str:
    return html.escape(text or "", quote=True)


# Article text written for the tests, one per language (no third-party text).
EN_PARAGRAPHS = (
    "The mutual health societies of Senegal and Côte d'Ivoire signed an agreement in Dakar "
    "to share their experience of health insurance for teachers and their families. The "
    "agreement covers training, the exchange of managers and a common study of costs.",
    "During two days of meetings, the delegations compared how each society collects "
    "contributions from teachers' salaries and how they negotiate prices with clinics. The "
    "Senegalese society explained its network of partner pharmacies, which the Ivorian "
    "delegation wants to copy in Abidjan and Bouaké.",
    "The International Labour Office supported the meeting. Its expert recalled that "
    "universal health coverage needs solid mutual societies, run by their members, and that "
    "education staff are often the first to organise them. A bodyword is hidden here.",
    "A follow-up meeting is planned next year, when the two societies will present the first "
    "results of their cooperation to the other members of the network.",
)
FR_PARAGRAPHS = (
    "Les mutuelles de santé du Sénégal et de Côte d'Ivoire ont signé à Dakar un accord pour "
    "partager leur expérience de l'assurance maladie des enseignants et de leurs familles. "
    "L'accord prévoit des formations, des échanges de cadres et une étude commune des coûts.",
    "Pendant deux jours de réunions, les délégations ont comparé la manière dont chaque "
    "mutuelle prélève les cotisations sur les salaires des enseignants et négocie les prix "
    "avec les cliniques. La mutuelle sénégalaise a présenté son réseau de pharmacies "
    "partenaires, que la délégation ivoirienne veut reproduire à Abidjan.",
    "Le Bureau international du travail a soutenu la rencontre. Son expert a rappelé que la "
    "couverture santé universelle a besoin de mutuelles solides, gérées par leurs membres, et "
    "que les personnels de l'éducation sont souvent les premiers à les créer. Un motcorps ici.",
    "Une nouvelle rencontre est prévue l'année prochaine, où les deux mutuelles présenteront "
    "les premiers résultats de leur coopération aux autres membres du réseau.",
)
ES_PARAGRAPHS = (
    "Las mutualidades de salud de Senegal y de Costa de Marfil firmaron en Dakar un acuerdo "
    "para compartir su experiencia del seguro de salud de los docentes y de sus familias. El "
    "acuerdo prevé formaciones, intercambios de directivos y un estudio común de los costos.",
    "Durante dos días de reuniones, las delegaciones compararon cómo cada mutualidad cobra "
    "las cotizaciones sobre los salarios de los docentes y negocia los precios con las "
    "clínicas. La mutualidad senegalesa presentó su red de farmacias asociadas, que la "
    "delegación marfileña quiere reproducir en Abiyán.",
    "La Oficina Internacional del Trabajo apoyó el encuentro. Su experto recordó que la "
    "cobertura sanitaria universal necesita mutualidades sólidas, dirigidas por sus miembros, "
    "y que el personal de la educación suele ser el primero en crearlas. Una palabracuerpo.",
    "Un nuevo encuentro está previsto el año próximo, cuando las dos mutualidades presenten "
    "los primeros resultados de su cooperación a los demás miembros de la red.",
)
PARAGRAPHS = {"en": EN_PARAGRAPHS, "fr": FR_PARAGRAPHS, "es": ES_PARAGRAPHS}
TITLES = {
    "en": "Teachers' mutual societies of Senegal and Côte d'Ivoire sign an agreement",
    "fr": "Les mutuelles enseignantes du Sénégal et de Côte d'Ivoire signent un accord",
    "es": "Las mutualidades docentes de Senegal y Costa de Marfil firman un acuerdo",
}


def article_page(lang: str = "en", **overrides: Any) -> Page:
    """The standard test article in `lang`, with every piece of furniture."""
    values: dict[str, Any] = {
        "language": lang,
        "title": TITLES[lang],
        "paragraphs": PARAGRAPHS[lang],
        "time_datetime": "2023-11-14T08:30:00+00:00",
        "date_text": {
            "en": "November 14, 2023",
            "fr": "14 novembre 2023",
            "es": "14 noviembre 2023",
        }[lang],
    }
    values.update(overrides)
    return Page(**values)
