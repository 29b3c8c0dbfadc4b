"""The Wasm 2.0 binary decoder: module bytes -> ModuleInfo, one pass over the sections.

Function bodies are not decoded: each becomes a byte range (the validator and the compiler
walk it in their own single pass; the validator also checks that the body's final `end` lands
on its declared size, reading past it as the reference decoder does). Everything else is read
into plain tuples and ints.

Reading follows the spec's reference decoder, so errors carry its messages: reads are not
bounded by the enclosing section (a section that claims fewer bytes than its contents is
"section size mismatch" once it has been read), every length is checked against the bytes
left in the module ("length out of bounds"), and running out of bytes inside a section is
"unexpected end of section or function".
"""

from ..errors import DecodeError
from .leb128 import read_s32, read_s64, read_u32
from .module import (
    DATA_ACTIVE, DATA_PASSIVE, ELEM_ACTIVE, ELEM_DECLARATIVE, ELEM_PASSIVE, ConstExpr,
    CustomSection, DataSegment, ElementSegment, Export, FuncBody, Global, Import, ModuleInfo,
)
from .names import parse_name_section, read_length, read_name
from .opcodes import (
    BLOCK, DATA_DROP, ELSE, END, F32_CONST, F64_CONST, GLOBAL_GET, I32_CONST, I64_CONST, IF, LOOP,
    MEMORY_INIT, REF_FUNC, REF_NULL, V128_CONST, read_opcode, skip_immediates,
)
from .types import (
    EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, FUNCREF, REF_TYPES, VALUE_TYPES,
    FuncType, GlobalType, Limits, MemoryType, TableType,
)

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

SECTION_CUSTOM = 0
SECTION_TYPE = 1
SECTION_IMPORT = 2
SECTION_FUNCTION = 3
SECTION_TABLE = 4
SECTION_MEMORY = 5
SECTION_GLOBAL = 6
SECTION_EXPORT = 7
SECTION_START = 8
SECTION_ELEMENT = 9
SECTION_CODE = 10
SECTION_DATA = 11
SECTION_DATA_COUNT = 12

# Rank of each non-custom section in the order the spec requires (data count sits between
# the element and code sections); a section must rank strictly above the previous one.
SECTION_RANK = {
    SECTION_TYPE: 1, SECTION_IMPORT: 2, SECTION_FUNCTION: 3, SECTION_TABLE: 4,
    SECTION_MEMORY: 5, SECTION_GLOBAL: 6, SECTION_EXPORT: 7, SECTION_START: 8,
    SECTION_ELEMENT: 9, SECTION_DATA_COUNT: 10, SECTION_CODE: 11, SECTION_DATA: 12,
}

FUNC_TYPE_FORM = 0x60
ELEM_KIND_FUNCREF = 0x00

# Implementation limit (as in V8 and wasmparser): the flattened locals tuple must stay small.
# The spec's own limit (total < 2**32) is far above it; both are "too many locals".
MAX_FUNCTION_LOCALS = 50_000

END_OF_SECTION = "unexpected end of section or function"

_BODY_OPENERS = frozenset((BLOCK, LOOP, IF))


# NamedTuple construction without the generated Python-level __new__: a measurable saving
# for the records made once per function body or export.
_tuple_new = tuple.__new__


def decode_module(data) -> ModuleInfo:
    """Decode a binary module; raise DecodeError (reason, byte offset) if it is malformed."""
    if not isinstance(data, bytes):
        data = bytes(data)
    n = len(data)
    if n < 4:
        raise DecodeError("unexpected end", n)
    if data[:4] != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if n < 8:
        raise DecodeError("unexpected end", n)
    if data[4:8] != VERSION:
        raise DecodeError("unknown binary version", 4)
    info = ModuleInfo(data)
    try:
        _read_sections(data, info)
    except IndexError:
        raise DecodeError(END_OF_SECTION, n) from None
    except DecodeError as e:
        if e.reason == "unexpected end":  # from the LEB/opcode readers, which do not know
            raise DecodeError(END_OF_SECTION, e.offset) from None  # they are in a section
        raise
    _check_counts(info, n)
    _fill_index_spaces(info)
    return info


