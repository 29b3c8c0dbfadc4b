"""The project's own WASI programs (tests/wasi_programs/*.c, built with wasi-libc) on three engines.

Each case gives the program's arguments, environment, stdin, a preopened fixture directory, and
the stdout, stderr, exit status and files left behind that it must produce. Every case runs on:

- `wasmtime-wasi`: wasmtime's engine with wasmtime's own WASI, the oracle that keeps the
  expectations honest;
- `wasmtime+WasiCtx`: wasmtime's engine with our WasiCtx bound by jitwasm.wasi.binding;
- `jitwasm-run`: `jitwasm run` in a subprocess (our compiler, runtime, WASI and CLI).

The last test pushes 100 MB through `cat` with `jitwasm run` over real pipes (about 2 s).
"""

import hashlib
import io
import random
import threading
from pathlib import Path
from typing import NamedTuple

import pytest

from jitwasm.errors import WasiExit
from jitwasm.wasi import WasiConfig, WasiCtx
from jitwasm.wasi.binding import define_wasi
from run_cli_support import JITWASM, run_jitwasm

PROGRAMS = Path(__file__).resolve().parent / "wasi_programs"
TRAP = "trap"           # the status of a run that ended in a Wasm trap
TRAP_EXIT_STATUS = 134  # ... as `jitwasm run` reports it (wasmtime's convention)

BINARY_INPUT = random.Random(1234).randbytes(200_000) + b"\0\0end"
LONG_LINE = "x" * 600


class Case(NamedTuple):
    program: str
    args: tuple = ()
    env: dict = {}
    stdin: bytes = b""
    root: str | None = None     # guest path of the preopened fixture directory
    stdout: str | bytes = ""
    stderr: str | None = None   # None: not checked
    status: int | str = 0       # exit code, or TRAP
    files_after: dict = {}      # fixture-relative path -> content the program leaves


FILEIO_OUT = """\
size 29 regular 1
1: line one
2: line two
3: line three
input 6 bytes: hello
excl existing: EEXIST
old name: ENOENT
new name: OK
after unlink: ENOENT
outside sandbox: ENOENT
done
"""

DIRS_OUT = """\
mkdir again: EEXIST
made:
  a.txt
  b.txt
  sub/
    c.txt
sub is dir 1
rmdir non-empty: ENOTEMPTY
rmdir file: ENOTDIR
opendir file: ENOTDIR
tree:
  x.txt
  y.txt
  y/
    z/
      deep.txt
stat removed: ENOENT
done
"""

SEEK_OUT = """\
cur 10
set 3
read 4: 4 "3456"
cur 8
read rest: 2 "89"
end-2 8
read: 2 "89"
read at eof: 0 ""
end+5 15
size 16
pread 3@2: 3 "234"
cur after pwrite 16
all: 16 "ab23456789.....X"
size after truncate 4
pread all: 4 "ab23"
seek before start: EINVAL
seek closed: EBADF
done
"""

ARGS_ENV_OUT = """\
argc 5
argv[0] = [args_env]
argv[1] = [a b]
argv[2] = [-x]
argv[3] = [quote"d]
argv[4] = [=]
envc 3
env [A=1]
env [EMPTY=]
env [HOME=/home/guest]
HOME /home/guest
JITWASM_SURELY_UNSET (unset)
"""

CLOCKS_OUT = """\
monotonic resolution positive 1
realtime resolution positive 1
realtime after 2023 1
time() agrees 1
gettimeofday agrees 1
monotonic never goes back 1
slept at least 20ms 1
slept less than 5s 1
"""

CASES = {
    "fileio": Case("fileio", ("/data",), root="/data", stdout=FILEIO_OUT,
                   files_after={"notes.txt": b"written by fileio\n"}),
    "fileio-at-root": Case("fileio", (".",), root="/", stdout=FILEIO_OUT,
                           files_after={"notes.txt": b"written by fileio\n"}),
    "dirs": Case("dirs", ("/data",), root="/data", stdout=DIRS_OUT),
    "seek": Case("seek", ("/sandbox",), root="/sandbox", stdout=SEEK_OUT,
                 files_after={"seek.bin": b"ab23"}),
    "args-env": Case("args_env", ("a b", "-x", 'quote"d', "="),
                     env={"A": "1", "EMPTY": "", "HOME": "/home/guest"}, stdout=ARGS_ENV_OUT),
    "clocks": Case("clocks", stdout=CLOCKS_OUT),
    "exit-7": Case("exit_code", ("exit", "7"), stdout="before exit 7", status=7),
    "exit-0": Case("exit_code", ("exit", "0"), stdout="before exit 0", status=0),
    "exit-125": Case("exit_code", ("exit", "125"), stdout="before exit 125", status=125),
    "return-42": Case("exit_code", ("return", "42"), stdout="before return 42", status=42),
    "usage-2": Case("exit_code", (), stdout="usage: exit_code exit|return|trap|abort N",
                    status=2),
    "trap": Case("exit_code", ("trap", "0"), stdout="before trap 0", status=TRAP),
    "abort": Case("exit_code", ("abort", "0"), stdout="before abort 0", status=TRAP),
    "cat-binary": Case("cat", stdin=BINARY_INPUT, stdout=BINARY_INPUT),
    "cat-empty": Case("cat"),
    "grow": Case("grow", ("/data",), root="/data",
                 stdout="".join(f"round {i}: grown 1\n" for i in range(1, 9)) + "done\n"),
    "lines": Case("lines", stdin=f"one\ntwo\n{LONG_LINE}\nlast".encode(),
                  stdout=f"   1  one\n   2  two\n   3  {LONG_LINE}\n   4  last",
                  stderr="4 lines\n"),
}


