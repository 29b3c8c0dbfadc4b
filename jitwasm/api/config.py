"""`Config` and `Engine`.

Every setting of wasmtime-py's Config exists here with its type checks. What jitwasm does with
each one is decided by a policy from one table (docs/api.md lists them):

- WASM2: a WebAssembly 2.0 feature, always on: True is accepted, False refused (jitwasm cannot
  turn the feature off, so it says so rather than accept modules the user wanted rejected).
- PROPOSAL: a proposal (or Cranelift's NaN canonicalization) jitwasm does not implement:
  False is accepted, True refused.
- COMPILED: changes how code is generated (fuel and epoch interruption checks, lazy
  compilation): both values accepted; the Engine hands them to the compiler as a
  CompileOptions (`Engine.compile_options`).
- IGNORED: tuning and tooling with no meaning for jitwasm's single baseline compiler (debug
  info, opt levels, profilers, memory reservation sizes, ...): accepted, no effect.

Settings are readable here (wasmtime-py's are write-only). An Engine copies them when created.
"""

import ctypes
import os
import _thread  # threading's primitives, without importing threading (~2 ms at startup)

from ..errors import WasmtimeError
from .managed import Managed


def _wasm2(name: str, enable: bool) -> None:
    if not enable:
        raise WasmtimeError(f"cannot disable {name}: jitwasm implements WebAssembly 2.0, "
                            "which includes it")


def _proposal(name: str, enable: bool) -> None:
    if enable:
        raise WasmtimeError(f"cannot enable {name}: jitwasm does not implement it")


def _ignored(name: str, enable) -> None:
    pass


def _compiled(name: str, enable) -> None:
    pass


WASM2, PROPOSAL, IGNORED, COMPILED = _wasm2, _proposal, _ignored, _compiled

# name -> (policy, default) for every boolean setting.
BOOL_SETTINGS = {
    "wasm_reference_types": (WASM2, True),
    "wasm_simd": (WASM2, True),
    "wasm_bulk_memory": (WASM2, True),
    "wasm_multi_value": (WASM2, True),
    "wasm_threads": (PROPOSAL, False),
    "wasm_tail_call": (PROPOSAL, False),
    "wasm_multi_memory": (PROPOSAL, False),
    "wasm_memory64": (PROPOSAL, False),
    "wasm_relaxed_simd": (PROPOSAL, False),
    "wasm_component_model": (PROPOSAL, False),
    "wasm_component_model_map": (PROPOSAL, False),
    "wasm_component_model_implements": (PROPOSAL, False),
    "wasm_exceptions": (PROPOSAL, False),
    "wasm_function_references": (PROPOSAL, False),
    "wasm_gc": (PROPOSAL, False),
    "wasm_wide_arithmetic": (PROPOSAL, False),
    "wasm_custom_page_sizes": (PROPOSAL, False),
    "wasm_stack_switching": (PROPOSAL, False),
    "shared_memory": (PROPOSAL, False),
    "cranelift_nan_canonicalization": (PROPOSAL, False),
    "consume_fuel": (COMPILED, False),
    "lazy_compilation": (COMPILED, False),  # jitwasm's own: compile each function at its
                                            # first call (eager by default, as wasmtime)
    "parallel_compilation": (COMPILED, True),  # worker processes for a large module
    "wasm_relaxed_simd_deterministic": (IGNORED, False),
    "debug_info": (IGNORED, False),
    "cranelift_debug_verifier": (IGNORED, False),
    "gc_support": (IGNORED, True),
    "memory_may_move": (IGNORED, True),
    "native_unwind_info": (IGNORED, True),
    "macos_use_mach_ports": (IGNORED, False),
    "signals_based_traps": (IGNORED, True),
    "memory_init_cow": (IGNORED, True),
}

# name -> (accepted values, the error's wording) for string settings (all IGNORED).
CHOICE_SETTINGS = {
    "strategy": (("auto", "cranelift"), "unknown strategy"),
    "cranelift_opt_level": (("none", "speed", "speed_and_size"), "unknown opt level"),
    "profiler": (("none", "jitdump", "vtune", "perfmap"), "unknown profiler"),
}

# Byte sizes with no meaning here (memories are fixed 8 GiB reservations, see DESIGN.md).
IGNORED_SIZES = ("memory_reservation", "memory_guard_size", "memory_reservation_for_growth")


def _bool_property(name: str, policy, default: bool) -> property:
    def get(self):
        return self._settings.get(name, default)

    def set(self, enable):
        if not isinstance(enable, bool):
            raise TypeError("expected a bool")
        policy(name, enable)
        self._settings[name] = enable

    return property(get, set, doc=f"{name} ({policy.__name__.strip('_')})")


def _choice_property(name: str, choices: tuple, wording: str) -> property:
    def get(self):
        return self._settings.get(name, choices[0])

    def set(self, value):
        if value not in choices:
            raise WasmtimeError(f"{wording}: {value}")
        self._settings[name] = value

    return property(get, set)


def _size_property(name: str) -> property:
    def get(self):
        return self._settings.get(name)

    def set(self, size):
        if not isinstance(size, int):
            raise TypeError("expected an int")
        self._settings[name] = size

    return property(get, set)


