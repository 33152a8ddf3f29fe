"""Search over the parent library: what a parent types, typos and all, to the best few articles.

Built once at start-up: an inverted index per locale (term -> articles) plus a trigram index
over the vocabulary, so a query touches only the terms it resembles, never the article bodies.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from locales.text_folding import ARABIC_DIGITS, LETTER_VARIANTS, without_marks
from resources.library import Article, Audience, Library, plain_text

__all__ = ["MIN_SCORE", "LibrarySearch", "SearchHit", "fold", "terms", "words"]

# Below this a hit is noise (a stray fuzzy match on a body word), so nonsense finds nothing.
MIN_SCORE = 1.5
# Hits scoring under this share of the best one are not worth a parent's time.
RELATIVE_CUTOFF = 0.25
# An article written for another audience (a dads' article for a mum) counts this share of its
# score when ranking: it needs to be well over twice as relevant to come first.
OTHER_AUDIENCE_FACTOR = 0.4
FALLBACK_LOCALE = "en"

# How much a term counts where it appears: title and keywords are what the article is about.
TITLE_WEIGHT = 3.0
KEYWORD_WEIGHT = 3.0
SUMMARY_WEIGHT = 1.5
BODY_WEIGHT = 1.0
# The whole query is one of the article's keywords ("cot death"): the strongest signal there is,
# a little stronger still if the words are the very same, not just the same stems.
EXACT_KEYWORD_BONUS = 4.0
LITERAL_KEYWORD_BONUS = 2.0
# A keyword of two or more words all appears in the query.
KEYWORD_PHRASE_BONUS = 3.0
# BM25F constants: saturation, and length normalisation of the body, so a long article
# does not win on length alone.
BM25_K1 = 4.0
BM25_B = 0.75
# A fuzzy match (typo, other word form) must be at least this similar, and counts a bit less.
# Words the articles use, and very short words, only match their close forms.
MIN_SIMILARITY = 0.6
MIN_SIMILARITY_KNOWN = 0.8
FUZZY_DISCOUNT = 0.85
# Close enough to count towards a keyword phrase ("cot deth" still says "cot death").
STRONG_SIMILARITY = 0.75


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result: the article to offer and how well it matched (higher is better)."""

    article_id: str
    score: float


# --- turning text into terms -----------------------------------------------------------------

