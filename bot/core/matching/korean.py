"""Reading a Korean question well enough to check an English FAQ's answer against it.

The multilingual encoder (semantic.py) ranks entries for a Korean question. This module adds
what an embedding cannot tell: which of the article's concepts the question names (a small
bilingual glossary of general vocabulary for the article's domain, not of any question), how
much of it is about things the glossary does not know, and which kind of detail it asks for (a
date, a number, a cost, an age, a name, a reaction), so a question whose detail the entry does
not give is declined like its English counterpart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..lexicon import INTERROGATIVES, SMALL_TALK, STOPWORDS

__all__ = [
    "DETAIL_KINDS",
    "HANGUL_RUN",
    "KoreanQuery",
    "analyse",
    "asks_outright",
    "has_hangul",
    "is_korean_question",
    "only_jamo",
    "sentences",
]

# Precomposed syllables, and jamo standing alone: the compatibility and conjoining blocks.
_SYLLABLES = "\uac00-\ud7a3"
_JAMO = "\u3131-\u318e\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff"
_HANGUL = re.compile(f"[{_SYLLABLES}{_JAMO}]")
# A run of Hangul in a message (the Korean chatter around an English question, pipeline.py).
HANGUL_RUN = re.compile(f"[{_SYLLABLES}{_JAMO}]+")
_JAMO_RUN = re.compile(f"[{_JAMO}]+")
_SYLLABLE = re.compile("[\uac00-\ud7a3]")
# A sentence ends after . ! ? and at a line end; in chat also after laughter or tears ("ㅋㅋ",
# "ㅠㅠ"), after a clause of background ending in "-는데," ("궁금한 게 생겼는데 …"), and before
# a word that turns to the point ("근데", "아무튼").
_SENTENCE_END = re.compile(
    r"(?<=[.!?？！。])\s+|\n+|(?<=[ㅋㅎㅠㅜ]{2})\s+|(?<=[는은던]데)[,，]?\s+"
    r"|\s+(?=(?:근데|그런데|아무튼|암튼|그나저나|어쨌든|암튼간에)\s)"
)
# A word: a run of Hangul syllables, or of Latin letters and digits.
_WORD = re.compile("[\uac00-\ud7a3]+|[a-z0-9]+(?:[-'][a-z0-9]+)*")


_ENGLISH_FILLER = SMALL_TALK | STOPWORDS | INTERROGATIVES | {"vs", "versus"}


def sentences(text: str) -> list[str]:
    """The sentences of a message (split after . ! ? and at line ends), without empty ones."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def has_hangul(text: str) -> bool:
    """True when the text holds any Hangul (syllables or jamo)."""
    return _HANGUL.search(text) is not None


def only_jamo(text: str) -> bool:
    """True when a text's only letters are jamo standing alone ("ㅋㅋㅋ", "ㅠㅠ", "ㅇㅇ")."""
    return not any(ch.isalpha() for ch in _JAMO_RUN.sub("", text))


def _split(text: str) -> list[str]:
    return text.split()


