"""Each control edits exactly the config key it claims; invalid values surface the error and change nothing."""

from pathlib import Path

import pytest

from iterkd_lib.config import config_to_dict, diff_configs, load_config
from iterkd_lib.widgets import CONTROLS, ConfigControls, config_editor

# A value each control can take that differs from the defaults (and from the smoke config).
NEW_VALUES = {
    "teacher.model": "my-org/some-teacher",
    "student.model": "smollm2-135m-instruct",
    "feedback.samples_per_question": 5,
    "student.lora.r": 32,
    "training.learning_rate": 1e-5,
    "training.contrastive_weight": 0.5,
    "training.loss": "simpo",
    "difficulty.easy_min_pass_rate": 0.75,
    "difficulty.hard_max_pass_rate": 0.25,
    "regeneration.per_level.easy": 7,
    "regeneration.per_level.medium": 8,
    "regeneration.per_level.hard": 9,
    "regeneration.revise_rounds": 2,
    "regeneration.solutions_see_examples": False,
    "regeneration.contested_examples": "drop",
    "regeneration.student_check_samples": 3,
}


def test_every_control_has_a_test_value():
    assert {key for key, _ in CONTROLS} == set(NEW_VALUES)


@pytest.mark.parametrize("key", list(NEW_VALUES))
def test_control_changes_exactly_its_key(key):
    cfg = load_config(None)
    controls = ConfigControls(cfg)
    before = config_to_dict(controls.config)
    controls.controls[key].value = NEW_VALUES[key]
    after = config_to_dict(controls.config)
    assert diff_configs(before, after) == [key]
    node = after
    for part in key.split("."):
        node = node[part]
    assert node == pytest.approx(NEW_VALUES[key]) if isinstance(node, float) else node == NEW_VALUES[key]
    assert controls.error == "" and key in controls.status.value
    assert config_to_dict(cfg) == before                 # the caller's config object is never mutated


def test_controls_start_from_the_config_values():
    cfg = load_config(None, ["student.lora.r=12", "regeneration.per_level={easy: 3, medium: 0, hard: 1}"])
    controls = ConfigControls(cfg)
    assert controls.controls["student.lora.r"].value == 12   # a rank not in the menu is still offered
    assert controls.controls["regeneration.per_level.easy"].value == 3
    assert controls.controls["regeneration.per_level.medium"].value == 0


def test_invalid_value_shows_the_error_and_keeps_the_old_config():
    controls = ConfigControls(load_config(None))
    controls.controls["difficulty.easy_min_pass_rate"].value = 0.5
    good = config_to_dict(controls.config)
    controls.controls["difficulty.hard_max_pass_rate"].value = 0.8       # above the easy threshold: invalid
    assert config_to_dict(controls.config) == good
    assert "hard_max_pass_rate" in controls.error and "must not exceed" in controls.error
    assert "not applied" in controls.status.value and "must not exceed" in controls.status.value
    assert controls.controls["difficulty.hard_max_pass_rate"].value == good["difficulty"]["hard_max_pass_rate"]
    controls.controls["training.loss"].value = "dpo"                    # a later valid edit clears the error
    assert controls.error == "" and controls.config.training.loss == "dpo"


def test_config_editor_getter_follows_the_edits():
    widget, get = config_editor(load_config(None))
    form = widget.children[0]                                           # controls + status; the views beside
    assert len(form.children) == len(CONTROLS) + 1
    form.children[3].value = 64                                         # student.lora.r, 4th in CONTROLS
    assert get().student.lora.r == 64


def test_a_subset_of_controls_edits_only_its_keys():
    controls = ConfigControls(load_config(None), keys=["training.loss", "student.lora.r"])
    assert list(controls.controls) == ["student.lora.r", "training.loss"]     # CONTROLS order
    with pytest.raises(KeyError, match="no control for"):
        ConfigControls(load_config(None), keys=["training.epochs"])


def test_the_diff_view_follows_the_controls():
    controls = ConfigControls(load_config(None))
    assert "same as the YAML" in controls.diff_view.value and controls.changes() == []
    old = controls.config.student.lora.r
    controls.controls["student.lora.r"].value = 16 if old != 16 else 32
    new = controls.config.student.lora.r
    assert controls.changes() == [("student.lora.r", old, new)]
    assert "1 change;" in controls.diff_view.value and f"<b>{new}</b>" in controls.diff_view.value
    controls.controls["difficulty.easy_min_pass_rate"].value = 0.5
    controls.controls["difficulty.hard_max_pass_rate"].value = 0.8       # invalid: not applied, not listed
    assert [k for k, _, _ in controls.changes()] == ["difficulty.easy_min_pass_rate", "student.lora.r"]
    assert "2 changes;" in controls.diff_view.value
    controls.controls["student.lora.r"].value = old                     # back to the YAML
    controls.controls["difficulty.easy_min_pass_rate"].value = load_config(None).difficulty.easy_min_pass_rate
    assert "same as the YAML" in controls.diff_view.value


def test_an_existing_run_says_the_controls_do_not_apply(tmp_path):
    from iterkd_lib.runstore import write_json

    cfg = load_config(None)
    run_dir = tmp_path / "old"
    write_json(run_dir / "run.json", {"config": config_to_dict(cfg)})
    controls = ConfigControls(cfg, run_dir=run_dir)
    assert controls.existing
    assert "Existing run" in controls.notice.value and "do <b>not</b> change it" in controls.notice.value
    assert controls.new_dir_box.layout.display != "none" and controls.new_dir.value.startswith(str(tmp_path))
    controls.controls["training.loss"].value = "dpo"
    assert "a new run only" in controls.diff_view.value
    controls.new_dir.value = str(run_dir)                               # an existing run is refused
    controls.new_dir_button.click()
    assert controls.existing and "not a new run directory" in controls.status.value
    controls.new_dir.value = str(tmp_path / "fresh")
    controls.new_dir_button.click()
    assert not controls.existing and controls.run_dir == tmp_path / "fresh"
    assert "shape the new run" in controls.notice.value and controls.new_dir_box.layout.display == "none"
    assert not (tmp_path / "fresh").exists()                            # nothing written until open_run


def test_a_new_run_needs_no_notice():
    controls = ConfigControls(load_config(None))
    assert not controls.existing and "shape the new run" in controls.notice.value


def test_open_run_follows_the_notice(tmp_path):
    """A new run directory gets the controls' config; an existing run keeps its saved one."""
    cfg = load_config(str(Path(__file__).resolve().parents[1] / "configs" / "smoke.yaml"))
    fresh = ConfigControls(cfg, run_dir=tmp_path / "new")
    fresh.controls["student.lora.r"].value = 16
    run = fresh.open_run()
    assert run.store.read_run_info()["config"]["student"]["lora"]["r"] == 16
    again = ConfigControls(cfg, run_dir=tmp_path / "new")              # now an existing run
    again.controls["student.lora.r"].value = 32
    assert again.existing and again.open_run().cfg.student.lora.r == 16
