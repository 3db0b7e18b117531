"""Load benchmark: livechat under daphne over real WebSockets, against a bare relay.

    .venv/bin/python bench/load.py --quick      # a ~30 s smoke run
    .venv/bin/python bench/load.py --help       # every option and its default

The tool is the package bench/loadbench/ (its docstring says what a run does);
this file runs it from a checkout, as ``python -m bench.loadbench`` does.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.loadbench.__main__ import main  # noqa: E402

if __name__ == "__main__":
    main()
