"""The `spectest` host module the spec scripts import from.

Its contents are fixed by the spec interpreter: print functions (which print nothing here),
four immutable globals holding 666 / 666.6, a funcref table of 10..20 elements and a memory of
1..2 pages.
"""

import struct

from ..binary.types import (F32, F64, FUNCREF, I32, I64, FuncType, GlobalType, Limits, MemoryType,
                            TableType)
from ..runtime.functions import Function
from ..runtime.globals import Global
from ..runtime.linear_memory import LinearMemory
from ..runtime.table import Table

_PRINTS = {
    "print": (), "print_i32": (I32,), "print_i64": (I64,), "print_f32": (F32,),
    "print_f64": (F64,), "print_i32_f32": (I32, F32), "print_f64_f64": (F64, F64),
}


def _ignore(*args) -> None:
    return None


def spectest_exports() -> dict:
    """Fresh `spectest` externs by name (a new table, memory and globals per call)."""
    exports = {name: Function.from_host(FuncType(params, ()), _ignore)
               for name, params in _PRINTS.items()}
    exports["global_i32"] = Global(GlobalType(I32, False), 666)
    exports["global_i64"] = Global(GlobalType(I64, False), 666)
    exports["global_f32"] = Global(GlobalType(F32, False),
                                   struct.unpack("<I", struct.pack("<f", 666.6))[0])
    exports["global_f64"] = Global(GlobalType(F64, False),
                                   struct.unpack("<Q", struct.pack("<d", 666.6))[0])
    exports["table"] = Table(TableType(FUNCREF, Limits(10, 20)))
    exports["memory"] = LinearMemory(MemoryType(Limits(1, 2)))
    return exports
