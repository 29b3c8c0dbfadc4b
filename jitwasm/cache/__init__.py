"""The code cache: compiled modules stored on disk and loaded instead of recompiled.

key.py names an entry (module hash, jitwasm version, compiler version, CPU features, options);
entry.py turns a CompiledModule (+ the module bytes) into a checksummed blob and back;
store.py keeps entries in a directory (JITWASM_CACHE_DIR, default the user cache dir).
"""

from .entry import CacheEntryError, decode_entry, encode_entry
from .key import cache_key
from .store import CodeCache, default_cache_dir

__all__ = ["CacheEntryError", "CodeCache", "cache_key", "decode_entry", "default_cache_dir",
           "encode_entry"]
