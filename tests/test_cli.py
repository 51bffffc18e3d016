"""The `iterkd` CLI: every sub-command answers --help; config errors exit 2 naming the key and file."""

import subprocess
import sys

import pytest

from iterkd_lib.cli import build_parser


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_expected_subcommands_exist():
    assert {"config", "run", "report", "figures", "evaluate-samples", "models"} <= set(_subcommands())


@pytest.mark.parametrize("name", _subcommands())
def test_every_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([name, "--help"])
    assert done.value.code == 0
    assert "usage: iterkd" in capsys.readouterr().out


def test_config_error_exits_2_naming_key_and_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training:\n  lossy: cpo\n")
    out = subprocess.run([sys.executable, "-m", "iterkd_lib.cli", "config", "show", str(bad)],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "training.lossy" in out.stderr and str(bad) in out.stderr


def test_config_show_prints_resolved_yaml_with_override():
    out = subprocess.run([sys.executable, "-m", "iterkd_lib.cli", "config", "show", "configs/smoke.yaml",
                          "student.lora.r=4"], capture_output=True, text=True, check=True)
    assert "r: 4" in out.stdout and "smollm2-135m-instruct" in out.stdout


def test_config_show_takes_the_file_as_run_does_too(capsys):
    from iterkd_lib.cli import main

    assert main(["config", "show", "--config", "configs/smoke.yaml", "run.seed=3", "student.lora.r=4"]) == 0
    out = capsys.readouterr().out
    assert "with run.seed=3 student.lora.r=4" in out and "seed: 3" in out and "r: 4" in out
    assert main(["config", "show"]) == 2 and "give a YAML file" in capsys.readouterr().err
    assert main(["config", "show", "configs/smoke.yaml", "--config", "configs/demo.yaml"]) == 2
    assert "not both" in capsys.readouterr().err


def test_config_show_and_run_refuse_a_misspelt_model_naming_file_and_key(tmp_path, capsys):
    from iterkd_lib.cli import main

    assert main(["config", "show", "configs/smoke.yaml", "student.model=smollm2-135m-instruc"]) == 2
    err = capsys.readouterr().err
    assert "configs/smoke.yaml: student.model: unknown model 'smollm2-135m-instruc'" in err, err
    assert main(["run", "--config", "configs/smoke.yaml", "--run-dir", str(tmp_path / "r"),
                 "student.model=smollm2-135m-instruc"]) == 2
    assert "configs/smoke.yaml: student.model: unknown model" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "run.json").write_text("{}")
    assert main(["run", "--config", "configs/smoke.yaml", "--run-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "already holds a run; use --resume" in err and "config error" not in err


def test_figures_with_ablation_runs_writes_and_prints_the_table(tmp_path):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("synthetic_run", Path(__file__).with_name("synthetic_run.py"))
    synthetic_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synthetic_run)
    full = synthetic_run.build_synthetic_run(tmp_path / "full")
    ablated = synthetic_run.build_synthetic_run(tmp_path / "sft-only")
    info = ablated.read_run_info()
    info["config"]["training"]["loss"] = "none"
    ablated.write_run_info(info)
    out = subprocess.run([sys.executable, "-m", "iterkd_lib.cli", "figures", str(full.root), "--out",
                          str(tmp_path / "figs"), "--no-png", "--ablation", str(ablated.root), "--ablation-cycle", "1"],
                         capture_output=True, text=True, check=True)
    assert "| without contrastive term (Stage I: SFT only) | training.loss |" in out.stdout
    assert (tmp_path / "figs" / "ablation_table.html").exists()
    assert "cycle 1" in (tmp_path / "figs" / "ablation_table.md").read_text()


def test_output_cut_short_by_a_pipe_is_not_an_error():
    """`iterkd config fields | head`: the reader leaves early; no BrokenPipeError traceback, exit 0.

    The read end is closed before the command (which takes a second to import) writes anything, so every
    write meets a closed pipe, deterministically."""
    proc = subprocess.Popen([sys.executable, "-m", "iterkd_lib.cli", "config", "fields"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_overrides_may_follow_options_and_other_words_are_still_refused(capsys):
    from iterkd_lib.cli import parse_args

    args = parse_args(["study", "configs/study.yaml", "a.b=1", "--out", "runs/x", "--variants", "untrained",
                       "run.torch_threads=1"])
    assert args.overrides == ["a.b=1", "run.torch_threads=1"] and args.out == "runs/x"
    assert parse_args(["run", "--config", "c.yaml", "--cycles", "2", "x.y=3"]).overrides == ["x.y=3"]
    with pytest.raises(SystemExit) as done:
        parse_args(["run", "--config", "c.yaml", "x.y=3", "--bogus"])
    assert done.value.code == 2 and "--bogus" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["report", "runs/x", "x.y=3"])   # report takes no overrides