class Config(Managed):
    """Engine settings (see the module docstring for what each one does here)."""

    __slots__ = ("_settings",)

    def __init__(self) -> None:
        self._settings: dict = {}

    @property
    def epoch_interruption(self) -> bool:
        return self._settings.get("epoch_interruption", False)

    @epoch_interruption.setter
    def epoch_interruption(self, enable) -> None:  # wasmtime-py takes any truthy value here
        self._settings["epoch_interruption"] = bool(enable)

    @property
    def max_wasm_stack(self) -> int | None:
        """Native stack bytes one call from Python into Wasm may use (default 512 KiB)."""
        return self._settings.get("max_wasm_stack")

    @max_wasm_stack.setter
    def max_wasm_stack(self, size: int) -> None:
        if not isinstance(size, int):
            raise TypeError("expected an int")
        if size <= 0:
            raise WasmtimeError("max_wasm_stack must be positive")
        self._settings["max_wasm_stack"] = size

    @property
    def cache(self):
        return self._settings.get("cache", False)

    @cache.setter
    def cache(self, enabled) -> None:
        """True: Modules keep their compiled code in jitwasm's code cache (JITWASM_CACHE_DIR,
        default ~/.cache/jitwasm) and reuse it for the same bytes and code-changing settings;
        a str: a wasmtime cache configuration file (TOML) naming the directory, read now."""
        if isinstance(enabled, bool):
            if not enabled:
                raise WasmtimeError("caching cannot be explicitly disabled")
            directory = None
        elif isinstance(enabled, str):
            directory = cache_directory_from_file(enabled)
        else:
            raise TypeError("expected string or bool")
        self._settings["cache"] = enabled
        self._settings["cache_directory"] = directory

    @property
    def target(self) -> str:
        return self._settings.get("target", host_target())

    @target.setter
    def target(self, triple: str) -> None:
        if not isinstance(triple, str):
            raise TypeError("expected a str")
        arch, _, rest = triple.partition("-")
        if arch != "x86_64" or "linux" not in rest:
            raise WasmtimeError(f"unsupported target {triple!r}: jitwasm generates x86-64 "
                                "Linux code only")
        self._settings["target"] = triple

    def cranelift_flag_enable(self, flag: str) -> None:
        """Accepted and ignored: jitwasm has no Cranelift."""
        if not isinstance(flag, str):
            raise TypeError("expected a str")

    def cranelift_flag_set(self, key: str, value: str) -> None:
        """Accepted and ignored: jitwasm has no Cranelift."""
        if not isinstance(key, str):
            raise TypeError("expected a str for key")
        if not isinstance(value, str):
            raise TypeError("expected a str for value")

    def __repr__(self) -> str:
        return f"Config({self._settings})"


for _name, (_policy, _default) in BOOL_SETTINGS.items():
    setattr(Config, _name, _bool_property(_name, _policy, _default))
for _name, (_choices, _wording) in CHOICE_SETTINGS.items():
    setattr(Config, _name, _choice_property(_name, _choices, _wording))
for _name in IGNORED_SIZES:
    setattr(Config, _name, _size_property(_name))


def cache_directory_from_file(path: str):
    """The cache directory a wasmtime cache configuration file names (`[cache] directory`;
    None: the default directory; False: `enabled = false`). Errors as wasmtime's, on setting."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        raise WasmtimeError("reading a cache configuration file needs Python 3.11 (tomllib)")
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except OSError as e:
        raise WasmtimeError(f"failed to read cache configuration file {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise WasmtimeError(f"failed to parse cache configuration file {path}: {e}") from None
    section = document.get("cache")
    if not isinstance(section, dict):
        raise WasmtimeError(f"cache configuration file {path}: no [cache] table")
    if section.get("enabled", True) is False:
        return False
    directory = section.get("directory")
    if directory is not None and not isinstance(directory, str):
        raise WasmtimeError(f"cache configuration file {path}: `directory` must be a string")
    return directory


def host_target() -> str:
    return f"{os.uname().machine}-unknown-linux-gnu"


class Engine(Managed):
    """Compilation settings (a copy of its Config) and the epoch counter its stores share."""

    __slots__ = ("config", "stack_budget", "_epoch", "_epoch_lock")

    def __init__(self, config: Config | None = None):
        if config is None:
            config = Config()
        elif not isinstance(config, Config):
            raise TypeError("expected Config")
        self.config = Config()
        self.config._settings = dict(config._settings)
        self.stack_budget = config.max_wasm_stack  # None: the runtime's default
        self._epoch = ctypes.c_uint64()
        self._epoch_lock = _thread.allocate_lock()

    @property
    def epoch(self) -> int:
        """The current epoch (jitwasm's addition)."""
        return self._epoch.value

    def increment_epoch(self) -> None:
        """Advance the epoch; stores whose deadline it reaches trap at their next check. Safe to
        call from any thread, also while Wasm runs."""
        with self._epoch_lock:
            self._epoch.value += 1

    @property
    def compile_options(self):
        """The CompileOptions the settings ask of the generated code (the code cache's key
        includes them)."""
        from ..compiler.options import CompileOptions

        config = self.config
        return CompileOptions(fuel=config.consume_fuel, epoch=config.epoch_interruption,
                              lazy=config.lazy_compilation)

    @property
    def code_cache(self):
        """The CodeCache Modules of this engine go through (Config.cache), or None."""
        directory = self.config._settings.get("cache_directory", False) \
            if self.config.cache else False
        if directory is False:
            return None
        from ..cache.store import CodeCache

        return CodeCache(directory)

    @property
    def compile_workers(self):
        """Processes for an eager compile: None lets the compiler choose (parallel
        compilation), 1 keeps it in this process."""
        return None if self.config.parallel_compilation else 1

    def is_pulley(self) -> bool:
        return False
