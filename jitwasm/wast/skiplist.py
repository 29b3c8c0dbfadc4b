"""The reviewed skip list: commands not to run, each with the reason, matched by file and line.

Format, one entry per line (`#` starts a comment):

    binary.wast:123   reason why this command is skipped

It is for commands that cannot run yet for a stated reason (a hang, a known host limit), not
for hiding failures; each entry should point to what will remove it.
"""

from pathlib import Path


def load_skiplist(path) -> dict:
    """{(script file name, line): reason}. A malformed or reason-less entry is an error."""
    entries = {}
    for lineno, raw in enumerate(Path(path).read_text().splitlines(), 1):
        text = raw.split("#", 1)[0].strip().replace("\t", " ")
        if not text:
            continue
        where, _, reason = text.partition(" ")
        name, _, line = where.rpartition(":")
        reason = reason.strip()
        if not name or not line.isdigit() or not reason:
            raise ValueError(f"{path}:{lineno}: expected 'FILE.wast:LINE reason', got {raw!r}")
        entries[(name, int(line))] = reason
    return entries
