"""Python implementations of the runtime builtins (runtime/builtins.py), bound to one instance.

Generated code calls these through host stubs like imports; each instance gets its own set, so
the implementation knows whose memories, tables and segments the static indices refer to.
Arguments arrive as the host stub passes them (i32 as signed ints), so every i32 operand that
the spec reads as unsigned is masked first. Out-of-bounds operations raise the spec's Trap,
which the host stub turns into a trap of the calling Wasm code.
"""

from .builtins import BUILTINS
from .linear_memory import OUT_OF_BOUNDS as MEMORY_OUT_OF_BOUNDS
from ..errors import Trap

_U32 = 0xFFFFFFFF


def builtin_functions(instance) -> tuple:
    """Callables in BUILTINS order, operating on `instance`."""
    memories = instance.memories
    tables = instance.tables
    datas = instance.data_segments
    elems = instance.elem_segments

    def memory_grow(mem, delta):
        return memories[mem].grow(delta & _U32)

    def memory_init(mem, seg, dst, src, n):
        data = datas[seg]
        src &= _U32
        n &= _U32
        if src + n > len(data):
            raise Trap(MEMORY_OUT_OF_BOUNDS)
        memories[mem].write(dst & _U32, data[src:src + n])

    def data_drop(seg):
        datas[seg] = b""

    def memory_copy(dst_mem, src_mem, dst, src, n):
        memories[dst_mem].copy_from(dst & _U32, memories[src_mem], src & _U32, n & _U32)

    def memory_fill(mem, dst, value, n):
        memories[mem].fill(dst & _U32, value, n & _U32)

    def table_grow(table, init, delta):
        return tables[table].grow(delta & _U32, init)

    def table_fill(table, dst, value, n):
        tables[table].fill(dst & _U32, value, n & _U32)

    def table_copy(dst_table, src_table, dst, src, n):
        tables[dst_table].copy_from(dst & _U32, tables[src_table], src & _U32, n & _U32)

    def table_init(table, seg, dst, src, n):
        tables[table].init(dst & _U32, elems[seg], src & _U32, n & _U32)

    def elem_drop(seg):
        elems[seg] = ()

    impls = {fn.__name__: fn for fn in (memory_grow, memory_init, data_drop, memory_copy,
                                        memory_fill, table_grow, table_fill, table_copy,
                                        table_init, elem_drop)}
    return tuple(impls[b.name] for b in BUILTINS)
