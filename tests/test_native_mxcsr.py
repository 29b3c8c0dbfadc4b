"""Wasm float semantics whatever the process's MXCSR: a library built with -ffast-math sets
flush-to-zero when loaded, a numerics library may change the rounding mode. The entry
trampoline runs Wasm under the default MXCSR and gives the caller its own back; host functions
called from Wasm see the host's."""

import ctypes
import struct

import pytest

from jitwasm import Func, FuncType, Instance, Module, Store, ValType, wat2wasm
from jitwasm.backend_x64.assembler import Assembler, Mem
from jitwasm.backend_x64.regs import RDI, RSI
from jitwasm.runtime.code_memory import CodeMemory
from jitwasm.runtime.vmctx import DEFAULT_MXCSR

ROUND_TOWARD_ZERO = 0x6000
FLUSH_TO_ZERO, DENORMALS_ARE_ZERO = 0x8000, 0x0040
FAST_MATH = DEFAULT_MXCSR | ROUND_TOWARD_ZERO | FLUSH_TO_ZERO | DENORMALS_ARE_ZERO
CONTROL = 0xFFC0     # the low six bits are sticky exception flags, not settings


def _swap_code() -> CodeMemory:
    """void swap(u32 *new, u32 *old): *old = MXCSR; MXCSR = *new."""
    a = Assembler()
    a.stmxcsr_m(Mem(RSI, None, 1, 0))
    a.ldmxcsr_m(Mem(RDI, None, 1, 0))
    a.ret()
    return CodeMemory(a.finish(), traps=False, name="mxcsr swap")


_SWAP = _swap_code()
_swap = _SWAP.function(ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p))


def set_mxcsr(value: int) -> int:
    new, old = ctypes.c_uint32(value), ctypes.c_uint32()
    _swap(ctypes.addressof(new), ctypes.addressof(old))
    return old.value


@pytest.fixture
def fast_math():
    """The process under -ffast-math-like settings for the test's duration."""
    saved = set_mxcsr(FAST_MATH)
    try:
        yield
    finally:
        set_mxcsr(saved)


WAT = """(module
  (import "host" "observe" (func $observe (param f64) (result f64)))
  (func (export "round") (result f32)      ;; 1 + 3*2^-24 rounds up to 1 + 2^-22 when nearest
    (f32.add (f32.const 1) (f32.const 0x1.8p-23)))
  (func (export "tiny") (result f64)       ;; a subnormal result, 0 under flush-to-zero
    (f64.mul (f64.const 0x1p-1022) (f64.const 0.5)))
  (func (export "through_host") (result f64)
    (f64.mul (call $observe (f64.const 0x1p-1022)) (f64.const 0.5))))"""


def _bits32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def test_wasm_floats_ignore_the_callers_mxcsr_and_leave_it_intact(fast_math):
    store = Store()
    seen = []

    def observe(x):
        seen.append(set_mxcsr(FAST_MATH))   # what Python runs under here (kept unchanged)
        return x

    f64 = ValType.f64()
    host = Func(store, FuncType([f64], [f64]), observe)
    exports = Instance(store, Module(store.engine, wat2wasm(WAT)), [host]).exports(store)
    assert _bits32(exports["round"](store)) == 0x3F800002
    assert exports["tiny"](store) == 2.0 ** -1023
    assert exports["through_host"](store) == 2.0 ** -1023   # default MXCSR again after the host
    assert [v & CONTROL for v in seen] == [FAST_MATH]       # the host saw its own setting
    assert set_mxcsr(FAST_MATH) & CONTROL == FAST_MATH      # and the caller got its own back


def test_a_trap_restores_the_callers_mxcsr(fast_math):
    from jitwasm import Trap

    store = Store()
    wasm = wat2wasm('(module (func (export "boom") (unreachable)))')
    boom = Instance(store, Module(store.engine, wasm), []).exports(store)["boom"]
    with pytest.raises(Trap):
        boom(store)
    assert set_mxcsr(FAST_MATH) & CONTROL == FAST_MATH
