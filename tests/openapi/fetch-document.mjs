// Saves the OpenAPI document a built Outdial server serves: starts the server (dotnet <Outdial.Server.dll>) on a free loopback
// port with a fresh data folder, waits for "Now listening on: <url>", fetches <url>/openapi/v1.json, writes it to --out and
// stops the server. Used by .ci/run (the spectral check) and by tests/Outdial.Client.Tests (Kiota generation before compile).
//
//   node tests/openapi/fetch-document.mjs --server src/Outdial.Server/bin/Debug/net10.0/Outdial.Server.dll --out openapi.json
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) =>
  arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs, []));
if (!args.server || !args.out) {
  console.error("usage: node fetch-document.mjs --server <Outdial.Server.dll> --out <file.json> [--timeout <seconds>]");
  process.exit(2);
}
const timeoutMs = Number(args.timeout ?? 120) * 1000;
const data = mkdtempSync(join(tmpdir(), "outdial-openapi-"));
const server = spawn("dotnet", [
  resolve(args.server),
  "--urls=http://127.0.0.1:0",
  `--Outdial:DataDirectory=${data}`,
  // A key of its own so that the first start prints none; the document needs no key.
  "--Outdial:BootstrapApiKey=od_live_openapidocumentfetch000000000",
  "--Logging:LogLevel:Default=Warning",
  "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DOTNET_NOLOGO: "1" } });

let output = "";
let fetching = false;
let done = false;
const finish = (code, message) => {
  if (done) return;
  done = true;
  if (message) console.error(message);
  server.kill("SIGTERM");
  const exit = () => {
    rmSync(data, { recursive: true, force: true });
    process.exit(code);
  };
  server.exitCode === null ? server.once("exit", exit) : exit();
  setTimeout(exit, 10_000).unref();
};
const timer = setTimeout(() => finish(1, `error: the server did not serve its document within ${timeoutMs / 1000} s\n${output}`), timeoutMs);

const onOutput = async chunk => {
  output += chunk;
  const match = /Now listening on: (http:\/\/\S+)/.exec(output);
  if (!match || done || fetching) return;
  fetching = true;
  try {
    const response = await fetch(`${match[1]}/openapi/v1.json`);
    if (!response.ok) throw new Error(`GET /openapi/v1.json answered ${response.status}: ${await response.text()}`);
    const text = await response.text();
    JSON.parse(text);
    mkdirSync(dirname(resolve(args.out)), { recursive: true });
    writeFileSync(args.out, text);
    clearTimeout(timer);
    console.log(`OpenAPI document of ${match[1]} saved to ${args.out} (${text.length} characters)`);
    finish(0);
  } catch (error) {
    clearTimeout(timer);
    finish(1, `error: ${error.message}\n${output}`);
  }
};
server.stdout.setEncoding("utf8").on("data", onOutput);
server.stderr.setEncoding("utf8").on("data", chunk => { output += chunk; });
server.on("exit", code => {
  clearTimeout(timer);
  if (!done) finish(1, `error: the server exited (${code}) before serving its document\n${output}`);
});
