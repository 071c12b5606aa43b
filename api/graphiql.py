"""GraphiQL at ``/graphql`` from our own files: Strawberry's page, its CDN addresses pointed at the
copies the console build keeps in ``console/dist/vendor`` (``console/vendor.mjs``, the same npm
packages at the same versions), so the page works on a machine without internet. The template's
integrity hashes stay: the browser refuses a copy that differs from what the CDN would serve."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

CDN = re.compile(r"https://unpkg\.com/(@?[^@\s\"']+)@[^/\s\"']+/([^\s\"']+)")
VENDOR = "/console/vendor"


@cache
def local_graphiql() -> tuple[str, tuple[str, ...]]:
    """Strawberry's GraphiQL page loading every script and style sheet from ``/console/vendor``,
    and the paths under that folder it loads (made once: the template never changes)."""
    page = get_graphql_ide_html("graphiql")
    files = tuple(f"{name}/{path}" for name, path in CDN.findall(page))
    return CDN.sub(lambda m: f"{VENDOR}/{m.group(1)}/{m.group(2)}", page), files


def missing_vendor_files(console_dir: Path) -> list[str]:
    """The files the page loads that the console build has not put in place."""
    return [f for f in local_graphiql()[1] if not (console_dir / "vendor" / f).is_file()]
