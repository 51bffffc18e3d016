"""Figures read the run directory's records correctly, survive missing stages, and export HTML (+ PNG)."""

import importlib.util
import json
import shutil
import warnings
from pathlib import Path

import pytest

from iterkd_lib import figures as F
from iterkd_lib.cli import main as cli_main
from iterkd_lib.figures import export as export_mod
from iterkd_lib.runstore import RunStore

_spec = importlib.util.spec_from_file_location("synthetic_run", Path(__file__).with_name("synthetic_run.py"))
synthetic_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic_run)
EXPECTED = synthetic_run.EXPECTED


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return synthetic_run.build_synthetic_run(tmp_path_factory.mktemp("run") / "synthetic")


def _trace(fig, name_prefix):
    found = [t for t in fig.data if (t.name or "").startswith(name_prefix)]
    assert found, f"no trace starting with {name_prefix!r} in {[t.name for t in fig.data]}"
    return found[0]


def _subtitle(fig):
    return fig.layout.title.subtitle.text or ""


def test_pass_at_1_plots_the_metrics_and_names_its_settings(store):
    fig = F.fig_pass_at_1(store)
    assert list(_trace(fig, "student (benchmark)").y) == [EXPECTED["pass"][c] for c in (0, 1, 2)]
    assert list(_trace(fig, "student (held-out").y) == [EXPECTED["held_out"][c] for c in (0, 1, 2)]
    assert set(_trace(fig, "teacher ceiling").y) == {EXPECTED["teacher"]}
    assert set(_trace(fig, "baseline").y) == {EXPECTED["pass"][0]}
    sub = _subtitle(fig)
    for part in ("smollm2-135m-instruct", "qwen2.5-coder-0.5b-instruct", "seed 7", "greedy", "first 4"):
        assert part in sub
    assert any("best: cycle 2" in (a.text or "") for a in fig.layout.annotations)


def test_level_flow_links_follow_task_ids(store):
    fig = F.fig_level_flow(store)
    sankey = fig.data[0]
    labels = list(sankey.node.label)
    links = {(labels[s], labels[t]): v for s, t, v in zip(sankey.link.source, sankey.link.target,
                                                          sankey.link.value, strict=True)}
    # t/1 medium -> easy, t/2 hard -> medium, t/3 dropped, g/1 and g/2 new (see synthetic_run.LEVELS)
    assert links[("cycle 1: medium", "cycle 2: easy")] == 1
    assert links[("cycle 1: hard", "cycle 2: medium")] == 1
    assert links[("cycle 1: hard", "dropped after 1")] == 1
    assert links[("new in cycle 2", "cycle 2: hard")] == 1
    assert sum(sankey.link.value) == len(EXPECTED["levels"][1]) + 2


def test_difficulty_distribution_counts_levels_per_cycle(store):
    fig = F.fig_difficulty_distribution(store)
    assert list(_trace(fig, "hard").x) == [1, 2]
    assert list(_trace(fig, "hard").y) == [2, 1]
    assert list(_trace(fig, "easy").y) == [1, 3]


def test_judge_vs_tests_splits_scores_by_test_outcome(store):
    fig = F.fig_judge_vs_tests(store, 1)
    assert sorted(_trace(fig, "tests pass").y) == [5.5, 6.0]
    assert sorted(_trace(fig, "tests fail").y) == [1.0, 2.0]       # the unjudged failing attempt is left out
    assert any("1 attempt(s) without a judge score" in a.text for a in fig.layout.annotations)
    assert "cycle 1" in _subtitle(fig)


def test_judge_rules_and_pylint_categories(store):
    rules = F.fig_judge_rules(store, 1)
    assert list(_trace(rules, "tests pass").y)[0] == 2.0           # functionality mean of passing attempts
    pylint = F.fig_pylint_categories(store, 1)
    failing = dict(zip(_trace(pylint, "tests fail").x, _trace(pylint, "tests fail").y, strict=True))
    assert failing["error"] == 2 and failing["warning"] == 1 and failing["refactor"] == 1
    assert dict(zip(_trace(pylint, "tests pass").x, _trace(pylint, "tests pass").y, strict=True))["convention"] == 1


