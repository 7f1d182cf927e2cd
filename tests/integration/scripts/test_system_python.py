"""The two README commands on a stock Debian/Ubuntu system: `scripts/demo` and `scripts/test` with Debian's
PEP 668 Python first on PATH, no uv installed and a fresh home.

They run on a copy of this checkout (so the shared `.venv` is not replaced): the bootstrap installs uv
into its private virtualenv, uv builds the project's virtualenv on the system Python (no Python is
downloaded), and each command ends with exit 0. The uv wheel cache is shared with this machine's, so
only what is missing is downloaded; it holds package files, not an interpreter or an install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.scripts.test_bootstrap_uv import REPO, STOCK_PATH, SYSTEM_PYTHON, stock_environment


def checkout_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored): no .venv, no caches."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def stock(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    if not SYSTEM_PYTHON.is_file():
        pytest.fail(f"{SYSTEM_PYTHON} does not exist: this test needs a Debian or Ubuntu system Python")
    assert shutil.which("uv", path=STOCK_PATH) is None, f"uv is installed in {STOCK_PATH}: nothing to prove"
    root = tmp_path_factory.mktemp("stock")
    (root / "home").mkdir()
    env = {
        **stock_environment(root / "home"),
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(Path.home() / ".cache" / "uv")),
        "UV_PYTHON_DOWNLOADS": "never",  # the system Python or nothing
        "COLUMNS": "120",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "LAYERS_API_KEY", "LAYERS_BASE_URL", "TEST_DATABASE_URL"):
        env.pop(name, None)
    return checkout_copy((root / "repo").resolve()), env


def project_python(repo: Path) -> Path:
    config = dict(
        line.split(" = ", 1)
        for line in (repo / ".venv" / "pyvenv.cfg").read_text().splitlines()
        if " = " in line
    )
    return Path(config["home"]) / "python3"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_scripts_demo_runs_on_the_system_python(stock: tuple[Path, dict[str, str]]) -> None:
    repo, env = stock
    ran = subprocess.run(
        ["scripts/demo", "--job-seconds", "0.25"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.splitlines()[0] == "demo database: sqlite:///./agent-demo.db"
    assert "demo complete, in sqlite:///./agent-demo.db." in ran.stdout
    assert project_python(repo).resolve() == SYSTEM_PYTHON.resolve()
    assert (repo / "agent-demo.db").is_file()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_scripts_test_runs_on_the_system_python(stock: tuple[Path, dict[str, str]]) -> None:
    repo, env = stock
    # the whole chain (bootstrap, services, sync, ruff, mypy, pytest) on one small test file
    ran = subprocess.run(
        ["scripts/test", "tests/unit/cli/test_when.py", "-q", "-p", "no:cacheprovider"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert ran.returncode == 0, (ran.stdout[-3000:], ran.stderr[-3000:])
    assert "passed" in ran.stdout.splitlines()[-1]
    assert project_python(repo).resolve() == SYSTEM_PYTHON.resolve()
