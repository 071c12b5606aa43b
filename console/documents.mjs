// Registers the console's GraphQL documents for trusted-documents mode: writes
// dist/trusted-documents.json, each document keyed by the SHA-256 of its text, exactly as the
// console sends it. A server started with CREDGRAPH_TRUSTED_DOCUMENTS pointing at this file
// (and at other clients' manifests) runs these documents and refuses every other one.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";

import * as documents from "./src/documents.js";

const manifest = {};
for (const text of Object.values(documents)) {
  if (typeof text !== "string") continue;
  manifest[createHash("sha256").update(text, "utf8").digest("hex")] = text;
}
mkdirSync("dist", { recursive: true });
writeFileSync("dist/trusted-documents.json", JSON.stringify(manifest, null, 2) + "\n");
console.log(`dist/trusted-documents.json: ${Object.keys(manifest).length} documents`);
