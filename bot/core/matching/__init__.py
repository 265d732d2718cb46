"""Matching a question to an FAQ entry or, failing that, to one sentence of the article.

The package reads as its pipeline:

- `analysis`: normalise, expand synonyms, drop stopwords, stem, correct typos;
- `index`: which content stems every phrasing, entry and article sentence contains (numpy);
- `features`: the named evidence that a candidate answers (recall, precision, grounding...);
- `calibration`: the stored logistic weights that turn the evidence into a confidence;
- `policy`: answer, suggest or decline; the chat gate; the article fallback;
- `meta`: a question about the article itself (its author, title, date...) is matched as
  that facet's plain question.

`Matcher` (in `pipeline`) puts them together.
"""

from .calibration import Calibration, load_calibration
from .features import Candidate, Features
from .pipeline import Matcher
from .policy import MatchSettings, is_question

__all__ = [
    "Calibration",
    "Candidate",
    "Features",
    "MatchSettings",
    "Matcher",
    "is_question",
    "load_calibration",
]
