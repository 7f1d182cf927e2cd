"""scripts/bootstrap-uv on a stock Debian/Ubuntu system: Debian's PEP 668 Python first on PATH, no uv.

The bootstrap must leave the system Python alone (pip refuses it anyway: `externally-managed-environment`),
put uv in its private virtualenv under the cache directory, reuse that uv the next time, and the uv it
gives must find Debian's Python for the project without downloading one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BOOTSTRAP = REPO / "scripts" / "bootstrap-uv"
SYSTEM_PYTHON = Path("/usr/bin/python3")
STOCK_PATH = "/usr/bin:/bin"
# What would make the bootstrap use something other than the stock system and a fresh home.
NOT_INHERITED = ("VIRTUAL_ENV", "XDG_CACHE_HOME", "PYTHONPATH", "PYTHONHOME", "PIP_USER")


def stock_environment(home: Path) -> dict[str, str]:
    """This process's environment (proxies, certificates) with a stock PATH and a fresh home."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key not in NOT_INHERITED and not key.startswith("UV_")
    }
    return {**inherited, "PATH": STOCK_PATH, "HOME": str(home)}


def system_install_locations(env: dict[str, str]) -> dict[str, list[str]]:
    """What is in every place a pip install outside a virtualenv would write to, by directory."""
    probe = (
        "import json, site, sysconfig;"
        "print(json.dumps([*site.getsitepackages(), site.getusersitepackages(),"
        " sysconfig.get_path('scripts'), sysconfig.get_path('scripts', 'posix_user')]))"
    )
    found = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    directories = [Path(directory) for directory in json.loads(found.stdout)]
    return {str(d): sorted(p.name for p in d.iterdir()) if d.is_dir() else [] for d in directories}


def bootstrap(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BOOTSTRAP)], env=env, cwd=REPO, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.mark.slow
def test_bootstrap_installs_uv_into_a_private_venv_and_never_into_the_system_python(tmp_path: Path) -> None:
    if not SYSTEM_PYTHON.is_file():
        pytest.fail(f"{SYSTEM_PYTHON} does not exist: this test needs a Debian or Ubuntu system Python")
    assert shutil.which("uv", path=STOCK_PATH) is None, f"uv is installed in {STOCK_PATH}: nothing to prove"
    home = tmp_path / "home"
    home.mkdir()
    env = stock_environment(home)
    before = system_install_locations(env)

    first = bootstrap(env)

    assert first.returncode == 0, first.stderr
    uv = home / ".cache" / "growth-agent" / "uv-venv" / "bin" / "uv"
    assert first.stdout == f"{uv}\n", first.stderr
    assert system_install_locations(env) == before
    version = subprocess.run([str(uv), "--version"], env=env, capture_output=True, text=True, check=True)
    match = re.fullmatch(r"uv (\d+)\.(\d+)\.\d+\b.*\n", version.stdout)
    assert match, version.stdout
    assert (0, 5) <= (int(match[1]), int(match[2])) < (1, 0), version.stdout

    # The next run reuses that uv and installs nothing.
    again = bootstrap(env)
    assert (again.returncode, again.stdout, again.stderr) == (0, f"{uv}\n", "")

    # The project's Python is Debian's own: uv finds it without downloading one.
    python = subprocess.run(
        [str(uv), "python", "find", "--no-python-downloads", ">=3.11"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert python.returncode == 0, python.stderr
    assert Path(python.stdout.strip()).resolve() == SYSTEM_PYTHON.resolve(), python.stdout
    assert not (home / ".local" / "share" / "uv" / "python").exists()
