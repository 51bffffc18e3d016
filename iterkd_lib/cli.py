"""The `iterkd` command line: one sub-command module per concern under `iterkd_lib.commands`.

Each module in COMMANDS exposes `register(subparsers)`, which adds its parser and sets `func`. This file
only assembles them, so adding a sub-command never means editing another's code.

Entry point: `main(argv)`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from iterkd_lib.config import ConfigError

COMMANDS = ["config", "run", "figures", "evaluate", "models", "train", "export", "study"]


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser with every sub-command of `iterkd` registered."""
    parser = argparse.ArgumentParser(
        prog="iterkd",
        description="IterKD workbench: iterative knowledge distillation of code models (teacher -> student).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"iterkd_lib.commands.{name}").register(sub)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parsed `argv` of `iterkd`. Dotted overrides may also follow options (`study cfg.yaml --out d key=value`):
    argparse takes a positional list in one piece only, so later `key=value` words join `overrides`; any other
    unknown word exits 2 naming it (argparse's usage error)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if hasattr(args, "overrides") and all("=" in w and not w.startswith("-") for w in extra):
            args.overrides = list(args.overrides or []) + extra
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point of `iterkd`: parse `argv`, run the sub-command; returns its exit status (2 with a one-line message
    for ConfigError, FileNotFoundError, FileExistsError, ValueError; 0 when the reader of stdout went away, as in
    `iterkd config fields | head`)."""
    args = parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as e:
        print(f"iterkd: config error: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"iterkd: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout closed early (`| head`): stop quietly, the way Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at interpreter exit
        return 0


if __name__ == "__main__":
    sys.exit(main())
