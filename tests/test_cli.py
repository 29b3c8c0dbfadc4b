"""The `jitwasm validate` and `jitwasm wast` commands, end to end (in-process via click)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import jitwasm.binary
from jitwasm.cli import main
from jitwasm.wast import find_wasm_tools
from jitwasm.wast.conversion import WASM_TOOLS_HINT

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

HEADER = b"\0asm\x01\0\0\0"
# () -> i32 whose body is `i64.const 0`: well-formed, but a type mismatch.
TYPE_MISMATCH = (HEADER + bytes([0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F])
                 + bytes([0x03, 0x02, 0x01, 0x00])
                 + bytes([0x0A, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0B]))

needs_wasm_tools = pytest.mark.skipif(find_wasm_tools() is None, reason=WASM_TOOLS_HINT)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Each test converts into its own cache, so tests neither share nor pollute ~/.cache."""
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# -- validate ----------------------------------------------------------------------------------

def test_validate_accepts_the_bundled_example():
    result = invoke("validate", EXAMPLES / "hello.wasm")
    assert result.exit_code == 0, result.output
    assert result.output == f"{EXAMPLES / 'hello.wasm'}: valid\n"


def test_validate_quiet_prints_nothing_for_a_valid_module():
    result = invoke("validate", "-q", EXAMPLES / "hello.wasm")
    assert (result.exit_code, result.output) == (0, "")


def test_validate_reports_a_malformed_module_with_its_offset(tmp_path):
    path = tmp_path / "truncated.wasm"
    path.write_bytes(HEADER + b"\x01\x05\x01\x60")  # type section cut short
    result = invoke("validate", path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"{path}: ")
    assert "at byte offset 0x" in lines[0]


def test_validate_reports_a_type_error(tmp_path):
    path = tmp_path / "mismatch.wasm"
    path.write_bytes(TYPE_MISMATCH)
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: type mismatch")
    assert len(result.output.splitlines()) == 1


@pytest.mark.parametrize("make", [lambda tmp: tmp / "missing.wasm", lambda tmp: tmp])
def test_validate_reports_unreadable_files_cleanly(tmp_path, make):
    path = make(tmp_path)
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: cannot read: ")
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1


def test_validate_checks_every_file_and_fails_if_any_is_invalid(tmp_path):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\0asm\x02\0\0\0")
    result = invoke("validate", bad, EXAMPLES / "hello.wasm")
    assert result.exit_code == 1
    assert f"{EXAMPLES / 'hello.wasm'}: valid" in result.output
    assert f"{bad}: " in result.output


@needs_wasm_tools
def test_validate_accepts_text_format(tmp_path):
    path = tmp_path / "add.wat"
    path.write_text('(module (func (export "add") (param i32 i32) (result i32)'
                    ' (i32.add (local.get 0) (local.get 1))))')
    result = invoke("validate", path)
    assert (result.exit_code, result.output) == (0, f"{path}: valid\n")


@needs_wasm_tools
def test_validate_reports_text_that_does_not_parse(tmp_path):
    path = tmp_path / "broken.wat"
    path.write_text("(module (func (i32.const)))")
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: ") and len(result.output.splitlines()) == 1


@needs_wasm_tools
def test_validate_reports_text_that_parses_but_does_not_validate(tmp_path):
    path = tmp_path / "mismatch.wat"
    path.write_text("(module (func (result i32) (i64.const 0)))")
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: type mismatch")


