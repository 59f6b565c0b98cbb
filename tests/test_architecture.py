"""The package graph of pyproject.toml's ``[tool.importlinter]`` contracts holds.

desk > lookup | ops | callbacks > messaging > dossiers > common > domain, with the project modules (settings, urls,
wsgi, cli) on top, and a domain core free of Django: a lower package never imports a higher one, not
even inside a function. A broken contract fails here with import-linter's own account of the chain.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_packages_import_only_the_packages_below_them() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout
