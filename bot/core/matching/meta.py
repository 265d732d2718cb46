"""Questions about the article itself: who wrote it, its title, date, kind, gist, argument.

Members name the article every way they like ("the piece", "this blog post", "the write-up
we're discussing") and ask about it in few, common words ("author", "name", "when"). Word
overlap alone ranks such questions badly: every article-level entry says "article" and
"author", "name" is in both the title's and the author's phrasings, and "piece" or "post"
is in neither. So a question that names nothing but the article and one of its facets is
matched as that facet's plain question instead ("whos the author of the piece lol" as "Who
wrote the article?"), and the knowledge base answers that as usual.

The recogniser is narrow on purpose: every word of the question must be a word that points
at the article, a facet's cue, or a filler. One word of anything else ("who wrote the
declaration", "what does the author think") leaves the question to the usual matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..lexicon import CHATTER, LEAD_INS, SMALL_TALK, STOPWORDS, word_set
from ..text import MAX_QUERY_CHARS, normalize

__all__ = ["FACETS", "ArticleFacet", "article_facet"]


@dataclass(frozen=True, slots=True)
class ArticleFacet:
    """One thing a member may ask about the article itself, and its plain question."""

    name: str
    question: str


# The plain question of each facet: how the knowledge base's article-level entries ask it.
FACETS = {
    facet.name: facet
    for facet in (
        ArticleFacet("title", "What is the title of the article?"),
        ArticleFacet("date", "When was the article published?"),
        ArticleFacet("source", "Where was the article published, and is there a link?"),
        ArticleFacet("conclusion", "How does the article conclude?"),
        ArticleFacet("kind", "Is this an opinion piece?"),
        ArticleFacet("argument", "What is the article's main argument?"),
        ArticleFacet("summary", "What is the article about?"),
        ArticleFacet("author", "Who wrote the article?"),
    )
}

# A year ("2023"): asks for a date like the word "year".
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Phrases read as one word before anything else.
_PHRASES = (
    (re.compile(r"\bwrite ups?\b"), "writeup"),
    (re.compile(r"\bop eds?\b"), "oped"),
    (re.compile(r"\bblog posts?\b"), "blogpost"),
    (re.compile(r"\bopinion (?:piece|article|column)\b"), "oped"),
    (re.compile(r"\bnews (?:story|article|piece|report)\b"), "newsstory"),
    (re.compile(r"\b(?:come|came|comes|coming) out\b"), "released"),
    (re.compile(r"\bput out\b"), "released"),
    (re.compile(r"\b(?:sum|sums|summed) (?:it )?up\b"), "summary"),
    (re.compile(r"\btl dr\b"), "tldr"),
    (re.compile(r"\bin (?:short|brief|a nutshell)\b"), "summary"),
    (
        re.compile(r"\bin (?:one|a|1|two|2|three|3|a few|few) (?:lines?|sentences?|words?)\b"),
        "summary",
    ),
    (re.compile(r"\b(?:wrap|wraps|wrapped|sign|signs) (?:it )?(?:up|off)\b"), "ends"),
    (re.compile(r"\bbottom line\b"), "conclusion"),
    (re.compile(r"\bhow old\b"), "howold"),
    (re.compile(r"\b(?:what|which) (?:kind|sort|type) of\b"), "what type"),
    (re.compile(r"\bone sided\b"), "biased"),
    (re.compile(r"\bthink tanks?\b"), "thinktank"),
)

# A clause that points at the article by where it is in the chat: "(the post) we're
# discussing", "(the article) you linked in here", "(the piece) someone shared earlier".
_POINTER = re.compile(
    r"\b(?:that |which )?(?:we|were|you|u|ya|yall|i|im|ive|someone|somebody|everyone|they"
    r"|people|ppl|the mods?|the bot|op)"
    r"(?: (?:are|re|r|were|was|have|has|had|just|all|currently|been|got))*"
    r" (?:discussing|discuss|discussed|reading|read|talking about|talking abt|talk about"
    r"|looking at|looked at|sharing|shared|share|linking|linked|posting|posted|sent|pinned"
    r"|dropped|covering|covered|studying|reviewing|on about|assigned)"
    r"(?: (?:in here|here|in this channel|in the channel|in class|for class|earlier|today"
    r"|rn|now|above|yesterday))*\b"
)

# The article, by a noun ("the piece"), and by a pointer ("this", "it").
_NOUNS = word_set(
    """article articles piece post blogpost blog writeup oped essay column story text
    editorial commentary newsstory report paper read thing"""
)
# The nouns that name a kind of piece ("is this an op-ed"; not "is this a thing").
_KINDS_OF_PIECE = _NOUNS - word_set("text paper read thing")
_POINTERS = word_set("this it here")

# The cues of each facet. A cue marked self-sufficient asks about the article on its own
# ("headline?", "who's the author"); the others need the article named or pointed at
# ("when was this", "what's the name of the post").
_TITLE = word_set("title titled titles headline headlines heading called call calls")
_TITLE_SELF = word_set("title titled titles headline headlines heading")
_NAME = word_set("name named names")
_DATE = word_set(
    """date dated when whens day year month howold recent recently
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec old older newer outdated"""
)
_DATE_SELF = word_set("date dated")
# The verbs of putting the article out: with "when" they ask its date, with "where" its
# outlet, with "who" (the first two) its author.
_PUBLISHING = word_set(
    "published publish posted released written write wrote ran run out dropped drop uploaded upload"
)
_SOURCE = word_set(
    """link links url source sources outlet website site publication publisher newspaper
    magazine journal where wheres"""
)
_SOURCE_SELF = word_set(
    "link links url source sources outlet website site publication publisher newspaper"
)
_CONCLUSION = word_set(
    """conclusion conclusions conclude concludes concluding end ends ending ended final
    finally last closing verdict outro"""
)
_CONCLUSION_SELF = word_set("conclusion conclusions conclude concludes ending")
_KIND = word_set(
    """type genre category format news reporting neutral biased bias objective factual fact
    facts impartial balanced partisan"""
)
_KIND_SELF = word_set("type genre category format")
_ARGUMENT = word_set(
    """argument arguments argue argues arguing argued thesis point points stance position
    take claim claims message takeaway takeaways opinion view views angle main central core
    key idea"""
)
_ARGUMENT_SELF = word_set("argument arguments thesis takeaway takeaways stance")
_SUMMARY = word_set(
    """about abt bout summary summarize summarise summarized tldr gist overview recap
    rundown synopsis nutshell short brief briefly topic subject cover covers eli5"""
)
_SUMMARY_SELF = word_set(
    "summary summarize summarise tldr gist overview recap rundown synopsis eli5"
)
_AUTHOR = word_set(
    """author authors authored writer writers byline journalist columnist reporter blogger
    analyst"""
)
# "who" with one of these asks for the author ("who wrote it", "who is it by").
_AUTHOR_WITH_WHO = word_set("wrote write writes written penned behind by made created")
# Who the author is ("some think tank guy?", "a man or a woman"): asked of the author only.
_IDENTITY = word_set(
    """man woman guy girl lady dude male female gender person expert academic professor
    prof scholar researcher thinktank official diplomat anonymous famous
    american korean british japanese chinese australian foreign local"""
)
# Verbs of saying: "does it say who wrote it" asks for the author, "what does the author
# say" asks for the argument (the usual matching).
_SAYING = word_set("say says said tell tells mention mentions")
# Someone the question points at, not the article ("what's his title").
_SOMEONE = word_set("he him his she her hers their theirs")
# Asking for a person's age, not the article's ("how old is the author").
_AGE = word_set("howold old age born young")

# Words that ask nothing of their own in these questions: function words, chatter, verbs
# of presence ("is the author's name given anywhere"), and the verbs of writing.
_FILLERS = (
    (STOPWORDS | LEAD_INS | CHATTER | SMALL_TALK)
    - word_set(
        """think thinks thought mean means meant say says said saying happen happens
        happened go goes going went get gets got getting against between before
        after over under more most only own nor few both each such very too further
        once down off during through into up explain explains describe describes
        described talk talks talking like kind sort lot lots things stuff something
        anything good great nice cool question questions q qs"""
    )
) | word_set(
    """given anywhere mentioned listed shown stated credited included known available
    wrote write writes writing written penned trying make making actually exactly again
    overall whole original full exact ya give gave info information details
    citation cite citing cited bibliography reference references footnote homework
    assignment class school"""
)


def article_facet(question: str) -> ArticleFacet | None:
    """The facet of the article a question asks about, when it names nothing else."""
    return _article_facet(question[:MAX_QUERY_CHARS])


@lru_cache(maxsize=4096)  # keyed by at most MAX_QUERY_CHARS characters
def _article_facet(question: str) -> ArticleFacet | None:
    if any(w not in _KNOWN and w not in _PATTERN_WORDS for w in _normal(question).split()):
        return None  # a word of something else: most questions stop here
    return _reading(question)


def _normal(text: str) -> str:
    """A text normalised, a year read as "year" ("is it from 2023")."""
    return _YEAR.sub("year", normalize(text))


def _reading(question: str) -> ArticleFacet | None:
    """article_facet's full reading of a question (without the quick look at its words)."""
    words = _POINTER.sub(" ", _phrased(_normal(question))).split()
    if not words or any(w not in _KNOWN for w in words):
        return None
    name = _facet_of(words)
    # Two facets asked together ("name of the article + date pls"): the first one asked.
    first = _JOINED.split(question.casefold(), maxsplit=1)[0]
    if name is not None and first != question.casefold():
        before = _POINTER.sub(" ", _phrased(_normal(first))).split()
        if before and before != words:
            name = _facet_of(before, context=words) or name
    return FACETS[name] if name is not None else None


