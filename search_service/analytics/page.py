"""The editors' report as one HTML page: tables, two SVG charts, no script.

Everything is in the page (its one style sheet inline, the charts as inline
SVG), so it needs no other request and reads without JavaScript. Its policy
(`CONTENT_SECURITY_POLICY`) allows exactly that style sheet, by its hash, and
nothing else. Every text from the store is escaped.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import quote

from search_service.analytics.charts import Bar, bar_chart
from search_service.analytics.report import (
    QueryFigures,
    Report,
    percent,
    shown,
)

STYLE: Final = """
body{font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
max-width:64rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .5rem}
.muted{color:#57606a}
.figures{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0;padding:0;list-style:none}
.figures li{border:1px solid #d0d7de;border-radius:8px;padding:.5rem .9rem;min-width:9rem}
.figures b{display:block;font-size:1.4rem}
table{border-collapse:collapse;margin:.25rem 0 1rem;min-width:24rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid #d0d7de;padding:.25rem .75rem .25rem 0;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figcaption{font-weight:600}
.chart{max-width:100%;height:auto}
code,pre{font-family:ui-monospace,monospace;background:#f3f6fa;border-radius:4px;padding:0 .2rem}
pre{padding:.5rem;overflow:auto}
details{margin:.5rem 0 1rem}
a{color:#0b5cad}
form{margin:1rem 0}input{width:5rem}
"""
_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
#: The page's own policy: its inline style sheet and a form to itself, nothing else.
CONTENT_SECURITY_POLICY: Final = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
ACCENT: Final = "#0b5cad"
ALERT: Final = "#b3261e"


def render(report: Report) -> str:
    """The whole page for `report`."""
    esc = html.escape
    parts = [
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>Search analytics, {report.first_day} to {report.last_day}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>Search analytics</h1>",
        f'<p class="muted">{report.first_day} to {report.last_day} ({report.days} days, UTC). '
        f"The store keeps {report.retention_days} days. Nothing about visitors is recorded: "
        "no address, no cookie, no user agent, no time finer than the day.</p>",
        _days_form(report.days),
    ]
    if not report.recorded:
        parts.append(
            "<p>Nothing recorded yet: the store is made by the service's first search.</p>"
        )
    parts += [
        _figures(report),
        _charts(report),
        _query_table(
            "top",
            "Top queries",
            "The most searched queries, with how often they found nothing and how often a "
            "result was opened.",
            report.top_queries,
        ),
        _query_table(
            "no-result",
            "Queries with no result",
            "What visitors looked for and did not find; see what would help below.",
            report.no_result_queries,
            helped=True,
        ),
        _query_table(
            "unopened",
            "Queries with results never opened",
            "They found articles, but no visitor opened one: the results may not be what "
            "they looked for.",
            report.unopened_queries,
        ),
        _filters_table(report),
        _help(report),
        f'<p class="muted">Store: <code>{esc(report.store)}</code>. The same figures: '
        f"<code>search-service report --days {report.days}</code> (add <code>--json</code> "
        "for scripts).</p>",
        "</main>\n</body>\n</html>\n",
    ]
    return "\n".join(parts)


def _days_form(days: int) -> str:
    return (
        '<form method="get"><label for="days">Days covered</label> '
        f'<input id="days" name="days" type="number" min="1" max="3650" value="{days}"> '
        '<button type="submit">Show</button></form>'
    )


def _figures(report: Report) -> str:
    position = f"{report.mean_position:.2f}" if report.mean_position is not None else "–"
    items = [
        ("searches", f"{report.searches:,}"),
        ("with no result", f"{report.no_result:,} ({percent(report.no_result_rate)})"),
        ("click-through", percent(report.click_through_rate)),
        ("results opened", f"{report.opened_results:,}"),
        ("mean position opened", position),
    ]
    return (
        '<h2 id="summary">Summary</h2>\n<ul class="figures">'
        + "".join(f"<li><b>{value}</b>{html.escape(name)}</li>" for name, value in items)
        + "</ul>\n"
        f'<p class="muted">Click-through: the share of the {report.with_results:,} searches '
        f"with results from which a visitor opened at least one ({report.opened_searches:,}).</p>"
    )


def _charts(report: Report) -> str:
    days = report.per_day
    searches = bar_chart(
        "searches-chart",
        "Searches per day",
        f"{report.searches:,} searches from {report.first_day} to {report.last_day}; "
        f"the most in one day: {max((d.searches for d in days), default=0):,}.",
        [Bar(d.day.isoformat(), d.searches) for d in days],
        colour=ACCENT,
        show=lambda value: f"{value:,.0f}",
    )
    rates = bar_chart(
        "no-result-chart",
        "Share of searches with no result, per day",
        f"Overall {percent(report.no_result_rate)} of searches found nothing.",
        [Bar(d.day.isoformat(), d.no_result / d.searches if d.searches else None) for d in days],
        colour=ALERT,
        show=lambda value: f"{value * 100:.0f} %",
        top=1.0,
    )
    rows = [
        (
            d.day.isoformat(),
            f"{d.searches:,}",
            f"{d.no_result:,}",
            percent(d.no_result / d.searches if d.searches else None),
        )
        for d in reversed(days)
    ]
    table = _table(
        "Searches per day, newest first",
        ("day", "searches", "no result", "no-result share"),
        rows,
        numeric=(1, 2, 3),
    )
    return (
        '<h2 id="per-day">Day by day</h2>\n'
        f"<figure>{searches}<figcaption>Searches per day</figcaption></figure>\n"
        f"<figure>{rates}<figcaption>Share of searches with no result</figcaption></figure>\n"
        f"<details><summary>The figures of each day</summary>{table}</details>"
    )


def _query_table(
    anchor: str,
    title: str,
    explanation: str,
    rows: Sequence[QueryFigures],
    *,
    helped: bool = False,
) -> str:
    esc = html.escape
    head = f'<h2 id="{anchor}">{esc(title)}</h2>\n<p class="muted">{esc(explanation)}</p>'
    if not rows:
        return head + "\n<p>None in this period.</p>"
    headers = ("query", "searches", "no result", "opened") + (
        ("what would help",) if helped else ()
    )
    body = []
    for row in rows:
        link = f'<a href="../?q={quote(row.query)}">{esc(shown(row.query))}</a>'
        cells = [link, f"{row.searches:,}", f"{row.no_result:,}", f"{row.opened:,}"]
        if helped:
            cells.append('<a href="#help">a synonym, an organisation, an article</a>')
        body.append(cells)
    return head + "\n" + _table(title, headers, body, numeric=(1, 2, 3), escaped=True)


def _filters_table(report: Report) -> str:
    head = (
        '<h2 id="filters">Top filters</h2>\n<p class="muted">The filter values visitors '
        "ticked most.</p>"
    )
    if not report.top_filters:
        return head + "\n<p>None in this period.</p>"
    rows = [(f.filter, f.value, f"{f.searches:,}") for f in report.top_filters]
    return head + "\n" + _table("Top filters", ("filter", "value", "searches"), rows, numeric=(2,))


def _help(report: Report) -> str:
    esc = html.escape
    help = report.help
    organisations = (
        f"<li>An organisation the vocabulary lacks: <code>{esc(help.organisations_command)}"
        "</code> lists the organisations the articles name and proposes some; "
        "<code>--accept NAME</code> adds one to <code>partners.yaml</code>.</li>"
    )
    return (
        '<h2 id="help">What helps a query that finds nothing</h2>\n<ul>'
        "<li>The articles say it in other words (or another language): add the words that "
        "mean the same as one line under <code>synonyms:</code> in the corpus's synonyms file, "
        f"<code>{esc(help.synonyms_file)}</code>"
        + (f" (first: {esc(help.vocabulary_note)})" if help.vocabulary_note else "")
        + ":"
        f"<pre>{esc(help.synonyms_line)}</pre>then rebuild the index with "
        f"<code>{esc(help.rebuild_command)}</code>; a query with any word of a line then "
        "finds the articles with the others.</li>"
        f"{organisations}"
        "<li>A misspelling: the search already corrects most; a frequent one can be a "
        "synonym too.</li>"
        "<li>A subject the site has no article on: one to write.</li></ul>"
    )


def _table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    escaped: bool = False,
) -> str:
    """A table with a caption and column headers; cells escaped unless `escaped`."""
    esc = html.escape

    def cell(index: int, text: str, tag: str) -> str:
        numeric_class = ' class="n"' if index in numeric else ""
        scope = ' scope="col"' if tag == "th" else ""
        content = text if escaped and tag == "td" else esc(text)
        return f"<{tag}{scope}{numeric_class}>{content}</{tag}>"

    head = "".join(cell(i, name, "th") for i, name in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell(i, text, "td") for i, text in enumerate(row)) + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
