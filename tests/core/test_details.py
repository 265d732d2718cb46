"""What the article does not say: each rule of the missing-detail check, on made-up texts."""

from __future__ import annotations

from bot.core.lexicon import STOPWORDS
from bot.core.matching.analysis import Analyser
from bot.core.matching.details import FRAME_WORDS, EntryText, asked_detail, has_detail
from bot.core.text import normalize

_stem = Analyser({}).stem


def _own(question: str) -> list[str]:
    return [w for w in normalize(question).split() if w not in STOPWORDS and w not in FRAME_WORDS]


def _gives(question: str, sentences: list[str], phrasings: tuple[str, ...] = ()) -> bool:
    """Whether an entry of these sentences (and phrasings) gives what `question` asks."""
    detail = asked_detail(question)
    assert detail is not None, question
    own = _own(question)
    topic = {_stem(w): 1.0 for w in own}
    about = frozenset({_stem(detail.about)}) if detail.about else frozenset()
    text = EntryText.of(sentences, _stem, phrasings)
    near = frozenset(topic)
    return has_detail(detail, text, topic, near, frozenset(own), _stem, about)


_MUSEUM = ["The museum reopened after a long renovation, the board says."]


def test_an_entry_is_trusted_for_its_own_kind_of_question_on_its_own_topic() -> None:
    # The entry was written for "who runs the museum": a like question needs no evidence.
    assert _gives("who is in charge of the museum", _MUSEUM, ("who runs the museum",))


def test_an_entry_is_not_trusted_for_its_kind_of_question_on_another_topic() -> None:
    # The same entry does not know who paid for the renovation: no name in its sentences.
    question = "who paid for the renovation work and the new roof"
    assert not _gives(question, _MUSEUM, ("who runs the museum",))
    assert not _gives(question, _MUSEUM)


_TOWNS = ["Several coastal towns, including Alden and Brill, were flooded last week."]


def test_which_with_a_modifier_needs_evidence_that_carries_the_modifier() -> None:
    assert _gives("which coastal towns were flooded", _TOWNS)
    # Towns are named, but not mountain towns.
    assert not _gives("which mountain towns got flooded", _TOWNS)
    # "which towns in X": the place narrows the towns down like a modifier.
    assert not _gives("which towns in the mountains were flooded", _TOWNS)
    kent = ["Several towns, including Alden in Kent, were flooded last week."]
    assert _gives("which towns in kent were flooded", kent)


_FARMS = [
    "Beyond the farms that were flooded in spring or lost their crops to the drought, "
    "the picture is unclear."
]


def test_a_description_that_restates_the_question_does_not_answer_which() -> None:
    assert _gives("which farms were hit hardest", _FARMS)
    assert not _gives("which farms have lost their crops in the drought", _FARMS)


_HARBOUR = ["In May, Mayor Ortiz welcomed her Danish and Swedish counterparts at the harbour."]


def test_who_holds_a_role_needs_a_name_attached_to_that_role() -> None:
    assert _gives("who is the mayor", _HARBOUR)
    # Names stand in the sentence, but none is a counterpart's.
    assert not _gives("who were the danish and swedish counterparts she welcomed", _HARBOUR)


def test_where_in_a_place_asks_for_a_place_inside_it() -> None:
    crossing = ["The ferry docked in Hull after a long crossing from the north."]
    assert _gives("where did the ferry dock", crossing)
    assert not _gives("where in norway did the ferry sail from", crossing)
    assert _gives("where in norway did the ferry stop", ["The ferry stopped in Bergen, Norway."])


def test_whos_asks_for_a_role_holder_though_normalising_drops_the_s() -> None:
    detail = asked_detail("who's the swedish and danish counterparts she met")
    assert detail is not None and detail.about == "counterparts"
    assert not _gives("who's the swedish and danish counterparts she met", _HARBOUR)
    # "who's behind X" asks who, not who did "behind".
    detail = asked_detail("who's behind the harbour plan")
    assert detail is not None and detail.kind == "person" and detail.act is None


def test_who_did_something_to_a_role_asks_for_the_doer_not_the_role() -> None:
    detail = asked_detail("who welcomed the danish counterparts")
    assert detail is not None and detail.kind == "person" and detail.about is None
    assert _gives("who welcomed the danish counterparts", _HARBOUR)


def test_a_month_after_in_is_not_a_place() -> None:
    assert not _gives("where was the bridge opened", ["In March, Hansen opened the new bridge."])


_PORT = ["During the Lindqvist administration the port doubled its traffic."]


