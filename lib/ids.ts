import { randomFillSync } from "node:crypto";

/** Every id we mint carries a prefix that says what it is. */
export const idPrefixes = {
  user: "usr",
  organization: "org",
  environment: "env",
  membership: "mem",
  invitation: "inv",
  apiKey: "key",
  audit: "aud",
  secret: "sec",
  registeredUser: "ru",
  connection: "conn",
  connectorConfig: "ccfg",
  toolPack: "tp",
  mcpInstance: "mcpi",
  linkToken: "lt",
  linkSession: "lks",
  linkOauthState: "lkst",
  toolCall: "tc",
  gatewayToken: "gwt",
  userToken: "ut",
  webhookEndpoint: "whe",
  webhookDelivery: "whd",
  webhookAttempt: "wha",
  webhookEvent: "evt",
  magicLink: "ml",
  magicLinkSession: "mls",
  email: "eml",
  mcpServer: "srv",
  agent: "agt",
  agentSession: "ags",
  alert: "alrt",
  securityRule: "secr",
  request: "req",
} as const;

export type IdKind = keyof typeof idPrefixes;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * Time-sortable prefixed id: 10 chars of millisecond time (base36, fixed width) + 12 random
 * base36 chars (~62 bits). Sorting ids sorts by creation time, which keeps cursors simple.
 */
export function createId(kind: IdKind): string {
  const time = Date.now().toString(36).padStart(10, "0");
  let rand = "";
  for (let i = 0; i < 12; i++) rand += ALPHABET[randomByte() % 36];
  return `${idPrefixes[kind]}_${time}${rand}`;
}

// Random bytes drawn from the CSPRNG 4 KB at a time: one call per ~340 ids instead of one per id
// (the hot path makes several ids per tool call: log row, audit row, request).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomByte(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

export function hasPrefix(id: string, kind: IdKind): boolean {
  return id.startsWith(`${idPrefixes[kind]}_`) && /^[a-z]+_[0-9a-z]{22}$/.test(id);
}
