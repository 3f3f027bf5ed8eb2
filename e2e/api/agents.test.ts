// Agents and agent sessions (issue 6 item 7, DESIGN §2 "Agents and sessions", MCP URL 4),
// through the production server: an agent has upstream MCP servers attached; a session for a
// registered user gets a ticket and /mcp/sessions/{id}, which serves the agent's tool packs and
// only the servers connected in that session. Driven by the real MCP SDK client against
// SDK-built upstream servers on 127.0.0.1. Runs on PGlite and on PostgreSQL (LATCHKEY_TEST_DB).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentSessions, auditLog } from "@/db/schema";
import { withDb } from "../helpers/db";
import { client, unknownId } from "../helpers/http";
import { startOpenUpstreamMcp, type OpenUpstreamMcp } from "../helpers/open-upstream-mcp";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
let server: TestServer;
let http_: ReturnType<typeof client>;
let key: CreatedKey;
let otherKey: CreatedKey;
let alpha: OpenUpstreamMcp;
let beta: OpenUpstreamMcp;
let gamma: OpenUpstreamMcp;
const tickets: string[] = [];
const METRICS_TOKEN = "metrics-token-for-agents-0123456789";

/** Database queries the server made while answering MCP requests (DESIGN §8), from /api/metrics. */
async function mcpQueries(): Promise<number> {
  const text = await (await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith('latchkey_db_queries_total{scope="mcp"} '));
  return line ? Number(line.split(" ").pop()) : 0;
}

beforeAll(async () => {
  [alpha, beta, gamma] = await Promise.all([startOpenUpstreamMcp({ name: "alpha", tools: ["ping"] }), startOpenUpstreamMcp({ name: "beta", tools: ["pong"] }), startOpenUpstreamMcp({ name: "gamma", tools: ["secret"] })]);
  const allow = [alpha, beta, gamma].map((u) => `127.0.0.1:${new URL(u.url).port}`).join(",");
  server = await startServer({ db, env: { LATCHKEY_OUTBOUND_ALLOWLIST: allow, LATCHKEY_METRICS_TOKEN: METRICS_TOKEN } });
  http_ = client(server.url);
  key = await createApiKeyViaCli(server, "test", "agents");
  otherKey = await createApiKeyViaCli(server, "production", "agents-other");
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([alpha?.close(), beta?.close(), gamma?.close()]);
  cleanupTempDirs();
});