# Besides the shared folds: letters no decomposition takes apart, and Arabic alef wasla.
_FOLD_TABLE = (
    ARABIC_DIGITS
    | LETTER_VARIANTS
    | str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ٱ": "ا"})
)
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents, so "Zęby", "zeby" and "ZĘBY" meet.

    Decomposing also strips Arabic tashkeel and the hamza from أ إ آ ؤ ئ, which unifies the
    alef forms the way most people type Arabic on a phone.
    """
    return without_marks(text.casefold().translate(_FOLD_TABLE))


def _fold_all(words: str) -> frozenset[str]:
    return frozenset(fold(word) for word in words.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _fold_all(
        """a an the and or but of to in on for with at by from into about as is are was were be
        been am do does did doing have has had i me my mine we us our you your he him his she her
        it its they them their this that these those what when where which who whom why how much
        many can could should would will shall may might must get gets got getting if so not no
        there here than then just some any very too also s t ll ve re d m please"""
    ),
    "pl": _fold_all(
        """i a w we z ze na do o od po za dla przy przez pod nad jak jaki jaka jakie jakiego kiedy
        co czy to ten ta te tego tej się nie jest są być był była mój moja moje mojego mojej mi
        mnie ja ty on ona ono my wy oni ich jego jej ile gdzie dlaczego czemu że ale lub albo by
        już jeszcze tak też mu go ma mam można trzeba proszę"""
    ),
    "pt": _fold_all(
        """a o as os um uma uns umas de do da dos das em no na nos nas num numa para pra por pelo
        pela com sem e ou que como quando quanto quanta onde porque porquê qual quais meu minha
        meus minhas seu sua seus suas ele ela eles elas eu tu voce você é e são ser estar está
        esta este isto isso não se ao aos à às mais muito tem ter há já também me mim lhe"""
    ),
    "ar": _fold_all(
        """في من على إلى الى عن ما ماذا متى كيف هل هو هي أنا انا نحن أنت انت لا لم لن أن إن ان
        مع كم هذا هذه ذلك تلك التي الذي الذين يا لماذا أين اين أو او ثم قد كل عند بعد قبل"""
    ),
}

_SUFFIXES: dict[str, tuple[str, ...]] = {
    # Longest first; folded (no accents), as they are matched after folding.
    "pl": (
        "ami",
        "ach",
        "owi",
        "ego",
        "emu",
        "iem",
        "ow",
        "om",
        "em",
        "ie",
        "ia",
        "ii",
        "y",
        "i",
        "a",
        "e",
        "u",
        "o",
    ),
    "pt": ("acoes", "acao", "mente", "ar", "er", "ir", "os", "as", "es", "s", "o", "a", "e"),
    "ar": ("ات", "ون", "ين", "ان", "ها", "هم", "كم", "ه"),
}
_POLISH_NASAL = re.compile(r"ą(?=\w)")
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")


def _stem(word: str, locale: str) -> str:
    """A light stem, so "teething" meets "teeth", "zębów" meets "zęby", "amamentar" meets
    "amamentação" and "تطعيمات" meets "تطعيم". Deliberately crude: the fuzzy matching on top
    forgives what it gets wrong."""
    if word.isdigit():
        return word
    if locale == "en":
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
        for ending in ("ing", "ed"):
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                word = word[: -len(ending)]
                break
        if word.endswith("e") and len(word) > 4:
            word = word[:-1]
        return word
    if locale == "ar":
        for prefix in _ARABIC_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                word = word[len(prefix) :]
                break
    for suffix in _SUFFIXES.get(locale, ()):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if locale == "pl" and word.endswith("k") and len(word) > 4:
        # Diminutives: ząbki/ząb, dziecko/dzieci, szczepionka/szczepion-.
        word = word[:-1]
    return word


def words(text: str, locale: str) -> list[str]:
    """The words of ``text`` that carry meaning: folded, stop words and single letters dropped."""
    # Parents mix in English ("MMR jab", "baby blues"), so English stop words go everywhere.
    stop = STOP_WORDS.get(locale, frozenset()) | STOP_WORDS["en"]
    if locale == "pl":
        # Polish swaps ą and ę inside a stem (ząb/zęby, ręka/rąk): let them meet.
        text = _POLISH_NASAL.sub("ę", text.casefold())
    return [
        word
        for word in _WORD.findall(fold(text).replace("_", " "))
        if len(word) > 1 and word not in stop
    ]


def terms(text: str, locale: str) -> list[str]:
    """The search terms in ``text``: its meaningful words, stemmed."""
    return [_stem(word, locale) for word in words(text, locale)]


def _trigrams(term: str) -> set[str]:
    padded = f"  {term} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _similarity(
    query: str, term: str, query_grams: set[str], shared: int, *, known: bool = False
) -> float:
    """How alike two terms are: the best of trigram overlap (Dice), edit distance (for a
    swapped or dropped letter in a short word) and prefix (for a word cut short).

    With ``known`` set the query is a word the articles use, so a changed first letter makes
    another word ("mental" is not "dental"), not a slip ("ween" is still "wean").
    """
    dice = 2 * shared / (len(query_grams) + len(term) + 1)
    shorter, longer = sorted((query, term), key=len)
    if len(shorter) >= 4 and longer.startswith(shorter):
        return max(dice, len(shorter) / len(longer))
    if dice >= MIN_SIMILARITY or shared < 2 or len(longer) - len(shorter) > 2:
        return dice
    if known and query[0] != term[0]:
        return dice
    # One slip in any word; two only in a long one ("colick" is not "folic").
    distance = _edit_distance(query, term)
    if distance == 1 or (distance == 2 and len(longer) >= 7):
        return max(dice, 1 - distance / len(longer))
    return dice


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, changes, swapped neighbours."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


# --- the index -------------------------------------------------------------------------------


class _FlatLists:
    """Many short lists kept as one flat array: the key's number and its span in that array.

    A library in four languages has about 29,000 postings and 49,000 trigram entries; as
    Python lists of tuples they took 5 MiB of a process that must stay small
    (bench/memory.py), as flat arrays a tenth of that.
    """

    __slots__ = ("_keys", "_numbers", "_starts")

    def __init__(self, lists: dict[str, list[Any]]) -> None:
        self._keys = list(lists)
        self._numbers = {key: number for number, key in enumerate(self._keys)}
        self._starts = array("I", [0])
        for key in self._keys:
            self._starts.append(self._starts[-1] + len(lists[key]))

    def __contains__(self, key: str) -> bool:
        return key in self._numbers

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, number: int) -> str:
        return self._keys[number]

    def span(self, key: str) -> slice:
        """Where ``key``'s list lies in the flat array; empty for a key not held."""
        number = self._numbers.get(key)
        if number is None:
            return slice(0, 0)
        return slice(self._starts[number], self._starts[number + 1])


