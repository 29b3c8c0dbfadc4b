"""Harness for the SIMD emitter tests: one case run natively through an emitter and in wasmtime.

Not a test module itself (it holds no tests); test_masm_simd*.py import it.

A case is an opcode plus its immediate (lane, shuffle pattern, constant, or a constant shift
count). Inputs are 128-byte records, the same bytes for both engines:

    0..47    arguments, one 16-byte slot each (scalars in the low bytes, garbage above them);
             for memory ops bytes 0..31 are the memory read at record + 3 (unaligned) and the
             vector operand sits in slot 2 (32..47)
    48..79   result (v128 in 48..63, scalars in the low bytes, zeros above); stores write
             record + 51 into a prefilled pattern and the whole 32 bytes are compared
    80..127  native only: the argument registers after the emitter ran (they must be intact)

wasmtime runs a Wasm loop over the records (load the arguments from memory, apply the op, store
the result); the native side is a machine-code loop that fills every register the emitter may
touch with garbage, loads the arguments, calls the emitter and stores the result and the argument
registers. Results must agree bit for bit, except float NaN lanes, which are checked against the
spec's rule instead: a NaN wherever wasmtime has one, quiet, and canonical when every NaN among
the lane's inputs is canonical (wasmtime's own NaN bits may legitimately differ).
"""

import ctypes
import functools
import random
import struct
from typing import NamedTuple

import wasmtime

from jitwasm.backend_x64 import masm_simd as ms
from jitwasm.backend_x64.assembler import ALU_ADD, ALU_SUB, Assembler, Mem
from jitwasm.backend_x64.regs import (CC_E, CC_NE, R9, R10, R11, R12, R13, R14, R15, RAX, RBP,
                                      RBX, RCX, RDI, RDX, RSI, XMM0, XMM1, XMM2, XMM3, XMM4,
                                      XMM7, XMM8, XMM9, XMM10, XMM11, XMM12, XMM13, XMM14, XMM15)
from jitwasm.binary import opcodes as op
from jitwasm.binary.types import F32, F64, I32, I64, V128
from jitwasm.runtime.code_memory import CodeMemory

REC = 128
RESULT, AFTER = 48, 80
MEM_OFFSET, STORE_OFFSET, VECTOR_SLOT = 3, RESULT + 3, 2
SHAPE_SHIFT_IMM = -1          # test-only shape: a shift through SIMD_SHIFT_IMM
MEMORY_SHAPES = (ms.SHAPE_LOAD, ms.SHAPE_LOAD_LANE, ms.SHAPE_STORE, ms.SHAPE_STORE_LANE)
STORE_SHAPES = (ms.SHAPE_STORE, ms.SHAPE_STORE_LANE)
_STORE_FILL = bytes(range(0xA0, 0xC0))
_GARBAGE_XMM = bytes.fromhex("cd ab 78 56 34 12 c0 ff 34 12 ef be ad de f4 7f")
_GARBAGE_GPR = 0x5A5A_1234_A5A5_4321
_SCALAR_FILL = bytes.fromhex("ef be ad de 11 22 33 44 55 66 77 88 99 aa bb cc")

WIDTH = {I32: 4, I64: 8, F32: 4, F64: 8, V128: 16}
LOAD_OP = {V128: "v128.load", I32: "i32.load", I64: "i64.load", F32: "f32.load",
           F64: "f64.load"}
STORE_OP = {V128: "v128.store", I32: "i32.store", I64: "i64.store", F32: "f32.store",
            F64: "f64.store"}


class Case(NamedTuple):
    opcode: int
    imm: object = None     # lane index, shuffle lanes, const bytes, or a constant shift count
    shift_imm: bool = False

    @property
    def name(self) -> str:
        return op.NAMES[self.opcode]

    @property
    def shape(self) -> int:
        return SHAPE_SHIFT_IMM if self.shift_imm else ms.SIMD_OPS[self.opcode][1]

    @property
    def emitter(self):
        return ms.SIMD_SHIFT_IMM[self.opcode] if self.shift_imm else ms.SIMD_OPS[self.opcode][0]


class Regs(NamedTuple):
    d: int      # XMM destination (the vector operand of replace_lane/load_lane)
    s: int      # XMM source
    s2: int     # XMM second source (bitselect mask)
    t: int      # XMM temporary
    t2: int     # second XMM temporary
    gd: int     # GPR destination
    gs: int     # GPR source (shift count, splat/replace scalar)
    base: int   # memory operand base
    index: int  # memory operand index (holds 16; displacement - 16)


