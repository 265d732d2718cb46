"""Word lists the matcher needs: stopwords, question openers, small talk."""

from __future__ import annotations

__all__ = ["INTERROGATIVES", "SMALL_TALK", "STOPWORDS"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that open a question (the chat rule), with the contracted and casual forms people type.
INTERROGATIVES = _words(
    """
    what whats wat wut wha why y how hows who whos whom whose when whens where wheres which
    is isnt are arent do dont does doesnt did didnt can cant could couldnt will wont would
    wouldnt should shouldnt shall has have had was were am may might must
    """
)

# Small talk that never asks anything, even with a question mark ("hi?", "thanks?").
SMALL_TALK = _words(
    """
    hi hello hey heya hiya yo sup gm gn morning evening night thanks thank thx ty tysm
    cheers ok okay k kk lol lmao rofl haha hahaha nice cool great wow yes yeah yep no nope
    nah bye cya welcome you all everyone guys folks there u ur bot please pls plz anyone
    """
)

# Function words and the verbs of asking: they carry no topic, so they never count as evidence.
STOPWORDS = _words(
    """
    a an the and or but if then than so as of at by for with about against between into
    through during before after above below to from up down in out on off over under again
    further once here there all any both each few more most some such nor not only own
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