def test_loss_curves_have_both_terms_and_the_margin(store):
    fig = F.fig_loss_curves(store, 1)
    assert list(_trace(fig, "sft_loss").y) == pytest.approx([1.0, 0.8, 0.6, 0.4])
    assert list(_trace(fig, "contrastive_loss").x) == [1, 2, 3, 4]
    assert _trace(fig, "margin").yaxis == "y2"


def test_fault_types_compare_request_with_label(store):
    fig = F.fig_fault_types(store, 1)
    faulty = dict(zip(_trace(fig, "label faulty").x, _trace(fig, "label faulty").y, strict=True))
    correct = dict(zip(_trace(fig, "label correct").x, _trace(fig, "label correct").y, strict=True))
    assert faulty["logical"] == 1 and correct["logical"] == 1      # one logical fault was not realised
    assert faulty["correct"] == 1                                  # one 'correct' attempt failed its tests
    heat = [t for t in fig.data if t.type == "heatmap"][0]
    assert "timeout" in heat.x and "SyntaxError" in heat.x


def test_acceptance_counts_accepted_and_rejected_by_reason(store):
    fig = F.fig_acceptance(store, 1)
    assert list(_trace(fig, "accepted").y) == [1, 0, 1]
    assert list(_trace(fig, "rejected: near_duplicate").y) == [1, 0, 1]
    assert list(_trace(fig, "rejected: no_agreement").y) == [0, 0, 1]
    assert any("accepted 2/5" in a.text for a in fig.layout.annotations)
    # agreement panel: largest agreeing group per question that reached the vote, min_agree marked
    assert list(_trace(fig, "accepted (agreement)").y) == [0, 0, 0, 0, 1, 0]
    assert list(_trace(fig, "rejected (agreement)").y) == [0, 0, 1, 0, 0, 0]
    assert any("min_agree 3" in (a.text or "") for a in fig.layout.annotations)
    assert any("expected values wrong: 1/2 (50%)" in (a.text or "") for a in fig.layout.annotations)


def test_teacher_yield_and_repair_success(store):
    fig = F.fig_teacher_yield(store)
    # pool t/0..t/3 in cycle 1: t/0 has a passing sample; t/1's student-failure repair passes (repair only)
    assert list(_trace(fig, "verified sample").y) == [0.25, round(1 / 5, 4)]
    assert list(_trace(fig, "only after repair").y) == [0.25, round(1 / 5, 4)]
    assert list(_trace(fig, "SFT positives written").y) == [0.75, 0.75]
    # the synthetic samples predate token counts: the figure says so instead of inventing a number
    assert [a.text for a in fig.layout.annotations if "tok" in (a.text or "")] == ["tokens n/a"] * 2
    rep = F.fig_repair_success(store, 1)
    fixed = _trace(rep, "student's failed attempts: fixed")
    assert list(fixed.x) == ["AssertionError", "NameError"] and list(fixed.y) == [1, 0]
    assert list(_trace(rep, "teacher's failed samples: attempted").y) == [0, 1]
    from iterkd_lib.report import report_table

    text = report_table(store.root)
    assert "teacher yield: 2/4 problems with a verified teacher solution (samples 1, repair +1)" in text
    assert "repairs fixed 1/2 (AssertionError 1/1, NameError 0/1)" in text


@pytest.mark.parametrize("fn", [F.fig_judge_vs_tests, F.fig_judge_rules, F.fig_pylint_categories,
                                F.fig_loss_curves, F.fig_fault_types, F.fig_acceptance, F.fig_repair_success])
def test_missing_stage_gives_an_annotated_empty_figure(store, fn):
    fig = fn(store, 0)                                              # cycle 0 is evaluation only
    assert F.is_empty(fig) and not fig.data
    assert any("no data for cycle 0" in a.text for a in fig.layout.annotations)


