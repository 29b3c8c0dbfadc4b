"""Shared helpers of the WASI tests (no tests here).

- `CtxGuest` drives a `WasiCtx` the way a Wasm program would: integer arguments, data in a
  64 KiB linear memory (a bytearray).
- `WasmtimeGuest` drives wasmtime's own WASI through the same interface, via a module that
  re-exports every preview1 import; differential tests run one scenario on both.
- `run_with_ctx` runs a real WASI program on wasmtime's engine with *our* WasiCtx bound as its
  `wasi_snapshot_preview1` imports, the way jitwasm's runtime will bind it.
"""

import ctypes
import os

from jitwasm.binary.types import I32, I64
from jitwasm.wasi import MODULE, SIGNATURES, WasiConfig, WasiCtx

MEMORY_SIZE = 65536
RESULT = 0x100          # result slots the scenarios read back (up to 0x800)
SCRATCH = 0x1000        # strings and iovecs are allocated upward from here

_WAT_TYPES = {I32: "i32", I64: "i64"}


class Guest:
    """Scenario-facing side: allocate data in guest memory, call functions, read results."""

    def __init__(self):
        self._next = SCRATCH

    def put(self, data: bytes) -> tuple:
        ptr = self._next
        self._next = (ptr + len(data) + 7) & ~7
        assert self._next < MEMORY_SIZE, "scenario ran out of scratch memory"
        self.view()[ptr:ptr + len(data)] = data
        return ptr, len(data)

    def str(self, text: str) -> tuple:
        return self.put(text.encode())

    def iovecs(self, *buffers: tuple) -> tuple:
        """An iovec array over (ptr, len) buffers; returns (iovs, count)."""
        raw = b"".join(p.to_bytes(4, "little") + n.to_bytes(4, "little") for p, n in buffers)
        return self.put(raw)[0], len(buffers)

    def buffer(self, size: int) -> tuple:
        return self.put(bytes(size))

    def u32(self, ptr: int) -> int:
        return int.from_bytes(self.view()[ptr:ptr + 4], "little")

    def u64(self, ptr: int) -> int:
        return int.from_bytes(self.view()[ptr:ptr + 8], "little")

    def bytes(self, ptr: int, size: int) -> bytes:
        return bytes(self.view()[ptr:ptr + size])


class CtxGuest(Guest):
    def __init__(self, ctx: WasiCtx):
        super().__init__()
        self.ctx = ctx
        self.mem = bytearray(MEMORY_SIZE)

    def view(self):
        return self.mem

    def call(self, name: str, *args) -> int:
        return getattr(self.ctx, name)(self.mem, *args)


def _forwarding_wat() -> str:
    """A module importing every preview1 function and exporting a forwarder of the same name."""
    lines = ["(module"]
    for name, (params, results) in SIGNATURES.items():
        sig = (f"(param {' '.join(_WAT_TYPES[t] for t in params)}) "
               f"(result {' '.join(_WAT_TYPES[t] for t in results)})")
        lines.append(f'(import "{MODULE}" "{name}" (func ${name} {sig}))')
    lines.append('(memory (export "memory") 1)')
    for name, (params, results) in SIGNATURES.items():
        sig = (f"(param {' '.join(_WAT_TYPES[t] for t in params)}) "
               f"(result {' '.join(_WAT_TYPES[t] for t in results)})")
        args = " ".join(f"(local.get {i})" for i in range(len(params)))
        lines.append(f'(func (export "{name}") {sig} (call ${name} {args}))')
    lines.append(")")
    return "\n".join(lines)


def _signed(value: int, valtype: int) -> int:
    bits = 32 if valtype == I32 else 64
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _memory_view(memory, store) -> memoryview:
    size = memory.data_len(store)
    address = ctypes.addressof(memory.data_ptr(store).contents)
    return memoryview((ctypes.c_ubyte * size).from_address(address)).cast("B")


