"""The x86-64 assembler checked against the iced-x86 decoder (the oracle).

Every case assembles one instruction, decodes it with iced-x86 and compares what was asked for
with what the bytes mean: mnemonic, every operand (registers at their size, memory base / index /
scale / displacement / access size, immediate value as the CPU extends it, branch target) and that
the decoder consumed exactly the emitted bytes. Cases are generated in loops over all 16 GPRs /
XMM registers, all operand sizes and a set of memory operands that hits every special encoding.
"""

import pytest

iced = pytest.importorskip("iced_x86")
from iced_x86 import (  # noqa: E402
    Code, Decoder, Formatter, FormatterSyntax, MemorySizeExt, Mnemonic, OpKind, Register)

from jitwasm.backend_x64 import regs  # noqa: E402
from jitwasm.backend_x64.assembler import (  # noqa: E402
    ALU_ADC, ALU_ADD, ALU_AND, ALU_CMP, ALU_OR, ALU_SBB, ALU_SUB, ALU_XOR, ROUND_CEIL,
    ROUND_FLOOR, ROUND_NEAREST, ROUND_TRUNC, SAR, SHIFT_OPS, SHL, VEX_MAP_0F, VEX_MAP_0F38,
    Assembler, AssemblerError, Mem, RipRel, heads, vex_heads)
from jitwasm.backend_x64.regs import RAX, RBP, RCX, RSP, R12, R13  # noqa: E402

# ---- the oracle -----------------------------------------------------------------------------

_ICED_GPR_NAMES = {
    size: [regs.gpr_name(r, size).upper().replace("B", "L") if size == 8 and r >= 8
           else regs.gpr_name(r, size).upper() for r in range(16)]
    for size in (8, 16, 32, 64)
}
ICED_GPR = {size: [getattr(Register, n) for n in names] for size, names in _ICED_GPR_NAMES.items()}
ICED_XMM = [getattr(Register, f"XMM{i}") for i in range(16)]
ICED_YMM = [getattr(Register, f"YMM{i}") for i in range(16)]
CODE_NAMES = {v: k for k, v in vars(Code).items() if not k.startswith("_")}
_FORMATTER = Formatter(FormatterSyntax.INTEL)
_IMM_KINDS = {OpKind.IMMEDIATE8, OpKind.IMMEDIATE16, OpKind.IMMEDIATE32, OpKind.IMMEDIATE64,
              OpKind.IMMEDIATE8TO16, OpKind.IMMEDIATE8TO32, OpKind.IMMEDIATE8TO64,
              OpKind.IMMEDIATE32TO64}
ALU_NAMES = ("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp")
SHIFT_NAMES = ("rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar")
SIZES = (8, 16, 32, 64)
GPRS = range(16)
XMMS = range(16)


def R(size, reg):
    return ("r", size, reg)


def X(reg):
    return ("x", reg)


def Y(reg):
    return ("y", reg)


def M(mem, nbytes):
    """A memory operand; nbytes None skips the access-size check (lea)."""
    return ("m", mem, nbytes)


def I(value, size):
    """An immediate as the CPU sees it: `value` truncated to the `size`-bit operand."""
    return ("i", value, size)


def describe(code: bytes, ip: int = 0) -> str:
    ins = Decoder(64, code, ip=ip).decode()
    return f"{code.hex(' ')} -> {_FORMATTER.format(ins)}"


def decode_one(code: bytes, ip: int = 0):
    """Decode exactly one instruction that must span all of `code`."""
    ins = Decoder(64, code, ip=ip).decode()
    assert ins.code != Code.INVALID, f"invalid encoding {code.hex(' ')}"
    assert ins.len == len(code), f"decoder used {ins.len} of {len(code)} bytes: {describe(code)}"
    return ins


def check_operands(ins, mnemonic: str, ops, ip: int = 0) -> None:
    """Compare a decoded instruction with the asked-for mnemonic and operands."""
    assert ins.mnemonic == getattr(Mnemonic, mnemonic.upper()), mnemonic
    assert ins.op_count == len(ops), f"{ins.op_count} operands, expected {len(ops)}"
    for i, op in enumerate(ops):
        kind = ins.op_kind(i)
        tag = op[0]
        if tag == "r":
            assert kind == OpKind.REGISTER, f"operand {i} is not a register"
            assert ins.op_register(i) == ICED_GPR[op[1]][op[2]], f"operand {i} register"
        elif tag == "x":
            assert kind == OpKind.REGISTER and ins.op_register(i) == ICED_XMM[op[1]], f"operand {i}"
        elif tag == "y":
            assert kind == OpKind.REGISTER and ins.op_register(i) == ICED_YMM[op[1]], f"operand {i}"
        elif tag == "m":
            assert kind == OpKind.MEMORY, f"operand {i} is not memory"
            check_memory(ins, op[1], ip)
            if op[2] is not None:
                assert MemorySizeExt.size(ins.memory_size) == op[2], "memory access size"
        elif tag == "i":
            _, value, size = op
            mask = (1 << size) - 1
            assert kind in _IMM_KINDS, f"operand {i} is not an immediate"
            assert ins.immediate(i) & mask == value & mask, f"immediate {ins.immediate(i):#x}"
        elif tag == "b":
            assert kind == OpKind.NEAR_BRANCH64 and ins.near_branch_target == op[1], "target"
        else:  # pragma: no cover
            raise AssertionError(op)


def check_memory(ins, mem, ip: int = 0) -> None:
    if type(mem) is RipRel:
        target, extra = mem
        address = ((target if type(target) is int else target.pos) + extra) & 0xFFFFFFFFFFFFFFFF
        assert ins.is_ip_rel_memory_operand, "not RIP-relative"
        assert ins.ip_rel_memory_address == address, f"rip target {ins.ip_rel_memory_address:#x}"
        return
    base, index, scale, disp = mem
    assert ins.memory_base == (Register.NONE if base is None else ICED_GPR[64][base]), "base"
    assert ins.memory_index == (Register.NONE if index is None else ICED_GPR[64][index]), "index"
    if index is not None:
        assert ins.memory_index_scale == scale, "scale"
    assert ins.memory_displacement == disp & 0xFFFFFFFFFFFFFFFF, "displacement"


def check(emit, mnemonic: str, *ops, length=None):
    """Assemble `emit(a)` alone, decode it and compare; returns the decoded instruction."""
    a = Assembler()
    emit(a)
    code = a.finish()
    try:
        ins = decode_one(code)
        check_operands(ins, mnemonic, ops)
        if length is not None:
            assert len(code) == length, f"length {len(code)}, expected {length}"
    except AssertionError as e:
        raise AssertionError(f"{mnemonic} {ops}: {e}\n  {describe(code)}") from None
    return ins


# ---- operand sets ---------------------------------------------------------------------------

