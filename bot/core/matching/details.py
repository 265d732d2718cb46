"""What the article does not say: the detail a question asks for, and whether an entry has it.

A question on an entry's topic may ask for something the entry, its quotes and the paragraphs
it cites never give: a date, a year, a number, an age, a cost, a name, a place, someone's
reaction, or what happened later. Lexical similarity cannot see this ("which aircraft carrier
is deployed" is very close to "which strategic assets are deployed"), so the kind of detail
is read from the question's wording, and the entry's sentences on the question's topic are
searched for that kind of detail, next to the thing asked about where the question names
one. None found: the article does not say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from ..lexicon import STOPWORDS, WH_WORDS
from ..text import normalize

__all__ = ["FRAME_WORDS", "Detail", "EntryText", "answers_kind", "asked_detail", "has_detail"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The words that frame a detail question ("how long", "what year"), not its topic.
FRAME_WORDS = frozenset(
    _words(
        "long old many much far often date day year time exactly exact specific specifically "
        "name names named called official"
    )
)

_MONTHS = _words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
_NUMBER_WORDS = _words(
    """
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred hundreds thousand thousands million millions billion billions trillion dozen dozens
    half single double twice once several handful few couple
    """
)
_TIME_UNITS = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centur(?:y|ies))"
_NUMBER = r"(?:\d[\d,.]*(?:-\w+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_NUMBER_RE = re.compile(_NUMBER)
_MONTH = "|".join(_MONTHS)
_WEEKDAY = "|".join(_WEEKDAYS)
# What each kind of detail looks like in text (matched on lower-cased sentences).
_EVIDENCE: Mapping[str, re.Pattern[str]] = {
    "year": re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b(?!s)"),
    "day": re.compile(
        rf"\b(?:{_MONTH})\.? \d{{1,2}}\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH})\b"
        rf"|\b(?:{_WEEKDAY})\b|\b(?:today|tomorrow|yesterday|tonight)\b"
    ),
    "time": re.compile(
        rf"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b\d0s\b|\b(?:{_MONTH}|{_WEEKDAY})\b"
        r"|\b(?:this|last|next|that|same|coming|past) (?:week|month|year|decade|summer|spring"
        r"|autumn|fall|winter)\b|\bago\b|\b(?:today|tomorrow|yesterday|overnight|tonight)\b"
        rf"|\b{_NUMBER} {_TIME_UNITS} (?:ago|from now|later|earlier|after|before)\b"
        r"|\b(?:during|under) the (?P<era>\w+) administration\b"
        r"|\b(?:sixties|seventies|eighties|nineties)\b"
        r"|\b(?:until|after|before|ahead of|following) the (?P<event>\w+)"
    ),
    "age": re.compile(
        rf"\b{_NUMBER}[ -]years?[ -]old\b|\byear-old\b|\b{_NUMBER} (?:years|decades) of\b"
        rf"|\b{_NUMBER}-year\b|\bturn(?:ed|s)? {_NUMBER}\b|\baged? {_NUMBER}\b"
    ),
    "duration": re.compile(rf"\b{_NUMBER}[ -]{_TIME_UNITS}\b|\bdecades\b"),
    "distance": re.compile(rf"\b{_NUMBER} ?(?:km|kilomet(?:er|re)s?|miles?|mi)\b"),
    "frequency": re.compile(
        r"\b(?:frequent(?:ly)?|often|daily|weekly|monthly|annual(?:ly)?|yearly|quarterly"
        r"|regular(?:ly)?|every|twice|once|times a|per (?:year|month|week))\b"
    ),
    "number": re.compile(rf"\b{_NUMBER}\b|%|\bpercent\b"),
    "percent": re.compile(r"%|\bper ?cent(?:age)?\b|\bmajority\b|\bminority\b|\bhalf\b"),
    "cost": re.compile(
        r"[$€£¥₩]|\b(?:dollars?|euros?|pounds|yen|billion|million|trillion|costs?|price"
        r"|budget|funding|spent|spend)\b"
    ),
    "reaction": re.compile(
        r"\b(?:react(?:ed|s|ion)?|respon(?:d|ded|ds|se)|said|says|stated|statement"
        r"|welcomed|criticiz(?:e|ed|es)|condemn(?:ed|s)?|protest(?:ed|s)?|warn(?:ed|s)?"
        r"|prais(?:e|ed|es))\b"
    ),
    "later": re.compile(r"\b(?:eventually|later|afterwards?|subsequently|led|since then)\b"),
    # The items themselves: a list ("including X, Y and Z", "First, ... Second, ...").
    "specifics": re.compile(r"\b(?:including|includes|include|such as|namely|first|second)\b|:"),
}
# Kinds whose evidence must stand next to what the question names (a number of *what*).
_NEAR_KINDS = frozenset({"age", "duration", "number", "percent", "cost", "reaction"})
# Sentences sharing at least this share of the best sentence's topic weight are read.
_TOPIC_SHARE = 0.45
_NEAR = 5  # words between the evidence and a word of the question, at most
_PHRASE_WORDS = 4  # the words after "which"/"how many" read for the thing asked about
# "assets, including ...", "the USS X carrier": how close a list marker or a name must be.
_MARKER_WINDOW = 2
_COUNT_WINDOW = 3  # "four additional military bases": a number this many words before
_DESCRIPTION_WORDS = 6  # the words of "countries that have ..." read for something new
# Capitalised words that are not names.
_NOT_NAMES = frozenset(
    _words(
        "i the a an this that these those it its in on at by for of and or but if so as yet "
        "first second third finally"
    )
    + _MONTHS
    + _WEEKDAYS
)
# Words after which a capitalised word is a place ("in Hiroshima", "visit Japan").
_TO_PLACES = frozenset(_words("in at to from near inside outside toward towards visit visiting"))
# Words that introduce the members of a category ("assets, including submarines").
_LIST_MARKERS = frozenset(_words("including include includes such namely like"))
# Words that say a question wants the precise item, not a description.
_EXACTLY = frozenset(_words("exactly exact specific specifically precisely names name"))
# Nouns that only say "a kind of" the next noun ("which kinds of countries").
_GENERIC = frozenset(_words("kind kinds type types sort sorts one ones"))
_WHICH = frozenset(_words("which what whats wat"))
# "which city": a place, and not a country or a region (a "which country" question takes any
# name on the topic).
_CITY = frozenset(_words("city cities town towns"))
# Words of the names of countries and regions, which do not answer "which city".
_COUNTRY_WORDS = frozenset(
    _words(
        """
        afghanistan albania algeria andorra angola argentina armenia australia austria
        azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan
        bolivia bosnia botswana brazil brunei bulgaria burkina burundi cambodia cameroon canada
        chad chile china colombia comoros congo costa croatia cuba cyprus czechia czech
        denmark djibouti dominica dominican ecuador egypt salvador eritrea estonia eswatini
        ethiopia fiji finland france gabon gambia georgia germany ghana greece grenada guatemala
        guinea guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel
        italy jamaica japan jordan kazakhstan kenya kiribati korea kosovo kuwait kyrgyzstan laos
        latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg madagascar
        malawi malaysia maldives mali malta mauritania mauritius mexico micronesia moldova
        monaco mongolia montenegro morocco mozambique myanmar burma namibia nauru nepal
        netherlands zealand nicaragua niger nigeria macedonia norway oman pakistan palau
        palestine panama papua paraguay peru philippines poland portugal qatar romania russia
        rwanda samoa marino saudi senegal serbia seychelles sierra singapore slovakia slovenia
        solomon somalia spain lanka sudan suriname sweden switzerland syria taiwan tajikistan
        tanzania thailand timor togo tonga trinidad tunisia turkey turkmenistan tuvalu uganda
        ukraine emirates kingdom britain england scotland wales states america uruguay
        uzbekistan vanuatu vatican venezuela vietnam yemen zambia zimbabwe
        asia europe africa oceania americas pacific atlantic peninsula arctic antarctica
        indo-pacific global
        """
    )
)
# Words that ask for the items themselves wherever they stand ("what were they specifically").
_SPECIFICALLY = frozenset(_words("exactly specifically precisely"))
# Prepositions that are not stopwords but end the phrase asked about ("the treaty behind the
# alliance" asks about a treaty).
_PHRASE_ENDS = frozenset(
    _words("behind among amongst within across around near via per w toward towards beyond")
)
# Stems of nouns whose members are plain names ("which country" -> "Japan").
_CATEGORIES = frozenset(
    _words(
        "countri nation alli partner leader presid person peopl citi place state govern "
        "neighbor neighbour member"
    )
)
# Words that start a description of the thing before them, and how many words of it must be
# new to the question for it to answer "which".
_DESCRIBING = frozenset(_words("that which who whose with where"))
_NEW_WORDS = 2
# A description sharing this many of the question's own words only restates it ("countries
# targeted by coercive campaigns" for "which countries were hit by coercive campaigns"); it
# is read this many words long.
_RESTATED = 2
_DESCRIPTION_EXTENT = 16
# Adjectives that do not narrow a category down ("which other countries").
_BROAD = frozenset(_words("other else new main major big key next similar same different"))
# A phrasing of the entry asks the same question when its topic stems carry this share of
# the question's topic weight.
_ALIKE = 0.5
# Questions whose detail is remembered.
_DETAIL_CACHE = 4096


@dataclass(frozen=True, slots=True)
class Detail:
    """The kind of detail a question asks for, and the thing it asks it about (if named)."""

    kind: str
    about: str | None = None  # the asked-about word ("carrier" in "which carrier")
    # The words that narrow it down ("global south" in "which global south countries").
    modifiers: tuple[str, ...] = ()
    exact: bool = False  # the question wants the precise value ("exactly", "like monthly?")
    act: str | None = None  # what the person asked about did ("founded" in "who founded X")
    # A kind of the thing is asked ("what kind of bombers"): a word describing it answers.
    sort: bool = False
    # The question names the doer and asks who else took part ("who did tsai meet"): the
    # name must stand in a sentence that speaks of all of it.
    done_to: bool = False

    def phrase(self) -> str:
        """What the article does not say, for the reply."""
        about = f" {self.about}" if self.about else ""
        return {
            "year": "the exact year",
            "day": "the exact date",
            "time": "when",
            "age": "how old",
            "duration": "how long",
            "distance": "how far",
            "frequency": "how often",
            "number": f"how many{about}" if about else "the number",
            "percent": "the share",
            "cost": "how much it costs",
            "name": f"which{about}" if about else "the name",
            "city": "which city",
            "person": "who",
            "place": "where",
            "reaction": "how others reacted",
            "later": "what happened afterwards",
            "party": f"whether that goes for {self.about or 'them'} too",
            "specifics": "the specifics",
        }.get(self.kind, "that")


def _head(words: list[str], start: int) -> str | None:
    """The head noun of the phrase at `start` ("4 bases in..." -> "bases")."""
    return _phrase(words, start)[0]


def _phrase(words: list[str], start: int) -> tuple[str | None, tuple[str, ...]]:
    """The head noun of the phrase at `start` and the words before it that narrow it down
    ("global south countries" -> "countries", ("global", "south"))."""
    head = None
    before: list[str] = []
    for word in words[start : start + _PHRASE_WORDS]:
        if word in STOPWORDS or word == "of" or word in _PHRASE_ENDS:
            if head is not None and head not in _GENERIC:
                break
            continue
        if not word.isdigit() and word not in _EXACTLY:
            if head is not None:
                before.append(head)
            head = word
    modifiers = tuple(w for w in before if w not in _GENERIC and w not in _BROAD)
    return head, modifiers


_HOW_MUCH_COST = re.compile(
    r" how much (?:money )?(?:\w+ ){0,4}(?:cost|costs|spend|spent|pay|paid) "
    r"| (?:cost|costs|price|budget|expensive|dollars) "
)
_REACTION = re.compile(
    r" (?:react|reacted|reaction|reactions|respond|responded|response) "
    r"| (?:what|how) (?:did|does|do|has|have) (?![\w ]*\b(?:author|writer|article|piece|text"
    r"|report|briefing|paper|document|post|op ed|section|paragraph|it|this|u|you)\b)"
    r"[\w ]{1,30} (?:say|said|think|thought|feel) | (?:said|say) anything "
)
_LATER = re.compile(
    r" (?:happened|happen) (?:after|next|since|later) | since then | afterwards "
    r"| (?:who|whos|which \w+) (?:will|would|is going to|going to|gonna|is gonna) win | who won "
    r"| did it (?:actually )?work | ended up | turned out "
    # "did any country end up ...", not "could korea end up with ..." (a hypothetical).
    r"|^ (?:did|has|have) (?:\w+ ){1,4}(?:end|ended) up "
    # "did the sub actually show up": whether something the article expects came about.
    r"|^ did (?:\w+ ){1,4}actually "
)
# "the next summit after this one": the one after the event the article reports.
_AFTER_THIS = re.compile(r" next (?:\w+ ){1,3}after (?:this|that|these|those) ")
# "will taiwan get extended deterrence too": whether what the article says of one party goes
# for another, which the entry must name.
_TOO = re.compile(
    r"^ (?:will|would|does|do|did|is|are|can|could|should|has|have) (?P<party>\w+) "
    r"(?:\w+ ){1,8}(?:too|also|as well|either) $"
)
_PERCENT_Q = re.compile(r" (?:what|which) (?:percent|percentage|share|proportion) ")
_HOW_MANY = re.compile(r" how (?:many|much) ")
_HOW_LONG = re.compile(r" how long (?!ago)")
_EXACT_WHEN = re.compile(r" (?:when|whens) (?:\w+ ){0,1}exactly | exactly when ")
_WHAT_DATE = re.compile(
    r" (?:what|which|whats) (?:(?:are|is|were|was) )?(?:the )?(?:exact )?(?:date|dates|day|days) "
)
_WHAT_YEAR = re.compile(r" (?:what|which) year ")
_WHEN = re.compile(r" (?:when|whens|what time|what month|how long ago|since when) ")
_WHERE = re.compile(r" (?:where|wheres) ")
_NEXT = re.compile(r" (?:when|whens) (?:is|are|will|s|r)? ?(?:the )?next (?=\w)")
# "when was nato founded", "when will the subs be delivered": a participle closing the question.
_DONE = re.compile(
    r" (?:when|whens) (?:was|were|is|are|will|would) (?:\w+ ){1,5}?(?:be |been |get |got )?"
    r"(?P<act>\w+(?:ed|en)) $"
)
_WHO = re.compile(r" (?:who|whos|whom) ")
_WHO_IS = re.compile(r"\bwho['’]s\b")
# "where in japan", "who in seoul": something inside the place named.
_WH_IN = re.compile(r" (?:where|wheres|who|whos) (?:\w+ )?in ")
# A third party's reaction and who it is: "how did X respond", "did X welcome ...".
_PARTY = re.compile(
    r" (?:how|what) (?:did|does|do|has|have|will|would) (?P<asking>[\w ]{1,30}?) "
    r"(?:react|respond|reply|say|think|feel)\b"
    r"|^ ?(?:did|does|do|has|have|will|would) (?P<yesno>[\w ]{1,30}?) (?:welcome|welcomed"
    r"|support|supported|oppose|opposed|criticize|criticise|criticized|condemn|condemned|praise"
    r"|praised|protest|protested|object|objected|react|reacted|respond|responded)\b"
    # "did yoon himself ever say ...": what one party (a word or two) said.
    r"|^ ?(?:did|does|do|has|have) (?P<sayer>\w+(?: \w+)?) (?:(?:himself|herself|themselves"
    r"|itself|ever|even|actually|also|publicly|officially|really) )*(?:say|said|claim|claimed)\b"
)
# Who or what speaks for the article, or is a text: "did they say...", "does the deal say...".
_TEXTS = frozenset(
    _words("they them declaration deal agreement treaty statement plan document report")
)
# "does the author expect X to react": the author's view is asked, not a reaction.
_AUTHORS_VIEW = re.compile(
    r" (?:does|do|did|is|would|will) (?:the )?(?:author|writer|article|piece|op ed|post)\b"
)
# Parties whose reaction the article itself is: the author's view is not a third party's.
_OWN_VOICE = frozenset(_words("author writer article piece text post it this u you op ed i we"))
# The article itself and where it appeared: what meta entries (title, author, outlet) answer.
_THE_ARTICLE = frozenset(
    _words(
        "article piece post text op ed oped author writer publication outlet site website blog "
        "newspaper paper source title headline byline"
    )
)
# Nouns of a role whose holder a "who" question asks for ("who were the leaders").
_ROLES = frozenset(
    _words(
        "leader leaders president presidents pm premier minister ministers chair chairs chairman "
        "chairwoman chaired head heads headed chief chiefs official officials expert experts "
        "analyst analysts spokesperson spokesman spokeswoman ambassador ambassadors envoy envoys "
        "secretary commander commanders general generals counterpart counterparts negotiator "
        "negotiators senator senators lawmaker lawmakers diplomat diplomats chancellor king queen "
        "mayor governor director founder ceo"
    )
)
_ROLE_WORDS = 6  # the words after "who" read for a role
# Words for a country's leader, each of which stands for the others.
_LEADERS = frozenset(
    _words("leader leaders counterpart counterparts president presidents pm premier chancellor")
)
# "who does the author think will be president after biden": a future holder, an outcome.
_FUTURE_HOLDER = re.compile(
    r" (?:who|whos) (?:[\w ]{1,40} )?(?:will|would|gonna|going to) (?:be|become) (?:the )?"
    rf"(?:next )?(?:\w+ )?(?:{'|'.join(sorted(_ROLES))})\b"
)
# "who is/were the leaders" asks for a role's holder; "who hosted the leaders" does not.
_BE_WORDS = [[w] for w in _words("is are was were r will s")]
# "who did tsai meet": an auxiliary, then the doer named.
_AUXILIARY_WORDS = [[w] for w in _words("did does do has have had will would can could should")]
# Frequencies precise enough to answer "how often exactly" ("more frequently" is not one).
_PRECISE_FREQUENCY = re.compile(
    rf"\b(?:daily|weekly|fortnightly|monthly|quarterly|annual(?:ly)?|yearly|biannual(?:ly)?"
    rf"|every (?:other |{_NUMBER} )?{_TIME_UNITS}|twice|once a|{_NUMBER} times"
    r"|per (?:year|month|week|day))\b"
)  # ("every effort" is no frequency)
_NAME_Q = re.compile(r" (?:name|named|called) ")
# "what city is ...", "what programs will ...", "what type of bomber": a noun, then its verb.
_WHAT_NOUN = re.compile(
    r"^ (?:what|wat) (?:(?P<kind>kind|kinds|type|types|sort|sorts|model|models|class) of (?=\w)"
    r"|\w+ (?=(?:is|are|was|were|r|did|does|do|will|would|has|have)\b)"
    r"|(?P<doer>\w+) (?=\w+ed\b))"  # "what treaty started the alliance"
)
# Nouns a "what X" question asks a description of, not a name ("what risk is ...").
_VAGUE = frozenset(
    _words(
        "risk problem point thing idea deal issue role reason case concern tone stance view take "
        "position mood message argument lesson goal purpose aim effect impact difference"
    )
)
# "..., concretely", "specifics?": the particular measures or items, not the gist.
# "specific programs?", "any concrete steps": a fragment asking for the items themselves.
_SPECIFIC_ITEMS = re.compile(
    r"^ (?:any |the )?(?:specific|particular|concrete|actual) (?P<items>\w+) (?:pls |please )?$"
)
_CONCRETELY = re.compile(r" (?:concretely|specifics|in concrete terms|in practice) ")
# "is there a timeline for X", "does X have a deadline": whether X is scheduled, which a time
# next to X must say. ("what's the timeline of X" asks for the events in order.)
_TIMELINE = re.compile(r"^ (?:is|are|was|were|r) there |^ (?:does|do|did|will) [\w ]{1,30} have ")
_TIMELINE_NOUN = re.compile(
    r" (?:timeline|timeframe|time frame|schedule|deadline|date|dates) (?:for |of )?"
)
# A question that is only a noun phrase naming its detail, with no question word: "exact year
# the X happened?", "date of the Y?", "names of the Z?". The noun must open the question or
# follow "exact"/"precise", so that "the date of X" inside a sentence does not count.
_DETAIL_NOUNS: Mapping[str, str] = {
    "year": "year",
    "date": "day",
    "dates": "day",
    "day": "day",
    "name": "name",
    "names": "name",
    "cost": "cost",
    "costs": "cost",
    "price": "cost",
    "location": "place",
    "venue": "place",
    "number": "number",
    "age": "age",
}
_LIST_BREAK = re.compile(r"[+&,;/]")
_PRECISE = frozenset(_words("exact exactly precise precisely specific specifically"))
_NOUN_DETAIL = re.compile(
    r"^ (?:(?:the|an?|any) )?(?:(?:exact|precise|specific|actual|official) )*"
    rf"(?P<opening>{'|'.join(_DETAIL_NOUNS)}) (?:of |for )?(?=\w)"
    r"| (?:exact|precise) (?P<exact>" + "|".join(_DETAIL_NOUNS) + r") "
)
_WHAT = re.compile(r" (?:what|whats|which) ")


@lru_cache(maxsize=_DETAIL_CACHE)
def asked_detail(question: str) -> Detail | None:
    """The kind of detail a question asks for, or None for a general question (cached: a
    message's sentences are read several times, and every phrasing once per entry)."""
    words = normalize(question).split()
    if not words:
        return None
    text = f" {' '.join(words)} "
    if " how old " in text:
        return Detail("age")
    if " how far " in text:
        return Detail("distance")
    if " how often " in text:
        # "how often exactly", or a guess at the value ("..., like monthly?"): the precise one.
        exact = bool(_EXACTLY.intersection(words)) or bool(_PRECISE_FREQUENCY.search(text))
        return Detail("frequency", exact=exact)
    if "%" in question or _PERCENT_Q.search(text):
        return Detail("percent")
    if (match := _TOO.search(text)) and match["party"] not in STOPWORDS | _OWN_VOICE | _TEXTS:
        return Detail("party", match["party"])
    if _HOW_MUCH_COST.search(text):
        return Detail("cost")
    if match := _HOW_MANY.search(text):
        return Detail("number", _head(words, len(text[: match.end()].split())))
    if _HOW_LONG.search(text):
        return Detail("duration")
    if _AFTER_THIS.search(text) or _FUTURE_HOLDER.search(text):
        return Detail("later")
    if _EXACT_WHEN.search(text) or _WHAT_DATE.search(text):
        return Detail("day")
    if _WHAT_YEAR.search(text):
        return Detail("year")
    if (match := _WHEN.search(text)) and not _joins_clauses(words, match.start()):
        if nxt := _NEXT.search(text):
            # "when is the next yoon biden summit": the time of that event, which must
            # stand beside it (the time of another event on the topic does not say).
            about, modifiers = _phrase(words, len(text[: nxt.end()].split()))
            return Detail("time", about, modifiers)
        # "when was nato founded": the act dated must be one the entry speaks of.
        # (The article's own dates are its publication's: "when was the piece published".)
        done = _DONE.search(text) if not _THE_ARTICLE.intersection(words) else None
        return Detail("time", act=done["act"] if done else None)
    if _TIMELINE.search(text) and (match := _TIMELINE_NOUN.search(text)):
        return Detail("time", _head(words, len(text[: match.end()].split())))
    party = _PARTY.search(text)
    if party is not None:
        who = (party["asking"] or party["yesno"] or party["sayer"] or "").split()
        if not _OWN_VOICE.intersection(who) and not (party["sayer"] and _TEXTS.intersection(who)):
            return Detail("reaction", _phrase(who, 0)[0])
    if _REACTION.search(text) and not _AUTHORS_VIEW.match(text):
        return Detail("reaction")
    if _LATER.search(text):
        return Detail("later")
    if match := _WH_IN.search(text):
        # "where in japan": a place inside the one named.
        kind = "place" if _WHERE.search(text[: match.end()]) else "person"
        after = [w for w in words[len(text[: match.end()].split()) :] if w != "the"]
        return Detail(kind, after[0] if after else None)
    if _WHERE.search(text):
        return Detail("place")
    if match := _WHO.search(text):
        start = len(text[: match.end()].split())
        # "who's the aussie pm": normalising drops the "'s" that makes it "who is".
        contracted = match.group().strip() == "whos" or bool(_WHO_IS.search(question.casefold()))
        holder = contracted or words[start : start + 1] in _BE_WORDS
        if holder:
            return Detail("person", *_role(words, start))
        # "who founded nato": the doer of that act, which the entry must mention.
        verb = words[start] if start < len(words) and words[start] not in STOPWORDS else None
        done_to = words[start : start + 1] in _AUXILIARY_WORDS
        return Detail("person", act=verb, done_to=done_to)
    if _NAME_Q.search(text) and _WHAT.search(text):
        thing = _named(words)
        # "what's the name of the publication": the article itself, which meta entries cover.
        return None if thing in _THE_ARTICLE else Detail("name", thing)
    match = _NOUN_DETAIL.search(text)
    if match and (match["exact"] or not WH_WORDS.intersection(words)):
        # (an opening noun followed by a question word is a topic: "the date, why does it
        # matter")
        noun = match["opening"] or match["exact"]
        kind = _DETAIL_NOUNS[noun]
        start = len(text[: match.end()].split())
        # The thing named is read up to a "+" or comma ("name of the article + date pls").
        first = normalize(_LIST_BREAK.split(question, maxsplit=1)[0]).split()
        named = words[: len(first)]
        if not any(w not in STOPWORDS for w in named[start:]):
            return None  # "date + author pls": two things asked, neither named
        if kind == "name":
            # "names of the australian leaders": of a role, its holders' names are asked.
            role, modifiers = _role(named, start)
            if role is not None:
                return Detail("person", role, modifiers)
            about, modifiers = _phrase(named, start)
            if about in _THE_ARTICLE:
                return None
            return Detail("name", about, modifiers)
        if kind == "number":
            return Detail("number", _head(named, start))
        return Detail(kind)
    for index, word in enumerate(words[:-1]):
        if word == "which" or (word in _WHICH and words[index + 1] in _EXACTLY):
            about, modifiers = _phrase(words, index + 1)
            modifiers += _within(words, about, index + 1)
            if about in _CITY:
                return Detail("city", about, modifiers)
            # "which officials exactly ..., names?": the items themselves, which an entry
            # written for "what is X called" does not vouch for.
            exact = bool(_EXACTLY.intersection(words))
            return Detail("name", about, modifiers, exact)
    match = _WHAT_NOUN.search(text)
    # "what kind of bombers" is answered by a description ("nuclear-capable"); "what type,
    # X or Y" offers the names it asks between.
    if match:
        # "what city is the meeting in", "what type of bomber": "which", by another word.
        start = len(text[: match.start()].split()) + 1
        about, modifiers = (match["doer"], ()) if match["doer"] else _phrase(words, start)
        # "what was decided", "what exactly happened": no noun before the verb. "what type
        # are they": a kind of something named elsewhere, which this question cannot read.
        leading = match["doer"] or (words[start] if start < len(words) else "")
        noun = bool(match["kind"]) or leading not in STOPWORDS | _EXACTLY | _BROAD
        if about in _GENERIC and not match["kind"]:
            about = None
        if noun and about in _CITY:
            return Detail("city", about, modifiers)  # "what city is the meeting in"
        if noun and about is not None and about not in _THE_ARTICLE and about not in _VAGUE:
            sort = bool(match["kind"]) and " or " not in text
            return Detail("name", about, modifiers, sort=sort)
    if _CONCRETELY.search(text):
        return Detail("specifics")
    items = match["items"] if (match := _SPECIFIC_ITEMS.search(text)) else ""
    if items and not {items, items.removesuffix("s")} & (_VAGUE | set(_DETAIL_NOUNS)):
        return Detail("specifics")  # "..., specific programs?" (not "specific reasons?")
    if _SPECIFICALLY.intersection(words) and words[0] in _WHICH:
        # "what were the initiatives, specifically": the items themselves.
        start = next((i for i, w in enumerate(words) if i and w not in STOPWORDS), len(words))
        return Detail("name", *_phrase(words, start))
    return None


# Question words that, asked first, make a later "when" a conjunction: "why would seoul want
# nukes when the us protects them" asks why, not when.
_ASKING_FIRST = frozenset(_words("why what whats how hows who whos which where wheres"))


def _joins_clauses(words: list[str], at: int) -> bool:
    """Whether the "when" at character `at` of " words " joins two clauses of a question
    asked by an earlier question word, rather than asking when ("..., and when")."""
    index = len(" ".join(words)[:at].split())
    if index >= len(words) or words[index] not in {"when", "whens"}:
        return False  # "what time", "how long ago", "since when" ask the time
    return words[index - 1 : index] not in (["and"], ["or"]) and bool(
        _ASKING_FIRST.intersection(words[:index])
    )


def _within(words: list[str], head: str | None, start: int) -> tuple[str, ...]:
    """The place a "which" question narrows its noun to ("which countries in the global
    south" -> ("global", "south")): the words after "in" just after the noun."""
    if head is None or head not in words[start:]:
        return ()
    at = words.index(head, start) + 1
    if words[at : at + 1] != ["in"]:
        return ()
    place: list[str] = []
    for word in words[at + 1 : at + 1 + _PHRASE_WORDS]:
        if word in STOPWORDS:
            if place:
                break
            continue
        place.append(word)
    return tuple(place)


def _role(words: list[str], start: int) -> tuple[str | None, tuple[str, ...]]:
    """The role a "who" question asks the holder of, and the words before it that narrow it
    down ("who were the australian and british leaders" -> "leaders", ("australian",
    "british")); (None, ()) when it names none ("who is biden")."""
    for index, word in enumerate(words[start : start + _ROLE_WORDS]):
        if word in _ROLES:
            before = words[start : start + index]
            modifiers = tuple(w for w in before if w not in STOPWORDS and w not in _BROAD)
            return word, modifiers
    return None, ()


def _named(words: list[str]) -> str | None:
    """The thing whose name is asked ("the name of the treaty" -> "treaty")."""
    for index, word in enumerate(words):
        if word == "name" and index + 1 < len(words) and words[index + 1] == "of":
            return _head(words, index + 2)
    for index, word in enumerate(words):
        if word in _WHICH:  # "what would [japans version] of the ncg be called"
            return _head(words, index + 1)
    return None


_TOKEN = re.compile(r"[^\W_][\w'’-]*")


def _bare(token: str) -> str:
    """A token lower-cased, without a possessive ("China's" -> "china")."""
    low = token.casefold()
    return low[:-2] if low.endswith(("'s", "’s")) else low


# What an entry's answer says the article does not give ("It doesn't say when or where the
# visit will take place", "The article gives no figures"): the kinds of detail it lacks. Names
# are left out: "names none of these countries" still says which kinds of country.
_ABSENT: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (
        re.compile(r"\b(?:doesn't|does not|doesn’t) say\b[^.;]*?\bwhen\b"),
        frozenset({"time", "day", "year"}),
    ),
    (re.compile(r"\b(?:doesn't|does not|doesn’t) say\b[^.;]*?\bwhere\b"), frozenset({"place"})),
    (
        re.compile(r"\bno (?:exact )?(?:date|dates|schedule|timeline|founding date)\b"),
        frozenset({"day", "year"}),
    ),
    (re.compile(r"\bno (?:figures|numbers|count)\b"), frozenset({"number", "percent", "cost"})),
)


