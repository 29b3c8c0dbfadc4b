"""Parallel eager compilation (compiler/parallel.py): the code is byte-identical to a one-process
compile whatever the number of workers, runs, survives failing workers and leaves no process
behind; forking is avoided where it is unsafe or does not pay."""

import os
import threading
from pathlib import Path

import pytest

from jitwasm.binary import decode_module
from jitwasm.compiler import compile_module
from jitwasm.compiler import parallel
from jitwasm.compiler.options import CompileOptions
from jitwasm.validation import validate_module
from jitwasm.wast.paths import wasi_testsuite_dir

ROOT = Path(__file__).resolve().parent.parent


def decoded(path: Path):
    info = decode_module(path.read_bytes())
    validate_module(info)
    return info


LOCAL_MODULES = [path for path in sorted((ROOT / "tests" / "wasi_programs").glob("*.wasm")) +
                 sorted((ROOT / "bench" / "kernels").glob("*.wasm")) +
                 sorted((ROOT / "bench" / "large").glob("*.wasm"))
                 if len(decoded(path).codes) >= 3]  # something to split


def compiled_parts(info, **kwargs) -> tuple:
    compiled = compile_module(info, **kwargs)
    try:
        code = compiled.code
        return (code.read(), compiled.func_offsets, dict(code.trap_sites), dict(code.call_sites),
                dict(code.frame_sizes))
    finally:
        compiled.code.free()


def largest_wasi_test():
    paths = sorted(wasi_testsuite_dir().rglob("*.wasm"), key=lambda p: p.stat().st_size)
    return paths[-1] if paths else None


# ---- planning -------------------------------------------------------------------------------

def test_split_ranges_cover_every_body_once_without_empty_ranges():
    sizes = [5, 100, 3, 3, 3, 40, 1, 1, 60, 2]
    for parts in range(1, 14):
        ranges = parallel.split_ranges(sizes, parts)
        assert len(ranges) == min(parts, len(sizes))
        assert ranges[0][0] == 0 and ranges[-1][1] == len(sizes)
        assert all(lo < hi for lo, hi in ranges)
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


def test_split_ranges_balance_what_whole_functions_allow():
    assert parallel.split_ranges([10] * 8, 4) == [(0, 2), (2, 4), (4, 6), (6, 8)]
    # The big body goes where it overshoots least: alone in the middle.
    assert parallel.split_ranges([10, 10, 60, 10, 10], 3) == [(0, 2), (2, 3), (3, 5)]


def test_deal_chunks_keeps_chunk_0_here_and_balances_the_rest():
    owned = parallel.deal_chunks([10, 50, 10, 10, 10, 10], 2)
    assert owned[0][0] == 0
    assert sorted(k for ks in owned for k in ks) == list(range(6))
    loads = [sum([10, 50, 10, 10, 10, 10][k] for k in ks) for ks in owned]
    assert loads == [50, 50]


def test_busy_cpus_are_not_counted(monkeypatch):
    monkeypatch.setattr(parallel, "available_cpus", lambda: 4)
    monkeypatch.setattr(parallel, "busy_cpus", lambda: 3)
    assert parallel.worker_count(100 * parallel.MIN_SHARE_BYTES) == 1
    monkeypatch.setattr(parallel, "busy_cpus", lambda: 1)
    assert parallel.worker_count(100 * parallel.MIN_SHARE_BYTES) == 3
    assert parallel.busy_cpus() >= 0


def test_worker_count_needs_code_cpus_and_no_other_threads():
    assert parallel.worker_count(100, cpus=8) == 1
    assert parallel.worker_count(3 * parallel.MIN_SHARE_BYTES, cpus=8) == 3
    assert parallel.worker_count(100 * parallel.MIN_SHARE_BYTES, cpus=2) == 2
    assert parallel.worker_count(100 * parallel.MIN_SHARE_BYTES, cpus=64) == parallel.MAX_WORKERS
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert parallel.worker_count(100 * parallel.MIN_SHARE_BYTES, cpus=8) == 1
    finally:
        release.set()
        thread.join()


# ---- byte-identical code --------------------------------------------------------------------

@pytest.mark.parametrize("path", LOCAL_MODULES, ids=lambda p: p.name)
def test_parallel_code_is_byte_identical(path):
    info = decoded(path)
    sequential = compiled_parts(info, workers=1)
    for workers in (2, 3, 8):
        assert compiled_parts(info, workers=workers) == sequential, workers


def test_parallel_code_is_byte_identical_with_every_option():
    info = decoded(ROOT / "tests" / "wasi_programs" / "dirs.wasm")
    options = CompileOptions(fuel=True, epoch=True, explicit_bounds=True)
    assert compiled_parts(info, options=options, workers=3) == \
        compiled_parts(info, options=options, workers=1)


