"""Canonical function-type ids: equal FuncTypes get equal ids, process-wide.

call_indirect compares a FuncRef's type id with the id of the expected type in one instruction,
so ids must agree between every instance (and host function) that can meet in a table. Making
the registry process-wide rather than per store is a superset of that (a host function defined
once in a Linker can serve many stores) and costs one dict.
"""

import _thread  # threading's primitives, without importing threading (~2 ms at startup)

from ..binary.types import FuncType

_ids: dict = {}
_lock = _thread.allocate_lock()


def canonical_type_id(functype: FuncType) -> int:
    """The id of `functype` (>= 1; 0 never names a type)."""
    found = _ids.get(functype)
    if found is None:
        with _lock:
            found = _ids.setdefault(FuncType(tuple(functype.params), tuple(functype.results)),
                                    len(_ids) + 1)
    return found
