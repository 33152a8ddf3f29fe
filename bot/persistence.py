"""PTB persistence in our database: conversation steps and unconfirmed answers survive restarts.

Only chats that are mid-conversation have rows, so start-up loads little however many families
there are. A step is written before its question goes out (`bot.conversation.go`), and every
update is written through when it has been handled (`flush_after_update` in `bot.app`). Rows
older than the conversation timeout are over: they are deleted instead of loaded.

Families' updates are handled at the same time (`bot.update_order`), and PTB writes every chat
marked since its last write whenever any update flushes. A chat with an update in hand is left
to that update's own flush (see `update_chat_data`).
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from store.models import ChatDraft, ConversationState

ChatData = dict[str, Any]
# In a chat's data: when the family last took a step in its conversation (ISO time, by the bot's
# clock), kept there by `bot.conversation`. The conversation's row is as fresh as that step.
STEP_AT_KEY = "at"


class DatabasePersistence(BasePersistence[dict[str, Any], ChatData, dict[str, Any]]):
    """Stores conversation states and chat drafts; user and bot data are not kept.

    `clock` is the bot's clock, so "older than `timeout`" means the same here as to the
    dispatcher, which also reads the rows' `updated_at`. `handled_elsewhere(chat_id)` says
    whether an update of that chat is in hand in another task
    (`bot.update_order.ChatOrderedUpdates.handled_elsewhere`).
    """

    __slots__ = ("_clock", "_handled_elsewhere", "_sessions", "_timeout")

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime],
        timeout: timedelta,
        handled_elsewhere: Callable[[int], bool] = lambda chat_id: False,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=False, callback_data=False
            ),
            update_interval=30,
        )
        self._sessions = sessions
        self._clock = clock
        self._timeout = timeout
        self._handled_elsewhere = handled_elsewhere

    def _cutoff(self) -> datetime:
        return self._clock() - self._timeout

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ConversationState).where(
                    ConversationState.name == name, ConversationState.updated_at < self._cutoff()
                )
            )
            rows = await session.scalars(
                select(ConversationState).where(ConversationState.name == name)
            )
            return {(row.chat_id, row.user_id): row.state["v"] for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        async with self._sessions.begin() as session:
            await self._write_state(session, name, key, new_state)

    async def _write_state(
        self, session: AsyncSession, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        chat_id, user_id = int(key[0]), int(key[-1])
        row = await session.get(ConversationState, (name, chat_id, user_id))
        if new_state is None:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(
                ConversationState(
                    name=name,
                    chat_id=chat_id,
                    user_id=user_id,
                    state={"v": new_state},
                    updated_at=self._clock(),
                )
            )
        else:
            row.state = {"v": new_state}
            row.updated_at = self._clock()

    async def save_step(
        self, name: str, key: ConversationKey, new_state: object | None, data: ChatData
    ) -> None:
        """The step a chat moves to and its answers so far, in one transaction: a kill between
        two writes would leave a step without the answer it asks about."""
        async with self._sessions.begin() as session:
            await self._write_drafts(session, int(key[0]), data)
            await self._write_state(session, name, key, new_state)

    async def get_chat_data(self) -> dict[int, ChatData]:
        async with self._sessions.begin() as session:
            await session.execute(delete(ChatDraft).where(ChatDraft.updated_at < self._cutoff()))
            rows = await session.scalars(select(ChatDraft))
            return {row.chat_id: deepcopy(row.data) for row in rows}

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        """Write a chat's answers, unless another task has an update of the chat in hand: PTB's
        copy may be from halfway through that update, and could land after the update's own
        `save_step`. That update's flush writes the chat when it is done.

        Asked again before the commit: an update that came meanwhile could have written first.
        """
        if self._handled_elsewhere(chat_id):
            return
        async with self._sessions() as session:
            await self._write_drafts(session, chat_id, data)
            if self._handled_elsewhere(chat_id):
                return  # rolled back
            await session.commit()

    async def _write_drafts(self, session: AsyncSession, chat_id: int, data: ChatData) -> None:
        """Write the answers; the chat's conversation, if any, is as fresh as its last step, so a
        family still answering the same question does not time out."""
        step_at = data.get(STEP_AT_KEY)
        at = datetime.fromisoformat(step_at) if isinstance(step_at, str) else self._clock()
        row = await session.get(ChatDraft, chat_id)
        if not data:
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(ChatDraft(chat_id=chat_id, data=deepcopy(data), updated_at=at))
        else:
            row.data = deepcopy(data)
            row.updated_at = at
        if isinstance(step_at, str):
            await session.flush()  # the draft's row is locked before the state's, as everywhere
            await session.execute(
                update(ConversationState)
                .where(ConversationState.chat_id == chat_id)
                .values(updated_at=at)
            )

    async def drop_chat_data(self, chat_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(ChatDraft).where(ChatDraft.chat_id == chat_id))

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        """The in-memory copy is the live one; nothing to refresh."""

    # User data, bot data and callback data are switched off in `store_data`.
    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        """Not stored."""

    async def drop_user_data(self, user_id: int) -> None:
        """Not stored."""

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """Not stored."""

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        """Not stored."""

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        """Not stored."""

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        """Not stored."""

    async def flush(self) -> None:
        """Every update is written through at once; nothing is buffered."""
