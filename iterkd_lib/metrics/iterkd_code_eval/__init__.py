"""The `iterkd_code_eval` metric (see iterkd_code_eval.py); a package only so installs ship the script.

Load it with `evaluate.load(<this folder>)`; importing this package does nothing.
"""
