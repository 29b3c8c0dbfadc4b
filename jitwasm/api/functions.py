"""`Func` and `Caller`: calling Wasm from Python and Python from Wasm.

Both directions are specialised once per function so a call does the least work: when every
parameter and result is a number (or v128), values cross as they are and the only per-call
checks are the argument count and whether a `Val` was passed. References go through the
store's externref table and funcref map.
"""

import contextlib
from collections.abc import Callable

from ..backend_x64.trampolines import thread_state
from ..binary import types as t
from ..errors import WasmtimeError
from ..runtime import functions as rt_functions
from ..runtime.linear_memory import LinearMemory
from ..runtime.store import Store as RtStore
from .store import Store, rt_store
from .types import FuncType
from .values import PLAIN_KINDS, Val, check_arity, from_raw, to_raw


class Func:
    """A function: call it as `func(store, *args)`. Returns None, one value, or a list."""

    __slots__ = ("_func", "_raw", "_nparams", "_call")

    def __init__(self, store: Store, ty: FuncType, func: Callable, access_caller: bool = False):
        if not isinstance(store, Store):
            raise TypeError("expected a Store")
        if not isinstance(ty, FuncType):
            raise TypeError("expected a FuncType")
        self._func = host_function(ty._type, func, access_caller, store._store)
        self._raw = self._call = None
        self._nparams = -1

    @classmethod
    def _wrap(cls, func: rt_functions.Function) -> "Func":
        obj = cls.__new__(cls)
        obj._func = func
        obj._raw = obj._call = None
        obj._nparams = -1
        return obj

    def type(self, store=None) -> FuncType:
        return FuncType._wrap(self._func.type)

    def __call__(self, store, *params) -> object:
        # The fast path: numbers only, the default stack budget (`_nparams` stays -1 otherwise).
        # A Val argument makes the raw call fail before entering Wasm; it is converted then.
        if len(params) == self._nparams:
            try:
                out = self._raw(*params)
            except TypeError:
                if Val not in map(type, params):
                    raise
                out = self._raw(*numbers(self._func.type.params, params))
            return list(out) if type(out) is tuple else out
        return self._call_general(store, params)

    def _call_general(self, store, params):
        call = self._call
        if call is None:
            func = self._func
            budget = stack_budget_of(store)
            if budget is None and all(k in PLAIN_KINDS for k in func.type.params +
                                      func.type.results):
                self._raw = func.call
                self._nparams = len(func.type.params)
            call = self._call = python_caller(func, budget)
        return call(store, params)

    def __eq__(self, other) -> bool:
        return isinstance(other, Func) and other._func is self._func

    def __hash__(self) -> int:
        return id(self._func)

    def __repr__(self) -> str:
        return f"<Func {self._func.type}>"


def stack_budget_of(storelike) -> int | None:
    """The engine's max_wasm_stack for calls made with `storelike` (None: the default)."""
    state = getattr(getattr(storelike, "_store", None), "embedder", None)
    return None if state is None else state.engine.stack_budget


@contextlib.contextmanager
def stack_budget(budget: int | None):
    """Run Wasm entered in this block with `budget` bytes of native stack."""
    if budget is None:
        yield
        return
    header = thread_state().header
    saved = header.stack_budget
    header.stack_budget = budget
    try:
        yield
    finally:
        header.stack_budget = saved


def numbers(kinds: tuple, params) -> list:
    """Numeric arguments with any `Val` unwrapped (and checked against its parameter type)."""
    return [to_raw(None, k, v) for k, v in zip(kinds, params)]


