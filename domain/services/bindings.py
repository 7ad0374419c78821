"""Admins choose which alert kinds a group chat or forum topic receives (/bind, /unbind)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.alerts import AlertKind, ChatPlace, parse_kinds
from domain.master import ADMINISTRATION, User
from domain.ports import AlertBindings, Clock


@dataclass(frozen=True, slots=True)
class BindingChange:
    """What a /bind or /unbind did: `kinds` changed; with `unknown` words nothing changed."""

    kinds: list[AlertKind] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    asked: bool = True  # False: no kind was named (for /bind: nothing to do)
    bound: list[AlertKind] = field(default_factory=list)  # what the chat or topic receives now


class AlertSubscriptions:
    """Only admins change bindings (PermissionDenied otherwise), also in groups where anyone may
    send the command: the sender's own roles count, never the group's."""

    def __init__(self, store: AlertBindings, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def bind(self, actor: User, place: ChatPlace, words: Sequence[str], lang: str) -> BindingChange:
        """Bind the named kinds (`all`: every kind); the chat becomes a delivery target speaking
        `lang`, the binding admin's language."""
        actor.require(ADMINISTRATION, "bind_alerts")
        kinds, unknown = parse_kinds(words)
        if unknown or not kinds:
            return BindingChange(unknown=unknown, asked=bool(words))
        added = await self.store.bind(place, [k.value for k in kinds], actor.id, lang, self.clock.now())
        return BindingChange([AlertKind(k) for k in added], bound=await self._bound(place))

    async def unbind(self, actor: User, place: ChatPlace, words: Sequence[str]) -> BindingChange:
        """Unbind the named kinds; none named (or `all`): every kind bound here."""
        actor.require(ADMINISTRATION, "bind_alerts")
        kinds, unknown = parse_kinds(words)
        if unknown:
            return BindingChange(unknown=unknown)
        wanted = [k.value for k in kinds] if words and kinds else None
        removed = await self.store.unbind(place.chat_id, place.thread_id, wanted)
        return BindingChange([AlertKind(k) for k in removed], bound=await self._bound(place))

    async def bound(self, actor: User, place: ChatPlace) -> list[AlertKind]:
        actor.require(ADMINISTRATION, "bind_alerts")
        return await self._bound(place)

    async def _bound(self, place: ChatPlace) -> list[AlertKind]:
        return [AlertKind(k) for k in await self.store.bound(place.chat_id, place.thread_id)]
