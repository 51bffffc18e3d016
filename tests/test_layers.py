"""Lower layers never import higher ones, stages never import each other, modules stay small and say what
they do (docs/design.md)."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "iterkd_lib"

# By top-level name: a flat module, or a subpackage with every module in it.
LAYERS = {
    1: {"config", "config_schema", "records", "verdicts", "runstore", "seeding", "problems", "splits", "tracking"},  # foundation
    2: {"sandbox", "models", "scoring", "prompts", "question_prompts"},                                   # capabilities
    3: {"stages"},                                                                    # one module per run file
    4: {"cycle", "runs", "cycle_summary", "launch", "console", "study"},              # the loop
    5: {"report", "notebook", "figures", "widgets", "cli", "commands", "metrics", "export", "control_panel",
        "study_report"},                                                              # presentation
}
LAYER_OF = {name: level for level, names in LAYERS.items() for name in names}

MAX_LINES = 300
# Modules allowed past MAX_LINES, each with its reason.
LONG_MODULES = {
    "config_schema.py": "one dataclass per config section, a help text (and bounds) under every field",
    "records.py": "one dataclass per run-file row (five run files and the cycle summary), each docstring giving "
                  "every field's shape, unit and writer, on one JSON round-trip base (the verdicts: verdicts.py)",
    "stages/adapter.py": "the two-phase TRL training with its loss formulas documented in the module docstring",
    "sandbox/child.py": "everything a forked job child runs (stdlib only, loaded by path before any job): one file",
    "stages/new_questions.py": "the batched regeneration loop of Stage III with its revisions and the student "
                               "check (one job); the text checks are scoring/novelty.py, the reply parser "
                               "scoring/question_parser.py, the answer vote scoring/agreement_vote.py (tests from "
                               "it: scoring/agreed_tests.py), the student check scoring/student_check.py",
    "scoring/stats.py": "interval, paired test and ratio of gains share one resampling helper; half of it is the "
                        "documented sources and result fields",
    "scoring/code_extraction.py": "one ordered rule set (reasoning tags, fences, block choice, re-indentation, "
                                  "failures) whose decisions depend on each other; the docstring lists them",
    "scoring/judge_parser.py": "the rubric prompt's reply parser: text layouts, tables and JSON replies share "
                               "the rule labels and the value reader",
}


def _modules():
    """(dotted name inside the package, top-level name, path) of every module but the package's own __init__."""
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel == Path("__init__.py"):
            continue
        yield ".".join(rel.with_suffix("").parts), rel.parts[0].removesuffix(".py"), path


def _imports(path):
    """Dotted names (below iterkd_lib) of the package modules `path` imports."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("iterkd_lib"):
            parts = node.module.split(".")[1:]
            if parts:
                yield ".".join(parts)
                yield from (".".join([*parts, alias.name]) for alias in node.names)
            else:
                yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "iterkd_lib" and len(parts) > 1:
                    yield ".".join(parts[1:])


def test_every_module_is_placed_in_a_layer():
    unplaced = sorted({top for _, top, _ in _modules()} - set(LAYER_OF))
    assert not unplaced, f"add these modules to a layer in tests/test_layers.py and docs/design.md: {unplaced}"


def test_lower_layers_never_import_higher_ones():
    violations = []
    for name, top, path in _modules():
        mine = LAYER_OF.get(top)
        for dep in _imports(path):
            theirs = LAYER_OF.get(dep.split(".")[0])
            if mine is not None and theirs is not None and theirs > mine:
                violations.append(f"{name} (layer {mine}) imports {dep} (layer {theirs})")
    assert not violations, "\n".join(violations)


def test_stages_never_import_each_other():
    stages = {name for name, top, _ in _modules() if top == "stages" and name != "stages.__init__"}
    assert {"stages.pool", "stages.teacher_attempts", "stages.training_set", "stages.adapter",
            "stages.student_attempts", "stages.feedback", "stages.levels", "stages.new_questions",
            "stages.evaluation"} <= stages
    violations = []
    for name, top, path in _modules():
        if top != "stages":
            continue
        for dep in _imports(path):
            if dep in stages and dep != name:   # `from iterkd_lib.stages import x` yields "stages.x" too
                violations.append(f"{name} imports {dep}")
    assert not violations, "a stage's inputs come from the cycle, not from another stage:\n" + "\n".join(violations)


def test_no_private_names_imported_across_modules():
    found = []
    for name, _, path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            # the sandbox harness loads its siblings by bare name (it runs as a script, outside the package)
            sibling = name == "sandbox.harness" and node.module in ("child", "setup")
            if node.module.startswith("iterkd_lib") or sibling:
                found += [f"{name} imports {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not found, "\n".join(found)


def test_modules_stay_small():
    too_long = {}
    for _, _, path in _modules():
        rel = str(path.relative_to(PKG))
        n = len(path.read_text().splitlines())
        if n > MAX_LINES and rel not in LONG_MODULES:
            too_long[rel] = n
    assert not too_long, f"split these modules or add them to LONG_MODULES with a reason: {too_long}"
    stale = [rel for rel in LONG_MODULES if len((PKG / rel).read_text().splitlines()) <= MAX_LINES]
    assert not stale, f"no longer long, remove from LONG_MODULES: {stale}"


def test_every_module_opens_with_a_docstring():
    missing = [name for name, _, p in _modules() if not ast.get_docstring(ast.parse(p.read_text()))]
    assert not missing, f"modules without a docstring: {missing}"
