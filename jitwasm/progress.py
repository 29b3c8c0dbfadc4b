"""A progress bar on stderr for a long eager compile.

Shown only when the stream is a terminal (logs and pipes stay clean) and only once the compile
has run for `DELAY` seconds (a small module compiles without a flicker). The compiler calls the
bar with the number of functions done after each one; redraws are rate-limited, so the cost per
call is one clock read and a compare.
"""

import sys
import time

DELAY = 1.0            # seconds of compiling before the bar appears
REDRAW_INTERVAL = 0.1  # seconds between redraws
WIDTH = 30             # characters of the bar itself


class CompileProgress:
    """Callable `progress(done)` for `total` functions; `close()` erases the bar if drawn."""

    __slots__ = ("total", "stream", "clock", "start", "next_draw", "drawn")

    def __init__(self, total: int, stream, clock=time.monotonic):
        self.total = total
        self.stream = stream
        self.clock = clock
        self.start = clock()
        self.next_draw = self.start + DELAY
        self.drawn = False

    def __call__(self, done: int) -> None:
        now = self.clock()
        if now < self.next_draw:
            return
        self.next_draw = now + REDRAW_INTERVAL
        filled = WIDTH * done // self.total
        self.stream.write(f"\rcompiling [{'#' * filled}{'.' * (WIDTH - filled)}] "
                          f"{done}/{self.total} functions {now - self.start:.1f}s")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar (the program's own output follows on a clean line)."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def compile_progress(total: int, stream=None, clock=time.monotonic):
    """A CompileProgress for `total` functions on `stream` (default stderr), or None when the
    stream is not a terminal: callers then skip the per-function call entirely."""
    stream = sys.stderr if stream is None else stream
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):   # no isatty, or closed
        interactive = False
    return CompileProgress(total, stream, clock) if interactive and total else None
