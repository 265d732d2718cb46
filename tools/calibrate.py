"""Fit the matcher's confidence calibration, store it with its provenance, show thresholds.

    .venv/bin/python tools/calibrate.py --fit tests/data/tune_a.yaml tests/data/tune_b.yaml \\
        --depth 5 --check tests/data/dev.yaml            # fit and show; writes nothing
    .venv/bin/python tools/calibrate.py ... --write      # store in calibration.json
    .venv/bin/python tools/calibrate.py --refit --write  # again, with the stored files/options

tune_a/b/c.yaml were written from the article alone by sessions that never saw the FAQ;
dev.yaml (the shared development set) is kept out of the fit and used to choose the
thresholds. Never fit on tests/data/heldout.yaml, nor on the validation sets (tune_e, tune_g).

    .venv/bin/python tools/calibrate.py --refit --cv --depth 2   # leave-one-set-out CV

--cv fits on all fit files but one and scores the one left out through the whole matcher
(chat gate, missing-detail check, article fallback), for each file in turn, beside the stored
weights on the same file: the way to choose --depth, --l2 and --negative-weight, and whether
more files help, on phrasings the fit never saw. It writes nothing.

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
from dataclasses import replace
from pathlib import Path

from bot.core.evaluation import EvalCase, EvalSet, load_eval_set, run_eval
from bot.core.loader import load_knowledge
from bot.core.matching import Features, Matcher, load_calibration
from bot.core.matching.calibration import CALIBRATION_FILE, Calibration
from bot.core.matching.features import Candidate
from bot.core.matching.fitting import FitOptions, fit_calibration
from bot.core.matching.policy import percent
from bot.core.models import KnowledgeBase

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
            answered = top is not None and _answers(matcher, case.question, top, threshold)
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


def _answers(matcher: Matcher, question: str, top: Candidate, threshold: int) -> bool:
    """Whether the policy answers with its top entry at this threshold: confident enough,
    specific enough, not mostly unknown words, and not lacking the detail asked for (the
    ambiguity margin and the article fallback aside)."""
    settings = matcher.settings
    score = percent(top.confidence)
    return (
        score >= threshold
        and (top.exact or top.information >= settings.min_information)
        and (
            top.exact
            or top.features.unknown < settings.max_unknown
            or score >= settings.unknown_threshold
        )
        and matcher.lacks_detail(question, top) is None
    )


# The rates --cv reports (Korean questions are the Korean matcher's, not the calibration's).
_CV_RATES = ("on_topic", "on_topic_chat", "declined", "multi", "meta")


def _cross_validate(
    kb: KnowledgeBase, files: Sequence[Path], options: FitOptions, stored: Calibration
) -> None:
    """Fit on every file but one, score the one left out; the stored weights beside it."""
    print(f"\nleave-one-set-out, {options}: right answers (fold fit | stored weights)")
    print(f"{'left out':>16}  " + "  ".join(f"{r:>15}" for r in _CV_RATES))
    totals = {"fold": 0, "stored": 0}
    for held in files:
        rest = [f for f in files if f != held]
        cases = EvalSet(
            tuple(c for c in load_eval_set(held).cases if c.section not in _KOREAN_SECTIONS)
        )
        fold = run_eval(
            Matcher(kb, calibration=fit_calibration(Matcher(kb), rest, options, ROOT)), cases
        )
        base = run_eval(Matcher(kb, calibration=stored), cases)
        cells = []
        for rate in _CV_RATES:
            total = fold.totals.get(rate, 0)
            right, before = fold.passed.get(rate, 0), base.passed.get(rate, 0)
            totals["fold"] += right
            totals["stored"] += before
            cells.append(f"{right:>3}|{before:<3}/{total:<3}" if total else f"{'-':>15}")
        print(f"{held.stem:>16}  " + "  ".join(f"{c:>15}" for c in cells))
    print(f"{'all':>16}  right answers: {totals['fold']} with fold fits, {totals['stored']} stored")


_KOREAN_SECTIONS = frozenset({"korean", "korean_off"})


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
    # Unset options are the stored ones with --refit, else FitOptions' defaults.
    parser.add_argument("--l2", type=float, help=f"default {defaults.l2}")
    parser.add_argument("--negative-weight", type=float, help=f"default {defaults.negative_weight}")
    parser.add_argument("--depth", type=int, help=f"default {defaults.depth}")
    parser.add_argument(
        "--drop", default="", help=f"comma-separated features kept at 0: {Features._fields}"
    )
    parser.add_argument("--cv", action="store_true", help="leave-one-set-out cross-validation")
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
        options = FitOptions(drop=drop)
    given = {"depth": args.depth, "l2": args.l2, "negative_weight": args.negative_weight}
    options = replace(options, **{k: v for k, v in given.items() if v is not None})
    kb = load_knowledge(ROOT / "knowledge")
    if args.cv:
        if len(files) < 2 or args.write:
            parser.error("--cv needs two fit files or more, and writes nothing")
        _cross_validate(kb, files, options, load_calibration())
        return 0
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
