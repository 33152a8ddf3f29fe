"""Which messages get emergency signposting at once, in each of the four languages."""

import pytest

from domain.safety import Assessment, Emergency, assess, detect_emergency

BABY = Emergency.BABY_UNWELL
SELF = Emergency.SELF_HARM
ABUSE = Emergency.ABUSE

ENGLISH_EMERGENCIES = [
    ("My baby is not breathing", BABY),
    ("help he isnt breathing!!", BABY),
    ("baby not breething properly", BABY),
    ("She stopped breathing for a few seconds", BABY),
    ("he's struggling to breathe and grunting", BABY),
    ("her lips are blue", BABY),
    ("he's turned grey and floppy", BABY),
    ("baby gone all floppy", BABY),
    ("my son is unresponsve", BABY),
    ("I can't wake him up", BABY),
    ("she won't wake up", BABY),
    ("I think he is having a seizure", BABY),
    ("baby fitting, what do I do", BABY),
    ("I've been having thoughts of suicide", SELF),
    ("feeling sucidal tonight", SELF),
    ("I want to die", SELF),
    ("i just want to kil myself", SELF),
    ("I want to end my life", SELF),
    ("I've started to selfharm again", SELF),
    ("I keep wanting to hurt myself", SELF),
    ("I'm scared I will hurt my baby", SELF),
    ("everyone would be better off without me", SELF),
    ("My partner hits me", ABUSE),
    ("my husband beat me last night", ABUSE),
    ("he threatened to kill me", ABUSE),
    ("I'm being hurt at home", ABUSE),
    ("I think this is domestic abuse", ABUSE),
    ("I'm scared of my partner", ABUSE),
]

POLISH_EMERGENCIES = [
    ("dziecko nie oddycha", BABY),
    ("nieoddycha pomocy", BABY),
    ("Mały przestał oddychać", BABY),
    ("synek ma trudności z oddychaniem", BABY),
    ("zsiniał", BABY),
    ("córka zsinial na twarzy", BABY),
    ("ma sine usta", BABY),
    ("jest wiotki i blady", BABY),
    ("nie reaguje na nic", BABY),
    ("nie mogę go obudzić", BABY),
    ("ma drgawki", BABY),
    ("chcę umrzeć", SELF),
    ("chce umrzec", SELF),
    ("myślę o samobójstwie", SELF),
    ("mam myśli samobójcze", SELF),
    ("chcę się zabić", SELF),
    ("nie chce mi się żyć", SELF),
    ("boję się, że skrzywdzę dziecko", SELF),
    ("mąż mnie bije", ABUSE),
    ("maz mnie bije", ABUSE),
    ("partner mi grozi i mnie popycha", ABUSE),
    ("doświadczam przemocy domowej", ABUSE),
    ("boję się męża", ABUSE),
    ("nie czuję się bezpiecznie w domu", ABUSE),
]

PORTUGUESE_EMERGENCIES = [
    ("meu bebê não está respirando", BABY),
    ("nao esta respirando", BABY),
    ("ele não respira", BABY),
    ("o bebe parou de respirar", BABY),
    ("ela está com dificuldade para respirar", BABY),
    ("ficou roxo", BABY),
    ("lábios azuis", BABY),
    ("a boca ficou roxinha", BABY),
    ("ele está molinho", BABY),
    ("meu filho não reage", BABY),
    ("teve uma convulsão", BABY),
    ("convulsao agora", BABY),
    ("ela não acorda", BABY),
    ("não consigo acordar ele", BABY),
    ("quero morrer", SELF),
    ("vou me matar", SELF),
    ("penso em suicídio todos os dias", SELF),
    ("não quero mais viver", SELF),
    ("tenho vontade de me machucar", SELF),
    ("tenho medo de machucar o bebê", SELF),
    ("meu marido me bate", ABUSE),
    ("o meu companheiro bate-me", ABUSE),
    ("sofro violência doméstica", ABUSE),
    ("meu namorado me ameaçou", ABUSE),
    ("estou sendo agredida em casa", ABUSE),
    ("tenho medo do meu marido", ABUSE),
]

