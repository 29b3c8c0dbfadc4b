"""Externref handles: the non-zero u64 a Wasm externref value holds, mapped to its Python object.

Generated code only moves references around, so an externref crosses into machine code as an
opaque handle; 0 is null. A store owns one table: handles stay valid (and their objects alive)
for the store's lifetime, the same lifetime wasmtime gives externrefs that are still rooted.
Interning the same object twice gives the same handle, so identity survives a round trip.
"""

NULL = 0


class ExternRefTable:
    """Handles <-> Python objects for one store."""

    __slots__ = ("_objects", "_handles")

    def __init__(self):
        self._objects: list = [None]  # handle -> object; slot 0 is null
        self._handles: dict = {}      # id(object) -> handle (the object is kept in _objects)

    def intern(self, obj) -> int:
        """The handle of `obj` (None -> null), allocating one on first sight."""
        if obj is None:
            return NULL
        handle = self._handles.get(id(obj))
        if handle is None:
            handle = self._handles[id(obj)] = len(self._objects)
            self._objects.append(obj)
        return handle

    def lookup(self, handle: int):
        """The object of `handle` (null -> None); an unknown handle is a runtime bug."""
        if handle == NULL:
            return None
        try:
            return self._objects[handle]
        except IndexError:
            raise ValueError(f"unknown externref handle {handle:#x}") from None

    def __len__(self) -> int:
        return len(self._objects) - 1
