"""Parallel eager compilation: worker processes compile chunks of function bodies.

The compiler is Python, so threads would share one GIL; only processes compile in parallel. A
forked worker inherits the decoded module, the compiler's tables and its warm caches, so nothing
is pickled or imported on the way in.

The bodies are cut into contiguous chunks of about equal size, and the chunks dealt to the
processes largest first, each to the least loaded (one big function must not leave the others
idle). A chunk compiled apart goes into an Assembler of its own starting at offset 0 and becomes
a fragment: the code, the positions of its functions, the rel32 fields that refer to functions
outside it or to the constant pool, and its trap sites, call sites and frame sizes. Fragments are
appended in function order. Code is position-independent except for those fields and every
function starts 16-byte aligned, so the result is byte-identical to a sequential compile
(tests/test_parallel_compile.py checks it). This process compiles its chunks that start the
module straight into the final Assembler, the rest as fragments, while the workers run.

Forking is safe only in a process with no other threads (a child would inherit locks they hold),
so `worker_count` falls back to one process then, for CPUs that are busy right now, and for
modules too small to pay for a fork (~1 ms, plus a copy-on-write fault for each page a process
writes afterwards: ~1000 in the parent, 7-9 ms here). A worker that
fails for any reason (an exception, a signal, a fragment larger than its buffer) is not trusted:
this process compiles its chunks itself.
"""

import gc
import marshal
import mmap
import os
import _thread

from ..runtime.traps import TrapSite

