import { counter, histogram } from "@/lib/metrics/registry";

/**
 * The product's own series (beyond the MCP mount's): defined once here so every module that
 * counts into them shares the name and help text.
 */
export const httpRequests = counter("latchkey_http_requests_total", "HTTP requests answered, by route pattern, method and status.");
export const httpDuration = histogram("latchkey_http_request_duration_seconds", "Time to answer an HTTP request, by route pattern.");
export const toolCallsTotal = counter("latchkey_tool_calls_total", "Tool calls (MCP and REST), by status.");
export const toolCallDuration = histogram("latchkey_tool_call_duration_seconds", "Tool call latency as logged, by status.");
export const tokenRefreshes = counter("latchkey_token_refreshes_total", "OAuth token refreshes, by result (ok, refused: the user must reconnect, error: try again later).");
