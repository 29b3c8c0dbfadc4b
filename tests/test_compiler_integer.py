"""Integer instructions of the baseline compiler against a Python model of Wasm semantics.

Every operation is compiled with its operands in each place the value stack can hold them:
lazy local reads (memory operands), registers, spilled stack slots, immediates on either side and
both constants (folded at compile time), and comparisons also in each flag consumer (if, br_if,
select, eqz). The operands are edge values (0, +-1, INT_MIN, INT_MAX, shift counts around the
width, ...), so division traps, INT_MIN / -1, shifts by >= width and sign handling are covered.
"""

import itertools

import pytest

from compiler_harness import run, signed, trap_message
from jitwasm.backend_x64 import masm
from jitwasm.errors import Trap

DIV0 = "integer divide by zero"
OVERFLOW = "integer overflow"

EDGES = {
    32: [0, 1, 2, 3, 7, 31, 32, 33, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE,
         0x12345678, 0xDEADBEEF],
    64: [0, 1, 2, 5, 63, 64, 65, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000,
         0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF80000000,
         0x123456789ABCDEF0],
}
CONST_EDGES = {32: [0, 1, 0xFFFFFFFF, 0x80000000, 31, 33], 64: [0, 1, 0xFFFFFFFFFFFFFFFF,
                                                              0x8000000000000000, 63, 0x100000000]}


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def reference(name: str, a: int, b: int, bits: int):
    """Wasm result (unsigned) of binary `name` on unsigned operands, or a trap message."""
    m = (1 << bits) - 1
    sa, sb = signed(a, bits), signed(b, bits)
    n = b % bits
    if name in ("div_s", "div_u", "rem_s", "rem_u") and b == 0:
        return Trap(DIV0)
    if name == "div_s" and sa == -(1 << (bits - 1)) and sb == -1:
        return Trap(OVERFLOW)
    return {
        "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
        "div_s": lambda: _trunc_div(sa, sb), "div_u": lambda: a // b,
        "rem_s": lambda: sa - sb * _trunc_div(sa, sb), "rem_u": lambda: a % b,
        "and": lambda: a & b, "or": lambda: a | b, "xor": lambda: a ^ b,
        "shl": lambda: a << n, "shr_s": lambda: sa >> n, "shr_u": lambda: a >> n,
        "rotl": lambda: (a << n | a >> (bits - n)) if n else a,
        "rotr": lambda: (a >> n | a << (bits - n)) if n else a,
        "eq": lambda: a == b, "ne": lambda: a != b, "lt_s": lambda: sa < sb,
        "lt_u": lambda: a < b, "gt_s": lambda: sa > sb, "gt_u": lambda: a > b,
        "le_s": lambda: sa <= sb, "le_u": lambda: a <= b, "ge_s": lambda: sa >= sb,
        "ge_u": lambda: a >= b,
    }[name]() & m


ARITH = ["add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl",
         "shr_s", "shr_u", "rotl", "rotr"]
COMPARE = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]


def binary_module(t: str, name: str, bits: int, compare: bool) -> str:
    """A module exporting `name` with its operands in every placement (see module docstring)."""
    r = "i32" if compare else t
    op = f"{t}.{name}"
    reg = lambda i: f"(local.get {i}) ({t}.const 0) ({t}.or)"  # noqa: E731 - a register value
    funcs = {
        "locals": "(local.get 0) (local.get 1)",
        "regs": f"{reg(0)} {reg(1)}",
        "reg_local": f"{reg(0)} (local.get 1)",
        "local_reg": f"(local.get 0) {reg(1)}",
    }
    out = [f'(func (export "{k}") (param {t} {t}) (result {r}) {v} ({op}))'
           for k, v in funcs.items()]
    out.append(f'(func (export "stack") (param {t} {t}) (result {r}) (local.get 0) (local.get 1)'
               f' (block (param {t} {t}) (result {r}) ({op})))')
    for i, c in enumerate(CONST_EDGES[bits]):
        out.append(f'(func (export "rhs{i}") (param {t}) (result {r}) (local.get 0) '
                   f'({t}.const {c}) ({op}))')
        out.append(f'(func (export "lhs{i}") (param {t}) (result {r}) ({t}.const {c}) '
                   f'(local.get 0) ({op}))')
        out.append(f'(func (export "rhsreg{i}") (param {t}) (result {r}) {reg(0)} '
                   f'({t}.const {c}) ({op}))')
        for j, d in enumerate(CONST_EDGES[bits]):
            out.append(f'(func (export "fold{i}_{j}") (result {r}) ({t}.const {c}) '
                       f'({t}.const {d}) ({op}))')
    if compare:  # the flags in each consumer
        p = f"(param {t} {t}) (result i32)"
        cmp = f"({op} (local.get 0) (local.get 1))"
        out += [
            f'(func (export "if") {p} (if (result i32) {cmp} (then (i32.const 1)) '
            f'(else (i32.const 0))))',
            f'(func (export "br_if") {p} (block (result i32) (br_if 0 (i32.const 1) {cmp}) '
            f'(drop) (i32.const 0)))',
            f'(func (export "select") {p} (select (i32.const 1) (i32.const 0) {cmp}))',
            f'(func (export "eqz") {p} (i32.eqz {cmp}))',
        ]
    return "(module " + "\n".join(out) + ")"


