"""The calling convention of generated code: pinned registers, argument/result locations, traps.

Pinned while Wasm code runs (never allocated, preserved by every function):
- r13: the Activation record of the innermost entry (trap landing, stack limit); see vmctx.py.
- r14: vmctx of the running instance.
- r15: base of memory 0 of the running instance.
Every other register is caller-saved inside Wasm code; only the entry trampoline saves the
System V callee-saved registers. rsp is 16-byte aligned at every call instruction (so a function
is entered with rsp = 8 mod 16), as System V requires for the host calls the stubs make.

Wasm-to-Wasm calls (`signature_layout`): parameters in order take the next free register of their
class (integer class: i32/i64/references in rdi, rsi, rdx, rcx, r8, r9; float class: f32/f64/v128
in xmm0-xmm7), the rest go to the outgoing stack area in order (8 bytes per value, 16 for v128).
Results follow the same rule with one register per class (rax, xmm0). The caller reserves an
area of `stack_bytes` at [rsp, rsp + stack_bytes) at the call; the callee finds stack parameters
at [rsp + 8 + offset] on entry and stores its stack results at the same place before returning
(after its last read of a stack parameter). i32 values in registers are zero-extended to 64 bits.

Calling another instance's function or a host function goes through a FuncRef: load r14 from
its vmctx field, r15 from [r14 + VMCTX_MEMORY_BASE], call its code, then restore r14/r15.

Traps leave through the landing with eax = trap code and rdx = trap PC (`emit_trap_exit`);
prologues check the stack with `emit_stack_check`.
"""

from collections import namedtuple
from functools import lru_cache

from ..binary.types import F32, F64, V128
from ..runtime.vmctx import (ACT_STACK_LIMIT, ACT_TRAP_LANDING, FUNCREF_CODE, FUNCREF_VMCTX,
                             VMCTX_MEMORY_BASE)
from .assembler import ALU_CMP, ALU_SUB, Assembler, Label, Mem, RipRel, new_mem
from .regs import (R8, R9, R10, R11, R12, R13, R14, R15, RAX, RBP, RBX, RCX, RDI, RDX, RSI,
                   RSP, XMM0, XMM1, XMM2, XMM3, XMM4, XMM5, XMM6, XMM7, XMMS, CC_B)

ACTIVATION_REG = R13
VMCTX_REG = R14
MEMORY_BASE_REG = R15
PINNED_GPRS = (ACTIVATION_REG, VMCTX_REG, MEMORY_BASE_REG)

ALLOCATABLE_GPRS = (RAX, RCX, RDX, RBX, RSI, RDI, R8, R9, R10, R11, R12, RBP)
ALLOCATABLE_XMMS = XMMS

INT_ARG_REGS = (RDI, RSI, RDX, RCX, R8, R9)
FLOAT_ARG_REGS = (XMM0, XMM1, XMM2, XMM3, XMM4, XMM5, XMM6, XMM7)
INT_RESULT_REGS = (RAX,)
FLOAT_RESULT_REGS = (XMM0,)

# Registers free at function entry (not parameters): scratch for prologues and stubs.
PROLOGUE_SCRATCH = R11
TRAP_CODE_REG = RAX
TRAP_PC_REG = RDX
TRAP_SP_REG = RCX   # rsp at the trap PC: where a backtrace starts walking

STACK_ALIGNMENT = 16
FLOAT_CLASS = frozenset((F32, F64, V128))

# A value location: (LOC_GPR, reg), (LOC_XMM, reg) or (LOC_STACK, offset in the stack area).
LOC_GPR, LOC_XMM, LOC_STACK = 0, 1, 2


class SignatureLayout(namedtuple("SignatureLayout", "params results stack_bytes")):
    """Fields:
    params: one location per parameter
    results: one location per result
    stack_bytes: outgoing area the caller reserves (a multiple of 16)
    """
    __slots__ = ()


def _assign(types: tuple, int_regs: tuple, float_regs: tuple) -> tuple[tuple, int]:
    locations = []
    n_int = n_float = offset = 0
    for t in types:
        if t in FLOAT_CLASS:
            if n_float < len(float_regs):
                locations.append((LOC_XMM, float_regs[n_float]))
                n_float += 1
                continue
        elif n_int < len(int_regs):
            locations.append((LOC_GPR, int_regs[n_int]))
            n_int += 1
            continue
        locations.append((LOC_STACK, offset))
        offset += 16 if t == V128 else 8
    return tuple(locations), offset


