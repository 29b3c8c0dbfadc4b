"""Memories under an address-space limit (`ulimit -v`): the 8 GiB reservation fails, the memory
falls back to explicit bounds, and the module runs with code compiled once more with explicit
bounds checks (guard-page code would run unchecked past the smaller reservation)."""

import resource
import subprocess
import sys
from pathlib import Path

import pytest

HELLO = Path(__file__).resolve().parent.parent / "examples" / "hello.wasm"
LIMIT = 4 << 30      # bytes of address space: room for Python, not for an 8 GiB reservation

SCRIPT = """
import sys
from jitwasm import Config, Engine, Instance, Module, Store, Trap, wat2wasm
config = Config()
config.lazy_compilation = sys.argv[1] == "lazy"
engine = Engine(config)
store = Store(engine)
module = Module(engine, wat2wasm('''(module (memory (export "memory") 1 4)
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))'''))
exports = Instance(store, module, []).exports(store)
rt_memory = exports["memory"]._memory
print("explicit" if rt_memory.explicit_bounds else "guard")
exports["store"](store, 65532, 42)
print(exports["load"](store, 65532))
for address in (65533, 65536, 2**31, 2**32 - 1):
    try:
        exports["load"](store, address)
        print("no trap at", address)
    except Trap as trap:
        print(trap.message)
print(exports["grow"](store, 1), exports["load"](store, 65536), exports["grow"](store, 9))
"""


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


@pytest.mark.parametrize("mode", ["eager", "lazy"])
def test_a_module_runs_with_explicit_bounds_when_the_reservation_fails(mode):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True,
                          preexec_fn=_limited, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "explicit", "42", *["out of bounds memory access"] * 4, "1 0 -1"]


def test_jitwasm_run_under_an_address_space_limit(tmp_path):
    env = {"JITWASM_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):                      # a cache miss, then a hit
        proc = subprocess.run([sys.executable, "-m", "jitwasm", "run", str(HELLO)],
                              capture_output=True, text=True, preexec_fn=_limited, env=env,
                              timeout=120)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "Hello, world!\n", "")
