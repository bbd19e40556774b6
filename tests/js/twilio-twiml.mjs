// Builds TwiML with the official `twilio` npm library's twiml.VoiceResponse (version pinned in package-lock.json).
// Driven by tests/Outdial.Server.Tests/TwilioNode.cs; install with `npm ci --prefix tests/js`.
//
// stdin:  {"cases":[[{"verb":"say","text":"...","attributes":{"voice":"Polly.Joanna","language":"en-US"}},{"verb":"hangup"}],...]}
//         each case is a list of instructions applied in order to a new VoiceResponse; attributes keep their order.
//         verbs: "say" (text, attributes), "hangup", "dial" (text = the number, attributes e.g. callerId),
//         "connectConversationRelay" (attributes of <ConversationRelay>; "connect" = attributes of <Connect>).
// stdout: one line {"results":["<?xml ...?><Response>...</Response>",...]}: response.toString() per case, in order.
import twilio from "twilio";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function build(instructions) {
  const response = new twilio.twiml.VoiceResponse();
  for (const i of instructions) {
    switch (i.verb) {
      case "say":
        response.say(i.attributes ?? {}, i.text ?? "");
        break;
      case "hangup":
        response.hangup();
        break;
      case "dial":
        response.dial(i.attributes ?? {}, i.text ?? "");
        break;
      case "connectConversationRelay":
        response.connect(i.connect ?? {}).conversationRelay(i.attributes ?? {});
        break;
      default:
        throw new Error(`unknown verb ${JSON.stringify(i.verb)}; expected "say", "hangup", "dial" or "connectConversationRelay"`);
    }
  }
  return response.toString();
}

const input = JSON.parse(await readStdin());
if (!Array.isArray(input?.cases)) {
  throw new Error('stdin must be a JSON object with a "cases" array');
}
process.stdout.write(`${JSON.stringify({ results: input.cases.map(build) })}\n`);
