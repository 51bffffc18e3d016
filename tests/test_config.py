"""Configuration: shipped YAMLs load, bad YAMLs are rejected naming key and file, overrides apply."""

from pathlib import Path

import pytest

from iterkd_lib.config import (
    ConfigError,
    IterKDConfig,
    config_to_dict,
    diff_configs,
    dump_yaml,
    field_help,
    load_config,
    set_key,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_yaml_loads_and_has_a_header(path):
    cfg = load_config(path)
    assert isinstance(cfg, IterKDConfig)
    header = path.read_text().splitlines()[:8]
    assert header[0].startswith("#"), "each config opens with a comment saying what it is for"
    assert any(c in line for c in ("iterkd run", "iterkd study", "make demo") for line in header), \
        "header names its command"


def test_expected_configs_exist():
    names = {p.name for p in (ROOT / "configs").glob("*.yaml")}
    assert {"demo.yaml", "smoke.yaml", "paper.yaml"} <= names


BAD_YAMLS = [
    ("student:\n  lora:\n    rank: 16\n", "student.lora.rank"),          # unknown key (typo)
    ("training:\n  learning_rate: fast\n", "training.learning_rate"),    # wrong type
    ("student:\n  lora:\n    r: 0\n", "student.lora.r"),                 # impossible value
    ("training:\n  loss: ppo\n", "training.loss"),                       # not a choice
    ("run:\n  cycles: 2.5\n", "run.cycles"),                             # float where int
    ("feedback:\n  use_judge: 'yes'\n", "feedback.use_judge"),           # string where bool
    ("student: 3\n", "student"),                                         # scalar where mapping
    ("difficulty:\n  easy_min_pass_rate: 0.2\n  hard_max_pass_rate: 0.5\n", "hard_max_pass_rate"),
    ("regeneration:\n  per_level: {easy: 1, extreme: 2}\n", "per_level"),
    ("evaluation:\n  pass_k: [1, 10]\n  samples: 5\n", "pass_k"),
    ("teacher:\n  backend: openai\n", "teacher.base_url"),
    ("student:\n  quantization: 4bit\nevaluation:\n  engine: ctranslate2\n", "evaluation.engine"),
    ("regeneration:\n  min_agreed_inputs: 0.3\n", "regeneration.min_agreed_inputs"),
    ("teacher:\n  backend: hf\nfeedback:\n  judge:\n    verdict: score\n", "feedback.judge.verdict"),
    ("data:\n  pool_refill: yes\n", "expected one of ['none', 'seeds']"),   # YAML's yes is a bool
    ("regeneration:\n  revise_rounds: 4\n", "regeneration.revise_rounds"),
    ("regeneration:\n  revise_reasons: [near_duplicate, trivial_tests]\n", "each item must be one of"),
    ("- just\n- a list\n", "top level"),
    ("run: {name: x\n", "not valid YAML"),
]


@pytest.mark.parametrize("text,needle", BAD_YAMLS)
def test_bad_yaml_is_rejected_naming_key_and_file(tmp_path, text, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_dotted_overrides_apply_and_are_validated():
    cfg = load_config(ROOT / "configs/demo.yaml", ["student.lora.r=8", "training.learning_rate=5e-4",
                                                   "feedback.use_judge=false", "teacher.model=my-model"])
    assert cfg.student.lora.r == 8
    assert cfg.training.learning_rate == pytest.approx(5e-4)
    assert cfg.feedback.use_judge is False
    assert cfg.teacher.model == "my-model"
    with pytest.raises(ConfigError, match="student.lora.rr"):
        load_config(ROOT / "configs/demo.yaml", ["student.lora.rr=8"])
    with pytest.raises(ConfigError, match="must look like"):
        load_config(None, ["student.lora.r"])


def test_yaml_roundtrip_and_diff(tmp_path):
    cfg = load_config(ROOT / "configs/smoke.yaml")
    path = tmp_path / "resolved.yaml"
    path.write_text(dump_yaml(cfg))
    again = load_config(path)
    assert config_to_dict(again) == config_to_dict(cfg)
    changed = set_key(cfg, "training.contrastive_weight", 0.5)
    assert diff_configs(config_to_dict(cfg), config_to_dict(changed)) == ["training.contrastive_weight"]


def test_set_key_validates():
    cfg = load_config(None)
    with pytest.raises(ConfigError, match="student.lora.r"):
        set_key(cfg, "student.lora.r", -1)
    with pytest.raises(ConfigError, match="unknown key"):
        set_key(cfg, "student.lora.nope", 1)


def test_every_field_has_help():
    rows = field_help()
    assert len(rows) > 40
    missing = [k for k, h in rows if not h.strip()]
    assert not missing, f"fields without a help line: {missing}"
