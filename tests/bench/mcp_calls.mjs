// mcp_calls.mjs N COMMAND [ARG ...]: starts COMMAND as an MCP server over
// stdio, initializes, then makes N tools/call requests of its echo tool one
// after the other, each sent when the one before is answered, and prints
// the median and the 99th percentile of the time from a request written to
// its answer read, in microseconds, and the mean.  Raw JSON-RPC lines, no
// SDK on this side: what is timed is the path, not a client library.
import { spawn } from "node:child_process";

const [n, cmd, ...args] = process.argv.slice(2);
const calls = Number(n);
const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
let buf = "", waiting = null;
child.stdout.setEncoding("utf8");
child.stdout.on("data", (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const m = JSON.parse(line);
    if (m.id !== undefined && waiting && m.id === waiting.id) { const w = waiting; waiting = null; w.resolve(m); }
  }
});
const request = (id, method, params) => new Promise((resolve) => {
  waiting = { id, resolve };
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
});
await request(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } });
child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
const times = [];
for (let i = 1; i <= calls; i++) {
  const t = process.hrtime.bigint();
  const m = await request(i, "tools/call", { name: "echo", arguments: { text: "call " + i } });
  times.push(Number(process.hrtime.bigint() - t) / 1000);
  if (!m.result) { console.error("bench: call", i, "failed:", JSON.stringify(m)); process.exit(1); }
}
child.stdin.end();
await new Promise((resolve) => child.on("close", resolve)); // its end, for whoever measures it
times.sort((a, b) => a - b);
const mean = times.reduce((a, b) => a + b, 0) / times.length;
console.log([times[Math.floor(times.length / 2)], times[Math.floor(times.length * 0.99)], mean].map((x) => x.toFixed(1)).join(" "));
