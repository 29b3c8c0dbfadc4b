"""The compiler's wiring of the float emitters (masm_float), checked against wasmtime.

The emitters have their own tests; here each float instruction is compiled with its operands in
every placement the value stack uses (locals, registers, spilled slots, constants), comparisons
also in every flag consumer, and results are compared bit for bit with wasmtime (any NaN equals
any NaN: the spec lets engines pick among arithmetic NaNs). Values travel as integer bit
patterns so f32 and NaN payloads stay exact on both sides.
"""

import itertools

import pytest

from compiler_harness import run, trap_message

wasmtime = pytest.importorskip("wasmtime")

F32_VALUES = [0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x3FC00000, 0x00000001,
              0x7F800000, 0xFF800000, 0x7FC00000, 0x7FA00001, 0x7F7FFFFF, 0x4F000000, 0xCF000001,
              0x3DCCCCCD]
F64_VALUES = [0, 1 << 63, 0x3FF0000000000000, 0xBFF0000000000000, 0x3FF8000000000000, 1,
              0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x7FF4000000000001,
              0x7FEFFFFFFFFFFFFF, 0x43E0000000000000, 0xC1E0000000000000, 0x41EFFFFFFFE00000]
WIDTH = {"f32": (32, "i32", F32_VALUES), "f64": (64, "i64", F64_VALUES)}


def is_nan(bits: int, width: int) -> bool:
    exp, mant = (0x7F800000, 0x7FFFFF) if width == 32 else (0x7FF << 52, (1 << 52) - 1)
    return bits & exp == exp and bits & mant != 0


class Both:
    """The same module in jitwasm and wasmtime; `call` returns both results as unsigned bits."""

    def __init__(self, text: str):
        self.ours = run(text)
        store = wasmtime.Store()
        self.store = store
        module = wasmtime.Module(store.engine, text)
        self.theirs = wasmtime.Instance(store, module, []).exports(store)

    def call(self, name: str, *args):
        ours = getattr(self.ours, name)
        try:
            mine = ours(*args)
        except Exception as e:  # noqa: BLE001 - compared with wasmtime's trap below
            mine = ("trap", getattr(e, "message", str(e)))
        try:
            theirs = self.theirs[name](self.store, *args)
        except wasmtime.Trap as e:
            theirs = ("trap", e.message)
        return mine, theirs


def same(mine, theirs, width) -> bool:
    if isinstance(mine, tuple) or isinstance(theirs, tuple):
        return (isinstance(mine, tuple) and isinstance(theirs, tuple)
                and _trap_kind(mine[1]) == _trap_kind(theirs[1]))
    m = (1 << width) - 1
    mine, theirs = mine & m, theirs & m
    if is_nan(mine, width) and is_nan(theirs, width):
        return True
    return mine == theirs


def _trap_kind(message: str) -> str:
    for kind in ("integer overflow", "invalid conversion", "divide by zero"):
        if kind in message:
            return kind
    return message


def signed_bits(v: int, width: int) -> int:
    return v - (1 << width) if v >> (width - 1) else v


BINARY = ["add", "sub", "mul", "div", "min", "max", "copysign"]
COMPARE = ["eq", "ne", "lt", "gt", "le", "ge"]
UNARY = ["abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"]


def placements(t: str, it: str, body: str, result: str, arity: int) -> list:
    """Functions applying `body` to `arity` operands of type t in every placement."""
    def as_float(expr):
        return f"({t}.reinterpret_{it} {expr})"
    locals_ = " ".join(as_float(f"(local.get {i})") for i in range(arity))
    regs = " ".join(as_float(f"({it}.add (local.get {i}) ({it}.const 0))") for i in range(arity))
    params = " ".join([it] * arity)
    fparams = " ".join([t] * arity)
    return [
        f'(func (export "locals") (param {params}) (result {result}) {locals_} {body})',
        f'(func (export "regs") (param {params}) (result {result}) {regs} {body})',
        f'(func (export "stack") (param {params}) (result {result}) {locals_} '
        f'(block (param {fparams}) (result {result}) {body}))',
    ]


