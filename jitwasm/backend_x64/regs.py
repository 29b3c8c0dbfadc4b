"""x86-64 register and condition-code numbers, as plain ints in hardware encoding order.

Registers are ints (not objects) so the encoder can fold them straight into ModRM/REX bits.
GPRs and XMM registers share the numbers 0..15; the assembler method name (`_r` vs `_x`)
says which register file an operand belongs to.
"""

# General-purpose registers (the low 3 bits go into ModRM/SIB/opcode, bit 3 into REX).
RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI = range(8)
R8, R9, R10, R11, R12, R13, R14, R15 = range(8, 16)
GPRS = tuple(range(16))

# SSE registers.
(XMM0, XMM1, XMM2, XMM3, XMM4, XMM5, XMM6, XMM7,
 XMM8, XMM9, XMM10, XMM11, XMM12, XMM13, XMM14, XMM15) = range(16)
XMMS = tuple(range(16))

# Condition codes in the order of the x86 `cc` nibble (Jcc = 70+cc, SETcc = 0F 90+cc, ...).
(CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
 CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G) = range(16)
# Common aliases.
CC_C, CC_NC, CC_Z, CC_NZ = CC_B, CC_AE, CC_E, CC_NE
CC_NAE, CC_NB, CC_NA, CC_NBE = CC_B, CC_AE, CC_BE, CC_A
CC_PE, CC_PO, CC_NGE, CC_NL, CC_NG, CC_NLE = CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G


def invert_cc(cc: int) -> int:
    """The condition that holds exactly when `cc` does not (x86 pairs them by the low bit)."""
    return cc ^ 1


_GPR_NAMES = {
    64: ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"),
    32: ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
         "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"),
    16: ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
         "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"),
    8: ("al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"),
}
_CC_NAMES = ("o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g")


def gpr_name(reg: int, size: int = 64) -> str:
    """Assembly name of a GPR at an operand size (8 means the REX byte registers spl..dil)."""
    return _GPR_NAMES[size][reg]


def xmm_name(reg: int) -> str:
    return f"xmm{reg}"


def cc_name(cc: int) -> str:
    return _CC_NAMES[cc]
