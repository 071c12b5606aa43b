"""``credgraph keys``: create an API key for a role, list the keys, revoke one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column, Table

from cli.common import console, load_settings, on_graph, out
from graph.driver import Graph
from graph.errors import CredgraphError
from graph.repositories.keys import Role

keys_app = typer.Typer(help="API keys: create one for a role, list them, revoke one.")


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do.", case_sensitive=False)],
    name: Annotated[str, typer.Option(help="Who holds it (a bank, a desk, an app).")],
    subject: Annotated[
        str | None,
        typer.Option(help="For the subject role: the USCC or identity number it is bound to."),
    ] = None,
) -> None:
    """Create an API key and print it once: only its salted hash is kept."""
    from graph.identifiers import IdentifierError, parse_uscc
    from graph.parties import parse_party_key
    from graph.repositories import keys
    from graph.repositories.entities import entities_by_key

    if not name.strip():
        raise CredgraphError("--name: must not be empty")
    if (role is Role.SUBJECT) != (subject is not None):
        raise CredgraphError("--subject: required for the subject role, and only for it")
    bound: str | None = None
    if subject is not None:
        try:
            bound = parse_uscc(subject).code
        except IdentifierError:
            try:
                bound = parse_party_key(subject).key
            except IdentifierError as exc:
                raise CredgraphError(f"--subject: not a party's key: {exc}") from None

    async def work(graph: Graph) -> tuple[keys.ApiKey, str]:
        if bound is not None and (await entities_by_key(graph, [bound]))[0] is None:
            raise CredgraphError(f"--subject: the registry holds no person or company {bound}")
        return await keys.create(graph, name.strip(), role, bound)

    key, text = on_graph(load_settings(), work)
    console.print(f"created key {key.key_id} ({key.role.value}) for {key.name}; it is shown once:")
    out.print(text, soft_wrap=True)


@keys_app.command("list")
def keys_list() -> None:
    """List the keys: id, role, name, subject, created, revoked (never the secrets)."""
    from graph.parties import mask_key
    from graph.repositories import keys

    found = on_graph(load_settings(), keys.all_keys)
    table = Table("role", "name", "subject", "created", "revoked")
    table.columns.insert(0, Column("key id", no_wrap=True))
    for key in found:
        subject = mask_key(key.subject or "")
        table.add_row(
            key.key_id,
            key.role.value,
            key.name,
            subject,
            key.created_at.isoformat(timespec="seconds"),
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id `keys list` shows.")],
) -> None:
    """Revoke a key: it is refused from then on (API workers notice within 30 seconds)."""
    from graph.repositories import keys

    async def work(graph: Graph) -> keys.ApiKey | None:
        return await keys.revoke(graph, key_id)

    key = on_graph(load_settings(), work)
    if key is None:
        raise CredgraphError(f"no key {key_id!r}; `credgraph keys list` shows them")
    out.print(f"revoked key {key.key_id} ({key.role.value}, {key.name})")
