"""`jitwasm run`: run a WASI command, or call one export, with wasmtime's CLI conventions.

Exit status (as `wasmtime run` on Unix):
- returning from `_start`: 0; `proc_exit(code)` with code 0..125: that code;
- a trap: `error: wasm trap: MESSAGE` and the Wasm backtrace on stderr, status 134 (wasmtime
  exits as if killed by SIGABRT, 128 + 6, so shells and test runners see an abnormal end);
- `proc_exit` with a code >= 126: an error, status 1 (wasmtime: "exit with invalid exit status
  outside of [0..126)"; 126+ are reserved by shells for "not executable" and signals);
- any other failure (unreadable, malformed or invalid module, unknown import, bad --invoke
  argument): `error: ...` on stderr, status 1.

Only the standard library is imported at module level (not even click: jitwasm.launcher parses
a well-formed `jitwasm run` command line itself from RUN_OPTIONS, the table jitwasm.cli builds
the click command from); the runtime, the compiler and WASI load when a module is run.
"""

import os
import sys
from pathlib import Path

TRAP_EXIT_STATUS = 134        # 128 + SIGABRT, wasmtime's status for a trap
ERROR_EXIT_STATUS = 1
MAX_EXIT_CODE = 125           # proc_exit codes above this are an error, as in wasmtime
PRINTED_FRAMES = 20           # of a trap's backtrace, as many as wasmtime keeps
DEFAULT_COMPILE = "lazy"      # --compile without the code cache (bench/startup.py measures)


class RunError(Exception):
    """A failure reported as one `error: ...` line and status 1."""


class InvalidModuleFile(Exception):
    """The file cannot be read as a module; the message is the one line to print."""


# ---- the command line ------------------------------------------------------------------------

FLAG, VALUE, MULTIPLE = "flag", "value", "multiple"

# `jitwasm run`'s options: (option, parameter, kind, metavar, help); kind FLAG, VALUE,
# MULTIPLE or a tuple of choices (the first is the default). The click command (jitwasm.cli)
# and the fast parser (parse_run_args) are both built from this one table.
RUN_OPTIONS = (
    ("--dir", "dirs", MULTIPLE, "HOST[::GUEST]",
     "Preopen host directory HOST as GUEST (default: the same path)."),
    ("--env", "envs", MULTIPLE, "NAME[=VALUE]",
     "Set a guest environment variable (bare NAME: copy the host's)."),
    ("--inherit-env", "inherit_env", FLAG, None, "Start from the host's whole environment."),
    ("--invoke", "invoke", VALUE, "NAME",
     "Call export NAME with ARGS parsed by its parameter types; print results."),
    ("--preload", "preloads", MULTIPLE, "NAME=PATH",
     "Instantiate the module at PATH and link its exports as import module NAME."),
    ("--argv0", "argv0", VALUE, "NAME", "The guest's argv[0] (default: FILE as given)."),
    ("--fuel", "fuel", VALUE, "N",
     "Trap once the program has used N units of fuel (wasmtime's accounting)."),
    ("--timeout", "timeout", VALUE, "SECONDS",
     "Interrupt the program (a trap) after SECONDS of wall time."),
    ("--max-memory-size", "max_memory_size", VALUE, "BYTES",
     "Let no linear memory grow past BYTES (memory.grow returns -1; wasmtime's "
     "-W max-memory-size)."),
    ("--max-table-elements", "max_table_elements", VALUE, "N",
     "Let no table grow past N elements (table.grow returns -1)."),
    ("--allow-precompiled", "allow_precompiled", FLAG, None,
     "Accept FILE compiled ahead of time by `jitwasm compile` (checked, not validated "
     "again)."),
    ("--compile", "compile_mode", (DEFAULT_COMPILE, "eager"), None,
     "Compile functions at their first call, or all before running."),
    ("--no-cache", "no_cache", FLAG, None,
     "Neither load from nor store to the code cache (JITWASM_CACHE_DIR, default "
     "~/.cache/jitwasm)."),
)


def option_default(kind):
    """What a parameter of `kind` is when its option is not given (as click gives it)."""
    return {FLAG: False, VALUE: None, MULTIPLE: ()}.get(kind) if isinstance(kind, str) else kind[0]


