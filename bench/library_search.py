"""How fast the parent library loads, indexes and answers searches, per locale.

Run with `python bench/library_search.py`. Prints the load and index build times, then mean,
p50 and p99 milliseconds per search over a few hundred realistic queries (typos included).
"""

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resources.library import load_library
from resources.library_search import LibrarySearch

# What parents type, with the misspellings they make; ~25 per locale, repeated with variations.
QUERIES = {
    "en": [
        "cot death", "SIDS", "teething", "teethng", "baby wont stop crying", "how much vitamin d",
        "when does he get his jabs", "jabbs", "weening", "starting solids", "formula milk",
        "breastfeding", "sore nipples", "postnatel depresion", "baby blues", "is my baby too hot",
        "car seat how long", "sling safety", "co sleeping", "fell asleep on sofa", "dummy",
        "healthy start card", "free dentist", "2 year check", "MMRV chickenpox", "crying colic",
    ],
    "pl": [
        "zęby", "zeby", "ząbkowanie", "szczepienia", "szczepionki dla dziecka", "szczepionka mmrv",
        "karmienie piersią", "karmienie piersia", "mleko modyfikowane", "rozszerzanie diety",
        "witamina d", "kolka", "płacz dziecka", "placz", "śmierć łóżeczkowa", "smierc lozeczkowa",
        "fotelik samochodowy", "chusta", "depresja poporodowa", "baby blues", "smoczek",
        "darmowy dentysta", "bilans 2 lata", "gorączka", "upał", "tata",
    ],
    "pt": [
        "amamentação", "amamentacao", "amamentar", "vacinas bebé", "vacinas bebe", "vacina",
        "dentes", "dentição", "leite em pó", "introdução alimentar", "vitamina d", "cólicas",
        "choro", "bebé não para de chorar", "morte súbita", "morte subita", "cadeirinha",
        "sling", "depressão pós-parto", "depresao pos parto", "chupeta", "dentista gratis",
        "febre", "calor", "pai", "sono seguro",
    ],
    "ar": [
        "الرضاعة", "الرضاعه", "رضاعة طبيعية", "تطعيم", "تطعيمات الطفل", "التطعيمات", "لقاح",
        "الأسنان", "الاسنان", "التسنين", "حليب صناعي", "فيتامين د", "بكاء",
        "الطفل لا يتوقف عن البكاء",
        "موت المهد", "مقعد السيارة", "اكتئاب ما بعد الولادة", "اكتئاب", "اللهاية", "طبيب الأسنان",
        "حمى", "الحر", "الأب", "النوم الآمن", "نوم الطفل", "مغص",
    ],
}  # fmt: skip
PER_LOCALE = 300


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def variations(queries: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` queries: the list, then copies with case changed or one letter dropped."""
    result = list(queries)
    while len(result) < count:
        query = rng.choice(queries)
        if rng.random() < 0.5:
            query = query.upper() if rng.random() < 0.5 else query.capitalize()
        elif len(query) > 4:
            cut = rng.randrange(1, len(query) - 1)
            query = query[:cut] + query[cut + 1 :]
        result.append(query)
    return result


def main() -> None:
    started = time.perf_counter()
    library = load_library()
    loaded = time.perf_counter()
    search = LibrarySearch(library)
    built = time.perf_counter()
    print(f"library: {len(library)} articles x {len(library.locales)} locales")
    print(f"load:  {(loaded - started) * 1000:7.1f} ms")
    print(f"index: {(built - loaded) * 1000:7.1f} ms")
    rng = random.Random(7)
    print(f"{'locale':6} {'queries':>7} {'mean ms':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'no hit':>6}")  # fmt: skip
    for locale, queries in QUERIES.items():
        timings: list[float] = []
        empty = 0
        for query in variations(queries, PER_LOCALE, rng):
            start = time.perf_counter()
            hits = search.search(query, locale)
            timings.append((time.perf_counter() - start) * 1000)
            empty += not hits
        print(
            f"{locale:6} {len(timings):7} {statistics.fmean(timings):8.3f} "
            f"{percentile(timings, 0.5):7.3f} {percentile(timings, 0.99):7.3f} "
            f"{max(timings):7.3f} {empty:6}"
        )


if __name__ == "__main__":
    main()