# r12/r13 run the loop; the harness saves every callee-saved register.
VARIANTS = {
    "low": Regs(XMM0, XMM1, XMM2, XMM15, XMM3, RAX, RCX, RBX, RDX),
    "high": Regs(XMM9, XMM14, XMM12, XMM8, XMM11, RSI, R15, R14, R11),
    "mixed": Regs(XMM7, XMM10, XMM4, XMM13, XMM15, R10, RDI, RBP, R9),
}


def signature(opcode: int):
    pops, pushes = op.SIGNATURES[opcode]
    return tuple(reversed(pops)), (pushes[0] if pushes else None)


def is_float(t: int) -> bool:
    return t in (F32, F64)


def operands(case: Case, r: Regs):
    """(register arguments as (slot, is_xmm, reg), result (is_xmm, reg) or None, call args)."""
    params, result = signature(case.opcode)
    shape, imm = case.shape, case.imm
    x, g = True, False
    scalar = lambda t: (x, r.s) if is_float(t) else (g, r.gs)  # noqa: E731
    if shape == ms.SHAPE_BINARY:
        return [(0, x, r.d), (1, x, r.s)], (x, r.d), (r.d, r.s, r.t)
    if shape == ms.SHAPE_UNARY:
        return [(0, x, r.s)], (x, r.d), (r.d, r.s, r.t)
    if shape == ms.SHAPE_TERNARY:
        return [(0, x, r.d), (1, x, r.s), (2, x, r.s2)], (x, r.d), (r.d, r.s, r.s2, r.t)
    if shape == ms.SHAPE_SHIFT:
        return [(0, x, r.d), (1, g, r.gs)], (x, r.d), (r.d, r.gs, r.t)
    if shape == ms.SHAPE_SHIFT_X2:
        return [(0, x, r.d), (1, g, r.gs)], (x, r.d), (r.d, r.gs, r.t, r.t2)
    if shape == SHAPE_SHIFT_IMM:
        return [(0, x, r.d)], (x, r.d), (r.d, imm, r.t)
    if shape == ms.SHAPE_TO_GPR:
        return [(0, x, r.s)], (g, r.gd), (r.gd, r.s, r.t)
    if shape == ms.SHAPE_SPLAT:
        is_x, reg = scalar(params[0])
        return [(0, is_x, reg)], (x, r.d), (r.d, reg)
    if shape == ms.SHAPE_EXTRACT:
        dst = (x, r.d) if is_float(result) else (g, r.gd)
        return [(0, x, r.s)], dst, (dst[1], r.s, imm)
    if shape == ms.SHAPE_REPLACE:
        is_x, reg = scalar(params[1])
        return [(0, x, r.d), (1, is_x, reg)], (x, r.d), (r.d, reg, imm)
    if shape == ms.SHAPE_SHUFFLE:
        return [(0, x, r.d), (1, x, r.s)], (x, r.d), (r.d, r.s, imm, r.t)
    if shape == ms.SHAPE_CONST:
        return [], (x, r.d), (r.d, imm)
    load = Mem(r.base, r.index, 1, MEM_OFFSET - 16)
    store = Mem(r.base, r.index, 1, STORE_OFFSET - 16)
    if shape == ms.SHAPE_LOAD:
        return [], (x, r.d), (r.d, load)
    if shape == ms.SHAPE_LOAD_LANE:
        return [(VECTOR_SLOT, x, r.d)], (x, r.d), (r.d, load, imm)
    if shape == ms.SHAPE_STORE:
        return [(VECTOR_SLOT, x, r.s)], None, (store, r.s)
    if shape == ms.SHAPE_STORE_LANE:
        return [(VECTOR_SLOT, x, r.s)], None, (store, r.s, imm)
    raise AssertionError(shape)


# ---- native --------------------------------------------------------------------------------------

_LOOP = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64)


