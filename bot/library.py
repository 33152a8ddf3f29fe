"""The parent library in the chat: topics, articles in pages, votes, search and deep links.

Callback data: `lib:t:<topic>:<page>` a topic's list, `lib:a:<id>` open an article,
`lib:p:<id>:<page>` turn its pages, `lib:v:<id>:<1|0>` vote, `lib:home` the topics.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import GrowWellContext
from bot.keyboards import keyboard
from bot.language import family_locale
from bot.safety import safety_net_line
from bot.steps import Handler
from domain import families
from domain.dates import months_old
from locales import N_, gettext_for
from resources.library import (
    Article,
    Audience,
    ReadingOrder,
    family_audiences,
    render_pages,
    sources_footer,
)
from resources.spokes import HUB
from resources.topics import Topic
from scheduler.rendering import support_button
from store.dialects import insert_or_ignore
from store.models import ArticleRead, ArticleVote, Family

PER_PAGE = 6
TOPIC_NAMES = {  # a label for every shelf, in the shelves' order
    Topic.SAFE_SLEEP: N_("😴 Safe sleep"),
    Topic.FEEDING: N_("🍼 Feeding"),
    Topic.CRYING: N_("😢 Crying and coping"),
    Topic.IMMUNISATIONS: N_("💉 Immunisations"),
    Topic.REVIEWS: N_("🩺 Health visitor reviews"),
    Topic.ORAL_HEALTH: N_("🦷 Teeth"),
    Topic.MENTAL_HEALTH: N_("💛 Your mental health"),
    Topic.FATHERS: N_("👨 Dads and partners"),
    Topic.URGENT_HELP: N_("🚑 When to get urgent help"),
}


def topic_label(topic: str, locale: str) -> str:
    return gettext_for(locale)(TOPIC_NAMES[Topic(topic)])


def reading_order(family: Family | None, locale: str, context: GrowWellContext) -> ReadingOrder:
    """The library as this family should see it: what fits its stage first."""
    library = context.services.library
    if family is None:
        return library.for_family(locale, role="mum", expecting=False)
    children = families.active_children(family)
    today = context.today()
    return library.for_family(
        locale,
        role=family.role.value if family.role else "carer",
        expecting=any(c.birth_date is None for c in children),
        child_ages_months=[months_old(c.birth_date, today) for c in children if c.birth_date],
    )


def search_audiences(family: Family | None) -> frozenset[Audience] | None:
    """Whose articles a family's questions favour: its role's, so a mum finds a dads' article
    after the ones for her. Pregnancy articles always fit: the question says more than the
    stage we hold, and a family may be expecting again before it tells us."""
    if family is None:
        return None
    return family_audiences(family.role.value if family.role else "carer", expecting=True)


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message a button was pressed on, or send a new one."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        await query.answer()
        try:
            await query.edit_message_text(
                text,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                disable_web_page_preview=True,
            )
            return
        except BadRequest as error:
            if "not modified" in error.message:
                return
    assert update.effective_chat is not None
    await update.get_bot().send_message(
        update.effective_chat.id,
        text,
        reply_markup=markup,
        parse_mode=ParseMode.HTML,
        disable_web_page_preview=True,
    )


def _topics_markup(order: ReadingOrder, locale: str) -> InlineKeyboardMarkup:
    return keyboard([(topic_label(topic, locale), f"lib:t:{topic}:0")] for topic in order.topics)


async def show_topics(update: Update, context: GrowWellContext) -> None:
    """The library's shelves, the ones that fit the family first."""
    family = await context.family.find()
    locale = family.locale if family else await family_locale(update, context)
    _ = gettext_for(locale)
    order = reading_order(family, locale, context)
    await _reply(
        update,
        _("📚 <b>Parent library</b>\nChoose a topic, or just type a question."),
        _topics_markup(order, locale),
    )


async def show_topic(update: Update, context: GrowWellContext) -> None:
    """One shelf: its articles in pages of six."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, _, topic, page_text = query.data.split(":", 3)
    family = await context.family.find()
    locale = family.locale if family else await family_locale(update, context)
    order = reading_order(family, locale, context)
    articles = order.articles.get(topic)
    if not articles or not page_text.isdigit():
        await query.answer()
        return
    pages = max(1, -(-len(articles) // PER_PAGE))
    page = min(int(page_text), pages - 1)
    shown = articles[page * PER_PAGE : (page + 1) * PER_PAGE]
    _ = gettext_for(locale)
    rows = [[(a.title, f"lib:a:{a.id}")] for a in shown]
    paging = []
    if page > 0:
        paging.append((_("◀️ Back"), f"lib:t:{topic}:{page - 1}"))
    if page < pages - 1:
        paging.append((_("Next ▶️"), f"lib:t:{topic}:{page + 1}"))
    if paging:
        rows.append(paging)
    rows.append([(_("📚 All topics"), "lib:home")])
    await _reply(update, f"<b>{topic_label(topic, locale)}</b>", keyboard(rows))


def article_pages(article: Article, locale: str) -> list[str]:
    return render_pages(article, footer=sources_footer(article, gettext_for(locale)("Sources")))


def _article_markup(
    article: Article, page: int, pages: int, locale: str, context: GrowWellContext
) -> InlineKeyboardMarkup:
    _ = gettext_for(locale)
    rows: list[list[tuple[str, str]]] = []
    paging = []
    if page > 0:
        paging.append((_("◀️ Back"), f"lib:p:{article.id}:{page - 1}"))
    if page < pages - 1:
        paging.append(
            (
                _("Next ▶️ ({page}/{pages})").format(page=page + 2, pages=pages),
                f"lib:p:{article.id}:{page + 1}",
            )
        )
    if paging:
        rows.append(paging)
    if page == pages - 1:
        for related in article.related[:3]:
            title = context.services.library.get(related, locale).title
            rows.append([(f"➡️ {title}", f"lib:a:{related}")])
        rows.append(
            [
                (_("👍 Helpful"), f"lib:v:{article.id}:1"),
                (_("👎 Not helpful"), f"lib:v:{article.id}:0"),
            ]
        )
        # Support from a person on what the article is about (resources/spokes.yaml topics).
        for spoke in context.services.spokes.for_topic(article.topic):
            rows.append([support_button(spoke, locale)])
    rows.append([(topic_label(article.topic, locale), f"lib:t:{article.topic}:0")])
    return keyboard(rows)


async def open_article(
    update: Update, context: GrowWellContext, article_id: str, page: int = 0, *, new: bool
) -> None:
    """An article page; a new message when opened, the same message edited when paging."""
    locale = await family_locale(update, context)
    try:
        article = context.services.library.get(article_id, locale)
    except KeyError:
        if update.callback_query is not None:
            await update.callback_query.answer()
        return
    pages = article_pages(article, locale)
    page = max(0, min(page, len(pages) - 1))
    markup = _article_markup(article, page, len(pages), locale, context)
    if new:
        async with context.services.sessions.begin() as session:
            await count_read(session, context.today(), article.id, article.locale)
        assert update.effective_chat is not None
        await update.get_bot().send_message(
            update.effective_chat.id,
            pages[page],
            reply_markup=markup,
            parse_mode=ParseMode.HTML,
            disable_web_page_preview=True,
        )
    else:
        await _reply(update, pages[page], markup)


async def article_pressed(update: Update, context: GrowWellContext) -> None:
    """Open an article from a list, a reminder's 'Read more' or a related link."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    await query.answer()
    await open_article(update, context, query.data.removeprefix("lib:a:"), new=True)


