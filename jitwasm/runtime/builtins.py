"""Runtime builtins: operations generated code delegates to the runtime (the compiler/runtime contract).

`vmctx.builtins` points at an array of FuncRef records, one per entry of BUILTINS, in this order.
Generated code calls builtin k like an import: arguments in the Wasm convention for its
signature (abi.signature_layout), through `emit_funcref_call` on `builtins + k * FUNCREF_SIZE`.
Each FuncRef's vmctx is a host context whose host_data identifies the calling instance, so the
Python side knows which instance's memories, tables and segments to use. A builtin that traps
(out-of-bounds segment access, ...) raises `jitwasm.Trap` on the Python side, which the host stub
turns into a trap of the Wasm caller.

Operand order follows the Wasm instruction's stack operands, with the static immediates
(memory/table/segment indices) as leading i32 parameters.
"""

from collections import namedtuple

from ..binary.types import FUNCREF, I32


class Builtin(namedtuple("Builtin", "name params results")):
    __slots__ = ()


# A table element or reference argument crosses as an i64-sized pointer/handle; the compiler
# passes references in GPRs like i64. REF stands for either reference type here.
REF = FUNCREF

BUILTINS = (
    Builtin("memory_grow", (I32, I32), (I32,)),                  # mem, delta -> old pages | -1
    Builtin("memory_init", (I32, I32, I32, I32, I32), ()),        # mem, seg, dst, src, n
    Builtin("data_drop", (I32,), ()),                             # seg
    Builtin("memory_copy", (I32, I32, I32, I32, I32), ()),        # dst_mem, src_mem, dst, src, n
    Builtin("memory_fill", (I32, I32, I32, I32), ()),             # mem, dst, value, n
    Builtin("table_grow", (I32, REF, I32), (I32,)),               # table, init, delta -> old | -1
    Builtin("table_fill", (I32, I32, REF, I32), ()),              # table, dst, value, n
    Builtin("table_copy", (I32, I32, I32, I32, I32), ()),         # dst_table, src_table, d, s, n
    Builtin("table_init", (I32, I32, I32, I32, I32), ()),         # table, seg, dst, src, n
    Builtin("elem_drop", (I32,), ()),                             # seg
)

BUILTIN_INDEX = {b.name: i for i, b in enumerate(BUILTINS)}

MEMORY_GROW = BUILTIN_INDEX["memory_grow"]
MEMORY_INIT = BUILTIN_INDEX["memory_init"]
DATA_DROP = BUILTIN_INDEX["data_drop"]
MEMORY_COPY = BUILTIN_INDEX["memory_copy"]
MEMORY_FILL = BUILTIN_INDEX["memory_fill"]
TABLE_GROW = BUILTIN_INDEX["table_grow"]
TABLE_FILL = BUILTIN_INDEX["table_fill"]
TABLE_COPY = BUILTIN_INDEX["table_copy"]
TABLE_INIT = BUILTIN_INDEX["table_init"]
ELEM_DROP = BUILTIN_INDEX["elem_drop"]

