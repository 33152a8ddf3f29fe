"""Which messages get emergency signposting at once, in each of the four languages."""

import pytest

from domain.safety import Emergency, detect_emergency

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
