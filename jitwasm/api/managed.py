"""`close()` and `with` support, which wasmtime-py's objects owning native state have.

jitwasm's objects are freed by reference counting like any Python object, so `close()` only
releases early what an object holds (a store's WASI files, for instance); by default it does
nothing.
"""


class Managed:
    __slots__ = ()

    def close(self) -> None:
        """Release what this object holds; safe to call more than once."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
