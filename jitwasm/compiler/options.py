"""Compile-time options: what the generated code contains besides the Wasm semantics.

One frozen definition shared by the compiler (which emits different code per option) and the
code cache (whose key must distinguish code compiled with different options).
"""

from collections import namedtuple


class CompileOptions(namedtuple("CompileOptions", "fuel epoch lazy explicit_bounds",
                                defaults=(False, False, False, False))):
    """Options of one compilation; every field changes the emitted machine code.

    fuel: charge fuel at function entries and loop headers (StoreLimits.fuel_consumed), trap
        "all fuel consumed by WebAssembly" when it becomes positive.
    epoch: compare the engine's epoch counter with StoreLimits.epoch_deadline at function entries
        and loop headers, trap "interrupt" once the deadline is reached.
    lazy: compile function bodies on their first call instead of up front.
    explicit_bounds: compare every memory access against vmctx.memory_length (memories without a
        guard region).
    """
    __slots__ = ()

    def cache_tag(self) -> str:
        """A short stable string naming the options, for cache keys ("" for the defaults)."""
        return ",".join(name for name, enabled in zip(self._fields, self) if enabled)


DEFAULT_OPTIONS = CompileOptions()