async function connectMcp(url: string, ticket: string) {
  const c = new Client({ name: "agents-test", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${ticket}` } } }));
  return c;
}
const names = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();
const initialize = (url: string, authorization?: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
  });

describe(`agents and agent sessions [${db}]`, () => {
  const srv: Record<string, string> = {};
  let packId = "";
  let agentId = "";
  let userId = "";
  let session: { id: string; session_id: string; ticket: string; mcp_url: string } = { id: "", session_id: "", ticket: "", mcp_url: "" };

  it("POST /agents attaches servers and tool packs of its own environment only; GET, list and PATCH", async () => {
    for (const [name, u] of [["alpha", alpha], ["beta", beta], ["gamma", gamma]] as const) {
      const r = await http_.post("/api/v1/mcp-servers", { key: key.secret, json: { name, url: u.url, auth: { mode: "none" } } });
      expect(r.status, r.text).toBe(201);
      srv[name] = r.body.id;
    }
    const pack = await http_.post("/api/v1/tool-packs", { key: key.secret, json: { name: "Agent base", entries: [{ connector: "github", tools: ["github_list_repositories"] }] } });
    expect(pack.status, pack.text).toBe(201);
    packId = pack.body.id;

    const a = await http_.post("/api/v1/agents", { key: key.secret, json: { name: "Support bot", servers: [srv.alpha, srv.beta], tool_packs: [packId] } });
    expect(a.status, a.text).toBe(201);
    expect(a.body).toMatchObject({ object: "agent", name: "Support bot", servers: [srv.alpha, srv.beta], tool_packs: [packId], environment_id: key.environment_id });
    expect(a.body.id).toMatch(/^agt_[0-9a-z]{22}$/);
    agentId = a.body.id;

    const unknownServer = await http_.post("/api/v1/agents", { key: key.secret, json: { name: "x", servers: [unknownId("srv")] } });
    expect(unknownServer.status).toBe(422);
    expect(unknownServer.body.error.issues[0].path).toBe("servers.0");
    // Another environment's server is as unknown as a made-up one.
    const crossEnv = await http_.post("/api/v1/agents", { key: otherKey.secret, json: { name: "x", servers: [srv.alpha], tool_packs: [packId] } });
    expect(crossEnv.status).toBe(422);
    expect(crossEnv.body.error.issues.map((i: { path: string }) => i.path)).toEqual(["servers.0", "tool_packs.0"]);

    expect((await http_.get(`/api/v1/agents/${agentId}`, { key: key.secret })).body.name).toBe("Support bot");
    expect((await http_.get(`/api/v1/agents/${agentId}`, { key: otherKey.secret })).status).toBe(404);
    const list = await http_.get("/api/v1/agents", { key: key.secret });
    expect(list.body.data.map((x: { id: string }) => x.id)).toEqual([agentId]);
    const renamed = await http_.req(`/api/v1/agents/${agentId}`, { method: "PATCH", key: key.secret, json: { name: "Support agent" } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Support agent", servers: [srv.alpha, srv.beta] });
  });

  it("POST /agents/{id}/sessions returns session_id, a one-time ticket and the session's MCP URL", async () => {
    const ru = await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "agent-user-1" } });
    userId = ru.body.id;
    const r = await http_.post(`/api/v1/agents/${agentId}/sessions`, { key: key.secret, json: { registered_user_id: userId } });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ object: "agent_session", agent_id: agentId, registered_user_id: userId, connected_servers: [], status: "active" });
    expect(r.body.session_id).toMatch(/^ags_[0-9a-z]{22}$/);
    expect(r.body.id).toBe(r.body.session_id);
    expect(r.body.ticket).toMatch(/^lk_ags_[0-9A-Za-z]{43}$/);
    expect(r.body.mcp_url).toBe(`${server.url}/mcp/sessions/${r.body.session_id}`);
    expect(Date.parse(r.body.expires_at) - Date.now()).toBeGreaterThan(3500_000);
    session = r.body;
    tickets.push(session.ticket);
    // The ticket is shown once: GET never returns it.
    const one = await http_.get(`/api/v1/agent-sessions/${session.id}`, { key: key.secret });
    expect(one.status).toBe(200);
    expect(one.text).not.toContain(session.ticket);
    expect((await http_.get(`/api/v1/agent-sessions/${session.id}`, { key: otherKey.secret })).status).toBe(404);
    const badUser = await http_.post(`/api/v1/agents/${agentId}/sessions`, { key: key.secret, json: { registered_user_id: unknownId("ru") } });
    expect(badUser.status).toBe(422);
    expect((await http_.post(`/api/v1/agents/${unknownId("agt")}/sessions`, { key: key.secret, json: { registered_user_id: userId } })).status).toBe(404);
  });

  it("the session URL serves the agent's packs and only connected servers; connect and disconnect change tools/list on the next call", async () => {
    const c = await connectMcp(session.mcp_url, session.ticket);
    expect(await names(c)).toEqual(["authenticate_meta", "github_list_repositories"]);
    const alphaBefore = alpha.requests();

    const conn = await http_.post(`/api/v1/agent-sessions/${session.id}/servers/${srv.alpha}/connect`, { key: key.secret });
    expect(conn.status, conn.text).toBe(200);
    expect(conn.body.connected_servers).toEqual([srv.alpha]);
    expect(await names(c)).toEqual(["alpha__ping", "authenticate_meta", "github_list_repositories"]);
    const pong = (await c.callTool({ name: "alpha__ping", arguments: { text: "hi" } })) as { content: { text: string }[]; isError?: boolean };
    expect(pong.isError ?? false).toBe(false);
    expect(pong.content[0]!.text).toBe("ping: hi");
    expect(alpha.requests()).toBeGreaterThan(alphaBefore);
    // An attached but unconnected server's tool is refused, and nothing goes to it.
    const betaBefore = beta.requests();
    await expect(c.callTool({ name: "beta__pong", arguments: { text: "x" } })).rejects.toThrow();
    expect(beta.requests()).toBe(betaBefore);

    // Idempotent connect; then swap alpha for beta.
    expect((await http_.post(`/api/v1/agent-sessions/${session.id}/servers/${srv.alpha}/connect`, { key: key.secret })).body.connected_servers).toEqual([srv.alpha]);
    expect((await http_.post(`/api/v1/agent-sessions/${session.id}/servers/${srv.beta}/connect`, { key: key.secret })).body.connected_servers).toEqual([srv.alpha, srv.beta]);
    const disc = await http_.post(`/api/v1/agent-sessions/${session.id}/servers/${srv.alpha}/disconnect`, { key: key.secret });
    expect(disc.status, disc.text).toBe(200);
    expect(disc.body.connected_servers).toEqual([srv.beta]);
    expect(await names(c)).toEqual(["authenticate_meta", "beta__pong", "github_list_repositories"]);
    await expect(c.callTool({ name: "alpha__ping", arguments: { text: "x" } })).rejects.toThrow();
    const b = (await c.callTool({ name: "beta__pong", arguments: { text: "yo" } })) as { content: { text: string }[] };
    expect(b.content[0]!.text).toBe("pong: yo");
    // Warm: the session URL answers tools/list and tools/call without a database query.
    const q0 = await mcpQueries();
    expect(q0).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await c.callTool({ name: "beta__pong", arguments: { text: `warm ${i}` } });
    expect(await names(c)).toContain("beta__pong");
    expect(await mcpQueries()).toBe(q0);
    await c.close();
  });

  it("only servers attached to the agent can be connected; other environments cannot touch the session", async () => {
    const gammaBefore = gamma.requests();
    const g = await http_.post(`/api/v1/agent-sessions/${session.id}/servers/${srv.gamma}/connect`, { key: key.secret });
    expect(g.status).toBe(403);
    expect(g.body.error.code).toBe("forbidden");
    expect((await http_.post(`/api/v1/agent-sessions/${session.id}/servers/${srv.beta}/disconnect`, { key: otherKey.secret })).status).toBe(404);
    expect((await http_.post(`/api/v1/agent-sessions/${unknownId("ags")}/servers/${srv.beta}/connect`, { key: key.secret })).status).toBe(404);
    const c = await connectMcp(session.mcp_url, session.ticket);
    expect(await names(c)).not.toContain("gamma__secret");
    await c.close();
    expect(gamma.requests()).toBe(gammaBefore);
  });

  it("a ticket opens its own session only: no ticket or a bad one is 401, another session's URL is 403, an ended session's ticket is 401", async () => {
    const ru2 = await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "agent-user-2" } });
    const other = (await http_.post(`/api/v1/agents/${agentId}/sessions`, { key: key.secret, json: { registered_user_id: ru2.body.id } })).body;
    tickets.push(other.ticket);

    expect((await initialize(session.mcp_url)).status).toBe(401);
    expect((await initialize(session.mcp_url, `Bearer lk_ags_${"A".repeat(43)}`)).status).toBe(401);
    expect((await initialize(session.mcp_url, `Bearer ${key.secret}`)).status).toBe(401);
    const cross = await initialize(session.mcp_url, `Bearer ${other.ticket}`);
    expect(cross.status).toBe(403);
    expect(await cross.text()).not.toContain(other.ticket);
    expect((await initialize(other.mcp_url, `Bearer ${session.ticket}`)).status).toBe(403);
    expect((await initialize(other.mcp_url, `Bearer ${other.ticket}`)).status).toBe(200);

    // A second session of the same agent starts with nothing connected.
    const c2 = await connectMcp(other.mcp_url, other.ticket);
    expect(await names(c2)).toEqual(["authenticate_meta", "github_list_repositories"]);
    await c2.close();

    const ended = await http_.del(`/api/v1/agent-sessions/${other.id}`, { key: key.secret });
    expect(ended.status, ended.text).toBe(200);
    expect(ended.body.status).toBe("ended");
    expect((await initialize(other.mcp_url, `Bearer ${other.ticket}`)).status).toBe(401);
    expect((await http_.post(`/api/v1/agent-sessions/${other.id}/servers/${srv.beta}/connect`, { key: key.secret })).status).toBe(409);
  });

  it("the user's session may connect and disconnect its own servers with its ticket (runtime plane), and no other session's", async () => {
    const ru3 = await http_.post("/api/v1/registered-users", { key: key.secret, json: { origin_user_id: "agent-user-3" } });
    const mine = (await http_.post(`/api/v1/agents/${agentId}/sessions`, { key: key.secret, json: { registered_user_id: ru3.body.id } })).body;
    tickets.push(mine.ticket);
    const c = await connectMcp(mine.mcp_url, mine.ticket);
    expect(await names(c)).not.toContain("alpha__ping");
    const r = await http_.post(`/api/v1/agent-sessions/${mine.id}/servers/${srv.alpha}/connect`, { key: mine.ticket });
    expect(r.status, r.text).toBe(200);
    expect(r.body.connected_servers).toEqual([srv.alpha]);
    expect(r.text).not.toContain(mine.ticket);
    expect(await names(c)).toContain("alpha__ping");
    // Its ticket opens nothing of another session's, and a server not attached to the agent stays refused.
    const cross = await http_.post(`/api/v1/agent-sessions/${session.id}/servers/${srv.alpha}/connect`, { key: mine.ticket });
    expect(cross.status).toBe(403);
    expect((await http_.post(`/api/v1/agent-sessions/${mine.id}/servers/${srv.gamma}/connect`, { key: mine.ticket })).status).toBe(403);
    expect((await http_.post(`/api/v1/agent-sessions/${mine.id}/servers/${srv.alpha}/connect`, { key: `lk_ags_${"B".repeat(43)}` })).status).toBe(401);
    // Nor does a ticket work on the rest of the API.
    expect((await http_.get(`/api/v1/agent-sessions/${mine.id}`, { key: mine.ticket })).status).toBe(401);
    expect((await http_.post(`/api/v1/agent-sessions/${mine.id}/servers/${srv.alpha}/disconnect`, { key: mine.ticket })).body.connected_servers).toEqual([]);
    expect(await names(c)).not.toContain("alpha__ping");
    await c.close();
    expect((await http_.del(`/api/v1/agent-sessions/${mine.id}`, { key: key.secret })).body.status).toBe("ended");
    expect((await http_.post(`/api/v1/agent-sessions/${mine.id}/servers/${srv.alpha}/connect`, { key: mine.ticket })).status).toBe(401);
  });

  it("detaching a server from the agent takes it out of open sessions at once", async () => {
    const c = await connectMcp(session.mcp_url, session.ticket);
    expect(await names(c)).toContain("beta__pong");
    const p = await http_.req(`/api/v1/agents/${agentId}`, { method: "PATCH", key: key.secret, json: { servers: [srv.alpha] } });
    expect(p.status, p.text).toBe(200);
    expect(await names(c)).toEqual(["authenticate_meta", "github_list_repositories"]);
    expect((await http_.get(`/api/v1/agent-sessions/${session.id}`, { key: key.secret })).body.connected_servers).toEqual([]);
    await c.close();
  });

  it("tickets are stored hashed, never in the audit log; every connect and disconnect is audited", async () => {
    // Deleting an agent ends its sessions.
    const a2 = (await http_.post("/api/v1/agents", { key: key.secret, json: { name: "Short-lived", servers: [srv.alpha] } })).body;
    const s2 = (await http_.post(`/api/v1/agents/${a2.id}/sessions`, { key: key.secret, json: { registered_user_id: userId } })).body;
    tickets.push(s2.ticket);
    expect((await initialize(s2.mcp_url, `Bearer ${s2.ticket}`)).status).toBe(200);
    const del = await http_.del(`/api/v1/agents/${a2.id}`, { key: key.secret });
    expect(del.body).toEqual({ id: a2.id, object: "agent", deleted: true });
    expect((await initialize(s2.mcp_url, `Bearer ${s2.ticket}`)).status).toBe(401);
    await server.stop();
    await withDb(db, server, async (h) => {
      const audit = await h.db.select().from(auditLog);
      const actions = audit.map((a) => a.action);
      for (const a of ["agent.created", "agent.updated", "agent.deleted", "agent_session.created", "agent_session.ended", "agent_session.server_connected", "agent_session.server_disconnected"]) expect(actions).toContain(a);
      const connects = audit.filter((a) => a.action === "agent_session.server_connected");
      expect(connects).toHaveLength(3);
      // The one made with the ticket names the end user as its actor.
      expect(connects.filter((a) => a.actorType === "end_user")).toHaveLength(1);
      expect(audit.find((a) => a.action === "agent_session.server_disconnected")?.metadata).toMatchObject({ server_id: srv.alpha, agent_id: agentId });
      const rows = await h.db.select().from(agentSessions);
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const r of rows) expect(r.ticketHash).toMatch(/^[0-9a-f]{64}$/);
      const dump = JSON.stringify(audit) + JSON.stringify(rows);
      for (const t of tickets) expect(dump).not.toContain(t);
    });
  });
});
