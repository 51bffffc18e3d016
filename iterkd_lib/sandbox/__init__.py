"""The sandbox: runs untrusted generated code (teacher answers, student samples, new questions) out of process.

Public API (import from here): `execute` (pairs -> typed `ExecutionResult`s), `check_completions` (many (problem, completion) pairs -> verdicts),
`executor(cfg.execution)` (check_completions bound to a run's limits), `check_completion`, `run_code` (a plain program), `sandbox_capabilities` (which protections are active).
Inside: `execution.py` (the pool of fork servers and the verdicts), `harness.py` (the fork server, run as a
standalone script), `child.py` (what one job child runs), `setup.py` (start-up isolation of a server).
Not covered here: what a verdict means for training or scoring (see `stages/` and `scoring/`).
"""

from iterkd_lib.records import ExecutionResult
from iterkd_lib.sandbox.execution import (
                                          check_completion,
                                          check_completions,
                                          execute,
                                          executor,
                                          run_code,
                                          sandbox_capabilities,
)

__all__ = ["ExecutionResult", "check_completion", "check_completions", "execute", "executor", "run_code",
           "sandbox_capabilities"]