def _read_sections(data: bytes, info: ModuleInfo) -> None:
    n = len(data)
    pos = 8
    last_rank = 0
    readers = _SECTION_READERS
    while pos < n:
        section_pos = pos
        sid = data[pos]
        if sid == SECTION_CUSTOM:
            rank = None
        else:
            rank = SECTION_RANK.get(sid)
            if rank is None:
                raise DecodeError("malformed section id", pos)
            if rank <= last_rank:
                raise DecodeError("unexpected content after last section", pos)
            last_rank = rank
        size, start = read_length(data, pos + 1)
        end = start + size
        if end > n:
            raise DecodeError(END_OF_SECTION, n)
        if rank is None:
            _read_custom(data, start, end, section_pos, info)
        else:
            pos = readers[sid](data, start, info)
            if pos != end:
                raise DecodeError("section size mismatch", min(pos, end))
        pos = end


def _check_counts(info: ModuleInfo, n: int) -> None:
    if len(info.func_type_indices) != len(info.codes):
        raise DecodeError("function and code section have inconsistent lengths", n)
    if info.data_count is not None and info.data_count != len(info.datas):
        raise DecodeError("data count and data section have inconsistent lengths", n)


def _fill_index_spaces(info: ModuleInfo) -> None:
    """Imports first, then definitions. A function whose type index is out of range gets
    None (the validator reports "unknown type")."""
    types = info.types
    ntypes = len(types)
    funcs, tables, memories, globals_ = [], [], [], []
    by_kind = {EXTERN_FUNC: funcs, EXTERN_TABLE: tables, EXTERN_MEMORY: memories,
               EXTERN_GLOBAL: globals_}
    for imp in info.imports:
        desc = imp.desc
        if imp.kind == EXTERN_FUNC:
            desc = types[desc] if desc < ntypes else None
        by_kind[imp.kind].append(desc)
    info.num_imported_funcs = len(funcs)
    info.num_imported_tables = len(tables)
    info.num_imported_memories = len(memories)
    info.num_imported_globals = len(globals_)
    funcs.extend(types[t] if t < ntypes else None for t in info.func_type_indices)
    tables.extend(info.tables)
    memories.extend(info.memories)
    globals_.extend(g.type for g in info.globals)
    info.func_types = funcs
    info.table_types = tables
    info.memory_types = memories
    info.global_types = globals_


# ---------------------------------------------------------------------------------------
# Types


def _bad_type(byte: int, pos: int, what: str) -> DecodeError:
    """Type codes are one-byte signed LEBs (s7) in the spec, so a continuation bit is an
    over-long integer rather than an unknown type."""
    if byte & 0x80:
        return DecodeError("integer representation too long", pos)
    return DecodeError(f"malformed {what}", pos)


def _read_valtype(data, pos: int):
    t = data[pos]
    if t not in VALUE_TYPES:
        raise _bad_type(t, pos, "value type")
    return t, pos + 1


def _read_reftype(data, pos: int):
    t = data[pos]
    if t not in REF_TYPES:
        raise _bad_type(t, pos, "reference type")
    return t, pos + 1


def _read_valtype_vec(data, pos: int):
    """vec(valtype) as a tuple of ints: one slice, one subset check."""
    count, pos = read_length(data, pos)
    end = pos + count
    if end > len(data):
        raise DecodeError("unexpected end", len(data))
    ts = tuple(data[pos:end])
    if not VALUE_TYPES.issuperset(ts):
        for i, t in enumerate(ts):
            if t not in VALUE_TYPES:
                raise _bad_type(t, pos + i, "value type")
    return ts, end


def _read_limits(data, pos: int):
    """Flags are a 1-bit LEB in the spec: 2..127 is "integer too large", a continuation bit
    on 0/1 is "integer representation too long"."""
    flags = data[pos]
    if flags > 1:
        if flags & 0x7F > 1:
            raise DecodeError("integer too large", pos)
        raise DecodeError("integer representation too long", pos)
    lo, pos = read_u32(data, pos + 1)
    if flags:
        hi, pos = read_u32(data, pos)
        return Limits(lo, hi), pos
    return Limits(lo, None), pos


def _read_table_type(data, pos: int):
    elem_type, pos = _read_reftype(data, pos)
    limits, pos = _read_limits(data, pos)
    return TableType(elem_type, limits), pos


