"""The one configuration object: loaded from YAML, with dotted overrides, validated.

Used by the CLI, the notebooks and the widgets alike. The sections (dataclasses, each field with its help
text) are in `config_schema.py` and re-exported here (`iterkd config fields` prints the help). Loading rejects
unknown keys, wrong types and impossible values with a `ConfigError` that names the key and the file.

Not covered here: translating the config into library objects (BitsAndBytesConfig, LoraConfig, trainer
configs) -- that happens in one place each, next to the code that uses them (`models/student.py`,
`stages/adapter.py`).

Entry points: `load_config(path, overrides)`, `apply_overrides(cfg, ["student.lora.r=16"])`,
`config_to_dict(cfg)`, `dump_yaml(cfg)`, `diff_configs(a, b)`.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from iterkd_lib.config_schema import (
    BackendConfig,
    ConfigError,
    DataConfig,
    DecodingConfig,
    DifficultyConfig,
    DistillConfig,
    EvaluationConfig,
    ExecutionConfig,
    FeedbackConfig,
    IterKDConfig,
    JudgeConfig,
    LoraConfig,
    RegenerationConfig,
    RunConfig,
    StudentConfig,
    StudyConfig,
    TrainingConfig,
    dotted_get,
    eval_engine,
    field_help,
)

__all__ = ["ConfigError", "RunConfig", "DecodingConfig", "BackendConfig", "JudgeConfig", "LoraConfig",
           "StudentConfig", "DataConfig", "DistillConfig", "TrainingConfig", "ExecutionConfig",
           "FeedbackConfig", "DifficultyConfig", "RegenerationConfig", "EvaluationConfig", "StudyConfig",
           "IterKDConfig", "load_config", "config_from_dict", "apply_overrides", "config_to_dict",
           "dump_yaml", "diff_configs", "dotted_get", "eval_engine", "field_help", "set_key", "read_yaml",
           "upgrade_legacy_keys", "LEGACY_KEYS"]


# ----------------------------------------------------------------------------------------- loading

def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, key: str, where: str, choices: Any = None) -> Any:
    """Check `value` against the annotated type (and name `choices` when it fails); ints pass for floats."""
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: key '{key}' must be a mapping, got {type(value).__name__}")
        return _build(tp, value, key, where)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(tp):
            return None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    value = _yaml11_float(value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: key '{key}' must be true/false, got {value!r}")
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where}: key '{key}' must be an integer, got {value!r}")
    if tp in (list, dict, str, float) and not isinstance(value, tp):
        hint = f"; expected one of {list(choices)} (YAML reads yes/no/on/off as true/false)" if choices else ""
        raise ConfigError(f"{where}: key '{key}' must be {_type_name(tp)}, got {type(value).__name__} {value!r}{hint}")
    return value


def _check_bounds(value: Any, meta: dict, key: str, where: str) -> None:
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{where}: key '{key}' is {value!r}; expected one of {list(meta['choices'])}")
    if "min" in meta and value < meta["min"]:
        raise ConfigError(f"{where}: key '{key}' is {value!r}; must be >= {meta['min']}")
    if "max" in meta and value > meta["max"]:
        raise ConfigError(f"{where}: key '{key}' is {value!r}; must be <= {meta['max']}")
    if "items" in meta and any(v not in meta["items"] for v in value):
        raise ConfigError(f"{where}: key '{key}' is {value!r}; each item must be one of {list(meta['items'])}")


def _build(cls: type, data: dict, prefix: str, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    for k in data:
        if k not in known:
            full = f"{prefix}.{k}" if prefix else k
            raise ConfigError(f"{where}: unknown key '{full}' (known under '{prefix or '<top>'}': "
                              f"{', '.join(sorted(known))})")
    kwargs = {}
    for name, f in ((n, f) for n, f in known.items() if n in data):
        full = f"{prefix}.{name}" if prefix else name
        value = _coerce(data[name], hints[name], full, where, f.metadata.get("choices"))
        if not dataclasses.is_dataclass(hints[name]):
            _check_bounds(value, f.metadata, full, where)
        kwargs[name] = value
    return cls(**kwargs)


def _check_cross_fields(cfg: IterKDConfig, where: str) -> None:
    d = cfg.difficulty
    if d.hard_max_pass_rate > d.easy_min_pass_rate:
        raise ConfigError(f"{where}: difficulty.hard_max_pass_rate ({d.hard_max_pass_rate}) must not exceed "
                          f"difficulty.easy_min_pass_rate ({d.easy_min_pass_rate})")
    if d.hard_max_judge > d.easy_min_judge:
        raise ConfigError(f"{where}: difficulty.hard_max_judge must not exceed difficulty.easy_min_judge")
    if bad_levels := set(cfg.regeneration.per_level) - {"easy", "medium", "hard"}:
        raise ConfigError(f"{where}: regeneration.per_level: unknown level(s) {sorted(bad_levels)} (easy/medium/hard)")
    for level, n in cfg.regeneration.per_level.items():
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ConfigError(f"{where}: regeneration.per_level.{level} must be a non-negative integer, got {n!r}")
    rg = cfg.regeneration
    if rg.min_agree > rg.solutions_per_question + 1:
        raise ConfigError(f"{where}: regeneration.min_agree ({rg.min_agree}) exceeds the candidates per question "
                          f"(regeneration.solutions_per_question + 1 = {rg.solutions_per_question + 1})")
    if rg.student_check_samples > 0 and not rg.student_check_kinds:
        raise ConfigError(f"{where}: regeneration.student_check_samples > 0 but student_check_kinds is empty")
    if rg.solution_decoding.temperature == 0 and rg.solutions_per_question > 1:
        raise ConfigError(f"{where}: regeneration.solution_decoding.temperature is 0: the "
                          f"{rg.solutions_per_question} solutions would be one greedy answer repeated")
    if not cfg.evaluation.pass_k or any(not isinstance(k, int) or k < 1 for k in cfg.evaluation.pass_k):
        raise ConfigError(f"{where}: evaluation.pass_k must be a list of positive integers")
    if max(cfg.evaluation.pass_k) > cfg.evaluation.samples:
        raise ConfigError(f"{where}: evaluation.pass_k asks for k={max(cfg.evaluation.pass_k)} but "
                          f"evaluation.samples is {cfg.evaluation.samples}")
    if cfg.evaluation.samples > 1 and cfg.evaluation.decoding.temperature == 0:
        raise ConfigError(f"{where}: evaluation.samples is {cfg.evaluation.samples} but evaluation.decoding."
                          "temperature is 0 (greedy gives identical samples); set a temperature > 0 or samples: 1")
    if cfg.evaluation.second_protocol == cfg.evaluation.protocol:
        raise ConfigError(f"{where}: evaluation.second_protocol repeats evaluation.protocol "
                          f"({cfg.evaluation.protocol!r}); use the other protocol or ''")
    unknown_faults = set(cfg.distill.fault_types) - {"syntax", "logical", "type", "name", "timeout"}
    if unknown_faults:
        raise ConfigError(f"{where}: distill.fault_types has unknown type(s) {sorted(unknown_faults)}")
    unknown_variants = set(cfg.study.variants) - {"untrained", "iterkd", "oneshot", "selftrain"}
    if unknown_variants or not cfg.study.variants:
        raise ConfigError(f"{where}: study.variants has unknown or no variant(s) {sorted(unknown_variants)}; "
                          "use untrained/iterkd/oneshot/selftrain")
    if "oneshot" in cfg.study.variants and "iterkd" not in cfg.study.variants:
        raise ConfigError(f"{where}: study.variants has 'oneshot' without 'iterkd' (its teacher-token budget "
                          "is IterKD's)")
    if cfg.evaluation.engine == "ctranslate2" and cfg.student.quantization != "none":
        raise ConfigError(f"{where}: evaluation.engine is 'ctranslate2' but student.quantization is "
                          f"{cfg.student.quantization!r}: a 4-bit student cannot be merged into a CTranslate2 copy "
                          "without loss; use evaluation.engine: hf")
    if cfg.teacher.backend == "openai" and not cfg.teacher.base_url:
        raise ConfigError(f"{where}: teacher.base_url is required when teacher.backend is 'openai'")
    jb = cfg.feedback.judge.backend if cfg.feedback.judge.model else cfg.teacher.backend  # as runs.Run.judge
    if cfg.feedback.use_judge and cfg.feedback.judge.verdict != "none" and jb in ("hf", "local", "ctranslate2"):
        raise ConfigError(f"{where}: feedback.judge.verdict reads log-probabilities, which the judge's backend "
                          f"'{jb}' (the teacher's unless feedback.judge.model is set) lacks: use llamacpp/openai")


# Keys of older run configs and how they read now: (section, old key, new key, {old value: new value}).
LEGACY_KEYS = (
    # issue 16: the boolean became a three-way policy ("rewrite" is the new default)
    ("regeneration", "reject_example_mismatch", "example_policy", {True: "reject", False: "count"}),
)


def upgrade_legacy_keys(data: dict | None, where: str = "<dict>") -> dict:
    """A copy of a raw config dict with the keys of `LEGACY_KEYS` replaced by their new keys and values
    (`data` itself is not changed). ConfigError naming `where` and the key when an old key holds a value it
    never had, or when the old and the new key are both given and disagree."""
    data = dict(data or {})
    for section, old, new, values in LEGACY_KEYS:
        sec = data.get(section)
        if not isinstance(sec, dict) or old not in sec:
            continue
        sec = dict(sec)
        value = sec.pop(old)
        if not isinstance(value, bool) or value not in values:
            raise ConfigError(f"{where}: key '{section}.{old}' (an older name of '{section}.{new}') is {value!r}; "
                              f"expected one of {sorted(values)}")
        if new in sec and sec[new] != values[value]:
            raise ConfigError(f"{where}: '{section}.{old}: {value}' (means {new}: {values[value]!r}) contradicts "
                              f"'{section}.{new}: {sec[new]!r}'; keep only '{section}.{new}'")
        sec[new] = values[value]
        data[section] = sec
    return data


def config_from_dict(data: dict | None, where: str = "<dict>") -> IterKDConfig:
    """Build and validate an IterKDConfig from a nested dict; ConfigError names `where` and the key.

    Keys of older run configs are read through `upgrade_legacy_keys` first."""
    cfg = _build(IterKDConfig, upgrade_legacy_keys(data, where), "", where)
    _check_cross_fields(cfg, where)
    return cfg


def _parse_override_value(text: str) -> Any:
    """YAML scalars give the natural reading: 16 -> int, true -> bool, [a, b] -> list."""
    value = yaml.safe_load(text) if text.strip() else ""
    return _yaml11_float(value)


def _yaml11_float(value: Any) -> Any:
    # PyYAML follows YAML 1.1, which reads "2e-4" as a string; learning rates are written that way.
    if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", value.strip()):
        return float(value)
    return value


def apply_overrides(data: dict, overrides: list[str], where: str = "command line") -> dict:
    """Apply `a.b.c=value` overrides to a raw config dict (before validation), returning a new dict."""
    import copy
    data = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"{where}: override '{item}' must look like key.path=value")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        node = data
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{where}: override '{key}' goes through a non-mapping value")
        node[parts[-1]] = _parse_override_value(text)
    return data


def read_yaml(path: str | Path) -> dict:
    """A YAML file as a dict; ConfigError naming the file (and line) when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> IterKDConfig:
    """Load a YAML config (or the defaults when `path` is None) and apply dotted overrides."""
    data = read_yaml(path) if path else {}
    where = str(path) if path else "<defaults>"
    if overrides:
        data = apply_overrides(data, overrides, where=f"{where} + command-line overrides")
        where = f"{where} (with overrides {' '.join(overrides)})"
    return config_from_dict(data, where)


def config_to_dict(cfg: Any) -> dict:
    """A config (or any part of one) as a plain dict; a dict (e.g. settings read back from a record) passes."""
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else dict(cfg or {})


def dump_yaml(cfg: Any) -> str:
    """A config as YAML text, keys in declaration order."""
    return yaml.safe_dump(config_to_dict(cfg), sort_keys=False, default_flow_style=None, width=110)


def diff_configs(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two config dicts."""
    keys = sorted(set(a) | set(b))
    out: list[str] = []
    for k in keys:
        full = f"{prefix}.{k}" if prefix else k
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += diff_configs(va, vb, full)
        elif va != vb:
            out.append(full)
    return out


def set_key(cfg: IterKDConfig, dotted: str, value: Any) -> IterKDConfig:
    """Return a validated copy of `cfg` with one key changed (the widgets' only way to edit a config)."""
    data = config_to_dict(cfg)
    node = data
    parts = dotted.split(".")
    for p in parts[:-1]:
        node = node.get(p) if isinstance(node.get(p), dict) else {}
    if parts[-1] not in node:   # a missing section leaves an empty node, so one check covers both
        raise ConfigError(f"widget: unknown key '{dotted}'")
    node[parts[-1]] = value
    return config_from_dict(data, where="widget")
