"""Server-drawn SVG charts: the geometry of a line chart (one line per series over the weeks), for a template
to draw. Every point keeps its value and label, so the same data also becomes the chart's table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # a class of the stylesheet (colours live there, not in the markup)
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """SVG path data: a line through consecutive points, broken where a week has no value."""
        out: list[str] = []
        pen_up = True
        for p in self.points:
            if math.isnan(p.value):
                pen_up = True
                continue
            out.append(f"{'M' if pen_up else 'L'}{p.x:.1f},{p.y:.1f}")
            pen_up = False
        return " ".join(out)

    @property
    def drawn(self) -> tuple[Point, ...]:
        return tuple(p for p in self.points if not math.isnan(p.value))


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class LineChart:
    title: str
    description: str
    unit: str
    width: int
    height: int
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(s.drawn for s in self.series)


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def line_chart(
    *,
    title: str,
    description: str,
    unit: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    css: Mapping[str, str] | None = None,
) -> LineChart:
    """`series`: name -> one value per label (None: no value that week)."""
    values = [v for vs in series.values() for v in vs if v is not None]
    top = _nice_ceiling(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    drawn = tuple(
        Series(
            name,
            (css or {}).get(name, f"series-{i}"),
            tuple(
                Point(x(j), y(v), v) if v is not None else Point(x(j), 0.0, math.nan)
                for j, v in enumerate(vs)
            ),
        )
        for i, (name, vs) in enumerate(series.items())
    )
    y_ticks = tuple(Tick(y(top * k / 4), f"{top * k / 4:g}") for k in range(5))
    x_ticks = tuple(Tick(x(i), label) for i, label in enumerate(labels))
    return LineChart(title, description, unit, WIDTH, HEIGHT, tuple(labels), drawn, x_ticks, y_ticks)
