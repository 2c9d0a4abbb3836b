// server.mjs [--name NAME]: a real MCP server on the official TypeScript
// SDK (McpServer over stdio), with the tools agraph-mcp's tests call.
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const args = process.argv.slice(2);
const name = args[0] === "--name" && args[1] ? args[1] : "agraph-test-server";
const server = new McpServer(
  { name, version: "1.0.0" },
  { capabilities: { logging: {} } }
);
const text = (t) => ({ content: [{ type: "text", text: t }] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

server.registerTool("echo", { description: "the text back", inputSchema: { text: z.string() } },
  async ({ text: t }) => text(t));
server.registerTool("add", {
  description: "a + b", inputSchema: { a: z.number(), b: z.number() },
  outputSchema: { sum: z.number() },
}, async ({ a, b }) => ({ ...text(String(a + b)), structuredContent: { sum: a + b } }));
server.registerTool("fail", { description: "a tool error", inputSchema: { message: z.string() } },
  async ({ message }) => ({ ...text(message), isError: true }));
server.registerTool("slow", { description: "waits ms", inputSchema: { ms: z.number() } },
  async ({ ms }, extra) => {
    await new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      extra.signal.addEventListener("abort", () => { clearTimeout(t); resolve(); });
    });
    return text(`slept ${ms}`);
  });
server.registerTool("big", { description: "bytes of x", inputSchema: { bytes: z.number() } },
  async ({ bytes }) => text("x".repeat(bytes)));
server.registerTool("die", { description: "exits mid-call", inputSchema: { code: z.number() } },
  async ({ code }) => { process.exit(code); });
server.registerTool("ask", { description: "asks the client's model", inputSchema: { question: z.string() } },
  async ({ question }) => {
    const r = await server.server.createMessage({
      messages: [{ role: "user", content: { type: "text", text: question } }], maxTokens: 100,
    });
    return text(r.content.type === "text" ? r.content.text : "?");
  });
server.registerTool("roots", { description: "the client's roots" }, async () => {
  const r = await server.server.listRoots();
  return text(r.roots.map((x) => x.uri).join(" "));
});
server.registerTool("count", { description: "n progress notifications", inputSchema: { n: z.number() } },
  async ({ n }, extra) => {
    const token = extra._meta?.progressToken;
    for (let i = 1; i <= n; i++) {
      if (token !== undefined)
        await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: i, total: n } });
    }
    await server.sendLoggingMessage({ level: "info", data: `counted ${n}` });
    return text(`counted ${n}`);
  });
server.registerResource("greeting", "mem://greeting", { mimeType: "text/plain" },
  async (uri) => ({ contents: [{ uri: uri.href, text: "hello" }] }));
server.registerPrompt("greet", { argsSchema: { name: z.string() } }, ({ name: who }) => ({
  messages: [{ role: "user", content: { type: "text", text: `Greet ${who}.` } }],
}));
void ResourceTemplate;
await server.connect(new StdioServerTransport());
