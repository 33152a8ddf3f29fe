"""PTB persistence in our database: conversation steps and unconfirmed answers survive restarts.

Only chats that are mid-conversation have rows, so start-up loads little however many families
there are. Rows are written after every update (see `flush_after_update` in `bot.app`).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from store.models import ChatDraft, ConversationState

ChatData = dict[str, Any]


class DatabasePersistence(BasePersistence[dict[str, Any], ChatData, dict[str, Any]]):
    """Stores conversation states and chat drafts; user and bot data are not kept."""

    __slots__ = ("_sessions",)

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=False, callback_data=False
            ),
            update_interval=30,
        )
        self._sessions = sessions

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ConversationState).where(ConversationState.name == name)
            )
            return {(row.chat_id, row.user_id): row.state["v"] for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        chat_id, user_id = int(key[0]), int(key[-1])
        async with self._sessions.begin() as session:
            row = await session.get(ConversationState, (name, chat_id, user_id))
            if new_state is None:
                if row is not None:
                    await session.delete(row)
            elif row is None:
                session.add(
                    ConversationState(
                        name=name, chat_id=chat_id, user_id=user_id, state={"v": new_state}
                    )
                )
            else:
                row.state = {"v": new_state}

    async def get_chat_data(self) -> dict[int, ChatData]:
        async with self._sessions() as session:
            rows = await session.scalars(select(ChatDraft))
            return {row.chat_id: deepcopy(row.data) for row in rows}

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(ChatDraft, chat_id)
            if not data:
                if row is not None:
                    await session.delete(row)
            elif row is None:
                session.add(ChatDraft(chat_id=chat_id, data=dict(data)))
            elif row.data != data:
                row.data = dict(data)

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