def build_native(case: Case, r: Regs) -> CodeMemory:
    """`void f(uint8_t *records, uint64_t count)` running the case's emitter on each record."""
    args, result, call = operands(case, r)
    a = Assembler()
    saved = (RBX, RBP, R12, R13, R14, R15)
    for reg in saved:
        a.push_r(reg)
    a.mov_rr(64, R12, RDI)
    a.mov_rr(64, R13, RSI)
    top, done = a.new_label(), a.new_label()
    a.test_rr(64, R13, R13)
    a.jcc(CC_E, done)
    a.bind(top)
    for reg in sorted({r.d, r.s, r.s2, r.t, r.t2}):
        a.movups_xm(reg, a.const128(_GARBAGE_XMM))
    for reg in (r.gd, r.gs):
        a.mov_ri(64, reg, _GARBAGE_GPR)
    if case.shape in MEMORY_SHAPES:
        a.mov_rr(64, r.base, R12)
        a.mov_ri(64, r.index, 16)
    for slot, is_xmm, reg in args:
        if is_xmm:
            a.movdqu_xm(reg, Mem(R12, None, 1, 16 * slot))
        else:
            a.mov_rm(64, reg, Mem(R12, None, 1, 16 * slot))
    case.emitter(a, *call)
    if result is not None:
        is_xmm, reg = result
        if is_xmm:
            a.movdqu_mx(Mem(R12, None, 1, RESULT), reg)
        else:
            a.mov_mr(64, Mem(R12, None, 1, RESULT), reg)
    for i, (slot, is_xmm, reg) in enumerate(args):
        if is_xmm:
            a.movdqu_mx(Mem(R12, None, 1, AFTER + 16 * i), reg)
        else:
            a.mov_mr(64, Mem(R12, None, 1, AFTER + 16 * i), reg)
    a.alu_ri(ALU_ADD, 64, R12, REC)
    a.alu_ri(ALU_SUB, 64, R13, 1)
    a.jcc(CC_NE, top)
    a.bind(done)
    for reg in reversed(saved):
        a.pop_r(reg)
    a.ret()
    return CodeMemory(a.finish(), traps=False)


def run_native(case: Case, r: Regs, records: bytes) -> bytes:
    code = build_native(case, r)
    buf = bytearray(records)
    cbuf = (ctypes.c_char * len(buf)).from_buffer(buf)
    code.function(_LOOP)(ctypes.addressof(cbuf), len(buf) // REC)
    del cbuf
    return bytes(buf)


# ---- wasmtime ------------------------------------------------------------------------------------

def _imm_text(case: Case) -> str:
    if case.imm is None or case.shift_imm:
        return ""
    if isinstance(case.imm, int):
        return f" {case.imm}"
    return " " + " ".join(str(b) for b in case.imm)


def wasm_body(case: Case) -> str:
    """The loop body for one record at $p (flat instruction syntax)."""
    params, result = signature(case.opcode)
    shape, name, p = case.shape, case.name, "local.get $p"
    if shape == ms.SHAPE_CONST:
        return f"{p} v128.const i8x16{_imm_text(case)} v128.store offset={RESULT}"
    if shape == SHAPE_SHIFT_IMM:
        return (f"{p} {p} v128.load i32.const {case.imm} {name} "
                f"v128.store offset={RESULT}")
    if shape == ms.SHAPE_LOAD:
        return f"{p} {p} {name} offset={MEM_OFFSET} v128.store offset={RESULT}"
    vector = f"{p} v128.load offset={16 * VECTOR_SLOT}"
    if shape == ms.SHAPE_LOAD_LANE:
        return (f"{p} {p} {vector} {name} offset={MEM_OFFSET}{_imm_text(case)} "
                f"v128.store offset={RESULT}")
    if shape in STORE_SHAPES:
        return f"{p} {vector} {name} offset={STORE_OFFSET}{_imm_text(case)}"
    loads = " ".join(f"{p} {LOAD_OP[t]} offset={16 * i}" for i, t in enumerate(params))
    return f"{p} {loads} {name}{_imm_text(case)} {STORE_OP[result]} offset={RESULT}"


_PAGES = 20
_WAT = """(module (memory (export "mem") {pages})
 (func (export "run") (param $n i32) (local $p i32)
  (block $done (loop $top
   local.get $n i32.eqz br_if $done
   {body}
   local.get $p i32.const {rec} i32.add local.set $p
   local.get $n i32.const 1 i32.sub local.set $n
   br $top))))"""


@functools.lru_cache(maxsize=None)
def _engine():
    return wasmtime.Engine()


def run_wasmtime(case: Case, records: bytes) -> bytes:
    store = wasmtime.Store(_engine())
    wat = _WAT.format(pages=_PAGES, body=wasm_body(case), rec=REC)
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, wat), [])
    exports = instance.exports(store)
    memory = exports["mem"]
    assert len(records) <= _PAGES * 65536
    memory.write(store, records, 0)
    exports["run"](store, len(records) // REC)
    return bytes(memory.read(store, 0, len(records)))


# ---- inputs --------------------------------------------------------------------------------------

_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")
_D = struct.Struct("<d")
_Q = struct.Struct("<Q")


def f32(x: float) -> int:
    return _U32.unpack(_F32.pack(x))[0]


def f64(x: float) -> int:
    return _Q.unpack(_D.pack(x))[0]


LANE_BITS = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64, "bits": 8}
_SHAPES = {"i8x16": "i8", "i16x8": "i16", "i32x4": "i32", "i64x2": "i64", "f32x4": "f32",
           "f64x2": "f64", "v128": "bits"}


