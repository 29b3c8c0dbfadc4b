"""Linear memory in the baseline compiler: every load/store width and extension, address and
offset forms (constant, register, local, spilled; offsets beyond a disp32), out-of-bounds
traps through the guard region with their trap sites, memory.size/grow and bulk memory."""

import struct

import pytest

from compiler_harness import compile_with_explicit_bounds, run, signed, trap_message
from jitwasm.errors import Trap

OOB = "out of bounds memory access"

LOADS = {  # op -> (result type, struct format of the accessed bytes)
    "i32.load": ("i32", "<i"), "i64.load": ("i64", "<q"),
    "i32.load8_s": ("i32", "<b"), "i32.load8_u": ("i32", "<B"),
    "i32.load16_s": ("i32", "<h"), "i32.load16_u": ("i32", "<H"),
    "i64.load8_s": ("i64", "<b"), "i64.load8_u": ("i64", "<B"),
    "i64.load16_s": ("i64", "<h"), "i64.load16_u": ("i64", "<H"),
    "i64.load32_s": ("i64", "<i"), "i64.load32_u": ("i64", "<I"),
}
PATTERN = bytes(range(0x80, 0x100)) + bytes(range(0x80))  # high bits set at the start
PATTERN_WAT = "".join(f"\\{b:02x}" for b in PATTERN)


def address_forms(op: str, rt: str, offset: int) -> str:
    """Functions doing `op` at address param (as a local, a register, a spilled slot) and at a
    constant address 200, all with the static `offset`."""
    return f"""
      (func (export "local") (param i32) (result {rt}) ({op} offset={offset} (local.get 0)))
      (func (export "reg") (param i32) (result {rt})
        ({op} offset={offset} (i32.add (local.get 0) (i32.const 0))))
      (func (export "stack") (param i32) (result {rt})
        (local.get 0) (block (param i32) (result {rt}) ({op} offset={offset})))
      (func (export "const") (result {rt}) ({op} offset={offset} (i32.const 200)))"""


@pytest.mark.parametrize("op", sorted(LOADS))
def test_load_widths_and_extensions(op):
    rt, fmt = LOADS[op]
    e = run(f"""(module (memory 1) (data (i32.const 0) "{PATTERN_WAT}")
      {address_forms(op, rt, 3)})""")
    for addr in (0, 1, 64, 125, 197):
        expected = struct.unpack_from(fmt, PATTERN, addr + 3)[0]
        for form in ("local", "reg", "stack"):
            assert getattr(e, form)(addr) == expected, (form, addr)
    assert e.const() == struct.unpack_from(fmt, PATTERN, 203)[0]


STORES = {  # op -> (value type, byte width)
    "i32.store": ("i32", 4), "i64.store": ("i64", 8), "i32.store8": ("i32", 1),
    "i32.store16": ("i32", 2), "i64.store8": ("i64", 1), "i64.store16": ("i64", 2),
    "i64.store32": ("i64", 4), "f32.store": ("f32", 4), "f64.store": ("f64", 8),
}


