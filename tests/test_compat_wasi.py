"""Compatibility suite (same bodies on wasmtime-py and jitwasm): WasiConfig, Store.set_wasi,
Linker.define_wasi and ExitTrap, driven through a small module that exposes WASI calls."""

import os
import sys

import pytest

from test_compat_engines import api, engine, store  # noqa: F401 (fixtures)

RIGHT_FD_READ, RIGHT_FD_WRITE = 1 << 1, 1 << 6
OFLAGS_CREAT, OFLAGS_TRUNC = 1, 8
SCRATCH = 1024  # where the tests put strings and buffers

WASI_PROBE = """(module
  (type $ii_i (func (param i32 i32) (result i32)))
  (type $iiii_i (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (type $iiii_i)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (type $iiii_i)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (type $ii_i)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (type $ii_i)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (type $ii_i)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (type $ii_i)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; [0, 8): one iovec, [8, 16): two u32 results, [16, 20): an fd
  (func $count_or_errno (param $errno i32) (result i32)
    (if (result i32) (local.get $errno)
      (then (i32.sub (i32.const 0) (local.get $errno))) (else (i32.load (i32.const 8)))))
  (func $iovec (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr)) (i32.store (i32.const 4) (local.get $len)))
  (func $results (result i32 i32) (i32.load (i32.const 8)) (i32.load (i32.const 12)))
  (func (export "write") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (call $iovec (local.get $ptr) (local.get $len))
    (call $count_or_errno
      (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "read") (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (call $iovec (local.get $ptr) (local.get $len))
    (call $count_or_errno
      (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "args_sizes") (result i32 i32)
    (drop (call $args_sizes (i32.const 8) (i32.const 12))) (call $results))
  (func (export "args_get") (type $ii_i) (call $args_get (local.get 0) (local.get 1)))
  (func (export "environ_sizes") (result i32 i32)
    (drop (call $env_sizes (i32.const 8) (i32.const 12))) (call $results))
  (func (export "environ_get") (type $ii_i) (call $env_get (local.get 0) (local.get 1)))
  (func (export "open") (param $dir i32) (param $path i32) (param $len i32) (param $oflags i32)
    (param $rights i64) (result i32) (local $errno i32)
    (local.set $errno (call $path_open (local.get $dir) (i32.const 0) (local.get $path)
      (local.get $len) (local.get $oflags) (local.get $rights) (local.get $rights) (i32.const 0)
      (i32.const 16)))
    (if (result i32) (local.get $errno)
      (then (i32.sub (i32.const 0) (local.get $errno))) (else (i32.load (i32.const 16)))))
  (func (export "close") (param i32) (result i32) (call $fd_close (local.get 0)))
  (func (export "exit") (param i32) (call $proc_exit (local.get 0))))"""


class Probe:
    """The probe module instantiated with WASI from `config`; helpers move bytes in and out."""

    def __init__(self, api, config):
        engine = api.Engine()
        self.store = api.Store(engine)
        self.store.set_wasi(config)
        linker = api.Linker(engine)
        linker.define_wasi()
        self.ex = linker.instantiate(self.store, api.Module(engine, WASI_PROBE)).exports(self.store)
        self.memory = self.ex["memory"]

    def __call__(self, name, *args):
        return self.ex[name](self.store, *args)

    def put(self, data: bytes, at: int = SCRATCH) -> tuple:
        self.memory.write(self.store, data, at)
        return at, len(data)

    def get(self, at: int, size: int) -> bytes:
        return bytes(self.memory.read(self.store, at, at + size))

    def write(self, fd: int, data: bytes) -> int:
        return self("write", fd, *self.put(data))

    def read(self, fd: int, size: int) -> bytes:
        n = self("read", fd, SCRATCH, size)
        assert n >= 0, f"errno {-n}"
        return self.get(SCRATCH, n)

    def strings(self, sizes: str, get: str) -> bytes:
        count, size = self(sizes)
        assert self(get, SCRATCH, SCRATCH + 4 * count) == 0
        return self.get(SCRATCH + 4 * count, size)

    def open(self, dirfd: int, path: bytes, oflags: int, rights: int) -> int:
        at = SCRATCH + 4096
        return self("open", dirfd, *self.put(path, at), oflags, rights)


def test_argv_and_env(api):
    config = api.WasiConfig()
    config.argv = ["prog", "two words", "ü"]
    config.env = [("KEY", "value"), ("EMPTY", "")]
    probe = Probe(api, config)
    assert probe("args_sizes")[0] == 3
    assert probe.strings("args_sizes", "args_get") == "prog\0two words\0ü\0".encode()
    assert probe.strings("environ_sizes", "environ_get") == b"KEY=value\0EMPTY=\0"


def test_inherit_argv_and_env(api, monkeypatch):
    monkeypatch.setenv("JITWASM_COMPAT_PROBE", "yes")
    config = api.WasiConfig()
    config.inherit_argv()
    config.inherit_env()
    probe = Probe(api, config)
    assert probe.strings("args_sizes", "args_get").split(b"\0")[:-1] == \
        [os.fsencode(a) for a in sys.orig_argv]
    assert b"JITWASM_COMPAT_PROBE=yes" in probe.strings("environ_sizes", "environ_get").split(b"\0")