def test_an_empty_run_directory_gives_empty_figures(tmp_path):
    bare = RunStore(tmp_path / "bare")
    for fig in (F.fig_pass_at_1(bare), F.fig_level_flow(bare), F.fig_difficulty_distribution(bare),
                F.fig_acceptance(bare), F.ablation_table({})):
        assert F.is_empty(fig)


def test_cycle_diagram_has_three_stages_and_a_loop():
    fig = F.fig_cycle_diagram()
    texts = " ".join(a.text or "" for a in fig.layout.annotations)
    for stage in ("Stage I<", "Stage II<", "Stage III<", "Correct-and-Fault", "Multi-view Feedback",
                  "Feedback-based"):
        assert stage in texts
    assert sum(1 for a in fig.layout.annotations if a.showarrow) == 3
    assert "in shape only" in _subtitle(fig)


def test_ablation_rows_name_the_config_difference(tmp_path):
    full = synthetic_run.build_synthetic_run(tmp_path / "full")
    ablated = synthetic_run.build_synthetic_run(tmp_path / "noc")
    info = ablated.read_run_info()
    info["config"]["training"]["loss"] = "none"
    ablated.write_run_info(info)
    rows = F.ablation_rows({"full method": full, "without contrastive": ablated})
    assert rows[0]["config_difference"] == "(reference)"
    assert rows[1]["config_difference"] == "training.loss"
    assert rows[0]["best_pass@1"] == 0.75 and rows[0]["best_cycle"] == 2 and rows[0]["baseline_pass@1"] == 0.25
    table = F.ablation_table({"full method": full, "without contrastive": ablated})
    assert list(table.data[0].cells.values[1]) == ["(reference)", "training.loss"]


def test_ablation_named_from_config_and_compared_at_one_cycle(tmp_path):
    full = synthetic_run.build_synthetic_run(tmp_path / "full")
    nojudge = synthetic_run.build_synthetic_run(tmp_path / "nojudge")
    info = nojudge.read_run_info()
    info["config"]["feedback"]["use_judge"] = False
    nojudge.write_run_info(info)
    noupdate = synthetic_run.build_synthetic_run(tmp_path / "noupdate")
    info = noupdate.read_run_info()
    info["config"]["regeneration"]["per_level"] = {"easy": 0, "medium": 0, "hard": 0}
    noupdate.write_run_info(info)
    odd = synthetic_run.build_synthetic_run(tmp_path / "odd")
    info = odd.read_run_info()
    info["config"]["feedback"]["use_judge"] = False
    info["config"]["training"]["loss"] = "none"  # two parts removed: no single variant fits
    odd.write_run_info(info)
    assert F.ablation_name(full, nojudge) == "without judge view (Stage II: tests + pylint only)"
    assert F.ablation_name(full, noupdate) == "without new questions (Stage III writes none)"
    assert F.ablation_name(full, odd) == "variant odd"
    # the ablated run stopped after cycle 1: compared at cycle 1, it is not judged by the full run's cycle 2
    (nojudge.root / "metrics.jsonl").write_text(
        "".join(line + "\n" for line in (nojudge.root / "metrics.jsonl").read_text().splitlines()
                if '"cycle": 2' not in line))
    rows = F.ablation_rows({"full method": full, "no judge": nojudge}, at_cycle=1)
    assert rows[1]["cycles"] == 2 and rows[1]["compared_at"] == "cycle 1"
    assert rows[0]["compared_pass@1"] == rows[1]["compared_pass@1"] == synthetic_run.PASS[1]
    assert rows[1]["delta_vs_reference"] == 0.0
    assert rows[0]["benchmark_by_cycle"] == "0.25 / 0.50 / 0.75" and rows[1]["benchmark_by_cycle"] == "0.25 / 0.50"
    assert F.ablation_rows({"full method": full, "no judge": nojudge}, at_cycle=2)[1]["compared_pass@1"] is None
    md = F.ablation_markdown(rows)
    assert md.count("\n|") == 3 and "| no judge | feedback.use_judge |" in md