@lru_cache(maxsize=None)
def signature_layout(params: tuple, results: tuple) -> SignatureLayout:
    """Where each parameter and result of a function of type params -> results lives."""
    param_locs, param_bytes = _assign(params, INT_ARG_REGS, FLOAT_ARG_REGS)
    result_locs, result_bytes = _assign(results, INT_RESULT_REGS, FLOAT_RESULT_REGS)
    stack = max(param_bytes, result_bytes)
    return SignatureLayout(param_locs, result_locs, (stack + 15) & ~15)


def _assemble_trap_exit(code: int) -> bytes:
    """`mov eax, code; lea rdx, [rip - to here]; mov rcx, rsp; jmp [r13 + landing]`: position-
    independent, so its bytes depend on `code` alone."""
    a = Assembler()
    here = a.new_label()
    a.bind(here)
    a.mov_ri(32, TRAP_CODE_REG, code)
    a.lea(64, TRAP_PC_REG, RipRel(here))
    a.mov_rr(64, TRAP_SP_REG, RSP)
    a.jmp_m(Mem(ACTIVATION_REG, None, 1, ACT_TRAP_LANDING))
    return a.finish()


_TRAP_EXITS: dict = {}   # trap code -> the exit's bytes (a compile emits one per trap stub)


def emit_trap_exit(a: Assembler, code: int) -> int:
    """Leave Wasm code with trap `code` through the activation's landing; return the offset the
    landing will report as the trap PC (record a TrapSite there for a precise backtrace)."""
    exit_bytes = _TRAP_EXITS.get(code)
    if exit_bytes is None:
        exit_bytes = _TRAP_EXITS[code] = _assemble_trap_exit(code)
    here = len(a.buf)
    a.buf += exit_bytes
    return here


# Operands of the per-function and per-call sequences, built once (a Mem call is costly).
_STACK_LIMIT = Mem(ACTIVATION_REG, None, 1, ACT_STACK_LIMIT)
_MEMORY_BASE = Mem(VMCTX_REG, None, 1, VMCTX_MEMORY_BASE)


def emit_stack_check(a: Assembler, trap: Label, frame_size: int = 0) -> int:
    """Prologue check `rsp - frame_size < activation.stack_limit -> jump to trap`.

    Clobbers only PROLOGUE_SCRATCH (not a parameter register). Returns the offset of the 32-bit
    frame size for `a.patch_i32`, since a single-pass compiler learns it after the body.
    `trap` should lead to `emit_trap_exit(a, TRAP_CALL_STACK_EXHAUSTED)`.
    """
    a.mov_rr(64, PROLOGUE_SCRATCH, RSP)
    pos = a.alu_ri32(ALU_SUB, 64, PROLOGUE_SCRATCH, frame_size)
    a.alu_rm(ALU_CMP, 64, PROLOGUE_SCRATCH, _STACK_LIMIT)
    a.jcc(CC_B, trap)
    return pos


def emit_funcref_call(a: Assembler, ref: int, saved_vmctx) -> int:
    """Call the FuncRef whose address is in `ref` (not r14/r15, not an argument register), with
    arguments already in place; afterwards reload r14 from `saved_vmctx` (where the caller keeps
    its own vmctx, e.g. a frame slot) and r15 from it. Returns the call's return offset."""
    a.mov_rm(64, VMCTX_REG, new_mem((ref, None, 1, FUNCREF_VMCTX)))
    a.mov_rm(64, MEMORY_BASE_REG, _MEMORY_BASE)
    a.call_m(new_mem((ref, None, 1, FUNCREF_CODE)))
    returns_to = len(a.buf)
    a.mov_rm(64, VMCTX_REG, saved_vmctx)
    a.mov_rm(64, MEMORY_BASE_REG, _MEMORY_BASE)
    return returns_to


__all__ = [
    "ACTIVATION_REG", "VMCTX_REG", "MEMORY_BASE_REG", "PINNED_GPRS", "ALLOCATABLE_GPRS",
    "ALLOCATABLE_XMMS", "INT_ARG_REGS", "FLOAT_ARG_REGS", "INT_RESULT_REGS", "FLOAT_RESULT_REGS",
    "PROLOGUE_SCRATCH", "TRAP_CODE_REG", "TRAP_PC_REG", "TRAP_SP_REG", "STACK_ALIGNMENT",
    "FLOAT_CLASS",
    "LOC_GPR", "LOC_XMM", "LOC_STACK", "SignatureLayout", "signature_layout", "emit_trap_exit",
    "emit_stack_check", "emit_funcref_call",
]