def wrap_result(t: str, it: str, rt: str) -> tuple:
    """(result type of the exported functions, instructions turning the op's result into it)."""
    if rt == t:
        return it, f"({it}.reinterpret_{t})"
    return rt, ""


@pytest.mark.parametrize("t", ["f32", "f64"])
@pytest.mark.parametrize("name", BINARY + COMPARE)
def test_binary_float_operation(t, name):
    width, it, values = WIDTH[t]
    rt = "i32" if name in COMPARE else t
    result, fix = wrap_result(t, it, rt)
    body = f"({t}.{name}) {fix}"
    funcs = placements(t, it, body, result, 2)
    for i, c in enumerate(values):
        funcs.append(f'(func (export "rhs{i}") (param {it}) (result {result}) '
                     f'({t}.reinterpret_{it} (local.get 0)) ({t}.reinterpret_{it} ({it}.const {c}))'
                     f' {body})')
    if name in COMPARE:
        cmp = (f"({t}.{name} ({t}.reinterpret_{it} (local.get 0)) "
               f"({t}.reinterpret_{it} (local.get 1)))")
        p = f"(param {it} {it}) (result i32)"
        funcs += [
            f'(func (export "if") {p} (if (result i32) {cmp} (then (i32.const 1)) '
            f'(else (i32.const 0))))',
            f'(func (export "br_if") {p} (block (result i32) (br_if 0 (i32.const 1) {cmp}) '
            f'(drop) (i32.const 0)))',
            f'(func (export "select") {p} (select (i32.const 1) (i32.const 0) {cmp}))',
            f'(func (export "eqz") {p} (i32.eqz {cmp}))',
        ]
    both = Both("(module " + "\n".join(funcs) + ")")
    rwidth = 32 if result == "i32" else 64
    for a, b in itertools.product(values, values):
        args = (signed_bits(a, width), signed_bits(b, width))
        variants = ["locals", "regs", "stack"]
        if name in COMPARE:
            variants += ["if", "br_if", "select", "eqz"]
        for variant in variants:
            mine, theirs = both.call(variant, *args)
            assert same(mine, theirs, rwidth), (variant, hex(a), hex(b), mine, theirs)
    for i, _ in enumerate(values):
        for a in values:
            mine, theirs = both.call(f"rhs{i}", signed_bits(a, width))
            assert same(mine, theirs, rwidth), (i, hex(a), mine, theirs)


