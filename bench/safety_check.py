"""How long the emergency check takes per message: mean and p99 microseconds, short and long.

Run with `python bench/safety_check.py`. The bot runs the check on every text message.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.safety import EmergencyDetector
from resources.safety_rules import load_safety_rules
from tests.domain.safety_corpus import LANGUAGES, load_corpus

ORDINARY = {
    "en": "My baby is six weeks old and she feeds every two hours at night. When is the 8 week "
    "jab and should I give her paracetamol after it? Her eyes are blue and she smiles a lot. ",
    "pl": "Moja córeczka ma sześć tygodni i budzi się co dwie godziny w nocy. Kiedy jest "
    "szczepienie i czy mogę dać paracetamol? Ma niebieskie oczy i dużo się uśmiecha. ",
    "pt": "Minha bebê tem seis semanas e mama de duas em duas horas à noite. Quando é a vacina "
    "das oito semanas e posso dar paracetamol depois? Ela tem olhos azuis e sorri muito. ",
    "ar": "عمر طفلتي ستة اسابيع وترضع كل ساعتين في الليل. متى تطعيم الاسبوع الثامن وهل "
    "اعطيها باراسيتامول بعده؟ عيونها زرقاء وتبتسم كثيرا. ",
}
SHORT = ["when is the jab", "zęby", "amamentação", "تسنين", "my baby is not breathing"]
RUNS = 2_000
RULES = load_safety_rules()


def measure(messages: list[str], *, warm: bool) -> list[float]:
    """Microseconds per check; `warm` keeps the per-word cache from earlier messages."""
    detector = EmergencyDetector(RULES)
    timings = []
    for i in range(RUNS):
        if not warm:
            detector._canonical.cache_clear()  # what a word never seen before costs
        message = messages[i % len(messages)]
        start = time.perf_counter()
        detector.assess(message)
        timings.append((time.perf_counter() - start) * 1e6)
    return timings


def report(name: str, timings: list[float]) -> None:
    p99 = statistics.quantiles(timings, n=100)[98]
    print(f"{name:<34} mean {statistics.fmean(timings):8.1f} us   p99 {p99:8.1f} us")


def main() -> None:
    long_messages = [(text * 40)[:5_000] for text in ORDINARY.values()]
    buried = [message[:4_950] + " I want to die" for message in long_messages]
    corpus = [
        text
        for language in LANGUAGES
        for c in (load_corpus(language),)
        for text in [*(t for t, _ in c.emergencies), *c.questions, *c.everyday]
    ]
    print(f"{RUNS} checks each; long messages are 5,000 characters")
    report(f"typical: the corpus, {len(corpus)} msgs (warm)", measure(corpus, warm=True))
    for warm in (True, False):
        cache = "warm word cache" if warm else "cold word cache"
        report(f"short ({cache})", measure(SHORT, warm=warm))
        report(f"long ordinary ({cache})", measure(long_messages, warm=warm))
        report(f"long, emergency at end ({cache})", measure(buried, warm=warm))


if __name__ == "__main__":
    main()
