// client.mjs [--name NAME] [--timeout MS] STEPS -- COMMAND [ARG ...]: a real
// MCP client on the official TypeScript SDK (Client over stdio) that starts
// COMMAND as its server and runs STEPS, a JSON array, printing a JSON line
// for each step:
//   {"call": TOOL, "args": {...}[, "progress": true][, "cancel_ms": N]}
//       -> {"call": TOOL, "result": CallToolResult[, "progress": [n...], "logs": [...]]}
//          or {"call": TOOL, "error": {"code": N, "message": "..."}}
//   {"list": "tools" | "resources" | "prompts"} -> {"list": ..., "names": [...]}
//   {"read": URI} -> {"read": URI, "contents": [...]}
//   {"prompt": NAME, "args": {...}} -> {"prompt": NAME, "messages": [...]}
//   {"ping": true} -> {"ping": true, "ok": true}
//   {"parallel": [steps]} -> their lines, in step order
//   {"sleep": MS} -> nothing
// then {"closed": true}.  It answers sampling with "sampled: " and the last
// message's text, and roots/list with file:///tmp/root.  Exit 0; 3 when
// the whole session takes more than 60 s.
//
// Progress is counted as the notifications arrive, not through the SDK's
// onprogress: the SDK runs notification handlers a microtask later but
// drops a request's progress handler as soon as its response is read, so
// progress read in one chunk with the response never reaches onprogress.
// A handler of its own for notifications/progress sees every one, before
// the call's await returns (its microtask was queued first).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CreateMessageRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema,
  ProgressNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

let args = process.argv.slice(2);
let name = "agraph-test-client", timeout = 10000;
while (args[0] === "--name" || args[0] === "--timeout") {
  if (args[0] === "--name") name = args[1]; else timeout = Number(args[1]);
  args = args.slice(2);
}
const steps = JSON.parse(args[0]);
if (args[1] !== "--" || args.length < 3) {
  console.error("usage: client.mjs [--name NAME] [--timeout MS] STEPS -- COMMAND [ARG ...]");
  process.exit(2);
}
const guard = setTimeout(() => { console.log(JSON.stringify({ guard: "60 s passed" })); process.exit(3); }, 60000);
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const failure = (e) => ({ code: e.code ?? null, message: String(e.message ?? e) });

const client = new Client({ name, version: "1.0.0" }, { capabilities: { sampling: {}, roots: {} } });
client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
  const last = req.params.messages[req.params.messages.length - 1];
  return { role: "assistant", model: "test", content: { type: "text", text: "sampled: " + last.content.text } };
});
client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///tmp/root", name: "root" }] }));
let progress = [], logs = []; // what arrived during the step that asked for progress
client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params.data); });
client.setNotificationHandler(ProgressNotificationSchema, (n) => { progress.push(n.params.progress); });
const transport = new StdioClientTransport({ command: args[2], args: args.slice(3), stderr: "inherit" });
let broken = null;
transport.onerror = (e) => { broken = broken ?? String(e.message ?? e); };

async function step(s) {
  if (s.call !== undefined) {
    const opts = { timeout };
    // onprogress only makes the SDK send a progress token; see above
    if (s.progress) { opts.onprogress = () => {}; progress = []; logs = []; }
    if (s.cancel_ms !== undefined) {
      const ac = new AbortController();
      setTimeout(() => ac.abort("cancelled by the test"), s.cancel_ms);
      opts.signal = ac.signal;
    }
    try {
      const result = await client.callTool({ name: s.call, arguments: s.args ?? {} }, undefined, opts);
      return [s.progress ? { call: s.call, result, progress, logs } : { call: s.call, result }];
    } catch (e) {
      return [{ call: s.call, error: failure(e) }];
    }
  }
  try {
    if (s.list === "tools") return [{ list: "tools", names: (await client.listTools(undefined, { timeout })).tools.map((t) => t.name) }];
    if (s.list === "resources") return [{ list: "resources", names: (await client.listResources(undefined, { timeout })).resources.map((r) => r.uri) }];
    if (s.list === "prompts") return [{ list: "prompts", names: (await client.listPrompts(undefined, { timeout })).prompts.map((p) => p.name) }];
    if (s.read !== undefined) return [{ read: s.read, contents: (await client.readResource({ uri: s.read }, { timeout })).contents }];
    if (s.prompt !== undefined) return [{ prompt: s.prompt, messages: (await client.getPrompt({ name: s.prompt, arguments: s.args ?? {} }, { timeout })).messages }];
    if (s.ping) { await client.ping({ timeout }); return [{ ping: true, ok: true }]; }
  } catch (e) {
    return [{ ...s, error: failure(e) }];
  }
  if (s.parallel !== undefined) return (await Promise.all(s.parallel.map(step))).flat();
  if (s.sleep !== undefined) { await new Promise((r) => setTimeout(r, s.sleep)); return []; }
  return [{ unknown: s }];
}

try {
  await client.connect(transport, { timeout });
} catch (e) {
  out({ connect: failure(e) });
}
for (const s of steps) for (const line of await step(s)) out(line);
if (broken) out({ transport_error: broken });
await client.close();
out({ closed: true });
clearTimeout(guard);