def _float_edges(width: int) -> list:
    bits = f32 if width == 32 else f64
    sign, exp = 1 << (width - 1), (0xFF << 23) if width == 32 else (0x7FF << 52)
    quiet, mant = (1 << 22, (1 << 23) - 1) if width == 32 else (1 << 51, (1 << 52) - 1)
    out = [0, sign, exp, sign | exp, exp | quiet, sign | exp | quiet, exp | quiet | 1,
           sign | exp | quiet | 0x5A5, exp | 1, sign | exp | (quiet >> 1), exp | mant,
           1, sign | 1, mant, sign | mant, mant + 1, sign | (mant + 1),
           (exp - (mant + 1)) | mant, sign | (exp - (mant + 1)) | mant]
    values = [1.0, 0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999997, 0.99999994, 1.0000001,
              3.1415927, 1e-30, 1e30, 123456.75, 8388607.5, 8388609.0, 2.0 ** 23, 2.0 ** 24,
              2.0 ** 31, 2.0 ** 31 - 128, 2.0 ** 32, 2.0 ** 32 - 256, -2.0 ** 31,
              -2.0 ** 31 - 256, 2.0 ** 63, 2.0 ** 64, 65535.0, 65536.5, -0.9]
    if width == 64:
        values += [2147483647.0, 2147483647.5, 2147483648.0, -2147483648.9, -2147483649.0,
                   4294967295.0, 4294967295.5, 4294967296.0, 2.0 ** 52, 2.0 ** 52 + 1,
                   4503599627370495.5, 2.0 ** 53, 1e300, 1e-300, 3.4028235677973366e38,
                   1.401298464324817e-45, 7e-46]
    out += [bits(v) for v in values] + [bits(-v) for v in values]
    return list(dict.fromkeys(x & ((1 << width) - 1) for x in out))


def _int_edges(width: int) -> list:
    mask = (1 << width) - 1
    out = {0, 1, 2, 3, 7, mask, mask - 1}
    for p in range(0, width, 4):
        out |= {1 << p, (1 << p) - 1, mask ^ (1 << p), mask - (1 << p) + 1}
    half = 1 << (width - 1)
    out |= {half, half - 1, half + 1, half - 2, 0x7F & mask, 0x80 & mask, 0xFF & mask,
            0x8000 & mask, 0x7FFF & mask, 0xFFFF & mask}
    return sorted(out)


LANE_EDGES = {"i8": list(range(256)), "i16": _int_edges(16), "i32": _int_edges(32),
              "i64": _int_edges(64), "f32": _float_edges(32), "f64": _float_edges(64),
              "bits": [0, 0xFF, 0x80, 0x7F, 0x55, 0xAA, 0x01, 0xFE]}
SHIFT_COUNTS = [c & 0xFFFFFFFF for c in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15, 16, 17, 31, 32, 33,
                                         62, 63, 64, 65, 127, 128, 255, 256, 0x7FFFFFFF,
                                         0x80000000, -1, -7, -8, -9, -15, -16, -17, -31, -32,
                                         -33, -63, -64, -65)]


def lane_kind(opcode: int) -> str:
    """Lane interpretation of the op's v128 inputs: the shape in the name's suffix (narrow,
    extend, convert, ...) or else its prefix."""
    prefix, _, rest = op.NAMES[opcode].partition(".")
    for shape, kind in _SHAPES.items():
        if "_" + shape in rest:
            return kind
    return _SHAPES[prefix]


def pack_lanes(kind: str, values) -> bytes:
    size = LANE_BITS[kind] // 8
    return b"".join((v & ((1 << (8 * size)) - 1)).to_bytes(size, "little") for v in values)