def _read_memory_type(data, pos: int):
    limits, pos = _read_limits(data, pos)
    return MemoryType(limits), pos


def _read_global_type(data, pos: int):
    valtype, pos = _read_valtype(data, pos)
    mut = data[pos]
    if mut > 1:
        raise DecodeError("malformed mutability", pos)
    return GlobalType(valtype, mut == 1), pos + 1


# ---------------------------------------------------------------------------------------
# Constant expressions


def _read_fixed(data, pos: int, size: int):
    """A little-endian bit pattern of `size` bytes (f32/f64/v128 constants)."""
    end = pos + size
    if end > len(data):
        raise DecodeError("unexpected end", len(data))
    return int.from_bytes(data[pos:end], "little"), end


# Immediate readers of the instructions a constant expression may use; any other
# instruction is skipped with opcodes.skip_immediates and kept with immediate None.
_CONST_IMMEDIATES = {
    I32_CONST: read_s32,
    I64_CONST: read_s64,
    F32_CONST: lambda data, pos: _read_fixed(data, pos, 4),
    F64_CONST: lambda data, pos: _read_fixed(data, pos, 8),
    V128_CONST: lambda data, pos: _read_fixed(data, pos, 16),
    REF_NULL: _read_reftype,
    REF_FUNC: read_u32,
    GLOBAL_GET: read_u32,
}


def _read_const_expr(data, pos: int):
    """Instructions up to the `end` that closes the expression (nested blocks are tracked,
    so a non-constant `block ... end` inside does not end it early)."""
    start = pos
    instrs = []
    depth = 0
    immediates = _CONST_IMMEDIATES
    while True:
        op_pos = pos
        if data[pos] == END:
            pos += 1
            if not depth:
                return ConstExpr(tuple(instrs), start), pos
            depth -= 1
            instrs.append((END, None, op_pos))
            continue
        op, pos = read_opcode(data, pos)
        reader = immediates.get(op)
        if reader is not None:
            imm, pos = reader(data, pos)
        else:
            imm = None
            pos = skip_immediates(data, pos, op)
            if op in _BODY_OPENERS:
                depth += 1
        instrs.append((op, imm, op_pos))


# ---------------------------------------------------------------------------------------
# Sections