async def page_pressed(update: Update, context: GrowWellContext) -> None:
    assert update.callback_query is not None
    assert update.callback_query.data is not None
    _, _, article_id, page = update.callback_query.data.split(":", 3)
    await open_article(update, context, article_id, int(page) if page.isdigit() else 0, new=False)


async def count_read(session: AsyncSession, day: date, article_id: str, locale: str) -> None:
    """One more opening of an article, for the managers' reports: a count per day, article and
    language, never who read it. One upsert, so families opening it at once never collide."""
    dialect = session.get_bind().dialect.name
    first = {"day": day, "article_id": article_id, "locale": locale, "reads": 1}
    upsert = insert_or_ignore(ArticleRead, dialect).values(first)
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=["day", "article_id", "locale"],
            set_={"reads": ArticleRead.reads + 1},
        )
    )


async def record_vote(
    session: AsyncSession, family: Family, article_id: str, helpful: bool
) -> None:
    vote = await session.get(ArticleVote, (family.id, article_id))
    if vote is None:
        session.add(ArticleVote(family_id=family.id, article_id=article_id, helpful=helpful))
    else:
        vote.helpful = helpful


async def vote_pressed(update: Update, context: GrowWellContext) -> None:
    """'Was this helpful?': one vote per family and article; pressing again changes it."""
    query = update.callback_query
    assert query is not None
    assert query.data is not None
    _, _, article_id, value = query.data.split(":", 3)
    valid = article_id in context.services.article_ids and value in ("0", "1")
    if not valid or await context.family.find() is None:
        await query.answer()
        return
    async with context.family.editing() as edit:
        await record_vote(edit.session, edit.family, article_id, value == "1")
        locale = edit.family.locale
    _ = gettext_for(locale)
    await query.answer(_("Thank you! Your answer helps us make the library better."))


async def answer_question(update: Update, context: GrowWellContext, locale: str) -> None:
    """Free text is a question: the best articles in the family's language, or kind help."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    _ = gettext_for(locale)
    family = await context.family.find()
    hits = context.services.search.search(
        message.text[:300], locale, limit=5, audiences=search_audiences(family)
    )
    library = context.services.library
    found_ids = [hit.article_id for hit in hits]
    if context.red_flag_named:  # a red flag named in passing: the urgent-help shelf first
        urgent = [article.id for article in library.articles_in(Topic.URGENT_HELP, locale)]
        found_ids = [*urgent, *(i for i in found_ids if i not in urgent)][:5]
    if not found_ids:
        await message.reply_text(
            _(
                "I couldn't find an article about that. You can look through the topics, or ask "
                "your health visitor."
            )
            + "\n\n"
            + safety_net_line(locale),
            reply_markup=keyboard(
                [
                    [(_("📚 Library topics"), "lib:home")],
                    [(_("🙋 Ask a health visitor"), f"sup:s:{HUB}")],
                ]
            ),
        )
        return
    found = _("Here is what I found:")
    await message.reply_text(
        f"{safety_net_line(locale)}\n\n{found}" if context.red_flag_named else found,
        reply_markup=keyboard([[(library.get(i, locale).title, f"lib:a:{i}")] for i in found_ids]),
    )


def handlers() -> list[Handler]:
    return [
        CommandHandler("library", show_topics),
        CallbackQueryHandler(show_topics, pattern="^(lib:home|menu:library)$"),
        CallbackQueryHandler(show_topic, pattern=r"^lib:t:[a-z_]{1,20}:\d{1,3}$"),
        CallbackQueryHandler(article_pressed, pattern=r"^lib:a:[a-z0-9-]{1,58}$"),
        CallbackQueryHandler(page_pressed, pattern=r"^lib:p:[a-z0-9-]{1,50}:\d{1,2}$"),
        CallbackQueryHandler(vote_pressed, pattern=r"^lib:v:[a-z0-9-]{1,50}:[01]$"),
    ]
