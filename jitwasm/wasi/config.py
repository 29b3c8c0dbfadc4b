"""WasiConfig: what a WASI program is given (arguments, environment, preopens, stdio).

Plain data, checked once when a `WasiCtx` is built; nothing here touches the OS.
"""

from collections import namedtuple


class _Inherit:
    """Marker: use the host process's own stdin/stdout/stderr (duplicated, never closed)."""

    def __repr__(self) -> str:
        return "INHERIT"


INHERIT = _Inherit()


class Preopen(namedtuple("Preopen", "host_path guest_path writable", defaults=(True,))):
    """A host directory the guest sees as `guest_path`; `writable=False` grants reading only."""
    __slots__ = ()


class WasiConfig:
    """Settings of one WASI instance.

    stdin: None (empty), INHERIT, bytes (the data), a path (str or os.PathLike), a host fd (int)
        or a binary file object with `read`.
    stdout / stderr: None (discarded), INHERIT, a path (created or truncated), a host fd (int)
        or a binary file object with `write` (e.g. `io.BytesIO`).
    preopens: `Preopen`s or `(host_path, guest_path)` / `(host_path, guest_path, writable)`
        tuples; they become fds 3, 4, ... in order.
    """

    def __init__(self, argv=None, env=None, preopens=None, stdin=None, stdout=None,
                 stderr=None):   # a plain class: dataclasses would import inspect (~20 ms)
        self.argv = [] if argv is None else argv
        self.env = {} if env is None else env
        self.preopens = [] if preopens is None else preopens
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return (f"WasiConfig(argv={self.argv!r}, env={self.env!r}, preopens={self.preopens!r}, "
                f"stdin={self.stdin!r}, stdout={self.stdout!r}, stderr={self.stderr!r})")

    def inherit_stdio(self) -> "WasiConfig":
        self.stdin = self.stdout = self.stderr = INHERIT
        return self

    def preopen_dir(self, host_path, guest_path: str, writable: bool = True) -> "WasiConfig":
        self.preopens.append(Preopen(str(host_path), guest_path, writable))
        return self

    def normalized_preopens(self) -> list:
        return [Preopen(str(p[0]), p[1], *p[2:]) for p in self.preopens]

    def env_items(self) -> list:
        """(name, value) pairs in order; `env` may be a dict or a sequence of pairs."""
        items = self.env.items() if isinstance(self.env, dict) else self.env
        return [(k, v) for k, v in items]
