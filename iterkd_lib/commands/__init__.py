"""Sub-commands of the `iterkd` CLI, one module each; see `iterkd_lib.cli`."""
