"""What each run of `jitwasm bench` does, worked out once in the parent from the module itself.

A task names the export to call and its typed arguments (`--invoke NAME ARGS`), or `_start`
with the WASI argv (a WASI command, the default). It is plain JSON, handed to every worker.
The module's imports are checked here: the benchmark can provide only the region markers
`bench.start`/`bench.end` (both `() -> ()`) and `wasi_snapshot_preview1`, so an unknown import
is a clear error before any engine starts.
"""

from __future__ import annotations

from typing import Sequence

from ..binary import decode_module
from ..binary.types import EXTERN_FUNC, FuncType, valtype_name
from ..cli_run import RunError, parse_value
from ..errors import DecodeError
from . import BenchError
from .engines import MARKER_MODULE, WASI_MODULE

MARKERS = ("start", "end")
_UNIT = FuncType((), ())

def make_task(name: str, wasm: bytes, invoke: str | None, args: Sequence[str]) -> dict:
    """The task for module `wasm` (shown as `name`): call `invoke` with `args`, or run `_start`
    with `args` as the program's arguments."""
    try:
        info = decode_module(wasm)
    except DecodeError as e:
        raise BenchError(f"{name}: {e}") from None
    wasi, markers = _check_imports(name, info)
    function = "_start" if invoke is None else invoke
    export = next((e for e in info.exports if e.name == function), None)
    if export is None or export.kind != EXTERN_FUNC:
        hint = "" if invoke is not None else ": name the function to call with --invoke NAME"
        raise BenchError(f"{name}: no exported function {function!r}{hint}")
    functype = info.func_types[export.index]
    if invoke is None:
        if functype != _UNIT:
            raise BenchError(f"{name}: _start must have type () -> (), not {functype}")
        call_args, argv = [], [name, *args]
    else:
        call_args, argv = parse_args(functype, args), [name]
    return {
        "mode": "wasi" if invoke is None else "invoke",
        "function": function,
        "args": call_args,
        "wasi_argv": argv,
        "result_types": [valtype_name(t) for t in functype.results],
        "imports_wasi": wasi,
        "has_markers": markers,
        "code_bytes": sum(body.end - body.offset for body in info.codes),
    }


def _check_imports(name: str, info) -> tuple[bool, bool]:
    """(imports WASI, imports both markers); anything else imported is an error."""
    wasi, markers = False, set()
    for imp in info.imports:
        if imp.module == WASI_MODULE:
            wasi = True
        elif (imp.module == MARKER_MODULE and imp.name in MARKERS and imp.kind == EXTERN_FUNC
              and info.types[imp.desc] == _UNIT):
            markers.add(imp.name)
        else:
            raise BenchError(f"{name}: imports {imp.module}.{imp.name}, but jitwasm bench "
                             f"provides only {MARKER_MODULE}.start and {MARKER_MODULE}.end "
                             f"(both () -> ()) and {WASI_MODULE}")
    if len(markers) == 1:
        raise BenchError(f"{name}: imports {MARKER_MODULE}.{markers.pop()} without its pair")
    return wasi, bool(markers)


def parse_args(functype: FuncType, texts: Sequence[str]) -> list:
    """The arguments as Python values of the parameter types, parsed as `jitwasm run --invoke`
    parses them (ints may be hex or negative)."""
    params = functype.params
    if len(texts) != len(params):
        raise BenchError(f"the function takes {len(params)} argument(s) ({functype}), "
                         f"{len(texts)} given")
    try:
        return [parse_value(valtype_name(t), text) for t, text in zip(params, texts)]
    except RunError as e:
        raise BenchError(str(e)) from None
