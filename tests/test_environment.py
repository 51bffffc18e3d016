"""Project set-up: environment.yml agrees with pyproject.toml; README documents the two commands; seeding."""

import tomllib
from pathlib import Path

import yaml

from iterkd_lib.seeding import derive_seed, seed_everything

ROOT = Path(__file__).resolve().parents[1]


def _pins(items):
    out = {}
    for item in items:
        name, _, version = item.partition("==")
        out[name.strip().lower()] = version.strip()
    return out


def test_environment_yml_and_pyproject_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    py_deps = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    conda_python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    assert conda_python == ["python=3.11"]
    env_deps = _pins(pip_section)
    assert env_deps == py_deps, {k: (py_deps.get(k), env_deps.get(k))
                                 for k in set(py_deps) | set(env_deps) if py_deps.get(k) != env_deps.get(k)}
    assert all(v for v in py_deps.values()), "every dependency is pinned"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_seed_everything_returns_seed_and_is_reproducible():
    import torch

    assert seed_everything(123) == 123
    a = torch.rand(3)
    seed_everything(123)
    assert torch.equal(a, torch.rand(3))
    assert derive_seed(1, "T/0", "correct", 0) == derive_seed(1, "T/0", "correct", 0)
    assert derive_seed(1, "T/0", "correct", 0) != derive_seed(1, "T/0", "correct", 1)
