"""The matcher: answers with sources, declines off-topic, stays quiet in chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.evaluation import load_eval_set, run_eval
from bot.core.lexicon import GENERAL_SYNONYMS, STOPWORDS
from bot.core.matcher import Matcher, MatchSettings, is_question
from bot.core.matching.analysis import Analyser
from bot.core.matching.details import asked_detail
from bot.core.matching.policy import _SENTENCES, _sentences_of, names_a_topic, questions_in
from bot.core.models import Entry, KnowledgeBase, Reply, Source
from bot.core.text import normalize

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def matcher(shipped_kb: KnowledgeBase) -> Matcher:
    return Matcher(shipped_kb)


def test_dev_set_scores_stay_at_or_above_the_bar(matcher: Matcher) -> None:
    report = run_eval(matcher, load_eval_set(DATA / "dev.yaml"))
    misses = "\n".join(f"{m.case.section}: {m.case.question}" for m in report.misses)
    assert (report.rate("on_topic") or 0) >= 0.95, misses
    assert (report.rate("off_topic") or 0) >= 0.95, misses
    assert report.rate("chat_noise") == 1.0, misses
    assert report.rate("meta") == 1.0, misses


def test_answer_carries_verbatim_sources(matcher: Matcher, shipped_kb: KnowledgeBase) -> None:
    reply = matcher.reply("What is the nuclear consultative group?")
    assert reply.answered and reply.kind == "faq"
    assert reply.entry_id in shipped_kb.by_id
    assert reply.sources and reply.sources[0].paragraph == 2
    paragraph = shipped_kb.article.paragraphs[1].text
    assert reply.sources[0].quote.replace("’", "'") in paragraph.replace("’", "'")
    assert 0 <= reply.score <= 100


def test_every_shipped_question_answers_itself(matcher: Matcher, shipped_kb: KnowledgeBase) -> None:
    wrong = [e.id for e in shipped_kb.entries if matcher.reply(e.question).entry_id != e.id]
    assert wrong == []


def test_typos_and_abbreviations_still_match(matcher: Matcher) -> None:
    reply = matcher.reply("wat is teh nucelar consultive grp")
    assert reply.answered
    assert {s.paragraph for s in reply.sources} == {2}


def test_off_topic_is_declined(matcher: Matcher) -> None:
    for question in ("How do I bake sourdough bread?", "who won the world cup in 1998"):
        assert not matcher.reply(question).answered, question


def test_article_fallback_quotes_a_sentence(shipped_kb: KnowledgeBase) -> None:
    # With no FAQ entries at all, the article itself still answers.
    bare = Matcher(KnowledgeBase(shipped_kb.article, (), shipped_kb.synonyms))
    reply = bare.reply("Did the Philippines permit US access to four additional military bases?")
    assert reply.answered and reply.kind == "article"
    assert reply.sources[0].paragraph == 4
    assert reply.sources[0].quote in shipped_kb.article.paragraphs[3].text
    assert reply.entry_id is None


def test_chat_mode_only_answers_questions(matcher: Matcher) -> None:
    assert matcher.reply("what is the nuclear consultative group", chat=True).answered
    for noise in ("the nuclear consultative group is a big deal", "thanks!", "hello?", "lol"):
        assert not matcher.reply(noise, chat=True).answered, noise
    # Mentioning the bot counts as asking.
    assert matcher.reply("nuclear consultative group", chat=True, addressed=True).answered


def test_chat_threshold_is_stricter(shipped_kb: KnowledgeBase) -> None:
    strict = Matcher(shipped_kb, MatchSettings(chat_threshold=101))
    question = "what is the nuclear consultative group?"
    assert strict.reply(question).answered
    assert not strict.reply(question, chat=True).answered


@pytest.mark.parametrize(
    "text",
    ["what?", "is it?", "Why though", "how come"],
)
def test_question_shapes(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    ["gn everyone", "thank you", "I agree.", "hi?", "", "   "],
)
def test_not_questions(text: str) -> None:
    assert not is_question(text)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(max_codepoint=127), max_size=80),
        st.text(alphabet="ab c?!.;:-)(\n\t12", max_size=40),
        st.sampled_from(["why?", "why?!  ", "???", "", "what is 1) x 2) y", "a - b", "x: y"]),
    )
)
def test_one_sentence_found_without_the_regex_is_what_the_regex_finds(text: str) -> None:
    assert _sentences_of(text) == _SENTENCES.split(text)


@pytest.mark.parametrize(
    "text",
    [
        "the ncg how often does it meet",
        "philippine bases when announced",
        "extended deterrence explain pls",
        "nato in the 60s what was that about",
        "the bases deal when was it signed",
        "second strike wym",
    ],
)
def test_a_topic_then_its_question_is_a_question(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "i know what it means",
        "biden did what he had to",
        "the guy who wrote this is smart",
        "the day when it happened",
        "the part where he talks about nato was good",
        "the day when he was there",
    ],
)
def test_statements_with_a_question_word_inside_are_not_questions(text: str) -> None:
    assert not is_question(text)


def test_a_bare_topic_in_chat_is_answered_when_sure(matcher: Matcher) -> None:
    # Typed like a search in a Q&A channel: no question form, but it asks about the topic.
    reply = matcher.reply("china economic pressure campaigns", chat=True)
    assert reply.answered and reply.entry_id == "mixed-results"
    assert matcher.reply("japan assurances after hiroshima", chat=True).answered
    assert matcher.reply("china economic pressure campaigns pls", chat=True).answered
    # Words the knowledge base has never seen: not a topic of the article, so silence.
    reply = matcher.reply("seoul summer trip photos", chat=True)
    assert not reply.answered and reply.reason == "not_a_question"


def test_a_bare_topic_needs_the_stricter_topic_threshold(shipped_kb: KnowledgeBase) -> None:
    strict = Matcher(shipped_kb, MatchSettings(topic_threshold=101))
    assert strict.reply("china economic pressure campaigns").answered
    assert not strict.reply("china economic pressure campaigns", chat=True).answered


@pytest.mark.parametrize(
    "text",
    [
        "the submarine deal went well",  # a verb
        "biden hosting leaders",  # a participle
        "korea getting its own nukes",  # a person or pointer
        "the philippine bases deal.",  # a full stop
        "philippine bases deal!",
        "aukus subs so cool",  # an opinion
        "my notes on the ncg",
        "nuclear consultative group 🙌",  # an emoji
        "the ncg thing lmao",  # laughter
        "ncg",  # one word: "based", "facts" are reactions
    ],
)
def test_statements_naming_a_topic_stay_silent_in_chat(matcher: Matcher, text: str) -> None:
    assert not names_a_topic(text)
    assert not matcher.reply(text, chat=True).answered


def test_ambiguous_questions_get_suggestions_not_answers(matcher: Matcher) -> None:
    reply = matcher.reply("korea")
    assert not reply.answered
    assert 1 <= len(reply.suggestions) <= 3


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "x" * 50_000,
        "what is the ncg? " * 3_000,
        "\x00\x01\x02\ufffd\udcff" * 100,
        "🚀🔥😂" * 50,
        "<@123456789012345678> <@&1> <#2>",
        "한국 nuclear консультативная グループ ?",
    ],
)
def test_bad_input_never_raises(matcher: Matcher, text: str) -> None:
    reply = matcher.reply(text)
    assert reply.question == text
    assert isinstance(reply.answered, bool)
    if not text.strip() or text.startswith(("<@", "🚀", "x")):
        assert not reply.answered


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=400))
def test_random_unicode_gets_a_reply(matcher: Matcher, text: str) -> None:
    for chat in (False, True):
        reply = matcher.reply(text, chat=chat)
        assert 0 <= reply.score <= 100
        assert len(reply.suggestions) <= 3
        assert reply.answered == (reply.reason is None)
        assert reply.answer is not None or not reply.answered


def test_same_content_words_as_a_phrasing_answer_confidently(shipped_kb: KnowledgeBase) -> None:
    title = Entry(
        id="title",
        question="What is the title of the article?",
        alternates=("what's the headline",),
        answer=f"The article is titled “{shipped_kb.article.title}”.",
        sources=(Source(paragraph=1, quote="to renew the allies’ vows and updating the alliance"),),
    )
    matcher = Matcher(KnowledgeBase(shipped_kb.article, (title,), shipped_kb.synonyms))
    reply = matcher.reply("headline??")
    assert reply.answered and reply.entry_id == "title"
    assert reply.score >= 90
    # Another word beside them, unknown to the knowledge base, and it is no longer the same.
    assert matcher.reply("headline font??").score < 90


def test_every_decline_says_why(matcher: Matcher, shipped_kb: KnowledgeBase) -> None:
    assert matcher.reply("what is the nuclear consultative group?").reason is None
    assert matcher.reply("How do I bake sourdough bread?").reason == "unsure"
    assert matcher.reply("the ncg is a big deal", chat=True).reason == "not_a_question"
    # Two entries asked the same way, citing different paragraphs: neither is clearly meant.
    twins = tuple(
        Entry(
            id=f"twin-{n}",
            question="What is the nuclear consultative group?",
            answer="According to the article, it is a new group.",
            sources=(Source(paragraph=n, quote=shipped_kb.article.paragraphs[n - 1].text[:40]),),
        )
        for n in (6, 7)  # neither paragraph names the group, so both ground it alike
    )
    pair = Matcher(KnowledgeBase(shipped_kb.article, twins, shipped_kb.synonyms))
    reply = pair.reply("consultative group??")
    assert not reply.answered and reply.reason == "ambiguous", reply


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("lol i just woke up. anyway how long has the alliance lasted", ["how long"]),
        ("the submarine thing was when", ["the submarine thing was when"]),
        ("more bases too or is it all talk", ["more bases too or is it all talk"]),
        ("the declaration, when was that", ["the declaration, when was that"]),
        ("explain the ncg pls", ["explain the ncg pls"]),
        ("two things: what is the ncg? also who is yoon", ["what is the ncg?", "who is yoon"]),
        ("sorry to interrupt but is japan next", ["is japan next"]),
        ("i think the alliance is overrated tbh", []),
        ("The group, which will meet often, is new.", []),
        ("thanks bot!", []),
        ("what does the ncg do in practice, thx in advance", ["what does the ncg do in practice"]),
        ("ok, lol", []),
        # An emoji ends a sentence; a question follows chatter after it.
        ("my cousin says this is huge 🤯 does the article mention the submarines", ["does"]),
        # "where's" is "where is": a question after a comma, not a relative clause.
        ("the summit ran long lol, where's the next one held", ["where's the next"]),
        ("i went to seoul, where it rained", []),
        ("the deal, when it was signed, was big", []),
        # "whats" after "but" opens a question, whatever follows it.
        ("read half of it on the train but whats the ncg for", ["whats the ncg for"]),
        # Lead-ins of chat: "hold up", "bruh".
        ("hold up does the declaration cover japan", ["does the declaration cover japan"]),
        ("bruh how big is the new group", ["how big is the new group"]),
        # Indirect questions: the question after the frame is matched.
        ("does anybody know when the summit starts", ["when the summit starts"]),
        ("any idea why the treaty matters", ["why the treaty matters"]),
        ("i was just wondering if japan joins", ["if japan joins"]),
        ("i wonder how the group works", ["how the group works"]),
        ("somebody pls explain second strike", ["explain second strike"]),
        ("anyone know the feeling lol", []),
        ("not sure why the alliance matters", ["why the alliance matters"]),
        ("not sure about that tbh", []),
        ("not sure if i buy the argument", []),
        ("curious what my friends think", []),
        ("trying to figure out when the talks start", ["when the talks start"]),
        ("i need to know lol", []),
        ("im kinda confused about the second strike part", ["about the second strike part"]),
        # A numbered list, and ordinals, hold one question each.
        ("1) who is yoon 2) why did biden host marcos", ["who is yoon", "why did biden host"]),
        ("first who signed it, second why does japan care", ["who signed it", "why does"]),
        # "and" before a question word starts a second question, whichever word it is.
        ("whats the museum for and who paid for the roof", ["whats the museum", "who paid"]),
        ("how big is the fleet and is the admiral named", ["how big", "is the admiral named"]),
        ("whats the museum for and also who paid", ["whats the museum", "who paid"]),
        # ...while a relative "who" after a comma does not.
        ("ask the mayor, who runs the museum", []),
        # After a comma, an auxiliary before "the ..." asks ("is the plan finished").
        ("im confused, is the plan finished or not", ["is the plan finished"]),
        ("the plan, the one from june, is the best", []),
        # "according to the writer" names who should answer, before the question.
        ("according to the writer is the plan finished", ["is the plan finished"]),
        ("acc to the article, did the mayor agree", ["did the mayor agree"]),
        ("according to my cousin the plan is finished", []),
        # A question left open with "or" ("... or nah"), but not the idiom or the speaker.
        ("the ferry part of the plan or", ["the ferry part of the plan or"]),
        ("mayor running again or nah", ["mayor running again or nah"]),
        ("like it or not the plan is here", []),
        ("i cant pick between the two or", []),
    ],
)
def test_questions_are_found_wherever_they_stand(message: str, asks: list[str]) -> None:
    found = questions_in(message)
    assert len(found) == len(asks), found
    for clause, start in zip(found, asks, strict=True):
        assert clause.startswith(start), (clause, start)


@pytest.mark.parametrize(
    "message",
    ["what did seoul give up thank u so much", "what did seoul give up ty in advance"],
)
def test_thanks_after_a_question_are_not_matched(matcher: Matcher, message: str) -> None:
    assert questions_in(message) == ["what did seoul give up"]
    # ...while "thanks to" inside a question is part of it.
    assert questions_in("what happened thanks to the visit") == [
        "what happened thanks to the visit"
    ]


def test_chatter_around_a_question_is_not_matched(matcher: Matcher) -> None:
    reply = matcher.reply(
        "lol my coffee is cold and the bus was late. anyway what is the nuclear consultative group",
        chat=True,
    )
    assert reply.answered and reply.entry_id == "nuclear-consultative-group"


def test_the_other_question_of_a_message_is_offered(matcher: Matcher) -> None:
    reply = matcher.reply(
        "what is the nuclear consultative group? and what does seoul give up in return", chat=True
    )
    assert reply.answered and reply.entry_id == "nuclear-consultative-group"
    assert reply.suggestions and reply.suggestions[0].entry_id != reply.entry_id


@pytest.mark.parametrize(
    "question",
    [
        "how old is president biden",
        "which aircraft carrier exactly will be deployed",
        "what year did the soviet union get second strike capability",
        "how much do the aukus submarines cost",
    ],
)
def test_a_detail_the_article_does_not_give_gets_no_answer(matcher: Matcher, question: str) -> None:
    reply = matcher.reply(question)
    assert not reply.answered and reply.reason == "not_in_article", reply
    assert reply.answer is not None and reply.answer.startswith("The article doesn't say")
    assert not matcher.reply(question, chat=True).answered


def test_a_question_completed_by_one_the_article_cannot_answer_is_still_answered(
    matcher: Matcher,
) -> None:
    # "when does he arrive" points back to Marcos, and the article gives no date; the
    # question before it (who he is) is answered on its own.
    assert matcher.reply("when does bongbong marcos arrive").reason == "not_in_article"
    reply = matcher.reply("who is bongbong marcos and when does he arrive")
    assert reply.answered and reply.entry_id == "marcos-visit", reply
    # A fragment only asks the question before it more precisely: still no answer.
    reply = matcher.reply("how often does the consultative group meet, every month?")
    assert not reply.answered and reply.reason == "not_in_article", reply


@pytest.mark.parametrize(
    "question",
    [
        "how old is the us-south korea alliance",
        "where is biden going next month",
        "which philippine president is coming to visit",
    ],
)
def test_a_detail_the_article_gives_is_answered(matcher: Matcher, question: str) -> None:
    assert matcher.reply(question).answered, question


def test_a_bare_frame_after_a_question_asks_more_of_that_question(matcher: Matcher) -> None:
    # "what week" alone names no topic: it asks the question before it more precisely.
    reply = matcher.reply("when exactly will the g7 meet in hiroshima? what week")
    assert not reply.answered and reply.reason == "not_in_article", reply


@pytest.mark.parametrize(
    ("question", "about"),
    [
        ("whats the name of the treaty behind the alliance", "treaty"),
        ("which bases near the dmz", "bases"),
        ("how many subs w nuclear missiles", "subs"),
    ],
)
def test_the_thing_asked_about_ends_at_a_preposition(question: str, about: str) -> None:
    detail = asked_detail(question)
    assert detail is not None and detail.about == about


@pytest.mark.parametrize(
    "question",
    [
        "what are the dates of the summit",
        "whats the exact day yoon lands",
        "which days is the state visit",
        "what was the date of the agreement",
    ],
)
def test_plural_and_spelled_out_date_questions_ask_for_a_day(question: str) -> None:
    detail = asked_detail(question)
    assert detail is not None and detail.kind == "day"


# Floors: the goals on dev and conversational (lookup 0.95, chat 0.90, declined 0.95,
# chat noise 1.00, multi 0.90; all reached since the fourth session, lookup by one question),
# and everything on dev, so a change that loses ground fails. The blind validation sets (never
# tuned on) are held just under today's rates (a refit moves a borderline question or two).
_FLOORS = {
    # 36/37 in chat since the cross-validated calibration (README, "How the sets were used").
    "dev.yaml": {"on_topic": 1.0, "on_topic_chat": 0.97, "declined": 1.0, "chat_noise": 1.0},
    "conversational.yaml": {
        "on_topic": 0.95,
        "on_topic_chat": 0.9,
        "declined": 0.95,
        "chat_noise": 1.0,
        "multi": 0.9,
    },
    # The blind validation sets, just under today's rates.
    "tune_e.yaml": {
        "on_topic": 0.88,
        "on_topic_chat": 0.87,
        "declined": 0.94,
        "chat_noise": 0.97,
        "multi": 0.87,
        "meta": 0.8,  # 0.9 with the Korean model, which this matcher does not load
    },
    "tune_g.yaml": {
        "on_topic": 0.94,
        "on_topic_chat": 0.93,
        "declined": 0.92,
        "chat_noise": 0.97,
        "multi": 0.9,
        "meta": 0.93,
    },
    "tune_h.yaml": {  # heavy paraphrase: the hardest set for lexical matching
        "on_topic": 0.70,
        "on_topic_chat": 0.66,
        "declined": 0.96,
        "chat_noise": 1.0,
        "multi": 0.82,
        "meta": 0.7,
    },
}


@pytest.mark.parametrize("name", sorted(_FLOORS))
def test_eval_sets_stay_at_their_floors(matcher: Matcher, name: str) -> None:
    report = run_eval(matcher, load_eval_set(DATA / name))
    rates = {rate: report.rate(rate) or 0.0 for rate in _FLOORS[name]}
    assert all(rates[r] >= floor for r, floor in _FLOORS[name].items()), rates


_JAMO = st.characters(min_codepoint=0x1100, max_codepoint=0x11FF) | st.characters(
    min_codepoint=0x3131, max_codepoint=0x318E
)
_EMOJI = st.sampled_from(list("😀😂🔥🚀👍🇰🇷🇺🇸❤️✨🙏🤔💯"))
_ZERO_WIDTH = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"])
_WORDS = st.sampled_from(["what", "is", "the", "ncg", "nato", "yoon", "when", "한국", "核", "?"])
_LONG = st.builds(
    lambda piece: (piece * (50_000 // len(piece) + 1))[:50_000], st.text(min_size=1, max_size=30)
)


def _decided(reply: Reply) -> None:
    assert isinstance(reply.answered, bool)
    assert reply.answered == (reply.reason is None)
    assert 0 <= reply.score <= 100 and len(reply.suggestions) <= 3


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(_JAMO, min_size=1, max_size=300),
        st.text(_EMOJI, min_size=1, max_size=100),
        st.lists(st.one_of(_WORDS, _ZERO_WIDTH, _EMOJI, st.just(" ")), max_size=80).map("".join),
        st.text(st.characters(codec="utf-8"), max_size=200),
    )
)
def test_odd_scripts_and_invisible_characters_get_a_decision(matcher: Matcher, text: str) -> None:
    for chat in (False, True):
        reply = matcher.reply(text, chat=chat)
        _decided(reply)
        # What the matcher reads: NFKC turns "ｎｕｋｅｓ" into "nukes", which may be answered.
        if not any(ch.isascii() and ch.isalnum() for ch in normalize(text)) and not any(
            "\uac00" <= ch <= "\ud7a3" or "\u4e00" <= ch <= "\u9fff" for ch in text
        ):
            assert not reply.answered, text  # jamo, emoji and invisible marks ask nothing


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_LONG)
def test_a_50000_character_message_gets_a_decision(matcher: Matcher, text: str) -> None:
    assert len(text) == 50_000
    for chat in (False, True):
        _decided(matcher.reply(text, chat=chat))


@pytest.mark.parametrize("text", ["4", "¼", "2021?", "70!!", "3/4"])
def test_digits_and_signs_alone_are_never_answered(matcher: Matcher, text: str) -> None:
    # "¼" reads as "1 4" once normalised; it was answered with an entry at 88 in lookup.
    for chat in (False, True):
        reply = matcher.reply(text, chat=chat)
        assert not reply.answered, (text, chat, reply.entry_id)
        assert reply.reason == ("not_a_question" if chat else "unsure")


def test_a_lazy_matcher_reads_entries_on_demand_and_replies_the_same(
    matcher: Matcher, shipped_kb: KnowledgeBase
) -> None:
    lazy = Matcher(shipped_kb, eager=False)
    assert not lazy._entry_texts  # nothing read at start
    for question in (
        "when did the soviets get second strike capability",
        "which carrier is being sent",
        "how old is the alliance",
        "what does the ncg do",
    ):
        assert lazy.reply(question) == matcher.reply(question)
    assert 0 < len(lazy._entry_texts) < len(shipped_kb.entries)


@pytest.mark.parametrize("question", ["whos the author", "who is the writer", "author??"])
def test_asking_only_who_the_author_is_gets_the_author_entry(
    matcher: Matcher, question: str
) -> None:
    # The author is one word, and a common one in the FAQ's phrasings: it must still count
    # as naming something, in lookup and in chat.
    for chat in (False, True):
        reply = matcher.reply(question, chat=chat)
        assert reply.answered and reply.entry_id == "article-author", (chat, reply.reason)


@pytest.mark.parametrize("question", ["korea?", "south?", "the us?"])
def test_a_question_naming_only_a_country_of_the_article_is_too_vague(
    matcher: Matcher, question: str
) -> None:
    assert not matcher.reply(question).answered


@pytest.mark.parametrize(
    ("tagged", "plain"),
    [
        ("will the ncg meet often, yep or nope?", "will the ncg meet often?"),
        (
            "is the writer behind the alliance update or nah",
            "is the writer behind the alliance update",
        ),
    ],
)
def test_a_yes_no_tag_names_nothing(matcher: Matcher, tagged: str, plain: str) -> None:
    def ranked(text: str) -> list[tuple[int, float]]:
        return [(c.index, round(c.confidence, 9)) for c in matcher.rank(text)[0]]

    assert ranked(tagged) == ranked(plain)
    assert ranked(plain)


def _content_stems(text: str) -> set[str]:
    analyser = Analyser(GENERAL_SYNONYMS)
    words = analyser.expand(normalize(text).split())
    return {analyser.stem(w) for w, _ in words if w not in STOPWORDS}


@pytest.mark.parametrize(
    ("idiom", "plain"),
    [
        ("what still needs doing on the alliance", "what is left on the alliance"),
        ("which steps need to be done next", "which steps are left next"),
        ("will the fears go away", "will the fears disappear"),
        ("do the concerns vanish with this", "do the concerns disappear with this"),
        ("is the columnist bullish or skeptical", "is the columnist optimistic or pessimistic"),
        ("is it only a first step", "is it only a start"),
        ("are the allies dodging their problems", "are the allies ignoring their problems"),
        ("why sort it out now", "why address it now"),
        ("is that still unresolved", "is that still unanswered"),
        ("which countries are drawn to the us", "which countries are moving toward the us"),
        ("who is open to the us", "who is moving toward the us"),
        ("where is the summit this time", "where is the summit"),
        ("why are they cozying up to the us", "why are they moving toward the us"),
        ("whats the catch for seoul", "whats in return for seoul"),
        ("whats his beef with china", "why blame china"),
        ("explain the deal in plain english", "explain the deal"),
        ("what is the deal tryna do", "what is the deal trying to do"),
        ("is it all going great", "is it all going well"),
        ("why now", "why the timing"),
        ("who is next in line", "who is next on the list"),
        ("is the writer confident", "is the writer optimistic"),
        ("which planes are deployed", "which aircraft are deployed"),
        ("thumbs up or down on the deal", "the stance on the deal"),
        ("is the author cool w the deal", "the author stance the deal"),
    ],
)
def test_idioms_of_small_words_read_as_their_plain_word(idiom: str, plain: str) -> None:
    assert _content_stems(idiom) == _content_stems(plain) != set()


@pytest.mark.parametrize(
    "question", ["would seoul like a bomb of its own", "could korea end up with a bomb of its own"]
)
def test_own_names_what_is_owned(matcher: Matcher, question: str) -> None:
    # "its own" is what the article's nuclear debate is about, so it is a word that counts.
    assert matcher.reply(question).entry_id == "south-korea-own-nukes"


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("so the declaration fixes everything?", "concerns-wont-go-away"),
        ("is the korea pact part of a bigger trend in asia", "indo-pacific-deals"),
    ],
)
def test_whether_the_deal_settles_everything_or_is_one_of_many(
    matcher: Matcher, question: str, entry: str
) -> None:
    assert matcher.reply(question).entry_id == entry


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("is the author optimistic about how it turns out", "article-conclusion"),
        ("what tone does the op-ed strike", "article-opinion-piece"),
    ],
)
def test_the_authors_mood_is_answered_by_an_answer_that_names_it(
    matcher: Matcher, question: str, entry: str
) -> None:
    reply = matcher.reply(question)
    assert reply.entry_id == entry and reply.score >= 80


@pytest.mark.parametrize(
    "message", ["the ncg thing, whats the point w that", "aukus subs, whats the deal abt them"]
)
def test_a_chat_spelling_of_a_small_word_does_not_make_a_pointer_a_topic(message: str) -> None:
    # "w that", "abt them" only point back: the question is about the topic before the comma.
    assert questions_in(message) == [message]


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        ("list the four us actions pls", "list the four us actions pls"),
        ("compare the ncg to the old dialogues", "compare the ncg to the old dialogues"),
        ("abandonment vs entrapment, explain like im 5", "explain like im 5"),
        ("the nato thing, explain pls", "the nato thing, explain pls"),
        (
            "the president who's visiting, who is that again",
            "the president who's visiting, who is that again",
        ),
        ("taiwan in this at all", "taiwan in this at all"),
        ("anything in there abt the drills", "anything in there abt the drills"),
    ],
)
def test_requests_and_pointers_ask_in_chat(message: str, asked: str) -> None:
    # "list"/"compare" ask like "explain"; a request after a comma asks (about what came
    # before it when it names nothing); "who is that" points back, "again" or not.
    assert questions_in(message) == [asked]


@pytest.mark.parametrize(
    "message", ["not at all", "i dont like it at all", "anything about it makes me mad"]
)
def test_at_all_and_anything_about_stay_silent_in_statements(message: str) -> None:
    assert questions_in(message) == []


@pytest.mark.parametrize(
    "message",
    [
        "lol the title is so cheesy. does the author think it will be enough",
        "tbh the whole thing is theater imo. does the writer think it's enough",
    ],
)
def test_a_question_after_a_statement_is_asked_alone_when_the_whole_is_not_understood(
    matcher: Matcher, message: str
) -> None:
    # "it" points back, but the statement before it is the member's chatter, not the topic.
    reply = matcher.reply(message, chat=True)
    assert reply.answered and reply.entry_id == "central-question"
