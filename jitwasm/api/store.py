"""`Store`: what instances, host objects and values of one embedding share.

A Store wraps a runtime Store (runtime/store.py). What host calls need from the embedding (the
engine, the WASI context) lives in a `StoreState` the runtime store carries as its `embedder`,
so a `Caller` reaches it from the runtime store alone and no reference cycle keeps instances
(and their memory reservations) alive longer than reference counting would.
"""


from ..errors import WasmtimeError
from ..runtime.store import Store as RtStore
from .config import Engine
from .managed import Managed


class StoreState:
    __slots__ = ("engine", "wasi")

    def __init__(self, engine: Engine):
        self.engine = engine
        self.wasi = None  # a jitwasm.wasi.WasiCtx once Store.set_wasi was called


class Store(Managed):
    """Holds instances, host objects and externrefs; pass it (or a Caller) to every call."""

    __slots__ = ("engine", "_store", "_state", "__weakref__")

    def __init__(self, engine: Engine | None = None, data: object = None):
        if engine is None:
            engine = Engine()
        elif not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        self.engine = engine
        self._store = RtStore(data, engine._epoch)
        self._state = self._store.embedder = StoreState(engine)

    def data(self) -> object:
        return self._store.data

    def gc(self) -> None:
        """Nothing to collect: externrefs live as long as the store."""

    # -- fuel and epochs (the runtime side of the checks in generated code) --------------------

    def _fuel_store(self) -> RtStore:
        if not self.engine.config.consume_fuel:
            raise WasmtimeError("fuel is not configured in this store")
        return self._store

    def set_fuel(self, fuel: int) -> None:
        """Set the fuel left; needs `Config.consume_fuel` (not supported yet, see config.py)."""
        if not isinstance(fuel, int) or fuel < 0:
            raise TypeError("expected a non-negative int")
        self._fuel_store().fuel = fuel

    def get_fuel(self) -> int:
        return self._fuel_store().fuel

    def set_epoch_deadline(self, ticks_after_current: int) -> None:
        """Code compiled with epoch checks traps once the engine's epoch advanced this much."""
        self._store.set_epoch_deadline(ticks_after_current)

    def set_limits(self, memory_size: int = -1, table_elements: int = -1, instances: int = -1,
                   tables: int = -1, memories: int = -1) -> None:
        """Cap each memory's size in bytes and each table's in elements (growing past fails,
        creating one larger fails), and the instances, memories and tables the store's
        instances create (default 10000 each once limits are set); -1: the default."""
        for value in (memory_size, table_elements, instances, tables, memories):
            if not isinstance(value, int):
                raise TypeError("expected an int")
        self._store.limiter.set(memory_size, table_elements, instances, tables, memories)

    # -- WASI -------------------------------------------------------------------------------------

    def set_wasi(self, wasi) -> None:
        """The WASI context the functions of `Linker.define_wasi` use for this store."""
        from .wasi import WasiConfig

        if not isinstance(wasi, WasiConfig):
            raise TypeError("expected a WasiConfig")
        ctx = wasi.context()
        self.close()
        self._state.wasi = ctx

    def set_wasi_http(self) -> None:
        raise WasmtimeError("WASI HTTP (a component-model interface) is not supported by jitwasm")

    def close(self) -> None:
        """Close the host files of the store's WASI context, if any."""
        ctx, self._state.wasi = self._state.wasi, None
        if ctx is not None:
            ctx.close()


def rt_store(storelike) -> RtStore:
    """The runtime store behind a Store or a Caller (both are "storelike")."""
    inner = getattr(storelike, "_store", None)
    if inner is None or not isinstance(inner, RtStore):
        raise TypeError("expected a Store")
    return inner
