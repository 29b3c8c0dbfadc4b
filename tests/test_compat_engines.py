"""The compatibility suite's engine fixture, and the check that every entry docs/api.md marks
supported exists on both engines.

Every test_compat_* module runs the same test bodies against wasmtime-py (the dev extra) and
jitwasm through the `api` fixture: `api` is the imported package, used as `wasmtime` would be.
"""

import re
from pathlib import Path

import pytest

from jitwasm.wast.conversion import WASM_TOOLS_HINT, find_wasm_tools

ENGINES = ("wasmtime", "jitwasm")
API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


@pytest.fixture(params=ENGINES)
def api(request):
    if request.param == "jitwasm" and find_wasm_tools() is None:
        pytest.skip(WASM_TOOLS_HINT)  # the suite writes its modules in the text format
    return pytest.importorskip(request.param)


@pytest.fixture
def engine(api):
    return api.Engine()


@pytest.fixture
def store(api, engine):
    return api.Store(engine)


def instantiate(api, store, wat: str, imports=()):
    """The exports of `wat` instantiated in `store`."""
    module = api.Module(store.engine, wat)
    return api.Instance(store, module, list(imports)).exports(store)


def table_entries() -> dict[str, str]:
    """`Name` / `Name.member` -> status ("supported", "differs", "not supported yet", ...) for
    every entry of docs/api.md's tables."""
    entries = {}
    for line in API_DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 2:
            for name in re.findall(r"`([A-Za-z_][\w.]*)`", cells[0]):
                entries[name] = cells[1]
    return entries


def implemented_entries() -> list[str]:
    return [name for name, status in table_entries().items()
            if status in ("supported", "differs")]


def test_the_table_names_every_public_member_of_wasmtime_py():
    import inspect

    wasmtime = pytest.importorskip("wasmtime")
    entries = table_entries()
    exception_members = set(dir(Exception))
    missing = []
    for name in wasmtime.__all__:
        if name not in entries:
            missing.append(name)
        obj = getattr(wasmtime, name)
        if not inspect.isclass(obj) or name == "TrapCode":  # enum members: see the table
            continue
        missing += [f"{name}.{member}" for member in dir(obj)
                    if not member.startswith("_") and member not in exception_members
                    and f"{name}.{member}" not in entries]
    assert not missing, f"docs/api.md does not list: {missing}"


@pytest.mark.parametrize("entry", implemented_entries())
def test_implemented_entry_exists(api, entry):
    obj = api
    for part in entry.split("."):
        declared = getattr(obj, "__annotations__", {})  # instance attributes
        assert hasattr(obj, part) or part in declared, f"{api.__name__} has no {entry}"
        obj = getattr(obj, part, None)