DISPS = (0, 8, -8, 127, -128, 128, -129, 0x12345678, -0x80000000, 0x7FFFFFFF)
INDEXES = tuple(r for r in range(16) if r != RSP)


def _mem_sample():
    """Memory operands covering every base, every index, each scale, each displacement class,
    the rsp/r12 (SIB) and rbp/r13 (disp8 0) bases, and the no-base forms."""
    mems = []
    for base in range(16):
        mems.append(Mem(base))  # disp 0: mod=00 except rbp/r13
        mems.append(Mem(base, disp=DISPS[1 + base % (len(DISPS) - 1)]))
        index = INDEXES[(base * 7 + 3) % len(INDEXES)]
        mems.append(Mem(base, index, (1, 2, 4, 8)[base % 4], DISPS[base % len(DISPS)]))
    for i, index in enumerate(INDEXES):
        mems.append(Mem(RBP if i % 2 else R12, index, (1, 2, 4, 8)[i % 4], -DISPS[i % 4]))
        mems.append(Mem(None, index, (1, 2, 4, 8)[i % 4], DISPS[i % len(DISPS)]))
    mems.append(Mem(None, disp=0x1000))
    mems.append(Mem(None, disp=-16))
    return mems


MEMS = _mem_sample()
ALL_MEMS = [Mem(b, i, s, d) for b in (None, *range(16)) for i in (None, *INDEXES)
            for s in (1, 2, 4, 8) for d in DISPS if i is not None or s == 1]


def reg_mem_pairs():
    """Every register with some memory operand and every memory operand with some register."""
    n = len(MEMS)
    return [(r, MEMS[(r * 5) % n]) for r in range(16)] + [(i % 16, m) for i, m in enumerate(MEMS)]


def imm_values(size):
    half = 1 << (size - 1)
    values = [0, 1, -1, 127, -128, 128, -129, half - 1, -half, (1 << size) - 1, 0x5A]
    return [v for v in values if -half <= v < 1 << size]


def imm32_values(size):
    """Immediates an instruction of this size accepts (64-bit: sign-extended imm32)."""
    return imm_values(min(size, 32)) if size < 64 else [0, 1, -1, 127, -128, 128, -129,
                                                       0x7FFFFFFF, -0x80000000, 0x12345678]


# ---- the memory-operand sweep ---------------------------------------------------------------

def test_every_memory_operand_load():
    """mov r64, [base + index*scale + disp] for every base (and none), every index except rsp,
    every scale and every displacement class."""
    for n, mem in enumerate(ALL_MEMS):
        check(lambda a: a.mov_rm(64, n % 16, mem), "mov", R(64, n % 16), M(mem, 8))


def test_every_memory_operand_sse():
    for n, mem in enumerate(ALL_MEMS[::3]):
        check(lambda a: a.movsd_xm(n % 16, mem), "movsd", X(n % 16), M(mem, 8))


def test_rsp_is_not_an_index():
    with pytest.raises(AssemblerError):
        Assembler().mov_rm(64, RAX, Mem(RAX, RSP))


def test_unencodable_operand_size_is_an_assembler_error():
    """A size with no form (a caller bug) raises AssemblerError, for register, memory and
    memoised forms alike, and leaves the size tables unchanged."""
    for emit in (lambda a: a.mov_rr(24, RAX, RCX), lambda a: a.mov_rm(24, RAX, Mem(RCX)),
                 lambda a: a.mov_mr(24, Mem(RCX), RAX), lambda a: a.lea(8, RAX, Mem(RCX)),
                 lambda a: a.alu_rm(ALU_ADD, 128, RAX, Mem(RCX))):
        a = Assembler()
        with pytest.raises(AssemblerError, match="not encodable"):
            emit(a)
        with pytest.raises(AssemblerError, match="not encodable"):
            emit(a)  # a miss inserts nothing
    check(lambda a: a.mov_rm(32, RAX, Mem(RCX)), "mov", R(32, RAX), M(Mem(RCX), 4))


def test_new_label_is_a_fresh_unbound_label():
    """operands.new_label (Assembler.new_label) makes what Label() makes: unbound, no fixups,
    patched at bind like any label."""
    from jitwasm.backend_x64.operands import Label, new_label
    a = Assembler()
    label, other = a.new_label(), new_label()
    assert isinstance(label, Label) and label is not other
    assert (label.pos, label.fixups, label.bound) == (-1, None, False)
    assert repr(label).startswith("Label(unbound")
    a.jmp(label)
    a.bind(label)
    assert label.bound and label.fixups is None and bytes(a.buf) == b"\xe9\0\0\0\0"


def test_special_bases_encodings():
    """mod=00 with rbp/r13 means RIP/no-base, so they take a disp8 of 0; rsp/r12 take a SIB."""
    for base in (RBP, R13):
        ins = check(lambda a: a.mov_rm(64, RAX, Mem(base)), "mov", R(64, RAX), M(Mem(base), 8))
        assert ins.len == 4  # REX, 8B, ModRM(mod=01), disp8
    for base in (RSP, R12):
        ins = check(lambda a: a.mov_rm(64, RAX, Mem(base)), "mov", R(64, RAX), M(Mem(base), 8))
        assert ins.len == 4  # REX, 8B, ModRM, SIB
    check(lambda a: a.mov_rm(32, RAX, Mem(RAX)), "mov", R(32, RAX), M(Mem(RAX), 4), length=2)
    check(lambda a: a.mov_rm(32, RAX, Mem(RAX, disp=127)), "mov", R(32, RAX),
          M(Mem(RAX, disp=127), 4), length=3)
    check(lambda a: a.mov_rm(32, RAX, Mem(RAX, disp=128)), "mov", R(32, RAX),
          M(Mem(RAX, disp=128), 4), length=6)


# ---- integer moves --------------------------------------------------------------------------

def test_mov_rr():
    for size in SIZES:
        for d in GPRS:
            for s in GPRS:
                check(lambda a: a.mov_rr(size, d, s), "mov", R(size, d), R(size, s))


