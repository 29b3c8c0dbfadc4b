"""Shared helpers of the `jitwasm run` tests (no tests here): run the CLI in a subprocess.

A subprocess, not click's CliRunner, because the guest writes to the process's real fds 0-2
(WASI stdio is inherited at the fd level) and exit statuses must be the real ones.
"""

import os
import subprocess
import sys

# `python -c` rather than the console script, so the tests use the interpreter running them.
JITWASM = [sys.executable, "-m", "jitwasm"]


def run_jitwasm(*args, stdin=b"", env=None, timeout=120) -> subprocess.CompletedProcess:
    """`jitwasm ARGS...` with `stdin` (bytes or an open file); stdout/stderr captured as bytes.

    The host environment is passed only to the Python process (PATH, the venv); the guest
    sees what --env/--inherit-env give it.
    """
    kwargs = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
    return subprocess.run([*JITWASM, *map(str, args)], capture_output=True, timeout=timeout,
                          env=env if env is not None else os.environ.copy(), **kwargs)
