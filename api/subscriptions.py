"""``Subscription``: the live events a caller's key watches, over graphql-transport-ws."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.access import Can
from api.context import Info
from api.permissions import needs
from api.resolvers import watching
from api.resolvers.watching import WatchEvent


@strawberry.type(description="Live events over graphql-transport-ws on /graphql.")
class Subscription:
    @strawberry.subscription(
        description="Events of the entities the caller's key watches, from now on: a new "
        "record, a level change, a move onto or off a blacklist. Needs an API key (send it as "
        "`Authorization` in the connection_init payload).",
        permission_classes=[needs(Can.WATCH)],
    )
    async def watch_events(self, info: Info) -> AsyncGenerator[WatchEvent, None]:
        async for event in watching.events(info):
            yield event
