"""Compile WAT with jitwasm's baseline compiler and run it on the runtime (compiler tests).

`run(wat)` gives an object whose attributes are the module's exported functions, called with
Python ints/floats (i32/i64 results come back signed, as the runtime's callers return them).
`trap_message(fn, *args)` calls and returns the Trap's message.
"""

import pytest

from jitwasm.errors import Trap
from jitwasm.runtime.functions import Function
from jitwasm.runtime.instance import Instance, Module
from jitwasm.runtime.store import Store

wasmtime = pytest.importorskip("wasmtime")


def wat(text: str) -> bytes:
    return bytes(wasmtime.wat2wasm(text))


class Exports:
    """Attribute access to an instance's exports: functions as Python callables."""

    def __init__(self, instance: Instance):
        self.instance = instance
        self.memory = next((m for m in instance.memories), None)

    def __getattr__(self, name: str):
        try:
            extern = self.instance.exports[name]
        except KeyError:
            raise AttributeError(name) from None
        return extern.call if isinstance(extern, Function) else extern

    def bits(self, name: str, *args) -> list:
        """Call with raw bit patterns in and out (exact for NaNs and f32)."""
        return self.instance.exports[name].call_bits(*args)


def run(text: str, imports=(), store: Store | None = None) -> Exports:
    module = Module(wat(text))
    return Exports(Instance(store or Store(), module, list(imports)))


def compile_with_explicit_bounds(monkeypatch) -> None:
    """Make runtime Modules compile with explicit bounds checks (as for a memory without a
    guard region) for the rest of the test."""
    from functools import partial

    from jitwasm.compiler import compile_module
    from jitwasm.runtime import instance

    defaults = instance.Module.__init__.__defaults__  # (compile, options, workers)
    monkeypatch.setattr(instance.Module.__init__, "__defaults__",
                        (partial(compile_module, explicit_bounds=True),) + defaults[1:])


def host(params: tuple, results: tuple, fn) -> Function:
    from jitwasm.binary.types import FuncType

    return Function.from_host(FuncType(tuple(params), tuple(results)), fn)


def trap_message(fn, *args) -> str:
    with pytest.raises(Trap) as info:
        fn(*args)
    return info.value.message


def signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value