def check(fn, args, expected, bits):
    if isinstance(expected, Trap):
        assert trap_message(fn, *args) == expected.message, args
    else:
        assert fn(*args) == signed(expected, bits), args


@pytest.mark.parametrize("t,bits", [("i32", 32), ("i64", 64)])
@pytest.mark.parametrize("name", ARITH + COMPARE)
def test_binary_operation_in_every_operand_placement(t, bits, name):
    compare = name in COMPARE
    e = run(binary_module(t, name, bits, compare))
    rbits = 32 if compare else bits
    values = EDGES[bits]
    consts = CONST_EDGES[bits]
    for a, b in itertools.product(values, values):
        expected = reference(name, a, b, bits)
        args = (signed(a, bits), signed(b, bits))
        for variant in ("locals", "regs", "reg_local", "local_reg", "stack"):
            check(getattr(e, variant), args, expected, rbits)
        if compare:
            check(e.eqz, args, int(not expected), 32)
            for variant in ("if", "br_if", "select"):
                check(getattr(e, variant), args, expected, 32)
    for i, c in enumerate(consts):
        for v in values:
            check(getattr(e, f"rhs{i}"), (signed(v, bits),), reference(name, v, c, bits), rbits)
            check(getattr(e, f"rhsreg{i}"), (signed(v, bits),), reference(name, v, c, bits),
                  rbits)
            check(getattr(e, f"lhs{i}"), (signed(v, bits),), reference(name, c, v, bits), rbits)
        for j, d in enumerate(consts):
            check(getattr(e, f"fold{i}_{j}"), (), reference(name, c, d, bits), rbits)


UNARY = {  # name -> (reference on unsigned value, result bits or None for the operand's)
    "clz": lambda v, b: b - v.bit_length(),
    "ctz": lambda v, b: (v & -v).bit_length() - 1 if v else b,
    "popcnt": lambda v, b: bin(v).count("1"),
    "eqz": lambda v, b: int(v == 0),
    "extend8_s": lambda v, b: signed(v & 0xFF, 8),
    "extend16_s": lambda v, b: signed(v & 0xFFFF, 16),
}


def unary_module(t: str, op: str, result: str) -> list:
    reg = f"(local.get 0) ({t}.const 0) ({t}.or)"
    out = [f'(func (export "local") (param {t}) (result {result}) (local.get 0) ({op}))',
           f'(func (export "reg") (param {t}) (result {result}) {reg} ({op}))',
           f'(func (export "stack") (param {t}) (result {result}) (local.get 0) '
           f'(block (param {t}) (result {result}) ({op})))']
    return out


@pytest.mark.parametrize("t,bits", [("i32", 32), ("i64", 64)])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_operation(t, bits, name):
    check_unary(t, bits, name)


@pytest.mark.parametrize("t,bits", [("i32", 32), ("i64", 64)])
@pytest.mark.parametrize("name", ["clz", "ctz", "popcnt"])
def test_bit_counts_without_lzcnt_tzcnt_popcnt(t, bits, name, monkeypatch):
    """The bsr/bsf/SWAR sequences for CPUs without lzcnt, tzcnt or popcnt."""
    for flag in ("HAS_LZCNT", "HAS_TZCNT", "HAS_POPCNT"):
        monkeypatch.setattr(masm, flag, False)
    check_unary(t, bits, name)


def check_unary(t, bits, name):
    result = "i32" if name == "eqz" else t
    funcs = unary_module(t, f"{t}.{name}", result)
    for i, c in enumerate(EDGES[bits]):
        funcs.append(f'(func (export "const{i}") (result {result}) ({t}.const {c}) '
                     f'({t}.{name}))')
    e = run("(module " + "\n".join(funcs) + ")")
    rbits = 32 if name == "eqz" else bits
    for i, v in enumerate(EDGES[bits]):
        expected = UNARY[name](v, bits)
        for variant in ("local", "reg", "stack"):
            assert getattr(e, variant)(signed(v, bits)) == signed(expected, rbits), (variant, v)
        assert getattr(e, f"const{i}")() == signed(expected, rbits), v


