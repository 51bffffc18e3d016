"""`iterkd models list|prepare`: show the model registry, and convert a bundled model once.

Not covered: downloading models (no hub access on the project's machines) or installing packages; a
missing package prints the pip command that installs it.
"""

from __future__ import annotations

import argparse
import sys

from iterkd_lib.config import load_config


def _cache_dir(args: argparse.Namespace) -> str:
    if args.cache_dir:
        return args.cache_dir
    return load_config(args.config).run.cache_dir


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1000
    return str(n)


def _list(args: argparse.Namespace) -> int:
    from iterkd_lib.models.registry import list_models

    cache = _cache_dir(args)
    print(f"# model cache: {cache}")
    print(f"{'name':30s} {'quant':7s} {'gguf':>9s} {'installed':9s} {'prepared':>10s}  upstream")
    for row in list_models(cache):
        prepared = _human(row["prepared_bytes"]) if row["prepared"] else "no"
        installed = "yes" if row["installed"] else f"no ({len(row['missing_packages'])} missing)"
        print(f"{row['name']:30s} {row['quant']:7s} {_human(row['size']):>9s} {installed:9s} {prepared:>10s}  "
              f"{row['hf_id']}")
    print("# any Hugging Face model directory or id also works wherever a model name is asked for")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from iterkd_lib.models.registry import MissingModelPackage, prepare_model

    try:
        path = prepare_model(args.name, _cache_dir(args), progress=not args.quiet)
    except MissingModelPackage as e:
        print(f"iterkd: {e}", file=sys.stderr)
        return 3
    print(path)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `iterkd models list|prepare` to the sub-command parser `sub`."""
    p = sub.add_parser("models", help="List and prepare the bundled models.",
                       description="List the model registry, and convert a bundled GGUF model once.")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    msub.required = True
    for name, helptext, func in (("list", "Show the registry: installed packages, prepared checkpoints.", _list),
                                 ("prepare", "Convert a bundled model to a transformers checkpoint (once).",
                                  _prepare)):
        q = msub.add_parser(name, help=helptext, description=helptext)
        if name == "prepare":
            q.add_argument("name", help="registry short name, e.g. smollm2-135m-instruct")
            q.add_argument("--quiet", action="store_true", help="no progress bar")
        q.add_argument("--config", default=None, help="YAML config whose run.cache_dir to use")
        q.add_argument("--cache-dir", default=None, help="model cache folder (overrides the config)")
        q.set_defaults(func=func)