def test_export_writes_html_and_png_when_chromium_exists(store, tmp_path):
    out = tmp_path / "figs"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = F.export_figures(store, out, cycle=1)
    names = {p.name for p in paths}
    assert "pass_at_1.html" in names and "loss_curves_cycle1.html" in names and "level_flow.html" in names
    assert (out / "plotly.min.js").exists()                         # HTML opens offline
    assert "smollm2-135m-instruct" in (out / "pass_at_1.html").read_text()
    if shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome"):
        png = out / "pass_at_1.png"
        assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert any(issubclass(w.category, F.PngExportUnavailable) for w in caught)


def test_export_warns_and_keeps_html_when_png_fails(store, tmp_path, monkeypatch):
    def broken(fig, path):
        raise RuntimeError("no chrome here")
    monkeypatch.setattr(export_mod, "_write_png", broken)
    monkeypatch.setitem(export_mod._png_state, "ok", None)
    with pytest.warns(F.PngExportUnavailable, match="no chrome here"):
        paths = F.export_figures(store, tmp_path / "figs", cycle=1)
    assert paths and all(p.suffix == ".html" for p in paths)


def test_cli_figures_command(store, tmp_path, capsys):
    assert cli_main(["figures", str(store.root), "--out", str(tmp_path / "cli"), "--cycle", "2", "--no-png"]) == 0
    out = capsys.readouterr().out
    assert "acceptance_cycle2.html" in out and (tmp_path / "cli" / "fault_types_cycle2.html").exists()
    assert not list((tmp_path / "cli").glob("*cycle1*"))
    assert cli_main(["figures", str(tmp_path / "not-a-run")]) == 2
    # Without --out the figures go into the run directory, never over the repository's committed figures/.
    assert cli_main(["figures", str(store.root), "--cycle", "2", "--no-png"]) == 0
    assert (store.root / "figures" / "fault_types_cycle2.html").exists()
    assert f"written to {store.root / 'figures'}" in capsys.readouterr().out


def test_record_table_reads_dotted_fields_and_says_how_many(store):
    fb = store.read_records(1, "06_feedback")
    fig = F.record_table(fb, ["task_id", "execution.passed", "judge.score"], "feedback", limit=3)
    cells = fig.data[0].cells.values
    assert list(cells[1]) == ["true", "true", "false"] and list(cells[2]) == ["5.5", "6.0", "2.0"]
    assert "3 of 5 record(s)" in fig.layout.title.text
    assert F.is_empty(F.record_table([], ["task_id"]))


def test_side_by_side_escapes_code():
    html = F.side_by_side_html("if a < b:\n    pass", "x", ("correct", "faulty"))
    assert "a &lt; b" in html and "<b>correct</b>" in html and "<b>faulty</b>" in html


def test_figures_read_real_record_shapes(tmp_path):
    # Shapes found in a real smoke run: an unparseable judgement keeps a `rules` dict of Nones (it must not
    # count as zeros), and adapter_meta.json's "lora" is peft's full LoraConfig dict (keys lora_alpha, ...).
    store = RunStore(tmp_path / "real")
    rules_none = dict.fromkeys(("functionality", "boundary", "coverage", "readability", "practices"))
    fb = [{"task_id": "t/0", "sample_index": 0, "execution": {"passed": False},
           "judge": {"score": None, "parse_ok": False, "rules": rules_none}},
          {"task_id": "t/1", "sample_index": 0, "execution": {"passed": False},
           "judge": {"score": 2.0, "parse_ok": True, "rules": {**rules_none, "functionality": 2.0, "boundary": 0.0,
                                                               "coverage": 0.0, "readability": 0.0,
                                                               "practices": 0.0}}}]
    store.write_records(1, "06_feedback", fb)
    fig = F.fig_judge_rules(store, 1)
    failing = _trace(fig, "tests fail")
    assert failing.name == "tests fail (n=1)" and list(failing.y) == [2.0, 0.0, 0.0, 0.0, 0.0]
    assert any("1 judgement(s) without rule scores" in a.text for a in fig.layout.annotations)
    adapter = store.cycle_dir(1) / "04_adapter"
    adapter.mkdir(parents=True)
    (adapter / "train_log.jsonl").write_text('{"step": 1, "loss": 1.0, "sft_loss": 1.0, "contrastive_loss": null, '
                                             '"margin": null}\n')
    (adapter / "adapter_meta.json").write_text('{"loss": "cpo", "lora": {"r": 8, "lora_alpha": 16, "lora_dropout": '
                                               '0.0, "target_modules": ["v_proj", "q_proj"], "peft_type": "LORA"}}')
    texts = [a.text for a in F.fig_loss_curves(store, 1).layout.annotations]
    assert "LoRA r=8 alpha=16 dropout=0.0 targets=q_proj,v_proj · loss cpo" in texts


