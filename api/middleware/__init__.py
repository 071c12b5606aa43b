"""ASGI middleware around the GraphQL endpoint, one concern a module, in the order an HTTP
request meets them:

1. ``security_headers``: no caching, no sniffing, on every answer (refusals included);
2. ``authentication``: the API key checked (401, or 429 for an address sending bad keys);
3. ``rate_limit``: a token from the caller's bucket a minute (429 with Retry-After);
4. ``timeout``: the answer within ``CREDGRAPH_REQUEST_TIMEOUT``, or 504 (the work cancelled);
5. ``body_limit``: a body larger than 1 MiB refused (413);
6. ``trusted_documents``: with ``CREDGRAPH_TRUSTED_DOCUMENTS``, only registered documents (400);

then the GraphQL view (``api.view``), which costs the request and runs it. WebSocket
connections pass straight to the view: their key comes in connection_init, and each operation
is rate-limited, capped and timed out there (``api.websocket``) with the same limits.
"""

from __future__ import annotations

from starlette.types import ASGIApp

from api.limits import WorkerLimits
from api.middleware.authentication import Authentication
from api.middleware.body_limit import MAX_BODY, BodyLimit
from api.middleware.rate_limit import RateLimit
from api.middleware.security_headers import SecurityHeaders
from api.middleware.timeout import Timeout
from api.middleware.trusted_documents import TrustedOnly
from api.trusted import TrustedDocuments
from config.settings import Settings


def around_graphql(
    view: ASGIApp,
    settings: Settings,
    limits: WorkerLimits,
    trusted: TrustedDocuments | None = None,
) -> ASGIApp:
    """The GraphQL view wrapped in the middleware, outermost first as listed above
    (``trusted_documents`` only with ``trusted``)."""
    app: ASGIApp = view
    if trusted is not None:
        app = TrustedOnly(app, trusted)
    app = BodyLimit(app, MAX_BODY)
    app = Timeout(app, settings)
    app = RateLimit(app, limits)
    app = Authentication(app, limits)
    return SecurityHeaders(app)
