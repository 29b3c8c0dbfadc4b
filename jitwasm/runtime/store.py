"""The Store: what instances, host functions and values of one embedding share and keep alive.

A store owns its externref handle table and can map any funcref value it handed out (a FuncRef
record address) back to its Function: host functions by address, instance functions through the
address range of each instance's func_refs array. Instances stay alive for the store's
lifetime, including ones whose instantiation trapped after writing into an imported table: those
table entries still point into the failed instance.

A store also owns the StoreLimits its instances' vmctx point at: fuel left and the epoch
deadline, against an epoch counter that an engine may share between its stores.
"""

import bisect
import ctypes

from ..runtime.vmctx import FUNCREF_SIZE, StoreLimits
from .externref import ExternRefTable
from .functions import Function
from .limits import ResourceLimiter


_MAX_FUEL = (1 << 63) - 1
_MAX_EPOCH = (1 << 64) - 1


class Store:
    __slots__ = ("externrefs", "instances", "data", "embedder", "epoch_counter", "limits",
                 "limits_address", "limiter", "_functions", "_range_starts", "_ranges",
                 "__weakref__")

    def __init__(self, data=None, epoch_counter: ctypes.c_uint64 | None = None):
        self.externrefs = ExternRefTable()
        self.instances: list = []
        self.data = data
        self.embedder = None  # the embedding layer's object for this store (jitwasm.api.Store)
        self.epoch_counter = ctypes.c_uint64() if epoch_counter is None else epoch_counter
        self.limits = StoreLimits(0, 0, ctypes.addressof(self.epoch_counter))
        self.limits_address = ctypes.addressof(self.limits)
        self.limiter = ResourceLimiter()  # Store.set_limits; its memories and tables keep it
        self._functions: dict = {}  # host FuncRef record address -> Function
        self._range_starts: list = []  # sorted func_refs array addresses
        self._ranges: list = []  # parallel: (end, instance)

    @property
    def fuel(self) -> int:
        """Fuel left for code compiled with fuel checks."""
        return max(0, -self.limits.fuel_consumed)

    @fuel.setter
    def fuel(self, amount: int) -> None:
        self.limits.fuel_consumed = -min(amount, _MAX_FUEL)

    def set_epoch_deadline(self, ticks_after_current: int) -> None:
        """Code compiled with epoch checks traps once the epoch has advanced this many ticks."""
        self.limits.epoch_deadline = min(self.epoch_counter.value + ticks_after_current,
                                         _MAX_EPOCH)

    def add_instance(self, instance, func_refs_address: int, nfuncs: int) -> None:
        """Keep `instance` alive and make its func_refs slots resolvable as funcref values."""
        self.instances.append(instance)
        if nfuncs:
            i = bisect.bisect(self._range_starts, func_refs_address)
            self._range_starts.insert(i, func_refs_address)
            self._ranges.insert(i, (func_refs_address + FUNCREF_SIZE * nfuncs, instance))

    def funcref(self, func: Function | None) -> int:
        """The funcref value of `func` (None -> null); host functions are remembered here."""
        if func is None:
            return 0
        address = func.ref_address
        if func.host is not None:
            self._functions.setdefault(address, func)
        return address

    def function_at(self, address: int) -> Function | None:
        """The Function a funcref value denotes (0 -> None)."""
        if not address:
            return None
        func = self._functions.get(address)
        if func is not None:
            return func
        i = bisect.bisect(self._range_starts, address) - 1
        if i >= 0:
            start = self._range_starts[i]
            end, instance = self._ranges[i]
            if address < end:
                return instance.function((address - start) // FUNCREF_SIZE)
        raise ValueError(f"funcref {address:#x} is not a function of this store")