@dataclass(frozen=True, slots=True)
class EntryText:
    """An entry's sentences (answer, quotes, cited paragraphs) in the forms the check reads."""

    sentences: tuple[str, ...]  # original case
    lowered: tuple[str, ...]
    tokens: tuple[tuple[str, ...], ...]  # original-case word tokens
    stems: tuple[tuple[str, ...], ...]  # the stem of each token
    kinds: frozenset[str]  # the kinds of detail the entry's own phrasings ask for
    asked_topic: frozenset[str] = frozenset()  # the topic stems of those phrasings
    # The kinds of detail the entry's answer says the article does not give.
    absent: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        sentences: Iterable[str],
        stem: Callable[[str], str],
        phrasings: Iterable[str] = (),
        published: str = "",
        topic: Callable[[str], Iterable[str]] | None = None,
        answer: str = "",
    ) -> EntryText:
        """Pre-read sentences. topic(phrasing): its topic stems (default: its words' stems
        without stopwords and frame words)."""
        read = topic or (lambda p: _topic_stems(p, stem))
        asking = [(p, d) for p, d in ((p, asked_detail(p)) for p in phrasings) if d is not None]
        kinds = frozenset(d.kind for _, d in asking)
        asked_topic = frozenset(s for p, _ in asking for s in read(p))
        kept = tuple(s for s in sentences if s.strip())
        if published:
            # The article's own date dates the article, not what it reports.
            kept = tuple(s.replace(published, "its publication date") for s in kept)
        tokens = tuple(tuple(_TOKEN.findall(s)) for s in kept)
        return cls(
            kept,
            tuple(s.casefold() for s in kept),
            tokens,
            tuple(tuple(stem(_bare(t)) for t in ts) for ts in tokens),
            kinds,
            asked_topic,
            _absent_kinds(answer),
        )

    def asks_alike(self, kind: str, topic: Mapping[str, float]) -> bool:
        """Whether the entry was written for this kind of question on this topic: one of its
        phrasings asks that kind, and its detail phrasings' stems carry at least `_ALIKE` of
        the question's topic weight ("who is the writer" for "whos the author of this", not
        "who is biden" for "which leaders did biden host")."""
        if kind not in self.kinds:
            return False
        total = sum(topic.values())
        shared = sum(w for s, w in topic.items() if s in self.asked_topic)
        return total <= 0 or shared >= _ALIKE * total


