"""Small bar charts drawn as inline SVG: no script, no style sheet, no external resource.

Colours and sizes are SVG presentation attributes (not `style`), so the charts
draw under a Content-Security-Policy that allows no inline style at all. Each
chart is an image with a title and a description for screen readers; each bar
has a `<title>` (its day and value) that a pointer shows. The figures are also
in a table beside every chart.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

WIDTH: Final = 720
HEIGHT: Final = 180
_LEFT: Final = 48  # room for the axis labels
_BOTTOM: Final = 24
_TOP: Final = 10
AXIS_COLOUR: Final = "#57606a"
TEXT_COLOUR: Final = "#1f2328"


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # the day, under the first, middle and last bars
    value: float | None  # None: nothing to draw (a day without searches, for a rate)


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    *,
    colour: str,
    show: Callable[[float], str],
    top: float | None = None,
) -> str:
    """An SVG bar chart of `bars`, scaled to `top` (default: the largest value)."""
    esc = html.escape
    highest = top or max((bar.value or 0 for bar in bars), default=0) or 1
    plot_width = WIDTH - _LEFT - 4
    plot_height = HEIGHT - _TOP - _BOTTOM
    step = plot_width / max(1, len(bars))
    baseline = _TOP + plot_height
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{chart_id}-title">{esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{esc(description)}</desc>',
        _line(_LEFT, baseline, WIDTH - 4, baseline),
        _line(_LEFT, _TOP, _LEFT, baseline),
        _text(_LEFT - 6, _TOP + 10, show(highest), anchor="end"),
        _text(_LEFT - 6, baseline, show(0), anchor="end"),
    ]
    for index, bar in enumerate(bars):
        x = _LEFT + index * step
        if bar.value is not None:
            height = max(0.0, plot_height * bar.value / highest)
            tip = f"{bar.label}: {show(bar.value)}"
            parts.append(
                f'<rect x="{x + step * 0.12:.1f}" y="{baseline - height:.1f}" '
                f'width="{max(1.0, step * 0.76):.1f}" height="{height:.1f}" fill="{colour}">'
                f"<title>{esc(tip)}</title></rect>"
            )
        if index in _labelled(len(bars)):
            parts.append(_label(index, len(bars), x, step, bar.label))
    parts.append("</svg>")
    return "\n".join(parts)


def _labelled(count: int) -> set[int]:
    """The bars whose label is written: the first, the middle and the last."""
    return {0, count // 2, count - 1} if count else set()


def _label(index: int, count: int, x: float, step: float, text: str) -> str:
    """A bar's label under it; the first and last ones kept inside the chart."""
    if index == count - 1 and count > 1:
        return _text(x + step, HEIGHT - 6, text, anchor="end")
    if index == 0:
        return _text(x, HEIGHT - 6, text, anchor="start")
    return _text(x + step / 2, HEIGHT - 6, text, anchor="middle")


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )


def _text(x: float, y: float, text: str, *, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{TEXT_COLOUR}">'
        f"{html.escape(text)}</text>"
    )
