"""A warm parent for the `redline` processes the tests start.

Most of the suite's CPU went into starting `python -m review.cli crawl`:
about 2 of every 3 seconds of a small crawl were spent importing Scrapy,
Twisted, trafilatura, lxml and SQLAlchemy, again in every process. This
server imports those third-party libraries once, then forks one child per
command. The child is a real, separate process that takes the command's
environment, working directory, argv and standard streams and runs
``review.cli`` as ``python -m review.cli`` would, then exits with its status;
the caller gets a :class:`subprocess.CompletedProcess` as from
``subprocess.run``.

What the server never imports before forking: redline's own modules (each
child imports them fresh, under its own environment) and Twisted's reactor
(each crawl installs its own). ``REDLINE_TEST_FORK=0`` turns it off: every
command is then started with ``subprocess.run``, as before.

Run as ``python -m tests.forkserver``: JSON requests on stdin, one per line,
JSON answers on stdout.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Union

ROOT = Path(__file__).resolve().parent.parent

OWN = frozenset({"pipeline", "spiders", "storage", "review", "settings", "config", "scheduler", "tests", "bench"})


def warm_modules() -> list[str]:
    """What to import before forking: every module redline's own code imports
    that is not redline's, and the components Scrapy loads by name at crawl
    start. Never the reactor: each crawl installs its own."""
    import ast

    names: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.relative_to(ROOT).parts[0] not in OWN - {"tests", "bench"}:
            continue
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    from scrapy.settings import default_settings

    for value in vars(default_settings).values():
        for item in [*value.keys(), *value.values()] if isinstance(value, dict) else [value]:
            if isinstance(item, str) and item.count(".") >= 2 and item.replace(".", "").replace("_", "").isalnum():
                names.add(item.rsplit(".", 1)[0])
    return sorted(n for n in names if n.split(".")[0] not in OWN and "reactor" not in n)


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter makes of ``SystemExit(code)``."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _child(request: dict[str, Any], channel: tuple[int, int]) -> None:
    """In the forked child: become the command, run it, exit with its status."""
    code = 1
    try:
        for fd in channel:
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        for target, where in ((1, request["stdout"]), (2, request["stderr"])):
            if where == "stdout":  # stderr=subprocess.STDOUT
                os.dup2(1, 2)
                continue
            fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.dup2(fd, target)
            os.close(fd)
        # Standard streams as the interpreter opens them for files: block-buffered
        # stdout, line-buffered stderr that never fails to encode.
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)  # noqa: SIM115
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = request["cwd"]  # as `python -m` puts the working directory first
        sys.argv = ["-m", *request["argv"]]
        import runpy

        try:
            runpy.run_module("review.cli", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        # What the interpreter does on the way out: wait for its threads, run atexit.
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, timeout: float | None, kill: bool) -> int | None:
    """The child's exit status; None once ``timeout`` passed (the child is then killed if ``kill``)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if deadline is not None and time.monotonic() > deadline:
            if not kill:
                return None
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def serve() -> None:
    """The server: warm imports, then one forked child per command.

    Requests: ``run`` (fork, wait, kill at the timeout), ``spawn`` (fork, answer
    the pid), ``wait`` (a spawned child's status within a timeout, else null)."""
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)  # a library that prints must not write into the answers
    import importlib

    for name in warm_modules():
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    answers.write('{"ready": true}\n')
    answers.flush()
    channel = (requests.fileno(), answers.fileno())
    for line in requests:
        request = json.loads(line)
        if request["op"] == "wait":
            answer = {"status": _wait(request["pid"], request["timeout"], kill=False)}
        else:
            pid = os.fork()
            if pid == 0:
                _child(request, channel)
            if request["op"] == "spawn":
                answer = {"pid": pid}
            else:
                answer = {"status": _wait(pid, float(request["timeout"]), kill=True)}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


