"""Run one script in a forked child with a deadline, so a hang or a crash costs one file only.

Generated code that loops forever cannot be interrupted from Python (the thread is in machine
code, outside the interpreter), and a runtime bug can kill the process with a signal; both are
contained by running each script in a child process. The child sends its FileResult back
through a pipe; it also writes the line of the command it is running into a shared page, so a
timeout or crash is reported at the command that caused it.
"""

import mmap
import os
import pickle
import select
import signal
import struct
import sys
import time

_LINE = struct.Struct("<q")


class Progress:
    """The current command's line, visible to the parent (a shared anonymous page)."""

    def __init__(self):
        self._page = mmap.mmap(-1, mmap.PAGESIZE)

    def set(self, line: int) -> None:
        _LINE.pack_into(self._page, 0, line)

    def get(self) -> int:
        return _LINE.unpack_from(self._page, 0)[0]


def run_isolated(work, timeout: float, on_failure):
    """`work(progress)` in a forked child, returning its (picklable) result.

    If the child exceeds `timeout` seconds or dies without a result, returns
    `on_failure(reason, line)` with the line of the command it was running (0 if none).
    """
    progress = Progress()
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack
        status = 0
        try:
            os.close(read_fd)
            payload = pickle.dumps(work(progress))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    chunks = []
    deadline = time.monotonic() + timeout
    timed_out = False
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([pipe], [], [], left)
            if ready:
                chunk = os.read(pipe.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    line = progress.get()
    if timed_out:
        return on_failure(f"timed out after {timeout:g} s", line)
    if chunks and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return pickle.loads(b"".join(chunks))
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return on_failure(f"the process died of signal {sig} ({signal.Signals(sig).name})", line)
    return on_failure(f"the process exited with status {os.WEXITSTATUS(status)}", line)