# Code-section bytes per process below which a fork does not pay: measured on 2 idle CPUs,
# 27 KB (lseek.wasm) in 2 processes took 0.86-1.03x the time of 1, 193 KB 0.69-0.78x.
MIN_SHARE_BYTES = 24 * 1024
MAX_WORKERS = 8
CHUNKS_PER_WORKER = 4
_HEADER = 8             # the payload's length, before the marshalled fragments
_STATUS_TOO_BIG = 3
_new_tuple = tuple.__new__  # TrapSite(*site) without the namedtuple's Python-level __new__


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def busy_cpus() -> int:
    """Tasks running or runnable right now besides this one (/proc/loadavg's instantaneous
    count; 0 where it cannot be read): a worker on a busy CPU only adds its fork's cost."""
    try:
        with open("/proc/loadavg", "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return 0
    return max(0, running - 1)


def worker_count(code_bytes: int, cpus: int | None = None) -> int:
    """Processes (the caller's included) to compile `code_bytes` of function bodies with: one
    per idle CPU, each with at least MIN_SHARE_BYTES."""
    if not hasattr(os, "fork") or _thread._count():  # other threads: forking is unsafe
        return 1
    if cpus is None:
        cpus = available_cpus() - busy_cpus()
    return max(1, min(cpus, MAX_WORKERS, code_bytes // MIN_SHARE_BYTES))


def body_sizes(codes) -> list:
    """Each function body's size in bytes (with its size field), the unit of work."""
    return [body.end - body.offset for body in codes]


def split_ranges(sizes: list, parts: int) -> list:
    """`parts` contiguous (lo, hi) index ranges of `sizes`, none empty, whose sums come as close
    to equal as whole functions allow: a range ends before the function that would overshoot
    its share by more than half of that function."""
    parts = max(1, min(parts, len(sizes)))
    total = sum(sizes)
    ranges, lo, acc = [], 0, 0
    for i, size in enumerate(sizes):
        cuts_left = parts - 1 - len(ranges)
        if cuts_left and i > lo and ((acc + size / 2) * parts > total * (len(ranges) + 1)
                                     or len(sizes) - i == cuts_left):
            ranges.append((lo, i))
            lo = i
        acc += size
    ranges.append((lo, len(sizes)))
    return ranges


def deal_chunks(chunk_sizes: list, processes: int) -> list:
    """Chunk indices per process (ascending), largest chunk first to the least loaded; process 0
    (the caller) always gets chunk 0, which it compiles straight into the final Assembler."""
    loads = [0] * processes
    owned = [[] for _ in range(processes)]
    owned[0].append(0)
    loads[0] = chunk_sizes[0]
    for k in sorted(range(1, len(chunk_sizes)), key=chunk_sizes.__getitem__, reverse=True):
        p = loads.index(min(loads))
        owned[p].append(k)
        loads[p] += chunk_sizes[k]
    return [sorted(ks) for ks in owned]


def compile_fragment(ctx, compiler_class, lo: int, hi: int) -> tuple:
    """Compile bodies lo..hi-1 into a fresh Assembler of `ctx` (ModuleContext.restart); the
    fragment, plain values for marshal, that merge_fragment appends elsewhere."""
    ctx.restart()
    compiler = compiler_class(ctx)
    codes, first, labels = ctx.codes, ctx.num_imported_funcs, ctx.func_labels
    for i in range(lo, hi):
        compiler.compile(first + i, codes[i], labels[i])
    a = ctx.a
    return (bytes(a.buf), [labels[i].pos for i in range(lo, hi)], a.unbound_refs(labels),
            a.pool_refs(), list(ctx.trap_sites), [tuple(s) for s in ctx.trap_sites.values()],
            list(ctx.call_sites.items()), list(ctx.frame_sizes.items()))


def merge_fragment(ctx, lo: int, fragment: tuple) -> None:
    """Append a fragment of bodies lo.. to `ctx` (which holds all bodies before them)."""
    code, positions, label_refs, pool_refs, trap_offsets, traps, calls, frames = fragment
    a, labels = ctx.a, ctx.func_labels
    a.align(16)  # what the fragment's first function would have padded
    base = len(a.buf)
    a.emit_bytes(code)
    for i, pos in enumerate(positions):
        a.bind_at(labels[lo + i], base + pos)
    a.add_refs(base, [(labels[i], fixups) for i, fixups in label_refs])
    a.add_refs(base, [(a.pool_label(key), fixups) for key, fixups in pool_refs])
    ctx.trap_sites.update(zip([base + offset for offset in trap_offsets],
                              [_new_tuple(TrapSite, site) for site in traps]))
    ctx.call_sites.update((base + offset, site) for offset, site in calls)
    ctx.frame_sizes.update(frames)


def compile_parallel(ctx, compiler_class, processes: int, progress=None) -> None:
    """Compile every body into `ctx` (a fresh ModuleContext) using `processes` processes."""
    sizes = body_sizes(ctx.codes)
    chunks = split_ranges(sizes, processes * CHUNKS_PER_WORKER)
    owned = deal_chunks([sum(sizes[lo:hi]) for lo, hi in chunks], processes)
    workers = {}  # chunk index -> its Worker (None: forking failed, compile it here)
    try:
        for ks in owned[1:]:  # fork before this process has compiled anything
            worker = Worker.start(ctx, compiler_class, [chunks[k] for k in ks])
            workers.update((k, worker) for k in ks)
        mine = owned[0]
        direct = 0  # chunks 0..direct-1 are compiled straight into ctx
        while direct < len(chunks) and direct in mine:
            direct += 1
        compiler = compiler_class(ctx)
        first, codes, labels = ctx.num_imported_funcs, ctx.codes, ctx.func_labels
        for lo, hi in chunks[:direct]:
            for i in range(lo, hi):
                compiler.compile(first + i, codes[i], labels[i])
            if progress is not None:
                progress(hi)
        apart = ctx.sibling()  # fragments are compiled in a context of their own
        fragments = {k: compile_fragment(apart, compiler_class, *chunks[k])
                     for k in mine if k >= direct}
        for k in range(direct, len(chunks)):
            fragment = fragments.get(k)
            if fragment is None:
                worker = workers[k]
                fragment = worker.fragment(chunks[k]) if worker is not None else None
                if fragment is None:
                    fragment = compile_fragment(apart, compiler_class, *chunks[k])
            merge_fragment(ctx, chunks[k][0], fragment)
            if progress is not None:
                progress(chunks[k][1])
    finally:
        for worker in set(workers.values()):
            if worker is not None:
                worker.cancel()


class Worker:
    """A forked process compiling some chunks; `fragment(chunk)` (waiting for it the first time)
    gives a chunk's fragment, None if the worker failed."""

    __slots__ = ("pid", "buffer", "fragments")

    @classmethod
    def start(cls, ctx, compiler_class, chunks: list):
        """A started Worker, or None when no process or memory can be had."""
        capacity = fragment_capacity(ctx, chunks)
        try:
            buffer = mmap.mmap(-1, capacity)  # shared with the child; pages touched on use
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:
            _run_child(ctx, compiler_class, chunks, buffer)
        worker = cls()
        worker.pid, worker.buffer, worker.fragments = pid, buffer, None
        return worker

    def fragment(self, chunk: tuple):
        if self.fragments is None:
            self.fragments = self._collect()
        return self.fragments.get(chunk)

    def _collect(self) -> dict:
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored, or the application's
            status = 0             # handler): the length, written last, tells if it finished
        self.pid = 0
        try:
            size = int.from_bytes(self.buffer[:_HEADER], "little")
            if status != 0 or not size:
                return {}
            return dict(marshal.loads(self.buffer[_HEADER:_HEADER + size]))
        finally:
            self.buffer.close()

    def cancel(self) -> None:
        """Stop the worker if unfinished (this process is done or unwinding)."""
        if self.pid:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.pid = 0
        if not self.buffer.closed:
            self.buffer.close()


def _run_child(ctx, compiler_class, chunks: list, buffer) -> None:
    """The worker process: compile, write the fragments, leave without any cleanup (it must not
    run the parent's atexit handlers, flush its stdio buffers or return into its frames)."""
    status = 1
    try:
        gc.disable()  # a short life: collections would only touch (and copy) shared pages
        data = marshal.dumps([(chunk, compile_fragment(ctx, compiler_class, *chunk))
                              for chunk in chunks])
        if _HEADER + len(data) > len(buffer):
            status = _STATUS_TOO_BIG
        else:
            buffer[_HEADER:_HEADER + len(data)] = data
            buffer[:_HEADER] = len(data).to_bytes(_HEADER, "little")
            status = 0
    finally:
        os._exit(status)


def fragment_capacity(ctx, chunks: list) -> int:
    """A generous bound on the marshalled fragments of `chunks` (machine code is ~2-6x the
    Wasm); the mapping costs only the pages written."""
    wasm = sum(ctx.codes[hi - 1].end - ctx.codes[lo].offset for lo, hi in chunks)
    return (wasm * 64 + (1 << 20) + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE
