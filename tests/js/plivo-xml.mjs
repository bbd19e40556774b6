// Builds Plivo XML with the official `plivo` npm library's Response class (dist/utils/plivoxml.js), for the same content
// Outdial's PlivoXml renders. Driven by tests/Outdial.Telephony.Tests/PlivoNode.cs.
//
// stdin:  {"cases":[{"text":"..."|null,"voice":"WOMAN"|null,"language":"en-US"|null,"recordCallbackUrl":"..."|null,"maxLength":14400}]}
//         (text null: a hang-up only)
// stdout: {"results":["<Response>...</Response>", ...]}
import plivo from "plivo";
import { readJsonStdin } from "./stdin-json.mjs";

const input = await readJsonStdin();
const results = input.cases.map((c) => {
  const response = new plivo.Response();
  if (c.text !== null && c.text !== undefined) {
    if (c.recordCallbackUrl) {
      response.addRecord({ recordSession: "true", maxLength: String(c.maxLength), callbackUrl: c.recordCallbackUrl, callbackMethod: "POST" });
    }
    const attributes = {};
    if (c.voice) attributes.voice = c.voice;
    if (c.language) attributes.language = c.language;
    response.addSpeak(c.text, attributes);
  }
  response.addHangup();
  return response.toXML();
});
process.stdout.write(JSON.stringify({ results }) + "\n");