@pytest.mark.parametrize("op", sorted(STORES))
def test_store_widths_write_exactly_their_bytes(op):
    vt, width = STORES[op]
    it = {"f32": "i32", "f64": "i64"}.get(vt, vt)
    bits = 32 if it == "i32" else 64
    value = 0x8877665544332211 & ((1 << bits) - 1)
    big = 0xF1E2D3C4B5A69788 & ((1 << bits) - 1)

    def v(expr: str) -> str:  # an `it` expression as a value of the stored type
        return f"({vt}.reinterpret_{it} {expr})" if vt != it else expr

    e = run(f"""(module (memory 1)
      (func (export "local") (param i32 {it}) ({op} offset=5 (local.get 0) {v("(local.get 1)")}))
      (func (export "reg") (param i32 {it})
        ({op} offset=5 (i32.add (local.get 0) (i32.const 0))
                       {v(f"({it}.add (local.get 1) ({it}.const 0))")}))
      (func (export "stack") (param i32 {it})
        (local.get 0) {v("(local.get 1)")} (block (param i32 {vt}) ({op} offset=5)))
      (func (export "imm") (param i32) ({op} offset=5 (local.get 0) {v(f"({it}.const {value})")}))
      (func (export "wide_imm") (param i32) ({op} offset=5 (local.get 0) {v(f"({it}.const {big})")}))
      (func (export "const_addr") ({op} offset=5 (i32.const 100) {v(f"({it}.const {value})")}))
      (func (export "clear") (memory.fill (i32.const 0) (i32.const 0xAA) (i32.const 300))))""")
    mem = e.memory
    cases = [("local", (10, signed(value, bits))), ("reg", (10, signed(value, bits))),
             ("stack", (10, signed(value, bits))), ("imm", (10,)), ("wide_imm", (10,)),
             ("const_addr", ())]
    for form, args in cases:
        e.clear()
        getattr(e, form)(*args)
        addr = 105 if form == "const_addr" else 15
        expected = (big if form == "wide_imm" else value).to_bytes(8, "little")[:width]
        data = mem.read(0, 300)
        assert data[addr:addr + width] == expected, form
        assert data[addr - 1] == 0xAA and data[addr + width] == 0xAA, form


def test_out_of_bounds_accesses_trap_at_the_guard_region():
    e = run("""(module (memory 1)
      (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "load_off") (param i32) (result i32) (i32.load offset=0xFFFFFFFF (local.get 0)))
      (func (export "load8_big_off") (param i32) (result i32)
        (i32.load8_u offset=0x80000000 (i32.add (local.get 0) (i32.const 0))))
      (func (export "store") (param i32) (i64.store (local.get 0) (i64.const -1)))
      (func (export "const_far") (result i32) (i32.load offset=0x7FFFFFF0 (i32.const 0x7FFFFFF0))))""")
    assert e.load(65532) == 0
    assert trap_message(e.load, 65533) == OOB
    assert trap_message(e.load, -1) == OOB
    assert trap_message(e.load_off, 0) == OOB
    assert trap_message(e.load_off, -1) == OOB
    assert trap_message(e.load8_big_off, 0) == OOB
    assert trap_message(e.store, 65529) == OOB
    e.store(65528)
    assert trap_message(e.const_far) == OOB


def test_trap_site_names_the_function_and_instruction():
    e = run("""(module (memory 1)
      (func $a (param i32) (result i32) (i32.add (i32.const 1) (i32.load (local.get 0))))
      (func (export "f") (param i32) (result i32) (call $a (local.get 0)))
      (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0))))""")
    with pytest.raises(Trap) as info:
        e.f(1 << 20)
    (func_index, offset), (caller, call_offset) = info.value.backtrace
    assert func_index == 0
    code = e.instance.module.info.data
    assert code[offset] == 0x28  # i32.load
    assert caller == 1 and code[call_offset] == 0x10  # `call $a` in f
    with pytest.raises(Trap) as info:
        e.div(0)
    (func_index, offset), = info.value.backtrace
    assert func_index == 2 and code[offset] == 0x6E  # i32.div_u


def test_offsets_beyond_a_disp32_address_the_right_byte():
    """A 2 GiB + 2 page memory makes effective addresses >= 2^31 accessible (the reservation
    is lazily backed), so the offset arithmetic of each address form is checked, not only its
    trap."""
    pages = 32768 + 2
    e = run(f"""(module (memory {pages})
      (func (export "store_local") (param i32 i32) (i32.store offset=0x80000000 (local.get 0) (local.get 1)))
      (func (export "store_reg") (param i32 i32)
        (i32.store offset=0x80000010 (i32.add (local.get 0) (i32.const 0)) (local.get 1)))
      (func (export "load_const") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "load_stack") (param i32) (result i32)
        (local.get 0) (block (param i32) (result i32) (i32.load offset=0x80000000))))""")
    e.store_local(0x100, 11)
    e.store_reg(0x100, 22)
    assert e.load_const(0x80000100) == 11
    assert e.load_const(0x80000110) == 22
    assert e.load_stack(0x100) == 11
    assert e.load_stack(0x110) == 22
    assert trap_message(e.load_stack, 0x20000) == OOB


