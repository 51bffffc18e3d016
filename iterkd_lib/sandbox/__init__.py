"""The sandbox: runs untrusted generated code (teacher answers, student samples, new questions) out of process.

Public API (import from here): `execute` (pairs -> typed `ExecutionResult`s), `check_completions` (many (problem, completion) pairs -> verdicts),
`executor(cfg.execution)` (check_completions bound to a run's limits), `check_completion`, `run_code` (a plain program), `sandbox_capabilities` (which protections are active),
`describe_failure` (a verdict's failure details as text for a repair prompt), `run_calls` (programs x call
expressions -> `CallsResult`s with normalised outputs), `outputs_agree` / `outcomes_agree` / `output_literal`
(compare outputs, write one back as Python), `add_typing_imports` (static fix for missing typing imports).
Inside: `execution.py` (jobs and their verdicts), `servers.py` (the pool of fork servers), `calls.py` (call outputs and their comparison), `harness.py` (the fork server, run as a
standalone script), `child.py` (what one job child runs), `setup.py` (start-up isolation of a server).
Not covered here: what a verdict means for training or scoring (see `stages/` and `scoring/`).
"""

from iterkd_lib.sandbox.calls import (
                                          CallsResult,
                                          add_typing_imports,
                                          outcomes_agree,
                                          output_literal,
                                          outputs_agree,
                                          run_calls,
)
from iterkd_lib.sandbox.execution import (
                                          check_completion,
                                          check_completions,
                                          describe_failure,
                                          execute,
                                          executor,
                                          run_code,
)
from iterkd_lib.sandbox.servers import sandbox_capabilities
from iterkd_lib.verdicts import ExecutionResult

__all__ = ["CallsResult", "ExecutionResult", "add_typing_imports", "check_completion", "check_completions",
           "describe_failure", "execute", "executor", "outcomes_agree", "output_literal", "outputs_agree",
           "run_calls", "run_code", "sandbox_capabilities"]
