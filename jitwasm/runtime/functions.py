"""Function instances: what a funcref value, an import or an export of a function is.

Every function, Wasm or host, is a FuncRef record {code, type id, vmctx} at a fixed address
(for a Wasm function, its slot in the defining instance's vmctx.func_refs; for a host function,
a record of its own pointing at the signature's host stub and a host context). Calling one from
Python goes through the entry trampoline of its signature with the record's vmctx and code.

Two callers exist: `call` (make_entry_caller: ints and floats, as the Python API hands them
around) and `call_bits` (every value as its raw bit pattern, so NaN payloads and f32 values
survive exactly, as the spec tests require).
"""

import ctypes

from ..backend_x64.trampolines import (VIEW_U64, HostFunction, entry_trampoline, make_entry_caller,
                                       thread_state)
from ..binary.types import FuncType
from .globals import bits_mask
from .types_registry import canonical_type_id
from .vmctx import FuncRef

_MASK64 = (1 << 64) - 1


def make_bits_caller(params: tuple, results: tuple, vmctx_address: int, code_address: int):
    """Like trampolines.make_entry_caller, but values in and out are raw bit patterns and the
    results always come back as a list."""
    entry = entry_trampoline(params, results).function
    nparams = len(params)
    masks = tuple(bits_mask(t) for t in results)

    def call(*args):
        if len(args) != nparams:
            raise TypeError(f"expected {nparams} arguments, got {len(args)}")
        state = thread_state()
        slots = state.views[VIEW_U64]
        for i, value in enumerate(args):
            slots[2 * i] = value & _MASK64
            slots[2 * i + 1] = (value >> 64) & _MASK64
        status = entry(vmctx_address, code_address, state.address)
        if status:
            raise state.exit_error(status)
        return [(slots[2 * i] | (slots[2 * i + 1] << 64)) & mask for i, mask in enumerate(masks)]

    return call


class Function:
    """A function instance: its type, the address of its FuncRef record, and its owner (the
    instance or host function that keeps the record, code and context alive)."""

    __slots__ = ("type", "ref_address", "owner", "host", "caller_fn", "_call", "_call_bits",
                 "__weakref__")

    def __init__(self, type_: FuncType, ref_address: int, owner, host=None, caller_fn=None):
        self.type = type_
        self.ref_address = ref_address
        self.owner = owner
        self.host = host  # the Python callable for host functions, else None
        self.caller_fn = caller_fn  # host functions that want their calling instance
        self._call = None
        self._call_bits = None

    @classmethod
    def from_host(cls, type_: FuncType, fn, *, with_caller: bool = False) -> "Function":
        """A host function: `fn(*values)` gets and returns values as make_entry_caller does
        (one result: the value; several: a sequence; none: None).

        With `with_caller`, `fn(caller, *values)` also gets the calling instance: each importing
        instance binds its own copy (`bind`); called from Python, `caller` is None.
        """
        if with_caller:
            func = cls.from_host(type_, lambda *args: fn(None, *args))
            func.caller_fn = fn
            return func
        host = HostFunction(type_.params, type_.results, fn)
        record = FuncRef(host.stub_address, canonical_type_id(type_), host.vmctx.address)
        return cls(type_, ctypes.addressof(record), (host, record), fn)

    def bind(self, caller) -> "Function":
        """The function an instance imports: itself, or for a caller-aware host function a copy
        whose calls pass `caller` (the importing instance)."""
        fn = self.caller_fn
        if fn is None:
            return self
        return Function.from_host(self.type, lambda *args: fn(caller, *args))

    @property
    def record(self) -> FuncRef:
        return FuncRef.from_address(self.ref_address)

    @property
    def call(self):
        """Python callable: call(*values) -> None | value | tuple (see make_entry_caller)."""
        if self._call is None:
            rec = self.record
            self._call = make_entry_caller(self.type.params, self.type.results, rec.vmctx,
                                           rec.code)
        return self._call

    @property
    def call_bits(self):
        """Python callable: call_bits(*bit patterns) -> list of bit patterns."""
        if self._call_bits is None:
            rec = self.record
            self._call_bits = make_bits_caller(self.type.params, self.type.results, rec.vmctx,
                                               rec.code)
        return self._call_bits

    def __repr__(self) -> str:
        kind = "host " if self.host is not None else ""
        return f"<{kind}Function {self.type} at {self.ref_address:#x}>"