def parse_run_args(argv) -> dict | None:
    """The parameters of `jitwasm run ARGV...` as click would give them, for a well-formed
    command line; None for anything else (--help, an unknown option, a missing value, a bad
    choice, no FILE ...), which click then handles with its own messages."""
    options = {option: (name, kind) for option, name, kind, _, _ in RUN_OPTIONS}
    params = {name: option_default(kind) for _, name, kind, _, _ in RUN_OPTIONS}
    i = 0
    while i < len(argv):
        token = argv[i]
        if not token.startswith("-") or token == "-":
            break
        option, eq, value = token.partition("=")
        if option not in options:
            return None
        name, kind = options[option]
        if kind == FLAG:
            if eq:
                return None
            params[name] = True
            i += 1
            continue
        if not eq:
            if i + 1 >= len(argv):
                return None
            value = argv[i + 1]
            i += 1
        i += 1
        if kind == MULTIPLE:
            params[name] += (value,)
        elif kind == VALUE or value in kind:
            params[name] = value
        else:
            return None
    if i >= len(argv) or not argv[i] or os.path.isdir(argv[i]):
        return None
    params["file"] = Path(argv[i])
    params["args"] = tuple(argv[i + 1:])
    return params


def read_module(path: Path) -> bytes:
    """The binary module at `path`; text (.wat) is converted with `wasm-tools parse`."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidModuleFile(f"{path}: cannot read: {e.strerror or e}") from None
    if data.startswith(b"\0asm") or path.suffix != ".wat":
        return data
    import subprocess

    from .wast.conversion import WASM_TOOLS_HINT, find_wasm_tools
    executable = find_wasm_tools()
    if executable is None:
        raise InvalidModuleFile(f"{path}: cannot read the text format: {WASM_TOOLS_HINT}")
    proc = subprocess.run([executable, "parse", str(path)], capture_output=True)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InvalidModuleFile(f"{path}: {message[0] if message else 'wasm-tools parse failed'}")
    return proc.stdout


# ---- command-line values ----------------------------------------------------------------------

def parse_dir(spec: str) -> tuple:
    """`HOST[::GUEST]` -> (host, guest); without GUEST the guest sees the path as given."""
    host, sep, guest = spec.partition("::")
    if not host or (sep and not guest):
        raise RunError(f"--dir {spec!r}: expected HOST_DIR or HOST_DIR::GUEST_DIR")
    if not os.path.isdir(host):
        raise RunError(f"--dir {spec!r}: {host} is not a directory")
    return host, guest if sep else host


def build_env(specs, inherit: bool) -> dict:
    """The guest's environment: the host's (with --inherit-env), then each `NAME=VALUE`;
    a bare `NAME` copies that variable from the host, if set."""
    env = dict(os.environ) if inherit else {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not name:
            raise RunError(f"--env {spec!r}: expected NAME=VALUE or NAME")
        if sep:
            env[name] = value
        elif name in os.environ:
            env[name] = os.environ[name]
    return env


_LIMIT_UNITS = {"--fuel": "units", "--timeout": "seconds", "--max-memory-size": "bytes",
                "--max-table-elements": "elements"}


def parse_limit(option: str, text, kind):
    """A --fuel, --max-* (int) or --timeout (float) value: None when not given, else a number
    >= 0."""
    if text is None:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = -1
    if not value >= 0:                     # NaN included
        raise RunError(f"{option} {text!r}: expected a non-negative number of "
                       f"{_LIMIT_UNITS[option]}")
    return value


def parse_preload(spec: str) -> tuple:
    name, sep, path = spec.partition("=")
    if not name or not sep or not path:
        raise RunError(f"--preload {spec!r}: expected NAME=PATH")
    return name, Path(path)


_INT_RANGES = {"i32": 32, "i64": 64}


def parse_value(kind: str, text: str):
    """An --invoke argument of Wasm type `kind` (its str: "i32", "f64", ...)."""
    try:
        if kind in _INT_RANGES:
            bits = _INT_RANGES[kind]
            negative = text.startswith("-")
            digits = text[negative:]
            base = 16 if digits[:2].lower() == "0x" else 10
            value = int(digits[2:] if base == 16 else digits, base)
            value = -value if negative else value
            if not -(1 << (bits - 1)) <= value < (1 << bits):
                raise ValueError("out of range")
            return value - (1 << bits) if value >> (bits - 1) > 0 else value
        if kind in ("f32", "f64"):
            return float(text)
    except ValueError:
        raise RunError(f"invalid {kind} argument {text!r}") from None
    raise RunError(f"cannot pass a {kind} argument from the command line")


def format_float(value: float, single: bool) -> str:
    """Rust's `Display` of f32/f64 (what wasmtime prints): the shortest digits that read back
    to the same value, positional, no `.0` on whole numbers; NaN, inf, -inf."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if single:
        import struct
        for precision in range(1, 10):
            text = f"{value:.{precision}g}"
            try:
                if struct.unpack("<f", struct.pack("<f", float(text)))[0] == value:
                    break
            except OverflowError:      # rounded above f32's largest finite value
                continue
    else:
        text = repr(value)
    from decimal import Decimal
    text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_value(kind: str, value) -> str:
    """One --invoke result the way wasmtime prints it."""
    if kind in ("f32", "f64"):
        return format_float(value, kind == "f32")
    if kind in ("funcref", "externref"):
        return f"<null {kind}>" if value is None else f"<{kind}>"
    if kind == "v128":
        return str(value & ((1 << 128) - 1))
    return str(value)