def spread(kind: str, values: list, rng: random.Random) -> list:
    """16-byte vectors holding `values` in lane order (the last one padded randomly)."""
    n = 16 * 8 // LANE_BITS[kind]
    values = list(values)
    values += [rng.choice(LANE_EDGES[kind]) for _ in range(-len(values) % n)]
    return [pack_lanes(kind, values[i:i + n]) for i in range(0, len(values), n)]


def vectors(kind: str, rng: random.Random, n_random: int = 64) -> list:
    """Every edge lane value somewhere, shuffled variants, and random vectors."""
    edges = LANE_EDGES[kind]
    out = spread(kind, edges, rng) + spread(kind, rng.sample(edges, len(edges)), rng)
    out += [rng.randbytes(16) for _ in range(n_random)]
    return out


def vector_pairs(kind: str, rng: random.Random, n_random: int = 128) -> list:
    """(a, b) vectors such that every pair of edge values meets in some lane, plus random."""
    edges = LANE_EDGES[kind]
    pairs = [(x, y) for x in edges for y in edges]
    left = spread(kind, [x for x, _ in pairs], rng)
    right = spread(kind, [y for _, y in pairs], rng)
    out = list(zip(left, right))
    out += [(rng.randbytes(16), rng.randbytes(16)) for _ in range(n_random)]
    return out


