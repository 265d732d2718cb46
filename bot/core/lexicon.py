"""Word lists the matcher needs: stopwords, question openers, small talk."""

from __future__ import annotations

__all__ = [
    "CHATTER",
    "GENERAL_SYNONYMS",
    "INTERROGATIVES",
    "LEAD_INS",
    "REACTIONS",
    "REQUESTS",
    "SMALL_TALK",
    "STOPWORDS",
    "WH_WORDS",
    "word_set",
]


def word_set(text: str) -> frozenset[str]:
    """The words of a whitespace-separated list, as a set."""
    return frozenset(text.split())


# Words that open a question (the chat rule), with the contracted and casual forms people type.
INTERROGATIVES = word_set(
    """
    what whats wat wut wha why y how hows who whos whom whose when whens where wheres which
    is isnt are arent do dont does doesnt did didnt can cant could couldnt will wont would
    wouldnt should shouldnt shall has have had was were am may might must r
    """
)

# The question words proper, which also ask from the end of a clause ("...was when").
WH_WORDS = word_set(
    "what whats wat wut wha why y how hows who whos whom whose when whens where wheres which"
)

# Imperatives that ask for an answer ("explain the ncg pls").
REQUESTS = word_set(
    "explain tell describe define summarize summarise clarify eli5 tldr wym wdym list compare"
)

# Words that may stand before a question without being part of it ("ok so what is...").
LEAD_INS = word_set(
    """
    so and but also then anyway anyways ok okay oh ah um umm uh hmm well lol lmao haha tbh ngl
    btw fyi hey hi hello yo guys yall all everyone quick one question q qs two also plus
    like wait actually honestly seriously sorry pls plz please real bot ok kk alright right
    ayo bro bruh dude omg
    """
)

# Small talk that never asks anything, even with a question mark ("hi?", "thanks?").
SMALL_TALK = word_set(
    """
    hi hello hey heya hiya yo sup gm gn morning evening night thanks thank thx ty tysm
    cheers ok okay k kk lol lmao rofl haha hahaha nice cool great wow yes yeah yep no nope
    nah bye cya welcome you all everyone guys folks there u ur bot please pls plz anyone
    """
)

# Function words and the verbs of asking: they carry no topic, so they never count as evidence.
STOPWORDS = word_set(
    """
    a an the and or but if then than so as of at by for with about against between into
    through during before after above below to from up down in out on off over under again
    further once here there all any both each few more most some such nor not only
    too very s t just now also even ever still yet really actually basically exactly i
    me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves this that these
    those what whats wat wut wha which who whom whose whos why y how hows when where wheres
    whens is isnt are arent was wasnt were werent be been being am have has had having do
    does did doing done dont doesnt didnt can cant could couldnt will wont would wouldnt
    should shouldnt shall may might must need needs ought get gets got getting go goes going
    went make makes made making happen happens happened think thinks thought mean means
    meant say says said saying tell tells told know knows explain explains described
    describe describes talk talks talking please pls plz thing things stuff something
    anything lot lots like kind sort bit gonna wanna gotta im ive id ill youre theyre theres
    thats u ur r hey hi hello thanks thank ok okay yeah yes no
    """
)

# Chat fillers and hedges: how members talk around a question, never what it is about.
CHATTER = word_set(
    """
    lol lmao lmfao rofl haha hahaha hehe xd tbh ngl fr frfr idk imo imho btw fyi anyway
    anyways um umm uh hmm hm literally basically kinda sorta pretty guys yall someone somebody
    anybody wondering wonder curious confused bruh bro dude omg wtf tho though honestly
    seriously rn atm tmrw tmr yday dunno lemme gimme wanna gonna gotta smth sth rly really
    quick quickly ok okay pls plz please hey hi hello yo q qs per according sorry dumb
    nah nope yep yup yea
    """
)
STOPWORDS = STOPWORDS | CHATTER

# Words of opinion, praise and reaction: a message with one says what someone thinks
# ("philippine bases deal underrated", "W take"), it does not ask.
REACTIONS = word_set(
    """
    good bad great nice cool wild crazy insane scary funny cute mid based interesting boring
    weird huge big significant underrated overrated smart dumb stupid love loved hate hated
    lit fire dope sick fine true false agree agreed disagree same facts real fake best worst
    better worse lowkey highkey cringe w l vibe vibes wholesome sad happy mad fun amazing
    awesome terrible awful brilliant solid trash goat rip yikes oof smh wow damn dang yay
    sure maybe probably definitely def totally finally again ugh meh welp bet lmk read
    """
)

