"""The llama.cpp server process: started on 127.0.0.1, health-checked, logged, and never left behind.

`LlamaServer` starts `python -m iterkd_lib.models.llama_server serve ...` (llama.cpp's HTTP server from the
`xllamacpp` wheel, OpenAI-compatible) in a child process on a free port, waits for `/health`, writes the
server's output to a log file, and stops it on `close()`, at interpreter exit and on SIGTERM/SIGINT (then
the previous handler runs). After a kill -9 of the parent the child dies too: it asks the kernel for
PR_SET_PDEATHSIG (Linux; only when started from the main thread, because the signal follows the creating
thread) and a watchdog thread polls the parent pid (everywhere).

Not covered: the requests (models/llamacpp.py talks to the server through the OpenAI client), GPU offload.
Entry points: `LlamaServer`, `EngineError`, `free_port`, `main` (the child's command line).
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Self

ENGINE = "llama.cpp (xllamacpp)"


class EngineError(RuntimeError):
    """The engine is missing, did not start, or died; the message names the engine and its log file."""



# ----------------------------------------------------------------------------------------- the server

def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_taken(port: int) -> bool:
    """True when something listens on 127.0.0.1:port (TIME_WAIT leftovers do not count, as for the server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


_LIVE: weakref.WeakSet = weakref.WeakSet()
_HANDLERS_INSTALLED = False


def _stop_all() -> None:
    for srv in list(_LIVE):
        srv.close()


def _install_handlers() -> None:
    """Stop every live server at exit and on SIGTERM/SIGINT, then let the previous handler run."""
    global _HANDLERS_INSTALLED
    if _HANDLERS_INSTALLED:
        return
    _HANDLERS_INSTALLED = True
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread; PDEATHSIG still covers us
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)

        def handler(signum, frame, previous=previous):
            _stop_all()
            if callable(previous):
                previous(signum, frame)
            elif previous == signal.SIG_DFL:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        signal.signal(sig, handler)


class LlamaServer:
    """A llama.cpp HTTP server in a child process on 127.0.0.1; `base_url` is its OpenAI-compatible root.

    Args: gguf (path of the model file), threads (CPU threads for decoding and prompt processing),
    parallel (slots: requests decoded together, continuous batching), ctx_per_slot (tokens of context per
    slot; the server allocates parallel x ctx_per_slot), port (0 = a free port), log_path (the server's
    stdout/stderr; "{port}" in it becomes the port), start_timeout_s. Raises EngineError (naming the log
    file) when xllamacpp is missing, the port is taken, or the server exits or is not healthy in time.
    """

    def __init__(self, gguf: str, threads: int = 1, parallel: int = 8, ctx_per_slot: int = 2048, port: int = 0,
                 log_path: str | None = None, start_timeout_s: float = 120.0):
        try:
            import xllamacpp  # noqa: F401  (checked here so the error is ours, not the child's)
        except ImportError as e:
            raise EngineError(f"{ENGINE}: the `xllamacpp` package is not installed ({e}); install it with "
                              f"`{sys.executable} -m pip install xllamacpp` or choose backend: hf") from e
        if port and _port_taken(port):
            raise EngineError(f"{ENGINE}: port {port} on 127.0.0.1 is already in use; set port: 0 (a free port) "
                              "or stop whatever listens there")
        self.gguf, self.threads, self.parallel, self.ctx_per_slot = gguf, threads, parallel, ctx_per_slot
        self.port = port or free_port()
        # one file per server: "{port}" in log_path is replaced by the port (two servers never share a log)
        self.log_path = Path(str(log_path or Path.home() / ".cache" / "iterkd" / "logs" / "llamacpp-{port}.log")
                             .replace("{port}", str(self.port)))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        cmd = [sys.executable, "-m", "iterkd_lib.models.llama_server", "serve", "--model", gguf, "--port", str(self.port),
               "--threads", str(threads), "--parallel", str(parallel), "--ctx-per-slot", str(ctx_per_slot),
               "--parent-pid", str(os.getpid())]
        if threading.current_thread() is threading.main_thread():
            # PR_SET_PDEATHSIG fires when the creating *thread* exits; from a worker thread only the
            # watchdog on the parent pid is used, so a finished worker does not take the server with it.
            cmd.append("--pdeathsig")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                                         os.environ.get("PYTHONPATH")]))}
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            log.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env, start_new_session=True)  # Ctrl-C reaches us; we stop the child
        _LIVE.add(self)
        _install_handlers()
        try:
            self._wait_healthy(start_timeout_s)
        except BaseException:
            self.close()
            raise

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EngineError(f"{ENGINE}: the server exited with code {self.proc.returncode} while starting; "
                                  f"see its log {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.2)
        raise EngineError(f"{ENGINE}: the server on port {self.port} was not healthy after {timeout_s:.0f} s; "
                          f"see its log {self.log_path}:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after timeout_s); safe to call twice."""
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        _LIVE.discard(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ----------------------------------------------------------------------------------------- the child

def _die_with_parent(parent_pid: int, pdeathsig: bool) -> None:
    """Linux: the kernel sends SIGKILL when the parent dies; everywhere: a thread polls the parent pid."""
    if pdeathsig and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl ran
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()


def serve(args) -> None:
    """Run the llama.cpp server until SIGTERM/SIGINT or the parent's death."""
    _die_with_parent(args.parent_pid, args.pdeathsig)
    import xllamacpp

    p = xllamacpp.CommonParams()
    p.model.path = args.model
    p.n_parallel = args.parallel
    p.n_ctx = args.parallel * args.ctx_per_slot
    p.cpuparams.n_threads = args.threads
    p.cpuparams_batch.n_threads = args.threads
    p.port = args.port
    p.hostnames = ["127.0.0.1"] if isinstance(p.hostnames, list) else p.hostnames
    p.cont_batching = True
    p.cache_prompt = False
    p.endpoint_metrics = False
    p.n_threads_http = max(2, args.parallel + 1)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server = xllamacpp.Server(p)
    print(json.dumps({"listening": server.listening_address, "pid": os.getpid()}), flush=True)
    stop.wait()
    # Exit at once: tearing the server object down first waits for the slots' running decodes (measured: a
    # SIGTERM to `iterkd run` took > 4 s to end it that way); the kernel frees the model and sockets anyway.
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m iterkd_lib.models.llama_server", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the llama.cpp server (started by LlamaServer; dies with --parent-pid)")
    s.add_argument("--model", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--parallel", type=int, default=8)
    s.add_argument("--ctx-per-slot", type=int, default=2048)
    s.add_argument("--parent-pid", type=int, default=os.getppid())
    s.add_argument("--pdeathsig", action="store_true", help="also ask the kernel for SIGKILL when the parent dies")
    args = ap.parse_args(argv)
    serve(args)


if __name__ == "__main__":
    main()
