"""``credgraph audit``: verify the chain (against signed checkpoints too) and export them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from cli.common import load_settings, on_graph, out
from graph.driver import Graph
from graph.errors import CredgraphError
from graph.repositories import audit, checkpoints, state
from graph.signing import Signer, load_public

audit_app = typer.Typer(help="The tamper-evident audit log.")
checkpoints_app = typer.Typer(help="Signed checkpoints of the audit chain, for outside witnesses.")
audit_app.add_typer(checkpoints_app, name="checkpoints")


def _read_checkpoints(path: Path) -> list[checkpoints.Checkpoint]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
            found.append(
                checkpoints.Checkpoint(
                    seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"]),
                    signature=str(data["signature"]), key=str(data["key"]),
                )
            )  # fmt: skip
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise CredgraphError(f"{path}: line {number} is not a checkpoint") from None
    return found


@audit_app.command("verify")
def audit_verify(
    against: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="A file of signed checkpoints (from `audit checkpoints export`): name the "
            "first one the chain contradicts.",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The PEM public key to verify them with (default: the one of "
            "CREDGRAPH_AUDIT_KEY_FILE; an outside witness gives the published one).",
        ),
    ] = None,
    against_state: Annotated[
        bool,
        typer.Option(
            "--state",
            help="Also compare every company, person, link, record, score snapshot, dispute "
            "and API key with the last audited write that stored it, and name each one no "
            "audited write accounts for (an edit made behind the API's back).",
        ),
    ] = False,
) -> None:
    """Walk the audit chain from its first entry; name the first broken one (exit 1)."""

    settings = load_settings()
    held = _read_checkpoints(against) if against is not None else []
    key = (
        load_public(public_key.read_bytes())
        if public_key is not None
        else Signer(settings.audit_key_path).public
    )

    async def check(
        graph: Graph,
    ) -> tuple[int, audit.Break | None, int, str | None, state.StateReport | None]:
        count, broken = await audit.verify(graph)
        agreed, contradiction = await checkpoints.contradiction(graph, held, key)
        report = await state.verify(graph) if against_state else None
        return count, broken, agreed, contradiction, report

    count, broken, agreed, contradiction, report = on_graph(settings, check)
    if broken is not None:
        raise CredgraphError(
            f"audit chain broken at entry {broken.seq}: {broken.reason} "
            f"({count} entries before it hold)"
        )
    if contradiction is not None:
        raise CredgraphError(
            f"audit chain contradicts {contradiction} ({agreed} checkpoints before it hold)"
        )
    agreeing = f"; {agreed} signed checkpoints agree" if against is not None else ""
    out.print(f"audit chain intact: {count} entries{agreeing}")
    if report is None:
        return
    if report.intact:
        out.print(
            f"stored state intact: {report.checked} objects, each as an audited write stored it"
        )
        return
    _print_differences(report)
    raise CredgraphError(
        f"stored state differs from the audit chain: {len(report.differences)} of "
        f"{report.checked} objects no audited write accounts for"
    )


def _print_differences(report: state.StateReport) -> None:
    """One line an object: its kind and key, how it departs, the fields, the last seal."""

    for d in report.differences:
        fields = f" ({', '.join(d.fields)})" if d.fields else ""
        since = f"; last audited write: entry {d.seq}" if d.seq is not None else ""
        key = " ".join(state.describe(d.kind, d.key))
        out.print(f"{d.kind.value} {key}: {d.change.value}{fields}{since}", soft_wrap=True)


@audit_app.command("adopt")
def audit_adopt() -> None:
    """Seal the objects no audited write made (a graph written before writes were sealed), as
    audited acts of the operator. Objects whose content differs from a seal are never adopted:
    they stay named by `audit verify --state`."""

    async def adopt(graph: Graph) -> int:
        report = await state.verify(graph)
        unsealed: dict[state.Tracked, list[str]] = {}
        for d in report.differences:
            if d.change is state.Change.UNAUDITED:
                unsealed.setdefault(d.kind, []).append(d.key)
        adopted = 0
        for kind, found in unsealed.items():
            for start in range(0, len(found), ADOPT_BATCH):
                chunk = found[start : start + ADOPT_BATCH]

                async def work(
                    tx: Graph, kind: state.Tracked = kind, chunk: list[str] = chunk
                ) -> None:
                    tx.touch(kind, chunk)

                await audit.act(
                    graph, audit.OPERATOR, "adopt", {"kind": kind.value, "keys": chunk}, work
                )
                adopted += len(chunk)
        return adopted

    adopted = on_graph(load_settings(), adopt)
    out.print(f"adopted {adopted} objects no audited write had made")


ADOPT_BATCH = 5000


@checkpoints_app.command("export")
def checkpoints_export(
    path: Annotated[Path, typer.Argument(help="The file to write (JSON Lines).")],
) -> None:
    """Sign the chain's head when it is newer than the last checkpoint, then write every signed
    checkpoint to PATH, one JSON object a line (seq, hash, at, signature, key)."""

    settings = load_settings()
    signer = Signer(settings.audit_key_path)

    async def export(graph: Graph) -> list[checkpoints.Checkpoint]:
        await checkpoints.sign_head(graph, signer)
        return await checkpoints.listing(graph)

    made = on_graph(settings, export)
    path.write_bytes(b"".join(orjson.dumps(c.as_dict()) + b"\n" for c in made))
    last = f", the last at entry {made[-1].seq}" if made else ""
    out.print(f"wrote {len(made)} signed checkpoints to {path}{last}")
