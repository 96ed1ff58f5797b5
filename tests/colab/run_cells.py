"""Run a notebook's code cells the way a Colab kernel would, for the simulated Colab in tests/test_colab.py.

    python run_cells.py NOTEBOOK (--until MARKER | --cells N)

Runs in the current folder (the test gives it an empty one, like Colab's /content: no checkout, no
.env). `google.colab` is imported first, as Colab's kernel does; this script's folder holds the
stand-in package. IPython magics (`%pip ...`, `!...`) are not run: each is replaced by a line that
prints it, so the output shows which ones Colab would have run. Prints `[cell N]` before each cell,
then a `[report]` line of JSON: where llmcourse was imported from, whether llama.cpp was loaded, the
processes this run started (a local model server would be one) and the secrets that were asked for.
"""

import argparse
import importlib.util
import json
import os
import re
import sys
import traceback
from pathlib import Path

_MAGIC = re.compile(r"^(\s*)([%!].*)$")


def without_magics(source: str) -> str:
    """The cell with each magic line replaced by a print of it (same indentation, so blocks stay valid)."""
    return "\n".join(
        f"{m.group(1)}print({('[magic skipped] ' + m.group(2)).strip()!r})" if (m := _MAGIC.match(line)) else line
        for line in source.splitlines()
    )


def children() -> list[str]:
    """Command lines of the processes this one started and that still run (a local model server would be one)."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in task.read_text().split():
            try:
                found.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip())
            except OSError:
                pass
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook")
    parser.add_argument("--until", help="stop after the first code cell containing this text")
    parser.add_argument("--cells", type=int, help="run this many code cells")
    args = parser.parse_args()
    # Colab's kernel imports google.colab before any cell runs (imported here, not at module level, so that
    # pytest's doctest collection of this file never makes the test process look like Colab).
    import google.colab  # noqa: F401
    from google.colab import userdata

    with open(args.notebook, encoding="utf-8") as handle:
        cells = [c for c in json.load(handle)["cells"] if c["cell_type"] == "code"]
    namespace: dict = {"__name__": "__main__"}
    status = 0
    for number, cell in enumerate(cells):
        if args.cells is not None and number >= args.cells:
            break
        source = "".join(cell["source"])
        print(f"[cell {number}]", flush=True)
        try:
            exec(compile(without_magics(source), f"<{args.notebook} code cell {number}>", "exec"), namespace)
        except Exception:  # noqa: BLE001 - report like a notebook would, then stop
            traceback.print_exc()
            status = 1
            break
        sys.stdout.flush()
        if args.until and args.until in source:
            break
    else:
        if args.until:
            print(f"no code cell contains {args.until!r}", file=sys.stderr)
            status = 2
    llmcourse = sys.modules.get("llmcourse")
    report = {
        "llmcourse_file": getattr(llmcourse, "__file__", None),
        "llama_cpp_loaded": "llama_cpp" in sys.modules,
        "child_processes": children(),
        "llama_cpp_installed": importlib.util.find_spec("llama_cpp") is not None,
        "secrets_asked": sorted(set(userdata.requests)),
    }
    print("[report] " + json.dumps(report), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
