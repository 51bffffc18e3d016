"""Every `from iterkd_lib... import name` in the benchmark and data scripts names something that exists.

The scripts import inside their functions (heavy imports only when a step runs), so a moved or renamed
library function breaks them silently until someone runs a long measurement; this reads their imports with
`ast` and resolves each one, without running the scripts. Not covered: attribute access on imported modules.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*ROOT.glob("benchmarks/*.py"), *ROOT.glob("data/*.py"), *ROOT.glob("notebooks/*.py")])


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "iterkd_lib":
            for alias in node.names:
                yield node.lineno, node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "iterkd_lib":
                    yield node.lineno, alias.name, None


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_script_imports_resolve(path):
    broken = []
    for line, module, name in _imports(path):
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            broken.append(f"{path.name}:{line}: {module}: {e}")
            continue
        if name is not None and not hasattr(mod, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                broken.append(f"{path.name}:{line}: {module} has no {name}")
    assert not broken, "\n".join(broken)
