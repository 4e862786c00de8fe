"""How entities fill the roles of facts: who acts, and where."""

from __future__ import annotations

from ..model import Entity, EntityKind, Mention


def actor_key(entity: Entity) -> str:
    """The actor an entity stands for: a capital speaks and acts for its state."""
    return entity.capital_of or entity.key


def first_place(
    begin: int, end: int, mentions: list[Mention], entities: dict[str, Entity]
) -> str | None:
    """The first place named between two offsets; capitals stand for states, so not them."""
    for mention in mentions:
        entity = entities[mention.entity]
        if (
            begin <= mention.begin < end
            and entity.kind is EntityKind.PLACE
            and not entity.capital_of
        ):
            return entity.key
    return None