def _phrased(text: str) -> str:
    """A normalised text with the phrases of _PHRASES read as one word."""
    for pattern, word in _PHRASES:
        text = pattern.sub(word, text)
    return text


# Where a question joins two facets: "+", "&", "and", "plus".
_JOINED = re.compile(r"\s*[+&]\s*|\s+(?:and|plus|n)\s+")


def _facet_of(words: list[str], context: list[str] | None = None) -> str | None:
    """The facet the cues ask about (the most specific first), or None.

    A facet that is named but not asked clearly enough gives None, not a weaker facet:
    "final verdict of the author?" is no question of who the author is. `context`: the
    whole question, when `words` is its first part (what it points at counts).
    """
    present = frozenset(words)
    around = present | frozenset(context or ())
    named = bool(around & _NOUNS)  # "the piece", "this blog post"
    this = named or bool(around & {"this", "here"})  # "when was this"
    publishing = bool(present & _PUBLISHING)
    who = bool(present & {"who", "whos", "whom", "whose"})
    written_by = "by" in present and bool(present & _AUTHOR_WITH_WHO - {"by"})
    person = bool(present & _AUTHOR) or (who and bool(present & _AUTHOR_WITH_WHO)) or written_by
    # The article pointed at, or its author named ("how does the writer end it").
    pointed = this or person or "it" in around
    if present & _SOMEONE and not person:
        return None  # "what's his title": someone else's
    if present & _IDENTITY:
        return "author" if person else None  # "is the writer some think tank guy"
    if present & _SAYING:
        # "does it say who wrote it", "what does the title say"; not "what does the author
        # say", which asks for the author's view.
        if person and (who or present & _NAME):
            return "author"
        if not present & (_TITLE | _CONCLUSION):
            return None
    if present & _TITLE:
        return "title" if present & _TITLE_SELF or pointed else None
    if present & _DATE:
        if person and present & _AGE:
            return None  # "how old is the author"
        return "date" if present & _DATE_SELF or this or publishing else None
    if present & _SOURCE:
        if present & _SOURCE_SELF or named or (pointed and (publishing or "from" in present)):
            return "source"
        return None
    if present & _CONCLUSION:
        return "conclusion" if present & _CONCLUSION_SELF or pointed else None
    if present & _KIND or (words[0] in _YES_NO and present & _KINDS_OF_PIECE and not person):
        # "what type of post is this", "is the author neutral", "is this an op-ed".
        asks = words[0] in _YES_NO or bool(present & _KIND_SELF)
        return "kind" if asks and pointed else None
    if present & _ARGUMENT:
        return "argument" if present & _ARGUMENT_SELF or pointed else None
    if present & _SUMMARY:
        return "summary" if present & _SUMMARY_SELF or _before_about(words) else None
    if person:
        return None if present & _AGE else "author"
    if present & _NAME and pointed:
        return "title"
    return None


def _before_about(words: list[str]) -> bool:
    """The article named or pointed at before "about": "what's this post about", not "what
    about it"."""
    for k, word in enumerate(words):
        if word in _ABOUT:
            before = set(words[:k])
            return bool(before & (_NOUNS | _POINTERS | _AUTHOR))
    return False


_ABOUT = word_set("about abt bout")
_YES_NO = word_set("is isnt was how are")

_KNOWN = (
    _NOUNS
    | _POINTERS
    | _TITLE
    | _NAME
    | _DATE
    | _PUBLISHING
    | _SOURCE
    | _CONCLUSION
    | _KIND
    | _ARGUMENT
    | _SUMMARY
    | _AUTHOR
    | _AUTHOR_WITH_WHO
    | _AGE
    | _IDENTITY
    | _SAYING
    | _FILLERS
)
# Every word the phrases and the pointing clause are made of ("eds?" gives "ed" and "eds").
_PATTERN_WORDS = frozenset(
    spelling
    for pattern in (*(p for p, _ in _PHRASES), _POINTER)
    for word in re.findall(r"[a-z0-9]+", re.sub(r"\\.", " ", pattern.pattern))
    for spelling in (word, word.removesuffix("s"))
)