@pytest.mark.parametrize("t", ["f32", "f64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_float_operation(t, name):
    width, it, values = WIDTH[t]
    result, fix = wrap_result(t, it, t)
    funcs = placements(t, it, f"({t}.{name}) {fix}", result, 1)
    for i, c in enumerate(values):
        funcs.append(f'(func (export "const{i}") (result {result}) '
                     f'({t}.reinterpret_{it} ({it}.const {c})) ({t}.{name}) {fix})')
    both = Both("(module " + "\n".join(funcs) + ")")
    for i, a in enumerate(values):
        for variant in ("locals", "regs", "stack"):
            mine, theirs = both.call(variant, signed_bits(a, width))
            assert same(mine, theirs, width), (variant, hex(a))
        assert same(*both.call(f"const{i}"), width), hex(a)


CONVERSIONS = [  # (op, source type, result type)
    *((f"{r}.trunc_{s}_{sg}", s, r) for r in ("i32", "i64") for s in ("f32", "f64") for sg in "su"),
    *((f"{r}.trunc_sat_{s}_{sg}", s, r) for r in ("i32", "i64") for s in ("f32", "f64")
      for sg in "su"),
    *((f"{r}.convert_{s}_{sg}", s, r) for r in ("f32", "f64") for s in ("i32", "i64")
      for sg in "su"),
    ("f32.demote_f64", "f64", "f32"), ("f64.promote_f32", "f32", "f64"),
    ("i32.reinterpret_f32", "f32", "i32"), ("i64.reinterpret_f64", "f64", "i64"),
    ("f32.reinterpret_i32", "i32", "f32"), ("f64.reinterpret_i64", "i64", "f64"),
]
INT_VALUES = {"i32": [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x01000001],
              "i64": [0, 1, 0x7FFFFFFFFFFFFFFF, 1 << 63, (1 << 64) - 1, 0x20000000000001]}


@pytest.mark.parametrize("op,src,dst", CONVERSIONS, ids=[c[0] for c in CONVERSIONS])
def test_conversion(op, src, dst):
    """Sources and results cross as integer bits; placements as for the other operations."""
    if src in WIDTH:
        swidth, sit, values = WIDTH[src]
        to_src = f"({src}.reinterpret_{sit} {{}})"
    else:
        swidth, sit, values = (32 if src == "i32" else 64), src, INT_VALUES[src]
        to_src = "{}"
    if dst in WIDTH:
        dwidth, dit, _ = WIDTH[dst]
        fix, result = f"({dit}.reinterpret_{dst})", dit
    else:
        dwidth, fix, result = (32 if dst == "i32" else 64), "", dst
    reg = to_src.format(f"({sit}.add (local.get 0) ({sit}.const 0))")
    loc = to_src.format("(local.get 0)")
    funcs = [
        f'(func (export "locals") (param {sit}) (result {result}) {loc} ({op}) {fix})',
        f'(func (export "regs") (param {sit}) (result {result}) {reg} ({op}) {fix})',
        f'(func (export "stack") (param {sit}) (result {result}) {loc} '
        f'(block (param {src}) (result {result}) ({op}) {fix}))',
    ]
    for i, c in enumerate(values):
        funcs.append(f'(func (export "const{i}") (result {result}) '
                     f'{to_src.format(f"({sit}.const {c})")} ({op}) {fix})')
    both = Both("(module " + "\n".join(funcs) + ")")
    for i, a in enumerate(values):
        for variant in ("locals", "regs", "stack"):
            mine, theirs = both.call(variant, signed_bits(a, swidth))
            assert same(mine, theirs, dwidth), (variant, hex(a), mine, theirs)
        assert same(*both.call(f"const{i}"), dwidth), hex(a)


def test_float_select_locals_globals_and_constants():
    e = run("""(module
      (global $g (mut f64) (f64.const 2.5))
      (global $k f32 (f32.const -0.0))
      (func (export "sel") (param f64 f64 i32) (result f64)
        (select (local.get 0) (local.get 1) (local.get 2)))
      (func (export "sel_cmp") (param f32 f32) (result f32)
        (select (local.get 0) (local.get 1) (f32.lt (local.get 0) (local.get 1))))
      (func (export "acc") (param f64) (result f64) (local f64)
        (local.set 1 (f64.mul (local.get 0) (global.get $g)))
        (global.set $g (local.get 1))
        (local.get 1))
      (func (export "k") (result i32) (i32.reinterpret_f32 (global.get $k)))
      (func (export "nan") (result i64)
        (i64.reinterpret_f64 (f64.const nan:0x4000000000001))))""")
    assert e.sel(1.0, 2.0, 1) == 1.0
    assert e.sel(1.0, 2.0, 0) == 2.0
    assert e.sel_cmp(1.0, 2.0) == 1.0
    assert e.sel_cmp(3.0, 2.0) == 2.0
    assert e.sel_cmp(float("nan"), 2.0) == 2.0
    assert e.acc(2.0) == 5.0
    assert e.acc(2.0) == 10.0
    assert e.k() & 0xFFFFFFFF == 0x80000000
    assert e.nan() == 0x7FF4000000000001


def test_trapping_truncation_messages():
    e = run("""(module
      (func (export "t") (param f64) (result i32) (i32.trunc_f64_s (local.get 0))))""")
    assert e.t(-2147483648.9) == -2147483648
    assert trap_message(e.t, 2147483648.0) == "integer overflow"
    assert trap_message(e.t, float("nan")) == "invalid conversion to integer"


def test_f32_bits_round_trip_through_memory():
    e = run("""(module (memory 1)
      (func (export "f") (param i32) (result i32)
        (f32.store (i32.const 8) (f32.reinterpret_i32 (local.get 0)))
        (i32.reinterpret_f32 (f32.load (i32.const 8)))))""")
    for bits in (0x7FA00001, 0xFFC00000, 0x80000000, 0x00000001):
        assert e.f(signed_bits(bits, 32)) & 0xFFFFFFFF == bits