def test_memory_size_grow_and_access_to_new_pages():
    e = run("""(module (memory 1 4)
      (func (export "size") (result i32) (memory.size))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
      (func (export "peek") (param i32) (result i32) (i32.load (local.get 0))))""")
    assert e.size() == 1
    assert trap_message(e.poke, 65536, 1) == OOB
    assert e.grow(2) == 1
    assert e.size() == 3
    e.poke(65536 * 3 - 4, 77)
    assert e.peek(65536 * 3 - 4) == 77
    assert e.grow(2) == -1
    assert e.grow(1) == 3
    assert e.size() == 4


def test_bulk_memory_through_builtins():
    e = run("""(module (memory 1)
      (data $d "hello")
      (func (export "init") (param i32) (memory.init $d (local.get 0) (i32.const 1) (i32.const 3)))
      (func (export "drop") (data.drop $d))
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
      (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
      (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))""")
    e.init(10)
    assert [e.byte(i) for i in range(10, 13)] == list(b"ell")
    e.copy(11, 10, 3)
    assert [e.byte(i) for i in range(10, 14)] == list(b"eell")
    e.fill(20, 0x41, 4)
    assert [e.byte(i) for i in range(19, 25)] == [0, 65, 65, 65, 65, 0]
    assert trap_message(e.fill, 65535, 0, 2) == OOB
    e.drop()
    assert trap_message(e.init, 0) == OOB


def test_inline_memory_copy_and_fill_against_a_model():
    """memory.copy/fill are inline (rep movsb/stosb): overlaps in both directions, empty ranges
    at the end of memory, traps before any write, with live values in rdi/rsi/rcx/rax."""
    e = run("""(module (memory 1)
      (func (export "init")
        (local i32)
        (loop (i32.store8 (local.get 0) (local.get 0))
              (br_if 0 (i32.ne (local.tee 0 (i32.add (local.get 0) (i32.const 1)))
                               (i32.const 65536)))))
      (func (export "copy") (param i32 i32 i32) (result i32)
        ;; keep values live in many registers across the copy
        (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 2))
        (i32.add (local.get 2) (i32.const 3)) (i32.add (local.get 0) (i32.const 4))
        (i32.add (local.get 1) (i32.const 5)) (i32.add (local.get 2) (i32.const 6))
        (i32.add (local.get 0) (i32.const 7)) (i32.add (local.get 1) (i32.const 8))
        (i32.add (local.get 2) (i32.const 9)) (i32.add (local.get 0) (i32.const 10))
        (memory.copy (local.get 0) (local.get 1) (local.get 2))
        (i32.add) (i32.add) (i32.add) (i32.add) (i32.add)
        (i32.add) (i32.add) (i32.add) (i32.add))
      (func (export "fill") (param i32 i32 i32)
        (memory.fill (i32.add (local.get 0) (i32.const 0)) (local.get 1) (local.get 2)))
      (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))""")
    model = bytearray(i & 0xFF for i in range(65536))
    e.init()

    def check_copy(d, s, n):
        live = (d + 1) + (s + 2) + (n + 3) + (d + 4) + (s + 5) + (n + 6) + (d + 7) + (s + 8) \
            + (n + 9) + (d + 10)
        if d + n > 65536 or s + n > 65536:
            assert trap_message(e.copy, d, s, n) == OOB
        else:
            assert e.copy(d, s, n) == live & 0xFFFFFFFF
            model[d:d + n] = model[s:s + n]
        assert e.memory.read(0, 65536) == bytes(model), (d, s, n)

    for d, s, n in [(100, 10, 50), (10, 100, 50), (100, 90, 50), (90, 100, 50), (0, 0, 0),
                    (65536, 0, 0), (0, 65536, 0), (65535, 5, 2), (5, 65530, 7), (1000, 1001, 4000),
                    (1001, 1000, 4000), (300, 200, 100), (200, 300, 100)]:
        check_copy(d, s, n)
    for d, v, n in [(7, 0x41, 9), (65530, 0x42, 6), (65531, 0x43, 6), (65536, 0, 0),
                    (65537, 0, 0), (0, 0x1FF, 3)]:
        if d + n > 65536:
            assert trap_message(e.fill, d, v, n) == OOB
        else:
            e.fill(d, v, n)
            model[d:d + n] = bytes([v & 0xFF]) * n
        assert e.memory.read(0, 65536) == bytes(model), (d, v, n)


