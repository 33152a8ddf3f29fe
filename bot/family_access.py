"""This chat's family, as the handlers of one update reach it: one database session for the
update, one short transaction at a time, and the family read once.

On SQLite every transaction takes the write lock first (`store.engine`), so a second one opened
while another is still running waits 30 s for it and then fails. Here a transaction started
inside another is refused at once, and reading the family inside a change gives the family being
changed, so the handlers cannot open one by accident. No transaction is held while the bot talks
to Telegram or writes a conversation step: each ends with its block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain import families
from store.models import Family


class NestedTransaction(RuntimeError):
    """A transaction was started while another of the same update was still open."""


class NoFamily(LookupError):
    """A change was asked of a family this chat does not have."""


@dataclass(frozen=True)
class FamilyEdit:
    """The family being changed, and the session the domain writes its other rows in."""

    session: AsyncSession
    family: Family


class FamilyAccess:
    """The family of one chat for one update (`GrowWellContext.family` makes one per update).

    `find` and `registered` read it once and then answer from memory; `editing` changes it in
    one transaction, committed when the block ends; the other methods are the few things
    handlers do besides.
    """

    __slots__ = ("_chat_id", "_editing", "_family", "_read", "_session", "_sessions")

    def __init__(self, sessions: async_sessionmaker[AsyncSession], chat_id: int | None) -> None:
        self._sessions = sessions
        self._chat_id = chat_id
        self._session: AsyncSession | None = None  # opened on first use
        self._family: Family | None = None
        self._read = False
        self._editing: Family | None = None

    async def find(self) -> Family | None:
        """The family (None before it consented); inside `editing`, the family being changed."""
        if self._editing is not None:
            return self._editing
        if not self._read:
            family = None
            if self._chat_id is not None:
                async with self._transaction() as session:
                    family = await families.find_family(session, self._chat_id)
            self._remember(family)
        return self._family

    async def require(self) -> Family:
        """The family, in a step only a family can reach (past consent); NoFamily if it is gone."""
        family = await self.find()
        if family is None:
            raise NoFamily(self._chat_id)
        return family

    async def registered(self) -> Family | None:
        """The family if it has finished signing up, else None."""
        family = await self.find()
        return family if family is not None and family.registered_at is not None else None

    @asynccontextmanager
    async def editing(self) -> AsyncIterator[FamilyEdit]:
        """The family, freshly read, in a transaction committed when the block ends; if the block
        fails nothing of it is kept. Raises NoFamily if the chat has no family."""
        async with self._transaction() as session:
            session.expire_all()  # decide on what the database holds now, not what was read
            family = await families.find_family(session, self._required_chat_id())
            if family is None:
                raise NoFamily(self._chat_id)
            self._editing = family
            try:
                yield FamilyEdit(session, family)
            finally:
                self._editing = None
        self._remember(family)

    async def consent(self, *, locale: str, source: str | None, now: datetime) -> Family:
        """The family agreed to the privacy notice: its first row (kept if it had one)."""
        async with self._transaction() as session:
            family = await families.record_consent(
                session, self._required_chat_id(), locale=locale, source=source, now=now
            )
        self._remember(family)
        return family

    async def muted_topics(self) -> set[str]:
        """The tip topics the family switched off (none before it consented)."""
        family = await self.find()
        if family is None:
            return set()
        async with self._transaction() as session:
            return await families.muted_topics(session, family)

    async def export(self) -> dict[str, Any] | None:
        """Everything stored about the family, for /mydata; None if nothing is."""
        family = await self.find()
        if family is None:
            return None
        async with self._transaction() as session:
            return await families.export_family(session, family)

    async def erase(self) -> None:
        """Delete the family and every row about it, drafts and conversation included."""
        async with self._transaction() as session:
            await families.erase_family(session, self._required_chat_id())
        self._remember(None)

    async def record_seen(self, now: datetime) -> None:
        if self._chat_id is not None:
            async with self._transaction() as session:
                await families.record_seen(session, self._chat_id, now)

    async def record_blocked(self) -> None:
        if self._chat_id is not None:
            async with self._transaction() as session:
                await families.record_blocked(session, self._chat_id)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction on the update's session, committed when the block ends. After a failure
        nothing read before is trusted: the next read goes to the database again."""
        if self._session is None:
            self._session = self._sessions()
        session = self._session
        if session.in_transaction():
            raise NestedTransaction("a transaction of this update is still open")
        try:
            async with session.begin():
                yield session
        except BaseException:
            self._read, self._family = False, None
            session.expunge_all()
            raise

    def _remember(self, family: Family | None) -> None:
        self._family, self._read = family, True

    def _required_chat_id(self) -> int:
        if self._chat_id is None:
            raise NoFamily("the update has no chat")
        return self._chat_id