def _absent_kinds(answer: str) -> frozenset[str]:
    """The kinds of detail an answer says the article does not give ("It doesn't say when
    the visit will take place"), except of the article itself (its author or outlet, which
    the meta entries answer by saying so)."""
    kinds: set[str] = set()
    for sentence in re.split(r"(?<=[.;])\s+", answer.casefold()):
        if _THE_ARTICLES_OWN.search(sentence):
            continue
        for pattern, absent in _ABSENT:
            if pattern.search(sentence):
                kinds.update(absent)
    return frozenset(kinds)


_THE_ARTICLES_OWN = re.compile(r"\b(?:its author|byline|outlet|link|url|publication)\b")


def _topic_stems(text: str, stem: Callable[[str], str]) -> frozenset[str]:
    words = normalize(text).split()
    return frozenset(stem(w) for w in words if w not in STOPWORDS and w not in FRAME_WORDS)


def answers_kind(kinds: frozenset[str], detail: Detail) -> bool:
    """Whether an entry written for these kinds of question answers this one: "which leader"
    is answered by an entry written for "who" (has_detail applies the same on the topic)."""
    return detail.kind in kinds or (detail.kind == "name" and "person" in kinds)


def has_detail(
    detail: Detail,
    text: EntryText,
    topic: Mapping[str, float],
    near: frozenset[str],
    question_words: frozenset[str],
    stem: Callable[[str], str],
    about: frozenset[str] = frozenset(),
) -> bool:
    """Whether the entry's sentences on the question's topic give that kind of detail.

    topic: the question's content stems and their weights; the sentences sharing the most of
    that weight (at least half the best sentence's share) are the ones read. near: stems of
    the question's own words, which numeric evidence must stand close to. about: stems of
    the thing asked about ("carrier"), which a name must be attached to.
    """
    if not text.sentences:
        return True
    overlap = [sum(w for s, w in topic.items() if s in set(stems)) for stems in text.stems]
    best = max(overlap)
    chosen = [i for i, o in enumerate(overlap) if best > 0 and o >= best * _TOPIC_SHARE] or list(
        range(len(text.sentences))
    )
    if detail.done_to:
        # Every word of the question's own that the entry uses at all, in one sentence.
        said = near.intersection(s for stems in text.stems for s in stems)
        chosen = [i for i in chosen if said <= set(text.stems[i])]
    if detail.kind == "city" and any(a in stems for stems in text.stems for a in about):
        detail = replace(detail, kind="name")  # "coastal towns, including Alden": named
    if detail.kind == "party":
        # "will taiwan get it too": an entry that never names Taiwan does not say.
        return any(a in stems for stems in text.stems for a in about)
    if detail.kind in text.absent and not detail.sort:
        return False  # the entry's own answer says the article does not give it
    # An entry written for one party's reaction does not vouch for another's ("how did the
    # US respond" for "did russia respond").
    other_party = detail.kind == "reaction" and bool(about) and not about & text.asked_topic
    if detail.kind == "time" and detail.act and not any(stem(detail.act) in s for s in text.stems):
        return False  # "when will the subs be delivered" of an entry that never delivers
    if not detail.exact and not other_party and text.asks_alike(detail.kind, topic):
        return True  # the entry was written to answer just that question
    if (
        detail.kind == "name"
        and (not about or about & _CATEGORIES)
        and text.asks_alike("person", topic)
    ):
        return True  # "which allies..." of an entry written for "who else..."
    if detail.act and not any(stem(detail.act) in stems for stems in text.stems):
        return False  # "who founded nato" of an entry that never speaks of founding
    if detail.about in _LEADERS:
        # "which leaders did biden host": "his Australian and British counterparts" says
        # which; one word for a country's leader stands for another.
        about = about | _leader_stems(stem)
    if about and not any(a in stems for stems in text.stems for a in about):
        if detail.kind == "number" or not about & _CATEGORIES:
            return False  # a number or the name of a thing the entry never mentions
        about = frozenset()  # "which country": any name on the topic may be the one
    return any(_found(detail, text, i, near, question_words, about, stem) for i in chosen)


