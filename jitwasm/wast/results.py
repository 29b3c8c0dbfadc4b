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
    # assert_malformed/assert_invalid commands that passed (the module was rejected) with
    # another message than the script expects; not failures, reported to be driven to zero
    mismatches: list = field(default_factory=list)    # Failure

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def skipped(self) -> int:
        return sum(self.skips.values())

    def summary_line(self) -> str:
        """`name: N passed, N failed, N skipped`, plus `(N message mismatches)` if any."""
        line = f"{self.name}: {counts_text(self.passed, self.failed, self.skipped)}"
        if self.mismatches:
            line += f" ({len(self.mismatches)} message mismatches)"
        return line

    def mismatch_lines(self) -> list:
        """One line per message mismatch (`file:line: command: expected ...; got ...`)."""
        return [m.headline() for m in self.mismatches]

    def to_json(self) -> dict:
        report = {"passed": self.passed, "failed": self.failed, "skipped": self.skipped,
                  "skips": dict(sorted(self.skips.items())),
                  "message_mismatches": len(self.mismatches)}
        if self.mismatches:
            report["mismatched_messages"] = self.mismatch_lines()
        return report


def counts_text(passed: int, failed: int, skipped: int) -> str:
    return f"{passed} passed, {failed} failed, {skipped} skipped"


def totals(results) -> dict:
    """Assertion counts summed over files: {"passed": N, "failed": N, "skipped": N,
    "message_mismatches": N}."""
    counts = {key: sum(getattr(r, key) for r in results)
              for key in ("passed", "failed", "skipped")}
    counts["message_mismatches"] = sum(len(r.mismatches) for r in results)
    return counts


def totals_line(results) -> str:
    """The closing line of a run."""
    counts = totals(results)
    mismatches = counts.pop("message_mismatches")
    return counts_text(**counts) + (f" ({mismatches} message mismatches)" if mismatches else "")
