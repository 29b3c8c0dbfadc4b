"""The SIMD emitters (backend_x64/masm_simd*.py) run natively against wasmtime, bit for bit.

Every opcode of SIMD_OPS runs over edge-value inputs (for i8x16 binary ops every pair of byte
values; for wider lanes every pair of edge values: 0, -1, min/max, 0x80.., powers of two and
their neighbours; for float lanes signed zeros, infinities, NaNs with payloads (quiet and
signalling, both signs), denormals, extreme finites, rounding ties and the integer conversion
bounds), plus seeded random vectors; shift counts include 0, the lane width and beyond, and
negative ones; swizzle indices cover all 256 byte values; every lane of every lane op; shuffle
patterns hitting each code path. Three register assignments (low, REX-high, mixed) and the
aliasings the shapes allow (dst == src, every bitselect combination). See
test_masm_simd_harness.py for the harness and the NaN rule.

Statically (iced-x86): each emitter writes only the registers its docstring names, reads only
its operands (and RIP-relative constants), needs nothing beyond SSE4.2/SSSE3/POPCNT, and a
memory emitter's first instruction is its only memory access.
"""

import random

import pytest

from test_masm_simd_harness import (SHIFT_COUNTS, VARIANTS, Case, alias_regs, build_native,
                                    cases_for, check_case, inputs, operands, record,
                                    run_native, scalar_bytes, signature, vectors, REC, RESULT)
from jitwasm.backend_x64 import masm_simd as ms
from jitwasm.backend_x64.assembler import Assembler
from jitwasm.binary import opcodes as op
from jitwasm.binary.types import I32

ALL_OPS = sorted(ms.SIMD_OPS)
OP_IDS = [op.NAMES[o] for o in ALL_OPS]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("opcode", ALL_OPS, ids=OP_IDS)
def test_emitter_matches_wasmtime(opcode, variant):
    for case in cases_for(opcode, random.Random(opcode)):
        check_case(case, VARIANTS[variant])


ALIASABLE = [o for o in ALL_OPS if alias_regs(Case(o, cases_for(o, random.Random(0))[0].imm))]


@pytest.mark.parametrize("opcode", ALIASABLE, ids=[op.NAMES[o] for o in ALIASABLE])
def test_emitter_allows_shared_registers(opcode):
    """dst == src (binary ops then compute op(x, x)), and every bitselect aliasing."""
    for case in cases_for(opcode, random.Random(opcode)):
        for regs, groups in alias_regs(case):
            check_case(case, regs, groups=groups)


SHIFTS = sorted(ms.SIMD_SHIFT_IMM)


@pytest.mark.parametrize("opcode", SHIFTS, ids=[op.NAMES[o] for o in SHIFTS])
def test_shift_by_constant_matches_wasmtime(opcode):
    for count in SHIFT_COUNTS:
        for variant in ("low", "high"):
            check_case(Case(opcode, count, shift_imm=True), VARIANTS[variant])


def test_table_covers_every_simd_instruction():
    wanted = {o for o in op.OPCODES if o >> 8 == op.PREFIX_FD}
    assert wanted == set(ms.SIMD_OPS), sorted(op.NAMES[o] for o in wanted ^ set(ms.SIMD_OPS))
    for opcode, (emit, shape) in ms.SIMD_OPS.items():
        assert emit.__name__ == "emit_" + op.NAMES[opcode].replace(".", "_")
        assert "Writes: " in emit.__doc__, emit.__name__
    shifts = {o for o in wanted if op.NAMES[o].split(".")[1] in ("shl", "shr_s", "shr_u")}
    assert shifts == set(ms.SIMD_SHIFT_IMM)
    assert all(ms.SIMD_OPS[o][1] in (ms.SHAPE_SHIFT, ms.SHAPE_SHIFT_X2) for o in shifts)


@pytest.mark.parametrize("negate", [False, True])
@pytest.mark.parametrize("opcode", sorted(ms.SIMD_TEST_FLAGS),
                         ids=[op.NAMES[o] for o in sorted(ms.SIMD_TEST_FLAGS)])
