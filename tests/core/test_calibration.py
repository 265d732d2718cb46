"""The stored calibration: read by name, with a clear error for a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.errors import KnowledgeError
from bot.core.matching import Features, Matcher, load_calibration
from bot.core.matching.fitting import FitOptions, fit_calibration, knowledge_digest
from bot.core.models import KnowledgeBase


def test_the_shipped_calibration_names_every_feature() -> None:
    calibration = load_calibration()
    assert calibration.weights._fields == Features._fields
    # Matching more of the question's grounds must raise the confidence.
    low = Features(0.5, 0.5, 0.5, 0.5, 0.2, 0.5, 0.0, 1.0)
    high = low._replace(grounding=0.9)
    assert calibration.confidence(high) > calibration.confidence(low)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read calibration"),
        ("[1, 2]", "must be a JSON object"),
        ('{"bias": 1, "weights": {"recall": 1}}', "missing"),
        ('{"bias": "x", "weights": {}}', "needs a number 'bias'"),
    ],
)
def test_a_bad_calibration_file_names_itself(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_calibration(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_a_written_calibration_reads_back(tmp_path: Path) -> None:
    calibration = load_calibration()
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(calibration.to_json_dict()), encoding="utf-8")
    assert load_calibration(path).weights == calibration.weights


def test_refitting_gives_back_the_stored_weights(shipped_kb: KnowledgeBase) -> None:
    stored = load_calibration()
    provenance = stored.provenance
    root = Path(__file__).resolve().parents[2]
    files = [root / f["path"] for f in provenance["fit"]]
    options = FitOptions(**{**provenance["options"], "drop": tuple(provenance["options"]["drop"])})
    matcher = Matcher(shipped_kb)
    assert knowledge_digest(matcher) == provenance["knowledge_sha256"], (
        "the FAQ changed since the fit: run tools/calibrate.py --refit --write"
    )
    refit = fit_calibration(matcher, files, options, root)
    assert refit.provenance["samples"] == provenance["samples"]
    assert abs(refit.bias - stored.bias) < 1e-3
    for name, weight in stored.weights._asdict().items():
        assert abs(getattr(refit.weights, name) - weight) < 1e-3, name