class _LocaleIndex:
    """The inverted index of one locale's articles."""

    __slots__ = (
        "article_ids",
        "audiences",
        "docs",
        "exact_keywords",
        "gram_terms",
        "grams",
        "literal_keywords",
        "locale",
        "phrases",
        "terms",
        "weights",
    )

    def __init__(self, articles: list[Article], locale: str) -> None:
        self.locale = locale
        self.article_ids = [a.id for a in articles]
        self.audiences = [a.audience for a in articles]
        fields: list[dict[str, Counter[str]]] = []
        self.exact_keywords: dict[tuple[str, ...], set[int]] = defaultdict(set)
        self.literal_keywords: dict[tuple[str, ...], set[int]] = defaultdict(set)
        # term -> (article, keyword phrase) for each keyword of two or more terms
        self.phrases: dict[str, list[tuple[int, frozenset[str]]]] = defaultdict(list)
        for doc, article in enumerate(articles):
            keyword_terms: Counter[str] = Counter()
            for keyword in article.keywords:
                phrase = terms(keyword, locale)
                if not phrase:
                    continue
                phrase_terms = frozenset(phrase)
                keyword_terms.update(phrase_terms)
                self.exact_keywords[tuple(sorted(phrase_terms))].add(doc)
                self.literal_keywords[tuple(words(keyword, locale))].add(doc)
                if len(phrase_terms) > 1:
                    entry = (doc, phrase_terms)
                    for term in phrase_terms:
                        self.phrases[term].append(entry)
            fields.append(
                {
                    "title": Counter(terms(article.title, locale)),
                    "keywords": keyword_terms,
                    "summary": Counter(terms(article.summary, locale)),
                    "body": Counter(terms(plain_text(article), locale)),
                }
            )

        count = len(articles)
        average_body = sum(sum(f["body"].values()) for f in fields) / max(count, 1)
        document_frequency: Counter[str] = Counter()
        for f in fields:
            document_frequency.update(set().union(*(f[name] for name in f)))
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc, f in enumerate(fields):
            body_length = sum(f["body"].values())
            for term in set().union(*(f[name] for name in f)):
                df = document_frequency[term]
                idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
                # BM25F: field counts weighted and summed first, then saturated once, so
                # a term all over an article beats one in its title alone, but not by much.
                body_norm = 1 - BM25_B + BM25_B * body_length / average_body
                tf = (
                    TITLE_WEIGHT * f["title"][term]
                    + KEYWORD_WEIGHT * f["keywords"][term]
                    + SUMMARY_WEIGHT * f["summary"][term]
                    + BODY_WEIGHT * f["body"][term] / body_norm
                )
                weight = tf * (BM25_K1 + 1) / (tf + BM25_K1)
                postings[term].append((doc, idf * weight))
        self.terms = _FlatLists(postings)
        self.docs = array("H", (doc for term in self.terms for doc, _ in postings[term]))
        self.weights = array("d", (weight for term in self.terms for _, weight in postings[term]))
        grams: dict[str, list[int]] = defaultdict(list)
        for number, term in enumerate(self.terms):
            for gram in _trigrams(term):
                grams[gram].append(number)
        self.grams = _FlatLists(grams)
        self.gram_terms = array("H", (number for gram in self.grams for number in grams[gram]))

    def postings(self, term: str) -> zip[tuple[int, float]]:
        """(article, weight) for each article that holds ``term``."""
        span = self.terms.span(term)
        return zip(self.docs[span], self.weights[span], strict=True)

    def similar_terms(self, query: str) -> dict[str, float]:
        """Indexed terms like ``query`` with their similarity: itself 1.0, typos and forms less."""
        found: dict[str, float] = {}
        if query in self.terms:
            found[query] = 1.0
        query_grams = _trigrams(query)
        overlaps: Counter[int] = Counter()
        for gram in query_grams:
            overlaps.update(self.gram_terms[self.grams.span(gram)])
        shared = {self.terms.key(number): overlap for number, overlap in overlaps.items()}
        # A word the articles use is taken as meant, with only its near forms; a word they
        # never use is probably a typo, so cast the net wider.
        threshold = MIN_SIMILARITY_KNOWN if found or len(query) <= 3 else MIN_SIMILARITY
        for term, overlap in shared.items():
            if term == query:
                continue
            similarity = _similarity(query, term, query_grams, overlap, known=bool(found))
            if similarity >= threshold:
                found[term] = similarity
        return found

    def audience_weight(self, doc: int, audiences: Collection[Audience] | None) -> float:
        """1 for an article written for one of ``audiences`` (or for anyone, if None), and
        OTHER_AUDIENCE_FACTOR for one written for someone else."""
        if audiences is None or self.audiences[doc] in audiences:
            return 1.0
        return OTHER_AUDIENCE_FACTOR

    def score(self, query: str) -> dict[int, float]:
        """Articles matching ``query``, with scores; empty if nothing matches at all."""
        query_terms = list(dict.fromkeys(terms(query, self.locale)))
        if not query_terms:
            return {}
        scores: dict[int, float] = defaultdict(float)
        matched: dict[str, float] = {}
        for query_term in query_terms:
            best: dict[int, float] = {}
            for term, similarity in self.similar_terms(query_term).items():
                matched[term] = max(matched.get(term, 0.0), similarity)
                # Squared, so the closest reading of a typo clearly beats a looser one.
                factor = 1.0 if similarity == 1.0 else similarity**2 * FUZZY_DISCOUNT
                for doc, weight in self.postings(term):
                    value = factor * weight
                    if value > best.get(doc, 0.0):
                        best[doc] = value
            for doc, value in best.items():
                scores[doc] += value
        strong = {term for term, similarity in matched.items() if similarity >= STRONG_SIMILARITY}
        for doc in self.exact_keywords.get(tuple(sorted(set(query_terms))), ()):
            scores[doc] += EXACT_KEYWORD_BONUS
        for doc in self.literal_keywords.get(tuple(words(query, self.locale)), ()):
            scores[doc] += LITERAL_KEYWORD_BONUS
        rewarded: set[tuple[int, frozenset[str]]] = set()
        for term in strong:
            for doc, phrase in self.phrases.get(term, ()):
                if (doc, phrase) not in rewarded and phrase <= strong:
                    rewarded.add((doc, phrase))
                    scores[doc] += KEYWORD_PHRASE_BONUS
        return scores


