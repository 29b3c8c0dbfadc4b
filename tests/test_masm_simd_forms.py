"""The SIMD instruction forms (backend_x64/masm_simd_forms.py) checked against iced-x86.

Every form is assembled alone for register pairs that cover each REX.R/REX.B combination and for
memory operands that hit every ModRM/SIB special case (rsp/r12 base, rbp/r13 with disp8 0, high
index, disp8/disp32, RIP-relative with a trailing immediate), then decoded: the mnemonic, each
operand (register at its size, memory base/index/scale/displacement/access size, immediate) and
the instruction length must be what was asked for.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

iced = pytest.importorskip("iced_x86")
from iced_x86 import (  # noqa: E402
    Code, Decoder, Formatter, FormatterSyntax, MemorySizeExt, Mnemonic, OpKind, Register)

from jitwasm.backend_x64 import masm_simd as emitters  # noqa: E402
from jitwasm.backend_x64.assembler import Assembler, Mem, RipRel  # noqa: E402
from jitwasm.backend_x64.masm_simd_forms import SimdForms  # noqa: E402
from jitwasm.backend_x64.regs import RAX, RBP, RBX, RSP, R11, R12, R13, R15, gpr_name  # noqa: E402

_FORMATTER = Formatter(FormatterSyntax.INTEL)
XMM = [getattr(Register, f"XMM{i}") for i in range(16)]
GPR = {size: [getattr(Register, gpr_name(r, size).upper()) for r in range(16)] for size in (32, 64)}
_IMM_KINDS = {OpKind.IMMEDIATE8, OpKind.IMMEDIATE8TO32}

# Register pairs: every combination of low/high for both operands, and equal registers.
PAIRS = [(d, 15 - d) for d in range(16)] + [(3, 3), (12, 12)]
MEMS = [Mem(RAX), Mem(RBP), Mem(R13), Mem(RSP), Mem(R12, R13, 4, 8), Mem(R13, None, 1, -129),
        Mem(RSP, RBX, 8, 0x12345), Mem(R15, R11, 1, 0x7FFFFFFF), Mem(None, RBP, 2, -16),
        RipRel(0x1000), RipRel(0x40, 8)]
IMMS = (0, 0x1B, 0xFF)

# Memory access sizes that are not 16 bytes.
_ACCESS = {"pmovsxbw": 8, "pmovsxwd": 8, "pmovsxdq": 8, "pmovzxbw": 8, "pmovzxwd": 8,
           "pmovzxdq": 8, "movddup": 8, "movhps": 8, "pextrb": 1, "pinsrb": 1, "pextrw": 2,
           "pinsrw": 2, "pextrd": 4, "pinsrd": 4, "pextrq": 8, "pinsrq": 8}
_GPR64 = {"pextrq", "pinsrq"}


def _forms():
    """(attribute name, mnemonic, operand kinds) of every form in SimdForms."""
    out = []
    for name in sorted(vars(SimdForms)):
        mnemonic, _, kinds = name.rpartition("_")
        if not mnemonic or not callable(getattr(SimdForms, name)):
            continue
        out.append((name, mnemonic, kinds))
    return out


FORMS = _forms()


def _operand_values(mnemonic: str, kinds: str, reg_pair, mem, imm):
    """Arguments for the form and the operands iced must report, in order."""
    args, want = [], []
    regs = iter(reg_pair)
    for kind in kinds:
        if kind == "x":
            r = next(regs)
            args.append(r)
            want.append(("reg", XMM[r]))
        elif kind == "r":
            r = next(regs)
            args.append(r)
            want.append(("reg", GPR[64 if mnemonic in _GPR64 else 32][r]))
        elif kind == "m":
            args.append(mem)
            want.append(("mem", mem, _ACCESS.get(mnemonic, 16)))
        elif kind == "i":
            args.append(imm)
            want.append(("imm", imm))
    return args, want


def _check(name: str, mnemonic: str, args, want):
    a = Assembler()
    getattr(SimdForms, name)(a, *args)
    code = bytes(a.buf)
    ins = Decoder(64, code).decode()
    text = f"{name}{tuple(args)}: {code.hex(' ')} -> {_FORMATTER.format(ins)}"
    assert ins.code != Code.INVALID, text
    assert ins.len == len(code), text
    assert ins.mnemonic == getattr(Mnemonic, mnemonic.upper()), text
    assert ins.op_count == len(want), text
    for i, w in enumerate(want):
        kind = ins.op_kind(i)
        if w[0] == "reg":
            assert kind == OpKind.REGISTER and ins.op_register(i) == w[1], (text, i)
        elif w[0] == "imm":
            assert kind in _IMM_KINDS and ins.immediate(i) & 0xFF == w[1], (text, i)
        else:
            _, mem, size = w
            assert kind == OpKind.MEMORY, (text, i)
            assert MemorySizeExt.size(ins.memory_size) == size, (text, "access size")
            if type(mem) is RipRel:
                assert ins.is_ip_rel_memory_operand, text
                assert ins.ip_rel_memory_address == mem.target + mem.extra_disp, text
                continue
            base, index, scale, disp = mem
            assert ins.memory_base == (Register.NONE if base is None else GPR[64][base]), text
            assert ins.memory_index == (Register.NONE if index is None else GPR[64][index]), text
            if index is not None:
                assert ins.memory_index_scale == scale, text
            assert ins.memory_displacement == disp & 0xFFFFFFFFFFFFFFFF, text


@pytest.mark.parametrize("name, mnemonic, kinds", FORMS, ids=[f[0] for f in FORMS])
def test_form_decodes_as_asked(name, mnemonic, kinds):
    n_regs = kinds.count("x") + kinds.count("r")
    for i, pair in enumerate(PAIRS):
        mem = MEMS[i % len(MEMS)]
        for imm in (IMMS if "i" in kinds else (None,)):
            args, want = _operand_values(mnemonic, kinds, pair[:n_regs] if n_regs else (), mem,
                                         imm)
            _check(name, mnemonic, args, want)
    if "m" in kinds:
        for i, mem in enumerate(MEMS):
            args, want = _operand_values(mnemonic, kinds, (i, 15 - i)[:n_regs], mem, 0x5A)
            _check(name, mnemonic, args, want)


def test_shift_immediate_groups_use_their_opcode_extension():
    """psrlw/psraw/psllw share 66 0F 71 and differ only in ModRM.reg: a wrong /digit would decode
    as another shift (the generic check above already compares mnemonics, this pins bytes)."""
    a = Assembler()
    SimdForms.psraw_xi(a, 9, 3)
    assert bytes(a.buf) == bytes.fromhex("66 41 0f 71 e1 03")
    a = Assembler()
    SimdForms.pslldq_xi(a, 1, 8)
    assert bytes(a.buf) == bytes.fromhex("66 0f 73 f9 08")


def test_every_form_is_checked():
    assert len(FORMS) > 150


def test_every_form_the_emitters_use_is_checked_here():
    """The SIMD emitters call the forms as `F.<name>(a, ...)`: each such name must be a form this
    file assembles and decodes with iced-x86 (a typo or an unchecked form would fail here, not
    only when a module uses that instruction)."""
    checked = {name for name, _, _ in FORMS}
    used = set()
    for module in ("masm_simd_int", "masm_simd_float", "masm_simd_lanes"):
        source = (Path(emitters.__file__).parent / f"{module}.py").read_text()
        used |= set(re.findall(r"\bF\.([a-z0-9]+_[a-z]+)\b", source))
    assert len(used) > 100
    assert used <= checked, sorted(used - checked)


def test_forms_load_with_the_simd_code_generator_only():
    """The assembler does not carry the forms, so a run without SIMD never imports them."""
    code = ("import sys; import jitwasm.backend_x64.assembler; "
            "print('jitwasm.backend_x64.masm_simd_forms' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert not any(hasattr(Assembler, name) for name, _, _ in FORMS)
