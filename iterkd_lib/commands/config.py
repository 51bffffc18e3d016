"""`iterkd config show|fields`: print a resolved configuration, or the help text of every key."""

from __future__ import annotations

import argparse

from iterkd_lib.config import ConfigError, dump_yaml, field_help, load_config
from iterkd_lib.models.registry import check_model_names


def _show(args: argparse.Namespace) -> int:
    if args.config_opt and args.config and "=" in args.config:   # `--config X key=value`: an override, not a file
        args.overrides, args.config = [args.config, *args.overrides], None
    if args.config and args.config_opt:
        raise ConfigError("iterkd config show: give the YAML file once (positional or --config), not both")
    args.config = args.config or args.config_opt
    if not args.config:
        raise ConfigError("iterkd config show: give a YAML file, e.g. `iterkd config show configs/demo.yaml`")
    cfg = load_config(args.config, args.overrides)
    check_model_names(cfg, args.config)   # what `iterkd run` would refuse, refused here too
    print(f"# resolved from {args.config}" + (f" with {' '.join(args.overrides)}" if args.overrides else ""))
    print(dump_yaml(cfg), end="")
    return 0


def _fields(args: argparse.Namespace) -> int:
    for key, text in field_help():
        print(f"{key:40s} {text}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `iterkd config show|fields` to the sub-command parser `sub`."""
    p = sub.add_parser("config", help="Inspect configurations.", description="Inspect configurations.")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    show = csub.add_parser("show", help="Print the resolved configuration (YAML + overrides, validated).",
                           description="Print the resolved configuration (YAML + dotted overrides, validated).")
    show.add_argument("config", nargs="?", help="YAML file, e.g. configs/demo.yaml")
    show.add_argument("--config", dest="config_opt", metavar="CONFIG", help="the same, as `iterkd run` takes it")
    show.add_argument("overrides", nargs="*", help="dotted overrides such as student.lora.r=16")
    show.set_defaults(func=_show)
    fields = csub.add_parser("fields", help="List every configuration key with its meaning.",
                             description="List every configuration key with its meaning.")
    fields.set_defaults(func=_fields)
