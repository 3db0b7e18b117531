"""How heavy is the shopper widget? Raw and gzip -9 sizes of its JS and CSS.

Usage: python bench/widget_size.py

The widget loads on every page of the shop; tests/test_templatetags.py keeps
JS + CSS within 15 KB gzipped (the aim is 13 KB). Plain Python, no Django.
"""

import gzip
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "livechat" / "static" / "livechat"
FILES = ("widget.js", "widget.css")
BUDGET = 15 * 1024


def sizes(name):
    data = (STATIC / name).read_bytes()
    return len(data), len(gzip.compress(data, compresslevel=9))


def main():
    rows = [(name, *sizes(name)) for name in FILES]
    rows.append(("total", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    print(f"{'file':<12}{'raw':>10}{'gzip -9':>10}")
    for name, raw, zipped in rows:
        print(f"{name:<12}{raw:>10,}{zipped:>10,}")
    total = rows[-1][2]
    print(f"budget {BUDGET:,} bytes gzipped: {BUDGET - total:,} left")


if __name__ == "__main__":
    main()
