// Verifies webhook deliveries with the official Standard Webhooks npm package, as a receiver would.
// Driven by tests/Outdial.Server.Tests/StandardWebhooksNode.cs; install with `npm ci --prefix tests/js`.
//
// stdin:  {"cases":[{"secret":"...","format":"base64"|"raw","headers":{"webhook-id":"...","webhook-timestamp":"...","webhook-signature":"..."},"body":"..."}]}
// stdout: one line {"results":[{"ok":true|false,"error":"..."|null}]}, one result per case, in order.
//
// "base64" (the package's default) strips an optional "whsec_" prefix and base64-decodes the rest; "raw" uses the
// string's characters as key bytes. verify() rejects timestamps more than 5 minutes from now and, by default,
// JSON-parses the body after the signature matches (a non-JSON body then fails with a SyntaxError).
import { Webhook } from "standardwebhooks";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function verifyCase(c) {
  try {
    const webhook = c.format === "raw" ? new Webhook(c.secret, { format: "raw" }) : new Webhook(c.secret);
    webhook.verify(c.body, c.headers);
    return { ok: true, error: null };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

const input = JSON.parse(await readStdin());
if (!Array.isArray(input?.cases)) {
  throw new Error('stdin must be a JSON object with a "cases" array');
}
for (const c of input.cases) {
  if (c.format !== "base64" && c.format !== "raw") {
    throw new Error(`unknown secret format ${JSON.stringify(c.format)}; expected "base64" or "raw"`);
  }
}
process.stdout.write(`${JSON.stringify({ results: input.cases.map(verifyCase) })}\n`);
