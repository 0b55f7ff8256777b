"""A horizontal bar chart as a standalone SVG document: small enough to read, no plotting library.
Every text is escaped; a bar without a value (suppressed, no cases) is drawn as its note only."""

from collections.abc import Sequence
from html import escape

WIDTH = 760
LABEL_WIDTH = 290
BAR_AREA = 300
ROW = 30
TOP = 48
BAR_COLOUR = "#2f6f9f"


def bar_chart(title: str, bars: Sequence[tuple[str, float | None, str]], note: str = "") -> str:
    """`bars`: (label, value or None, text beside the bar). Bars are scaled to the largest value."""
    largest = max((value for _, value, _ in bars if value is not None), default=0.0) or 1.0
    height = TOP + ROW * len(bars) + (40 if note else 16)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        f'<text x="10" y="24" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for row, (label, value, text) in enumerate(bars):
        y = TOP + row * ROW
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        length = 0.0 if value is None else max(1.0, BAR_AREA * value / largest)
        if value is not None:
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{length:.1f}" height="18" fill="{BAR_COLOUR}"/>')
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 15}" fill="{"#222" if value is not None else "#777"}">'
            f"{escape(text)}</text>"
        )
    if note:
        parts.append(f'<text x="10" y="{height - 14}" font-size="11" fill="#555">{escape(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