ARABIC_EMERGENCIES = [
    ("طفلي لا يتنفس", BABY),
    ("ما يتنفس", BABY),
    ("ابني مش بيتنفس", BABY),
    ("البيبي توقف عن التنفس", BABY),
    ("عنده صعوبة في التنفس", BABY),
    ("ازرق", BABY),
    ("صار لونه أزرق", BABY),
    ("شفايفه زرقا", BABY),
    ("جسمه مرتخي", BABY),
    ("لا يستجيب", BABY),
    ("ما اقدر اصحيه", BABY),
    ("عنده تشنجات", BABY),
    ("تشنّج", BABY),
    ("اريد ان اموت", SELF),
    ("بدي موت", SELF),
    ("أفكر في الانتحار", SELF),
    ("انتحار", SELF),
    ("بدي اقتل نفسي", SELF),
    ("لا أريد أن أعيش", SELF),
    ("اخاف اؤذي طفلي", SELF),
    ("زوجي يضربني", ABUSE),
    ("جوزي بيضربني كل يوم", ABUSE),
    ("زوجي يهددني", ABUSE),
    ("أتعرض للعنف الأسري", ABUSE),
    ("خايفة من زوجي", ABUSE),
    ("مش آمنة في البيت", ABUSE),
]


@pytest.mark.parametrize(
    ("message", "expected"),
    ENGLISH_EMERGENCIES + POLISH_EMERGENCIES + PORTUGUESE_EMERGENCIES + ARABIC_EMERGENCIES,
)
def test_emergency_message_is_recognised(message: str, expected: Emergency) -> None:
    assert detect_emergency(message) is expected


ENGLISH_ORDINARY = [
    "my baby's eyes are blue",
    "how do I help him breathe with a blocked nose?",
    "he can't breathe through his nose when he has a cold",
    "when is the 8 week jab",
    "I'm tired",
    "she fell asleep on my chest",
    "he is sitting up now!",
    "his poo is a bit sloppy",
    "how do I get help fitting the car seat?",
    "my toddler hits me when he's angry",
    "she won't wake up at night any more, is that ok?",
    "baby kicks me all night",
    "I keep putting myself last",
    "my partner picked me up from the hospital",
    "the jab will hurt my baby a bit won't it?",
    "how do I cut his nails without hurting him?",
    "his head is floppy when I lift him",
    "she has blue spots on her bottom",
    "she's not responding to her name yet",
    "I feel like I'm harming my baby by giving formula",
]
POLISH_ORDINARY = [
    "zęby",
    "kiedy szczepienie?",
    "dziecko ma katar i nie może oddychać przez nos",
    "moja ciotka przyjeżdża w sobotę",
    "nie budzi się w nocy, czy to normalne?",
    "kocyk jest niebieski",
    "ma niebieskie oczy",
    "mąż pomaga przy kąpieli",
    "synek kopie w brzuchu",
    "jestem zmęczona",
    "jak karmić piersią?",
    "moje dziecko bije mnie, kiedy jest złe",
    "nie odpycha butelki",
    "mąż posiwiał",
    "nie reaguje na swoje imię",
    "nie mogę się obudzić rano",
]
PORTUGUESE_ORDINARY = [
    "amamentação",
    "vacina",
    "quando é a próxima vacina?",
    "o cocô dele está mole",
    "o pescoço dele ainda é molinho",
    "quero correr de novo depois do parto",
    "ele quer morder tudo, são os dentes?",
    "ela desmamou ontem",
    "fiquei espantada com o tamanho dele",
    "ele não acorda de noite, é normal?",
    "ela tem olhos azuis",
    "meu marido me ajuda muito",
    "comprei um bolinho",
    "o nariz está entupido e não consegue respirar pelo nariz",
    "meu filho me bate quando fica bravo",
    "a clínica não responde minhas mensagens",
]
ARABIC_ORDINARY = [
    "تسنين",
    "متى التطعيم القادم؟",
    "عيون طفلي زرقاء",
    "لبسته ازرق اليوم",
    "ما ينام بالليل",
    "انا تعبانة",
    "نامت على صدري",
    "ابني يضربني لما يزعل",
    "زوجي يساعدني كثيرا",
    "فترة انتظار طويلة في العيادة",
    "انتظرت ساعة",
    "انفه مسدود ولا يتنفس من انفه جيدا",
    "عنده مغص وتشنجات في البطن",
    "ما يصحى بالليل للرضاعة",
    "كيف ارضع طفلي؟",
    "لا يستجيب لاسمه",
]

# A long, everyday message in each language, as a parent might paste a day's worries.
LONG_ORDINARY = [
    "My baby is six weeks old and feeds every two hours at night. When is the 8 week jab? "
    "Her eyes are blue and she smiles at her dad. ",
    "Moja córeczka ma sześć tygodni i budzi się co dwie godziny. Kiedy jest szczepienie? "
    "Ma niebieskie oczy i uśmiecha się do taty. ",
    "Minha bebê tem seis semanas e mama de duas em duas horas. Quando é a vacina? "
    "Ela tem olhos azuis e sorri para o pai. ",
    "عمر طفلتي ستة اسابيع وترضع كل ساعتين. متى التطعيم؟ عيونها زرقاء وتبتسم لابوها. ",
]


