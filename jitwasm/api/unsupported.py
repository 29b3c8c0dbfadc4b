"""wasmtime-py names for proposals jitwasm does not implement: importable, so code that merely
mentions them still loads, but constructing one raises WasmtimeError saying why."""

from ..errors import WasmtimeError


class _Unsupported:
    _what = ""

    def __init__(self, *args, **kwargs):
        raise WasmtimeError(f"{type(self).__name__} is not supported by jitwasm ({self._what})")


class SharedMemory(_Unsupported):
    _what = "shared memories belong to the threads proposal"


class Tag(_Unsupported):
    _what = "tags belong to the exception-handling proposal"


class TagType(_Unsupported):
    _what = "tags belong to the exception-handling proposal"
