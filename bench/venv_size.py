"""The size of what production installs: a fresh venv of requirements.txt (with and without
pip), the optional SPSS/Stata packages on top, and the largest packages.

    .venv/bin/python bench/venv_size.py

Builds the venvs in a temporary directory (a minute or two, from pip's cache or index) and
removes them afterwards.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


def megabytes(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def install(venv: Path, *requirements: str) -> None:
    args = [arg for name in requirements for arg in ("-r", str(ROOT / name))]
    subprocess.run([*PIP, "--python", str(venv / "bin" / "python"), "install", *args,
                    "-c", str(ROOT / "constraints.txt")], check=True)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dsc-venv-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        install(venv, "requirements.txt")
        base = megabytes(venv)
        site = next(venv.glob("lib/python*/site-packages"))
        largest = sorted(((megabytes(p), p.name) for p in site.iterdir() if p.is_dir()),
                         reverse=True)[:8]
        install(venv, "requirements-stats.txt")
        with_stats = megabytes(venv)
        with_pip = Path(tmp) / "with-pip"
        subprocess.run([sys.executable, "-m", "venv", str(with_pip)], check=True)
        pip_only = megabytes(with_pip)
    print(f"production venv (requirements.txt): {base:.0f} MB; a venv's own pip and "
          f"setuptools add {pip_only:.0f} MB")
    print(f"  + SPSS/Stata (requirements-stats.txt): {with_stats:.0f} MB "
          f"(+{with_stats - base:.0f} MB)")
    print("  largest: " + ", ".join(f"{name} {size:.0f} MB" for size, name in largest))


if __name__ == "__main__":
    main()