def test_mov_load_store():
    for size in SIZES:
        for r, mem in reg_mem_pairs():
            check(lambda a: a.mov_rm(size, r, mem), "mov", R(size, r), M(mem, size // 8))
            check(lambda a: a.mov_mr(size, mem, r), "mov", M(mem, size // 8), R(size, r))


def test_byte_registers_use_rex_never_ah_bh():
    """spl/bpl/sil/dil need a REX prefix; without it the same bits mean ah/ch/dh/bh."""
    for r in range(4, 8):
        ins = check(lambda a: a.mov_rr(8, r, RAX), "mov", R(8, r), R(8, RAX))
        assert ins.len == 3
        check(lambda a: a.mov_rr(8, RAX, r), "mov", R(8, RAX), R(8, r))
        check(lambda a: a.setcc(regs.CC_E, r), "sete", R(8, r), length=4)
        check(lambda a: a.movzx_rr(32, 8, RAX, r), "movzx", R(32, RAX), R(8, r), length=4)
    check(lambda a: a.mov_rr(8, RAX, RCX), "mov", R(8, RAX), R(8, RCX), length=2)
    check(lambda a: a.setcc(regs.CC_E, RCX), "sete", R(8, RCX), length=3)


def test_mov_ri():
    for size in SIZES:
        for r in GPRS:
            for imm in imm_values(size):
                # 64-bit values that zero-extend from 32 bits are loaded with `mov r32, imm32`
                shown = 32 if size == 64 and 0 <= imm < 1 << 32 else size
                check(lambda a: a.mov_ri(size, r, imm), "mov", R(shown, r), I(imm, shown))


def test_mov_ri64_shortest_encoding():
    for r in GPRS:
        rex = r >= 8
        for imm in (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF):
            ins = check(lambda a: a.mov_ri(64, r, imm), "mov", R(32, r), I(imm, 32), length=5 + rex)
            assert ins.code == Code.MOV_R32_IMM32
        for imm in (-1, -0x80000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF80000000):
            ins = check(lambda a: a.mov_ri(64, r, imm), "mov", R(64, r), I(imm, 64), length=7)
            assert ins.code == Code.MOV_RM64_IMM32
        for imm in (1 << 32, -0x80000001, 0x123456789ABCDEF0, 0x8000000000000000, 1 << 63 | 1):
            ins = check(lambda a: a.mov_ri(64, r, imm), "mov", R(64, r), I(imm, 64), length=10)
            assert ins.code == Code.MOV_R64_IMM64
    with pytest.raises(AssemblerError):
        Assembler().mov_ri(64, RAX, 1 << 64)
    with pytest.raises(AssemblerError):
        Assembler().mov_ri(32, RAX, 1 << 32)


def test_mov_mi():
    for size in SIZES:
        for n, (r, mem) in enumerate(reg_mem_pairs()):
            values = imm32_values(size)
            imm = values[n % len(values)]
            check(lambda a: a.mov_mi(size, mem, imm), "mov", M(mem, size // 8), I(imm, size))
    with pytest.raises(AssemblerError):
        Assembler().mov_mi(64, Mem(RAX), 0x80000000)


def test_movzx_movsx():
    for dst_size, src_size in ((16, 8), (32, 8), (64, 8), (32, 16), (64, 16)):
        for d in GPRS:
            for s in GPRS:
                check(lambda a: a.movzx_rr(dst_size, src_size, d, s), "movzx",
                      R(dst_size, d), R(src_size, s))
                check(lambda a: a.movsx_rr(dst_size, src_size, d, s), "movsx",
                      R(dst_size, d), R(src_size, s))
        for d, mem in reg_mem_pairs():
            check(lambda a: a.movzx_rm(dst_size, src_size, d, mem), "movzx",
                  R(dst_size, d), M(mem, src_size // 8))
            check(lambda a: a.movsx_rm(dst_size, src_size, d, mem), "movsx",
                  R(dst_size, d), M(mem, src_size // 8))


def test_extend_32_to_64():
    """movzx 64<-32 is `mov r32, r32` (implicit zero-extension); movsx 64<-32 is movsxd."""
    for d in GPRS:
        for s in GPRS:
            check(lambda a: a.movzx_rr(64, 32, d, s), "mov", R(32, d), R(32, s))
            check(lambda a: a.movsx_rr(64, 32, d, s), "movsxd", R(64, d), R(32, s))
            check(lambda a: a.movsxd_rr(d, s), "movsxd", R(64, d), R(32, s))
    for d, mem in reg_mem_pairs():
        check(lambda a: a.movzx_rm(64, 32, d, mem), "mov", R(32, d), M(mem, 4))
        check(lambda a: a.movsx_rm(64, 32, d, mem), "movsxd", R(64, d), M(mem, 4))
        check(lambda a: a.movsxd_rm(d, mem), "movsxd", R(64, d), M(mem, 4))


def test_lea():
    for size in (16, 32, 64):
        for r, mem in reg_mem_pairs():
            check(lambda a: a.lea(size, r, mem), "lea", R(size, r), M(mem, None))


def test_xchg():
    for size in SIZES:
        for x in GPRS:
            for y in GPRS:
                ins = check(lambda a: a.xchg_rr(size, x, y), "xchg", R(size, x), R(size, y))
                assert ins.op_count == 2


# ---- ALU --------------------------------------------------------------------------------------

ALU_OPS = (ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP)


def test_alu_rr():
    for op in ALU_OPS:
        for size in SIZES:
            for d in GPRS:
                for s in GPRS:
                    check(lambda a: a.alu_rr(op, size, d, s), ALU_NAMES[op], R(size, d), R(size, s))


def test_alu_rm_mr():
    for op in ALU_OPS:
        for size in SIZES:
            for r, mem in reg_mem_pairs():
                check(lambda a: a.alu_rm(op, size, r, mem), ALU_NAMES[op], R(size, r),
                      M(mem, size // 8))
                check(lambda a: a.alu_mr(op, size, mem, r), ALU_NAMES[op], M(mem, size // 8),
                      R(size, r))


def _alu_imm_length(size, reg, imm):
    """Expected length of alu_ri: imm8 (83) when it fits, accumulator short form, else 81."""
    prefix = (size == 16) + (size == 64 or reg >= 8 or (size == 8 and 4 <= reg < 8))
    if size == 8:
        return 2 if reg == RAX else prefix + 3
    signed = imm - (1 << size) if imm >= 1 << (size - 1) else imm
    if -128 <= signed <= 127:
        return prefix + 3
    imm_len = 2 if size == 16 else 4
    return prefix + 1 + imm_len if reg == RAX else prefix + 2 + imm_len


def test_alu_ri_shortest():
    for op in ALU_OPS:
        for size in SIZES:
            for r in GPRS:
                for imm in imm32_values(size):
                    check(lambda a: a.alu_ri(op, size, r, imm), ALU_NAMES[op], R(size, r),
                          I(imm, size), length=_alu_imm_length(size, r, imm))
    with pytest.raises(AssemblerError):
        Assembler().alu_ri(ALU_ADD, 64, RAX, 0x80000000)


def test_alu_mi():
    for op in ALU_OPS:
        for size in SIZES:
            values = imm32_values(size)
            for n, (_, mem) in enumerate(reg_mem_pairs()):
                imm = values[n % len(values)]
                check(lambda a: a.alu_mi(op, size, mem, imm), ALU_NAMES[op], M(mem, size // 8),
                      I(imm, size))


def test_alu_ri32_is_patchable():
    for size in (32, 64):
        for r in GPRS:
            a = Assembler()
            pos = a.alu_ri32(ALU_SUB, size, r, 0)
            a.patch_i32(pos, 0x1230)
            code = a.finish()
            ins = decode_one(code)
            check_operands(ins, "sub", (R(size, r), I(0x1230, size)))
            assert ins.op_kind(1) in (OpKind.IMMEDIATE32, OpKind.IMMEDIATE32TO64)


def test_test():
    for size in SIZES:
        for x in GPRS:
            for y in GPRS:
                check(lambda a: a.test_rr(size, x, y), "test", R(size, x), R(size, y))
            for imm in imm32_values(size):
                check(lambda a: a.test_ri(size, x, imm), "test", R(size, x), I(imm, size))
        values = imm32_values(size)
        for n, (r, mem) in enumerate(reg_mem_pairs()):
            check(lambda a: a.test_mr(size, mem, r), "test", M(mem, size // 8), R(size, r))
            imm = values[n % len(values)]
            check(lambda a: a.test_mi(size, mem, imm), "test", M(mem, size // 8), I(imm, size))


# ---- shifts -----------------------------------------------------------------------------------

def test_shifts():
    for op in SHIFT_OPS:
        name = SHIFT_NAMES[op]
        for size in SIZES:
            for r in GPRS:
                for imm in (1, 0, 3, size - 1):
                    ins = check(lambda a: a.shift_ri(op, size, r, imm), name, R(size, r), I(imm, 8))
                    assert CODE_NAMES[ins.code].endswith("_1") == (imm == 1), "shift-by-1 form"
                check(lambda a: a.shift_rcl(op, size, r), name, R(size, r), R(8, RCX))
            for n, (_, mem) in enumerate(reg_mem_pairs()):
                imm = (1, 7)[n % 2]
                check(lambda a: a.shift_mi(op, size, mem, imm), name, M(mem, size // 8), I(imm, 8))
                check(lambda a: a.shift_mcl(op, size, mem), name, M(mem, size // 8), R(8, RCX))


# ---- multiply, divide, unary ------------------------------------------------------------------

def test_imul():
    for size in (16, 32, 64):
        for d in GPRS:
            for s in GPRS:
                check(lambda a: a.imul_rr(size, d, s), "imul", R(size, d), R(size, s))
                imm = (d * 37 - s * 1000) * 1001
                imm = max(min(imm, (1 << min(size, 32) - 1) - 1), -(1 << min(size, 32) - 1))
                check(lambda a: a.imul_rri(size, d, s, imm), "imul", R(size, d), R(size, s),
                      I(imm, size))
            for imm in (3, -128, 127, 128, -129):
                ins = check(lambda a: a.imul_rri(size, d, d, imm), "imul", R(size, d), R(size, d),
                            I(imm, size))
                assert (ins.op_kind(2) in (OpKind.IMMEDIATE8TO16, OpKind.IMMEDIATE8TO32,
                                           OpKind.IMMEDIATE8TO64)) == (-128 <= imm <= 127)
        for r, mem in reg_mem_pairs():
            check(lambda a: a.imul_rm(size, r, mem), "imul", R(size, r), M(mem, size // 8))


@pytest.mark.parametrize("name", ["not", "neg", "mul", "imul", "div", "idiv"])
def test_group3_unary(name):
    for size in SIZES:
        for r in GPRS:
            check(lambda a: getattr(a, name + "_r")(size, r), name, R(size, r))
        for _, mem in reg_mem_pairs():
            check(lambda a: getattr(a, name + "_m")(size, mem), name, M(mem, size // 8))


def test_sign_extend_accumulator():
    check(lambda a: a.cdq(), "cdq", length=1)
    check(lambda a: a.cqo(), "cqo", length=2)


@pytest.mark.parametrize("name", ["lzcnt", "tzcnt", "popcnt", "bsr", "bsf"])
def test_bit_counts(name):
    for size in (16, 32, 64):
        for d in GPRS:
            for s in GPRS:
                check(lambda a: getattr(a, name + "_rr")(size, d, s), name, R(size, d), R(size, s))
        for r, mem in reg_mem_pairs():
            check(lambda a: getattr(a, name + "_rm")(size, r, mem), name, R(size, r),
                  M(mem, size // 8))
    assert getattr(Assembler, name) is getattr(Assembler, name + "_rr")


# ---- flags ------------------------------------------------------------------------------------

def test_setcc_cmovcc():
    for cc in range(16):
        cc_name = regs.cc_name(cc)
        for r in GPRS:
            check(lambda a: a.setcc(cc, r), "set" + cc_name, R(8, r))
        for _, mem in reg_mem_pairs()[::4]:
            check(lambda a: a.setcc_m(cc, mem), "set" + cc_name, M(mem, 1))
        for size in (16, 32, 64):
            for d in GPRS:
                for s in GPRS[::3] if d % 2 else GPRS:
                    check(lambda a: a.cmovcc(cc, size, d, s), "cmov" + cc_name, R(size, d),
                          R(size, s))
            for r, mem in reg_mem_pairs()[::4]:
                check(lambda a: a.cmovcc_rm(cc, size, r, mem), "cmov" + cc_name, R(size, r),
                      M(mem, size // 8))


def test_invert_cc():
    for cc in range(16):
        assert regs.invert_cc(regs.invert_cc(cc)) == cc
        a = Assembler()
        here = a.new_label()
        a.bind(here)
        a.jcc(cc, here)
        ins = decode_one(a.finish())
        assert ins.negate_condition_code  # exists
        inverse = Assembler()
        inverse.bind(lab := inverse.new_label())
        inverse.jcc(regs.invert_cc(cc), lab)
        inv = decode_one(inverse.finish())
        assert int(inv.condition_code) != int(ins.condition_code)
        copy = ins.copy()
        copy.negate_condition_code()
        assert copy.condition_code == inv.condition_code


# ---- control flow and stack -------------------------------------------------------------------

def test_indirect_jumps_calls_push_pop():
    for r in GPRS:
        check(lambda a: a.jmp_r(r), "jmp", R(64, r))
        check(lambda a: a.call_r(r), "call", R(64, r))
        check(lambda a: a.push_r(r), "push", R(64, r), length=1 + (r >= 8))
        check(lambda a: a.pop_r(r), "pop", R(64, r), length=1 + (r >= 8))
    for _, mem in reg_mem_pairs():
        check(lambda a: a.jmp_m(mem), "jmp", M(mem, 8))
        check(lambda a: a.call_m(mem), "call", M(mem, 8))
        check(lambda a: a.push_m(mem), "push", M(mem, 8))
        check(lambda a: a.pop_m(mem), "pop", M(mem, 8))
    for imm in (0, 1, -1, 127, -128, 128, 0x7FFFFFFF, -0x80000000):
        check(lambda a: a.push_i(imm), "push", I(imm, 64), length=2 if -128 <= imm <= 127 else 5)


def test_single_byte_and_fixed_instructions():
    check(lambda a: a.ret(), "ret", length=1)
    check(lambda a: a.ud2(), "ud2", length=2)
    check(lambda a: a.int3(), "int3", length=1)
    check(lambda a: a.std(), "std", length=1)
    check(lambda a: a.cld(), "cld", length=1)
    for emit, code in ((Assembler.rep_movsb, Code.MOVSB_M8_M8),
                       (Assembler.rep_stosb, Code.STOSB_M8_AL)):
        a = Assembler()
        emit(a)
        ins = decode_one(a.finish())
        assert ins.code == code and ins.has_rep_prefix and ins.op_kind(0) == OpKind.MEMORY_ESRDI
    a = Assembler()
    a.call_abs(0x7F0012345678, scratch=R12)
    code = a.finish()
    check_operands(decode_one(code[:10]), "mov", (R(64, R12), I(0x7F0012345678, 64)))
    check_operands(decode_one(code[10:], 10), "call", (R(64, R12),), ip=10)


def test_nop_and_align():
    for n in range(0, 30):
        a = Assembler()
        a.nop(n)
        code = a.finish()
        assert len(code) == n
        decoded = list(Decoder(64, code))
        assert all(ins.mnemonic == Mnemonic.NOP for ins in decoded)
        assert sum(ins.len for ins in decoded) == n
        assert len(decoded) == (n + 8) // 9
    for start in range(0, 20):
        a = Assembler()
        a.nop(start)
        a.align(16)
        assert a.offset == -(-start // 16) * 16
        a.align(8, 0xCC)
        assert a.offset % 8 == 0


# ---- labels -----------------------------------------------------------------------------------

def _decode_at(code: bytes, ip: int):
    return Decoder(64, code[ip:], ip=ip).decode()


def test_label_backward_short():
    for cc in (None, *range(16)):
        a = Assembler()
        top = a.new_label()
        a.bind(top)
        a.nop(126 if cc is None else 126)
        pos = a.offset
        a.jmp(top) if cc is None else a.jcc(cc, top)
        code = a.finish()
        ins = _decode_at(code, pos)
        assert ins.len == 2 and ins.near_branch_target == 0
        assert ins.is_jmp_short if cc is None else ins.is_jcc_short


def test_label_far_backward_uses_rel32():
    for cc in (None, *range(16)):
        a = Assembler()
        top = a.new_label()
        a.bind(top)
        a.nop(127)  # rel8 would be -129
        pos = a.offset
        a.jmp(top) if cc is None else a.jcc(cc, top)
        code = a.finish()
        ins = _decode_at(code, pos)
        assert ins.near_branch_target == 0 and ins.len + pos == len(code)
        assert ins.is_jmp_near if cc is None else ins.is_jcc_near
        assert ins.len == (5 if cc is None else 6)
        if cc is not None:
            check_operands(ins, "j" + regs.cc_name(cc), (("b", 0),), ip=pos)


def test_label_forward_rel32():
    for distance in (0, 1, 100, 1000, 100000):
        a = Assembler()
        target = a.new_label()
        a.jcc(regs.CC_NE, target)
        a.jmp(target)
        a.call(target)
        a.nop(distance)
        a.bind(target)
        a.ret()
        code = a.finish()
        assert _decode_at(code, 0).near_branch_target == 16 + distance
        assert _decode_at(code, 6).near_branch_target == 16 + distance
        call = _decode_at(code, 11)
        assert call.mnemonic == Mnemonic.CALL and call.near_branch_target == 16 + distance


def test_call_to_offsets_and_patch_position():
    for target in (0, 100, -4096, 1 << 20):
        a = Assembler()
        a.nop(7)
        field = a.call(target)
        code = a.finish()
        assert field == 8
        ins = _decode_at(code, 7)
        assert ins.mnemonic == Mnemonic.CALL
        assert ins.near_branch_target == target & 0xFFFFFFFFFFFFFFFF


def test_unbound_label_is_an_error():
    a = Assembler()
    a.jmp(a.new_label())
    with pytest.raises(AssemblerError):
        a.finish()
    a = Assembler()
    label = a.new_label()
    a.bind(label)
    with pytest.raises(AssemblerError):
        a.bind(label)


def test_jump_table_entries():
    a = Assembler()
    targets = [a.new_label() for _ in range(4)]
    table = a.new_label()
    a.bind(table)
    base = a.offset
    for t in targets:
        a.emit_label_offset(t, base)
    for t in reversed(targets):
        a.nop(3)
        a.bind(t)
    code = a.finish()
    for i, t in enumerate(targets):
        entry = code[base + 4 * i:base + 4 * i + 4]
        assert int.from_bytes(entry, "little", signed=True) == t.pos - base


# ---- RIP-relative -----------------------------------------------------------------------------

def _rip_cases():
    """(emitter, mnemonic, operands builder) for forms with a trailing immediate or none."""
    return [
        (lambda a, m: a.mov_rm(64, 9, m), "mov", lambda m: (R(64, 9), M(m, 8))),
        (lambda a, m: a.mov_mi(32, m, 0x12345678), "mov", lambda m: (M(m, 4), I(0x12345678, 32))),
        (lambda a, m: a.mov_mi(16, m, 0x1234), "mov", lambda m: (M(m, 2), I(0x1234, 16))),
        (lambda a, m: a.mov_mi(8, m, 0x12), "mov", lambda m: (M(m, 1), I(0x12, 8))),
        (lambda a, m: a.alu_mi(ALU_CMP, 64, m, -5), "cmp", lambda m: (M(m, 8), I(-5, 64))),
        (lambda a, m: a.alu_mi(ALU_AND, 32, m, 1000), "and", lambda m: (M(m, 4), I(1000, 32))),
        (lambda a, m: a.test_mi(8, m, 0x80), "test", lambda m: (M(m, 1), I(0x80, 8))),
        (lambda a, m: a.shift_mi(SHL, 32, m, 5), "shl", lambda m: (M(m, 4), I(5, 8))),
        (lambda a, m: a.lea(64, 3, m), "lea", lambda m: (R(64, 3), M(m, None))),
        (lambda a, m: a.movsd_xm(12, m), "movsd", lambda m: (X(12), M(m, 8))),
        (lambda a, m: a.roundsd_xm(3, m, ROUND_FLOOR), "roundsd",
         lambda m: (X(3), M(m, 8), I(ROUND_FLOOR, 8))),
        (lambda a, m: a.pshufd_xmi(9, m, 0x1B), "pshufd", lambda m: (X(9), M(m, 16), I(0x1B, 8))),
        (lambda a, m: a.call_m(m), "call", lambda m: (M(m, 8),)),
        (lambda a, m: a.vpxor_xxm(1, 2, m), "vpxor", lambda m: (X(1), X(2), M(m, 16))),
    ]


def test_rip_relative_to_labels_and_offsets():
    for emit, mnemonic, ops in _rip_cases():
        for kind in ("forward", "backward", "offset"):
            for extra in (0, 8, -4):
                a = Assembler()
                label = a.new_label()
                if kind == "backward":
                    a.bind(label)
                    a.emit_u64(0)
                a.nop(5)
                start = a.offset
                mem = RipRel(label if kind != "offset" else 3, extra)
                emit(a, mem)
                end = a.offset
                a.nop(11)
                if kind == "forward":
                    a.bind(label)
                code = a.finish()
                ins = Decoder(64, code[start:end], ip=start).decode()
                try:
                    assert ins.len == end - start
                    check_operands(ins, mnemonic, ops(mem), ip=start)
                except AssertionError as e:
                    where = describe(code[start:end], start)
                    raise AssertionError(f"{kind} {mnemonic}: {e}: {where}") from None


def test_constant_pool():
    a = Assembler()
    a.movsd_xm(0, a.const64(0x3FF0000000000000))
    a.andps_xm(1, a.const128(0x7FFFFFFF_7FFFFFFF_7FFFFFFF_7FFFFFFF))
    a.movss_xm(2, a.const32(0x3F800000))
    a.movsd_xm(3, a.const64(0x3FF0000000000000))  # shared with the first
    a.ret()
    code = a.finish()
    decoded = list(Decoder(64, code[:a.offset]))
    loads = [ins for ins in decoded[:4]]
    addrs = [ins.ip_rel_memory_address for ins in loads]
    assert addrs[0] == addrs[3]
    assert addrs[1] % 16 == 0 and addrs[0] % 8 == 0 and addrs[2] % 4 == 0
    assert int.from_bytes(code[addrs[0]:addrs[0] + 8], "little") == 0x3FF0000000000000
    assert code[addrs[1]:addrs[1] + 16] == b"\xff\xff\xff\x7f" * 4
    assert int.from_bytes(code[addrs[2]:addrs[2] + 4], "little") == 0x3F800000
    assert len({addrs[0], addrs[1], addrs[2]}) == 3


# ---- SSE ----------------------------------------------------------------------------------------

# (method stem, mnemonic, memory access bytes); each has _xx and _xm forms.
SSE_XX_XM = [
    ("movss", "movss", 4), ("movsd", "movsd", 8), ("movaps", "movaps", 16),
    ("movups", "movups", 16), ("movapd", "movapd", 16), ("movupd", "movupd", 16),
    ("movdqa", "movdqa", 16), ("movdqu", "movdqu", 16),
    *[(f"{op}{t}", f"{op}{t}", 4 if t == "ss" else 8)
      for op in ("add", "sub", "mul", "div", "min", "max", "sqrt") for t in ("ss", "sd")],
    ("ucomiss", "ucomiss", 4), ("ucomisd", "ucomisd", 8),
    ("comiss", "comiss", 4), ("comisd", "comisd", 8),
    ("cvtss2sd", "cvtss2sd", 4), ("cvtsd2ss", "cvtsd2ss", 8),
    *[(op, op, 16) for op in ("andps", "andnps", "orps", "xorps", "andpd", "andnpd", "orpd",
                              "xorpd", "pxor", "pshufb", "ptest")],
]
# store forms: (method, mnemonic, bytes)
SSE_MX = [("movss_mx", "movss", 4), ("movsd_mx", "movsd", 8), ("movaps_mx", "movaps", 16),
          ("movups_mx", "movups", 16), ("movapd_mx", "movapd", 16), ("movupd_mx", "movupd", 16),
          ("movdqa_mx", "movdqa", 16), ("movdqu_mx", "movdqu", 16), ("movd_mx", "movd", 4),
          ("movq_mx", "movq", 8)]


@pytest.mark.parametrize("stem,mnemonic,nbytes", SSE_XX_XM)
def test_sse_xx_xm(stem, mnemonic, nbytes):
    for d in XMMS:
        for s in XMMS:
            check(lambda a: getattr(a, stem + "_xx")(d, s), mnemonic, X(d), X(s))
    for x, mem in reg_mem_pairs():
        check(lambda a: getattr(a, stem + "_xm")(x, mem), mnemonic, X(x), M(mem, nbytes))


@pytest.mark.parametrize("method,mnemonic,nbytes", SSE_MX)
def test_sse_stores(method, mnemonic, nbytes):
    for x, mem in reg_mem_pairs():
        check(lambda a: getattr(a, method)(mem, x), mnemonic, M(mem, nbytes), X(x))


def test_mxcsr_load_store():
    for _, mem in reg_mem_pairs():
        check(lambda a: a.ldmxcsr_m(mem), "ldmxcsr", M(mem, 4))
        check(lambda a: a.stmxcsr_m(mem), "stmxcsr", M(mem, 4))


def test_movd_movq_gpr():
    for x in XMMS:
        for r in GPRS:
            check(lambda a: a.movd_xr(x, r), "movd", X(x), R(32, r))
            check(lambda a: a.movd_rx(r, x), "movd", R(32, r), X(x))
            check(lambda a: a.movq_xr(x, r), "movq", X(x), R(64, r))
            check(lambda a: a.movq_rx(r, x), "movq", R(64, r), X(x))
            check(lambda a: a.movq_xx(x, r), "movq", X(x), X(r))
    for x, mem in reg_mem_pairs():
        check(lambda a: a.movd_xm(x, mem), "movd", X(x), M(mem, 4))
        check(lambda a: a.movq_xm(x, mem), "movq", X(x), M(mem, 8))


def test_int_float_conversions():
    for size in (32, 64):
        for x in XMMS:
            for r in GPRS:
                check(lambda a: a.cvtsi2ss_xr(size, x, r), "cvtsi2ss", X(x), R(size, r))
                check(lambda a: a.cvtsi2sd_xr(size, x, r), "cvtsi2sd", X(x), R(size, r))
                check(lambda a: a.cvttss2si_rx(size, r, x), "cvttss2si", R(size, r), X(x))
                check(lambda a: a.cvttsd2si_rx(size, r, x), "cvttsd2si", R(size, r), X(x))
                check(lambda a: a.cvtss2si_rx(size, r, x), "cvtss2si", R(size, r), X(x))
                check(lambda a: a.cvtsd2si_rx(size, r, x), "cvtsd2si", R(size, r), X(x))
        for r, mem in reg_mem_pairs():
            check(lambda a: a.cvtsi2ss_xm(size, r, mem), "cvtsi2ss", X(r), M(mem, size // 8))
            check(lambda a: a.cvtsi2sd_xm(size, r, mem), "cvtsi2sd", X(r), M(mem, size // 8))
            check(lambda a: a.cvttss2si_rm(size, r, mem), "cvttss2si", R(size, r), M(mem, 4))
            check(lambda a: a.cvttsd2si_rm(size, r, mem), "cvttsd2si", R(size, r), M(mem, 8))
    assert Assembler.cvtsi2sd is Assembler.cvtsi2sd_xr


def test_round_and_shuffle_imm():
    for mode in (ROUND_NEAREST, ROUND_FLOOR, ROUND_CEIL, ROUND_TRUNC, ROUND_TRUNC | 8):
        for d in XMMS:
            for s in XMMS:
                check(lambda a: a.roundss_xx(d, s, mode), "roundss", X(d), X(s), I(mode, 8))
                check(lambda a: a.roundsd(d, s, mode), "roundsd", X(d), X(s), I(mode, 8))
        for x, mem in reg_mem_pairs()[::3]:
            check(lambda a: a.roundss_xm(x, mem, mode), "roundss", X(x), M(mem, 4), I(mode, 8))
            check(lambda a: a.roundsd_xm(x, mem, mode), "roundsd", X(x), M(mem, 8), I(mode, 8))
    for d in XMMS:
        for s in XMMS:
            check(lambda a: a.pshufd_xxi(d, s, 0xE4), "pshufd", X(d), X(s), I(0xE4, 8))


def test_cmp_predicates_and_sign_masks():
    for pred in range(8):
        for d in XMMS:
            for s in XMMS:
                check(lambda a: a.cmpss_xxi(d, s, pred), "cmpss", X(d), X(s), I(pred, 8))
                check(lambda a: a.cmpsd_xxi(d, s, pred), "cmpsd", X(d), X(s), I(pred, 8))
        for x, mem in reg_mem_pairs()[::5]:
            check(lambda a: a.cmpss_xmi(x, mem, pred), "cmpss", X(x), M(mem, 4), I(pred, 8))
            check(lambda a: a.cmpsd_xmi(x, mem, pred), "cmpsd", X(x), M(mem, 8), I(pred, 8))
    for r in GPRS:
        for x in XMMS:
            check(lambda a: a.movmskps_rx(r, x), "movmskps", R(32, r), X(x))
            check(lambda a: a.movmskpd_rx(r, x), "movmskpd", R(32, r), X(x))


def test_sse_prefix_order():
    """Mandatory prefix first, then REX, then 0F."""
    a = Assembler()
    a.addsd_xx(9, 1)
    assert a.finish() == bytes([0xF2, 0x44, 0x0F, 0x58, 0xC9])
    a = Assembler()
    a.mov_rr(16, 9, 1)
    assert a.finish()[:2] == bytes([0x66, 0x41])


# ---- VEX ----------------------------------------------------------------------------------------

def test_vex_forms():
    for d in XMMS:
        for s1 in XMMS:
            for s2 in (0, 7, 8, 15, s1):
                check(lambda a: a.vaddss_xxx(d, s1, s2), "vaddss", X(d), X(s1), X(s2))
                check(lambda a: a.vaddsd_xxx(d, s1, s2), "vaddsd", X(d), X(s1), X(s2))
                check(lambda a: a.vpxor_xxx(d, s1, s2), "vpxor", X(d), X(s1), X(s2))
                check(lambda a: a.vpshufb_xxx(d, s1, s2), "vpshufb", X(d), X(s1), X(s2))
    for n, mem in enumerate(ALL_MEMS[::7]):
        check(lambda a: a.vpxor_xxm(n % 16, (n * 3) % 16, mem), "vpxor", X(n % 16),
              X((n * 3) % 16), M(mem, 16))
        check(lambda a: a.vpshufb_xxm(n % 16, (n * 5) % 16, mem), "vpshufb", X(n % 16),
              X((n * 5) % 16), M(mem, 16))
    # generic tables: a 256-bit form, a W1 form and a legacy 66 0F 38 form
    vaddps256 = vex_heads(b"", VEX_MAP_0F, 0, 1, 0x58)
    vpsllvq = vex_heads(b"\x66", VEX_MAP_0F38, 1, 0, 0x47)
    pmaddubsw = heads(b"\x66", 0, b"\x0f\x38\x04")
    for d in XMMS:
        for s in XMMS:
            check(lambda a: a.vex_xxx(vaddps256, d, s, 15 - s), "vaddps", Y(d), Y(s), Y(15 - s))
            check(lambda a: a.vex_xxx(vpsllvq, d, s, d), "vpsllvq", X(d), X(s), X(d))
            check(lambda a: a.sse_xx(pmaddubsw, d, s), "pmaddubsw", X(d), X(s))
    for n, mem in enumerate(MEMS):
        check(lambda a: a.vex_xxm(vpsllvq, n % 16, 15 - n % 16, mem), "vpsllvq", X(n % 16),
              X(15 - n % 16), M(mem, 16))
        check(lambda a: a.sse_xm(pmaddubsw, n % 16, mem), "pmaddubsw", X(n % 16), M(mem, 16))
    # the 2-byte C5 prefix when X=B=0 and the map is 0F
    a = Assembler()
    a.vpxor_xxx(15, 14, 7)
    assert a.finish()[0] == 0xC5
    a = Assembler()
    a.vpxor_xxx(0, 0, 8)
    assert a.finish()[0] == 0xC4


# ---- bookkeeping ------------------------------------------------------------------------------

def test_bad_operand_sizes_are_rejected():
    for bad in (lambda a: a.imul_rr(8, RAX, RCX), lambda a: a.lea(8, RAX, Mem(RAX)),
                lambda a: a.mov_rr(128, RAX, RCX), lambda a: a.alu_ri(ALU_ADD, 8, RAX, 256),
                lambda a: a.shift_ri(SAR, 24, RAX, 1),
                lambda a: a.mov_rm(64, RAX, Mem(RAX, disp=1 << 31)),
                lambda a: a.mov_rm(64, RAX, Mem(None, RCX, 8, -(1 << 31) - 1)),
                lambda a: a.imul_rri(64, RAX, RCX, 1 << 31)):
        with pytest.raises(AssemblerError):
            bad(Assembler())


def test_contract_names():
    for name in ("mov_rr", "mov_rm", "mov_mr", "mov_ri", "mov_mi", "alu_rr", "alu_ri", "alu_rm",
                 "alu_mr", "alu_mi", "test_rr", "test_ri", "shift_ri", "shift_rcl", "imul_rr",
                 "imul_rri", "imul_rm", "mul_r", "div_r", "idiv_r", "neg_r", "not_r", "cdq", "cqo",
                 "movzx_rr", "movzx_rm", "movsx_rr", "movsx_rm", "movsxd_rr", "movsxd_rm", "lea",
                 "setcc", "cmovcc", "jcc", "jmp", "jmp_r", "jmp_m", "call", "call_r", "call_m",
                 "push_r", "pop_r", "ret", "lzcnt", "tzcnt", "popcnt", "bsr", "bsf", "ud2", "int3",
                 "nop", "movss_xx", "movss_xm", "movss_mx", "movsd_xx", "movsd_xm", "movsd_mx",
                 "movd_xr", "movd_rx", "movq_xr", "movq_rx", "addss_xx", "addss_xm", "ucomiss",
                 "ucomisd", "cvtsi2ss", "roundss", "roundsd", "andps", "andnps", "orps", "xorps",
                 "andpd", "andnpd", "orpd", "xorpd", "movaps_xx", "movups_xm", "new_label", "bind",
                 "finish", "emit_bytes", "align", "const64"):
        assert callable(getattr(Assembler, name)), name
    assert (regs.RAX, regs.R15, regs.XMM15, regs.CC_G) == (0, 15, 15, 15)


# ---- execution smoke test -----------------------------------------------------------------------

def _run(code: bytes, restype, *args):
    """Map `code` executable and call it with System V integer arguments."""
    import ctypes
    import mmap
    try:
        mem = mmap.mmap(-1, max(len(code), 1),
                        prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except (OSError, PermissionError):  # pragma: no cover - W+X mapping refused
        pytest.skip("cannot map executable memory")
    mem.write(code)
    address = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    func = ctypes.CFUNCTYPE(restype, *[ctypes.c_int64] * len(args))(address)
    return func(*args)  # the mapping is released with its buffer export by the GC


def test_generated_code_runs():
    import ctypes
    from jitwasm.backend_x64.regs import RDI, RDX, RSI, R8, R10, XMM9

    # sum of i*2 for i in 0..n-1 via a backward-branching loop, byte setcc through sil
    a = Assembler()
    loop, done = a.new_label(), a.new_label()
    a.mov_ri(64, RAX, 0)
    a.mov_ri(64, R8, 0)
    a.bind(loop)
    a.alu_rr(ALU_CMP, 64, R8, RDI)
    a.jcc(regs.CC_GE, done)
    a.lea(64, RAX, Mem(RAX, R8, 2, 0))
    a.alu_ri(ALU_ADD, 64, R8, 1)
    a.jmp(loop)
    a.bind(done)
    a.ret()
    assert _run(a.finish(), ctypes.c_int64, 100) == 9900

    # float through the constant pool: trunc((double)x * 2.5) in r64, with r12/r13 bases
    a = Assembler()
    a.push_r(R12)
    a.push_r(R13)
    a.cvtsi2sd_xr(64, XMM9, RDI)
    a.lea(64, R12, a.const64(0x4004000000000000))  # 2.5
    a.mov_ri(64, R13, 0)
    a.mulsd_xm(XMM9, Mem(R12, R13, 8, 0))
    a.cvttsd2si_rx(64, RAX, XMM9)
    a.pop_r(R13)
    a.pop_r(R12)
    a.ret()
    assert _run(a.finish(), ctypes.c_int64, 7) == 17

    # signed compare into a byte register that needs REX, then zero-extend it
    a = Assembler()
    a.alu_rr(ALU_CMP, 32, RDI, RSI)
    a.setcc(regs.CC_L, RSI)
    a.movzx_rr(32, 8, RAX, RSI)
    a.ret()
    assert _run(a.finish(), ctypes.c_int64, -1, 1) == 1
    assert _run(a.finish(), ctypes.c_int64, 2, 1) == 0

    # 64-bit division with a 32-bit immediate load and rdx/rax fixed registers
    a = Assembler()
    a.mov_rr(64, RAX, RDI)
    a.mov_rr(64, R10, RSI)
    a.cqo()
    a.idiv_r(64, R10)
    a.imul_rri(64, RAX, RAX, 1000)
    a.alu_rr(ALU_ADD, 64, RAX, RDX)
    a.ret()
    assert _run(a.finish(), ctypes.c_int64, -4711, 100) == -47 * 1000 - 11


# ---- encoding memos ---------------------------------------------------------------------------

def test_memoised_forms_encode_as_their_primitives():
    """Forms memoised by register tables or per memory operand (gpr.py) emit, on first use and
    on every later one, what the ModRM primitives `_op_r`/`_op_m` emit for them, with the same
    REX rule: a movzx load into sil/dil's registers gets no REX (its ModRM.reg is no byte
    register), a setcc into sil does."""
    from jitwasm.backend_x64 import gpr
    from jitwasm.backend_x64.encoder import BYTE_REX, Encoder, _pack_i32
    mems = [m for _, m in reg_mem_pairs()][:24]
    for r in GPRS:  # the lambdas run within their iteration
        r2 = (r * 7 + 3) % 16
        mem = mems[r % len(mems)]
        cases = [
            (lambda a: a.movzx_rm(32, 8, r, mem), lambda e: e._op_m(gpr._MOVZX8[32], r, mem)),
            (lambda a: a.movzx_rm(64, 16, r, mem), lambda e: e._op_m(gpr._MOVZX16[64], r, mem)),
            (lambda a: a.movzx_rr(32, 8, r, r2),
             lambda e: e._op_r(gpr._MOVZX8[32], r, r2, BYTE_REX[r2])),
            (lambda a: a.alu_rm(ALU_CMP, 64, r, mem),
             lambda e: e._op_m(gpr._ALU_RM[ALU_CMP][64], r, mem, 0, BYTE_REX[r])),
            (lambda a: a.alu_mi(r % 8, 32, mem, 5),
             lambda e: (e._op_m(gpr._GRP1_I8[32], r % 8, mem, 1), e.buf.append(5))),
            (lambda a: a.mov_mi(64, mem, 0x1234),
             lambda e: (e._op_m(gpr._MOV_MI[64], 0, mem, 4), e.emit_bytes(_pack_i32(0x1234)))),
            (lambda a: a.shift_ri(SHL, 32, r, 3),
             lambda e: (e._op_r(gpr._SHIFT_I[32], SHL, r, BYTE_REX[r]), e.buf.append(3))),
            (lambda a: a.shift_ri(SAR, 64, r, 1),
             lambda e: e._op_r(gpr._SHIFT_1[64], SAR, r, BYTE_REX[r])),
            (lambda a: a.shift_rcl(SAR, 32, r),
             lambda e: e._op_r(gpr._SHIFT_CL[32], SAR, r, BYTE_REX[r])),
            (lambda a: a.setcc(r, r), lambda e: e._op_r(gpr._SETCC[r], 0, r, BYTE_REX[r])),
            (lambda a: a.cmovcc(r, 64, r, r2), lambda e: e._op_r(gpr._CMOV[r][64], r, r2)),
            (lambda a: a.alu_ri(ALU_SUB, 32, r, 0xFFFF0000),  # an i32's bits, imm32 form
             lambda e: (e.emit_bytes(gpr._ALU_ACC_I[ALU_SUB][32][0]) if r == 0
                        else e._op_r(gpr._GRP1_I[32], ALU_SUB, r),
                        e.emit_bytes(_pack_i32(-0x10000)))),
        ]
        for emit, reference in cases:
            ref = Encoder()
            reference(ref)
            a = Assembler()
            emit(a)
            emit(a)
            assert bytes(a.buf) == bytes(ref.buf) * 2, describe(bytes(a.buf))