def test_flag_forms_agree_with_the_value_forms(opcode, negate):
    """SIMD_TEST_FLAGS[opcode] + jcc gives the same 0/1 as the SHAPE_TO_GPR emitter."""
    r = VARIANTS["high"]
    flags = ms.SIMD_TEST_FLAGS[opcode]

    def emit(a, dst, src, xtmp):
        cc = flags(a, src, xtmp)
        if negate:
            cc ^= 1
        taken, join = a.new_label(), a.new_label()
        a.jcc(cc, taken)
        a.mov_ri(32, dst, 0)
        a.jmp(join)
        a.bind(taken)
        a.mov_ri(32, dst, 1)
        a.bind(join)

    case = Case(opcode)
    data = inputs(case)
    want = run_native(case, r, data)
    emit.__name__ = "flags"

    class FlagsCase(Case):
        @property
        def emitter(self):
            return emit
    got = run_native(FlagsCase(opcode), r, data)
    for base in range(0, len(data), REC):
        w = want[base + RESULT] ^ negate
        assert got[base + RESULT:base + RESULT + 8] == bytes((w,)) + bytes(7), data[base:base + 16]


def test_dynamic_shift_ignores_the_upper_half_of_the_count():
    """The count GPR carries garbage above bit 31 (the records put 0x44332211 there)."""
    rec = record(bytes(range(16)), scalar_bytes(I32, 1))
    assert rec[16:24] == bytes.fromhex("01000000 11223344")
    case = Case(op.I32X4_SHL)
    out = run_native(case, VARIANTS["low"], rec)
    assert out[RESULT:RESULT + 16] == bytes((2 * b) & 0xFF for b in range(16))


# ---- static checks with iced-x86 --------------------------------------------------------------

def _decode(code: bytes):
    iced = pytest.importorskip("iced_x86")
    out = list(iced.Decoder(64, code))
    assert all(i.code != iced.Code.INVALID for i in out)
    return out


_ICED_GPR = ("RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
             "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15")
_ALLOWED_CPUID = {"INTEL8086", "INTEL386", "X64", "SSE", "SSE2", "SSE3", "SSSE3", "SSE4_1",
                  "SSE4_2", "CMOV"}


