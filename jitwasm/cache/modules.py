"""Runtime Modules through the code cache, and the serialized form of Module.serialize.

A serialized module is a cache entry (entry.py): it carries the module bytes, so deserializing
decodes them again (cheap) but neither validates (the entry's checksum vouches for bytes that
were validated when compiled) nor compiles.
"""

from ..binary import decode_module
from ..compiler.options import DEFAULT_OPTIONS
from ..runtime.code_memory import CodeMemory
from ..runtime.compiled import CompiledModule
from ..runtime.instance import Module, compile_functions
from .entry import decode_entry, encode_entry
from .key import cache_key


def eager_compiled(module: Module, options=DEFAULT_OPTIONS):
    """The module's code compiled up front (a lazily compiled module is compiled again)."""
    compiled = module.compiled
    if compiled is None or isinstance(compiled, CompiledModule):
        return compiled
    return compile_functions(module.info, options._replace(lazy=False))


def serialize_module(module: Module, wasm: bytes, options=DEFAULT_OPTIONS) -> bytes:
    key = cache_key(wasm, options)
    return encode_entry(key, wasm, eager_compiled(module, options))


def module_from_entry(decoded, options=None) -> Module:
    """A runtime Module from a verified entry (entry.decode_entry's tuple); `options`: the
    CompileOptions it was compiled with (for a recompile with explicit bounds)."""
    info = decode_module(decoded.wasm)
    compiled = None
    if decoded.func_offsets:
        memory = CodeMemory(decoded.code, trap_sites=decoded.trap_sites,
                            call_sites=decoded.call_sites, frame_sizes=decoded.frame_sizes,
                            module=info, name="wasm module (cached)")
        compiled = CompiledModule(memory, decoded.func_offsets, decoded.num_imported_funcs,
                                  decoded.explicit_bounds)
    return Module.from_compiled(info, compiled, options)


def deserialize_module(blob) -> Module:
    return module_from_entry(decode_entry(blob))


def cached_module(wasm: bytes, cache, options=DEFAULT_OPTIONS, workers=None) -> tuple:
    """(Module, hit): from `cache` (a CodeCache) if it holds a good entry, else compiled up front
    (by `workers` processes, None: as many as pay off) and stored."""
    key = cache_key(wasm, options)
    decoded = cache.load(key)
    if decoded is not None:
        return module_from_entry(decoded, options), True
    module = Module(wasm, options=options._replace(lazy=False), workers=workers)
    cache.save(key, encode_entry(key, wasm, module.compiled))
    return module, False



def load_module(wasm: bytes, options=DEFAULT_OPTIONS, cache=None) -> Module:
    """What `jitwasm run` loads: from `cache` (a CodeCache, or None for no cache) when it has
    the entry, else compiled per `options` (a cache miss compiles up front, to store it)."""
    if cache is not None:
        return cached_module(wasm, cache, options)[0]
    return Module(wasm, options=options)
