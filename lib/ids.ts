import { randomBytes } from "node:crypto";

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
  const bytes = randomBytes(12);
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 36];
  return `${idPrefixes[kind]}_${time}${rand}`;
}

export function hasPrefix(id: string, kind: IdKind): boolean {
  return id.startsWith(`${idPrefixes[kind]}_`) && /^[a-z]+_[0-9a-z]{22}$/.test(id);
}
