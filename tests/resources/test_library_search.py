"""Library search: what parents type, in all four languages, typos too, finds the right one."""

from __future__ import annotations

import pytest

from locales import SUPPORTED_LOCALES
from resources.library import Audience, family_audiences, load_library
from resources.library_search import LibrarySearch, fold, terms

IMMUNISATIONS = {"immunisations-schedule", "immunisations-why"}
LIBRARY = load_library()
FOR_FATHERS = {a.id for a in LIBRARY.articles("en") if a.audience is Audience.FATHERS}
MUMS_AND_CARERS = ["mum", "carer"]
DADS_AND_PARTNERS = ["dad", "partner"]
# What each family types, in its language; the bot favours the articles for its role.
FAMILY_QUESTIONS = [
    ("mental health", "en"),
    ("zdrowie psychiczne", "pl"),
    ("saúde mental", "pt"),
    ("الصحة النفسية", "ar"),
    ("sleep", "en"),
    ("sen", "pl"),
    ("sono", "pt"),
    ("نوم", "ar"),
    ("crying", "en"),
    ("płacz", "pl"),
    ("choro", "pt"),
    ("بكاء", "ar"),
    ("postnatal depression", "en"),
    ("depressão pós-parto", "pt"),
    ("stress", "en"),
    ("formula", "en"),
    ("car seat", "en"),
]


@pytest.fixture(scope="module")
def search() -> LibrarySearch:
    return LibrarySearch(LIBRARY)


def first_hit(search: LibrarySearch, query: str, locale: str, role: str | None = None) -> str:
    return found(search, query, locale, role)[0]


def found(search: LibrarySearch, query: str, locale: str, role: str | None = None) -> list[str]:
    """The article ids a family sees for ``query``, best first (as the bot asks, by role)."""
    audiences = None if role is None else family_audiences(role, expecting=True)
    hits = search.search(query, locale, audiences=audiences)
    assert hits, f"{query!r} ({locale}) found nothing"
    return [hit.article_id for hit in hits]


@pytest.mark.parametrize(
    ("query", "locale", "expected"),
    [
        ("cot death", "en", "safe-sleep-basics"),
        ("SIDS", "en", "safe-sleep-basics"),
        ("teething", "en", "brushing-first-teeth"),
        # The ICON article is about the crying that will not stop and coping with it.
        ("baby wont stop crying", "en", "crying-icon"),
        ("how much vitamin d", "en", "feeding-vitamin-d"),
        ("when does he get his jabs", "en", "immunisations-schedule"),
        ("zęby", "pl", "brushing-first-teeth"),
        ("szczepienia", "pl", "immunisations-why"),
        ("amamentação", "pt", "feeding-breastfeeding"),
        ("vacinas bebé", "pt", "immunisations-schedule"),
        ("الرضاعة", "ar", "feeding-breastfeeding"),
        ("تطعيم", "ar", "immunisations-why"),
    ],
)
def test_what_parents_type_finds_the_right_article_first(
    search: LibrarySearch, query: str, locale: str, expected: str
) -> None:
    assert first_hit(search, query, locale) == expected


@pytest.mark.parametrize(
    ("query", "locale", "relevant"),
    [
        ("teethng", "en", {"brushing-first-teeth"}),
        ("teehting", "en", {"brushing-first-teeth"}),
        ("cot deth", "en", {"safe-sleep-basics"}),
        ("breastfeding", "en", {"feeding-breastfeeding"}),
        ("weening", "en", {"feeding-starting-solids"}),
        ("szczepionki dla dziecka", "pl", IMMUNISATIONS),
        ("smierc lozeczkowa", "pl", {"safe-sleep-basics"}),
        ("karmienie piersia", "pl", {"feeding-breastfeeding"}),
        ("amamentacao", "pt", {"feeding-breastfeeding"}),
        ("depresao pos parto", "pt", {"mental-health-baby-blues-pnd"}),
        ("تطعيمات الطفل", "ar", IMMUNISATIONS),
        ("الاسنان", "ar", {"brushing-first-teeth"}),
    ],
)
def test_typos_and_missing_accents_still_find_a_relevant_article(
    search: LibrarySearch, query: str, locale: str, relevant: set[str]
) -> None:
    assert first_hit(search, query, locale) in relevant


@pytest.mark.parametrize(
    ("variants", "locale"),
    [
        (["zęby", "ZĘBY", "zeby", "zębów"], "pl"),
        (["amamentação", "Amamentação", "amamentacao", "amamentar"], "pt"),
        (["الرضاعة", "الرضاعه", "الرَّضَاعَة", "الرضـاعة"], "ar"),
        (["teething", "Teeth", "TEETH"], "en"),
    ],
)
def test_case_accents_arabic_spelling_and_word_forms_meet(
    search: LibrarySearch, variants: list[str], locale: str
) -> None:
    firsts = {first_hit(search, variant, locale) for variant in variants}
    assert len(firsts) == 1, firsts


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_nonsense_finds_nothing(search: LibrarySearch, locale: str) -> None:
    assert search.search("qwertyuiop", locale) == []
    assert search.search("", locale) == []
    assert search.search("the and of", locale) == []


def test_english_words_still_work_in_another_language(search: LibrarySearch) -> None:
    assert first_hit(search, "teething", "pl") == "brushing-first-teeth"
    assert first_hit(search, "cot death", "ar") == "safe-sleep-basics"


