// Captures the exact JSON body the official `telnyx` npm library (version pinned in package-lock.json) sends for
// client.calls.dial(args). Driven by tests/Outdial.Telephony.Tests/TelnyxNodeTests.cs; install with `npm ci --prefix tests/js`.
//
// stdin:  {"apiKey":"KEY...","args":{"connection_id":"...","to":"+1...","from":"+1...",...}}  (the library takes Telnyx's snake_case names)
// stdout: one line {"method":"POST","path":"/v2/calls","authorization":"Bearer ...","contentType":"...","body":"{...}"}
//
// The library is pointed at a loopback listener through its baseURL option (client.js builds every request URL from it).
import http from "node:http";
import Telnyx from "telnyx";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const input = JSON.parse(await readStdin());
let captured = null;
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    captured = {
      method: req.method,
      path: req.url,
      authorization: req.headers["authorization"] ?? null,
      contentType: req.headers["content-type"] ?? null,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ data: { call_control_id: "v3:captured", call_leg_id: "x", call_session_id: "y", is_alive: false, record_type: "call" } }));
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
try {
  const { port } = server.address();
  const client = new Telnyx({ apiKey: input.apiKey, baseURL: `http://127.0.0.1:${port}/v2`, maxRetries: 0 });
  await client.calls.dial(input.args);
} finally {
  server.close();
}
process.stdout.write(JSON.stringify(captured) + "\n");
