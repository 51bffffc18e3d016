"""Every notebook runs top to bottom headless (smoke config, a run directory) and is committed stripped.

The run directory is the synthetic one from tests/synthetic_run.py for now; the lead will point
ITERKD_RUN_DIR at a real smoke run once the cycle produces one. A cell error fails the test with the cell's
traceback. Kernels run with OMP_NUM_THREADS=1 (two threads on two busy cores swing 20x here).
"""

import importlib.util
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


synthetic_run = _load("synthetic_run", Path(__file__).with_name("synthetic_run.py"))
strip_outputs = _load("strip_outputs", ROOT / "notebooks" / "strip_outputs.py")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("nbrun") / "synthetic"
    synthetic_run.build_synthetic_run(root, SMOKE)
    return root


def _execute(nb, cwd):
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(cwd)}}).execute()


def test_a_failing_cell_fails_the_run(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("1 / 0")])
    with pytest.raises(CellExecutionError, match="ZeroDivisionError"):
        _execute(nb, tmp_path)


def test_the_numbered_sequence_is_complete():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(7)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_headless(path, run_dir, tmp_path, monkeypatch):
    # The kernel inherits this environment: the parameters cell reads these variables.
    monkeypatch.setenv("ITERKD_CONFIG", str(SMOKE))
    monkeypatch.setenv("ITERKD_RUN_DIR", str(run_dir))
    monkeypatch.setenv("ITERKD_CYCLE", "1")
    monkeypatch.setenv("ITERKD_FIGURES_DIR", str(tmp_path / "figures"))
    monkeypatch.setenv("ITERKD_PNG", "0")        # PNG export is tested in test_figures; here it only costs time
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "false")
    nb = nbformat.read(path, as_version=4)
    try:
        _execute(nb, path.parent)
    except CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell failed:\n{e}")
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Traceback" not in text
    if path.stem == "00_quickstart":
        assert "OMP_NUM_THREADS=1" in text and "student = smollm2-135m-instruct" in text  # smoke config, 1 thread
    if path.stem in ("01_teacher_data", "02_student_training", "03_feedback", "04_difficulty_regeneration",
                     "05_cycles", "06_paper_figures"):
        assert list((tmp_path / "figures").glob("*.html")), "the notebook wrote no figure to FIGURES_DIR"


def test_parameters_cell_is_second_and_tagged():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), path.name
        params = nb.cells[1]
        assert "parameters" in params.metadata.get("tags", []), path.name
        assert 'os.environ.get("ITERKD_CONFIG"' in params.source and 'os.environ.get("ITERKD_RUN_DIR"' in params.source
        assert nb.cells[-1].source.startswith("## Results log"), path.name
        assert not any(line.lstrip().startswith(("!pip", "%pip", "!conda")) for c in nb.cells
                       for line in c.source.splitlines()), path.name


def _tracked_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=False)
    return [ROOT / p for p in out.stdout.split()]


def test_notebooks_are_stripped_of_outputs():
    # every notebook in git, and every one on disk that would be added next
    paths = sorted(set(NOTEBOOKS) | set(_tracked_notebooks()))
    dirty = [p.name for p in paths if p.exists() and not strip_outputs.is_stripped(p)]
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

