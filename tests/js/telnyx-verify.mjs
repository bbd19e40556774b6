// Verifies Telnyx webhook signatures with the official `telnyx` npm library (version pinned in package-lock.json):
// its TelnyxWebhook.verify (lib/webhooks.js: Ed25519 over `${telnyx-timestamp}|${body}`, timestamp within 300 s of
// Date.now()). Driven by tests/Outdial.Telephony.Tests/TelnyxNodeTests.cs; install with `npm ci --prefix tests/js`.
//
// stdin:  {"cases":[{"publicKey":"<base64 32 bytes>","body":"...","headers":{"telnyx-signature-ed25519":"...","telnyx-timestamp":"..."}}]}
// stdout: {"results":[{"valid":true} | {"valid":false,"error":"..."}]}  (one per case, same order)
import { TelnyxWebhook } from "telnyx/lib/webhooks";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const input = JSON.parse(await readStdin());
const results = [];
for (const c of input.cases) {
  try {
    await new TelnyxWebhook(c.publicKey).verify(c.body, c.headers);
    results.push({ valid: true });
  } catch (e) {
    results.push({ valid: false, error: String(e && e.message ? e.message : e) });
  }
}
process.stdout.write(JSON.stringify({ results }) + "\n");
