"""SIMD (v128) instructions: frame layout, helpers, and the lazily loaded SIMD handlers.

v128 values live on the value stack like f32/f64 (XMM registers, K_CONST with 128 bits,
lazy locals, slots), in 16-byte frame slots: a function that may hold a v128 value gets
16-byte slots for all its locals, stack depths and temporaries (`slot_size`), the others keep
8 bytes. One handler per opcode, a closure over its emitter, built from the emitter's shape:
operands are popped, their values brought into registers (`into_reg`: a register entry's own
register, else a newly allocated one), the emitter runs with xmm15 (XSCRATCH) as its temporary,
the sources' registers are freed and the result is pushed. The destination is the first
vector operand's register (emitters may write it, and never write their sources).

Memory instructions use MemoryOps' address computation and trap-site recording (the emitter's
first instruction is the access), with the access width for explicit bounds checks taken from
the opcode's natural alignment. any_true/all_true followed by br_if, if or select leave a
pending comparison (K_FLAGS) instead of a 0/1 register; shifts by a constant use the immediate
forms.

The handlers (simd_handlers.py) and the backend's SIMD emitters behind them are imported by the
first 0xFD instruction compiled (codegen installs their dispatcher then): most modules have no
SIMD and should not pay for loading that code generator. This module stays light: what every
function compiler needs (slot size, v128 parameters, the helpers the handlers call).
"""

from ..backend_x64.abi import LOC_STACK, LOC_XMM
from ..backend_x64.masm import XSCRATCH
from ..binary import opcodes as op
from ..binary.types import I32, V128
from .decoding import read_memarg
from .simd_moves import store_v128


def module_has_v128(module) -> bool:
    """Whether v128 values can enter any function through a type (calls, blocks) or a global."""
    return any(V128 in ft.params or V128 in ft.results for ft in module.types) \
        or any(t == V128 for t, _ in module.globals)


def slot_size(compiler, local_types: tuple, body) -> int:
    """Frame slot size of a function: 16 when it may hold a v128 value (a v128 local, a type or
    global of the module with v128, or a 0xFD byte in its body: a false hit only costs frame
    space), else 8."""
    if compiler.v128_in_module or V128 in local_types \
            or compiler.data.find(b"\xfd", body.code_start, body.end) >= 0:
        return 16
    return 8


def prologue_param(compiler, local, kind: int, where) -> None:
    """Copy a v128 parameter from its register or stack slot into its local."""
    if kind == LOC_XMM:
        store_v128(compiler.a, local, where)
    else:
        assert kind == LOC_STACK
        a = compiler.a
        compiler.frame_access(lambda m: a.movdqu_xm(XSCRATCH, m), 8 + where)
        store_v128(a, local, XSCRATCH)


class SimdOps:
    """What the SIMD handlers (simd_handlers.py) call on the function compiler."""

    __slots__ = ()

    def pop_to_reg(self) -> tuple:
        """Pop the top entry into a held register of its class; returns (register, type)."""
        kind, val, t = self.pop()
        return self.into_reg(kind, val, t, len(self.kinds)), t

    def free_all(self, *regs) -> None:
        """Free the held registers given as (register, type) pairs."""
        for reg, t in regs:
            self.free(t, reg)

    def simd_address(self, opcode: int, pos: int, start: int):
        """Read a memarg, pop the address and return (operand, next position); the caller emits
        the access right after `record_memory_access`."""
        code = self.code
        offset, pos = read_memarg(code, pos)
        kind, val, _ = self.pop()
        depth = len(self.kinds)
        if self.explicit_bounds:
            mem = self.checked_address(kind, val, depth, offset, ACCESS_BYTES[opcode], start)
        else:
            mem = self.mem_address(kind, val, depth, offset, opcode, start)
        self.free_if_reg(kind, val, I32)  # the address register stays usable until the access
        return mem, pos


ACCESS_BYTES = {code: 1 << info.align for code, info in op.OPCODES.items()
                if code >> 8 == 0xFD and info.align is not None}
"""Memory SIMD opcode -> access width in bytes (its natural alignment)."""

__all__ = ["SimdOps", "ACCESS_BYTES", "module_has_v128", "slot_size", "prologue_param"]
