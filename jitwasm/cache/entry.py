"""One cache entry: a compiled module's code and metadata plus the module bytes, checksummed.

Layout (little-endian): MAGIC, header struct (key, flags, counts, lengths), the module bytes,
func_offsets (u32 each), trap sites (4 x u64 each: native offset, trap code, function index,
Wasm offset), call sites (3 x u64 each: return offset, function index, Wasm offset), frame
sizes (u32 per defined function), the code, then the digest (digest.py) of everything before
it. decode_entry checks the length, the checksum and the key before anything is mapped
executable; any mismatch is a CacheEntryError, which callers treat as a miss.
"""

import struct
from array import array
from collections import namedtuple

from ..runtime.traps import TrapSite
from .digest import DIGEST_SIZE, digest

MAGIC_PREFIX = b"\0jitwasm-code-"        # what every version of the format starts with
MAGIC = MAGIC_PREFIX + b"2\0"             # the format's version is part of it
_HEADER = struct.Struct("<16s64sIIIIII")  # magic, key, explicit_bounds, nimports, nfuncs,
_DIGEST = DIGEST_SIZE                     # nsites, ncalls, code length; then wasm length below
_WASM_LEN = struct.Struct("<Q")


class CacheEntryError(Exception):
    """A cache entry that is truncated, tampered with or for another key."""


class DecodedEntry(namedtuple("DecodedEntry", "wasm explicit_bounds num_imported_funcs "
                              "func_offsets trap_sites call_sites frame_sizes code key")):
    """A verified entry's contents (trap_sites/call_sites/frame_sizes as CodeMemory takes
    them)."""
    __slots__ = ()


def encode_entry(key: str, wasm: bytes, compiled) -> bytes:
    """The entry for `compiled` (an eager CompiledModule, None for a module without function
    bodies) of module bytes `wasm`."""
    code, offsets, nimports, bounds = b"", (), 0, False
    sites, calls, frames = array("Q"), array("Q"), array("I")
    if compiled is not None:
        memory = compiled.code
        code, offsets = memory.read(), compiled.func_offsets
        nimports, bounds = compiled.num_imported_funcs, compiled.explicit_bounds
        for offset, site in sorted(memory.trap_sites.items()):
            sites.extend((offset, site.code, site.func_index, site.wasm_offset))
        for offset, (func, wasm_offset) in sorted(memory.call_sites.items()):
            calls.extend((offset, func, wasm_offset))
        frames.extend(memory.frame_sizes[nimports + i] for i in range(len(offsets)))
    parts = [_HEADER.pack(MAGIC, key.encode(), int(bounds), nimports, len(offsets),
                          len(sites) // 4, len(calls) // 3, len(code)),
             _WASM_LEN.pack(len(wasm)), wasm, array("I", offsets).tobytes(), sites.tobytes(),
             calls.tobytes(), frames.tobytes(), code]
    body = b"".join(parts)
    return body + digest(body)


def decode_entry(blob, key: str | None = None) -> DecodedEntry:
    """The contents of a verified entry; `key`: the key it must have (None: any, e.g.
    Module.deserialize)."""
    blob = memoryview(blob)
    fixed = _HEADER.size + _WASM_LEN.size
    if len(blob) < fixed + _DIGEST:
        raise CacheEntryError("truncated")
    (magic, entry_key, bounds, nimports, nfuncs, nsites, ncalls,
     code_len) = _HEADER.unpack_from(blob)
    if magic != MAGIC:
        raise CacheEntryError("not a jitwasm code cache entry (or one of another format)")
    (wasm_len,) = _WASM_LEN.unpack_from(blob, _HEADER.size)
    body_len = fixed + wasm_len + 8 * nfuncs + 32 * nsites + 24 * ncalls + code_len
    if len(blob) != body_len + _DIGEST:
        raise CacheEntryError("truncated or padded")
    if digest(blob[:body_len]) != blob[body_len:]:
        raise CacheEntryError("checksum mismatch")
    if key is not None and entry_key.decode() != key:
        raise CacheEntryError("made for another module, jitwasm version, CPU or options")
    pos = fixed
    wasm = bytes(blob[pos:pos + wasm_len])
    pos += wasm_len
    offsets = array("I", bytes(blob[pos:pos + 4 * nfuncs])).tolist()
    pos += 4 * nfuncs
    flat = array("Q", bytes(blob[pos:pos + 32 * nsites]))
    pos += 32 * nsites
    sites = {flat[i]: TrapSite(flat[i + 1], flat[i + 2], flat[i + 3])
             for i in range(0, len(flat), 4)}
    flat = array("Q", bytes(blob[pos:pos + 24 * ncalls]))
    pos += 24 * ncalls
    calls = {flat[i]: (flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)}
    sizes = array("I", bytes(blob[pos:pos + 4 * nfuncs]))
    pos += 4 * nfuncs
    frames = {nimports + i: size for i, size in enumerate(sizes)}
    code = bytes(blob[pos:pos + code_len])
    if (any(o >= max(code_len, 1) for o in offsets) or any(o >= code_len for o in sites)
            or any(o > code_len for o in calls)):
        raise CacheEntryError("offsets outside the code")
    return DecodedEntry(wasm, bool(bounds), nimports, offsets, sites, calls, frames, code,
                        entry_key.decode())
