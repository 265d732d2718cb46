"""The matcher's public names, kept where they always were; the code is in bot.core.matching."""

from __future__ import annotations

from .matching import Calibration, Candidate, Features, Matcher, MatchSettings, is_question

__all__ = ["Calibration", "Candidate", "Features", "MatchSettings", "Matcher", "is_question"]