def _case_sample(opcode: int) -> Case:
    cases = cases_for(opcode, random.Random(opcode))
    return cases[len(cases) // 2]


def _static_cases():
    out = []
    for opcode in ALL_OPS:
        for case in cases_for(opcode, random.Random(opcode)):
            out.append(case)
    for opcode in SHIFTS:
        out += [Case(opcode, c, shift_imm=True) for c in (1, 3, 7, 9, 33)]
    return out


def test_emitters_touch_only_their_operands_and_declared_registers():
    """Decoded with iced-x86: each emitter writes only registers its docstring's "Writes:" names
    (dst, xtmp, xtmp2), and, over its cases and aliasings, every one of them; it reads only
    its operands, those, and RIP (the constant pool)."""
    iced = pytest.importorskip("iced_x86")
    info = iced.InstructionInfoFactory()
    full = iced.RegisterExt.full_register
    writes = {iced.OpAccess.WRITE, iced.OpAccess.READ_WRITE, iced.OpAccess.COND_WRITE,
              iced.OpAccess.READ_COND_WRITE}
    xmm = lambda n: full(getattr(iced.Register, f"XMM{n}"))  # noqa: E731
    gpr = lambda n: full(getattr(iced.Register, _ICED_GPR[n]))  # noqa: E731
    written_names = {}                   # emitter -> names of the registers it wrote somewhere
    for case in _static_cases():
        declared = case.emitter.__doc__.rsplit("Writes: ", 1)[1].rstrip(".").split(", ")
        for r in [VARIANTS["mixed"]] + [regs for regs, _ in alias_regs(case)]:
            args, result, call = operands(case, r)
            a = Assembler()
            case.emitter(a, *call)
            written, used = set(), set()
            for ins in _decode(bytes(a.buf)):
                for u in info.info(ins).used_registers():
                    reg = full(u.register)
                    used.add(reg)
                    if u.access in writes:
                        written.add(reg)
            res = set() if result is None else {xmm(result[1]) if result[0] else gpr(result[1])}
            named = {"dst": res, "xtmp": {xmm(r.t)}, "xtmp2": {xmm(r.t2)}, "nothing": set()}
            assert all(word in named for word in declared), (case.name, declared)
            allowed = set().union(*(named[word] for word in declared))
            sources = {xmm(reg) if is_x else gpr(reg) for _, is_x, reg in args}
            if case.shape in (ms.SHAPE_LOAD, ms.SHAPE_LOAD_LANE, ms.SHAPE_STORE,
                              ms.SHAPE_STORE_LANE):
                sources |= {gpr(r.base), gpr(r.index)}
            where = f"{case.name} {case.imm!r} {r}"
            assert written <= allowed, (where, written - allowed, declared)
            assert used <= allowed | sources | {iced.Register.RIP}, (where, used)
            written_names.setdefault(case.emitter, set()).update(
                word for word in declared if named[word] & written)
    for emitter, names in written_names.items():
        declared = emitter.__doc__.rsplit("Writes: ", 1)[1].rstrip(".").split(", ")
        assert names == set(declared) - {"nothing"}, (emitter.__name__, names, declared)


def test_emitters_need_at_most_sse42():
    iced = pytest.importorskip("iced_x86")
    names = {v: k for k, v in vars(iced.CpuidFeature).items() if not k.startswith("_")}
    r = VARIANTS["high"]
    for case in _static_cases():
        a = Assembler()
        case.emitter(a, *operands(case, r)[2])
        for ins in _decode(bytes(a.buf)):
            features = {names[f] for f in ins.cpuid_features()}
            assert features <= _ALLOWED_CPUID, (case.name, str(ins), features)


def test_memory_access_is_the_first_instruction():
    """The compiler records the trap site at the offset before the emitter call."""
    iced = pytest.importorskip("iced_x86")
    r = VARIANTS["low"]
    for opcode in ALL_OPS:
        shape = ms.SIMD_OPS[opcode][1]
        if shape not in (ms.SHAPE_LOAD, ms.SHAPE_LOAD_LANE, ms.SHAPE_STORE,
                         ms.SHAPE_STORE_LANE):
            continue
        for case in cases_for(opcode, random.Random(0)):
            a = Assembler()
            case.emitter(a, *operands(case, r)[2])
            decoded = _decode(bytes(a.buf))
            memory = [i for i, ins in enumerate(decoded)
                      if any(ins.op_kind(k) == iced.OpKind.MEMORY for k in range(ins.op_count))
                      and not ins.is_ip_rel_memory_operand]
            assert memory == [0], (case.name, case.imm, [str(i) for i in decoded])


def test_native_loop_builds_for_every_case():
    """Every case assembles (lane immediates in range, pool constants resolvable)."""
    for case in _static_cases():
        build_native(case, VARIANTS["low"])
    assert len(vectors("i8", random.Random(0))) > 16
    assert signature(op.V128_STORE)[1] is None


def test_nan_rule_of_the_harness():
    """The checker itself: a lane where wasmtime has a NaN accepts exactly the NaNs the spec
    allows, and other lanes must be equal."""
    from test_masm_simd_harness import nan_lanes_ok
    add = op.F32X4_ADD
    canon, arith, snan, one = 0x7FC00000, 0x7FC00001, 0x7F800001, 0x3F800000

    def v(*lanes):
        return b"".join(x.to_bytes(4, "little") for x in lanes)

    def rec(x, y):
        return x + y + bytes(96)
    inputs_canon = rec(v(canon, one, one, one), v(one, one, one, one))
    inputs_arith = rec(v(arith, one, one, one), v(one, one, one, one))
    theirs = v(canon, 0x40000000, 0x40000000, 0x40000000)
    assert nan_lanes_ok(add, inputs_canon, v(canon | 1 << 31, *[0x40000000] * 3), theirs)
    assert not nan_lanes_ok(add, inputs_canon, v(arith, *[0x40000000] * 3), theirs)
    assert nan_lanes_ok(add, inputs_arith, v(arith, *[0x40000000] * 3), theirs)
    assert not nan_lanes_ok(add, inputs_arith, v(snan, *[0x40000000] * 3), theirs)
    assert not nan_lanes_ok(add, inputs_arith, v(one, *[0x40000000] * 3), theirs)
    assert not nan_lanes_ok(add, inputs_arith, v(arith, one, *[0x40000000] * 2), theirs)