def test_stdio_files(api, tmp_path):
    (tmp_path / "in.txt").write_bytes(b"from stdin")
    (tmp_path / "out.txt").write_bytes(b"old contents, truncated")
    config = api.WasiConfig()
    config.stdin_file = str(tmp_path / "in.txt")
    config.stdout_file = str(tmp_path / "out.txt")
    config.stderr_file = tmp_path / "err.txt"
    probe = Probe(api, config)
    assert probe.read(0, 100) == b"from stdin"
    assert probe.write(1, b"to stdout") == 9
    assert probe.write(2, b"to stderr") == 9
    probe.store.close()
    assert (tmp_path / "out.txt").read_bytes() == b"to stdout"
    assert (tmp_path / "err.txt").read_bytes() == b"to stderr"


def test_stdio_file_errors(api, tmp_path):
    config = api.WasiConfig()
    with pytest.raises(api.WasmtimeError):
        config.stdin_file = str(tmp_path / "missing")
    with pytest.raises(api.WasmtimeError):
        config.stdout_file = str(tmp_path / "no" / "such" / "dir")
    with pytest.raises(api.WasmtimeError):
        config.preopen_dir(str(tmp_path / "missing"), "/")


def test_inherit_stdin(api):
    saved = os.dup(0)
    read_end, write_end = os.pipe()
    os.write(write_end, b"from the process's stdin")
    os.close(write_end)
    os.dup2(read_end, 0)
    os.close(read_end)
    try:
        config = api.WasiConfig()
        config.inherit_stdin()
        probe = Probe(api, config)
        assert probe.read(0, 100) == b"from the process's stdin"
    finally:
        os.dup2(saved, 0)
        os.close(saved)


def test_custom_outputs(api):
    out, err = [], []
    config = api.WasiConfig()
    config.stdout_custom = out.append
    config.stderr_custom = err.append
    probe = Probe(api, config)
    assert probe.write(1, b"hello ") == 6 and probe.write(1, b"world") == 5
    assert probe.write(2, b"oops") == 4
    assert b"".join(out) == b"hello world" and b"".join(err) == b"oops"


def test_unconfigured_stdio_is_empty_and_discarded(api):
    probe = Probe(api, api.WasiConfig())
    assert probe.read(0, 10) == b""
    assert probe.write(1, b"into the void") == 13


def test_inherit_stdout_and_stderr(api, capfd):
    config = api.WasiConfig()
    config.inherit_stdout()
    config.inherit_stderr()
    probe = Probe(api, config)
    probe.write(1, b"out via fd 1\n")
    probe.write(2, b"err via fd 2\n")
    captured = capfd.readouterr()
    assert "out via fd 1" in captured.out and "err via fd 2" in captured.err


def test_preopened_directories(api, tmp_path):
    (tmp_path / "rw").mkdir()
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "data.txt").write_bytes(b"read only data")
    config = api.WasiConfig()
    config.preopen_dir(str(tmp_path / "rw"), "/rw")
    config.preopen_dir(str(tmp_path / "ro"), "/ro", False)
    probe = Probe(api, config)
    fd = probe.open(3, b"new.txt", OFLAGS_CREAT | OFLAGS_TRUNC, RIGHT_FD_WRITE)
    assert fd > 4
    assert probe.write(fd, b"written by wasm") == 15
    assert probe("close", fd) == 0
    assert (tmp_path / "rw" / "new.txt").read_bytes() == b"written by wasm"
    fd = probe.open(4, b"data.txt", 0, RIGHT_FD_READ)
    assert fd > 4 and probe.read(fd, 100) == b"read only data"
    assert probe.open(4, b"other.txt", OFLAGS_CREAT, RIGHT_FD_WRITE) < 0  # an errno
    assert not (tmp_path / "ro" / "other.txt").exists()
    assert probe.open(3, b"../ro/data.txt", 0, RIGHT_FD_READ) < 0  # sandboxed


def test_proc_exit_raises_exit_trap(api):
    probe = Probe(api, api.WasiConfig())
    with pytest.raises(api.ExitTrap) as info:
        probe("exit", 3)
    assert info.value.code == 3
    assert isinstance(info.value, api.WasmtimeError) and not isinstance(info.value, api.Trap)
    with pytest.raises(api.ExitTrap) as info:
        probe("exit", 0)
    assert info.value.code == 0


def test_one_linker_serves_stores_with_their_own_wasi(api):
    engine = api.Engine()
    linker = api.Linker(engine)
    linker.define_wasi()
    module = api.Module(engine, WASI_PROBE)
    outputs = {}
    for name in ("first", "second"):
        config = api.WasiConfig()
        config.argv = [name]
        config.stdout_custom = outputs.setdefault(name, []).append
        store = api.Store(engine)
        store.set_wasi(config)
        ex = linker.instantiate(store, module).exports(store)
        count, size = ex["args_sizes"](store)
        assert ex["args_get"](store, SCRATCH, SCRATCH + 4) == 0
        argv = bytes(ex["memory"].read(store, SCRATCH + 4, SCRATCH + 4 + size))
        ex["memory"].write(store, argv, SCRATCH + 100)
        assert ex["write"](store, 1, SCRATCH + 100, size - 1) == size - 1
    assert {k: b"".join(v) for k, v in outputs.items()} == {"first": b"first",
                                                            "second": b"second"}
