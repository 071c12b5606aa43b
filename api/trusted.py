"""Trusted documents: with ``CREDGRAPH_TRUSTED_DOCUMENTS`` set, the API runs only the GraphQL
documents its clients registered ahead, as large public GraphQL APIs do for their production
clients; anything else is refused with ``DOCUMENT_NOT_TRUSTED`` before it is parsed.

A manifest is a JSON object mapping the SHA-256 (hex) of each document's exact text to the
text: the console's is written by its build (``console/dist/trusted-documents.json``), and
other clients publish theirs the same way (the format GraphQL Code Generator's persisted
documents and Apollo's persisted query lists reduce to). A client sends either the document
itself, whose hash must be registered, or only its id: ``"documentId": "sha256:<hex>"`` (the
GraphQL-over-HTTP persisted documents form) or Apollo's
``extensions.persistedQuery.sha256Hash``. ``api.middleware.trusted_documents`` applies this to
HTTP requests and ``api.websocket`` to WebSocket operations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

PREFIX = "sha256:"


class UntrustedDocument(Exception):
    """The operation is not registered; the message names what was sent and what to do."""


@dataclass(frozen=True)
class TrustedDocuments:
    """The registered documents, by the SHA-256 of their text."""

    documents: Mapping[str, str]

    @classmethod
    def load(cls, paths: str) -> TrustedDocuments:
        """The documents of the comma-separated manifests ``paths``; a manifest that cannot be
        read, or a document whose text does not hash to its id, stops the server from starting
        (a typo must not silently refuse every request, nor admit one)."""
        documents: dict[str, str] = {}
        for name in (p.strip() for p in paths.split(",")):
            if not name:
                continue
            path = Path(name)
            try:
                manifest = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                raise ValueError(
                    f"CREDGRAPH_TRUSTED_DOCUMENTS: cannot read {path}: {exc}"
                ) from None
            if not isinstance(manifest, dict):
                raise ValueError(f"CREDGRAPH_TRUSTED_DOCUMENTS: {path} is not a JSON object")
            for key, text in manifest.items():
                digest = key.removeprefix(PREFIX).lower()
                if not isinstance(text, str) or digest_of(text) != digest:
                    raise ValueError(
                        f"CREDGRAPH_TRUSTED_DOCUMENTS: in {path}, {key} is not the SHA-256 of "
                        "its document"
                    )
                documents[digest] = text
        if not documents:
            raise ValueError(f"CREDGRAPH_TRUSTED_DOCUMENTS: no documents in {paths}")
        return cls(documents)

    def resolve(self, operation: dict[str, Any]) -> dict[str, Any]:
        """``operation`` (a request's JSON object) with the registered document as its query,
        or ``UntrustedDocument``."""
        wanted = _document_id(operation)
        query = operation.get("query")
        if wanted is not None:
            text = self.documents.get(wanted)
            if text is None:
                raise UntrustedDocument(
                    f"documentId: no registered document {PREFIX}{wanted}; this server runs "
                    "only documents its clients registered ahead (CREDGRAPH_TRUSTED_DOCUMENTS)"
                )
            if query is not None and query != text:
                raise UntrustedDocument("query: is not the document documentId names")
            resolved = {k: v for k, v in operation.items() if k != "documentId"}
            resolved["query"] = text
            return resolved
        if not isinstance(query, str):
            return operation  # no document at all: the view answers that
        if digest_of(query) not in self.documents:
            raise UntrustedDocument(
                "query: not a registered document; this server runs only documents its clients "
                "registered ahead (CREDGRAPH_TRUSTED_DOCUMENTS): send one of them, or its "
                'documentId ("sha256:<hex>")'
            )
        return operation


def digest_of(text: str) -> str:
    """The id of a document: the SHA-256 of its UTF-8 text, in hex."""
    return hashlib.sha256(text.encode()).hexdigest()


def _document_id(operation: Mapping[str, Any]) -> str | None:
    named = operation.get("documentId")
    if named is None:
        extensions = operation.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        named = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if named is None:
            return None
    if not isinstance(named, str):
        raise UntrustedDocument("documentId: must be a string, sha256:<hex>")
    return named.removeprefix(PREFIX).lower()