def test_a_time_that_only_names_the_questions_own_subject_is_no_answer() -> None:
    assert _gives("when did the port double its traffic", _PORT)
    assert not _gives("when did lindqvist double the port traffic", _PORT)


_PLAN = ["The council welcomed the plan, and residents protested outside the hall."]


def test_a_reaction_must_be_the_named_partys() -> None:
    assert _gives("how did the council respond to the plan", _PLAN)
    assert not _gives("how did the unions respond to the plan", _PLAN)
    assert not _gives("did the unions welcome the plan", _PLAN)
    # What one party said, asked yes or no; a text or "they" speaking is the article's own.
    assert not _gives("did the unions themselves ever say the hall should close", _PLAN)
    assert asked_detail("does the plan say anything about the hall") is not None
    assert asked_detail("did they say the hall gets a say in the plan") is None
    assert asked_detail("does the council get a say in the plan") is None


def test_an_entry_written_for_one_partys_reaction_does_not_vouch_for_anothers() -> None:
    phrasings = ("how did the council respond to the plan",)
    assert _gives("how did the council react to the plan", _PLAN, phrasings)
    assert not _gives("did the unions respond to the plan", _PLAN, phrasings)


_PANEL = ["The panel will meet more often than the old committee did."]


def test_how_often_exactly_needs_a_precise_frequency() -> None:
    assert _gives("how often will the panel meet", _PANEL)
    assert not _gives("how often exactly will the panel meet", _PANEL)
    # A guess at the value asks for the precise one too, even of an entry written for "how often".
    assert not _gives(
        "how often does the panel meet, every week?", _PANEL, ("how often will it meet",)
    )
    # "every" before anything but a unit of time gives no frequency.
    effort = ["The panel will make every effort to meet more often."]
    assert not _gives("how often exactly will the panel meet", effort)
    assert _gives("how often exactly will the panel meet", ["The panel meets every two weeks."])


_DEALS = ["The city signed a water deal with Lyon and opened a harbour with Genoa."]


def test_a_description_that_starts_with_the_questions_own_name_does_not_answer_which() -> None:
    assert _gives("which deal did the city sign", _DEALS)
    assert not _gives("whats the lyon water deal called", _DEALS)


def test_what_specifically_asks_for_the_items_themselves() -> None:
    detail = asked_detail("what were the new club rules in june specifically")
    assert detail is not None and detail.kind == "name" and detail.about == "rules"
    sentences = ["The club announced several new rules for members in June."]
    assert not _gives("what were the new club rules in june specifically", sentences)


def test_who_will_win_asks_for_an_outcome_the_text_must_report() -> None:
    sentences = ["The final will be played in Rome next spring between two clubs."]
    assert not _gives("who is gonna win the final", sentences)
    assert not _gives("whos going to win the final", sentences)
    assert _gives("who won the final", ["The final was played in Rome, and Lazio later won it."])


_BRIDGE = ["The council approved the bridge, and work will start next spring."]


def test_whether_a_plan_came_about_asks_what_happened_later() -> None:
    for question in (
        "did the bridge actually open",
        "did the town end up building the bridge",
        "has the town ended up with a bridge",
        "when is the next council vote after this one",
        "who does the council think will be the next mayor",
    ):
        detail = asked_detail(question)
        assert detail is not None and detail.kind == "later", question
        assert not _gives(question, _BRIDGE), question
    later = ["The council approved the bridge, which later opened to traffic."]
    assert _gives("did the bridge actually open", later)
    # "could the town end up with a bridge" asks what may happen, not what did.
    assert asked_detail("could the town end up with a bridge") is None
    # Without "after this one", the next vote's time is asked, not a later event.
    detail = asked_detail("when is the next council vote")
    assert detail is not None and detail.kind == "time"


def test_the_authors_expectation_of_a_reaction_is_the_authors_view_not_a_reaction() -> None:
    assert asked_detail("does the writer expect the unions to react to the plan") is None
    detail = asked_detail("how did the unions react to the plan")
    assert detail is not None and detail.kind == "reaction"


def test_who_did_an_act_needs_an_entry_that_speaks_of_that_act() -> None:
    assert _gives("who welcomed the danish counterparts", _HARBOUR)
    # A name stands there, but nothing about an invitation.
    assert not _gives("who invited the danish counterparts", _HARBOUR)


_LIBRARY = [
    "The town opened three new branch libraries last spring, after a long campaign.",
    "Its mayor, Ines Vidal, cut the ribbon at the largest of them.",
]