class WasmtimeGuest(Guest):
    """wasmtime's WASI behind the Guest interface; a trap (bad pointer) returns "trap"."""

    def __init__(self, preopens=(), argv=(), env=()):
        import wasmtime
        super().__init__()
        self._wasmtime = wasmtime
        engine = wasmtime.Engine()
        self.store = wasmtime.Store(engine)
        config = wasmtime.WasiConfig()
        config.argv = list(argv)
        config.env = list(env)
        for host, guest in preopens:
            config.preopen_dir(str(host), guest)
        self.store.set_wasi(config)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        module = wasmtime.Module(engine, _forwarding_wat())
        self.exports = linker.instantiate(self.store, module).exports(self.store)

    def view(self):
        return _memory_view(self.exports["memory"], self.store)

    def call(self, name: str, *args) -> int:
        params = SIGNATURES[name][0]
        try:
            return self.exports[name](self.store, *map(_signed, args, params))
        except self._wasmtime.Trap:
            return "trap"


def run_with_ctx(wasm: bytes, ctx: WasiCtx) -> int:
    """Run a WASI command on wasmtime's engine with `ctx` as its WASI; return the exit code."""
    import wasmtime
    from jitwasm.errors import WasiExit

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    valtypes = {I32: wasmtime.ValType.i32(), I64: wasmtime.ValType.i64()}
    for name, (params, results, method) in ctx.host_functions().items():
        functype = wasmtime.FuncType([valtypes[t] for t in params],
                                     [valtypes[t] for t in results])

        def host(caller, *args, _method=method):
            return _method(_memory_view(caller["memory"], caller), *args)

        linker.define_func(MODULE, name, functype, host, access_caller=True)
    instance = linker.instantiate(store, wasmtime.Module(engine, wasm))
    try:
        instance.exports(store)["_start"](store)
    except WasiExit as exit_:
        return exit_.code
    return 0


def make_ctx(tmp_path=None, **config) -> WasiCtx:
    """A WasiCtx with `tmp_path` preopened as "/" (when given)."""
    if tmp_path is not None:
        config.setdefault("preopens", [(str(tmp_path), "/")])
    return WasiCtx(WasiConfig(**config))


def build_escape_tree(root) -> None:
    """The host tree of the sandbox tests: `root/sandbox` is preopened, `root/outside` is not.

    The links inside the sandbox try every way out: absolute, relative, chained, dangling,
    through directories, and loops.
    """
    sandbox = root / "sandbox"
    outside = root / "outside"
    (sandbox / "dir" / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret").write_text("secret")
    (sandbox / "file").write_text("hello")
    (sandbox / "dir" / "nested").write_text("nested")
    links = {
        "link_file": "file",
        "link_dir": "dir",
        "link_abs": str(outside),
        "link_abs_secret": str(outside / "secret"),
        "link_up": "../outside",
        "link_up_secret": "../outside/secret",
        "link_up_new": "../outside/created",
        "link_dangling": "missing",
        "link_chain": "link_file",
        "link_chain_up": "link_up",
        "link_loop": "link_loop",
        "link_dot": ".",
        "link_dir_up": "dir/..",
        "link_deep_up": "dir/../../outside",
        "dir/link_parent": "..",
        "dir/link_grandparent": "../..",
        "dir/link_root_file": "../file",
    }
    for name, target in links.items():
        os.symlink(target, sandbox / name)


def snapshot(path) -> dict:
    """Everything under `path` (type, content or link target, mode, mtime) to detect changes."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if os.path.islink(full):
                what = ("link", os.readlink(full))
            elif os.path.isdir(full):
                what = ("dir",)
            else:
                with open(full, "rb") as f:
                    what = ("file", f.read())
            state[os.path.relpath(full, path)] = (what, st.st_mode, st.st_mtime_ns, st.st_nlink)
    st = os.lstat(path)
    state["."] = (st.st_mode, st.st_mtime_ns, st.st_nlink)
    return state