class LibrarySearch:
    """Search the library in a family's locale; build once at start-up, then query freely.

    ``search`` is tolerant of typos, case, missing accents and word forms, ignores stop words,
    and falls back to English keywords when the family's language finds nothing (parents
    often type "SIDS" or "MMR" whatever language they read in).
    """

    __slots__ = ("_indexes", "_library")

    def __init__(self, library: Library) -> None:
        self._library = library
        self._indexes = {
            locale: _LocaleIndex(library.articles(locale), locale) for locale in library.locales
        }

    def search(
        self,
        query: str,
        locale: str,
        limit: int = 5,
        *,
        audiences: Collection[Audience] | None = None,
    ) -> list[SearchHit]:
        """The best matches for ``query`` in ``locale``, best first; [] if nothing fits well.

        ``audiences`` are those whose articles speak to the family (see
        ``family_audiences``): an article for another audience ranks lower, but is still found
        when it is the only good match. None ranks on relevance alone.
        """
        locale = self._library.locale_for(locale)
        hits = self._ranked(self._indexes[locale], query, audiences)
        if not hits and locale != FALLBACK_LOCALE and FALLBACK_LOCALE in self._indexes:
            hits = self._ranked(self._indexes[FALLBACK_LOCALE], query, audiences)
        return hits[:limit]

    @staticmethod
    def _ranked(
        index: _LocaleIndex, query: str, audiences: Collection[Audience] | None
    ) -> list[SearchHit]:
        scores = index.score(query)
        if not scores:
            return []
        top = max(scores.values())
        floor = max(MIN_SCORE, top * RELATIVE_CUTOFF)
        # Relevance alone decides what is found; the audience then decides the order.
        ranked = sorted(
            (
                (doc, score * index.audience_weight(doc, audiences))
                for doc, score in scores.items()
                if score >= floor
            ),
            key=lambda item: (-item[1], item[0]),
        )
        return [SearchHit(index.article_ids[doc], round(score, 3)) for doc, score in ranked]

    def __repr__(self) -> str:
        return f"LibrarySearch({len(self._library)} articles, locales={self._library.locales})"
