"""How heavy is the shopper widget? Raw and gzip -9 sizes of what it ships.

Usage: python bench/widget_size.py

The widget loads on every page of the shop. What a browser downloads is
``widget.min.js`` and ``widget.min.css``, built by ``make widget`` from the
readable ES modules of ``static/livechat/widget/`` and ``static/livechat/shared/``
and from ``widget.css``; tests/test_templatetags.py keeps those two within
15 KB gzipped. The readable sources are listed too, for what the minifier saves.
Plain Python, no Django.
"""

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "livechat" / "static" / "livechat"
SHIPPED = ("widget.min.js", "widget.min.css")
SOURCES = ("widget", "shared")
BUDGET = 15 * 1024


def sizes(data):
    return len(data), len(gzip.compress(data, compresslevel=9))


def _table(title, rows):
    print(f"{title:<28}{'raw':>10}{'gzip -9':>10}")
    for name, raw, zipped in rows:
        print(f"{name:<28}{raw:>10,}{zipped:>10,}")


def main():
    shipped = [(name, *sizes((STATIC / name).read_bytes())) for name in SHIPPED]
    shipped.append(("total", sum(r[1] for r in shipped), sum(r[2] for r in shipped)))
    _table("shipped", shipped)
    total = shipped[-1][2]
    print(f"budget {BUDGET:,} bytes gzipped: {BUDGET - total:,} left")
    print()
    paths = [p for folder in SOURCES for p in sorted((STATIC / folder).rglob("*.js"))]
    paths.append(STATIC / "widget.css")
    sources = [(str(p.relative_to(STATIC)), *sizes(p.read_bytes())) for p in paths]
    together = b"\n".join(p.read_bytes() for p in paths)
    sources.append((f"all {len(paths)} files", *sizes(together)))
    _table("readable sources", sources)


if __name__ == "__main__":
    main()