def test_largest_wasi_test_is_byte_identical():
    path = largest_wasi_test()
    if path is None:
        pytest.skip(f"no WASI testsuite at {wasi_testsuite_dir()}")
    info = decoded(path)
    assert compiled_parts(info, workers=2) == compiled_parts(info, workers=1)


# ---- running, failures, cleanup -------------------------------------------------------------

@pytest.mark.parametrize("kernel", ["sha256", "interp"])
def test_parallel_compiled_kernel_runs(kernel):
    import json

    import jitwasm

    expected = json.loads((ROOT / "bench" / "kernels" / "expected.json").read_text())[kernel]
    wasm = (ROOT / "bench" / "kernels" / f"{kernel}.wasm").read_bytes()
    from jitwasm.runtime.instance import Module as RuntimeModule

    store = jitwasm.Store()
    module = jitwasm.Module._wrap(store.engine, RuntimeModule(wasm, options=CompileOptions(),
                                                              workers=3))
    run = jitwasm.Instance(store, module, []).exports(store)["run"]
    for n, checksum in expected.items():
        assert run(store, int(n)) == checksum


def _fail_by_exception():
    raise RuntimeError("worker failure")


def _fail_by_signal():
    os.kill(os.getpid(), 9)


@pytest.mark.parametrize("failure", [_fail_by_exception, _fail_by_signal],
                         ids=["exception", "signal"])
def test_a_failing_worker_is_replaced_by_this_process(monkeypatch, failure):
    info = decoded(ROOT / "bench" / "kernels" / "interp.wasm")
    expected = compiled_parts(info, workers=1)
    parent = os.getpid()
    real = parallel.compile_fragment

    def failing_in_workers(*args):
        if os.getpid() != parent:
            failure()
        return real(*args)

    monkeypatch.setattr(parallel, "compile_fragment", failing_in_workers)
    assert compiled_parts(info, workers=3) == expected


def test_workers_reaped_elsewhere_still_count(monkeypatch):
    """With SIGCHLD ignored the kernel reaps the workers itself (waitpid fails with ECHILD):
    their fragments are still used, and a worker that died first is still replaced."""
    import signal

    info = decoded(ROOT / "bench" / "kernels" / "interp.wasm")
    expected = compiled_parts(info, workers=1)
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        from_workers = []
        real_fragment = parallel.Worker.fragment

        def recording_fragment(worker, chunk):
            fragment = real_fragment(worker, chunk)
            from_workers.append(fragment is not None)
            return fragment

        monkeypatch.setattr(parallel.Worker, "fragment", recording_fragment)
        assert compiled_parts(info, workers=3) == expected
        assert from_workers and all(from_workers)  # used, not recompiled here
        parent = os.getpid()
        real = parallel.compile_fragment

        def killed_in_workers(*args):
            if os.getpid() != parent:
                os.kill(os.getpid(), 9)
            return real(*args)

        monkeypatch.setattr(parallel, "compile_fragment", killed_in_workers)
        assert compiled_parts(info, workers=3) == expected
    finally:
        signal.signal(signal.SIGCHLD, previous)


def test_an_interrupted_compile_leaves_no_worker_behind(monkeypatch):
    info = decoded(ROOT / "bench" / "kernels" / "interp.wasm")
    pids = []
    real_start = parallel.Worker.start.__func__

    def recording_start(cls, *args):
        worker = real_start(cls, *args)
        pids.append(worker.pid)
        return worker

    monkeypatch.setattr(parallel.Worker, "start", classmethod(recording_start))

    def interrupt(done):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compile_module(info, workers=3, progress=interrupt)
    assert len(pids) == 2
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_progress_reaches_every_function():
    info = decoded(ROOT / "bench" / "kernels" / "interp.wasm")
    seen = []
    compile_module(info, workers=3, progress=seen.append).code.free()
    assert seen == sorted(seen) and seen[-1] == len(info.codes)


def test_parallel_compilation_false_never_forks(monkeypatch):
    import jitwasm

    path = largest_wasi_test()
    if path is None:
        pytest.skip(f"no WASI testsuite at {wasi_testsuite_dir()}")

    def no_fork():
        raise AssertionError("forked")

    config = jitwasm.Config()
    config.parallel_compilation = False
    engine = jitwasm.Engine(config)
    monkeypatch.setattr(parallel.os, "fork", no_fork)
    monkeypatch.setattr(parallel, "available_cpus", lambda: 4)
    monkeypatch.setattr(parallel, "busy_cpus", lambda: 0)
    monkeypatch.setattr(parallel, "MIN_SHARE_BYTES", 4096)
    jitwasm.Module.from_file(engine, path)
    with pytest.raises(AssertionError, match="forked"):
        jitwasm.Module.from_file(jitwasm.Engine(), path)