def test_acceptance_annotation_counts_questions_with_rewritten_examples(tmp_path):
    s = RunStore(tmp_path / "rewrites")
    q = {"prompt": "def g():\n", "entry_point": "g", "test": "", "parent_task_id": "t/0", "parent_level": "easy",
         "prompt_kind": "breadth", "origin_cycle": 1}
    s.write_records(1, "08_new_questions", [
        {**q, "task_id": "g/1", "examples_rewritten": [{"call": "g()", "old": "2", "new": "1"}]},
        {**q, "task_id": "g/2", "examples_dropped": [{"call": "g()", "stated": "2"}]}])
    s.write_records(1, "08_rejected_questions", [{"parent_task_id": "t/1", "parent_level": "easy",
                                                  "reason": "copied_example", "detail": "", "raw": ""}])
    fig = F.fig_acceptance(s, 1)
    text = " ".join(a.text or "" for a in fig.layout.annotations)
    assert "accepted 2/3" in text and "docstring examples rewritten to the agreed outputs: 1" in text
    assert "unconfirmed (contested) examples dropped: 1" in text
    assert list(_trace(fig, "rejected: copied_example").y) == [1, 0, 0]


def test_report_names_unfinished_and_unstarted_cycles(store, tmp_path):
    from iterkd_lib.report import report_table
    from iterkd_lib.runstore import RunStore, read_json, write_json

    assert "UNFINISHED" not in report_table(store.root) and "not started" not in report_table(store.root)
    copy = RunStore(shutil.copytree(store.root, tmp_path / "copy"))
    last = max(copy.cycles())
    kept = [m for m in copy.metrics() if not (m.get("kind") == "cycle_summary" and m["cycle"] == last)]
    copy.metrics_path.write_text("".join(json.dumps(m) + "\n" for m in kept))
    for marker in copy.cycle_dir(last).glob("0[5-9]_*.done"):
        marker.unlink()
    info = read_json(copy.run_json)
    info["config"]["run"]["cycles"] = last + 1
    write_json(copy.run_json, info)
    text = report_table(copy.root)
    assert f"cycle {last} is UNFINISHED: done 01_pool, 02_teacher_attempts, 03_training_set, 04_adapter\n" in text
    assert f"no stage finished yet in cycle(s) {last + 1} (the run plans cycle 0 and {last + 1} IterKD cycles)" in text
    assert text.endswith(f"continue with `iterkd run --resume {copy.root}`")
    (copy.cycle_dir(last) / "04_adapter.done").unlink()             # killed while training, a checkpoint saved
    (copy.cycle_dir(last) / "04_adapter" / "checkpoints" / "sft" / "checkpoint-2").mkdir(parents=True)
    assert "done 01_pool, 02_teacher_attempts, 03_training_set; training checkpoints saved" in report_table(copy.root)


def test_figures_without_data_are_named_not_written(store, tmp_path, capsys):
    skipped: list[str] = []
    written = F.export_figures(store, tmp_path / "c0", cycle=0, png=False, skipped=skipped)
    assert skipped and written                                    # cycle 0 evaluates only: most are empty
    assert not {p.stem for p in written} & set(skipped)
    assert cli_main(["figures", str(store.root), "--out", str(tmp_path / "cli0"), "--cycle", "0", "--no-png"]) == 0
    assert f"skipped, no data yet: {', '.join(skipped)}" in capsys.readouterr().out
