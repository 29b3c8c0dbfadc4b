"""ModuleInfo: the decoder's output, a plain description of a module.

Function bodies stay byte ranges into the original bytes; the validator and the compiler
decode them in their own single pass.
"""

from collections import namedtuple


class ConstExpr(namedtuple("ConstExpr", "instrs offset")):
    """A constant expression (global init, segment offset, element item).

    `instrs` is a tuple of `(opcode, immediate, offset)`; opcode is the first byte, or
    `(prefix << 8) | subop` for 0xFC/0xFD prefixed ones (e.g. 0xFD0C is v128.const).
    Immediates: int for i32/i64.const (signed), global.get, ref.func; the bit pattern as an int
    for f32/f64/v128.const; the reftype int for ref.null; None for anything else.
    The final `end` is not included. Non-constant instructions are kept (with immediate None)
    so the validator can report "constant expression required".

    offset: byte offset of the first instruction
    """
    __slots__ = ()


class Import(namedtuple("Import", "module name kind desc offset")):
    """Fields:
    kind: EXTERN_FUNC / TABLE / MEMORY / GLOBAL
    desc: type index (func) | TableType | MemoryType | GlobalType
    """
    __slots__ = ()


class Export(namedtuple("Export", "name kind index offset")):
    __slots__ = ()


class Global(namedtuple("Global", "type init")):
    __slots__ = ()


class FuncBody(namedtuple("FuncBody", "locals code_start end offset")):
    """One entry of the code section.

    locals: flattened per-local valtypes (params NOT included)
    code_start: offset of the first instruction (after the locals declarations)
    end: offset one past the final `end` opcode of the body
    offset: offset of the body's size field (for error messages)
    """
    __slots__ = ()


# Element segment modes
ELEM_PASSIVE = 0
ELEM_ACTIVE = 1
ELEM_DECLARATIVE = 2


class ElementSegment(namedtuple("ElementSegment", "mode elem_type table_index offset_expr "
                                                 "func_indices exprs offset")):
    """Fields:
    mode: ELEM_PASSIVE / ELEM_ACTIVE / ELEM_DECLARATIVE
    elem_type: FUNCREF / EXTERNREF
    table_index: meaningful when active
    offset_expr: when active
    func_indices: for the function-index encodings (flags 0-3)
    exprs: of ConstExpr, for the expression encodings (flags 4-7)
    """
    __slots__ = ()


# Data segment modes
DATA_ACTIVE = 0
DATA_PASSIVE = 1


class DataSegment(namedtuple("DataSegment",
                             "mode memory_index offset_expr data_start data_end offset")):
    """Fields:
    data_start, data_end: byte range of the payload in the module bytes
    """
    __slots__ = ()


class CustomSection(namedtuple("CustomSection", "name payload_start payload_end offset")):
    __slots__ = ()


class NameSection:
    """The custom "name" section's contents (module, function and local names)."""
    __slots__ = ("module_name", "function_names", "local_names")

    def __init__(self, module_name: str | None = None, function_names=None, local_names=None):
        self.module_name = module_name
        self.function_names = {} if function_names is None else function_names  # index -> str
        self.local_names = {} if local_names is None else local_names   # func -> {local -> str}

    def __repr__(self) -> str:
        return (f"NameSection(module_name={self.module_name!r}, "
                f"function_names={self.function_names!r}, local_names={self.local_names!r})")


class ModuleInfo:
    """The decoded module: the sections' contents, and the index spaces (imports first) the
    decoder fills once all sections are read. A plain class rather than a dataclass: the
    dataclasses module imports inspect, ~20 ms of a small program's start."""

    def __init__(self, data: bytes):
        self.data = data                  # the module's bytes (bodies refer into it)
        self.types = []                   # FuncType
        self.imports = []                 # Import
        self.func_type_indices = []       # type index per DEFINED function
        self.tables = []                  # TableType (defined)
        self.memories = []                # MemoryType (defined)
        self.globals = []                 # Global (defined)
        self.exports = []                 # Export
        self.start: int | None = None
        self.elements = []                # ElementSegment
        self.data_count: int | None = None
        self.codes = []                   # FuncBody, parallel to func_type_indices
        self.datas = []                   # DataSegment
        self.customs = []                 # CustomSection
        self.names: NameSection | None = None
        self.func_types = []              # FuncType for every function index
        self.table_types = []             # TableType for every table index
        self.memory_types = []            # MemoryType for every memory index
        self.global_types = []            # GlobalType for every global index
        self.num_imported_funcs = 0
        self.num_imported_tables = 0
        self.num_imported_memories = 0
        self.num_imported_globals = 0

    def __repr__(self) -> str:
        return (f"<ModuleInfo: {len(self.data)} bytes, {len(self.func_types)} functions, "
                f"{len(self.imports)} imports, {len(self.exports)} exports>")
