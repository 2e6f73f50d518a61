"""Inline SVG charts for the HTML report, drawn in Python.

No script and no network: the page works opened from disk. Colours come from CSS classes
(so dark mode is a stylesheet matter), and every bar carries its number as text and
closed work is hatched, so the charts read in greyscale and in print too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from pmsync.report.status import percent
from pmsync.state.store import HistoryPoint

# viewBox widths close to the rendered size in the report's layout (full width, or half in
# a two-column row), so 13px text in the SVG shows at about 13px on screen.
WIDE, HALF = 1000, 480
ROW = 40  # one bar: its label line above, the bar below
BAR_H = 14
LABEL_MAX = 80  # characters; longer labels are cut, the full text stays in a tooltip


@dataclass(frozen=True)
class Completion:
    label: str
    closed: int
    total: int
    tip: str = ""


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _svg(chart_id: str, caption: str, width: int, height: int, body: str) -> str:
    # role=img + <title>: screen readers announce the caption, not a pile of shapes.
    # Wide charts keep a minimum width and scroll sideways on phones: scaled down to a
    # phone's width their labels would be too small to read.
    kind = "chart wide" if width == WIDE else "chart"
    return (
        f'<div class="chart-wrap"><svg class="{kind}" id="{chart_id}" '
        f'data-testid="{chart_id}" role="img" '
        f'aria-labelledby="{chart_id}-t" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-t">{_esc(caption)}</title>{body}</svg></div>'
    )


def hatch_defs(chart_id: str) -> str:
    """A diagonal hatch pattern; ids are per chart because inline SVG ids are page-wide."""
    return (
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect class="hatch-bg" width="6" height="6"/>'
        '<line class="hatch-line" x1="0" y1="0" x2="0" y2="6" stroke-width="3"/>'
        "</pattern></defs>"
    )


def _label(y: int, label: str, tip: str) -> str:
    return (
        f'<text class="t" x="0" y="{y + 12}">{_esc(_cut(label))}'
        f"<title>{_esc(tip or label)}</title></text>"
    )


def _value(x: float, y: int, text: str) -> str:
    return f'<text class="t num" x="{x + 6:.1f}" y="{y + 29}">{_esc(text)}</text>'


def completion_chart(entries: Sequence[Completion], chart_id: str = "completion") -> str:
    """One full-width track per postmortem: closed part hatched, open part plain."""
    if not entries:
        return '<p class="muted">No tracked items.</p>'
    inner = WIDE - 160  # the rest: room for "12/30 closed (40%)"
    parts = [hatch_defs(chart_id)]
    for i, entry in enumerate(entries):
        y = i * ROW
        done = inner * entry.closed / max(entry.total, 1)
        pct = percent(entry.closed, entry.total)
        parts += [
            _label(y, entry.label, entry.tip),
            f'<rect class="bar-open" x="0" y="{y + 18}" width="{inner}" height="{BAR_H}"/>',
            f'<rect fill="url(#{chart_id}-hatch)" class="bar-closed" x="0" y="{y + 18}" '
            f'width="{done:.1f}" height="{BAR_H}"/>',
            _value(inner, y, f"{entry.closed}/{entry.total} closed ({pct}%)"),
        ]
    caption = "Completion per postmortem: closed items hatched, open items plain"
    return _svg(chart_id, caption, WIDE, len(entries) * ROW + 4, "".join(parts))


def count_chart(counts: Sequence[tuple[str, int]], chart_id: str, caption: str) -> str:
    """Plain horizontal bars scaled to the largest count, each labelled with its number."""
    if not counts:
        return '<p class="muted">None.</p>'
    inner = HALF - 50  # the rest: room for the count
    top = max(max(n for _, n in counts), 1)
    parts = []
    for i, (label, n) in enumerate(counts):
        y = i * ROW
        width = inner * n / top
        parts += [
            _label(y, label, label),
            f'<rect class="bar-count" x="0" y="{y + 18}" width="{width:.1f}" height="{BAR_H}"/>',
            _value(width, y, str(n)),
        ]
    return _svg(chart_id, caption, HALF, len(counts) * ROW + 4, "".join(parts))


# --- trend ----------------------------------------------------------------------------

PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 40, WIDE - 110, 12, 190
TREND_H = 216


def _nice_ceiling(n: int) -> int:
    """A round top for the y axis (1, 2, 3, 4, 5, 6 or 8 × 10^k) so grid labels are easy to read."""
    step = 1
    while True:
        for m in (1, 2, 3, 4, 5, 6, 8):
            if n <= m * step:
                return m * step
        step *= 10


def _x_positions(days: Sequence[date]) -> list[float]:
    # Proportional to time: a week without status runs shows as a gap, not a squeeze.
    if len(days) == 1:
        return [(PLOT_LEFT + PLOT_RIGHT) / 2]
    span = max((days[-1] - days[0]).days, 1)
    width = PLOT_RIGHT - PLOT_LEFT
    return [PLOT_LEFT + width * (d - days[0]).days / span for d in days]


def _y(value: int, top: int) -> float:
    return PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * value / top


def _axes(top: int, days: Sequence[date], xs: Sequence[float]) -> str:
    parts = []
    for value in (0, top // 2, top) if top > 1 else (0, top):
        y = _y(value, top)
        parts.append(
            f'<line class="grid" x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="t small" x="{PLOT_LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{value}</text>'
        )
    # First and last day always; the middle one too when there is room between them.
    shown = sorted({0, len(days) - 1} | ({len(days) // 2} if len(days) > 4 else set()))
    for i in shown:
        anchor = _anchor(i, len(days))
        parts.append(
            f'<text class="t small" x="{xs[i]:.1f}" y="{PLOT_BOTTOM + 18}" '
            f'text-anchor="{anchor}">{days[i].isoformat()}</text>'
        )
    return "".join(parts)


def _anchor(i: int, n: int) -> str:
    if n == 1 or 0 < i < n - 1:
        return "middle"
    return "start" if i == 0 else "end"


def _series(
    name: str, xs: Sequence[float], values: Sequence[int], top: int, nudge: float = 0
) -> str:
    points = " ".join(f"{x:.1f},{_y(v, top):.1f}" for x, v in zip(xs, values, strict=True))
    marks = "".join(
        f'<circle class="dot-{name}" cx="{x:.1f}" cy="{_y(v, top):.1f}" r="3.5">'
        f"<title>{v} {name}</title></circle>"
        for x, v in zip(xs, values, strict=True)
    )
    line = f'<polyline class="line-{name}" points="{points}"/>' if len(xs) > 1 else ""
    end = f'<text class="t num" x="{xs[-1] + 8:.1f}" y="{_y(values[-1], top) + 4 + nudge:.1f}">'
    return line + marks + end + f"{values[-1]} {name}</text>"


def _area(xs: Sequence[float], values: Sequence[int], top: int, chart_id: str) -> str:
    if len(xs) < 2:
        return ""
    outline = " ".join(f"{x:.1f},{_y(v, top):.1f}" for x, v in zip(xs, values, strict=True))
    base = f"{xs[-1]:.1f},{PLOT_BOTTOM} {xs[0]:.1f},{PLOT_BOTTOM}"
    return f'<polygon class="area-open" fill="url(#{chart_id}-hatch)" points="{outline} {base}"/>'


def trend_chart(history: Sequence[HistoryPoint], chart_id: str = "trend") -> str:
    """Open items (hatched area, solid line) and overdue items (dashed line) per day."""
    if not history:
        return (
            '<p class="muted">No history yet: each <code>pmsync status</code> run adds a day.</p>'
        )
    points = sorted(history, key=lambda p: p.at)
    days = [p.at for p in points]
    xs = _x_positions(days)
    opened = [p.open for p in points]
    overdue = [p.overdue for p in points]
    top = _nice_ceiling(max([*opened, *overdue, 1]))
    # Keep the two end labels ("12 open", "3 overdue") from printing over each other.
    gap = _y(overdue[-1], top) - _y(opened[-1], top)
    nudge = max(0.0, 14 - gap)
    body = (
        hatch_defs(chart_id)
        + _axes(top, days, xs)
        + _area(xs, opened, top, chart_id)
        + _series("overdue", xs, overdue, top, nudge)
        + _series("open", xs, opened, top)
    )
    if len(points) > 1:
        caption = f"Open and overdue items per day, {days[0]} to {days[-1]}"
        return _svg(chart_id, caption, WIDE, TREND_H, body)
    caption = f"One status run so far ({days[0]}): {opened[0]} open, {overdue[0]} overdue"
    note = "One status run so far: each nightly <code>pmsync status</code> adds a day."
    return _svg(chart_id, caption, WIDE, TREND_H, body) + f'<p class="muted">{note}</p>'