@pytest.fixture
def explicit_bounds(monkeypatch):
    compile_with_explicit_bounds(monkeypatch)


@pytest.mark.usefixtures("explicit_bounds")
def test_explicit_bounds_checks():
    assert run("(module (func))").instance.module.compiled.explicit_bounds
    for test in (test_out_of_bounds_accesses_trap_at_the_guard_region,
                 test_memory_size_grow_and_access_to_new_pages,
                 test_offsets_beyond_a_disp32_address_the_right_byte):
        test()
    for op in sorted(LOADS):
        test_load_widths_and_extensions(op)
    for op in sorted(STORES):
        test_store_widths_write_exactly_their_bytes(op)


def test_memory_copy_size_classes_and_overlaps():
    """Every size class of the inline copy (1/2/4/8/16-byte pairs, 16-byte chunks both ways,
    rep movsb) at every kind of overlap."""
    e = run("""(module (memory 1)
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
      (func (export "set") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))""")
    model = bytearray(65536)
    for i in range(0, 8192):
        model[i] = (i * 7 + 3) & 0xFF
    e.memory.write(0, bytes(model))
    sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 511, 512,
             513, 1000]
    for n in sizes:
        for delta in (-1000, -17, -16, -1, 0, 1, 5, 16, 33, 1000):
            s = 3000
            d = s + delta
            e.copy(d, s, n)
            model[d:d + n] = model[s:s + n]
            assert e.memory.read(2000, 3000) == bytes(model[2000:5000]), (n, delta)


@pytest.mark.parametrize("avx", [True, False], ids=["avx", "sse"])
def test_memory_copy_chunk_paths(avx, monkeypatch):
    """The 32-byte (AVX) and 16-byte chunk loops around their size thresholds."""
    from jitwasm.backend_x64 import masm

    if avx and not masm.HAS_AVX:
        pytest.skip("the CPU has no AVX")
    monkeypatch.setattr(masm, "HAS_AVX", avx)
    e = run("""(module (memory 1)
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2))))""")
    model = bytearray((i * 13 + 5) & 0xFF for i in range(65536))
    e.memory.write(0, bytes(model))
    for n in (31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 200, 511, 512, 600, 2049):
        for delta in (-300, -33, -32, -31, -1, 1, 31, 32, 33, 300, 5000):
            s = 20000
            d = s + delta
            e.copy(d, s, n)
            model[d:d + n] = model[s:s + n]
            assert e.memory.read(14000, 12000) == bytes(model[14000:26000]), (n, delta)


@pytest.mark.parametrize("build", ["copy", "fill"])
def test_templated_bulk_memory_equals_direct_emission(build):
    """memory.copy/fill are copied from a template built once, their jumps to the trap stub
    re-pointed: the code equals what the sequence's builder emits in place, at any offset and
    for each use (two uses here, each with its own trap label, bound after both)."""
    from jitwasm.backend_x64 import masm
    from jitwasm.backend_x64.assembler import Assembler
    from jitwasm.backend_x64.regs import RAX

    builder, args = ((masm._memory_copy, (RAX, 3, masm.HAS_AVX)) if build == "copy"
                     else (masm._memory_fill, ()))

    def emit_templated(a, label, *args):
        masm.emit_templated(a, label, builder, *args)

    codes = []
    for emit in (builder, emit_templated):
        a = Assembler()
        labels = []
        for pad in (3, 0):
            a.nop(pad)
            labels.append(a.new_label())
            emit(a, labels[-1], *args)
        for label in labels:
            a.bind(label)
            a.ud2()
        codes.append(a.finish())
    assert codes[0] == codes[1]
