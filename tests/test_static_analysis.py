"""pylint views (batched worker, per-snippet scores that match pylint's own), ruff views, compile-run view."""

import json
import subprocess
import sys

import pytest

from iterkd_lib.scoring.static_analysis import compile_run_view, pylint_views, ruff_views

CLEAN = '"""Module."""\n\n\ndef add(a, b):\n    """Add two numbers."""\n    return a + b\n'
MESSY = "import os\ndef f(x):\n    y = 1\n    return undefined_thing + x\n"


def test_scores_and_messages_per_snippet_in_order():
    views = pylint_views([CLEAN, MESSY, "def broken(:\n"])
    assert views[0] == {"score": 10.0, "messages": []}
    symbols = {m["symbol"] for m in views[1]["messages"]}
    assert {"unused-import", "undefined-variable", "unused-variable"} <= symbols
    assert 0.0 <= views[1]["score"] < 10.0
    assert all(m["category"] in ("convention", "refactor", "warning", "error", "fatal") for m in views[1]["messages"])
    assert views[2]["score"] == 0.0 and views[2]["messages"][0]["symbol"] == "syntax-error"


def test_no_stale_results_when_the_same_code_shape_changes():
    first = pylint_views(["x = 1\n"])[0]
    second = pylint_views(["import os\nx = 1\n"])[0]
    assert "unused-import" not in {m["symbol"] for m in first["messages"]}
    assert "unused-import" in {m["symbol"] for m in second["messages"]}


def test_score_equals_pylints_own_score_for_a_single_file(tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(MESSY)
    proc = subprocess.run([sys.executable, "-m", "pylint", "--rcfile=/dev/null", "--persistent=n",
                           "--output-format=json2", str(path)], capture_output=True, text=True, check=False)
    expected = json.loads(proc.stdout)["statistics"]["score"]
    assert pylint_views([MESSY])[0]["score"] == pytest.approx(expected, abs=1e-3)


def test_batches_beyond_one_worker_call_keep_order():
    codes = [f"def f{i}():\n    return {i}\n" if i % 2 else "import os\n" for i in range(130)]
    views = pylint_views(codes)
    assert len(views) == 130
    assert all(("unused-import" in {m["symbol"] for m in v["messages"]}) == (i % 2 == 0) for i, v in enumerate(views))


def test_ruff_views():
    views = ruff_views([CLEAN, "import os\n", "x = (\n"])
    assert views[0] == {"count": 0, "messages": []}
    assert [m["code"] for m in views[1]["messages"]] == ["F401"]
    assert views[2]["count"] >= 1 and views[2]["messages"][0]["line"] >= 1


def test_compile_run_view_stages():
    assert compile_run_view("print('ok')\n") == {"ok": True, "stage": "run", "error_type": None, "message": ""}
    v = compile_run_view("def f(:\n")
    assert (v["ok"], v["stage"], v["error_type"]) == (False, "compile", "SyntaxError")
    v = compile_run_view("1 / 0\n")
    assert (v["ok"], v["stage"], v["error_type"]) == (False, "run", "ZeroDivisionError")
    assert compile_run_view("while True:\n    pass\n", timeout_s=0.5)["error_type"] == "TimeoutError"
