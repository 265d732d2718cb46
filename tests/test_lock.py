"""The lock files: every dependency of pyproject.toml pinned, within its range, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def _locked(name: str) -> dict[str, list[tuple[Version, str | None]]]:
    """Package name -> [(version, marker)] of a lock file; asserts each pin has a hash."""
    pins: dict[str, list[tuple[Version, str | None]]] = {}
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        found = _PIN.match(line)
        if not found:
            continue
        assert index + 1 < len(lines) and "--hash=sha256:" in lines[index + 1], line
        pins.setdefault(canonicalize_name(found[1]), []).append((Version(found[2]), found[3]))
    return pins


def _requirements(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    if extra is not None:
        names += project["optional-dependencies"][extra]
    return [Requirement(text) for text in names]


@pytest.mark.parametrize(
    ("lock", "extra"), [("requirements.lock", None), ("requirements-dev.lock", "dev")]
)
def test_every_dependency_is_locked_within_its_range(lock: str, extra: str | None) -> None:
    pins = _locked(lock)
    for requirement in _requirements(extra):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in {lock}: run `make lock`"
        for version, _marker in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock} pins {name}=={version}, outside {requirement.specifier}: run `make lock`"
            )
    # The project is built with a locked setuptools (pip --no-build-isolation).
    assert "setuptools" in pins


def test_run_and_test_install_from_the_locks_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes" in makefile
    assert "-r requirements.lock" in makefile and "-r requirements-dev.lock" in makefile
    assert re.search(r"^lock:", makefile, re.M)
    # Both locks agree on every package they share.
    runtime, dev = _locked("requirements.lock"), _locked("requirements-dev.lock")
    for name, versions in runtime.items():
        assert versions == dev[name], name
