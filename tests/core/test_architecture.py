"""The core never imports discord: checked on the source and at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "bot" / "core"


def _imported_modules(path: Path) -> set[str]:
    # A relative import may climb to bot.core from a subpackage, never above it.
    depth = len(path.resolve().relative_to(CORE).parts) if path.is_relative_to(CORE) else 1
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > depth:
            names.add("..")  # reaching out of bot.core into the adapter
    return names


def test_core_sources_do_not_import_discord_or_the_adapter() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) >= 5
    offenders = {
        f.name: sorted(n for n in _imported_modules(f) if n.split(".")[0] == "discord" or n == "..")
        for f in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_core_does_not_load_discord() -> None:
    code = (
        "import sys, pkgutil, importlib, bot.core\n"
        "for m in pkgutil.iter_modules(bot.core.__path__):\n"
        "    importlib.import_module('bot.core.' + m.name)\n"
        "print('discord' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_the_checker_sees_a_discord_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from discord import Embed\nimport discord.ui\n", encoding="utf-8")
    assert {"discord", "discord.ui"} <= _imported_modules(sample)
