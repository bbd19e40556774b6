// Checks X-Plivo-Signature-V3 values with the official `plivo` npm library's validateV3Signature (dist/utils/v3Security.js).
// Driven by tests/Outdial.Telephony.Tests/PlivoNode.cs.
//
// stdin:  {"cases":[{"method":"POST","url":"https://...","nonce":"...","authToken":"...","signature":"...","params":{"k":"v"|["v1","v2"]}}]}
// stdout: {"results":[true|false, ...]}
import plivo from "plivo";
import { readJsonStdin } from "./stdin-json.mjs";

const input = await readJsonStdin();
const results = input.cases.map((c) => plivo.validateV3Signature(c.method, c.url, c.nonce, c.authToken, c.signature, c.params ?? {}));
process.stdout.write(JSON.stringify({ results }) + "\n");