def _entries(text: str) -> dict[str, str]:
    """Parse `korean = english` lines: several Korean spellings may share one line; `;`
    separates concepts that count apart, `|` other English spellings of one concept."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        korean, _, english = line.partition("=")
        for word in korean.split():
            table[word] = english.strip()
    return table


# General Korean words for the concepts of the article's domain (alliances, nuclear deterrence,
# the Indo-Pacific), mapped to the English words the FAQ uses. Matched as the start of a word,
# so particles and endings after them do not matter ("동맹은", "동맹이", "동맹을"). Words of
# judgement are one concept (the verdict asked for, whichever word asks). The last lines are
# common news topics the article never covers (growth, tariffs, health …): a question naming a
# concept that no entry names is declined (bilingual.py).
GLOSSARY = _entries(
    """
    좋 좋아하 나쁘 나빠 옳 긍정 낙관 부정 비관 찬성 지지 동의 반대 비판 성공 실패 = \
        good | bad | right | positive | negative | optimistic | pessimistic | favor | support | \
        against | critical | success | failure
    동맹 동맹국 = alliance | allies
    한미 = south korea; united states
    한미동맹 = south korea; united states; alliance
    한국 남한 대한민국 = south korea
    한국인 국민 대중 여론 사람 = people | public
    미국 = united states
    미군 = us military
    북한 = north korea
    평양 = north korea
    중국 = china
    러시아 = russia
    일본 = japan
    인도 = india
    필리핀 = philippines
    호주 = australia
    영국 = british
    대만 = taiwan
    우크라이나 = ukraine
    유럽 = europe
    소련 = soviet union
    나토 = nato | north atlantic treaty organization
    서울 = seoul
    워싱턴 = washington
    히로시마 = hiroshima
    아시아 = asia
    인도태평양 인태 = indo pacific
    한반도 = korean peninsula
    대통령 = president
    정상 정상들 = leaders
    지도자 지도부 = leaders
    정부 행정부 = administration | government
    당국자 관료 = officials
    관리 = officials | managing
    전문가 = experts
    윤석열 윤 = yoon
    바이든 = biden
    트럼프 = trump
    마르코스 = marcos
    차이잉원 = tsai
    핵 핵무기 = nuclear
    핵무장 = nuclear weapons | nuclear capabilities
    핵전력 = nuclear forces
    비확산 핵확산 = non proliferation
    확산 = proliferation
    잠수함 = submarines
    탄도미사일 = ballistic missile
    미사일 = missile
    폭격기 = bombers
    항공모함 항모 = carriers
    전략자산 = strategic assets
    자산 = assets
    배치 전개 = deployments
    억제 억지 억제력 억지력 = deterrence
    확장억제 핵우산 = extended deterrence
    협의 = consult | consultative
    그룹 협의체 = group
    훈련 연습 = training | exercises
    연합 합동 = joint | allied
    기획 작전계획 = planning
    통합 = integrating
    역량 능력 = capabilities
    선언 선언문 = declaration
    합의 협정 = deal | declaration | agreement
    약속 공약 = commit | commitment
    서약 맹세 = vows
    갱신 = renew | update
    업데이트 = update
    재확인 안심 = reassure
    보장 = assurances
    관계 = relationship
    위험 리스크 = risk
    방문 방미 = visit
    타격 = strike
    이차 = second
    현대화 = modernize | modernization
    증강 = build up
    위협 = threats
    협력 = cooperation
    기술 = technology
    파트너십 동반자 = partnership | partners
    기지 = bases
    군사 군사기지 = military
    접근 = access
    오커스 = aukus
    쿼드 = quad
    정상회의 = summit | meeting
    회의 회담 = meeting
    글로벌 사우스 개발도상국 = global south
    영토 = territorial
    분쟁 = disputes
    경제 = economic
    강압 = coercive
    주변국 이웃 이웃나라 = neighbors
    침공 침략 = invasion
    성과 실적 = accomplishment | results | progress
    진전 = headway | progress
    엇갈 엇갈리 엇갈린 엇갈려 엇갈렸 = mixed
    방기 버림 = abandonment
    연루 휘말 휘말리 = entrapment
    화염 = fire
    분노 = fury
    우려 걱정 = concerns | worried
    임기 집권 = power
    설득 = convince
    홍보 소통 = outreach
    노력 = efforts
    과제 = work
    저자 글쓴이 필자 작가 기자 = author | writer
    기사 칼럼 글 = article
    제목 = title
    결론 = conclusion
    요약 = summary
    주장 요점 논지 = argument | point
    핵심 중심 = central | main
    의견 견해 = opinion
    환영 = welcome
    시작 출발 = start
    충분 = sufficient | enough
    쐐기 = wedge
    정면 = head on
    수동 = passively
    타이밍 시기 = timing | timely
    현명 = wise
    세계 = world
    어조 논조 톤 분위기 기조 = tone | note | mood | vibe
    평가 = assessment | view
    해결 대처 대응 = address | confront | respond
    유지 지속 = lasting | sustained
    장기 = lasting | long
    필요 = needed
    발표 = announced
    계획 = plans
    논쟁 논란 토론 = debate
    질문 문제 쟁점 = question | issue
    의문 = question
    이유 = why | reason
    목적 = purpose
    의미 = meaning
    변화 = change
    다음 = next
    전쟁 = war
    중요 = important | significant | key
    약점 = weakness
    신뢰 = trust
    공격 = attack | strike
    방어 방위 = defense | defend | security
    안보 = security
    외교 = diplomacy
    동아시아 = east asia | asia
    태평양 = pacific
    장관 = minister
    총리 = prime minister
    국무부 = state department
    대사 = ambassador
    의회 = congress
    선거 대선 = election
    독자 독자적 자체 = own | independent
    냉전 = soviet union
    총통 = president
    경유 = transits
    관찰자 관측통 관찰자들 = observers
    조치 행보 = move | steps | actions
    강화 보강 = bolster | stronger | strengthen
    원하 바라 = want
    자연 당연 = natural | understandable
    결정 선택 판단 = decision | move | choice
    입장 태도 관점 시각 = position | stance | view | take
    늘 증가 확대 = more | increase | expand
    심화 = deepen
    물러나 물러난 퇴임 퇴진 떠나 떠난 = leave | gone | power
    믿 = trust | back | rely
    앞으로 향후 장래 = ahead | future | next
    남은 남아 남았 = left | remain
    다루 다뤄 다뤘 다룬 = address | tackle | handle
    낫 나은 = better
    전체 전반 = overall | whole
    희망 = hope | hopeful
    지지율 = popularity | polls
    군 군대 = military
    기존 = existing
    대화 = dialogue | talks
    만나 만남 = meet | meeting
    자주 = often | frequently
    상의 = consult
    사용 = use
    허용 허락 허가 = allow | access | permit
    내주 내준 내줬 내줘 = permit | access | give
    보내 = send
    포함 = include
    영향 = impact | effect
    비슷 = similar | like
    차이 = difference
    오래가 = lasting
    오래 = long
    적절 = right | timely
    체제 = regime | system
    핵확산금지 = non proliferation
    행동 = behavior | actions
    공세 = assertive | aggressive
    논의 = debate | discussion
    끝나 끝난 = end
    열려 열린 열리 열어 열었 = open | held
    새 새로운 = new
    파견 = deploy
    미래 = future | tomorrow
    약화 훼손 = undermine | weaken
    균열 분열 갈라 멀어 갈등 = wedge | split | apart
    주년 = anniversary
    교환 맞교환 대가 = trade | exchange | return
    포기 = give up | forgo
    개발 = develop | build
    보유 = possess | have | acquire
    칭찬 = praise
    선제 적극 = proactive
    출처 = source
    발행 게재 = published
    공화당 = republican
    민주당 = democrat
    재선 = reelected
    당선 = elected | wins
    지원 = support
    압박 = pressure
    탄두 핵탄두 = warheads
    세월 = time | years
    고위 = senior
    가시 가시적 = visible
    탄도 = ballistic
    전략 = strategic | strategy
    똑똑 영리 = smart
    독립 = independent
    확장 = expand | extended
    대규모 = massive
    현실 = reality
    도전 = challenge
    북대서양 = north atlantic
    조약 = treaty
    고전 = struggled
    압력 = pressures
    일련 = series
    이니셔티브 구상 = initiatives
    최신 최근 = latest | recently
    주요 = major | key
    추가 = additional
    상대 = counterparts
    목록 리스트 = list
    활동 = activities
    진척 = progress
    대립 대결 = confrontational
    밀어 밀고 = pushing
    보복 = coercive | retaliation
    결과 = results
    혼재 = mixed
    촉발 = jumpstart | spark
    지켜 지키 = back | protect
    권력 = power
    위기 = crisis | need
    접근법 방식 = approach
    사라 = go away
    하룻밤 = overnight
    세부 = detailed
    맞서 직면 = confront
    중립 = neutral
    객관 = objective
    편향 = one sided | biased
    사설 = op ed | opinion
    오피니언 = opinion
    뉴스 보도 = news | reporting
    숙제 = work
    정권 = administration | power
    교체 바뀌 바꾸 = change
    성장 성장률 = growth
    수출 = exports
    수입 = imports | income
    규제 = regulation | restrictions
    부인 아내 영부인 = wife | first lady
    가족 = family
    건강 = health
    세금 = tax
    물가 = prices | inflation
    주식 증시 = stocks
    스포츠 축구 야구 = sports
    코로나 = covid
    탄핵 = impeachment
    스캔들 = scandal
    교육 = education
    실험 = test | testing
    발사 = launch
    통일 = unification
    제재 = sanctions
    관세 = tariffs
    반도체 = semiconductors | chips
    기후 = climate
    안전 = safe | safety | security
    """
)

# Phrases of several words that name one concept, read before the words ("해야 할 일": the
# work to do), rewritten as the glossary word for it.
_PHRASES = ((re.compile(r"(?:해야\s*)?할\s*일"), " 과제 "),)

# What may follow a glossary word inside one written word: particles, the light verbs that
# turn a noun into a verb ("협의한다", "걱정했어"), verb endings ("끝나면", "낫대", "보내겠다는")
# and the auxiliary verbs after one ("열어줬어", "버림받을까"). Anything else there is more
# content.
_TRAILING = tuple(
    _split(
        """
        은 는 이 가 을 를 의 에 에서 에게 께 와 과 랑 이랑 하고 도 만 로 으로 까지 부터 처럼
        보다 이나 나 야 요 이야 인가 이라 라 란 들 적 적인 적으로 국 국들 측 쪽 하 한 했 할 함
        해 되 된 됐 될 돼 시키 이에 이다 이었 였 일 임 입니
        다 고 게 지 아 어 았 었 을 는 은 스럽 스러
        면 으면 대 래 냐 니 던 겠 려 며 기 죠 네 까 예요 에요
        줘 줬 주 준 줄 받 봐 봤 내 놓 버려 버린 버렸
        """
    )
)
# Particles and the copula that may follow a one-syllable function word ("뜻이에요").
_PARTICLES = frozenset(
    _split("이 가 은 는 을 를 에 도 만 이야 이에요 이예요 예요 이다 입니다 이라 이래 이지 인가")
)
# Final consonants a verb ending fuses into a stem's last syllable ("원할까": 원하 + ㄹ까,
# "바뀐대": 바뀌 + ㄴ대), as offsets of the Hangul syllable block (ㄴ 4, ㄹ 8, ㅁ 16, ㅂ 17, ㅆ 20).
_FUSED_FINALS = frozenset({4, 8, 16, 17, 20})

# Words that carry no concept of their own: pronouns, question words, light verbs and the
# chatty fillers of Discord Korean. Matched as the start of a word, like the glossary.
_FUNCTION = frozenset(
    _split(
        """
        뭐 무엇 무슨 어때 어땠 뭔 뭘 왜 어떻게 어떤 어떻 어떠 어떡 어디 어느 언제 누구 누가 몇 얼마
        이거 그거 저거 이게 그게 이건 그건 이번 이런 그런 저런 거 것 게 건 걸 수 좀 그냥 진짜
        근데 그럼 그래서 그리고 또 더 잘 안 못 다 다른 지금 요즘 혹시 대해 관련 대한 위해 때문
        하 했 한 할 함 해 되 됐 된 될 돼 있 없 나오 나와 나온 말 얘기 이야기 뜻 의미 같 보 봐
        본 봤 볼 봄 맺 알려 설명 생각 라고 이라 인가 인지 건가 맞 아니 요 네 예 ㅋ ㅎ 혹 제일
        가장 정말 과연
        이 그 저 및 등 들 때 후 전 중 간 대신 오늘 올해 작년 내년 다음 지난 주 달 년 월 일
        가 갈 가는 하는 했어 했나 한다 한대 라는 다는 된다 됐어 거야 거임 임 음 내용 사실
        해주 해줘 해줬 해준 해줄
        """
    )
)

# The kinds of detail a question can ask for, with the Korean that asks for each.
DETAIL_KINDS = (
    "date",
    "day",
    "duration",
    "number",
    "cost",
    "age",
    "person",
    "name",
    "reaction",
    "later",
    "place",
    "frequency",
    "times",
)
_ASKS = {
    "date": re.compile(r"언제|날짜|며칠|몇\s*(?:년도|월|일)|몇\s*시"),
    "day": re.compile(
        r"정확(?:한|히)\s*(?:날짜|날|시간|일정|언제|몇\s*(?:월|일|시))|며칠|몇\s*일|몇\s*시"
    ),
    "duration": re.compile(
        r"몇\s*(?:년(?!도)|달|개월|주|시간)|얼마나\s*(?:오래|길|걸|됐|되었|지났)|기간"
    ),
    "number": re.compile(
        r"몇\s*(?:명|개|척|곳|퍼센트|프로|%|대|기|발|나라|개국)"
        r"|얼마나\s*(?:많|돼|되|나가|멀|커|크|큰|높|넓)"
    ),
    "cost": re.compile(r"얼마(?:야|예요|에요|인가|인지|죠|니|나\s*(?:들|써|드))|비용|예산|돈|가격"),
    "age": re.compile(r"나이|몇\s*살|연세"),
    "person": re.compile(r"누구|누가"),
    # "정식 명칭", "뭐라고 불러": what a thing is called.
    "name": re.compile(r"이름|성함|명칭|뭐라고\s*(?:불러|부르|불리|부름)"),
    # "뭐라고 했어" is what someone said; "뭐라고 해(요)" mostly what the article says.
    "reaction": re.compile(r"반응|뭐라고\s*(?:했|말했)|입장\s*(?:은|이|을)"),
    # "what happens if …": a later event the article cannot know.
    "later": re.compile(r"면\s*(?:어떻게\s*(?:돼|되|될)|무슨\s*일|어떡)"),
    # Where ("어디까지" is how far along, not a place).
    "place": re.compile(r"어디(?!까지)|어느\s*(?:곳|지역|도시|장소)|(?<![가-힣])(?:위치|장소)"),
    # How often; "몇 번", "1년에 몇 번" ask it exactly (times, below).
    # ("해 주기로", "주기도": the verb 주다, no cycle).
    "frequency": re.compile(r"얼마나\s*자주|(?<![가-힣])(?:빈도|주기(?![로도]))"),
    "times": re.compile(r"몇\s*(?:번|회|차례)|몇\s*(?:달|개월|주|년)에\s*한\s*번"),
}
# "어느 나라", "그 나라는 어디": which country, a name, not a place.
_WHICH_COUNTRY = re.compile(r"(?:나라|국가)\S*\s*어디|어느\s*(?:나라|국가)")
# A "what happens if" clause quoted as the topic of talk or worry ("…면 어떻게 되냐는 얘기도
# 있어?", "…면 어떻게 될지 걱정해?"): the question asks whether the article raises it, which it
# can, not what happened later, which it cannot.
# "…냐는", "…냐고" quote a question as such ("…면 어떻게 되냐는 게 핵심 질문이야?"); "…는지",
# "…ㄹ지" only before a word of talk ("어떻게 될지 알려줘" asks it).
_QUOTED_LATER = re.compile(
    r"면\s*(?:어떻게\s*(?:돼|되|될)|무슨\s*일|어떡)\S*?(?:냐는|냐고"
    r"|(?:는지에?|지에?|다는|라는)\s+(?:(?:대한|관한)\s+)?"
    r"(?:얘기|이야기|말|내용|질문|언급|논의|우려|걱정|고민|의문|물음))"
)
# Dates and numbers written with digits: "1월" is January, "1960년대" the 1960s.
_MONTHS = _split(
    "january february march april may june july august september october november december"
)
_MONTH = re.compile(r"(\d{1,2})\s*월[에의은는도]*")
_DECADE = re.compile(r"(\d{4})\s*년대[에의은는도]*")
# Ordinals written with digits: "2차 타격" is a second strike.
_ORDINALS = _split("first second third fourth fifth sixth seventh eighth ninth tenth")
_ORDINAL = re.compile(r"(?<!\d)(\d{1,2})\s*(?:차|번째)(?![이원])")
# A reaction asked of the article or its author is a question about the article itself.
_ABOUT_THE_ARTICLE = re.compile(r"저자|글쓴이|필자|작가|기사|이\s*글|칼럼")
# Korean question endings, for the chat gate: a '?' or a question word does it too.
_QUESTION_ENDING = re.compile(
    r"(?:까|나요|니|냐|나|죠|지|야|어|아|요|래|대|임|음)\s*[?？]*\s*$|[?？]"
)
_QUESTION_WORD = re.compile(r"뭐|무엇|무슨|왜|어떻게|어떤|어디|언제|누구|누가|몇|얼마")


@dataclass(frozen=True, slots=True)
class KoreanQuery:
    """What a Korean question names and asks for."""

    # Each concept it names, as its English spellings (alternatives), each a tuple of words.
    concepts: tuple[tuple[tuple[str, ...], ...], ...]
    latin: tuple[str, ...]  # words it writes in Latin letters (NCG, AUKUS, G7 …)
    unknown: int  # content words the glossary does not know
    asks: frozenset[str]  # kinds of detail asked for (see DETAIL_KINDS)
    # The thing whose name is asked ("필리핀 기지 이름": the bases), as its English spellings;
    # () when the question names none, or names it with a word the glossary does not know.
    named_thing: tuple[tuple[str, ...], ...] = ()
    # What a count asks about ("기지 몇 개": bases; "몇 명": people), as English nouns; ()
    # when the question counts nothing it names.
    counted: tuple[tuple[str, ...], ...] = ()


# A count ("네 곳", "몇 개", "3척"): the counter word after a number says what kind of thing is
# counted, not which.
_COUNT = re.compile(
    r"(?<![가-힣\d])(?P<number>몇|\d+|한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|여러)\s*"
    r"(?P<counter>개국|개월|군데|가지|개|명|곳|척|대|기|발|번|살|달)"
    # a particle may follow the counter, not more of a word ("윤석열 대통령" counts nothing)
    r"(?=[이가은는을를에의도만야요씩째]|[^가-힣]|$)"
)
# A count asked ("몇 개", "몇 명"), and what each counter counts where it says ("명": people);
# the others ("개", "가지") count the word before the count.
_ASKED_COUNT = re.compile(r"몇\s*(?P<counter>개국|군데|가지|개|명|곳|척|대|기|발|나라)?")
_COUNTERS: dict[str, _Concept] = {
    "명": (("people",), ("troops",), ("soldiers",), ("personnel",), ("members",), ("officials",)),
    "개국": (("countries",), ("nations",), ("allies",)),
    "나라": (("countries",), ("nations",), ("allies",)),
    "척": (("submarines",), ("ships",), ("carriers",), ("vessels",)),
    "대": (("bombers",), ("aircraft",), ("planes",), ("jets",)),
    "기": (("bombers",), ("aircraft",), ("missiles",)),
    "발": (("missiles",), ("warheads",)),
    "곳": (("bases",), ("sites",), ("places",)),
    "군데": (("bases",), ("sites",), ("places",)),
}
# The numbers a count names, from two to ten ("네 가지": the four actions; one is rarely what
# a question is about), as English words.
_NUMBERS = dict(enumerate(_split("two three four five six seven eight nine ten"), start=2))
_KOREAN_NUMBERS = dict(
    zip(_split("두 세 네 다섯 여섯 일곱 여덟 아홉 열"), range(2, 11), strict=True)
)
# A concept: its English spellings, each a tuple of words.
_Concept = tuple[tuple[str, ...], ...]
# Function words read past, at most, between a thing and the word asking its name.
_THING_REACH = 3

# Bound nouns that are function words only when they stand alone ("맺은 지": since, "뿐": only).
_BOUND = frozenset({"지", "뿐", "줄", "데", "듯", "쪽"})


def _is_function(word: str) -> bool:
    """A function word, or one with a particle or ending after it (one syllable: short)."""
    if word[0] in _BOUND and (len(word) == 1 or word[1:].startswith(_TRAILING)):
        return True
    for end in range(min(len(word), 3), 0, -1):
        if word[:end] in _FUNCTION:
            # "뜻이에요", "말이에요": a one-syllable word with a particle or the copula after it
            # (not any ending: "주한미군" is no 주 + 한).
            return end > 1 or len(word) <= 3 or word[end:] in _PARTICLES
    return False


def _longest_prefix(word: str, table: dict[str, str]) -> str | None:
    """The longest glossary word that starts `word`; a verb stem of two syllables or more
    also matches with an ending fused into its last syllable ("원할" starts with 원하)."""
    for end in range(len(word), 0, -1):
        if word[:end] in table:
            return word[:end]
        if end >= 2 and (key := _unfused(word[:end])) in table:
            return key
    return None


def _unfused(prefix: str) -> str:
    """The prefix with the final consonant of its last syllable taken off, when it is one a
    verb ending fuses in (ㄴ ㄹ ㅁ ㅂ ㅆ); otherwise the prefix unchanged."""
    offset = ord(prefix[-1]) - 0xAC00
    if 0 <= offset < 11172 and offset % 28 in _FUSED_FINALS:
        return prefix[:-1] + chr(0xAC00 + offset - offset % 28)
    return prefix


def analyse(question: str) -> KoreanQuery:
    """Concepts, Latin words, unknown content words and asked details of a Korean question."""
    text = unicodedata.normalize("NFKC", question).casefold()
    concepts: list[tuple[tuple[str, ...], ...]] = []
    for match in _MONTH.finditer(text):
        month = int(match.group(1))
        if 1 <= month <= 12:
            concepts.append(((_MONTHS[month - 1],),))
    concepts.extend(((f"{m.group(1)}s",),) for m in _DECADE.finditer(text))
    for match in _ORDINAL.finditer(text):
        number = int(match.group(1))
        concepts.append(((_ORDINALS[number - 1],),) if 1 <= number <= 10 else ((match.group(1),),))
    text = _ORDINAL.sub(" ", _DECADE.sub(" ", _MONTH.sub(" ", text)))
    for phrase, word in _PHRASES:
        text = phrase.sub(word, text)
    latin: list[str] = []
    unknown = 0
    # Each Korean word's start, and what it names: its concepts, () for a function word,
    # None for content the glossary does not know (or a Latin word).
    read: list[tuple[int, tuple[_Concept, ...] | None]] = []
    counters: set[int] = set()
    for count in _COUNT.finditer(text):
        counters.update((count.start(), count.start("counter")))
        said = count.group("number")
        value = int(said) if said.isdigit() else _KOREAN_NUMBERS.get(said, 0)
        if value in _NUMBERS:
            concepts.append(((_NUMBERS[value],), (str(value),)))
    for match in _WORD.finditer(text):
        word = match.group()
        if not _SYLLABLE.match(word):
            # English chat and function words name nothing ("lol 근데 …", "the NCG가 …").
            if (not word.isdigit() or len(word) > 1) and word not in _ENGLISH_FILLER:
                latin.append(word)
                read.append((match.start(), None))
            continue
        found: list[_Concept] = []
        rest = word
        # A compound may chain several glossary words ("한미동맹", "핵잠수함").
        while rest:
            key = _longest_prefix(rest, GLOSSARY)
            if key is None:
                break
            found.extend(
                tuple(tuple(words.split()) for words in concept.split("|"))
                for concept in GLOSSARY[key].split(";")
            )
            rest = rest[len(key) :]
        concepts.extend(found)
        # What is left of a word after its glossary part: a particle or ending, or more content.
        if match.start() in counters:
            read.append((match.start(), ()))  # a count: what it counts is its concept
        elif (not found and not _is_function(word)) or (
            found and rest and not rest.startswith(_TRAILING)
        ):
            unknown += 1
            read.append((match.start(), None))
        else:
            read.append((match.start(), tuple(found)))
    asks = {kind for kind, pattern in _ASKS.items() if pattern.search(text)}
    if _ABOUT_THE_ARTICLE.search(text):
        asks.discard("reaction")  # the article's own view
        asks.discard("place")  # where in the article, or where to read it
    if _WHICH_COUNTRY.search(text):
        asks.discard("place")
    if "times" in asks:
        asks.discard("duration")  # "몇 달에 한 번": once every so many months
    if "cost" in asks and "number" in asks:
        asks.discard("cost")
    if _QUOTED_LATER.search(text):
        asks.discard("later")
    thing: _Concept = ()
    if "name" in asks and (name := _ASKS["name"].search(text)) is not None:
        thing = _thing_before(read, name.start())
    counted: _Concept = ()
    if "number" in asks and (how_many := _ASKED_COUNT.search(text)) is not None:
        counter = how_many.group("counter")
        counted = _COUNTERS.get(counter) or _thing_before(read, how_many.start())
    return KoreanQuery(tuple(concepts), tuple(latin), unknown, frozenset(asks), thing, counted)


def _thing_before(read: list[tuple[int, tuple[_Concept, ...] | None]], at: int) -> _Concept:
    """The concept of the word a name is asked of: the nearest content word before `at`
    ("필리핀 기지 (네 곳) 이름" -> the bases), past function words and a count; () when
    that word is one the glossary does not know, or there is none near."""
    before = [named for start, named in read if start < at]
    for named in reversed(before[-1 - _THING_REACH :]):
        if named is None:
            return ()
        if named:
            return named[-1]
    return ()


def asks_outright(text: str) -> bool:
    """A '?' or a question word: a question, not only a sentence ending like one."""
    return "?" in text or "？" in text or _QUESTION_WORD.search(text) is not None


def is_korean_question(text: str) -> bool:
    """The chat gate for Korean: a question ending, a question word or a '?'."""
    return bool(_QUESTION_ENDING.search(text) or _QUESTION_WORD.search(text))
