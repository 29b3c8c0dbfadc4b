"""One script per forked child: results come back, hangs time out, crashes are contained."""

import faulthandler
import os
import signal
import time

from jitwasm.wast.isolation import run_isolated


def failed(reason, line):
    return ("failed", reason, line)


def test_the_result_comes_back_from_the_child():
    assert run_isolated(lambda progress: {"pid": os.getpid(), "big": "x" * 300_000}, 30,
                        failed)["big"] == "x" * 300_000
    assert run_isolated(lambda progress: os.getpid(), 30, failed) != os.getpid()


def test_a_hang_times_out_at_the_line_it_was_running():
    def work(progress):
        progress.set(17)
        time.sleep(60)

    start = time.monotonic()
    assert run_isolated(work, 0.5, failed) == ("failed", "timed out after 0.5 s", 17)
    assert time.monotonic() - start < 10


def test_a_crash_is_reported_with_its_signal():
    def work(progress):
        progress.set(3)
        faulthandler.disable()  # quiet: the default action is what a real crash gets
        signal.signal(signal.SIGSEGV, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGSEGV)

    kind, reason, line = run_isolated(work, 30, failed)
    assert (kind, line) == ("failed", 3) and "signal 11 (SIGSEGV)" in reason


def test_an_exception_in_the_child_is_a_failure_not_a_hang():
    def work(progress):
        raise RuntimeError("boom")

    assert run_isolated(work, 30, failed)[1] == "the process exited with status 1"
