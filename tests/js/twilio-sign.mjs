// Computes and checks X-Twilio-Signature with the official `twilio` npm library (version pinned in package-lock.json).
// Driven by tests/Outdial.Server.Tests/TwilioNode.cs; install with `npm ci --prefix tests/js`.
//
// stdin:  {"cases":[{"authToken":"...","url":"https://...","signature":"..."|null,"params":[["Name","value"],...]}]}
//         params are the POSTed form pairs in order; a name given more than once becomes an array, as Express's
//         urlencoded body parser hands it to validateRequest.
// stdout: one line {"results":[{"valid":true|false,"expected":"<base64>"}]}, one per case, in order:
//         valid = twilio.validateRequest(authToken, signature, url, params),
//         expected = twilio.getExpectedTwilioSignature(authToken, url, params).
//
// With the argument --lines the script serves many requests instead: each stdin line is one case (the object above) and
// gets one stdout line with its result, until stdin closes. The tests keep one such process to sign every callback.
import readline from "node:readline";
import twilio from "twilio";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function toParams(pairs) {
  const params = Object.create(null);
  for (const [name, value] of pairs) {
    if (!Object.prototype.hasOwnProperty.call(params, name)) {
      params[name] = value;
    } else if (Array.isArray(params[name])) {
      params[name].push(value);
    } else {
      params[name] = [params[name], value];
    }
  }
  return params;
}

function run(c) {
  const params = toParams(c.params ?? []);
  return {
    valid: twilio.validateRequest(c.authToken, c.signature ?? "", c.url, params),
    expected: twilio.getExpectedTwilioSignature(c.authToken, c.url, params),
  };
}

if (process.argv.includes("--lines")) {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim().length > 0) {
      process.stdout.write(`${JSON.stringify(run(JSON.parse(line)))}\n`);
    }
  }
} else {
  const input = JSON.parse(await readStdin());
  if (!Array.isArray(input?.cases)) {
    throw new Error('stdin must be a JSON object with a "cases" array');
  }
  process.stdout.write(`${JSON.stringify({ results: input.cases.map(run) })}\n`);
}
