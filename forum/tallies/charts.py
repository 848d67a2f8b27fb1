"""Server-rendered SVG charts: light, printable, no script (the CSP forbids inline script anyway)."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT = 300, 110
PAD_LEFT, PAD_BOTTOM, PAD_TOP = 26, 18, 8


def trend_svg(months: list[int], series: dict[int, tuple[int, int]], title: str,
              total_label: str, substantive_label: str) -> Markup:
    """Twelve monthly bars: all contributions (light) with the substantive ones (dark) in front."""
    values = [series.get(m, (0, 0)) for m in months]
    peak = max([t for t, _s in values] + [1])
    plot_w = WIDTH - PAD_LEFT - 4
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(len(months), 1)
    bar = max(step * 0.7, 2)
    parts = [
        f'<svg class="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 4}" y2="{PAD_TOP + plot_h}" class="axis"/>',
        f'<text x="{PAD_LEFT - 3}" y="{PAD_TOP + 8}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{PAD_LEFT - 3}" y="{PAD_TOP + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    for i, (month, (total, subst)) in enumerate(zip(months, values)):
        x = PAD_LEFT + i * step + (step - bar) / 2
        h_total = plot_h * total / peak
        h_subst = plot_h * subst / peak
        label = f"{month // 100}-{month % 100:02d}: {total_label} {total}, {substantive_label} {subst}"
        parts.append(f'<g><title>{escape(label)}</title>'
                     f'<rect class="bar-total" x="{x:.1f}" y="{PAD_TOP + plot_h - h_total:.1f}" '
                     f'width="{bar:.1f}" height="{h_total:.1f}"/>'
                     f'<rect class="bar-substantive" x="{x:.1f}" y="{PAD_TOP + plot_h - h_subst:.1f}" '
                     f'width="{bar:.1f}" height="{h_subst:.1f}"/></g>')
        if i % 3 == 0 or i == len(months) - 1:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 4}" class="tick" text-anchor="middle">'
                         f'{month % 100}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