CONVERSIONS = {  # (op, param type, result type, reference)
    "i32.wrap_i64": ("i64", "i32", lambda v: v & 0xFFFFFFFF),
    "i64.extend_i32_s": ("i32", "i64", lambda v: signed(v, 32)),
    "i64.extend_i32_u": ("i32", "i64", lambda v: v),
    "i64.extend32_s": ("i64", "i64", lambda v: signed(v & 0xFFFFFFFF, 32)),
}


@pytest.mark.parametrize("op", sorted(CONVERSIONS))
def test_integer_conversion(op):
    pt, rt, ref = CONVERSIONS[op]
    pbits, rbits = (32 if pt == "i32" else 64), (32 if rt == "i32" else 64)
    funcs = unary_module(pt, op, rt)
    for i, c in enumerate(EDGES[pbits]):
        funcs.append(f'(func (export "const{i}") (result {rt}) ({pt}.const {c}) ({op}))')
    # a converted value consumed again (the high half must be right in a register)
    funcs.append(f'(func (export "twice") (param {pt}) (result {rt}) (local.get 0) ({op}) '
                 f'({rt}.const 1) ({rt}.add) ({rt}.const 1) ({rt}.sub))')
    e = run("(module " + "\n".join(funcs) + ")")
    for i, v in enumerate(EDGES[pbits]):
        expected = signed(ref(v), rbits)
        for variant in ("local", "reg", "stack", "twice"):
            assert getattr(e, variant)(signed(v, pbits)) == expected, (variant, v)
        assert getattr(e, f"const{i}")() == expected


def test_i32_results_are_zero_extended_in_registers():
    """i64.extend_i32_u of a register is free only if every i32 op zero-extends: check the
    ops whose 64-bit forms would leave high bits (neg via sub, not via xor, loads, wrap)."""
    e = run("""(module (memory 1)
      (func (export "sub") (param i32 i32) (result i64)
        (i64.extend_i32_u (i32.sub (local.get 0) (local.get 1))))
      (func (export "xor") (param i32) (result i64)
        (i64.extend_i32_u (i32.xor (local.get 0) (i32.const -1))))
      (func (export "wrap") (param i64) (result i64)
        (i64.extend_i32_u (i32.wrap_i64 (i64.add (local.get 0) (i64.const 0)))))
      (func (export "load") (result i64)
        (i32.store (i32.const 0) (i32.const -1))
        (i64.extend_i32_u (i32.load (i32.const 0))))
      (func (export "shr") (param i32) (result i64)
        (i64.extend_i32_u (i32.shr_s (local.get 0) (i32.const 1))))
      (func (export "rem") (param i32 i32) (result i64)
        (i64.extend_i32_u (i32.rem_s (local.get 0) (local.get 1)))))""")
    assert e.sub(0, 1) == 0xFFFFFFFF
    assert e.xor(0) == 0xFFFFFFFF
    assert e.wrap(-1) == 0xFFFFFFFF
    assert e.load() == 0xFFFFFFFF
    assert e.shr(-2) == 0xFFFFFFFF
    assert e.rem(-7, 2) == 0xFFFFFFFF


def test_division_traps_report_the_instruction():
    e = run("""(module
      (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "rem") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
      (func (export "const0") (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 0))))""")
    assert trap_message(e.div, 1, 0) == DIV0
    assert trap_message(e.div, -2**31, -1) == OVERFLOW
    assert e.div(-2**31, 1) == -2**31
    assert e.rem(-2**63, -1) == 0
    assert trap_message(e.rem, 5, 0) == DIV0
    assert trap_message(e.const0, 5) == DIV0


def test_shift_count_in_rcx_when_the_shifted_value_is_there_too():
    """Variable shifts need the count in cl: the value to shift may sit in rcx already, and
    rcx may hold an unrelated live value (relocated, not clobbered)."""
    e = run("""(module
      (func (export "f") (param i32 i32 i32 i32 i32) (result i32)
        ;; many live registers so that rcx is allocated to a value below the shift
        (i32.add (local.get 0) (i32.const 0)) (i32.add (local.get 1) (i32.const 0))
        (i32.add (local.get 2) (i32.const 0)) (i32.add (local.get 3) (i32.const 0))
        (i32.add (local.get 4) (i32.const 0)) (i32.add (local.get 0) (i32.const 1))
        (i32.add (local.get 1) (i32.const 1)) (i32.add (local.get 2) (i32.const 1))
        (i32.add (local.get 3) (i32.const 1)) (i32.add (local.get 4) (i32.const 1))
        (i32.shl (i32.add (local.get 0) (i32.const 2)) (i32.add (local.get 1) (i32.const 0)))
        (i32.add) (i32.add) (i32.add) (i32.add) (i32.add)
        (i32.add) (i32.add) (i32.add) (i32.add) (i32.add)))""")
    a = [3, 5, 7, 11, 13]
    expected = sum(a) + sum(x + 1 for x in a) + ((a[0] + 2) << a[1])
    assert e.f(*a) == expected
