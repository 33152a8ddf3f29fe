"""The campaigns pages (admins only): the list with each campaign's figures, the form to write
one in every language with a preview and a count of the families it reaches, and the campaign's
page to schedule it, cancel it and follow its report.

The rules (what is valid, who is reached, which change is allowed) are domain/campaigns.py's;
these pages translate the form to it and back. Every change writes an audit event there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from aiohttp import web
from markupsafe import Markup
from multidict import MultiDictProxy
from sqlalchemy import select

from api.app_keys import CLOCK, SESSIONS, ZONE
from dashboard.auth import require_admin
from dashboard.render import render
from domain import campaigns
from domain.campaigns import AGE_BANDS, LANGUAGE_NAMES, Draft, Invalid, Refused, Segment
from locales import RIGHT_TO_LEFT, SUPPORTED_LOCALES
from resources.areas import OUTSIDE_SEFTON, Areas, load_areas
from scheduler.rendering import campaign_message
from store.models import Campaign, CampaignStatus, Role

ROLE_LABELS = {Role.MUM: "Mum", Role.DAD: "Dad", Role.PARTNER: "Partner", Role.CARER: "Carer"}
LIST_LIMIT = 200


@cache
def _areas() -> Areas:
    return load_areas()


def _today(request: web.Request) -> date:
    config = request.config_dict
    return config[CLOCK]().astimezone(config[ZONE]).date()


@dataclass
class CampaignForm:
    """The form as typed: sent back with the problems, the preview and the count."""

    name: str = ""
    texts: dict[str, str] = field(default_factory=lambda: dict.fromkeys(SUPPORTED_LOCALES, ""))
    segment: Segment = field(default_factory=Segment)
    send_on: str = ""
    problems: list[str] = field(default_factory=list)

    @classmethod
    def posted(cls, data: MultiDictProxy[Any]) -> CampaignForm:
        def text(name: str) -> str:
            value = data.get(name, "")
            return value if isinstance(value, str) else ""

        def chosen(name: str) -> frozenset[str]:
            return frozenset(v for v in data.getall(name, []) if isinstance(v, str))

        return cls(
            name=text("name"),
            texts={code: text(f"text_{code}") for code in SUPPORTED_LOCALES},
            segment=Segment(**{part: chosen(part) for part in _PARTS}),
            send_on=text("send_on").strip(),
        )

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignForm:
        return cls(
            name=campaign.name,
            texts={code: str(campaign.texts.get(code, "")) for code in SUPPORTED_LOCALES},
            segment=Segment.from_json(campaign.segment),
            send_on=campaign.send_on.isoformat(),
        )

    def day(self) -> date | None:
        try:
            return date.fromisoformat(self.send_on)
        except ValueError:
            return None

    def draft(self) -> Draft | None:
        """The draft, or None with the problem noted if the day is not a date."""
        day = self.day()
        if day is None:
            self.problems.append("Choose the day it goes, as a date like 2026-12-14.")
            return None
        return Draft.typed(name=self.name, texts=self.texts, segment=self.segment, send_on=day)


_PARTS = ("areas", "age_bands", "roles", "locales", "sources")


def previews(texts: dict[str, str]) -> list[dict[str, Any]]:
    """Each language as the family's Telegram shows it: the words and the button under them."""
    shown = []
    for code in SUPPORTED_LOCALES:
        text = texts.get(code, "").replace("\r\n", "\n").strip()
        message = campaign_message(text, code)
        shown.append(
            {
                "code": code,
                "language": LANGUAGE_NAMES[code],
                "dir": "rtl" if code in RIGHT_TO_LEFT else "ltr",
                "html": Markup(message.text),  # escaped by campaign_message
                "buttons": [label for label, _data in message.buttons],
                "empty": not text,
            }
        )
    return shown