def format_trap(trap) -> str:
    """`wasm trap: MESSAGE` and, when the trap carries frames, a backtrace in wasmtime's layout
    (`  0:  0x1a2b - module!function`), named from each frame's module's name section."""
    lines = [f"wasm trap: {trap.message}"]
    frames = trap.frames
    if frames:
        lines.append("wasm backtrace:")
        for i, frame in enumerate(frames[:PRINTED_FRAMES]):
            func = frame.func_name or f"<wasm function {frame.func_index}>"
            module = frame.module_name or "<unknown>"
            lines.append(f"  {i:>3}: {frame.module_offset:#8x} - {module}!{func}")
        if len(frames) > PRINTED_FRAMES:
            lines.append(f"  ... {len(frames) - PRINTED_FRAMES} more frames")
    return "\n".join(lines)


# ---- running ------------------------------------------------------------------------------------

def _load(api, engine, path: Path, lazy: bool = False, cache=None,
          allow_precompiled: bool = False):
    """The Module of a .wasm or .wat file, or of `jitwasm compile`'s output when
    `allow_precompiled`; RunError with the reason if it is not valid. `lazy`: compile functions
    at their first call; `cache`: a CodeCache to load from/store to."""
    from .cache.entry import MAGIC_PREFIX
    from .cache.modules import load_module
    from .errors import DecodeError, ValidationError, WasmtimeError
    try:
        wasm = read_module(path)
    except InvalidModuleFile as e:
        raise RunError(str(e)) from None
    if wasm.startswith(MAGIC_PREFIX):
        if not allow_precompiled:
            raise RunError(f"{path}: a precompiled module (`jitwasm compile`): running one "
                           "requires --allow-precompiled")
        try:
            return api.Module.deserialize(engine, wasm)
        except WasmtimeError as e:
            raise RunError(f"{path}: {e}") from None
    try:
        options = engine.compile_options._replace(lazy=lazy)
        return api.Module._wrap(engine, load_module(wasm, options, cache))
    except (DecodeError, ValidationError) as e:
        raise RunError(f"{path}: {e}") from None


def _limited_store(api, fuel, timeout, memory_size=None, table_elements=None):
    """A Store whose engine compiles the checks the limits need: fuel (wasmtime's accounting,
    trap "all fuel consumed by WebAssembly") and a wall-clock timeout (epoch interruption, see
    _start_timeout); growth limits (Store.set_limits) when `memory_size` (bytes) or
    `table_elements` is given."""
    config = api.Config()
    config.consume_fuel = fuel is not None
    config.epoch_interruption = timeout is not None
    store = api.Store(api.Engine(config))
    if memory_size is not None or table_elements is not None:
        store.set_limits(memory_size=-1 if memory_size is None else memory_size,
                         table_elements=-1 if table_elements is None else table_elements)
    if fuel is not None:
        store.set_fuel(fuel)
    if timeout is not None:
        store.set_epoch_deadline(1)
    return store


def _start_timeout(store, timeout) -> None:
    """From now on, a daemon thread advances the epoch once after `timeout` seconds (trap
    "interrupt"). Started once the modules are loaded: a process with a thread compiles in one
    process only (compiler/parallel.py), and the time limit is the program's."""
    if timeout is not None:
        import threading

        timer = threading.Timer(timeout, store.engine.increment_epoch)
        timer.daemon = True
        timer.start()


def _call_initialize(api, exports, store) -> None:
    """A reactor's `_initialize` runs before anything else is called (WASI application ABI)."""
    init = exports.get("_initialize")
    if isinstance(init, api.Func):
        init(store)


def _invoke(api, exports, store, name: str, texts) -> list:
    """Call export `name` with `texts` parsed by its parameter types; its results as text."""
    func = exports.get(name)
    if not isinstance(func, api.Func):
        raise RunError(f"no exported function named {name!r}")
    functype = func.type(store)
    params = [str(p) for p in functype.params]
    if len(texts) != len(params):
        raise RunError(f"{name} takes {len(params)} argument(s) ({', '.join(params) or 'none'}),"
                       f" {len(texts)} given")
    results = func(store, *[parse_value(k, s) for k, s in zip(params, texts)])
    kinds = [str(r) for r in functype.results]
    if len(kinds) == 1:
        results = [results]
    return [format_value(k, v) for k, v in zip(kinds, results or [])]


