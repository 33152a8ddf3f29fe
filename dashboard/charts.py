"""Charts drawn on the server as inline SVG: no script and no CDN, so they work offline, print,
and read on a projector (large type, dark bars, values written on the chart).

Each chart is an image for screen readers (role="img", a <title> and a <desc>); the page puts
the same figures in a table beside it. A held-back figure (domain.reports.Hidden) draws no bar,
only its words, so a chart never shows a small number that its table hides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from domain.reports import Hidden

WIDTH = 960
FONT = 18  # px at full width: readable from the back of a board room
INK = "#212b32"
BAR = "#005eb8"
GRID = "#d8dde0"
MARK = "#d5281b"


@dataclass(frozen=True)
class Point:
    """One bar: its label, its length (None: no bar) and the words written by it."""

    label: str
    value: float | Hidden | None
    text: str
    mark: float | None = None  # e.g. the target, drawn as a line across the bar


def _nice_top(largest: float) -> tuple[float, float]:
    """The axis maximum and step: about five steps of 1, 2 or 5 times a power of ten."""
    if largest <= 0:
        return 1.0, 1.0
    rough = largest / 5
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return step * math.ceil(largest / step), step


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _lengths(points: Sequence[Point]) -> list[float]:
    return [p.value for p in points if isinstance(p.value, int | float)]


def _frame(
    name: str, title: str, description: str, width: int, height: int, body: list[str]
) -> Markup:
    title_id, desc_id = f"{name}-chart-title", f"{name}-chart-desc"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Arial, Helvetica, sans-serif" font-size="{FONT}">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def column_chart(
    name: str, title: str, description: str, points: Sequence[Point], axis: str
) -> Markup:
    """Vertical bars in time order (weeks), a value axis named `axis`, every value written
    above its bar; with many bars only every few are labelled below. `name` makes the ids of
    the title and description unique on the page."""
    left, right, top, bottom = 80, 20, 40, 90
    height = 420
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    axis_top, step = _nice_top(max(_lengths(points), default=0))
    body = [
        f'<text x="{left}" y="{top - 18}" fill="{INK}">{escape(axis)}</text>',
    ]
    tick = 0.0
    while tick <= axis_top + step / 2:
        y = top + plot_h - plot_h * tick / axis_top
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 8}" y="{y + 6:.1f}" text-anchor="end" fill="{INK}">'
            f"{_number(tick)}</text>"
        )
        tick += step
    slot = plot_w / max(len(points), 1)
    label_every = max(1, math.ceil(len(points) / 13))
    value_size = FONT if slot >= 56 else 14
    for i, point in enumerate(points):
        x = left + i * slot
        middle = x + slot / 2
        base = top + plot_h
        if isinstance(point.value, int | float) and point.value > 0:
            bar_h = plot_h * point.value / axis_top
            body.append(
                f'<rect x="{x + slot * 0.15:.1f}" y="{base - bar_h:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{bar_h:.1f}" fill="{BAR}"/>'
            )
            label_y = base - bar_h - 6
        else:
            label_y = base - 6
        if slot >= 34:  # room to write every value; the table has them all anyway
            body.append(
                f'<text x="{middle:.1f}" y="{label_y:.1f}" text-anchor="middle" '
                f'font-size="{value_size}" fill="{INK}">{escape(_short(point))}</text>'
            )
        if i % label_every == 0:
            body.append(
                f'<text x="{middle:.1f}" y="{base + 26}" text-anchor="middle" '
                f'fill="{INK}">{escape(point.label)}</text>'
            )
    body.append(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{INK}" stroke-width="2"/>'
    )
    if any(isinstance(p.value, Hidden) for p in points):
        body.append(
            f'<text x="{left}" y="{height - 16}" fill="{INK}">'
            "&lt;5: fewer than 5 · –: not shown (would give away a small number)</text>"
        )
    return _frame(name, title, description, WIDTH, height, body)


def _short(point: Point) -> str:
    """The value above a narrow column: held-back figures as a mark the chart's note explains."""
    if point.value is Hidden.FEWER_THAN_5:
        return "<5"
    if point.value is Hidden.NOT_SHOWN:
        return "–"
    return point.text


def bar_chart(
    name: str, title: str, description: str, points: Sequence[Point], axis: str
) -> Markup:
    """Horizontal bars by category, the label above each bar and its value at its end, so
    long names (article titles) need no truncating. A point's `mark` is drawn as a red line
    with the word "target" under it."""
    left, right, top = 10, 160, 44
    row = 64
    marks = any(p.mark is not None for p in points)
    height = top + row * max(len(points), 1) + (30 if marks else 10)
    plot_w = WIDTH - left - right
    largest = max([*_lengths(points), *(p.mark or 0 for p in points)], default=0)
    axis_top, _ = _nice_top(largest)
    body = [f'<text x="{left}" y="{top - 20}" fill="{INK}">{escape(axis)}</text>']
    for i, point in enumerate(points):
        y = top + i * row
        body.append(f'<text x="{left}" y="{y + 18}" fill="{INK}">{escape(point.label)}</text>')
        bar_w = 0.0
        if isinstance(point.value, int | float) and point.value > 0:
            bar_w = plot_w * point.value / axis_top
            body.append(
                f'<rect x="{left}" y="{y + 26}" width="{bar_w:.1f}" height="28" fill="{BAR}"/>'
            )
        text_x = left + bar_w + 8
        if point.mark is not None:
            x = left + plot_w * point.mark / axis_top
            body.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 22}" y2="{y + 58}" '
                f'stroke="{MARK}" stroke-width="4" stroke-dasharray="6 3"/>'
            )
            text_x = max(text_x, x + 10)  # never written across the target line
        body.append(
            f'<text x="{text_x:.1f}" y="{y + 47}" fill="{INK}" font-weight="bold">'
            f"{escape(point.text)}</text>"
        )
    if marks:
        body.append(
            f'<text x="{left}" y="{height - 8}" fill="{INK}">'
            f'<tspan fill="{MARK}" font-weight="bold">- - -</tspan> target</text>'
        )
    return _frame(name, title, description, WIDTH, height, body)
