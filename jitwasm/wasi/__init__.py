"""WASI preview1 (`wasi_snapshot_preview1`) in Python, engine-independent.

    ctx = WasiCtx(WasiConfig(argv=["prog"], env={"K": "V"}, preopens=[("/srv/data", "/")],
                             stdout=INHERIT))
    for name, (params, results, method) in ctx.host_functions().items():
        # bind MODULE.name with type (params, results); on each call:
        #     errno = method(memory_view, *args)     (proc_exit raises WasiExit instead)
        ...

`memory_view` is the calling instance's memory as a bytearray or a memoryview of format "B",
taken at call time (memory can grow). Arguments may be signed or unsigned; they are masked.

Modules: `signatures` (the import table), `abi` (constants and struct layouts), `errno`,
`config`, `memory` (bounds-checked guest access), `fdtable` (fd kinds), `sandbox` (path
resolution confined to a directory fd), `hostfs` (utimensat), `poll`, `preview1` (WasiCtx).
"""

from .config import INHERIT, Preopen, WasiConfig
from .preview1 import WasiCtx
from .signatures import MODULE, SIGNATURES

__all__ = ["WasiCtx", "WasiConfig", "Preopen", "INHERIT", "SIGNATURES", "MODULE"]
