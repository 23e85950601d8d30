"""Qini curves as a small self-contained SVG (no plotting library, no fonts to fetch).

The report shows a few curves per outcome; hand-written SVG keeps the file a few
kilobytes, diffable in git and readable in any browser or on GitHub.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import numpy as np

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#7f7f7f")
PANEL_W, PANEL_H, MARGIN_L, MARGIN_B, MARGIN_T, LEGEND_H = 420, 260, 56, 40, 30, 18


def _panel(
    title: str,
    grid: np.ndarray,
    curves: Mapping[str, np.ndarray],
    colours: Mapping[str, str],
    x0: float,
) -> list[str]:
    """One panel's axes, ticks, curves and title, its top-left corner at ``(x0, 0)``."""
    values = np.concatenate([np.asarray(c) for c in curves.values()] + [np.zeros(1)])
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * 0.05 or 1.0
    low, high = low - pad, high + pad
    width, height = PANEL_W - MARGIN_L - 24, PANEL_H - MARGIN_T - MARGIN_B

    def px(share: float) -> float:
        return x0 + MARGIN_L + share * width

    def py(value: float) -> float:
        return MARGIN_T + (high - value) / (high - low) * height

    out = [
        f'<text x="{x0 + PANEL_W / 2:.1f}" y="18" text-anchor="middle" '
        f'font-weight="bold">{escape(title)}</text>',
        f'<rect x="{px(0):.1f}" y="{MARGIN_T}" width="{width}" height="{height}" '
        'fill="none" stroke="#999"/>',
        f'<line x1="{px(0):.1f}" y1="{py(0):.1f}" x2="{px(1):.1f}" y2="{py(0):.1f}" '
        'stroke="#ccc" stroke-dasharray="3,3"/>',
    ]
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<text x="{px(share):.1f}" y="{MARGIN_T + height + 14}" '
            f'text-anchor="middle">{share:.0%}</text>'
        )
    for value in np.linspace(low + pad, high - pad, 4):
        out.append(
            f'<text x="{px(0) - 4:.1f}" y="{py(value) + 4:.1f}" text-anchor="end">'
            f"{value:.1f}</text>"
        )
    out.append(
        f'<text x="{px(0.5):.1f}" y="{PANEL_H - 6}" text-anchor="middle">'
        "share of customers targeted, best-ranked first</text>"
    )
    for name, curve in curves.items():
        colour = colours[name]
        points = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in zip(grid, curve, strict=True))
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
        )
    return out


def qini_svg(panels: Mapping[str, Mapping[str, np.ndarray]], grid: np.ndarray) -> str:
    """Side-by-side panels of Qini curves (one per outcome, its unit in its title), one legend.

    Each curve is drawn through ``(grid[i], curve[i])``: share targeted, incremental outcome.
    """
    names = list(dict.fromkeys(name for curves in panels.values() for name in curves))
    legend_rows = (len(names) + 1) // 2
    total_w = PANEL_W * max(1, len(panels))
    total_h = PANEL_H + LEGEND_H * legend_rows + 8
    colours = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(names)}
    body: list[str] = []
    for i, (title, curves) in enumerate(panels.items()):
        body += _panel(title, grid, curves, colours, i * PANEL_W)
    for i, name in enumerate(names):
        x = 20 + (i % 2) * (total_w / 2)
        y = PANEL_H + 6 + (i // 2) * LEGEND_H
        colour = colours[name]
        body.append(
            f'<line x1="{x:.1f}" y1="{y + 8}" x2="{x + 24:.1f}" y2="{y + 8}" '
            f'stroke="{colour}" stroke-width="2"/>'
            f'<text x="{x + 30:.1f}" y="{y + 12}">{escape(name)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'viewBox="0 0 {total_w} {total_h}" font-family="sans-serif" font-size="11">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n"
    )
