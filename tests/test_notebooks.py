"""Every notebook runs top to bottom headless against a REAL run, and is committed stripped.

The run is the session fixture `smoke_run` (tests/conftest.py: a real 2-cycle run of configs/smoke.yaml with
the bundled models), copied so that nothing a notebook does can change what other tests read. The run is
complete, so every stage call in the notebooks (`cycle.open_run`, `run_stage`, `run_all`) reads its stage back:
these tests check the wiring and every figure on real records, and that reading a finished run loads no
model. A cell error fails the test with the cell's traceback. Kernels run with OMP_NUM_THREADS=1 (two
threads on two busy cores swing 20x here).

Why `slow`: the notebooks themselves take about a minute here, but they need the smoke run (minutes; shared
with tests/test_cycle_e2e.py, so CI builds it once). The synthetic run of tests/synthetic_run.py is no longer
used here: test_figures covers the figures on it, and a second pass of seven kernels would add no wiring.
"""

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SMOKE = ROOT / "configs" / "smoke.yaml"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


strip_outputs = _load("strip_outputs", ROOT / "notebooks" / "strip_outputs.py")


@pytest.fixture(scope="module")
def run_dir(smoke_run, tmp_path_factory):
    """A copy of the finished smoke run (the adapters are small: LoRA r=8 on a 135M model)."""
    copy = tmp_path_factory.mktemp("nbrun") / "smoke"
    shutil.copytree(smoke_run["run_dir"], copy)
    return copy


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _execute(nb, cwd):
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(cwd)}}).execute()


def test_a_failing_cell_fails_the_run(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")])
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        _execute(nb, tmp_path)


def test_the_numbered_sequence_is_complete():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(7)]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_headless(path, run_dir, tmp_path, monkeypatch):
    # The kernel inherits this environment: the parameters cell reads these variables. The config path is the
    # smoke YAML without the run's cache overrides: the notebooks reopen an existing run with its saved config.
    monkeypatch.setenv("ITERKD_CONFIG", str(SMOKE))
    monkeypatch.setenv("ITERKD_RUN_DIR", str(run_dir))
    monkeypatch.setenv("ITERKD_CYCLE", "1")
    monkeypatch.setenv("ITERKD_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("ITERKD_PNG", "0")        # PNG export is tested in test_figures; here it only costs time
    monkeypatch.setenv("ITERKD_RUN_ABLATIONS", "0")
    # one ablation "variant" given as a run directory (the same run again: this checks the wiring, not a result)
    monkeypatch.setenv("ITERKD_ABLATION_RUNS", json.dumps({"without judge view (Stage II: tests + pylint only)":
                                                           str(run_dir)}))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    before = _files(run_dir)
    nb = nbformat.read(path, as_version=4)
    try:
        _execute(nb, path.parent)
    except CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell failed:\n{e}")
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Traceback" not in text
    assert "Loading weights" not in text, "reading a finished run back loaded a model"
    assert _files(run_dir) == before, "a notebook added or removed files in a finished run"
    if path.stem == "00_quickstart":
        assert "OMP_NUM_THREADS=1" in text and "student = smollm2-135m-instruct" in text  # smoke config, 1 thread
        assert f"ITERKD_RUN_DIR={run_dir}" in text and "run.response_cache_dir" in text   # reopened, saved config
    if path.stem == "05_cycles":
        assert "best cycle by" in text and "teacher (ceiling)" in text                    # the report table
    if path.stem == "06_paper_figures":
        assert "2 of 5 variants have a run" in text
        assert text.count("iterkd run --config") == 3 and "'regeneration.per_level=" in text
    if path.stem != "00_quickstart":
        assert list((tmp_path / "figures").glob("*.html")), "the notebook wrote no figure to FIGURES_DIR"


def test_parameters_cell_is_second_and_tagged():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), path.name
        params = nb.cells[1]
        assert "parameters" in params.metadata.get("tags", []), path.name
        for var in ("ITERKD_CONFIG", "ITERKD_RUN_DIR", "ITERKD_CYCLE", "ITERKD_FIGURES_DIR"):
            assert f'os.environ.get("{var}"' in params.source, (path.name, var)
        assert nb.cells[-1].source.startswith("## Results log"), path.name
        assert not any(line.lstrip().startswith(("!pip", "%pip", "!conda")) for c in nb.cells
                       for line in c.source.splitlines()), path.name
        assert not any("LEAD:" in c.source for c in nb.cells), f"{path.name}: a placeholder cell is left"


def _tracked_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=False)
    return [ROOT / p for p in out.stdout.split()]


def _staged_text(path: Path) -> str | None:
    """The notebook as git's index holds it (what the next commit gets), or None when it is not tracked."""
    rel = path.relative_to(ROOT).as_posix()
    out = subprocess.run(["git", "show", f":{rel}"], cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout if out.returncode == 0 else None


def test_notebooks_are_stripped_of_outputs(tmp_path):
    # every notebook on disk, and every one in git's index (a stripped working copy can hide a dirty index)
    paths = sorted(set(NOTEBOOKS) | set(_tracked_notebooks()))
    dirty = [p.name for p in paths if p.exists() and not strip_outputs.is_stripped(p)]
    for p in paths:
        staged = _staged_text(p)
        if staged is not None:
            (tmp_path / p.name).write_text(staged, encoding="utf-8")
            if not strip_outputs.is_stripped(tmp_path / p.name):
                dirty.append(f"{p.name} (in git)")
    assert not dirty, f"run `.venv/bin/python notebooks/strip_outputs.py` before committing: {dirty}"


def test_strip_outputs_removes_outputs(tmp_path):
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.cells[2].execution_count = 3
    dirty = tmp_path / "x.ipynb"
    nbformat.write(nb, dirty)
    assert not strip_outputs.is_stripped(dirty)
    assert strip_outputs.main(["--check", str(dirty)]) == 1
    assert strip_outputs.main([str(dirty)]) == 0
    assert strip_outputs.is_stripped(dirty)
    assert nbformat.read(dirty, as_version=4).cells[1].metadata["tags"] == ["parameters"]
