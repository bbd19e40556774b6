// The one input of the plivo-*.mjs scripts: their whole stdin, parsed as one JSON document (UTF-8, no BOM).
export async function readJsonStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}
