#!/usr/bin/env python3
"""List the processes a CI run left behind; exit 1 if there are any.

A process is CI's when it carries CI's run id in its environment (everything CI starts
inherits it), belongs to one of the sessions CI started, or runs inside, or names, one of
the scratch folders CI made (nothing else has any business there). This process and its
ancestors (the CI script itself, the shell that ran it) are not counted. Linux only (/proc).

    .ci/leftovers.py --run-id ID [--sessions "SID ..."] [SCRATCH_FOLDER ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: [state, ppid, pgrp, session, ...]."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            pid = int(stat_fields(pid)[1])
        except (OSError, IndexError, ValueError):
            break
    return found


def read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-id", required=True, help="the value of CI_RUN_ID of this run")
    parser.add_argument("--sessions", default="", help="session ids CI started")
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args()

    marker = f"CI_RUN_ID={args.run_id}".encode()
    sessions = {int(s) for s in args.sessions.split()}
    folders = [str(f.resolve()) for f in args.folders]
    mine = ancestors(os.getpid())

    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        pid = int(entry.name)
        try:
            fields = stat_fields(pid)
        except OSError:
            continue  # gone meanwhile
        if fields[0] == "Z":
            continue  # already dead, waiting for its parent to reap it
        command = read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace")
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        inside = any(cwd == f or cwd.startswith(f + "/") or f in command for f in folders)
        if (
            marker in read(f"/proc/{pid}/environ").split(b"\0")
            or int(fields[3]) in sessions
            or inside
        ):
            left.append(f"{pid} {command.strip()[:200]}")
    for line in left:
        print(line)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
