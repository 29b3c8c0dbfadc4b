"""Engine adapters: every engine `jitwasm bench` compares behind one small interface.

An adapter splits running a module into the phases the benchmark reports, so the worker
(worker.py) can time each phase the same way on every engine:

- `validate(wasm)`: decode and validate only;
- `compile(wasm) -> module`: the engine's module object (this repeats validation: the worker
  counts the difference as compile time, so validation is not counted twice);
- `instantiate(module, host) -> instance`: with the host functions `bench.start`/`bench.end` and,
  when the module imports it, the engine's WASI;
- `call(instance, name, args) -> [results]`;
- `outcome(exc, executing)`: what an exception means (trap, WASI exit or another error), so
  outcomes read the same across engines.

`create(name)` raises EngineUnavailable when the engine's library is missing (or lacks what the
adapter needs); the report then names the engine as not available instead of dropping it.
Adapters are created inside worker processes: engines never share a process.
"""

from __future__ import annotations

import importlib
import io
from typing import Callable, NamedTuple

from . import ENGINES
WASI_MODULE = "wasi_snapshot_preview1"
MARKER_MODULE = "bench"
WINCH_STRATEGY = 2  # wasmtime_strategy_t: 0 auto, 1 cranelift, 2 winch


class EngineUnavailable(Exception):
    """The engine cannot run here (library not installed, or a feature it lacks)."""


class Outcome(NamedTuple):
    """How a run ended when it did not return normally: kind is "trap", "exit" or "error"."""
    kind: str
    message: str
    exit_code: int | None = None


class HostImports(NamedTuple):
    """What a benchmarked module may import: the region markers and WASI."""
    start: Callable[[], None] = lambda: None  # bench.start
    end: Callable[[], None] = lambda: None    # bench.end
    wasi_argv: tuple | None = None            # the program's argv when it imports WASI


def create(name: str):
    """The adapter for engine `name` (one of ENGINES)."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ValueError(f"unknown engine {name!r}: choose from {', '.join(ENGINES)}")
    return factory()


def _import(module: str):
    """Import an engine's library; a missing one is reported as "not installed"."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        raise EngineUnavailable(f"not installed ({e})") from None


def _version(distribution: str) -> str:
    from importlib.metadata import version  # not at import time: the CLI starts without it
    return version(distribution)


def _needs_wasi(imports) -> bool:
    return any(imp.module == WASI_MODULE for imp in imports)


# ---- engines with the wasmtime-py API (wasmtime itself and jitwasm) ----------------------------

class WasmtimeApiAdapter:
    """Any engine exposing wasmtime-py's names: Engine, Store, Module, Instance, Func, Linker."""

    def __init__(self, name: str, api, engine, notes: str):
        self.name = name
        self.api = api
        self.engine = engine
        self.notes = notes

    def validate(self, wasm: bytes) -> None:
        self.api.Module.validate(self.engine, wasm)

    def compile(self, wasm: bytes):
        return self.api.Module(self.engine, wasm)

    def instantiate(self, module, host: HostImports):
        api = self.api
        store = api.Store(self.engine)
        markers = {"start": host.start, "end": host.end}
        if _needs_wasi(module.imports):
            linker = api.Linker(self.engine)
            self.define_wasi(linker, store, host.wasi_argv or ("main",))
            unit = api.FuncType([], [])
            for name, func in markers.items():
                linker.define_func(MARKER_MODULE, name, unit, func)
            return store, linker.instantiate(store, module)
        externs = [api.Func(store, api.FuncType([], []), markers[imp.name])
                   for imp in module.imports]  # only bench.* here: the runner checked imports
        return store, api.Instance(store, module, externs)

    def define_wasi(self, linker, store, argv) -> None:
        raise NotImplementedError

    def call(self, instance, name: str, args: list) -> list:
        store, inst = instance
        out = inst.exports(store)[name](store, *args)
        return [] if out is None else list(out) if isinstance(out, (list, tuple)) else [out]


class WasmtimeAdapter(WasmtimeApiAdapter):
    """wasmtime-py with Cranelift or Winch; WASI is wasmtime's own."""

    def define_wasi(self, linker, store, argv) -> None:
        wasmtime = self.api
        linker.define_wasi()
        config = wasmtime.WasiConfig()
        config.argv = list(argv)
        config.inherit_stdout()
        config.inherit_stderr()
        store.set_wasi(config)

    def outcome(self, exc: BaseException, executing: bool) -> Outcome:
        wasmtime = self.api
        if isinstance(exc, wasmtime.ExitTrap):
            return Outcome("exit", f"exit status {exc.code}", exc.code)
        if isinstance(exc, wasmtime.Trap):
            return Outcome("trap", _wasmtime_trap_message(str(exc)))
        return Outcome("error", describe_exception(exc))


def _wasmtime_trap_message(text: str) -> str:
    """The spec message of a wasmtime trap ("wasm trap: integer divide by zero" -> the rest)."""
    for line in text.splitlines():
        _, found, message = line.partition("wasm trap: ")
        if found:
            return message.strip()
    return text.strip().splitlines()[0] if text.strip() else "trap"


