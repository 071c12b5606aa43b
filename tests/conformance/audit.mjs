// Runs every audit of graphql-http's auditServer against the URL given, printing one JSON line
// per audit ({id, name, status, reason}); tests/test_conformance.py reads them.
import { auditServer } from "graphql-http";

const url = process.argv[2];
const results = await auditServer({ url });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    line.reason = result.reason;
    if (result.response) {
      line.http = result.response.status;
      line.body = await result.response.text().catch(() => null);
    }
  }
  console.log(JSON.stringify(line));
}