def python_caller(func: rt_functions.Function, budget: int | None):
    """call(store, params) for `func`, with wasmtime-py's conventions."""
    params_t, results_t = func.type
    raw = func.call
    nparams = len(params_t)
    multi = len(results_t) > 1

    if all(k in PLAIN_KINDS for k in params_t + results_t):
        def call(store, params):
            if len(params) != nparams:
                check_arity(len(params), nparams)
            if Val in map(type, params):
                params = numbers(params_t, params)
            out = raw(*params)
            return list(out) if multi else out
    else:
        def call(store, params):
            check_arity(len(params), nparams)
            rt = rt_store(store)
            out = raw(*[to_raw(rt, k, v) for k, v in zip(params_t, params)])
            if not results_t:
                return None
            if not multi:
                return from_raw(rt, results_t[0], out)
            return [from_raw(rt, k, v) for k, v in zip(results_t, out)]

    if budget is None:
        return call

    def call_with_budget(store, params):
        with stack_budget(budget):
            return call(store, params)
    return call_with_budget


class Caller:
    """What a host function defined with access_caller=True gets first: the calling instance's
    exports by name, and a store-like handle for memory and value access. Its exports are
    reachable only during the call (as in wasmtime-py)."""

    __slots__ = ("_instance", "_store")

    def __init__(self, instance, store: RtStore):
        self._instance = instance
        self._store = store

    def get(self, name: str):
        """The calling instance's export `name`, or None."""
        if not isinstance(name, str):
            raise TypeError("expected a str")
        if self._instance is None:
            return None
        extern = self._instance.exports.get(name)
        if extern is None:
            return None
        return _externs.wrap_extern(extern)

    def memory_view(self, name: str = "memory") -> memoryview | None:
        """jitwasm's own: the calling instance's exported memory `name` as a writable
        memoryview of its current bytes, or None if it exports no memory of that name.
        Cheaper than `get(name)` with `data_ptr`/`data_len` (WASI takes one per call); do not
        `release()` it, and take a new one after the memory grows."""
        if self._instance is None:
            return None
        extern = self._instance.exports.get(name)
        return extern.view() if type(extern) is LinearMemory else None

    def __getitem__(self, name: str):
        found = self.get(name)
        if found is None:
            raise KeyError(f"failed to find export {name}")
        return found


def _result_converter(results: tuple):
    """convert(store, out): a host function's return value as raw values, checked."""
    nresults = len(results)
    if nresults == 0:
        def convert(store, out):
            if out is not None:
                raise WasmtimeError("callback produced results when it shouldn't")
            return None
    elif nresults == 1:
        kind = results[0]
        if kind in PLAIN_KINDS:
            def convert(store, out):
                return to_raw(store, kind, out) if type(out) is Val else out
        else:
            def convert(store, out):
                return to_raw(store, kind, out)
    else:
        def convert(store, out):
            out = list(out)
            if len(out) != nresults:
                raise WasmtimeError("callback produced wrong number of results")
            return [to_raw(store, k, v) for k, v in zip(results, out)]
    return convert


def host_function(functype: t.FuncType, func: Callable, access_caller: bool,
                  store: RtStore | None) -> rt_functions.Function:
    """A runtime host function calling `func` with Python values.

    With a `store` (Func) references convert through it; without one (Linker.define_func,
    usable in any store) through the store of the instance that imports the function.
    """
    params, results = functype
    convert = _result_converter(results)
    plain_params = all(k in PLAIN_KINDS for k in params)
    needs_store = store is None and not all(k in PLAIN_KINDS for k in results)
    Function = rt_functions.Function

    if not access_caller and plain_params and not needs_store:  # no conversion through a store
        def host(*raw):
            return convert(store, func(*raw))
        return Function.from_host(functype, host)

    def host_with_caller(instance, *raw):
        rt = store or (instance.store if instance is not None else RtStore())
        args = raw if plain_params else [from_raw(rt, k, v) for k, v in zip(params, raw)]
        if not access_caller:
            return convert(rt, func(*args))
        caller = Caller(instance, rt)
        try:
            return convert(rt, func(caller, *args))
        finally:
            caller._instance = None
    return Function.from_host(functype, host_with_caller, with_caller=True)


# externs.py imports Func from here; a module reference resolves wrap_extern at call time
from . import externs as _externs  # noqa: E402
