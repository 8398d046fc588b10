"""Drawing a digest's chart as PNG: matplotlib's Agg canvas and `matplotlib.figure.Figure`
directly, never pyplot, so no global state is shared between threads. It imports nothing
of leadbot's but the chart's data, so a worker process that only draws stays small.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as Canvas

ENERGY_COLOURS = ("#c0392b", "#e67e22", "#f1c40f", "#7fb77e", "#2e8b57")
DPI = 100


@dataclass(frozen=True)
class Chart:
    """One chart as data: the series drawn, week by week, and their words."""

    name: str  # its file name
    kind: str  # participation | energy | momentum | heatmap
    title: str
    weeks: tuple[str, ...]
    rows: tuple[tuple[str, tuple[float | None, ...]], ...]  # a series' label, its values
    alt: str


def render(chart: Chart) -> bytes:
    """The chart as a PNG."""
    draw = {
        "participation": _draw_participation,
        "energy": _draw_energy,
        "momentum": _draw_momentum,
        "heatmap": _draw_heatmap,
    }[chart.kind]
    canvas = draw(chart)
    canvas.suptitle(chart.title, fontsize=11)
    out = io.BytesIO()
    FigureCanvasAgg(canvas).print_png(out)
    return out.getvalue()


def _short(label: str) -> str:
    return label.split("-", 1)[-1]  # 2026-W48 → W48


def _draw_participation(chart: Chart) -> Canvas:
    # Fixed margins: the small charts are drawn by the thousand, and a layout engine would
    # take a third of each one's time.
    canvas = Canvas(figsize=(6, 3), dpi=DPI)
    canvas.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.8)
    axes = canvas.add_subplot()
    (answered_label, answered), (expected_label, expected) = chart.rows
    x = range(len(chart.weeks))
    axes.bar(x, expected, color="#dde3ea", label=expected_label)
    axes.bar(x, answered, width=0.6, color="#3b6ea5", label=answered_label)
    axes.set_xticks(list(x), [_short(w) for w in chart.weeks], fontsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=8, frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2)
    axes.spines[["top", "right"]].set_visible(False)
    return canvas


def _draw_energy(chart: Chart) -> Canvas:
    canvas = Canvas(figsize=(6, 3), dpi=DPI)
    canvas.subplots_adjust(left=0.07, right=0.74, bottom=0.12, top=0.86)
    axes = canvas.add_subplot()
    x = range(len(chart.weeks))
    bottom = [0.0] * len(chart.weeks)
    for (label, values), colour in zip(chart.rows, ENERGY_COLOURS, strict=True):
        heights = [v or 0.0 for v in values]
        axes.bar(x, heights, bottom=bottom, color=colour, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_xticks(list(x), [_short(w) for w in chart.weeks], fontsize=8)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    axes.spines[["top", "right"]].set_visible(False)
    return canvas


def _draw_momentum(chart: Chart) -> Canvas:
    count = len(chart.rows)
    columns = min(count, 3)
    lines = -(-count // columns)
    canvas = Canvas(figsize=(3 * columns, 1.8 * lines + 0.5), dpi=DPI, layout="constrained")
    axes = canvas.subplots(lines, columns, squeeze=False, sharey=True)
    for index, (title, values) in enumerate(chart.rows):
        ax = axes[index // columns][index % columns]
        ax.plot(range(len(values)), [v or 0 for v in values], color="#3b6ea5", marker="o", ms=3)
        ax.set_title(title if len(title) <= 40 else title[:39] + "…", fontsize=9)
        ax.set_xticks([0, len(values) - 1], [_short(chart.weeks[0]), _short(chart.weeks[-1])])
        ax.tick_params(labelsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
    for index in range(count, lines * columns):
        axes[index // columns][index % columns].set_visible(False)
    return canvas


def _draw_heatmap(chart: Chart) -> Canvas:
    teams = len(chart.rows)
    canvas = Canvas(figsize=(7, 0.3 * teams + 1.4), dpi=DPI, layout="constrained")
    axes = canvas.add_subplot()
    grid = [[float("nan") if v is None else v for v in values] for _, values in chart.rows]
    image = axes.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=1)
    axes.set_yticks(range(teams), [name for name, _ in chart.rows], fontsize=8)
    axes.set_xticks(range(len(chart.weeks)), [_short(w) for w in chart.weeks], fontsize=7)
    canvas.colorbar(image, ax=axes, format=lambda v, _: f"{v:.0%}", shrink=0.8)
    return canvas
