"""Execution state of one script: a store, the registered modules, the named instances.

Each script starts with a fresh store whose linker holds `spectest`; `register` adds an
instance's exports under a name for later imports. Values cross as bit patterns (values.py);
functions are called with `Function.call_bits` so floats keep their exact bits.
"""

from ..runtime.functions import Function
from ..runtime.globals import Global
from ..runtime.instance import Instance, Module
from ..runtime.linker import Linker
from ..runtime.store import Store
from .spectest import spectest_exports
from .values import HostRef, arg_bits


class Pending:
    """Stands for a module that was skipped (text format, SIMD not compiled yet): commands on
    it are skipped for the same reason."""

    def __init__(self, reason: str):
        self.reason = reason


class Session:
    def __init__(self):
        self.store = Store()
        self.linker = Linker(allow_shadowing=True)
        self.linker.define_exports("spectest", spectest_exports())
        self.instances: dict = {}  # script name ($id) -> Instance | Pending
        self.current = None  # the last module defined: Instance | Pending | None
        self._host_refs: dict = {}

    # -- modules ---------------------------------------------------------------------------

    @staticmethod
    def load(wasm: bytes) -> Module:
        """Decode, validate, compile (raises DecodeError/ValidationError/NotImplementedError)."""
        return Module(wasm)

    def instantiate(self, module: Module) -> Instance:
        """Link against the registered modules and instantiate (LinkError / Trap)."""
        return Instance(self.store, module, self.linker.resolve(module.info))

    def define(self, name: str | None, instance) -> None:
        self.current = instance
        if name is not None:
            self.instances[name] = instance

    def instance(self, name: str | None):
        """The named instance, or the current one; None if there is none."""
        return self.current if name is None else self.instances.get(name)

    def register(self, as_name: str, instance: Instance) -> None:
        self.linker.define_exports(as_name, instance.exports)

    # -- values ----------------------------------------------------------------------------

    def host_ref(self, n: int) -> int:
        """The externref handle of the script's `ref.extern n`."""
        obj = self._host_refs.get(n)
        if obj is None:
            obj = self._host_refs[n] = HostRef(n)
        return self.store.externrefs.intern(obj)

    def extern_object(self, handle: int):
        return self.store.externrefs.lookup(handle)

    # -- actions ---------------------------------------------------------------------------

    def perform(self, instance: Instance, action: dict) -> list:
        """Run an invoke/get action on `instance`; return the results as bit patterns."""
        field = action["field"]
        extern = instance.exports.get(field)
        if action["type"] == "get":
            if not isinstance(extern, Global):
                raise LookupError(f"no exported global {field!r}")
            return [extern.bits]
        if not isinstance(extern, Function):
            raise LookupError(f"no exported function {field!r}")
        args = [arg_bits(v, self.host_ref) for v in action.get("args", ())]
        return extern.call_bits(*args)