# Spellings and slang of general chat, and general words for the same idea (how people name
# an article, its author and the author's view), applied to questions and knowledge alike.
# A knowledge base's own `synonyms:` take precedence.
GENERAL_SYNONYMS: dict[str, str] = {
    # common slips of the keyboard on short words (too short to correct by similarity)
    "teh": "the",
    "hte": "the",
    "adn": "and",
    "taht": "that",
    "waht": "what",
    "whta": "what",
    "hwo": "how",
    # short forms
    "abt": "about",
    "bout": "about",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "cos": "because",
    "b4": "before",
    "w": "with",
    "w o": "without",
    "thru": "through",
    "u": "you",
    "ya": "you",
    "r": "are",
    "ur": "your",
    "da": "the",
    "dat": "that",
    "dis": "this",
    "wdym": "what do you mean",
    "wym": "what do you mean",
    "stand for": "mean",
    "acc": "according",
    "stands for": "mean",
    "diff": "different",
    "vs": "versus",
    "ppl": "people",
    "yrs": "years",
    "yr": "year",
    "mos": "months",
    "gov": "government",
    "govt": "government",
    "mil": "military",
    "econ": "economic",
    "nukes": "nuclear weapons",
    "nuke": "nuclear weapon",
    # the author's view, however it is asked
    "pro": "stance",
    "anti": "stance",
    "favor": "stance",
    "favour": "stance",
    "favorable": "stance",
    "support": "stance",
    "supports": "stance",
    "supportive": "stance",
    "approve": "stance",
    "approves": "stance",
    "endorse": "stance",
    "endorses": "stance",
    "oppose": "stance",
    "opposes": "stance",
    "opposed": "stance",
    "position": "stance",
    "view": "stance",
    "views": "stance",
    "viewpoint": "stance",
    "verdict": "stance",
    "agree": "stance",
    "disagree": "stance",
    # what is still to do, or going away, said in small words only ("what still needs doing",
    # "will the worries go away"): read as the plain word, since stopwords would drop them
    "needs to be done": "left",
    "need to be done": "left",
    "needs doing": "left",
    "need doing": "left",
    "still to do": "left",
    "yet to do": "left",
    "go away": "disappear",
    "goes away": "disappear",
    "going away": "disappear",
    "gone away": "disappear",
    "went away": "disappear",
    "vanish": "disappear",
    "vanishes": "disappear",
    "vanished": "disappear",
    # plain-English words for what the article or FAQ says in other words
    "first step": "start",
    "first steps": "start",
    "vibe": "tone",
    "vibes": "tone",
    "hopeful": "optimistic",
    "hyped": "optimistic",
    "bullish": "optimistic",
    "confident": "optimistic",
    "skeptical": "pessimistic",
    "sceptical": "pessimistic",
    "cynical": "pessimistic",
    "bearish": "pessimistic",
    "danger": "risk",
    "dangers": "risks",
    "persuade": "convince",
    "persuading": "convincing",
    "persuaded": "convinced",
    "sum up": "summary",
    "sums up": "summary",
    "rundown": "summary",
    "recap": "summary",
    "synopsis": "summary",
    "gist": "summary",
    "nutshell": "summary",
    "thesis": "main argument",
    "wrap up": "end",
    "wraps up": "ends",
    # everyday idioms for dodging a problem or taking it on, and for a question still open
    "dodge": "ignore",
    "dodges": "ignore",
    "dodging": "ignore",
    "dodged": "ignore",
    "sidestep": "ignore",
    "sidestepping": "ignore",
    "ducking": "ignore",
    "avoid": "ignore",
    "avoiding": "ignore",
    "sweep under the rug": "ignore",
    "sort out": "address",
    "sorting out": "addressing",
    "sort it out": "address it",
    "sorting it out": "addressing it",
    "sort things out": "address things",
    "sorting things out": "addressing things",
    "tackle": "address",
    "tackling": "addressing",
    "unresolved": "unanswered",
    "unsettled": "unanswered",
    # being drawn to a side ("which countries are open to the us"), and "this time" (now)
    "drawn to": "moving toward",
    "open to": "moving toward",
    "warming to": "moving toward",
    "warming up to": "moving toward",
    "leaning toward": "moving toward",
    "leaning towards": "moving toward",
    "lean to": "moving toward",
    "gravitating toward": "moving toward",
    "gravitating towards": "moving toward",
    "cozying up to": "moving toward",
    "cozy up to": "moving toward",
    "cozies up to": "moving toward",
    "cozied up to": "moving toward",
    "flocking to": "moving toward",
    "siding with": "moving toward",
    "sides with": "moving toward",
    "this time": "now",
    "this time around": "now",
    "planes": "aircraft",
    "plane": "aircraft",
    "jets": "aircraft",
    "warplanes": "aircraft",
    "next in line": "next on the list",
    "up next": "next on the list",
    "why now": "why the timing",
    "why right now": "why the timing",
    "why this week": "why the timing",
    "going great": "going well",
    "doing great": "doing well",
    "thumbs up": "stance",
    "thumbs down": "stance",
    "cool with": "stance",
    "cool w": "stance",
    "ok with": "stance",
    "ok w": "stance",
    "fine with": "stance",
    "on board with": "stance",
    # what one side gives for what it gets ("what's the catch for korea"), a grievance ("his
    # beef with china"), asking for plain words, and two chat spellings
    "the catch": "in return",
    "quid pro quo": "in exchange",
    "tradeoff": "exchange",
    "trade off": "exchange",
    "beef with": "blame",
    "beef w": "blame",
    "gripe with": "blame",
    "gripes with": "blame",
    "in plain english": "explain",
    "in simple terms": "explain",
    "in simple words": "explain",
    "like im 5": "explain",
    "like im five": "explain",
    "like i m 5": "explain",
    "like i m five": "explain",
    "tryna": "trying to",
    "n": "and",
    # who wrote it
    "writer": "author",
    "columnist": "author",
    "journalist": "author",
    "analyst": "author",
}
