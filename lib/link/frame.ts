/**
 * The `frame-ancestors` sources allowed to embed the hosted Link page. Only Latchkey's own
 * origin for now; per-environment embedding origins extend this. next.config.ts sends it on
 * /link (the page cannot know its environment before the token in the fragment is redeemed).
 */
export function linkFrameAncestors(_environmentId: string | null = null): string[] {
  return ["'self'"];
}
