"""Lower layers never import higher ones (docs/design.md), and every module says what it does."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "iterkd_lib"

LAYERS = {
    1: {"config", "runstore", "seeding"},
    2: {"problems", "execution", "sandbox_harness", "sandbox_setup", "sandbox_child", "static_analysis", "passk",
        "decontamination", "model_registry", "generation", "response_cache", "code_extraction", "student_model",
        "judge", "engine_llamacpp", "engine_ct2"},
    3: {"teacher_data", "training", "feedback", "difficulty", "regeneration", "evaluation", "launch"},
    4: {"cycle", "cycle_summary"},
    5: {"figures", "widgets", "cli", "commands"},
}
LAYER_OF = {name: level for level, names in LAYERS.items() for name in names}


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.name == "__init__.py" and rel.parent == Path("."):
            continue
        yield rel.parts[0].removesuffix(".py"), path


def _imported_package_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("iterkd_lib"):
            parts = node.module.split(".")
            if len(parts) > 1:
                yield parts[1]
            else:
                yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "iterkd_lib" and len(parts) > 1:
                    yield parts[1]


def test_every_module_is_placed_in_a_layer():
    unplaced = sorted({name for name, _ in _modules()} - set(LAYER_OF))
    assert not unplaced, f"add these modules to a layer in tests/test_layers.py and docs/design.md: {unplaced}"


def test_lower_layers_never_import_higher_ones():
    violations = []
    for name, path in _modules():
        mine = LAYER_OF.get(name)
        for dep in _imported_package_modules(path):
            theirs = LAYER_OF.get(dep)
            if mine is not None and theirs is not None and theirs > mine:
                violations.append(f"{path.relative_to(PKG)} (layer {mine}) imports {dep} (layer {theirs})")
    assert not violations, "\n".join(violations)


def test_every_module_opens_with_a_docstring():
    missing = [str(p.relative_to(PKG)) for _, p in _modules() if not ast.get_docstring(ast.parse(p.read_text()))]
    assert not missing, f"modules without a docstring: {missing}"
