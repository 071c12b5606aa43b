// The load client both GraphQL servers are driven with: autocannon, one keep-alive connection a
// client, each client sending its next request when the answer is in (a closed loop).
// Usage: node load.mjs <job.json>; the job names url, headers, query, variables (a list, taken in
// turn), connections, and either amount (requests in all) or duration (seconds), and out (the
// file the latencies, failures and the seconds taken are written to as JSON).
import autocannon from "autocannon";
import { readFileSync, writeFileSync } from "node:fs";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const bodies = job.variables.map((variables) => JSON.stringify({ query: job.query, variables }));
let next = 0;
const latencies = [];
const failures = [];

const started = process.hrtime.bigint();
const instance = autocannon({
  url: job.url,
  connections: job.connections,
  ...(job.amount ? { amount: job.amount } : { duration: job.duration }),
  timeout: 30,
  requests: [
    {
      method: "POST",
      headers: { "content-type": "application/json", ...job.headers },
      setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
      onResponse: (status, body) => {
        if (status !== 200) {
          failures.push(`HTTP ${status}: ${String(body).slice(0, 200)}`);
          return;
        }
        const answer = JSON.parse(body);
        if (answer.errors || !answer.data) failures.push(JSON.stringify(answer).slice(0, 300));
      },
    },
  ],
});
instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
instance.on("done", (result) => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  writeFileSync(
    job.out,
    JSON.stringify({ latencies, failures, seconds, errors: result.errors, timeouts: result.timeouts }),
  );
});