def test_results_are_few_distinct_and_best_first(search: LibrarySearch) -> None:
    hits = search.search("vaccines", "en")
    assert 1 <= len(hits) <= 5
    assert len({hit.article_id for hit in hits}) == len(hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert len(search.search("vaccines", "en", limit=2)) <= 2


def test_a_regional_locale_searches_its_language(search: LibrarySearch) -> None:
    assert first_hit(search, "amamentação", "pt-BR") == "feeding-breastfeeding"


def test_folding_removes_accents_and_unifies_arabic_letters() -> None:
    assert fold("Zęby ŁÓŻKO Amamentação") == "zeby lozko amamentacao"
    assert fold("أإآٱ") == "اااا"
    assert fold("مستشفى") == "مستشفي"
    assert fold("رَضَاعَة") == "رضاعه"
    assert fold("طـفل ١٢") == "طفل 12"


def test_terms_drop_stop_words_and_meet_across_word_forms() -> None:
    assert terms("when does he get his jabs", "en") == ["jab"]
    assert terms("teething", "en") == terms("teeth", "en")
    assert terms("zębów", "pl") == terms("zęby", "pl") == terms("ząb", "pl")
    assert terms("amamentação", "pt") == terms("amamentar", "pt")
    assert terms("تطعيمات", "ar") == terms("التطعيم", "ar")


# --- the family's role -----------------------------------------------------------------------


@pytest.mark.parametrize("role", MUMS_AND_CARERS)
@pytest.mark.parametrize(("query", "locale"), FAMILY_QUESTIONS)
def test_a_mum_or_carer_is_not_shown_a_dads_article_first(
    search: LibrarySearch, role: str, query: str, locale: str
) -> None:
    assert first_hit(search, query, locale, role) not in FOR_FATHERS


@pytest.mark.parametrize("role", DADS_AND_PARTNERS)
@pytest.mark.parametrize(("query", "locale"), FAMILY_QUESTIONS)
def test_a_dad_or_partner_is_shown_articles_for_everyone_too(
    search: LibrarySearch, role: str, query: str, locale: str
) -> None:
    assert set(found(search, query, locale, role)) - FOR_FATHERS


@pytest.mark.parametrize(
    ("role", "query", "locale", "first"),
    [
        ("mum", "mental health", "en", "mental-health-where-to-get-help"),
        ("carer", "zdrowie psychiczne", "pl", "mental-health-where-to-get-help"),
        ("mum", "saúde mental", "pt", "mental-health-where-to-get-help"),
        ("mum", "sleep", "en", "safe-sleep-basics"),
        ("carer", "sono", "pt", "safe-sleep-basics"),
        ("mum", "نوم", "ar", "safe-sleep-basics"),
        ("mum", "stress", "en", "crying-icon"),
        ("dad", "mental health", "en", "dads-mental-health"),
        ("partner", "zdrowie psychiczne", "pl", "dads-mental-health"),
        ("dad", "الصحة النفسية", "ar", "dads-mental-health"),
        ("dad", "sleep", "en", "dads-sleep-deprivation"),
        ("partner", "stress", "en", "dads-mental-health"),
        # Postnatal depression is about the mother first, for every family.
        ("dad", "postnatal depression", "en", "mental-health-baby-blues-pnd"),
        ("mum", "depresja poporodowa", "pl", "mental-health-baby-blues-pnd"),
        ("partner", "اكتئاب ما بعد الولادة", "ar", "mental-health-baby-blues-pnd"),
    ],
)
def test_each_role_sees_the_article_written_for_it_first(
    search: LibrarySearch, role: str, query: str, locale: str, first: str
) -> None:
    assert first_hit(search, query, locale, role) == first


@pytest.mark.parametrize(
    ("query", "locale", "for_dads"),
    [
        ("mental health", "en", "dads-mental-health"),
        ("postnatal depression", "en", "mental-health-dads"),
        ("zdrowie psychiczne", "pl", "dads-mental-health"),
        ("choro", "pt", "dads-soothing"),
    ],
)
def test_a_dads_article_ranks_lower_for_a_mum_but_is_still_offered(
    search: LibrarySearch, query: str, locale: str, for_dads: str
) -> None:
    mum, dad = found(search, query, locale, "mum"), found(search, query, locale, "dad")
    assert for_dads in mum
    assert mum.index(for_dads) > dad.index(for_dads)


@pytest.mark.parametrize(("query", "locale"), [("nappy", "en"), ("bonding", "en")])
def test_a_dads_article_that_is_the_only_good_match_is_still_found_for_a_mum(
    search: LibrarySearch, query: str, locale: str
) -> None:
    assert found(search, query, locale, "mum") == found(search, query, locale, "dad")


def test_an_asked_for_dads_article_still_comes_first_for_a_mum(search: LibrarySearch) -> None:
    """A mum asking about her partner's low mood is shown the article about it."""
    assert first_hit(search, "dad depression", "en", "mum") == "mental-health-dads"


def test_without_a_family_the_ranking_is_relevance_alone(search: LibrarySearch) -> None:
    assert found(search, "mental health", "en") == found(search, "mental health", "en", "dad")


def test_a_word_the_articles_use_does_not_match_a_word_one_letter_away(
    search: LibrarySearch,
) -> None:
    assert "free-dental-care" not in found(search, "mental health", "en")
    assert "feeding-vitamin-d" not in found(search, "colic", "en")  # not "folic"
