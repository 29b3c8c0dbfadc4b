"""WASI in the wasmtime-py shape: `WasiConfig` (set on a store with `Store.set_wasi`) and the
functions `Linker.define_wasi` defines, which run against the WASI context of the store of the
calling instance. The WASI implementation itself is jitwasm.wasi (WasiCtx).

A WasiConfig can be used for several stores (wasmtime-py's is consumed by `set_wasi`); each
`set_wasi` opens the files it names afresh.
"""

import os
import sys
from os import PathLike

from ..errors import WasmError, WasmtimeError
from ..wasi import INHERIT, Preopen, WasiCtx
from ..wasi import WasiConfig as CtxConfig
from ..wasi.binding import CallerMemory
from ..wasi.signatures import MODULE, SIGNATURES
from .functions import host_function
from .managed import Managed
from .types import FuncType
from .values import ValType


def _path(path) -> str:
    path = os.fspath(path)
    return os.fsdecode(path) if isinstance(path, bytes) else path


class _CustomOutput:
    """A write-only stream handing each write to `callback(bytes)` (stdout_custom)."""

    __slots__ = ("callback",)

    def __init__(self, callback):
        self.callback = callback

    def write(self, data) -> int:
        self.callback(bytes(data))
        return len(data)


class WasiConfig(Managed):
    """What a WASI program gets: argv, environment, stdio and preopened directories."""

    def __init__(self) -> None:
        self._config = CtxConfig()

    def _set(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self._config, name, value)

    @property
    def argv(self) -> list:
        return list(self._config.argv)

    @argv.setter
    def argv(self, argv) -> None:
        self._set(argv=[str(a) for a in argv])

    def inherit_argv(self) -> None:
        self._set(argv=list(sys.orig_argv))  # the process's own argv, as wasmtime-py

    @property
    def env(self) -> list:
        return self._config.env_items()

    @env.setter
    def env(self, pairs) -> None:
        self._set(env=[(str(name), str(value)) for name, value in pairs])

    def inherit_env(self) -> None:
        self._set(env=list(os.environ.items()))

    @property
    def stdin_file(self):
        return self._config.stdin

    @stdin_file.setter
    def stdin_file(self, path: str | bytes | PathLike) -> None:
        """Read stdin from the file at `path`, which must exist."""
        path = _path(path)
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise WasmtimeError("failed to set stdin file")
        self._set(stdin=path)

    def inherit_stdin(self) -> None:
        self._set(stdin=INHERIT)

    def _output_file(self, stream: str, path) -> None:
        path = _path(path)
        try:
            with open(path, "wb"):  # created or truncated now, as wasmtime-py does
                pass
        except OSError:
            raise WasmtimeError(f"failed to set {stream} file") from None
        self._set(**{stream: path})

    stdout_file = property(lambda self: self._config.stdout,
                           lambda self, path: self._output_file("stdout", path))
    stderr_file = property(lambda self: self._config.stderr,
                           lambda self, path: self._output_file("stderr", path))
    stdout_custom = property(lambda self: self._config.stdout,
                             lambda self, callback: self._set(stdout=_CustomOutput(callback)))
    stderr_custom = property(lambda self: self._config.stderr,
                             lambda self, callback: self._set(stderr=_CustomOutput(callback)))

    def inherit_stdout(self) -> None:
        self._set(stdout=INHERIT)

    def inherit_stderr(self) -> None:
        self._set(stderr=INHERIT)

    def preopen_dir(self, path: str, guest_path: str, fs_mutable: bool = True) -> None:
        """Let the program reach the host directory `path` as `guest_path` (read-only unless
        `fs_mutable`)."""
        path = _path(path)
        if not os.path.isdir(path):
            raise WasmtimeError("failed to add preopen dir")
        self._config.preopens.append(Preopen(path, guest_path, bool(fs_mutable)))

    def context(self) -> WasiCtx:
        """A new WASI context with these settings (files are opened now)."""
        config = CtxConfig(argv=list(self._config.argv), env=list(self._config.env_items()),
                           preopens=list(self._config.preopens), stdin=self._config.stdin,
                           stdout=self._config.stdout, stderr=self._config.stderr)
        try:
            return WasiCtx(config)
        except WasmtimeError:
            raise
        except WasmError as e:  # WasiCtx reports setup failures as plain WasmErrors
            raise WasmtimeError(str(e)) from e


NOT_CONFIGURED = ("WASI is not configured in this store: call Store.set_wasi(WasiConfig()) "
                  "before running a module that imports WASI")


def wasi_functions() -> dict:
    """name -> host Function of `wasi_snapshot_preview1`, each running against the WASI
    context of the calling instance's store (Linker.define_wasi defines them)."""
    valtypes = {}
    view_of = CallerMemory()
    out = {}
    for name, (params, results) in SIGNATURES.items():
        functype = FuncType([valtypes.setdefault(k, ValType(k)) for k in params],
                            [valtypes.setdefault(k, ValType(k)) for k in results])
        out[name] = host_function(functype._type, _syscall(name, view_of), True, None)
    return out


def _syscall(name: str, view_of):
    def syscall(caller, *args):
        ctx = caller._store.embedder.wasi if caller._store.embedder is not None else None
        if ctx is None:
            raise WasmtimeError(NOT_CONFIGURED)
        return getattr(ctx, name)(view_of(caller), *args)
    return syscall


__all__ = ["WasiConfig", "wasi_functions", "MODULE"]
