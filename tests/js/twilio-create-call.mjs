// Captures the exact form body the official `twilio` npm library (version pinned in package-lock.json) sends for
// client.calls.create(args). Driven by tests/Outdial.Telephony.Tests/TwilioNode.cs; install with `npm ci --prefix tests/js`.
//
// stdin:  {"accountSid":"AC...","authToken":"...","args":{"to":"+1...","from":"+1...","url":"...",...}}
//         (args use the library's camelCase names, e.g. statusCallbackEvent, timeLimit, asyncAmd)
// stdout: one line {"method":"POST","path":"/2010-04-01/Accounts/AC.../Calls.json","contentType":"...","body":"To=%2B1..."}
//
// The library is pointed at a loopback listener by setting the API domain's baseUrl (lib/base/Domain.js builds
// every request URL from it; with no edge/region set, BaseTwilio.getHostname leaves 127.0.0.1 unchanged). The body
// is the library's own serialisation: RequestClient.js qs.stringify(data, { arrayFormat: "repeat" }).
import http from "node:http";
import twilio from "twilio";

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
      contentType: req.headers["content-type"] ?? null,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    res.writeHead(201, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ sid: "CA00000000000000000000000000000000", account_sid: input.accountSid, status: "queued" }));
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
try {
  const client = twilio(input.accountSid, input.authToken);
  client.api.baseUrl = `http://127.0.0.1:${server.address().port}`;
  await client.calls.create(input.args);
} finally {
  server.close();
}
if (captured === null) {
  console.error("the twilio library sent no request");
  process.exit(1);
}
process.stdout.write(JSON.stringify(captured) + "\n");