def _run_entry(api, exports, store, invoke, args) -> list:
    """Run the command (`_start`, else the default export "") or the --invoke export."""
    _call_initialize(api, exports, store)
    if invoke is not None:
        return _invoke(api, exports, store, invoke, list(args))
    for name in ("_start", ""):
        entry = exports.get(name)
        if isinstance(entry, api.Func):
            entry(store)
            break
    return []


def run_file(path: Path, args=(), dirs=(), envs=(), inherit_env=False, invoke=None,
             preloads=(), argv0=None, lazy=False, cache=None, fuel=None, timeout=None,
             max_memory_size=None, max_table_elements=None, allow_precompiled=False) -> int:
    """Run the module at `path` with inherited stdio; return the process exit status.
    `lazy`, `cache` (a CodeCache or None), `allow_precompiled`: how modules are compiled or
    loaded (see _load); `fuel`, `timeout`, `max_memory_size`, `max_table_elements` (the command
    line's texts, or None): limits, see _limited_store."""
    from . import api
    from .errors import LinkError, Trap, WasiExit, WasmError
    from .wasi import INHERIT, WasiConfig, WasiCtx
    from .wasi.binding import define_wasi, imported_wasi_names

    try:
        preopens = [parse_dir(spec) for spec in dirs]
        env = build_env(envs, inherit_env)
        preload_paths = [parse_preload(spec) for spec in preloads]
        seconds = parse_limit("--timeout", timeout, float)
        store = _limited_store(api, parse_limit("--fuel", fuel, int), seconds,
                               parse_limit("--max-memory-size", max_memory_size, int),
                               parse_limit("--max-table-elements", max_table_elements, int))
        engine = store.engine
        linker = api.Linker(engine)
        config = WasiConfig(argv=[argv0 if argv0 is not None else str(path), *args], env=env,
                            preopens=preopens, stdin=INHERIT, stdout=INHERIT, stderr=INHERIT)
        main_module = _load(api, engine, path, lazy, cache, allow_precompiled)
        preloaded = [(name, _load(api, engine, p, lazy, cache, allow_precompiled))
                     for name, p in preload_paths]
        modules = [main_module, *(module for _, module in preloaded)]
        _start_timeout(store, seconds)
        with WasiCtx(config) as ctx:
            define_wasi(linker, ctx, api, names=imported_wasi_names(modules))
            for name, module in preloaded:
                instance = linker.instantiate(store, module)
                _call_initialize(api, instance.exports(store), store)
                linker.define_instance(store, name, instance)
            instance = linker.instantiate(store, main_module)
            results = _run_entry(api, instance.exports(store), store, invoke, args)
    except WasiExit as exit_:
        if 0 <= exit_.code <= MAX_EXIT_CODE:
            return exit_.code
        _error(f"exit with invalid exit status outside of [0..{MAX_EXIT_CODE + 1}): "
               f"{exit_.code}")
        return ERROR_EXIT_STATUS
    except Trap as trap:
        _error(f"failed to run `{path}`: {format_trap(trap)}")
        return TRAP_EXIT_STATUS
    except LinkError as e:
        _error(f"{path}: {e}")
        return ERROR_EXIT_STATUS
    except (RunError, WasmError) as e:
        _error(str(e))
        return ERROR_EXIT_STATUS
    for line in results:
        print(line)
    return 0


def _error(message: str) -> None:
    sys.stdout.flush()
    print(f"error: {message}", file=sys.stderr)


def execute_run(params: dict) -> int:
    """`jitwasm run` with `params` (parse_run_args's, or click's); the exit status."""
    import signal

    # Python only notes a SIGINT for its next bytecode, which never comes while Wasm code
    # loops; the default action lets Ctrl-C end the program as it would a native one.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    cache = None
    if not params["no_cache"]:
        from .cache import CodeCache

        cache = CodeCache()
    return run_file(params["file"], params["args"], params["dirs"], params["envs"],
                    params["inherit_env"], params["invoke"], params["preloads"],
                    params["argv0"], lazy=params["compile_mode"] == "lazy",
                    cache=cache, fuel=params["fuel"], timeout=params["timeout"],
                    max_memory_size=params["max_memory_size"],
                    max_table_elements=params["max_table_elements"],
                    allow_precompiled=params["allow_precompiled"])
