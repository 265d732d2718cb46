"""Bot processes for the multi-process end-to-end tests: start, watch the log, stop.

Each :class:`BotProcess` is ``faqbot run`` (through :mod:`launch_bot`) in its own process,
logging to a file. :meth:`BotProcess.problems` lists the ERROR/CRITICAL lines and tracebacks of
that log, which the tests turn into failures like the in-process ERROR log guard does.
:meth:`BotProcess.stop` sends Ctrl+C (SIGINT), the way an operator stops the bot, and kills the
process if it has not exited within a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LAUNCHER = Path(__file__).resolve().parent / "launch_bot.py"
FAQBOT = Path(sys.executable).parent / "faqbot"

_ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")  # discord.py may colour the level names
# Settings the test does not give must not leak in from the developer's environment.
_OWN_PREFIXES = ("FAQ_", "DISCORD_", "FAKE_DISCORD_")


def clean_environment(**values: str) -> dict[str, str]:
    """The current environment without any FAQ_/DISCORD_ setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env.update(values)
    return env


@dataclass
class BotProcess:
    """One ``faqbot run`` process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _log_file: IO[bytes]

    @classmethod
    def start(cls, name: str, env: dict[str, str], workdir: Path) -> BotProcess:
        """Start ``faqbot run`` with ``env`` in ``workdir`` (no ``.env`` there)."""
        log_path = workdir / f"{name}.log"
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "run"],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        return cls(name, process, log_path, log_file)

    def log(self) -> str:
        """Everything the process printed so far."""
        return _ANSI_ESCAPE.sub("", self.log_path.read_text(encoding="utf-8", errors="replace"))

    def problems(self) -> list[str]:
        """ERROR/CRITICAL lines and tracebacks in the log."""
        return [line for line in self.log().splitlines() if _ERROR_LINE.search(line)]

    @property
    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    async def stop(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """Ctrl+C, then kill after ``timeout`` seconds; return the exit code."""
        try:
            if self.running:
                self.process.send_signal(signal.SIGINT)
                try:
                    return await asyncio.to_thread(self.process.wait, timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
            return await asyncio.to_thread(self.process.wait, timeout)
        finally:
            self._log_file.close()

    def report(self) -> str:
        """The log, labelled, for a failure message."""
        return f"--- log of {self.name} (exit {self.process.returncode}) ---\n{self.log()}"


async def run_cli(
    *args: str, env: dict[str, str], workdir: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``faqbot ARGS`` to completion (for ``faqbot entries add`` and the like).

    In a thread: the fake Discord keeps serving the bot processes meanwhile.
    """
    return await asyncio.to_thread(
        subprocess.run,
        [str(FAQBOT), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
