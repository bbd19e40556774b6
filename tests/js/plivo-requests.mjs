// Sends Voice API requests with the official `plivo` npm library (version pinned in package-lock.json) to a capture server
// the .NET test runs, so the test can compare them with what Outdial's PlivoRestClient sends for the same arguments.
// Driven by tests/Outdial.Telephony.Tests/PlivoNode.cs; install with `npm ci --prefix tests/js`.
//
// stdin:  {"baseUrl":"http://127.0.0.1:port","authId":"MA...","authToken":"...","ops":[
//            {"op":"create","from":"...","to":"...","answerUrl":"...","params":{...camelCase options...}},
//            {"op":"hangup","id":"<call uuid>"}, {"op":"cancel","id":"<request uuid>"}, {"op":"get","id":"<call uuid>"},
//            {"op":"getLive","id":"<call uuid>"}, {"op":"listLive","params":{...}}, {"op":"list","params":{...}},
//            {"op":"transfer","id":"<call uuid>","params":{"legs":"aleg","alegUrl":"...","alegMethod":"POST"}},
//            {"op":"recordings","params":{"callUuid":"..."}}]}
// stdout: {"results":[{"ok":true} | {"ok":false,"error":"..."}]}, one per op, in order.
//
// The library sends every voice request to the fixed https://api.plivo.com/v1/Account/ (dist/rest/axios.js, apiVoiceUris)
// through an axios instance made with axios.create(), which inherits axios.defaults: an adapter set there rewrites that
// origin to the capture server and hands the request to axios's own http adapter, so headers and body are the library's.
import { createRequire } from "node:module";
import { readJsonStdin } from "./stdin-json.mjs";
const require = createRequire(import.meta.url);
const axios = require("axios"); // the CommonJS build, the same module instance the plivo library requires
const plivo = require("plivo");

const input = await readJsonStdin();
const httpAdapter = axios.getAdapter("http");
axios.defaults.adapter = (config) => {
  config.url = config.url.replace("https://api.plivo.com", input.baseUrl);
  return httpAdapter(config);
};
const client = new plivo.Client(input.authId, input.authToken);
const results = [];
for (const op of input.ops) {
  try {
    switch (op.op) {
      case "create": await client.calls.create(op.from, op.to, op.answerUrl, op.params ?? {}); break;
      case "hangup": await client.calls.hangup(op.id); break;
      case "cancel": await client.calls.cancel(op.id); break;
      case "get": await client.calls.get(op.id); break;
      case "getLive": await client.calls.getLiveCall(op.id); break;
      case "listLive": await client.calls.listLiveCalls(op.params ?? {}); break;
      case "list": await client.calls.list(op.params ?? {}); break;
      case "transfer": await client.calls.transfer(op.id, op.params); break;
      case "recordings": await client.recordings.list(op.params ?? {}); break;
      default: throw new Error(`unknown op ${op.op}`);
    }
    results.push({ ok: true });
  } catch (e) {
    results.push({ ok: false, error: String(e?.message ?? e) });
  }
}
process.stdout.write(JSON.stringify({ results }) + "\n");
