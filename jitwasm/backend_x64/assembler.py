"""The x86-64 assembler: `Assembler` = encoder core + integer forms + SSE/VEX forms.

Usage::

    a = Assembler()
    done = a.new_label()
    a.mov_rm(32, RAX, Mem(R15, RCX, 1, 16))   # mov eax, [r15 + rcx + 16]
    a.alu_ri(ALU_CMP, 32, RAX, 10)
    a.jcc(CC_GE, done)
    a.movsd_xm(XMM0, a.const64(0x3FF0000000000000))  # 1.0 from the constant pool
    a.bind(done)
    a.ret()
    code = a.finish()

Method names are `<mnemonic>_<operand kinds>` (r=GPR, m=memory, i=immediate, x=XMM); integer forms
take the operand size in bits first. Registers are the ints of regs.py. The code is position
independent: labels, RIP-relative operands and the constant pool are all relative.

Layout: operands.py (Mem, RipRel, Label), encoder.py (buffer, labels, ModRM/SIB/REX, data, pool),
gpr.py (integer and control-flow forms), sse.py (SSE forms, VEX tables for SIMD). The packed SSE
forms of the SIMD emitters (masm_simd_forms.py) are not methods here: the emitters call them as
functions, so they load with the SIMD code generator, only for modules that use SIMD.
"""

from .encoder import BYTE_REX, Encoder, heads, pack_imm, signed_imm
from .gpr import (ALU_ADC, ALU_ADD, ALU_AND, ALU_CMP, ALU_OR, ALU_SBB, ALU_SUB, ALU_XOR, RCL, RCR,
                  ROL, ROR, SAL, SAR, SHIFT_OPS, SHL, SHR, GprForms)
from .operands import AssemblerError, Label, Mem, MemOperand, RipRel, new_mem
from .sse import (ROUND_CEIL, ROUND_FLOOR, ROUND_NEAREST, ROUND_TRUNC, VEX_MAP_0F, VEX_MAP_0F38,
                  VEX_MAP_0F3A, SseForms, vex_heads)

__all__ = [
    "Assembler", "AssemblerError", "Label", "Mem", "RipRel", "MemOperand", "Encoder", "new_mem",
    "ALU_ADD", "ALU_OR", "ALU_ADC", "ALU_SBB", "ALU_AND", "ALU_SUB", "ALU_XOR", "ALU_CMP",
    "ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR", "SHIFT_OPS",
    "ROUND_NEAREST", "ROUND_FLOOR", "ROUND_CEIL", "ROUND_TRUNC",
    "VEX_MAP_0F", "VEX_MAP_0F38", "VEX_MAP_0F3A", "heads", "vex_heads", "BYTE_REX",
    "pack_imm", "signed_imm",
]


class Assembler(GprForms, SseForms):
    """x86-64 machine-code buffer with every instruction form the baseline compiler uses."""

    __slots__ = ()