def _read_types(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    types = info.types
    for _ in range(count):
        form = data[pos]
        if form != FUNC_TYPE_FORM:
            raise _bad_type(form, pos, "function type")
        params, pos = _read_valtype_vec(data, pos + 1)
        results, pos = _read_valtype_vec(data, pos)
        types.append(FuncType(params, results))
    return pos


def _read_imports(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    imports = info.imports
    for _ in range(count):
        import_pos = pos
        module, pos = read_name(data, pos)
        name, pos = read_name(data, pos)
        kind = data[pos]
        pos += 1
        if kind == EXTERN_FUNC:
            desc, pos = read_u32(data, pos)
        elif kind == EXTERN_TABLE:
            desc, pos = _read_table_type(data, pos)
        elif kind == EXTERN_MEMORY:
            desc, pos = _read_memory_type(data, pos)
        elif kind == EXTERN_GLOBAL:
            desc, pos = _read_global_type(data, pos)
        else:
            raise DecodeError("malformed import kind", pos - 1)
        imports.append(Import(module, name, kind, desc, import_pos))
    return pos


def _read_u32_vec(data, pos: int):
    """vec(u32) as a tuple; one-byte values (the common case) skip the LEB reader."""
    count, pos = read_length(data, pos)
    values = []
    append = values.append
    for _ in range(count):
        b = data[pos]
        if b < 0x80:
            append(b)
            pos += 1
        else:
            v, pos = read_u32(data, pos)
            append(v)
    return tuple(values), pos


def _read_functions(data, pos: int, info: ModuleInfo) -> int:
    indices, pos = _read_u32_vec(data, pos)
    info.func_type_indices = list(indices)
    return pos


def _read_tables(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    tables = info.tables
    for _ in range(count):
        table, pos = _read_table_type(data, pos)
        tables.append(table)
    return pos


def _read_memories(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    memories = info.memories
    for _ in range(count):
        memory, pos = _read_memory_type(data, pos)
        memories.append(memory)
    return pos


def _read_globals(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    globals_ = info.globals
    for _ in range(count):
        gtype, pos = _read_global_type(data, pos)
        init, pos = _read_const_expr(data, pos)
        globals_.append(Global(gtype, init))
    return pos


def _read_exports(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    exports = info.exports
    for _ in range(count):
        export_pos = pos
        name, pos = read_name(data, pos)
        kind = data[pos]
        if kind > EXTERN_GLOBAL:
            raise DecodeError("malformed export kind", pos)
        index, pos = read_u32(data, pos + 1)
        exports.append(_tuple_new(Export, (name, kind, index, export_pos)))
    return pos


def _read_start(data, pos: int, info: ModuleInfo) -> int:
    info.start, pos = read_u32(data, pos)
    return pos


def _read_elements(data, pos: int, info: ModuleInfo) -> int:
    """The 8 encodings are the flag bits: bit 0 passive/declarative (else active), bit 1
    explicit table index (active) or declarative (otherwise), bit 2 expressions instead of
    function indices. Flags 0 and 4 imply funcref and have no type byte."""
    count, pos = read_length(data, pos)
    elements = info.elements
    for _ in range(count):
        seg_pos = pos
        flags, pos = read_u32(data, pos)
        if flags > 7:
            raise DecodeError("malformed elements segment kind", seg_pos)
        table_index = 0
        offset_expr = None
        if flags & 1:
            mode = ELEM_DECLARATIVE if flags & 2 else ELEM_PASSIVE
        else:
            mode = ELEM_ACTIVE
            if flags & 2:
                table_index, pos = read_u32(data, pos)
            offset_expr, pos = _read_const_expr(data, pos)
        elem_type = FUNCREF
        func_indices = exprs = None
        if flags & 4:
            if flags & 3:
                elem_type, pos = _read_reftype(data, pos)
            n, pos = read_length(data, pos)
            items = []
            for _ in range(n):
                expr, pos = _read_const_expr(data, pos)
                items.append(expr)
            exprs = tuple(items)
        else:
            if flags & 3:
                if data[pos] != ELEM_KIND_FUNCREF:
                    raise DecodeError("malformed element kind", pos)
                pos += 1
            func_indices, pos = _read_u32_vec(data, pos)
        elements.append(ElementSegment(mode, elem_type, table_index, offset_expr,
                                       func_indices, exprs, seg_pos))
    return pos


def _read_data_count(data, pos: int, info: ModuleInfo) -> int:
    info.data_count, pos = read_u32(data, pos)
    return pos


def _read_code(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    append = info.codes.append
    n = len(data)
    for _ in range(count):
        body_pos = pos
        size = data[pos]
        if size < 0x80:
            pos += 1
        else:
            size, pos = read_u32(data, pos)
        if size > n - body_pos:
            raise DecodeError("length out of bounds", body_pos)
        end = pos + size
        if end > n:
            raise DecodeError("unexpected end", n)
        if data[pos] == 0:  # no locals: the common case in optimised code
            local_types = ()
            pos += 1
        else:
            local_types, pos = _read_locals(data, pos, body_pos)
        if pos > end:
            raise DecodeError(END_OF_SECTION, end)
        if pos == end or data[end - 1] != END:
            # Malformed for sure. The validator would find out, but only after the sections
            # that follow, which the reference decoder never reaches: report its error now.
            check_body_well_formed(data, pos, end, [BODY_FRAME], info.data_count is not None)
        append(_tuple_new(FuncBody, (local_types, pos, end, body_pos)))
        pos = end
    return pos


def _read_locals(data, pos: int, body_pos: int):
    """vec((count, valtype)) flattened into one tuple of valtypes."""
    groups, pos = read_length(data, pos)
    flat = []
    total = 0
    for _ in range(groups):
        num = data[pos]
        if num < 0x80:
            pos += 1
        else:
            num, pos = read_u32(data, pos)
        t = data[pos]
        if t not in VALUE_TYPES:
            raise _bad_type(t, pos, "value type")
        pos += 1
        total += num
        if total > MAX_FUNCTION_LOCALS:
            raise DecodeError("too many locals", body_pos)
        flat += (t,) * num
    return tuple(flat), pos


# ---------------------------------------------------------------------------------------
# Function bodies: decode-only walks for error paths (the validator decodes bodies as it types
# them; these find the reference decoder's error, or an error's location, when it has not).

BODY_FRAME = -1  # the frame kind of a function body itself in `frames` below
_NEEDS_DATA_COUNT = frozenset((MEMORY_INIT, DATA_DROP))


def check_body_well_formed(data, pos: int, end: int, frames: list, has_data_count: bool):
    """Decode a body's instructions from `pos` the way the reference decoder does: not
    bounded by the declared size, up to the `end` that closes the body, which must be the
    last byte before `end` ("section size mismatch" otherwise). Raise the first DecodeError
    in byte order; return if there is none.

    `frames` lists the opcodes of the blocks open at `pos`, outermost (BODY_FRAME) first: an
    `else` is well formed only directly inside an `if` (IF) that has not had one yet."""
    frames = list(frames)
    try:
        while True:
            opcode, npos = read_opcode(data, pos)
            if opcode in _BODY_OPENERS:
                frames.append(opcode)
            elif opcode == ELSE:
                if frames[-1] != IF:
                    raise DecodeError("END opcode expected", pos)
                frames[-1] = ELSE
            elif opcode == END:
                del frames[-1]
                if not frames:
                    if npos != end:
                        raise DecodeError("section size mismatch", pos)
                    return
            elif opcode in _NEEDS_DATA_COUNT and not has_data_count:
                raise DecodeError("data count section required", pos)
            pos = skip_immediates(data, npos, opcode)
    except IndexError:
        raise DecodeError(END_OF_SECTION, len(data)) from None
    except DecodeError as e:
        if e.reason == "unexpected end":
            raise DecodeError(END_OF_SECTION, e.offset) from None
        raise


def instruction_start(data, start: int, pos: int) -> int:
    """Offset of the instruction that was being decoded when a reader stood at `pos`, in the
    body whose instructions begin at `start` (the instructions before it are known to decode).

    The validator does not keep instruction starts (one store per instruction on the hot
    path); on an error it re-walks the body with this.
    """
    while True:
        try:
            opcode, npos = read_opcode(data, start)
            nxt = skip_immediates(data, npos, opcode)
        except (DecodeError, IndexError):
            return start
        if nxt >= pos:
            return start
        start = nxt


# ---------------------------------------------------------------------------------------
# Data


def _read_data(data, pos: int, info: ModuleInfo) -> int:
    count, pos = read_length(data, pos)
    datas = info.datas
    n = len(data)
    for _ in range(count):
        seg_pos = pos
        flags, pos = read_u32(data, pos)
        memory_index = 0
        offset_expr = None
        if flags == 1:
            mode = DATA_PASSIVE
        elif flags == 0 or flags == 2:
            mode = DATA_ACTIVE
            if flags == 2:
                memory_index, pos = read_u32(data, pos)
            offset_expr, pos = _read_const_expr(data, pos)
        else:
            raise DecodeError("malformed data segment kind", seg_pos)
        size, start = read_length(data, pos)
        pos = start + size
        if pos > n:
            raise DecodeError("unexpected end", n)
        datas.append(DataSegment(mode, memory_index, offset_expr, start, pos, seg_pos))
    return pos


def _read_custom(data, pos: int, end: int, section_pos: int, info: ModuleInfo) -> None:
    name, pos = read_name(data, pos)
    if pos > end:
        raise DecodeError(END_OF_SECTION, end)
    info.customs.append(CustomSection(name, pos, end, section_pos))
    if name == "name" and info.names is None:
        info.names = parse_name_section(data, pos, end)


_SECTION_READERS = {
    SECTION_TYPE: _read_types,
    SECTION_IMPORT: _read_imports,
    SECTION_FUNCTION: _read_functions,
    SECTION_TABLE: _read_tables,
    SECTION_MEMORY: _read_memories,
    SECTION_GLOBAL: _read_globals,
    SECTION_EXPORT: _read_exports,
    SECTION_START: _read_start,
    SECTION_ELEMENT: _read_elements,
    SECTION_DATA_COUNT: _read_data_count,
    SECTION_CODE: _read_code,
    SECTION_DATA: _read_data,
}