def describe_exception(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def wasmtime_adapter(strategy: str) -> WasmtimeAdapter:
    wasmtime = _import("wasmtime")
    config = wasmtime.Config()
    if strategy == "winch":
        from wasmtime import _ffi
        _ffi.wasmtime_config_strategy_set(config.ptr(), WINCH_STRATEGY)
    else:
        config.strategy = "cranelift"
    notes = f"wasmtime-py {_version('wasmtime')}, {strategy}"
    return WasmtimeAdapter(f"wasmtime-{strategy}", wasmtime, wasmtime.Engine(config), notes)


class JitwasmAdapter(WasmtimeApiAdapter):
    """jitwasm through its wasmtime-py-compatible API; WASI through jitwasm.wasi.binding."""

    def define_wasi(self, linker, store, argv) -> None:
        try:
            from ..wasi import INHERIT, WasiConfig, WasiCtx
            from ..wasi.binding import define_wasi
        except ImportError as e:
            raise EngineUnavailable(f"no WASI binding for jitwasm ({e})") from None
        config = WasiConfig(argv=list(argv), stdout=INHERIT, stderr=INHERIT)
        define_wasi(linker, WasiCtx(config), api=self.api)

    def outcome(self, exc: BaseException, executing: bool) -> Outcome:
        from ..errors import Trap, WasiExit

        if isinstance(exc, WasiExit):
            return Outcome("exit", f"exit status {exc.code}", exc.code)
        if isinstance(exc, Trap):
            return Outcome("trap", exc.message)
        return Outcome("error", describe_exception(exc))


def jitwasm_adapter(eager: bool) -> JitwasmAdapter:
    """`eager` sets Config.lazy_compilation = False where the API has that option; otherwise the
    API's default mode is used, and the notes say which mode ran. The API, the compiler and the
    WASI binding are imported here, so their import time counts as setup (as wasmtime's does)."""
    import jitwasm

    for part in ("jitwasm.api", "jitwasm.compiler", "jitwasm.wasi.binding"):
        try:  # load it all now, as `import wasmtime` does: imports are setup, not compile
            importlib.import_module(part)
        except ImportError:
            pass  # reported when it is needed
    missing = [n for n in ("Engine", "Store", "Module", "Instance") if not hasattr(jitwasm, n)]
    if missing:
        raise EngineUnavailable("jitwasm has no " + ", ".join(missing))
    config = jitwasm.Config() if hasattr(jitwasm, "Config") else None
    lazy = getattr(config, "lazy_compilation", None)
    if lazy is None:
        mode = "its default compilation mode (no Config.lazy_compilation)"
    elif eager:
        config.lazy_compilation = lazy = False
        mode = "lazy_compilation=False"
    else:
        mode = f"lazy_compilation={lazy} (API default)"
    engine = jitwasm.Engine(config) if config is not None else jitwasm.Engine()
    name = "jitwasm-eager" if eager else "jitwasm"
    return JitwasmAdapter(name, jitwasm, engine, f"jitwasm {jitwasm.__version__}, {mode}")


# ---- pywasm (a pure-Python interpreter) ---------------------------------------------------------

class PywasmAdapter:
    """pywasm 2.x: decoding is its only load step (compile time is ~0), WASI is its Preview1.

    pywasm reports traps as ordinary Python exceptions (ZeroDivisionError, AssertionError, ...),
    so any exception during instantiation or a call counts as a trap."""

    name = "pywasm"

    def __init__(self):
        self.pywasm = _import("pywasm")
        self.notes = f"pywasm {_version('pywasm')} (interpreter)"

    def validate(self, wasm: bytes) -> None:
        self.compile(wasm)

    def compile(self, wasm: bytes):
        return self.pywasm.core.ModuleDesc.from_reader(io.BytesIO(wasm))

    def instantiate(self, module, host: HostImports):
        core = self.pywasm.core
        runtime = core.Runtime()
        if any(imp.module == WASI_MODULE for imp in module.imps):
            self.pywasm.wasi.Preview1(list(host.wasi_argv or ("main",)), {}, {}).bind(runtime)
        unit = core.FuncType([], [])
        runtime.imports[MARKER_MODULE] = {
            "start": runtime.allocate_func_host(unit, lambda machine, args: host.start() or []),
            "end": runtime.allocate_func_host(unit, lambda machine, args: host.end() or []),
        }
        return runtime, runtime.instance(module)

    def call(self, instance, name: str, args: list) -> list:
        runtime, inst = instance
        return list(runtime.invocate(inst, name, list(args)))

    def outcome(self, exc: BaseException, executing: bool) -> Outcome:
        if len(exc.args) == 2 and exc.args[0] is SystemExit:  # Preview1.proc_exit
            return Outcome("exit", f"exit status {exc.args[1]}", exc.args[1])
        return Outcome("trap" if executing else "error", describe_exception(exc))


_FACTORIES = {
    "jitwasm": lambda: jitwasm_adapter(eager=False),
    "jitwasm-eager": lambda: jitwasm_adapter(eager=True),
    "wasmtime-cranelift": lambda: wasmtime_adapter("cranelift"),
    "wasmtime-winch": lambda: wasmtime_adapter("winch"),
    "pywasm": PywasmAdapter,
}
