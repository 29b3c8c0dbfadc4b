"""One test per core spec script (the testsuite's top-level *.wast, not proposals/) and
compilation mode: eager, and lazy (each function compiled at its first call), which must give
the same results.

A test fails when any assertion of its script fails; the message lists them. Conversions are
cached outside the repo (see jitwasm.wast.conversion) and the missing ones are made in parallel
before the first test runs.
"""

from pathlib import Path

import pytest

from jitwasm.wast import WastRunner, convert_all, find_wasm_tools, load_skiplist
from jitwasm.wast.conversion import WASM_TOOLS_HINT
from jitwasm.wast.paths import TESTSUITE_HINT, core_wast_files, spec_testsuite_dir

SKIPLIST = Path(__file__).with_name("skiplist.txt")
MAX_LISTED = 40


def _script_params():
    scripts = core_wast_files()
    if not scripts:
        reason = f"spec testsuite not found at {spec_testsuite_dir()}: {TESTSUITE_HINT}"
        return [pytest.param(None, id="testsuite-missing", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(path, id=path.stem) for path in scripts]


@pytest.fixture(scope="session")
def converted(request):
    """The conversions of every script this session selected, made up front in parallel."""
    if find_wasm_tools() is None:
        pytest.skip(WASM_TOOLS_HINT)
    selected = [item.callspec.params["script"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_spec_script"
                and item.callspec.params.get("script") is not None]
    return convert_all(list(dict.fromkeys(selected)))


@pytest.fixture(scope="session")
def runner():
    return WastRunner(skiplist=load_skiplist(SKIPLIST))


def _failure_report(result) -> str:
    total = result.passed + result.failed + result.skipped
    lines = [f"{result.failed} of {total} assertions failed in {result.name}:"]
    lines += ["  " + f.headline() for f in result.failures[:MAX_LISTED]]
    if result.failed > MAX_LISTED:
        lines.append(f"  ... and {result.failed - MAX_LISTED} more")
    crash = next((f for f in result.failures if f.traceback), None)
    if crash is not None:
        lines.append(f"first unexpected exception (line {crash.line}):")
        lines.append(crash.traceback.rstrip())
    return "\n".join(lines)


@pytest.mark.parametrize("mode", ["eager", "lazy"])
@pytest.mark.parametrize("script", _script_params())
def test_spec_script(script, mode, converted, runner, monkeypatch):
    monkeypatch.setenv("JITWASM_COMPILE", mode)      # read by the runtime's default options
    result = runner.run_file(script, converted.get(script), name=script.name)
    if result.failures:
        pytest.fail(_failure_report(result), pytrace=False)
    # Rejections must also say what the spec says (held at zero since it was reached).
    assert not result.mismatches, "\n".join(result.mismatch_lines())


def test_skiplist_entries_name_real_lines():
    """Every skip-list entry points at an existing script line, so stale entries get noticed."""
    root = spec_testsuite_dir()
    if not root.is_dir():
        pytest.skip(f"spec testsuite not found at {root}: {TESTSUITE_HINT}")
    for (name, line), reason in load_skiplist(SKIPLIST).items():
        script = root / name
        assert script.is_file(), f"skip list names a missing script {name} ({reason})"
        assert line <= len(script.read_text().splitlines()), f"{name}:{line} is past the end"
