"""Per-file outcome of a .wast run: counts, skip buckets, and the failures with their context."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Failure:
    file: str
    line: int
    command: str          # the command type, e.g. "assert_malformed"
    expected: str         # what the script expects, e.g. "malformed: unexpected end"
    got: str              # what happened instead
    traceback: str | None = None  # set when an unexpected exception escaped

    def headline(self) -> str:
        return f"{self.file}:{self.line}: {self.command}: expected {self.expected}; got {self.got}"

    def format(self, with_traceback: bool = True) -> str:
        if with_traceback and self.traceback:
            return f"{self.headline()}\n{self.traceback.rstrip()}"
        return self.headline()


@dataclass
class FileResult:
    name: str
    passed: int = 0
    skips: Counter = field(default_factory=Counter)   # bucket -> count
    failures: list = field(default_factory=list)      # Failure

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def skipped(self) -> int:
        return sum(self.skips.values())

    def summary_line(self) -> str:
        return f"{self.name}: {counts_text(self.passed, self.failed, self.skipped)}"

    def to_json(self) -> dict:
        return {"passed": self.passed, "failed": self.failed, "skipped": self.skipped,
                "skips": dict(sorted(self.skips.items()))}


def counts_text(passed: int, failed: int, skipped: int) -> str:
    return f"{passed} passed, {failed} failed, {skipped} skipped"


def totals(results) -> dict:
    """Assertion counts summed over files: {"passed": N, "failed": N, "skipped": N}."""
    return {key: sum(getattr(r, key) for r in results) for key in ("passed", "failed", "skipped")}


def totals_line(results) -> str:
    """The closing line of a run."""
    return counts_text(**totals(results))
