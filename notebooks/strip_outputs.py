"""Strip outputs, execution counts and run metadata from notebooks, so they are committed clean.

    .venv/bin/python notebooks/strip_outputs.py                 # strip every notebooks/*.ipynb in place
    .venv/bin/python notebooks/strip_outputs.py --check         # exit 1 and name the files that need it

Kept: the cells' sources, ids and tags (papermill finds the "parameters" cell by its tag), the kernelspec.
Not covered: git hooks (run it before `git add`; tests/test_notebooks.py fails while a notebook has outputs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

KEEP_NOTEBOOK_META = ("kernelspec", "language_info")
KEEP_CELL_META = ("tags",)


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NOTEBOOK_META}
    if "language_info" in nb.metadata:
        nb.metadata["language_info"] = {"name": nb.metadata["language_info"].get("name", "python")}
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_META}
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def is_stripped(path: str | Path) -> bool:
    text = Path(path).read_text(encoding="utf-8")
    return nbformat.writes(strip(nbformat.reads(text, as_version=4))) == text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Strip outputs from notebooks.")
    parser.add_argument("paths", nargs="*", help="notebooks (default: every .ipynb next to this script)")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if any needs stripping")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.paths] or sorted(Path(__file__).parent.glob("*.ipynb"))
    dirty = [p for p in paths if not is_stripped(p)]
    if args.check:
        for p in dirty:
            print(f"has outputs or metadata: {p}")
        return 1 if dirty else 0
    for p in dirty:
        nb = strip(nbformat.read(p, as_version=4))
        p.write_text(nbformat.writes(nb), encoding="utf-8")
        print(f"stripped {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
