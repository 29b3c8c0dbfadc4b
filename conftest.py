"""Test-session setup shared by tests/ and spec-tests/.

`jitwasm run` (run by many tests in subprocesses) keeps compiled code in a cache directory; the
tests get a fresh one of their own, so they neither read nor fill the user's ~/.cache/jitwasm
(where entries from another checkout of the same version could stand in for this one's code).
Tests that exercise the cache set JITWASM_CACHE_DIR themselves.
"""

import os
import shutil
import tempfile


def pytest_configure(config):
    directory = tempfile.mkdtemp(prefix="jitwasm-test-cache-")
    os.environ["JITWASM_CACHE_DIR"] = directory
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
