"""The real `agent` command (the console script of this virtualenv) in a subprocess, in an empty working
directory (so no `.env` of the checkout is read) with only the environment a test gives it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

AGENT = str(Path(sys.executable).with_name("agent"))
KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "TMPDIR")


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        return self.stderr.splitlines()


def agent(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> Ran:
    base = {name: os.environ[name] for name in KEPT if name in os.environ}
    done = subprocess.run(
        [AGENT, *args],
        cwd=cwd,
        env={**base, "COLUMNS": "120", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)