def scalar_bytes(t: int, value: int) -> bytes:
    """A scalar argument slot: the value's bytes, garbage above (must be ignored)."""
    size = WIDTH[t]
    return (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little") + _SCALAR_FILL[size:]


SCALAR_EDGES = {I32: _int_edges(32), I64: _int_edges(64), F32: _float_edges(32),
                F64: _float_edges(64)}


def record(*slots: bytes, store: bool = False) -> bytes:
    """A 128-byte record from argument slots (16 bytes each, or 32 bytes of memory)."""
    data = b"".join(slots)
    data += bytes(RESULT - len(data))
    return data + (_STORE_FILL if store else bytes(32)) + bytes(REC - RESULT - 32)


def inputs(case: Case) -> bytes:
    """The records for a case (deterministic per opcode)."""
    rng = random.Random(case.opcode)
    params, _ = signature(case.opcode)
    shape = case.shape
    kind = lane_kind(case.opcode) if V128 in params else None
    if shape == ms.SHAPE_BINARY:
        recs = [record(x, y) for x, y in vector_pairs(kind, rng)]
    elif shape == ms.SHAPE_SHUFFLE:              # data movement: distinct and random bytes
        recs = [record(bytes(range(16)), bytes(range(16, 32)))]
        recs += [record(rng.randbytes(16), rng.randbytes(16)) for _ in range(48)]
    elif shape in (ms.SHAPE_UNARY, ms.SHAPE_TO_GPR, ms.SHAPE_EXTRACT, SHAPE_SHIFT_IMM):
        recs = [record(v) for v in vectors(kind, rng)]
        if shape == ms.SHAPE_TO_GPR:     # all-true / any-true need lanes that are all nonzero
            recs += [record(pack_lanes(kind, [rng.choice(LANE_EDGES[kind][1:])
                                              for _ in range(128 // LANE_BITS[kind])]))
                     for _ in range(32)]
            recs += [record(bytes(16)), record(b"\xff" * 16)]
    elif shape == ms.SHAPE_TERNARY:
        specials = [bytes(16), b"\xff" * 16, bytes(range(16)), b"\x0f\xf0" * 8]
        recs = [record(x, y, m) for x in specials[:2] for y in specials[:2] for m in specials]
        recs += [record(rng.randbytes(16), rng.randbytes(16), rng.randbytes(16))
                 for _ in range(200)]
    elif shape in (ms.SHAPE_SHIFT, ms.SHAPE_SHIFT_X2):
        vecs = vectors(kind, rng, 8)
        recs = [record(v, scalar_bytes(I32, c)) for c in SHIFT_COUNTS for v in vecs[::3]]
    elif shape == ms.SHAPE_SPLAT:
        recs = [record(scalar_bytes(params[0], v)) for v in SCALAR_EDGES[params[0]]]
    elif shape == ms.SHAPE_REPLACE:
        vecs = vectors(kind, rng, 8)
        recs = [record(vecs[i % len(vecs)], scalar_bytes(params[1], v))
                for i, v in enumerate(SCALAR_EDGES[params[1]])]
    elif shape == ms.SHAPE_CONST:
        recs = [record()]
    else:                                 # memory: 32 bytes of memory, the vector in slot 2
        memories = [bytes(32), b"\xff" * 32, b"\x80\x7f" * 16, bytes(range(32))]
        memories += [rng.randbytes(32) for _ in range(40)]
        vecs = vectors("i8", rng, 8)
        recs = [record(m, vecs[i % len(vecs)], store=shape in STORE_SHAPES)
                for i, m in enumerate(memories)]
    return b"".join(recs)


def alias_slots(data: bytes, groups) -> bytes:
    """Records where the slots of each group hold the same bytes (operands in one register)."""
    out = bytearray(data)
    for base in range(0, len(out), REC):
        for first, *rest in groups:
            for slot in rest:
                out[base + 16 * slot:base + 16 * slot + 16] = \
                    out[base + 16 * first:base + 16 * first + 16]
    return bytes(out)


# ---- comparison ----------------------------------------------------------------------------------

_NAN_MNEMONICS = {"add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor", "trunc",
                  "nearest", "demote_f64x2_zero", "promote_low_f32x4"}


def nan_nondeterministic(opcode: int) -> bool:
    prefix, _, mnemonic = op.NAMES[opcode].partition(".")
    return prefix in ("f32x4", "f64x2") and mnemonic in _NAN_MNEMONICS


def _lane(data: bytes, i: int, width: int) -> int:
    size = width // 8
    return int.from_bytes(data[i * size:(i + 1) * size], "little")


def _nan_class(bits: int, width: int):
    """None for a number, else 'canonical' / 'arithmetic' / 'signalling'."""
    exp_bits = 8 if width == 32 else 11
    mant_bits = width - 1 - exp_bits
    exp = (bits >> mant_bits) & ((1 << exp_bits) - 1)
    mant = bits & ((1 << mant_bits) - 1)
    if exp != (1 << exp_bits) - 1 or not mant:
        return None
    quiet = 1 << (mant_bits - 1)
    if mant == quiet:
        return "canonical"
    return "arithmetic" if mant & quiet else "signalling"


def nan_lanes_ok(opcode: int, rec: bytes, ours: bytes, theirs: bytes) -> bool:
    """Lanes where wasmtime has a number must be equal; where it has a NaN, ours must be a NaN
    of the class the spec allows (quiet; canonical if every NaN input of the lane is)."""
    name = op.NAMES[opcode]
    out_width = 32 if name.startswith("f32x4") else 64
    in_width = 64 if "f64x2" in name.partition(".")[2] else 32 if "f32x4" in \
        name.partition(".")[2] else out_width
    params, _ = signature(opcode)
    inputs_ = [rec[16 * i:16 * i + 16] for i, t in enumerate(params) if t == V128]
    for i in range(128 // out_width):
        o, t = _lane(ours, i, out_width), _lane(theirs, i, out_width)
        if _nan_class(t, out_width) is None:
            if o != t:
                return False
            continue
        if _nan_class(o, out_width) in (None, "signalling"):
            return False
        classes = [_nan_class(_lane(v, i, in_width), in_width) for v in inputs_]
        if all(c in (None, "canonical") for c in classes) and \
                _nan_class(o, out_width) != "canonical":
            return False
    return True


def result_width(case: Case) -> int:
    """Bytes of the result area compared (an i32 GPR result: 8, its upper half must be 0)."""
    _, result = signature(case.opcode)
    if case.shape in STORE_SHAPES:
        return 32
    if result == I32:
        return 8
    return WIDTH[result]


def compare(case: Case, r: Regs, data: bytes, ours: bytes, theirs: bytes) -> list:
    """Descriptions of the records where native and wasmtime disagree (empty when none)."""
    args, result, _ = operands(case, r)
    width = result_width(case)
    preserved = [(i, slot, 16 if is_xmm else 8) for i, (slot, is_xmm, reg) in enumerate(args)
                 if result is None or reg != result[1] or is_xmm != result[0]]
    nan_ok = nan_nondeterministic(case.opcode)
    failures = []
    for base in range(0, len(data), REC):
        rec = data[base:base + REC]
        o = ours[base + RESULT:base + RESULT + width]
        t = theirs[base + RESULT:base + RESULT + width]
        problem = None
        if not nan_lanes_ok(case.opcode, rec, o, t) if nan_ok else o != t:
            problem = f"got {o.hex(' ')}, wasmtime {t.hex(' ')}"
        for i, slot, size in preserved:
            before = rec[16 * slot:16 * slot + size]
            after = ours[base + AFTER + 16 * i:base + AFTER + 16 * i + size]
            if before != after:
                problem = f"argument {i} clobbered: {before.hex(' ')} -> {after.hex(' ')}"
        if problem:
            args_text = " | ".join(rec[16 * s:16 * s + 16].hex(" ") for s, _, _ in args)
            failures.append(f"{case.name}{_imm_text(case)} [{args_text}]: {problem}")
    return failures


def check_case(case: Case, r: Regs, data: bytes = None, groups=()) -> int:
    """Run a case on both engines and assert agreement; returns the number of records."""
    if data is None:
        data = inputs(case)
    if groups:
        data = alias_slots(data, groups)
    ours = run_native(case, r, data)
    theirs = run_wasmtime(case, data)
    failures = compare(case, r, data, ours, theirs)
    n = len(data) // REC
    assert not failures, f"{len(failures)} of {n} wrong:\n" + "\n".join(failures[:12])
    return n


def alias_regs(case: Case):
    """(Regs, slot groups) variants where operands share a register, per shape."""
    base = VARIANTS["high"]
    shape = case.shape
    params, result = signature(case.opcode)
    if shape in (ms.SHAPE_BINARY, ms.SHAPE_SHUFFLE):
        return [(base._replace(s=base.d), [(0, 1)])]
    if shape == ms.SHAPE_UNARY:
        return [(base._replace(s=base.d), [])]
    if shape == ms.SHAPE_TERNARY:
        return [(base._replace(s=base.d), [(0, 1)]), (base._replace(s2=base.d), [(0, 2)]),
                (base._replace(s2=base.s), [(1, 2)]),
                (base._replace(s=base.d, s2=base.d), [(0, 1, 2)])]
    if shape in (ms.SHAPE_SPLAT, ms.SHAPE_EXTRACT) and (is_float(params[0]) or is_float(result)):
        return [(base._replace(s=base.d), [])]
    if shape == ms.SHAPE_REPLACE and is_float(params[1]):
        return [(base._replace(s=base.d), [(0, 1)])]
    return []


def lane_count(opcode: int) -> int:
    return op.LANES[opcode]


def cases_for(opcode: int, rng: random.Random) -> list:
    """The cases (immediates) that cover an opcode."""
    shape = ms.SIMD_OPS[opcode][1]
    if shape in (ms.SHAPE_EXTRACT, ms.SHAPE_REPLACE, ms.SHAPE_LOAD_LANE, ms.SHAPE_STORE_LANE):
        return [Case(opcode, lane) for lane in range(lane_count(opcode))]
    if shape == ms.SHAPE_SHUFFLE:
        return [Case(opcode, pattern) for pattern in shuffle_patterns(rng)]
    if shape == ms.SHAPE_CONST:
        return [Case(opcode, data) for data in const_patterns(rng)]
    return [Case(opcode)]


def shuffle_patterns(rng: random.Random) -> list:
    """Patterns hitting each strategy of emit_i8x16_shuffle, and random ones."""
    ident = list(range(16))
    pats = [ident, [i + 16 for i in ident], ident[::-1], [i + 16 for i in ident[::-1]],
            [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11],           # pshufd
            [20, 21, 22, 23] * 4,                                              # pshufd on src
            [0, 1, 18, 19, 4, 5, 22, 23, 8, 9, 26, 27, 12, 13, 30, 31],        # pblendw
            [16, 17, 2, 3, 20, 21, 6, 7, 24, 25, 10, 11, 28, 29, 14, 15],
            list(range(3, 19)), list(range(15, 31)), list(range(1, 17)),     # palignr
            [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23],          # punpcklbw
            [31, 0] * 8, [0] * 16, [31] * 16, [15, 16] * 8]
    pats += [[rng.randrange(32) for _ in range(16)] for _ in range(12)]
    pats += [[rng.randrange(16) for _ in range(16)] for _ in range(4)]
    pats += [[rng.randrange(16, 32) for _ in range(16)] for _ in range(4)]
    return [bytes(p) for p in pats]


def const_patterns(rng: random.Random) -> list:
    return [bytes(16), b"\xff" * 16, bytes(range(16)), b"\x00" * 15 + b"\x01",
            b"\xff" * 15 + b"\xfe"] + [rng.randbytes(16) for _ in range(4)]