@pytest.mark.parametrize(
    "message", ENGLISH_ORDINARY + POLISH_ORDINARY + PORTUGUESE_ORDINARY + ARABIC_ORDINARY
)
def test_ordinary_parent_message_gets_no_signposting(message: str) -> None:
    assert detect_emergency(message) is None


@pytest.mark.parametrize("paragraph", LONG_ORDINARY)
def test_long_ordinary_message_gets_no_signposting(paragraph: str) -> None:
    message = (paragraph * 100)[:5_000]
    assert len(message) == 5_000
    assert detect_emergency(message) is None


@pytest.mark.parametrize("paragraph", LONG_ORDINARY)
def test_emergency_at_the_end_of_a_long_message_is_found(paragraph: str) -> None:
    message = (paragraph * 100)[:4_900] + " and now he is not breathing"
    assert detect_emergency(message) is BABY


@pytest.mark.parametrize(
    "message",
    [
        "MY BABY IS NOT BREATHING!!!",
        "my   baby\nis not\tbreathing",
        "my baby isn’t breathing",
        "أُرِيدُ أَنْ أَمُوتَ",  # full tashkeel
        "لا يتنفّـــس",  # shadda and tatweel
        "CHCĘ UMRZEĆ",
        "NÃO ESTÁ RESPIRANDO",
    ],
)
def test_case_spacing_and_diacritics_do_not_hide_an_emergency(message: str) -> None:
    assert detect_emergency(message) is not None


def test_a_baby_in_danger_outranks_other_emergencies() -> None:
    assert detect_emergency("my husband hits me and now the baby is not breathing") is BABY
    assert detect_emergency("my husband hits me and I want to die") is SELF


@pytest.mark.parametrize("message", ["", "   ", "👍", "😭😭😭", "?"])
def test_empty_and_emoji_messages_get_no_signposting(message: str) -> None:
    assert detect_emergency(message) is None


# The messages a tester found missed, wrongly answered or wrongly alarmed (issue 7).
@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("baby stoped breathing", BABY),
        ("baby swallowed a button battery", Emergency.SWALLOWED_BATTERY),
        ("my baby has a rash that doesnt fade under a glass", BABY),
        ("I took too many tablets", SELF),
        ("dziecko się dusi", Emergency.CHOKING),
        ("o bebé está a sufocar", Emergency.CHOKING),
        ("my baby is blue", BABY),
        ("he swallowed a battery", Emergency.SWALLOWED_BATTERY),
        ("he hits me", ABUSE),
        ("o bebé está roxo", BABY),
        ("my 5 week old has a temperature of 38.4", Emergency.YOUNG_BABY_FEVER),
        ("she drank some bleach", Emergency.POISONING),
        ("he fell down the stairs and now he keeps being sick", Emergency.INJURY),
        ("I shook my baby because he would not stop crying", Emergency.SHAKEN_BABY),
    ],
)
def test_messages_the_old_detector_missed_get_the_reply_for_their_kind(
    message: str, expected: Emergency
) -> None:
    assert detect_emergency(message) is expected


@pytest.mark.parametrize(
    "message",
    [
        "what are the signs of a seizure in a baby?",
        "signs of meningitis?",
        "how do I know if my baby is choking",
        "what should I do if my baby has a fit",
    ],
)
def test_a_question_about_a_red_flag_gets_the_softer_line_not_the_alarm(message: str) -> None:
    assert assess(message) == Assessment(emergency=None, red_flag=True)


@pytest.mark.parametrize(
    "message",
    [
        "I'm terrified of my mother in law's visit lol",
        "my baby blues are getting better",
        "her eyes are blue",
        "when is the 1 year review",
    ],
)
def test_everyday_talk_that_once_raised_the_alarm_no_longer_does(message: str) -> None:
    assert assess(message).emergency is None


def test_a_question_in_one_sentence_does_not_hide_an_emergency_in_the_next() -> None:
    assert detect_emergency("what are the signs of a seizure? he is fitting now") is BABY


def test_a_swallowed_battery_is_an_emergency_even_when_asked_as_a_question() -> None:
    assert detect_emergency("what do I do if he swallowed a battery") is (
        Emergency.SWALLOWED_BATTERY
    )


def test_a_question_after_the_emergency_in_the_same_sentence_does_not_soften_it() -> None:
    assert detect_emergency("he's fitting, could it cause brain damage") is BABY
    assert assess("could it cause brain damage if he is fitting") == Assessment(None, True)