def make_fixture(root: Path) -> None:
    """The host directory every case with a `root` gets (programs may write into it)."""
    root.mkdir()
    (root / "input.txt").write_text("hello\n")
    (root / "tree" / "y" / "z").mkdir(parents=True)
    for name in ("x.txt", "y.txt", "y/z/deep.txt"):
        (root / "tree" / name).write_text(name)


# ---- engines: each returns (status, stdout bytes, stderr bytes) ----------------------------

def _run_wasmtime(case: Case, wasm: Path, host_root: Path | None, tmp: Path, ours: bool):
    wasmtime = pytest.importorskip("wasmtime")
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    argv = [case.program, *case.args]
    if ours:
        stdout, stderr = io.BytesIO(), io.BytesIO()
        preopens = [(str(host_root), case.root)] if host_root else []
        ctx = WasiCtx(WasiConfig(argv=argv, env=case.env, preopens=preopens, stdin=case.stdin,
                                 stdout=stdout, stderr=stderr))
        define_wasi(linker, ctx, api=wasmtime)
        read_output = lambda: (stdout.getvalue(), stderr.getvalue())  # noqa: E731
    else:
        config = wasmtime.WasiConfig()
        config.argv = argv
        config.env = list(case.env.items())
        if host_root:
            config.preopen_dir(str(host_root), case.root)
        (tmp / "stdin").write_bytes(case.stdin)
        config.stdin_file = str(tmp / "stdin")
        config.stdout_file = str(tmp / "stdout")
        config.stderr_file = str(tmp / "stderr")
        store.set_wasi(config)
        linker.define_wasi()
        read_output = lambda: ((tmp / "stdout").read_bytes(),  # noqa: E731
                               (tmp / "stderr").read_bytes())
    instance = linker.instantiate(store, wasmtime.Module.from_file(engine, str(wasm)))
    try:
        instance.exports(store)["_start"](store)
        status = 0
    except wasmtime.ExitTrap as exit_:           # wasmtime's own proc_exit
        status = exit_.code
    except WasiExit as exit_:                    # our proc_exit, re-raised by wasmtime-py
        status = exit_.code
    except wasmtime.Trap:
        status = TRAP
    if ours:
        ctx.close()
    return (status, *read_output())


def _run_jitwasm(case: Case, wasm: Path, host_root: Path | None, tmp: Path):
    options = ["--argv0", case.program]
    for name, value in case.env.items():
        options += ["--env", f"{name}={value}"]
    if host_root:
        options += ["--dir", f"{host_root}::{case.root}"]
    proc = run_jitwasm("run", *options, wasm, *case.args, stdin=case.stdin)
    status = TRAP if proc.returncode == TRAP_EXIT_STATUS else proc.returncode
    return status, proc.stdout, proc.stderr


ENGINES = {
    "wasmtime-wasi": lambda *a: _run_wasmtime(*a, ours=False),
    "wasmtime+WasiCtx": lambda *a: _run_wasmtime(*a, ours=True),
    "jitwasm-run": _run_jitwasm,
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", CASES)
def test_wasi_program(name, engine, tmp_path):
    case = CASES[name]
    host_root = None
    if case.root:
        host_root = tmp_path / "root"
        make_fixture(host_root)
    status, stdout, stderr = ENGINES[engine](case, PROGRAMS / f"{case.program}.wasm",
                                             host_root, tmp_path)
    expected_stdout = case.stdout if isinstance(case.stdout, bytes) else case.stdout.encode()
    details = f"status={status!r} stdout={stdout[:2000]!r} stderr={stderr[:2000]!r}"
    assert status == case.status, details
    assert stdout == expected_stdout, details
    if case.stderr is not None:
        assert stderr.decode() == case.stderr, details
    for relative, content in case.files_after.items():
        assert (host_root / relative).read_bytes() == content
    if case.program == "dirs":          # it removes everything it made
        assert sorted(p.name for p in host_root.iterdir()) == ["input.txt", "tree"]


def test_trap_reports_the_trap_on_stderr():
    """The trap of `__builtin_trap` (a Wasm `unreachable`) reaches the user with a backtrace."""
    proc = run_jitwasm("run", PROGRAMS / "exit_code.wasm", "trap", "0")
    assert proc.returncode == TRAP_EXIT_STATUS
    stderr = proc.stderr.decode()
    assert "wasm trap: unreachable" in stderr
    assert "wasm backtrace:" in stderr and "<wasm function " in stderr  # built with -s: no names


PIPE_MEGABYTES = 100


def test_jitwasm_run_pipes_100mb_through_cat_without_loss():
    """100 MB of pseudo-random bytes through `cat.wasm` over real pipes; SHA-256 must match.

    Takes about 2 s (jitwasm run: ~1600 fd_read + ~1600 fd_write calls of 64 KiB).
    """
    import subprocess

    chunk = random.Random(99).randbytes(1 << 20)
    total = PIPE_MEGABYTES << 20
    sent, received = hashlib.sha256(), hashlib.sha256()
    proc = subprocess.Popen([*JITWASM, "run", str(PROGRAMS / "cat.wasm")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)

    def feed():
        try:
            for i in range(PIPE_MEGABYTES):
                block = chunk[i:] + chunk[:i]          # every megabyte different
                sent.update(block)
                proc.stdin.write(block)
        finally:
            proc.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    count = 0
    while data := proc.stdout.read(1 << 20):
        received.update(data)
        count += len(data)
    writer.join()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, stderr
    assert count == total
    assert received.hexdigest() == sent.hexdigest()