class ForkServer:
    """The client: one server per test process, started on first use."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.forkserver"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        if json.loads(proc.stdout.readline() or "{}").get("ready") is not True:
            raise RuntimeError("the fork server did not start")
        atexit.register(self.close)
        return proc

    def ask(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """One request and its answer; None when another thread is using the server."""
        if not self.lock.acquire(blocking=False):
            return None
        try:
            if self.proc is None or self.proc.poll() is not None:
                self.proc = self._start()
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
            return answer
        finally:
            self.lock.release()

    def run(
        self, argv: list[str], env: dict[str, str], cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str] | None:
        """``python -m review.cli *argv`` as ``subprocess.run(..., capture_output=True, text=True)``
        would; None when the server is busy with another thread's command (start a plain process then)."""
        with tempfile.TemporaryDirectory(prefix="redline-fork-") as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            request = {"op": "run", "argv": argv, "env": env, "cwd": str(cwd), "timeout": timeout}
            answer = self.ask(request | {"stdout": str(out), "stderr": str(err)})
            if answer is None:
                return None
            stdout = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
            stderr = err.read_text(encoding="utf-8", errors="replace") if err.exists() else ""
        cmd = [sys.executable, "-m", "review.cli", *argv]
        if answer["status"] is None:
            raise subprocess.TimeoutExpired(cmd, timeout, stdout, stderr)
        return subprocess.CompletedProcess(cmd, answer["status"], stdout, stderr)

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


SERVER = ForkServer()


def enabled() -> bool:
    return os.environ.get("REDLINE_TEST_FORK", "1") != "0" and hasattr(os, "fork")


def run(argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """``subprocess.run([python, -m, review.cli, *argv], capture_output=True, text=True, ...)``
    from the warm server; a plain process when forking is off or the server is busy."""
    forked = SERVER.run(argv, env, cwd, timeout) if enabled() else None
    return forked or subprocess.run(
        [sys.executable, "-m", "review.cli", *argv], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


class Forked:
    """A spawned child, used as a :class:`subprocess.Popen` is (the calls the tests make)."""

    def __init__(self, pid: int, args: list[str], files: dict[str, Path], tmp: tempfile.TemporaryDirectory[str]):
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self._files = files
        self._tmp = tmp

    def poll(self) -> int | None:
        return self._wait(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._wait(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def _wait(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            # Another thread on the server: ask again, briefly (polls are short).
            while (answer := SERVER.ask({"op": "wait", "pid": self.pid, "timeout": timeout})) is None:
                time.sleep(0.05)
            self.returncode = answer["status"]
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[Any, Any]:  # as typeshed types Popen's
        self.wait(timeout)
        out = self._files.get("stdout")
        err = self._files.get("stderr")
        return (
            out.read_text(errors="replace") if out else None,
            err.read_text(errors="replace") if err else None,
        )


Process = Union["Forked", "subprocess.Popen[str]"]


def popen(
    argv: list[str], *, env: dict[str, str], cwd: Path | None = None, stdout: Any = None, stderr: Any = None
) -> Process:
    """``subprocess.Popen([python, -m, review.cli, *argv], ...)`` from the warm server:
    stdout and stderr may be DEVNULL, PIPE (read back by communicate()), a file
    opened for writing, or for stderr STDOUT. A plain Popen when forking is off or busy."""
    cmd = [sys.executable, "-m", "review.cli", *argv]
    if not enabled():
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=stdout, stderr=stderr, text=True)
    tmp = tempfile.TemporaryDirectory(prefix="redline-fork-")
    files: dict[str, Path] = {}
    where: dict[str, str] = {}
    for name, target in (("stdout", stdout), ("stderr", stderr)):
        if target == subprocess.STDOUT:
            where[name] = "stdout"
        elif target == subprocess.PIPE:
            files[name] = Path(tmp.name) / name
            where[name] = str(files[name])
        elif target is None:
            where[name] = f"/proc/{os.getpid()}/fd/{1 if name == 'stdout' else 2}"
        elif target == subprocess.DEVNULL:
            where[name] = os.devnull
        else:
            target.flush()
            where[name] = str(target.name)
    request = {"op": "spawn", "argv": argv, "env": env, "cwd": str(cwd or Path.cwd()), "timeout": None} | where
    answer = SERVER.ask(request)
    if answer is None:
        tmp.cleanup()
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=stdout, stderr=stderr, text=True)
    return Forked(answer["pid"], cmd, files, tmp)


if __name__ == "__main__":
    serve()
