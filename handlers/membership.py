"""The bot's own membership: a person who unblocks it or a group that adds it back hears alerts
again (the sender marked the chat unreachable on its 403)."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from domain.ports import ChatTargets

log = logging.getLogger("caixiao.membership")


def router() -> Router:
    r = Router(name="membership")

    @r.my_chat_member(ChatMemberUpdatedFilter(JOIN_TRANSITION))
    async def back(event: ChatMemberUpdated, chat_targets: ChatTargets) -> None:
        if await chat_targets.reachable(event.chat.id, event.date):
            log.info("chat %s reachable again: alerts resume", event.chat.id)

    return r
