import { counter, gauge } from "@/lib/metrics/registry";

export const mcpRequests = counter("latchkey_mcp_requests_total", "MCP HTTP requests received, by mount (node: the production server's direct mount; app_router).");
export const inflightRequests = gauge("latchkey_inflight_requests", "Requests being served by this replica.");
export const rejectedRequests = counter("latchkey_rejected_requests_total", "Requests refused before being served, by reason.");
