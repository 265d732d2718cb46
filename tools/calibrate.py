"""Fit the matcher's confidence calibration, store it with its provenance, show thresholds.

    .venv/bin/python tools/calibrate.py --fit tests/data/tune_a.yaml tests/data/tune_b.yaml \\
        --depth 5 --check tests/data/dev.yaml            # fit and show; writes nothing
    .venv/bin/python tools/calibrate.py ... --write      # store in calibration.json
    .venv/bin/python tools/calibrate.py --refit --write  # again, with the stored files/options

tune_a/b/c.yaml were written from the article alone by sessions that never saw the FAQ;
dev.yaml (the shared development set) is kept out of the fit and used to choose the
thresholds. Never fit on tests/data/heldout.yaml.

For every on-topic, meta, off-topic and near-miss question of the fit files, up to `depth`
candidate entries give a feature vector and a label: 1 when answering with that entry would
be right (a source from an expected paragraph, or the expected text), else 0. The candidates
and their order do not depend on the weights in use, and the fit (bot.core.matching.fitting)
is deterministic, so the same files, options and knowledge give the same weights: a test
refits and compares. The sweep shows, for each threshold, what the new weights would do on
the fit files and on each check file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bot.core.evaluation import EvalCase, load_eval_set
from bot.core.loader import load_knowledge
from bot.core.matching import Features, Matcher, load_calibration
from bot.core.matching.calibration import CALIBRATION_FILE, Calibration
from bot.core.matching.fitting import FitOptions, fit_calibration

ROOT = Path(__file__).resolve().parents[1]


def _sweep(matcher: Matcher, cases: Sequence[EvalCase], label: str) -> None:
    ranked = [(c, matcher.rank(c.question)[0]) for c in cases]
    sections = ("on_topic", "meta", "off_topic", "near_miss")
    print(f"\n{label}: threshold  " + "  ".join(f"{s:>9}" for s in sections))
    for threshold in range(30, 91, 5):
        ok = dict.fromkeys(sections, 0)
        total = dict.fromkeys(sections, 0)
        for case, entries in ranked:
            if case.section not in total:
                continue
            total[case.section] += 1
            top = entries[0] if entries else None
            answered = top is not None and top.confidence * 100 >= threshold
            entry = matcher.kb.entries[top.index] if top is not None else None
            if case.section in ("off_topic", "near_miss"):
                ok[case.section] += not answered
            elif answered and entry is not None:
                if case.section == "on_topic":
                    ok["on_topic"] += any(s.paragraph in case.paragraphs for s in entry.sources)
                else:
                    ok["meta"] += bool(case.expect and case.expect in entry.answer)
        rates = [f"{ok[k] / total[k]:9.1%}" if total[k] else f"{'-':>9}" for k in sections]
        print(f"{'':8}{threshold:9d}  " + "  ".join(rates))


def _write(calibration: Calibration, path: Path) -> None:
    """Replace the stored calibration atomically."""
    text = json.dumps(calibration.to_json_dict(), indent=2, ensure_ascii=False) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".calibration.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def main() -> int:
    """Fit on --fit files (or the stored ones with --refit), report, optionally write."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", nargs="+", type=Path, default=[])
    parser.add_argument("--check", nargs="*", type=Path, default=[])
    parser.add_argument("--refit", action="store_true", help="the stored fit files and options")
    defaults = FitOptions()
    parser.add_argument("--l2", type=float, default=defaults.l2)
    parser.add_argument("--negative-weight", type=float, default=defaults.negative_weight)
    parser.add_argument("--depth", type=int, default=defaults.depth)
    parser.add_argument(
        "--drop", default="", help=f"comma-separated features kept at 0: {Features._fields}"
    )
    parser.add_argument("--write", action="store_true", help=f"store in {CALIBRATION_FILE.name}")
    args = parser.parse_args()
    if args.refit:
        stored = load_calibration().provenance
        files = [ROOT / f["path"] for f in stored["fit"]]
        stored_options = dict(stored["options"])
        options = FitOptions(**{**stored_options, "drop": tuple(stored_options.get("drop", ()))})
    else:
        files = list(args.fit)
        drop = tuple(d for d in args.drop.split(",") if d)
        unknown = set(drop) - set(Features._fields)
        if unknown or not files:
            parser.error(f"unknown features {sorted(unknown)}" if unknown else "--fit FILE...")
        options = FitOptions(args.depth, args.l2, args.negative_weight, drop)
    kb = load_knowledge(ROOT / "knowledge")
    calibration = fit_calibration(Matcher(kb), files, options, ROOT)
    provenance = calibration.provenance
    print(f"{provenance['samples']} samples, {provenance['positives']} positive")
    print(json.dumps(calibration.to_json_dict()["weights"] | {"bias": calibration.bias}))
    fitted = Matcher(kb, calibration=calibration)
    _sweep(fitted, [c for f in files for c in load_eval_set(f).cases], "fit files")
    for path in args.check:
        _sweep(fitted, load_eval_set(path).cases, path.name)
    if args.write:
        _write(calibration, CALIBRATION_FILE)
        print(f"\nwrote {CALIBRATION_FILE.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