def test_a_bare_noun_phrase_names_the_detail_it_asks_for() -> None:
    # No question word: the opening noun (or "exact" before it) says what is wanted.
    year = asked_detail("exact year the town opened the libraries?")
    assert year is not None and year.kind == "year"
    day = asked_detail("date of the ribbon cutting?")
    assert day is not None and day.kind == "day"
    names = asked_detail("names of the 3 branch libraries")
    assert names is not None and names.kind == "name" and names.about == "libraries"
    assert not _gives("exact year the town opened the libraries?", _LIBRARY)
    assert not _gives("names of the 3 branch libraries", _LIBRARY)
    assert _gives(
        "names of the 3 branch libraries",
        ["Its branch libraries, including Oak and Elm, opened in May."],
    )


def test_names_of_a_role_ask_for_its_holders() -> None:
    detail = asked_detail("names of the spanish and french ministers at the opening")
    assert detail is not None and detail.kind == "person" and detail.about == "ministers"


def test_a_noun_phrase_that_names_nothing_else_or_the_article_itself_asks_no_detail() -> None:
    # Two things asked, neither named; and the piece's own name, which meta entries give.
    assert asked_detail("date + author pls") is None
    assert asked_detail("name of the blog this is from") is None
    assert asked_detail("whats the name of the website") is None
    # A noun inside a sentence is no detail question.
    assert asked_detail("the date of the vote matters why") is None


_CLINIC = [
    "The clinic will expand its services to the northern villages over time.",
    "Last year the clinic hired two nurses, the report says.",
]


def test_concretely_asks_for_the_particular_items_a_list_gives() -> None:
    detail = asked_detail("what is the clinic doing for the villages, concretely")
    assert detail is not None and detail.kind == "specifics"
    assert detail.phrase() == "the specifics"
    assert not _gives("what is the clinic doing for the villages, concretely", _CLINIC)
    listed = ["The clinic will add services, including a pharmacy and night shifts, in the north."]
    assert _gives("clinic services in the north, specifics?", listed)


def test_is_there_a_timeline_needs_a_time_next_to_the_thing_scheduled() -> None:
    detail = asked_detail("is there a timeline for the expansion to the villages")
    assert detail is not None and detail.kind == "time" and detail.about == "expansion"
    # "Last year" dates the hiring, not the expansion.
    assert not _gives("is there a timeline for the expansion to the villages", _CLINIC)
    dated = ["The clinic's expansion to the villages starts next month."]
    assert _gives("is there a timeline for the expansion to the villages", dated)
    # A timeline of events asks for them in order, not whether one is set.
    assert asked_detail("whats the timeline of the clinic stuff") is None


def test_a_when_after_another_question_word_joins_clauses() -> None:
    # "why ... when ..." asks why; "when" only joins the two clauses.
    assert asked_detail("why would the town want a bridge when the ferry already runs") is None
    assert asked_detail("who did the mayor meet when she went to oslo") == asked_detail(
        "who did the mayor meet"
    )
    # "... and when" and a "when" that opens the question still ask when.
    assert asked_detail("what did the council agree and when") == asked_detail("when")
    assert asked_detail("so when was the bridge opened, and why") is not None


_FLEET = ["The navy will send heavy frigates and a tanker to the strait next year."]


def test_what_and_a_noun_asks_which_one() -> None:
    detail = asked_detail("what port is the tanker sailing from")
    assert detail is not None and detail.kind == "name" and detail.about == "port"
    assert not _gives("what port is the tanker sailing from", _FLEET)
    assert _gives("what port is the tanker sailing from", ["The tanker sails from Oslo port."])
    # A vague noun asks for a description ("what risk is ..."), and a bare "what level" names
    # nothing to look for.
    assert asked_detail("what risk is the navy trying to get ahead of") is None
    assert asked_detail("what level") is None
    # A noun before a verb in the past asks which one did it; "what type are they" names
    # nothing this question could look for.
    detail = asked_detail("what tanker sailed from the strait")
    assert detail is not None and detail.kind == "name" and detail.about == "tanker"
    assert not _gives("what tanker sailed from the strait", _FLEET)
    for question in ("what was decided", "what type are they"):
        assert asked_detail(question) is None, question


def test_what_kind_is_answered_by_a_description_unless_names_are_offered() -> None:
    assert _gives("what kind of frigates are they sending", _FLEET)
    # Offering two models asks for the model's name, which the text does not give.
    assert not _gives("what type of frigate, f-100 or f-110?", _FLEET)


def test_what_and_an_abstract_noun_asks_for_a_view_not_a_name() -> None:
    for question in ("what tone does the report strike", "what message does the mayor send"):
        assert asked_detail(question) is None, question


