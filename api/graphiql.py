"""GraphiQL at ``/graphql`` from our own files: Strawberry's page, its CDN addresses pointed at the
copies the console build keeps in ``console/dist/vendor`` (``console/vendor.mjs``, the same npm
packages at the same versions), so the page works on a machine without internet. The template's
integrity hashes stay: the browser refuses a copy that differs from what the CDN would serve."""

from __future__ import annotations

import re
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

CDN = re.compile(r"https://unpkg\.com/(@?[^@\s\"']+)@[^/\s\"']+/([^\s\"']+)")
VENDOR = "/console/vendor"


def local_graphiql_html() -> str:
    """Strawberry's GraphiQL page, loading every script and style sheet from ``/console/vendor``."""
    page = get_graphql_ide_html("graphiql")
    return CDN.sub(lambda m: f"{VENDOR}/{m.group(1)}/{m.group(2)}", page)


def vendor_files(html: str) -> list[str]:
    """The paths under the console's ``vendor`` folder that ``html`` loads."""
    prefix = f'="{VENDOR}/'
    return [part.split('"', 1)[0] for part in html.split(prefix)[1:]]


def missing_vendor_files(console_dir: Path, html: str) -> list[str]:
    """The files ``html`` loads that the console build has not put in place."""
    return [f for f in vendor_files(html) if not (console_dir / "vendor" / f).is_file()]
