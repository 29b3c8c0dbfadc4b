"""ModuleInfo: the decoder's output, a plain description of a module.

Function bodies stay byte ranges into the original bytes; the validator and the compiler
decode them in their own single pass.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from .types import FuncType, GlobalType, MemoryType, TableType


class ConstExpr(NamedTuple):
    """A constant expression (global init, segment offset, element item).

    `instrs` is a tuple of `(opcode, immediate, offset)`; opcode is the first byte, or
    `(prefix << 8) | subop` for 0xFC/0xFD prefixed ones (e.g. 0xFD0C is v128.const).
    Immediates: int for i32/i64.const (signed), global.get, ref.func; the bit pattern as an int
    for f32/f64/v128.const; the reftype int for ref.null; None for anything else.
    The final `end` is not included. Non-constant instructions are kept (with immediate None)
    so the validator can report "constant expression required".
    """
    instrs: tuple
    offset: int  # byte offset of the first instruction


class Import(NamedTuple):
    module: str
    name: str
    kind: int          # EXTERN_FUNC / TABLE / MEMORY / GLOBAL
    desc: object       # type index (func) | TableType | MemoryType | GlobalType
    offset: int


class Export(NamedTuple):
    name: str
    kind: int
    index: int
    offset: int


class Global(NamedTuple):
    type: GlobalType
    init: ConstExpr


class FuncBody(NamedTuple):
    """One entry of the code section."""
    locals: tuple      # flattened per-local valtypes (params NOT included)
    code_start: int    # offset of the first instruction (after the locals declarations)
    end: int           # offset one past the final `end` opcode of the body
    offset: int        # offset of the body's size field (for error messages)


# Element segment modes
ELEM_PASSIVE = 0
ELEM_ACTIVE = 1
ELEM_DECLARATIVE = 2


class ElementSegment(NamedTuple):
    mode: int                  # ELEM_PASSIVE / ELEM_ACTIVE / ELEM_DECLARATIVE
    elem_type: int             # FUNCREF / EXTERNREF
    table_index: int           # meaningful when active
    offset_expr: ConstExpr | None  # when active
    func_indices: tuple | None # for the function-index encodings (flags 0-3)
    exprs: tuple | None        # of ConstExpr, for the expression encodings (flags 4-7)
    offset: int


# Data segment modes
DATA_ACTIVE = 0
DATA_PASSIVE = 1


class DataSegment(NamedTuple):
    mode: int
    memory_index: int
    offset_expr: ConstExpr | None
    data_start: int            # byte range of the payload in the module bytes
    data_end: int
    offset: int


class CustomSection(NamedTuple):
    name: str
    payload_start: int
    payload_end: int
    offset: int


@dataclass
class NameSection:
    module_name: str | None = None
    function_names: dict = field(default_factory=dict)   # func index -> str
    local_names: dict = field(default_factory=dict)      # func index -> {local index -> str}


@dataclass
class ModuleInfo:
    data: bytes                                    # the module's bytes (bodies refer into it)
    types: list = field(default_factory=list)      # FuncType
    imports: list = field(default_factory=list)    # Import
    func_type_indices: list = field(default_factory=list)  # type index per DEFINED function
    tables: list = field(default_factory=list)     # TableType (defined)
    memories: list = field(default_factory=list)   # MemoryType (defined)
    globals: list = field(default_factory=list)    # Global (defined)
    exports: list = field(default_factory=list)    # Export
    start: int | None = None
    elements: list = field(default_factory=list)   # ElementSegment
    data_count: int | None = None
    codes: list = field(default_factory=list)      # FuncBody, parallel to func_type_indices
    datas: list = field(default_factory=list)      # DataSegment
    customs: list = field(default_factory=list)    # CustomSection
    names: NameSection | None = None

    # Index spaces (imports first), filled by the decoder once all sections are read.
    func_types: list = field(default_factory=list)     # FuncType for every function index
    table_types: list = field(default_factory=list)    # TableType for every table index
    memory_types: list = field(default_factory=list)   # MemoryType for every memory index
    global_types: list = field(default_factory=list)   # GlobalType for every global index
    num_imported_funcs: int = 0
    num_imported_tables: int = 0
    num_imported_memories: int = 0
    num_imported_globals: int = 0