@lru_cache(maxsize=1)
def _leader_stems(stem: Callable[[str], str]) -> frozenset[str]:
    return frozenset(stem(r) for r in _LEADERS)


def _found(
    detail: Detail,
    text: EntryText,
    i: int,
    near: frozenset[str],
    question_words: frozenset[str],
    about: frozenset[str],
    stem: Callable[[str], str],
) -> bool:
    kind = detail.kind
    tokens, stems = text.tokens[i], text.stems[i]
    if kind in ("name", "person", "place", "city"):
        names = [
            k
            for k, t in enumerate(tokens)
            if k
            and t[0].isupper()
            and _bare(t) not in _NOT_NAMES
            and _bare(t) not in question_words
            and not (kind == "person" and t.isupper() and len(t) > 1)
        ]
        if kind in ("place", "city"):
            # "in Hiroshima", "visit Japan", "in the Global South": a locative word just
            # before the name (past "the" and the name's other capitalised words).
            # "In March, Biden": a capitalised word that is no name ends the walk.
            named = set(names)
            for n in names:
                if about and not about.intersection(stems):
                    break  # "where in japan": a place in a sentence about Japan
                if kind == "city" and _bare(tokens[n]) in _COUNTRY_WORDS | {"south", "north"}:
                    continue  # "visit Japan", "South Korea" name no city
                k = n - 1
                while k > 0 and (k in named or _bare(tokens[k]) == "the"):
                    k -= 1
                if _bare(tokens[k]) in _TO_PLACES and not (
                    kind == "city" and any(_bare(t) in _COUNTRY_WORDS for t in tokens[k + 1 : n])
                ):
                    return True
            return False
        if not about:
            return bool(names)
        narrowing = {stem(m) for m in detail.modifiers}
        for k, s in enumerate(stems):
            if s not in about:
                continue
            inside = k + 1 < len(tokens) and tokens[k][0].isupper() and tokens[k + 1][0].isupper()
            if inside and _bare(tokens[k]) not in _ROLES:
                continue  # "North Atlantic Treaty Organization" names no treaty ("Mayor X" does)
            if not narrowing <= set(stems[max(0, k - _NEAR) : k + _NEAR + 1]):
                continue  # "which global south countries": countries, but not those
            if any(_bare(t) in _LIST_MARKERS for t in tokens[k + 1 : k + 1 + _MARKER_WINDOW]):
                return True
            # A name just before the thing ("the USS X carrier") or just after ("President Y").
            before = k - 1
            while before >= 0 and before not in names and tokens[before][0].isupper():
                before -= 1
            if before >= 0 and before in names and k - before <= _MARKER_WINDOW:
                return True
            if k + 1 in names:
                return True
            # "what kind of bombers": "nuclear-capable bombers" says which kind.
            if detail.sort and k and _bare(tokens[k - 1]) not in STOPWORDS | question_words:
                return True
            # "countries that have ...": a description the question does not already give
            # (but no person's name: "officials who ..." does not say who).
            if kind == "name" and k + 1 < len(tokens) and _bare(tokens[k + 1]) in _DESCRIBING:
                said = [_bare(t) for t in tokens[k + 2 : k + 2 + _DESCRIPTION_WORDS]]
                new = [w for w in said if w not in STOPWORDS and w not in question_words]
                whole = set(stems[k + 2 : k + 2 + _DESCRIPTION_EXTENT])
                restated = whole & {stem(w) for w in question_words} - about
                # "the partnership with India" for "the india partnership": the question's own.
                first = next((w for w in said if w not in STOPWORDS), None)
                if first in question_words:
                    continue
                if len(new) >= _NEW_WORDS and len(restated) < _RESTATED:
                    return True
        return False
    if kind == "number" and about:
        return any(
            _NUMBER_RE.fullmatch(_bare(tokens[j]))
            for k, s in enumerate(stems)
            if s in about
            for j in range(max(0, k - _COUNT_WINDOW), k)
        )
    pattern = _PRECISE_FREQUENCY if kind == "frequency" and detail.exact else _EVIDENCE.get(kind)
    if pattern is None:
        return True
    # "during the Trump administration" does not say when Trump did something.
    matches = [
        match
        for match in pattern.finditer(text.lowered[i])
        if kind != "time" or (match["era"] or match["event"] or "") not in question_words
    ]
    # A time must stand near the thing whose timeline is asked ("a timeline for the
    # outreach"), not anywhere in a sentence on the topic.
    timed = kind == "time" and bool(about)
    if (kind not in _NEAR_KINDS and not timed) or not near:
        return bool(matches)
    # The evidence must stand near a word of the question (an age of *what*), or, for a
    # reaction, near the party whose reaction is asked ("how did X respond").
    anchor_stems = about if kind in ("reaction", "time") and about else near
    anchors = [k for k, s in enumerate(stems) if s in anchor_stems]
    for match in matches:
        at = len(_TOKEN.findall(text.lowered[i][: match.start()]))
        if any(abs(at - k) <= _NEAR for k in anchors):
            return True
    return False