def test_an_answer_that_says_the_article_lacks_a_kind_of_detail_does_not_give_it() -> None:
    sentences = ["In May the port agreed to a forthcoming visit by the Danish fleet."]
    question = "when is the danish fleet visiting"
    # "In May" stands in the sentence, but the answer says the visit is not dated.
    assert _gives(question, sentences)
    answer = "The port expects the Danish fleet. It doesn't say when the visit will be."
    detail = asked_detail(question)
    assert detail is not None
    stems = {_stem(w): 1.0 for w in _own(question)}
    text = EntryText.of(sentences, _stem, answer=answer)
    assert text.absent >= {"time", "day", "year"}
    assert not has_detail(detail, text, stems, frozenset(stems), frozenset(_own(question)), _stem)
    # What the article's own header lacks is the meta entries' answer, not a missing detail.
    assert not EntryText.of(sentences, _stem, answer="It gives no byline and no date.").absent


def test_a_noun_inside_a_longer_name_names_nothing_of_its_own() -> None:
    # "the North Sea Board Office" is an office; it does not name the board.
    assert not _gives("what is the name of the board", ["The North Sea Board Office opened."])
    assert _gives("what is the name of the board", ["The North Sea Board met in May."])


def test_too_asks_whether_it_goes_for_a_party_the_entry_must_name() -> None:
    alden = ["The council approved a bridge for Alden."]
    assert not _gives("will brill get a bridge too", alden)
    assert _gives(
        "will brill get a bridge too", ["The council approved bridges for Alden and Brill."]
    )
    # "it", "the ...": no party is named.
    assert asked_detail("is it a good idea too") is None


def test_which_city_needs_a_place_that_is_no_country() -> None:
    visit = ["Next month the mayor will visit Norway for a meeting of the port cities."]
    for question in ("which city is the meeting in", "what city is hosting the meeting"):
        detail = asked_detail(question)
        assert detail is not None and detail.kind == "city", question
        assert not _gives(question, visit), question
        assert _gives(question, ["Next month the mayor will meet them in Bergen."]), question
    # A country named as a place is still no city.
    assert not _gives("which city is the meeting in", ["The meeting is in South Korea."])


def test_which_exactly_is_not_vouched_for_by_an_entry_written_for_a_name() -> None:
    panel = ["The panel will meet at senior levels."]
    phrasings = ("what is the panel called",)
    assert _gives("which panel is it", panel, phrasings)
    assert not _gives("which panel is it exactly", panel, phrasings)
    # A filler after "what" is no noun asked about: "what even is the panel" asks no name.
    assert asked_detail("what even is the panel") is None


def test_when_is_the_next_event_needs_a_time_beside_that_event() -> None:
    council = ["The port council meets next month in Bergen, after the mayor's visit."]
    assert _gives("when is the next port council meeting", council)
    # The entry has a time, but of no summit.
    detail = asked_detail("when's the next harbour summit")
    assert detail is not None and detail.kind == "time" and detail.about == "summit"
    assert not _gives("when's the next harbour summit", council)


def test_when_something_was_done_needs_an_entry_that_speaks_of_that_act() -> None:
    bridge = ["The bridge, a project of the 1990s, was widened in 2010."]
    assert _gives("when was the bridge widened", bridge)
    assert not _gives("when was the bridge designed", bridge)
    # Even an entry written for "when" questions on the bridge does not date another act.
    assert not _gives("when will the bridge be painted", bridge, ("when was the bridge widened",))
    # The article's own date is asked of the article, which meta entries answer.
    detail = asked_detail("when was the article published")
    assert detail is not None and detail.act is None


def test_who_did_someone_meet_needs_a_name_where_all_of_it_is_said() -> None:
    apart = ["In May the mayor sailed to Oslo.", "Governor Lund visited the harbour in June."]
    detail = asked_detail("who did the mayor visit in oslo")
    assert detail is not None and detail.kind == "person" and detail.done_to
    assert not _gives("who did the mayor visit in oslo", apart)
    assert _gives("who did the mayor visit in oslo", ["In May the mayor visited Lund in Oslo."])


def test_one_word_for_a_countrys_leader_stands_for_another() -> None:
    assert _gives("which leaders did ortiz welcome", _HARBOUR)
    assert not _gives("who were the danish and swedish leaders she welcomed", _HARBOUR)
    # Other roles do not: experts are not counterparts.
    assert not _gives("which experts did ortiz welcome, names?", _HARBOUR)


def test_a_fragment_asking_for_specific_items_needs_a_list() -> None:
    plan = ["The council will reach out to residents about the bridge."]
    assert not _gives("specific programs?", plan)
    listed = ["The council will reach out to residents, including town meetings and a website."]
    assert _gives("specific programs?", listed)
    assert asked_detail("specific reasons?") is None