def test_cli_import_stays_light():
    """Start-up pays for click and the command modules only: no decoder, validator, runner,
    compiler, runtime, WASI or numpy until a command needs them."""
    heavy = ("jitwasm.binary", "jitwasm.validation", "jitwasm.wast", "jitwasm.runtime",
             "jitwasm.compiler", "jitwasm.backend_x64", "jitwasm.wasi", "jitwasm.api", "numpy",
             "mmap_ninja")
    code = ("import sys, jitwasm.cli; "
            f"print(sorted(m for m in sys.modules if m.startswith({heavy!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- wast --------------------------------------------------------------------------------------

MIXED = """\
(module $m (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 1))
(register "m" $m)
(assert_malformed (module binary "\\00asm") "unexpected end")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
"""

WRONG = """\
(module (func))
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(module binary "\\00asm\\02\\00\\00\\00")
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@needs_wasm_tools
def test_wast_executes_and_counts_assertions_with_skip_buckets(tmp_path):
    script = write(tmp_path, "mixed.wast", MIXED)
    report = tmp_path / "report.json"
    result = invoke("wast", script, "--json", report)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "mixed.wast: 5 passed, 0 failed, 1 skipped",
        "5 passed, 0 failed, 1 skipped",
    ]
    assert json.loads(report.read_text()) == {"files": {"mixed.wast": {
        "passed": 5, "failed": 0, "skipped": 1,
        "skips": {"text format": 1}, "message_mismatches": 0,
    }}, "totals": {"passed": 5, "failed": 0, "skipped": 1, "message_mismatches": 0}}


MISMATCHED = """\
(assert_malformed (module binary "\\00asm") "magic header not detected")
(assert_invalid (module (func (result i32) (i64.const 0))) "unknown local")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
"""


@needs_wasm_tools
def test_wast_counts_rejections_with_another_message_as_passed_mismatches(tmp_path):
    """The spec requires only the rejection; the message is compared and a mismatch reported
    apart, so the mismatches can be driven to zero without failing the run."""
    script = write(tmp_path, "msgs.wast", MISMATCHED)
    report = tmp_path / "report.json"
    result = invoke("wast", script, "--json", report)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "msgs.wast: 3 passed, 0 failed, 0 skipped (2 message mismatches)",
        "3 passed, 0 failed, 0 skipped (2 message mismatches)",
    ]
    data = json.loads(report.read_text())
    assert data["totals"]["message_mismatches"] == 2
    file_report = data["files"]["msgs.wast"]
    assert file_report["message_mismatches"] == 2
    first, second = file_report["mismatched_messages"]
    assert first.startswith("msgs.wast:1: assert_malformed: expected malformed module ('magic "
                            "header not detected'); got DecodeError: unexpected end")
    assert second.startswith("msgs.wast:2: assert_invalid: expected invalid module ('unknown "
                             "local'); got ValidationError: type mismatch")


@needs_wasm_tools
def test_wast_fails_and_explains_under_verbose(tmp_path):
    script = write(tmp_path, "wrong.wast", WRONG)
    quiet = invoke("wast", script)
    assert quiet.exit_code == 1
    assert quiet.stdout.splitlines() == ["wrong.wast: 1 passed, 2 failed, 0 skipped",
                                         "1 passed, 2 failed, 0 skipped"]
    verbose = invoke("wast", "-v", script).stdout
    assert ("wrong.wast:2: assert_invalid: expected invalid module ('type mismatch'); "
            "got the module was accepted") in verbose
    assert "wrong.wast:3: module: expected valid module; got DecodeError: " in verbose
    assert verbose.splitlines()[-1] == "1 passed, 2 failed, 0 skipped"


@needs_wasm_tools
def test_wast_reports_engine_crashes_with_a_traceback(tmp_path, monkeypatch):
    def crash(wasm):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(jitwasm.binary, "decode_module", crash)
    script = write(tmp_path, "mixed.wast", MIXED)
    result = invoke("wast", "-v", script)
    assert result.exit_code == 1
    # Crashes fail even where a rejection was expected: only Decode/ValidationError reject.
    assert result.stdout.splitlines()[-1] == "0 passed, 5 failed, 1 skipped"
    assert "mixed.wast:4: assert_malformed: expected malformed module ('unexpected end'); " \
           "got RuntimeError: engine bug" in result.stdout
    assert "Traceback (most recent call last)" in result.stdout


@needs_wasm_tools
def test_wast_runs_every_script_of_a_directory(tmp_path):
    write(tmp_path, "a.wast", MIXED)
    write(tmp_path, "b.wast", WRONG)
    write(tmp_path, "notes.txt", "not a script")
    result = invoke("wast", tmp_path)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["a.wast: 5 passed, 0 failed, 1 skipped",
                                          "b.wast: 1 passed, 2 failed, 0 skipped",
                                          "6 passed, 2 failed, 1 skipped"]


def test_wast_rejects_a_directory_without_scripts(tmp_path):
    result = invoke("wast", tmp_path)
    assert result.exit_code == 2 and "no .wast files" in result.output


@needs_wasm_tools
def test_wast_counts_a_script_that_does_not_convert_as_a_failure(tmp_path):
    script = write(tmp_path, "broken.wast", "(module (func (i32.const)))\n(module")
    result = invoke("wast", "-v", script)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed, 0 skipped"
    assert "broken.wast:0: json-from-wast" in result.stdout


@needs_wasm_tools
def test_wast_skip_list_skips_by_file_and_line(tmp_path):
    script = write(tmp_path, "wrong.wast", WRONG)
    skips = write(tmp_path, "skip.txt", "# reviewed\nwrong.wast:2  accepted on purpose (test)\n"
                                        "other.wast:2\tnot this file\n")
    report = tmp_path / "r.json"
    result = invoke("wast", script, "--skip-list", skips, "--json", report)
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed, 1 skipped"
    assert json.loads(report.read_text())["files"]["wrong.wast"]["skips"] == {"skip list": 1}


def test_wast_refuses_a_skip_list_entry_without_reason(tmp_path):
    script = write(tmp_path, "a.wast", MIXED)
    skips = write(tmp_path, "skip.txt", "a.wast:2\n")
    result = invoke("wast", script, "--skip-list", skips)
    assert result.exit_code == 2
    assert "skip.txt:1: expected 'FILE.wast:LINE reason'" in result.output


@needs_wasm_tools
def test_wast_caches_conversions_by_content(tmp_path, private_cache, monkeypatch):
    script = write(tmp_path, "mixed.wast", MIXED)
    assert invoke("wast", script).exit_code == 0
    entries = list((private_cache / "wast").iterdir())
    assert len(entries) == 1 and (entries[0] / "commands.json").is_file()

    import jitwasm.wast.conversion as convert

    def no_conversion(*args):
        raise AssertionError("converted again despite a cached conversion")

    monkeypatch.setattr(convert, "_convert_into", no_conversion)
    assert invoke("wast", script).exit_code == 0
    monkeypatch.undo()
    monkeypatch.setenv("JITWASM_CACHE_DIR", str(private_cache))

    script.write_text(MIXED + '(module (func (export "two") (result i32) (i32.const 2)))\n')
    result = invoke("wast", script)
    assert result.stdout.splitlines()[-1] == "6 passed, 0 failed, 1 skipped"
    assert len(list((private_cache / "wast").iterdir())) == 2


@needs_wasm_tools
def test_wast_verbose_lists_each_message_mismatch(tmp_path):
    script = write(tmp_path, "msgs.wast", MISMATCHED)
    lines = invoke("wast", "-v", script).stdout.splitlines()
    listed = [line for line in lines if line.startswith("  message mismatch: ")]
    assert len(listed) == 2
    assert any("unknown local" in line for line in listed)