async def _choices(request: web.Request) -> dict[str, list[tuple[str, str]]]:
    """What each segment picker offers: (value, label)."""
    areas = _areas()
    async with request.config_dict[SESSIONS]() as session:
        sources = await campaigns.sources_in_use(session)
    return {
        "areas": [(town.id, town.name) for town in areas.towns]
        + [(code, f"{code} (postcode district)") for code in areas.districts]
        + [(OUTSIDE_SEFTON, "Outside Sefton")],
        "age_bands": [(band.id, band.label) for band in AGE_BANDS],
        "roles": [(role.value, ROLE_LABELS[role]) for role in Role],
        "locales": [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
        "sources": [(source, source) for source in sources]
        + [(campaigns.NO_SOURCE, "No source (found the bot directly)")],
    }


_PICKER_TITLES = {
    "areas": "Areas",
    "age_bands": "Child's age on the send day",
    "roles": "Who they are",
    "locales": "Language",
    "sources": "Where they registered from",
}


async def _form_page(
    request: web.Request,
    form: CampaignForm,
    *,
    campaign: Campaign | None,
    reach: int | None = None,
    status: int = 200,
) -> web.Response:
    choices = await _choices(request)
    selected = form.segment.to_json()
    pickers = [
        {
            "name": part,
            "title": _PICKER_TITLES[part],
            "options": [
                {"value": value, "label": label, "checked": value in selected[part]}
                for value, label in choices[part]
            ],
        }
        for part in _PARTS
    ]
    return render(
        request,
        "campaigns/form.html",
        {
            "campaign": campaign,
            "form": form,
            "languages": [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
            "rtl": RIGHT_TO_LEFT,
            "max_chars": campaigns.MAX_TEXT_CHARS,
            "kept_days": campaigns.KEPT_DAYS,
            "pickers": pickers,
            "previews": previews(form.texts),
            "reach": reach,
            "today": _today(request).isoformat(),
        },
        status=status,
    )


async def list_page(request: web.Request) -> web.Response:
    require_admin(request)
    rows = []
    async with request.config_dict[SESSIONS]() as session:
        found = await session.scalars(
            select(Campaign).order_by(Campaign.id.desc()).limit(LIST_LIMIT)
        )
        for campaign in found:
            rows.append((campaign, await campaigns.report(session, campaign.id)))
    return render(request, "campaigns/index.html", {"rows": rows})


async def new_page(request: web.Request) -> web.Response:
    require_admin(request)
    form = CampaignForm(send_on=_today(request).isoformat())
    return await _form_page(request, form, campaign=None)


async def _load(request: web.Request) -> Campaign:
    try:
        campaign_id = int(request.match_info["campaign_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    async with request.config_dict[SESSIONS]() as session:
        campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise web.HTTPNotFound()
    return campaign


async def edit_page(request: web.Request) -> web.Response:
    require_admin(request)
    campaign = await _load(request)
    if campaign.status is not CampaignStatus.DRAFT:
        raise web.HTTPSeeOther(
            request.app.router["campaign"].url_for(campaign_id=str(campaign.id))
        )
    return await _form_page(request, CampaignForm.of(campaign), campaign=campaign)


async def form_post(request: web.Request) -> web.Response:
    """The form's buttons: Preview and Count show the form again; Save keeps the draft."""
    staff = require_admin(request)
    campaign = await _load(request) if "campaign_id" in request.match_info else None
    posted = await request.post()
    form = CampaignForm.posted(posted)
    action = posted.get("action", "preview")
    config = request.config_dict
    today = _today(request)
    if action == "count":  # on the send day typed, or today if it is not a day yet
        day = max(form.day() or today, today)
        async with config[SESSIONS]() as session:
            reach = await campaigns.reach(session, form.segment, day)
        form.problems += form.segment.problems()
        return await _form_page(request, form, campaign=campaign, reach=reach)
    if action != "save":
        return await _form_page(request, form, campaign=campaign)
    draft = form.draft()
    if draft is None:
        return await _form_page(request, form, campaign=campaign, status=422)
    now = config[CLOCK]()
    async with config[SESSIONS].begin() as session:
        if campaign is None:
            saved: Campaign | Invalid | Refused = await campaigns.create_draft(
                session, draft, staff_id=staff.id, today=today, now=now
            )
        else:
            saved = await campaigns.update_draft(
                session, campaign.id, draft, staff_id=staff.id, today=today, now=now
            )
    if isinstance(saved, Invalid):
        form.problems += saved.problems
        return await _form_page(request, form, campaign=campaign, status=422)
    if isinstance(saved, Refused):
        form.problems.append(saved.reason)
        return await _form_page(request, form, campaign=campaign, status=409)
    raise web.HTTPSeeOther(
        request.app.router["campaign"].url_for(campaign_id=str(saved.id)).with_query(done="saved")
    )


_NOTICES = {
    "saved": "The draft is saved. Check it, then schedule it.",
    "scheduled": "The campaign is scheduled.",
    "cancelled": "The campaign is cancelled: nothing more of it will be sent.",
}


async def campaign_page(request: web.Request, *, problem: str | None = None) -> web.Response:
    require_admin(request)
    campaign = await _load(request)
    async with request.config_dict[SESSIONS]() as session:
        report = await campaigns.report(session, campaign.id)
        reach = (
            await campaigns.reach(
                session,
                Segment.from_json(campaign.segment),
                max(campaign.send_on, _today(request)),
            )
            if campaign.status is CampaignStatus.DRAFT
            else campaign.reached
        )
    return render(
        request,
        "campaigns/show.html",
        {
            "campaign": campaign,
            "segment": _segment_words(campaign.segment),
            "previews": previews({k: str(v) for k, v in campaign.texts.items()}),
            "report": report,
            "reach": reach,
            "problem": problem,
            "notice": _NOTICES.get(request.query.get("done", "")),
            "can_schedule": campaign.status is CampaignStatus.DRAFT,
            "can_cancel": campaign.status in campaigns.OPEN_CAMPAIGN,
        },
        status=409 if problem else 200,
    )


async def show_page(request: web.Request) -> web.Response:
    return await campaign_page(request)


def _segment_words(segment: dict[str, Any]) -> list[tuple[str, str]]:
    """The segment as a sentence per part, for the campaign page."""
    labels = {
        "age_bands": {band.id: band.label for band in AGE_BANDS},
        "roles": {role.value: label for role, label in ROLE_LABELS.items()},
        "locales": LANGUAGE_NAMES,
        "areas": {town.id: town.name for town in _areas().towns},
        "sources": {campaigns.NO_SOURCE: "no source"},
    }
    return [
        (
            _PICKER_TITLES[part],
            ", ".join(labels[part].get(v, v) for v in segment.get(part, [])) or "Anyone",
        )
        for part in _PARTS
    ]


async def confirm_page(request: web.Request) -> web.Response:
    """Are you sure? Scheduling sends to every family it reaches; cancelling stops it."""
    require_admin(request)
    campaign = await _load(request)
    action = request.match_info["action"]
    async with request.config_dict[SESSIONS]() as session:
        report = await campaigns.report(session, campaign.id)
        reach = await campaigns.reach(
            session, Segment.from_json(campaign.segment), max(campaign.send_on, _today(request))
        )
    return render(
        request,
        "campaigns/confirm.html",
        {"campaign": campaign, "action": action, "reach": reach, "report": report},
    )


async def schedule_post(request: web.Request) -> web.Response:
    staff = require_admin(request)
    campaign = await _load(request)
    config = request.config_dict
    async with config[SESSIONS].begin() as session:
        done = await campaigns.schedule(
            session, campaign.id, staff_id=staff.id, today=_today(request), now=config[CLOCK]()
        )
    if isinstance(done, Refused):
        return await campaign_page(request, problem=done.reason)
    raise web.HTTPSeeOther(
        request.app.router["campaign"]
        .url_for(campaign_id=str(campaign.id))
        .with_query(done="scheduled")
    )


async def cancel_post(request: web.Request) -> web.Response:
    staff = require_admin(request)
    campaign = await _load(request)
    config = request.config_dict
    async with config[SESSIONS].begin() as session:
        done = await campaigns.cancel(session, campaign.id, staff_id=staff.id, now=config[CLOCK]())
    if isinstance(done, Refused):
        return await campaign_page(request, problem=done.reason)
    raise web.HTTPSeeOther(
        request.app.router["campaign"]
        .url_for(campaign_id=str(campaign.id))
        .with_query(done="cancelled")
    )


def add_campaign_routes(app: web.Application) -> None:
    app.router.add_get("/campaigns", list_page, name="campaigns")
    app.router.add_get("/campaigns/new", new_page, name="campaign_new")
    app.router.add_post("/campaigns/new", form_post, name="campaign_new_post")
    app.router.add_get(r"/campaigns/{campaign_id:\d{1,9}}", show_page, name="campaign")
    app.router.add_get(r"/campaigns/{campaign_id:\d{1,9}}/edit", edit_page, name="campaign_edit")
    app.router.add_post(
        r"/campaigns/{campaign_id:\d{1,9}}/edit", form_post, name="campaign_edit_post"
    )
    app.router.add_get(
        r"/campaigns/{campaign_id:\d{1,9}}/{action:schedule|cancel}",
        confirm_page,
        name="campaign_confirm",
    )
    app.router.add_post(
        r"/campaigns/{campaign_id:\d{1,9}}/schedule", schedule_post, name="campaign_schedule"
    )
    app.router.add_post(
        r"/campaigns/{campaign_id:\d{1,9}}/cancel", cancel_post, name="campaign_cancel"
    )
