"""Pictures for the officials' pages as hand-built SVG: bars and lines, no JavaScript, no
external assets, no Flask.

Hand-built rather than pygal: three chart shapes of a few dozen elements each, and pygal's
output leans on inline ``<script>`` and ``style`` that the pages' CSP (no scripts, no inline
style) would block, besides being one more dependency to keep for a fresh machine.

Every picture is ``role="img"`` with a ``<title>`` and ``<desc>`` (``aria-labelledby``), sized
by its ``viewBox`` so the stylesheet scales it to the column (360 px phones), and the page
follows it with a text table holding the same numbers for screen readers and for print. The
colours come from classes in ``central/static/dashboard.css`` (the CSP allows no inline
``style``). The data arithmetic lives elsewhere (``central/recap.py`` for rates,
``central/node_status.py`` for node history); here only binning and drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from sync.timefmt import WITA

WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar (may be "" to keep the axis readable)
    value: float  # drawn height
    name: str  # the bar's own name in its <title> and the text table


@dataclass(frozen=True)
class ArrivalBins:
    """Arrivals per ``step``-minute bin from ``first`` to ``last`` (WITA, ``HH:MM``)."""

    bins: list[tuple[str, int]]  # (bin start "07:25", arrivals in [07:25, 07:30))
    before: int  # arrivals before the first bin
    after: int  # arrivals at or after the end of the last bin


def _minutes(text: str) -> int:
    hour, minute = text.split(":")[:2]
    return int(hour) * 60 + int(minute)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def arrival_bins(
    times: Sequence[str], *, first: str = "06:30", last: str = "09:00", step: int = 5
) -> ArrivalBins:
    """Bin arrival times (``HH:MM`` or ``HH:MM:SS``, WITA) into ``step``-minute bins."""
    lo, hi = _minutes(first), _minutes(last)
    counts = [0] * ((hi - lo) // step)
    before = after = 0
    for text in times:
        at = _minutes(text)
        if at < lo:
            before += 1
        elif at >= lo + step * len(counts):
            after += 1
        else:
            counts[(at - lo) // step] += 1
    return ArrivalBins([(_hhmm(lo + i * step), n) for i, n in enumerate(counts)], before, after)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(ident: str, title: str, desc: str, height: int, extra_class: str) -> list[str]:
    # Inline in HTML: the parser puts <svg> in the SVG namespace, no xmlns (and no address
    # in the page, tests/central/test_dashboard_security.py).
    return [
        f'<svg class="chart {extra_class}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" id="{ident}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(desc)}</desc>',
    ]


def bar_chart(
    bars: Sequence[Bar],
    *,
    ident: str,
    title: str,
    desc: str,
    mark: str | None = None,
    mark_text: str = "",
    height: int = 220,
) -> Markup:
    """Vertical bars, tallest to full height; a dashed line before the bar labelled ``mark``."""
    left, right, top, bottom = 40, 8, 26, 34
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = max((b.value for b in bars), default=0) or 1
    slot = plot_w / max(len(bars), 1)
    out = _open(ident, title, desc, height, "bars")
    out.append(
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" '
        f'y2="{top + plot_h}"/>'
    )
    out.append(
        f'<text class="tick" x="{left - 4}" y="{top + 4}" text-anchor="end">{_fmt(peak)}</text>'
    )
    out.append(f'<text class="tick" x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>')
    for i, bar in enumerate(bars):
        x = left + i * slot
        h = plot_h * bar.value / peak
        out.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{max(slot - 2, 1):.1f}" height="{h:.1f}" '
            f'data-value="{_fmt(bar.value)}">'
            f"<title>{escape(bar.name)}: {_fmt(bar.value)}</title></rect>"
        )
        if bar.label:
            out.append(
                f'<text class="tick" x="{x:.1f}" y="{height - 8}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
        if mark is not None and bar.name.startswith(mark):
            out.append(
                f'<line class="mark" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + plot_h}"/>'
            )
            out.append(
                f'<text class="mark-text" x="{x + 3:.1f}" y="{top - 6}">'
                f"{escape(mark_text or mark)}</text>"
            )
    out.append("</svg>")
    return Markup("\n".join(out))


def arrival_chart(
    bins: ArrivalBins, *, ident: str, title: str, desc: str, work_start: str, mark_text: str
) -> Markup:
    """The arrivals histogram; labels every half hour, the start of work marked."""
    bars = [
        Bar(
            label=start if start.endswith((":00", ":30")) else "",
            value=n,
            name=f"{start}-{_hhmm(_minutes(start) + 5)}",
        )
        for start, n in bins.bins
    ]
    return bar_chart(
        bars, ident=ident, title=title, desc=desc, mark=work_start, mark_text=mark_text
    )


def rate_chart(rows: Sequence[tuple[str, float]], *, ident: str, title: str, desc: str) -> Markup:
    """Horizontal bars on a 0-100 scale, one per named row (a unit and its percent)."""
    row_h, left, right, top = 46, 8, 80, 8
    height = top + row_h * max(len(rows), 1) + 8
    plot_w = WIDTH - left - right
    out = _open(ident, title, desc, height, "rates")
    for i, (name, value) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * max(0.0, min(value, 100.0)) / 100
        out.append(f'<text class="row-name" x="{left}" y="{y + 17}">{escape(name)}</text>')
        out.append(f'<rect class="track" x="{left}" y="{y + 23}" width="{plot_w}" height="14"/>')
        out.append(
            f'<rect class="bar" x="{left}" y="{y + 23}" width="{w:.1f}" height="14" '
            f'data-value="{_fmt(value)}"><title>{escape(name)}: {_fmt(value)}%</title>'
            f"</rect>"
        )
        out.append(f'<text class="tick" x="{WIDTH - right + 6}" y="{y + 37}">{_fmt(value)}%</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def series_chart(
    points: Sequence[tuple[float, float | None]],
    *,
    start: float,
    end: float,
    ident: str,
    title: str,
    desc: str,
    unit: str,
    gap_s: float = 3 * 3600,
    height: int = 180,
) -> Markup:
    """A line over time (epoch seconds) from ``start`` to ``end``; the line breaks where no
    value was reported for longer than ``gap_s`` (a node offline is a gap, not a slope).
    A zero line is drawn when values go below and above it."""
    left, right, top, bottom = 84, 8, 18, 30
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    # A point of the current hour may sit after ``end`` (drawn at mid-hour): clamp it.
    known = [(min(t, end), v) for t, v in points if v is not None and start <= t]
    lo = min([0.0, *(v for _, v in known)])
    hi = max([0.0, *(v for _, v in known)])
    if hi == lo:
        hi = lo + 1
    span = max(end - start, 1.0)

    def xy(t: float, v: float) -> str:
        return f"{left + plot_w * (t - start) / span:.1f},{top + plot_h * (hi - v) / (hi - lo):.1f}"

    out = _open(ident, title, desc, height, "series")
    zero_y = top + plot_h * hi / (hi - lo)
    out.append(
        f'<line class="axis" x1="{left}" y1="{zero_y:.1f}" x2="{WIDTH - right}" y2="{zero_y:.1f}"/>'
    )
    out.append(
        f'<text class="tick" x="{left - 4}" y="{top + 4}" text-anchor="end">'
        f"{_fmt(hi)} {escape(unit)}</text>"
    )
    out.append(
        f'<text class="tick" x="{left - 4}" y="{top + plot_h}" text-anchor="end">'
        f"{_fmt(lo)} {escape(unit)}</text>"
    )
    for label_t, anchor in ((start, "start"), (end, "end")):
        moment = datetime.fromtimestamp(label_t, WITA)
        x = left if anchor == "start" else WIDTH - right
        out.append(
            f'<text class="tick" x="{x}" y="{height - 6}" text-anchor="{anchor}">'
            f"{moment:%d/%m %H.%M}</text>"
        )
    runs: list[list[tuple[float, float]]] = []
    last_t: float | None = None
    for t, v in sorted(known):
        if last_t is None or t - last_t > gap_s:
            runs.append([])
        runs[-1].append((t, v))
        last_t = t
    for run in runs:
        if len(run) == 1:
            cx, cy = xy(*run[0]).split(",")
            out.append(f'<circle class="dot" cx="{cx}" cy="{cy}" r="4"/>')
        else:
            out.append(
                '<polyline class="line" points="' + " ".join(xy(t, v) for t, v in run) + '"/>'
            )
    out.append("</svg>")
    return Markup("\n".join(out))
