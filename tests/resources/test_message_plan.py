"""The message plan: the shipped plan and translations, validation errors, cohorts and timing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from locales import SUPPORTED_LOCALES
from resources.library import load_library
from resources.message_plan import (
    DEFAULT_PLAN_PATH,
    Anchor,
    MessagePlan,
    PlanError,
    Priority,
    Track,
    load_plan,
)
from resources.topics import Topic

# The 'Read more' links must name articles the shipped library really has.
LIBRARY_ARTICLES = frozenset(load_library().ids)


@pytest.fixture(scope="module")
def plan() -> MessagePlan:
    return load_plan()


# --- the shipped plan ------------------------------------------------------------------------


def test_shipped_plan_loads_in_every_locale(plan: MessagePlan) -> None:
    assert plan.locales == SUPPORTED_LOCALES
    assert 60 <= len(plan.entries) <= 90
    assert set(plan.by_key) == {e.key for e in plan.entries}


def test_every_entry_has_a_message_in_every_locale(plan: MessagePlan) -> None:
    for locale in SUPPORTED_LOCALES:
        texts = yaml.safe_load(
            (DEFAULT_PLAN_PATH.parent / "messages" / f"{locale}.yaml").read_text()
        )
        assert set(texts) == set(plan.by_key), locale
        for entry in plan.entries:
            text = plan.text(entry.key, locale)
            assert text.strip(), (entry.key, locale)
            assert len(text) <= 1000, (entry.key, locale)


def test_english_messages_are_short(plan: MessagePlan) -> None:
    too_long = {e.key: len(plan.text(e.key, "en")) for e in plan.entries}
    assert {key: n for key, n in too_long.items() if n > 500} == {}


def test_translations_keep_the_placeholders_and_tags_of_english(plan: MessagePlan) -> None:
    def placeholders(text: str) -> set[str]:
        return set(re.findall(r"\{(\w*)\}", text))

    def tags(text: str) -> set[str]:
        return set(re.findall(r"</?([a-z]+)>", text))

    for entry in plan.entries:
        english = plan.text(entry.key, "en")
        assert tags(english) <= {"b", "i"}
        for locale in SUPPORTED_LOCALES[1:]:
            text = plan.text(entry.key, locale)
            assert placeholders(text) == placeholders(english), (entry.key, locale)
            assert tags(text) == tags(english), (entry.key, locale)
            assert text.count("<b>") == text.count("</b>"), (entry.key, locale)


def test_translations_carry_the_same_numbers_as_english(plan: MessagePlan) -> None:
    """Numbers (weeks, doses, phone numbers) are the facts most easily lost in translation."""

    def numbers(text: str) -> set[str]:
        # 1,000 / 1000 and 8.5 / 8,5 are the same number; ordinals like "16." are too. 1 and 2
        # are left out: languages often write them as words ("roczek", Arabic dual forms).
        found = re.findall(r"\d[\d,.]*\d|\d", text)
        return {n.replace(",", "").replace(".", "") for n in found} - {"1", "2"}

    for entry in plan.entries:
        english = numbers(plan.text(entry.key, "en"))
        for locale in SUPPORTED_LOCALES[1:]:
            assert english <= numbers(plan.text(entry.key, locale)), (entry.key, locale)


def test_articles_are_ones_the_library_has_agreed(plan: MessagePlan) -> None:
    load_plan(article_ids=LIBRARY_ARTICLES)
    assert all(e.article in LIBRARY_ARTICLES for e in plan.entries if e.article)


def test_antenatal_and_due_date_entries_go_together(plan: MessagePlan) -> None:
    for entry in plan.entries:
        if entry.track is Track.ANTENATAL:
            assert entry.anchor is Anchor.DUE_DATE, entry.key
        if entry.anchor is Anchor.DUE_DATE:
            assert entry.offset_days < 0, entry.key


def test_fathers_track_runs_from_late_pregnancy_through_the_first_year(plan: MessagePlan) -> None:
    dads = [e for e in plan.entries if e.track is Track.FATHERS]
    assert 12 <= len(dads) <= 16
    assert any(e.anchor is Anchor.DUE_DATE for e in dads)
    assert all(e.anchor is Anchor.DUE_DATE or e.offset_days <= 365 for e in dads)


def test_text_falls_back_to_language_then_english(plan: MessagePlan) -> None:
    key = "safe_sleep_on_the_back"
    assert plan.text(key, "pl-PL") == plan.text(key, "pl")
    assert plan.text(key, "pt_PT") == plan.text(key, "pt")
    assert plan.text(key, "fr") == plan.text(key, "en")
    with pytest.raises(KeyError):
        plan.text("no_such_entry", "en")


# --- immunisation cohorts (domain-facts section 2) ---------------------------------------------


def immunisations_for(plan: MessagePlan, born_on: date) -> dict[str, str]:
    return {
        e.key: plan.text(e.key, "en")
        for e in plan.entries_for(born_on=born_on)
        if e.topic is Topic.IMMUNISATIONS
    }


@pytest.mark.parametrize(
    ("born_on", "expected"),
    [
        (
            date(
                2024, 3, 1
            ),  # old primary course; Hib/MenC + MMR at 1; no 18 months; MMRV at 3y4m
            {
                "immunisations_8_weeks",
                "immunisations_12_weeks_before_july_2025",
                "immunisations_16_weeks_before_july_2025",
                "immunisations_1_year_hib_menc",
                "immunisations_children_flu",
                "immunisations_3_years_4_months_mmrv",
            },
        ),
        (
            date(2024, 9, 1),  # MMR at 1 (no Hib/MenC), first MMRV at 18 months, MMRV at 3y4m
            {
                "immunisations_8_weeks",
                "immunisations_12_weeks_before_july_2025",
                "immunisations_16_weeks_before_july_2025",
                "immunisations_1_year_mmr",
                "immunisations_18_months_first_mmrv",
                "immunisations_children_flu",
                "immunisations_3_years_4_months_mmrv",
            },
        ),
        (
            date(
                2025, 3, 1
            ),  # 16 weeks fell on 21 June 2025; MMRV at 1 and 18 months; 4-in-1 only
            {
                "immunisations_8_weeks",
                "immunisations_12_weeks_before_july_2025",
                "immunisations_16_weeks_before_july_2025",
                "immunisations_1_year",
                "immunisations_18_months",
                "immunisations_children_flu",
                "immunisations_3_years_4_months",
            },
        ),
        (
            date(2026, 11, 22),  # a baby born today: the schedule in force from 1 January 2026
            {
                "immunisations_8_weeks",
                "immunisations_12_weeks",
                "immunisations_16_weeks",
                "immunisations_1_year",
                "immunisations_18_months",
                "immunisations_children_flu",
                "immunisations_3_years_4_months",
            },
        ),
    ],
)
def test_each_birth_cohort_gets_exactly_its_immunisation_schedule(
    plan: MessagePlan, born_on: date, expected: set[str]
) -> None:
    assert set(immunisations_for(plan, born_on)) == expected


@pytest.mark.parametrize(
    "born_on",
    [
        date(2024, 3, 1),
        date(2024, 6, 30),
        date(2024, 7, 1),
        date(2024, 9, 1),
        date(2024, 12, 31),
        date(2025, 1, 1),
        date(2025, 3, 1),
        date(2026, 11, 22),
    ],
)
def test_vaccines_named_in_each_appointment_match_the_cohort(
    plan: MessagePlan, born_on: date
) -> None:
    texts = immunisations_for(plan, born_on)
    by_age = {key.split("_")[1]: text for key, text in texts.items()}  # "8", "1", "18", "3"...
    one_year = next(t for k, t in texts.items() if k.startswith("immunisations_1_year"))
    pre_school = next(t for k, t in texts.items() if k.startswith("immunisations_3_years"))

    # 12-month MMRV only for children born on or after 1 January 2025.
    assert ("first MMRV" in one_year) == (born_on >= date(2025, 1, 1))
    assert ("MMR vaccine" in one_year) == (born_on < date(2025, 1, 1))
    # Hib/MenC at 1 year only for children who turned 1 before 1 July 2025.
    assert ("Hib/MenC" in one_year) == (born_on < date(2024, 7, 1))
    # The 18-month appointment only for children born on or after 1 July 2024, with MMRV.
    assert ("18" in by_age) == (born_on >= date(2024, 7, 1))
    if "18" in by_age:
        assert "6-in-1" in by_age["18"] and "MMRV" in by_age["18"]
    # 3y4m: the 4-in-1 for everyone, plus MMRV only for children born on or before 31 Dec 2024.
    assert "4-in-1 pre-school booster" in pre_school
    assert ("and the MMRV vaccine" in pre_school) == (born_on <= date(2024, 12, 31))


def test_every_birth_date_gets_each_appointment_exactly_once(plan: MessagePlan) -> None:
    appointments = {52: "8 weeks", 80: "12 weeks", 108: "16 weeks", 358: "1 year"}
    appointments |= {540: "18 months", 1210: "3 years 4 months"}
    day = date(2019, 1, 1)
    while day <= date(2027, 12, 31):
        offsets = [
            e.offset_days
            for e in plan.entries_for(born_on=day)
            if e.topic is Topic.IMMUNISATIONS and e.offset_days in appointments
        ]
        expected = set(appointments) - ({540} if day < date(2024, 7, 1) else set())
        assert sorted(offsets) == sorted(expected), day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("born_on", "eligible"),
    [
        (date(2019, 12, 31), False),
        (date(2020, 1, 1), True),
        (date(2021, 6, 15), True),
        (date(2022, 8, 31), True),
        (date(2022, 9, 1), False),  # MMRV at 3y4m instead
    ],
)
def test_the_mmrv_catch_up_reaches_exactly_its_birth_cohort_while_it_runs(
    plan: MessagePlan, born_on: date, eligible: bool
) -> None:
    catch_up = plan.by_key["immunisations_mmrv_catch_up"]
    assert (catch_up in plan.entries_for(born_on=born_on)) == eligible
    assert catch_up.is_campaign and catch_up.priority is Priority.CRITICAL
    assert catch_up.due_day(born_on) == date(2026, 11, 1)
    assert catch_up.send_day(born_on, not_before=date(2026, 11, 23)) == date(2026, 11, 23)
    assert catch_up.send_day(born_on, not_before=date(2028, 3, 31)) == date(2028, 3, 31)
    assert catch_up.send_day(born_on, not_before=date(2028, 4, 1)) is None
    text = plan.text(catch_up.key, "en")
    assert "31 March 2028" in text and "1 January 2020" in text and "31 August 2022" in text


def test_pregnancy_vaccines_are_for_expected_babies_only(plan: MessagePlan) -> None:
    expected = {e.key for e in plan.entries_for(born_on=None) if e.topic is Topic.IMMUNISATIONS}
    assert expected == {
        "pregnancy_whooping_cough",
        "pregnancy_whooping_cough_check",
        "pregnancy_rsv",
        "pregnancy_flu",
    }
    assert plan.by_key["pregnancy_whooping_cough"].due_day(date(2027, 1, 1)) == date(
        2027, 1, 1
    ) - timedelta(weeks=40 - 16)
    assert plan.by_key["pregnancy_rsv"].due_day(date(2027, 1, 1)) == date(2027, 1, 1) - timedelta(
        weeks=40 - 28
    )


# --- who gets what, and when -------------------------------------------------------------------


def test_expected_babies_get_due_date_entries_and_fathers_only_if_opted_in(
    plan: MessagePlan,
) -> None:
    without = plan.entries_for(born_on=None)
    with_dads = plan.entries_for(born_on=None, fathers=True)
    assert all(e.anchor is Anchor.DUE_DATE for e in with_dads)
    assert not any(e.track is Track.FATHERS for e in without)
    assert {e.key for e in with_dads} - {e.key for e in without} == {
        e.key for e in plan.entries if e.track is Track.FATHERS and e.anchor is Anchor.DUE_DATE
    }
    born = plan.entries_for(born_on=date(2026, 11, 1), fathers=True)
    assert all(e.anchor is Anchor.BIRTH_DATE for e in born)
    assert "dads_skin_to_skin" in {e.key for e in born}


def test_hot_weather_tip_waits_for_the_warm_months(plan: MessagePlan) -> None:
    hot = plan.by_key["safe_sleep_hot_weather"]
    assert hot.send_day(date(2026, 1, 10)) == date(2026, 5, 1)
    assert hot.send_day(date(2026, 6, 10)) == date(2026, 6, 17)
    # Born in October: the window closes before May comes round, so it is skipped.
    assert hot.send_day(date(2026, 10, 1)) is None


def test_flu_vaccine_in_pregnancy_goes_out_in_flu_season(plan: MessagePlan) -> None:
    flu = plan.by_key["pregnancy_flu"]
    assert flu.send_day(date(2027, 3, 1)) == date(2026, 9, 1)
    assert flu.send_day(date(2027, 6, 1)) == date(2026, 9, 22)
    # Due in late September: early September is still in pregnancy, but not the last week.
    assert flu.send_day(date(2026, 9, 25)) == date(2026, 9, 1)
    assert flu.send_day(date(2026, 9, 25), not_before=date(2026, 9, 19)) is None
    # Every pregnancy overlaps a flu season, so nobody who joins early misses it.
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        assert flu.send_day(day) is not None, day
        day += timedelta(days=1)


def test_late_joiners_get_the_pregnancy_vaccines_reviews_and_safety_messages(
    plan: MessagePlan,
) -> None:
    """The entries marked time-critical: sent to a family who joins while they are in their
    window. Every pregnancy vaccine and every review is one of them."""
    late = {e.key for e in plan.entries if e.time_critical}
    assert late == {
        "pregnancy_vitamins",
        "pregnancy_healthy_start",
        "pregnancy_whooping_cough",
        "pregnancy_flu",
        "antenatal_contact",
        "pregnancy_rsv",
        "pregnancy_whooping_cough_check",
        "review_new_birth",
        "review_6_8_weeks",
        "review_12_months",
        "review_2_years",
        "safe_sleep_sharing_a_bed",
        "feeding_vitamin_d_baby",
        "feeding_healthy_start_baby",
        "wellbeing_postpartum_psychosis",
    }
    for entry in plan.entries_for(born_on=None):
        if entry.topic is Topic.IMMUNISATIONS:
            assert entry.time_critical, entry.key
    assert all(e.time_critical for e in plan.entries if e.topic is Topic.REVIEWS)


@pytest.mark.parametrize(
    ("born_on", "seasons"),
    [
        (date(2024, 9, 1), [2026, 2027, 2028]),  # 2 on 1 September 2026
        (date(2024, 9, 2), [2027, 2028, 2029]),  # 2 a day too late for autumn 2026
        (date(2021, 9, 2), [2026]),  # 4 in 2026, 5 in 2027
        (date(2021, 9, 1), []),  # already 5 on 1 September 2026
        (date(2026, 11, 2), [2029, 2030, 2031]),
    ],
)
def test_the_childrens_flu_reminder_comes_each_autumn_from_age_2_to_4(
    plan: MessagePlan, born_on: date, seasons: list[int]
) -> None:
    flu = plan.by_key["immunisations_children_flu"]
    assert flu.is_yearly and not flu.is_campaign
    found = plan.entries_for(born_on=born_on, seasons=(date(2026, 1, 1), date(2031, 12, 31)))
    autumns = [e for e in found if e.key.startswith("immunisations_children_flu:")]
    assert [e.key for e in autumns] == [f"immunisations_children_flu:{y}" for y in seasons]
    for season in autumns:
        year = int(season.key.rsplit(":", 1)[1])
        assert (season.runs_from, season.runs_until) == (date(year, 9, 1), date(year, 12, 31))
        assert plan.entry(season.key) == season
        assert plan.text(season.key, "pl") == plan.text(flu.key, "pl")
    assert "Ask your GP surgery" in plan.text(flu.key, "en")


def test_an_outbox_key_names_a_plan_entry_a_season_or_a_question(plan: MessagePlan) -> None:
    assert plan.entry("review_new_birth") is plan.by_key["review_new_birth"]
    for unknown in ("immunisations_children_flu:26", "review_new_birth:2026", "nothing"):
        with pytest.raises(KeyError):
            plan.entry(unknown)
    catch_up = plan.by_key["immunisations_mmrv_catch_up"]
    assert catch_up.ask_families
    assert plan.asking("immunisations_mmrv_catch_up:ask") is catch_up
    assert plan.asking("review_new_birth:ask") is None
    assert plan.asking("immunisations_mmrv_catch_up") is None


def test_a_season_may_run_over_the_new_year(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [yearly("winter_tip", months=[11, 12, 1], ages=[0, 1])])
    [season] = load_plan(path).campaigns(date(2027, 1, 15), date(2027, 1, 15))
    assert season.key == "winter_tip:2026"
    assert (season.runs_from, season.runs_until) == (date(2026, 11, 1), date(2027, 1, 31))
    assert (season.born_from, season.born_until) == (date(2024, 11, 2), date(2026, 11, 1))


def test_a_stale_entry_is_skipped_rather_than_sent_late(plan: MessagePlan) -> None:
    review = plan.by_key["review_new_birth"]  # day 7, stale after 10 days
    born = date(2026, 11, 1)
    assert review.send_day(born) == date(2026, 11, 8)
    assert review.send_day(born, not_before=date(2026, 11, 18)) == date(2026, 11, 18)
    assert review.send_day(born, not_before=date(2026, 11, 19)) is None


# --- validation errors -------------------------------------------------------------------------


def good_entry(key: str = "tip_one", **changes: Any) -> dict[str, Any]:
    entry = {
        "key": key,
        "track": "everyone",
        "anchor": "birth_date",
        "offset_days": 10,
        "topic": "safe_sleep",
        "priority": "tip",
        "stale_after_days": 14,
    }
    entry.update(changes)
    return entry


def campaign(key: str, **changes: Any) -> dict[str, Any]:
    entry = {
        "key": key,
        "track": "everyone",
        "anchor": "birth_date",
        "runs_from": "2026-11-01",
        "runs_until": "2028-03-31",
        "topic": "immunisations",
        "priority": "critical",
        "born_until": "2022-08-31",
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def yearly(key: str, **changes: Any) -> dict[str, Any]:
    entry = {
        "key": key,
        "track": "everyone",
        "anchor": "birth_date",
        "topic": "immunisations",
        "priority": "tip",
        "months": [9, 10, 11, 12],
        "ages": [2, 3, 4],
    }
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def write_plan(
    folder: Path,
    entries: list[dict[str, Any]],
    messages: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """Write a plan and, unless given, a valid message for every entry in every locale."""
    (folder / "messages").mkdir(parents=True, exist_ok=True)
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump({"entries": entries}, sort_keys=False), encoding="utf-8")
    keys = [e["key"] for e in entries if isinstance(e, dict) and "key" in e]
    for locale in SUPPORTED_LOCALES:
        texts = {key: f"<b>{key}</b>\nA short message ({locale})." for key in keys}
        texts.update((messages or {}).get(locale, {}))
        (folder / "messages" / f"{locale}.yaml").write_text(
            yaml.safe_dump(texts, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return path


def plan_error(path: Path, **kwargs: Any) -> str:
    with pytest.raises(PlanError) as caught:
        load_plan(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_small_valid_plan_loads(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry(), good_entry("tip_two", months=[5, 6])])
    plan = load_plan(path)
    assert [e.key for e in plan.entries] == ["tip_one", "tip_two"]
    assert plan.text("tip_two", "ar") == "<b>tip_two</b>\nA short message (ar)."


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (good_entry("odd_field", colour="blue"), "unknown field 'colour'"),
        (good_entry("bad_track", track="dads"), "'track' is 'dads'; allowed values: 'everyone'"),
        (good_entry("bad_topic", topic="sleep"), "allowed values: 'safe_sleep', 'feeding'"),
        (
            good_entry("born_antenatal", track="antenatal"),
            "track 'antenatal' needs anchor 'due_date'",
        ),
        (
            good_entry("cohort_upside_down", born_from="2025-01-01", born_until="2024-12-31"),
            "born_from 2025-01-01 is after born_until 2024-12-31",
        ),
        (good_entry("thirteenth_month", months=[12, 13]), "'months[2]' is 13"),
        (good_entry("month_zero", months=[0]), "greater than or equal to 1"),
        (good_entry("never_fresh", stale_after_days=0), "'stale_after_days' is 0"),
        (good_entry("no_anchor", anchor=None), "'anchor' is None"),
        (
            good_entry(
                "cohort_on_due_date", track="antenatal", anchor="due_date", born_from="2024-07-01"
            ),
            "only apply to anchor 'birth_date'",
        ),
        (good_entry("fractional", offset_days=1.5), "'offset_days' is 1.5"),
        (
            good_entry("untimed", offset_days=None),
            "give offset_days and stale_after_days (a timed entry), or runs_from and runs_until",
        ),
        (campaign("half_open", runs_until=None), "a campaign needs both runs_from and runs_until"),
        (
            campaign("backwards", runs_from="2027-01-01", runs_until="2026-01-01"),
            "runs_from 2027-01-01 is after runs_until 2026-01-01",
        ),
        (campaign("timed_too", offset_days=10), "has no offset_days or stale_after_days"),
        (campaign("seasonal_too", months=[1, 2]), "(runs_from/runs_until) has no months"),
        (campaign("for_everyone", born_until=None), "needs born_from or born_until"),
        (
            campaign("unborn", track="antenatal", anchor="due_date", born_until=None),
            "a campaign needs anchor 'birth_date'",
        ),
        (good_entry("maybe", time_critical="yes"), "'time_critical' is 'yes'"),
        (
            campaign("late_campaign", time_critical=True),
            "time_critical is only for a timed entry (offset_days)",
        ),
        (yearly("late_yearly", time_critical=True), "time_critical is only for a timed entry"),
        (good_entry("asking_a_tip", ask_families=True), "ask_families is only for a campaign"),
        (yearly("no_season", months=None), "a yearly entry (ages) needs months"),
        (yearly("timed_yearly", offset_days=10), "a yearly entry (ages) has no offset_days"),
        (
            yearly("yearly_cohort", born_from="2020-01-01"),
            "a yearly entry (ages) has no born_from",
        ),
        (
            yearly("unborn_yearly", track="antenatal", anchor="due_date"),
            "a yearly entry (ages) needs anchor 'birth_date'",
        ),
        (yearly("gappy_ages", ages=[2, 4]), "ages must be years in a row, youngest first"),
        (yearly("old_first", ages=[4, 3]), "ages must be years in a row, youngest first"),
        (yearly("gappy_months", months=[9, 11]), "must follow on from its first month"),
        (yearly("too_old", ages=[19]), "'ages[1]' is 19"),
    ],
)
def test_a_bad_entry_is_named_with_its_problem(
    tmp_path: Path, entry: dict[str, Any], problem: str
) -> None:
    path = write_plan(tmp_path, [good_entry("fine_first"), entry])
    message = plan_error(path)
    assert str(path) in message
    assert f"entry '{entry['key']}' (#2)" in message
    assert problem in message


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    entry = good_entry("no_priority")
    del entry["priority"]
    message = plan_error(write_plan(tmp_path, [entry]))
    assert "entry 'no_priority' (#1): missing field 'priority'" in message


def test_an_entry_without_a_usable_key_is_named_by_its_position(tmp_path: Path) -> None:
    message = plan_error(write_plan(tmp_path, [good_entry(), good_entry("Not Snake")]))
    assert "entry 'Not Snake' (#2)" in message and "'key'" in message
    (tmp_path / "plan.yaml").write_text("entries:\n  - track: everyone\n", encoding="utf-8")
    assert "entry #1: missing field 'key'" in plan_error(tmp_path / "plan.yaml")


def test_a_duplicate_key_is_named(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry("same"), good_entry("other"), good_entry("same")])
    message = plan_error(path)
    assert f"{path}: entry 'same' (#3): duplicate key, already used by entry #1" in message


def test_an_unknown_article_is_named_when_the_library_is_given(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry("linked", article="no-such-article")])
    assert load_plan(path).by_key["linked"].article == "no-such-article"
    message = plan_error(path, article_ids=LIBRARY_ARTICLES)
    assert "entry 'linked' (#1): article 'no-such-article' is not in the library" in message


@pytest.mark.parametrize(
    ("locale", "text", "problem"),
    [
        ("pl", None, "missing"),
        ("pt", "   ", "empty"),
        ("ar", "<b>tip_one</b> {name}", "placeholders ['name'] differ from English []"),
        ("pl", "x" * 1001, "1001 characters, the limit is 1000"),
        ("pt", "<b>tip_one", "<b> is never closed"),
        ("pl", "<b>tip_one</i>", "</i> does not close an open <i>"),
        ("ar", '<a href="x">tip_one</a>', "a stray '<'"),
        ("pl", "<u>tip_one</u>", "tag <u> is not allowed"),
        ("pt", "<i>tip_one</i>", "HTML tags ['i'] differ from English ['b']"),
        ("pl", "<b>A&E</b>", "a bare '&'"),
        ("ar", "<b>1 < 2</b>", "a stray '<'"),
        ("pt", "<b>{</b>", "a lone '{' or '}'"),
        ("pl", 42, "must be text"),
    ],
)
def test_a_bad_message_names_its_file_and_key(
    tmp_path: Path, locale: str, text: Any, problem: str
) -> None:
    path = write_plan(tmp_path, [good_entry("tip_one")], {locale: {"tip_one": text}})
    if text is None:  # drop the message altogether
        messages = tmp_path / "messages" / f"{locale}.yaml"
        messages.write_text("{}\n", encoding="utf-8")
    message = plan_error(path)
    assert str(tmp_path / "messages" / f"{locale}.yaml") in message
    assert "message 'tip_one'" in message
    assert problem in message


def test_a_message_without_a_plan_entry_is_named(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry()], {"pt": {"old_tip": "<b>Gone</b>"}})
    message = plan_error(path)
    assert f"{tmp_path / 'messages' / 'pt.yaml'}: message 'old_tip' has no plan entry" in message


def test_a_message_written_twice_is_caught(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry()])
    messages = tmp_path / "messages" / "pl.yaml"
    messages.write_text("tip_one: <b>Raz</b>\ntip_one: <b>Dwa</b>\n", encoding="utf-8")
    message = plan_error(path)
    assert str(messages) in message and "line 2" in message
    assert "key 'tip_one' is written twice" in message


def test_a_missing_message_file_and_broken_yaml_are_named(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry()])
    (tmp_path / "messages" / "ar.yaml").unlink()
    assert f"{tmp_path / 'messages' / 'ar.yaml'}: message file is missing" in plan_error(path)
    path.write_text("entries:\n  - key: [unclosed\n", encoding="utf-8")
    message = plan_error(path)
    assert str(path) in message and "invalid YAML" in message


def test_a_plan_without_entries_is_refused(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry()])
    path.write_text("entries: []\n", encoding="utf-8")
    assert "'entries' must be a non-empty list" in plan_error(path)
    path.write_text("entries: []\nextra: 1\n", encoding="utf-8")
    assert "one top-level field, 'entries'" in plan_error(path)


def test_only_the_locales_asked_for_are_loaded(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [good_entry()])
    (tmp_path / "messages" / "ar.yaml").unlink()
    plan = load_plan(path, locales=("en", "pl"))
    assert plan.locales == ("en", "pl")
    assert "must include 'en'" in plan_error(path, locales=("pl",))
