/**
 * Deterministic generator for the labelled corpus (generated.jsonl). The hard cases are
 * written by hand in hand-written.jsonl; this file adds volume: positives built from the real
 * formats (card issuer prefixes with a computed Luhn digit, IBAN check digits, number plans of
 * 30 countries, vendor token layouts) and negatives that share a shape with them.
 *
 * Regenerate: `npx tsx lib/security/corpus/generate.ts` (seed 20240610). corpus.test.ts checks
 * that the committed file equals this generator's output, so the two cannot drift apart.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DetectorId } from "../detectors";
import { ibanCheckDigits, luhnValid } from "../validators";

export type CorpusSample = { text: string; expect: { detector: DetectorId; value: string }[]; note?: string };

export const CORPUS_SEED = 20240610;

/** mulberry32: tiny, fast, and the same sequence on every platform. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chars = (alphabet: string, n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
    return s;
  };
  return { next, int, pick, chars };
}

const DIG = "0123456789";
const UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOW = "abcdefghijklmnopqrstuvwxyz";
const B62 = DIG + UP + LOW;
const B64URL = `${B62}-_`;
const B64 = `${B62}+/`;
const HEX = "0123456789abcdef";

export function generateCorpus(seed = CORPUS_SEED): CorpusSample[] {
  const r = rng(seed);
  const out: CorpusSample[] = [];
  const pos = (detector: DetectorId, value: string, template: string) => out.push({ text: template.replace("{}", value), expect: [{ detector, value }] });
  const neg = (text: string, note: string) => out.push({ text, expect: [], note });
  const fill = (tpl: string) => tpl.replace(/#/g, () => String(r.int(0, 9)));

  const sentences = [
    "Please forward this to {} before Friday.",
    "Customer record: {}",
    '{"contact": "{}", "status": "active"}',
    "- owner: {}\n- team: payments",
    "Reply-To: {}",
    "Updated the ticket with {} as discussed.",
    "<td>{}</td>",
    "value={}&next=1",
  ];

  // ---- email
  const first = ["jane", "john", "maria", "li", "omar", "anna", "kenji", "sofia", "lucas", "chloe", "noah", "priya"];
  const last = ["doe", "smith", "garcia", "wang", "haddad", "kowalski", "tanaka", "rossi", "muller", "martin", "okafor", "patel"];
  const domains = ["acme.io", "example.com", "mail.example.org", "corp.co.uk", "startup.dev", "uni-berlin.de", "gmail.com", "outlook.fr", "sub.domain.example.net", "xn--bcher-kva.example"];
  for (let i = 0; i < 30; i++) {
    const f = r.pick(first);
    const l = r.pick(last);
    const local = r.pick([`${f}.${l}`, `${f}${r.int(1, 99)}`, `${f[0]}.${l}+${r.pick(["work", "news", "x"])}`, `${f}_${l}`, `${l}-${f}`, f.toUpperCase()]);
    pos("email", `${local}@${r.pick(domains)}`, r.pick(sentences));
  }

  // ---- phone (number plans checked against libphonenumber metadata when this was written)
  const phones = [
    "+1 (###) 555-0###".replace(/^\+1 \(###\)/, () => `+1 (${r.pick(["212", "415", "646", "312", "617", "206", "303", "512"])})`),
    "+44 20 7946 0###",
    "+44 7400 1#####",
    "+49 30 ########",
    "+49 151 ########",
    "+33 1 42 ## ## ##",
    "+33 6 ## ## ## ##",
    "+91 98### #####",
    "+61 2 9374 ####",
    "+61 412 ### ###",
    "+81 3-####-####",
    "+55 11 9####-####",
    "+34 612 ### ###",
    "+39 06 6988 ####",
    "+52 55 #### ####",
    "+86 138 #### ####",
    "+27 21 ### ####",
    "+971 50 ### ####",
    "+31 6 ########",
    "+65 9### ####",
    "+353 1 ### ####",
    "+41 44 ### ## ##",
    "+48 22 ### ## ##",
    "+7 495 ###-##-##",
    "+82 2-312-####",
    "+90 212 ### ## ##",
    "+234 803 ### ####",
    "+46 8 ### ### ##",
    "+420 212 ### ###",
    `+1${r.pick(["415", "646", "312"])}5550###`,
  ];
  const nationals = ["(415) 555-0###", "415-555-0###", "212.555.0###", "1-800-555-0###", "020 7946 0###", "07400 1#####", "030 ########", "06 12 ## ## ##", "(02) 9374 ####", "0044 20 7946 0###"];
  const phoneSentences = ["Call me at {} after 5pm.", "Phone: {}", '{"phone": "{}"}', "Mobile {} (WhatsApp)", "tel:{}", "Support line {}, Mon-Fri."];
  for (const p of phones) pos("phone", fill(p), r.pick(phoneSentences));
  for (const p of nationals) pos("phone", fill(p), r.pick(phoneSentences));

  // ---- payment cards
  const card = (prefix: string, len: number) => {
    let body = prefix + r.chars(DIG, len - prefix.length - 1);
    for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
    body = "";
    return body;
  };
  const cardSentences = ["Card on file: {}", "charge {} exp 12/27", '{"number": "{}", "cvc": "***"}', "Paid with {}."];
  const brands: [string, number][] = [["4", 16], ["51", 16], ["55", 16], ["2221", 16], ["2720", 16], ["34", 15], ["37", 15], ["6011", 16], ["65", 16], ["3530", 16], ["36", 14], ["62", 16], ["4", 19]];
  for (let i = 0; i < 26; i++) {
    const [p, len] = brands[i % brands.length]!;
    const n = card(p, len);
    const fmt = i % 3;
    let v = n;
    if (fmt === 1 && len === 16) v = n.replace(/(\d{4})(?=\d)/g, "$1 ");
    if (fmt === 2 && len === 16) v = n.replace(/(\d{4})(?=\d)/g, "$1-");
    if (fmt === 1 && len === 15) v = `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`;
    pos("payment_card", v, r.pick(cardSentences));
  }

  // ---- SSN
  const ssnSentences = ["SSN {} on the W-9.", "social security number: {}", '{"ssn": "{}"}', "Employee SSN {}"];
  for (let i = 0; i < 25; i++) {
    let area = r.int(1, 899);
    if (area === 666) area = 667;
    const a = String(area).padStart(3, "0");
    const g = String(r.int(1, 99)).padStart(2, "0");
    const s = String(r.int(1, 9999)).padStart(4, "0");
    const v = i % 5 === 4 ? `${a} ${g} ${s}` : `${a}-${g}-${s}`;
    pos("us_ssn", v, r.pick(ssnSentences));
  }
  for (let i = 0; i < 5; i++) {
    const v = `${String(r.int(100, 665)).padStart(3, "0")}${String(r.int(10, 99))}${String(r.int(1000, 9999))}`;
    pos("us_ssn", v, "SSN: {}");
  }

  // ---- IBAN (BBAN layouts from the registry: n = digit, a = upper letter, c = alnum)
  const layouts: [string, string][] = [
    ["DE", "n18"], ["GB", "a4n14"], ["FR", "n10c11n2"], ["NL", "a4n10"], ["ES", "n20"], ["IT", "a1n10c12"], ["BE", "n12"],
    ["CH", "n5c12"], ["AT", "n16"], ["PL", "n24"], ["SE", "n20"], ["NO", "n11"], ["DK", "n14"], ["IE", "a4n14"], ["PT", "n21"], ["FI", "n14"],
  ];
  const bban = (layout: string) =>
    layout.replace(/([nac])(\d+)/g, (_, t: string, k: string) => r.chars(t === "n" ? DIG : t === "a" ? UP : DIG + UP, Number(k))).replace(/[nac]/g, "");
  const ibanSentences = ["IBAN: {}", "Please wire to {} (ref INV-2231).", '{"iban": "{}"}', "Konto {} bei der Bank"];
  for (let i = 0; i < 26; i++) {
    const [cc, layout] = layouts[i % layouts.length]!;
    const b = bban(layout);
    const iban = `${cc}${ibanCheckDigits(cc, b)}${b}`;
    pos("iban", i % 2 === 0 ? iban : iban.replace(/(.{4})(?=.)/g, "$1 "), r.pick(ibanSentences));
  }

  // ---- IP
  const ipSentences = ["Login from {} blocked.", "server listening on {}:8080", '{"client_ip": "{}"}', "X-Forwarded-For: {}"];
  for (let i = 0; i < 18; i++) pos("ip_address", `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`, r.pick(ipSentences));
  for (let i = 0; i < 10; i++) {
    const g = () => r.chars(HEX, r.int(1, 4)).replace(/^0+(?=.)/, "");
    const full = Array.from({ length: 8 }, g).join(":");
    const compressed = `2001:db8:${g()}::${g()}`;
    pos("ip_address", i % 2 === 0 ? full : compressed, r.pick(["peer {} connected", '{"ip": "{}"}', "route via {} now"]));
  }

  // ---- JWT
  const b64url = (s: string) => Buffer.from(s).toString("base64url");
  for (let i = 0; i < 26; i++) {
    const alg = r.pick(["HS256", "RS256", "ES256", "PS384", "EdDSA"]);
    const header = r.pick([{ alg, typ: "JWT" }, { typ: "JWT", alg, kid: r.chars(B62, 8) }, { alg }]);
    const payload = { sub: `usr_${r.chars(B62, 12)}`, iat: 1718035200 + r.int(0, 1e6), exp: 1718040000 + r.int(0, 1e6), ...(i % 2 ? { email_verified: true, scope: "read write" } : {}) };
    const sig = r.chars(B64URL, alg.startsWith("HS") ? 43 : 86);
    const jwt = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${sig}`;
    pos("jwt", jwt, r.pick(["Authorization: Bearer {}", '{"id_token": "{}"}', "token={}", "cookie: session={}; Path=/"]));
  }

  // ---- private keys
  const labels = ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY"];
  for (let i = 0; i < 24; i++) {
    const label = labels[i % labels.length]!;
    const lines = Array.from({ length: r.int(3, 25) }, () => r.chars(B64, 64));
    lines.push(`${r.chars(B64, r.int(4, 60))}==`);
    const nl = i % 3 === 2 ? "\\n" : "\n";
    const pem = `-----BEGIN ${label}-----${nl}${lines.join(nl)}${nl}-----END ${label}-----`;
    pos("private_key", pem, r.pick(["key:\n{}\n", '{"private_key": "{}"}', "{}", "Here is the deploy key {} keep it safe"]));
  }

  // ---- vendor secrets
  const secretSentences = ["export TOKEN={}", '{"api_key": "{}"}', "Authorization: Bearer {}", "use {} for the call", "key = \"{}\""];
  const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  for (let i = 0; i < 24; i++) pos("aws_access_key_id", `${r.pick(["AKIA", "ASIA", "AROA", "AIDA"])}${r.chars(b32, 16)}`, r.pick([...secretSentences, "aws_access_key_id = {}", '"AccessKeyId": "{}"']));
  for (let i = 0; i < 24; i++) {
    let v = r.chars(B64, 40);
    while (!/[0-9]/.test(v) || !/[a-z]/.test(v) || !/[A-Z]/.test(v)) v = r.chars(B64, 40);
    pos("aws_secret_access_key", v, r.pick(["aws_secret_access_key = {}", '"SecretAccessKey": "{}"', "AWS_SECRET_ACCESS_KEY={}", "export AWS_SECRET_ACCESS_KEY='{}'"]));
  }
  for (let i = 0; i < 24; i++) {
    const v = i % 4 === 3 ? `github_pat_${r.chars(B62, 22)}_${r.chars(B62, 59)}` : `${r.pick(["ghp", "gho", "ghu", "ghs", "ghr"])}_${r.chars(B62, 36)}`;
    pos("github_token", v, r.pick([...secretSentences, "git clone https://x-access-token:{}@github.com/org/repo.git"]));
  }
  for (let i = 0; i < 24; i++) {
    const v = i % 4 === 3 ? `xapp-1-A${r.chars(UP + DIG, 10)}-${r.chars(DIG, 13)}-${r.chars(HEX, 64)}` : `xox${r.pick(["b", "p", "a", "s"])}-${r.chars(DIG, 12)}-${r.chars(DIG, 13)}-${r.chars(B62, 24)}`;
    pos("slack_token", v, r.pick(secretSentences));
  }
  for (let i = 0; i < 24; i++) pos("stripe_secret_key", `${r.pick(["sk", "rk"])}_${r.pick(["live", "test"])}_${r.chars(B62, r.pick([24, 99]))}`, r.pick(secretSentences));
  for (let i = 0; i < 24; i++) {
    const v = i % 3 === 2 ? `GOCSPX-${r.chars(B64URL, 28)}` : `AIza${r.chars(B64URL, 35)}`;
    pos("google_api_key", v, r.pick([...secretSentences, "https://maps.googleapis.com/maps/api/js?key={}&callback=init"]));
  }
  for (let i = 0; i < 24; i++) {
    let body = r.pick([`proj-${r.chars(B64URL, 120)}`, `${r.chars(B62, 20)}T3BlbkFJ${r.chars(B62, 20)}`, `svcacct-${r.chars(B64URL, 60)}`, `ant-api03-${r.chars(B64URL, 93)}AA`]);
    while (!/[0-9]/.test(body)) body = `${body.slice(0, -1)}7`;
    pos("openai_api_key", `sk-${body}`, r.pick(secretSentences));
  }
  for (let i = 0; i < 24; i++) {
    const v = r.pick([
      `lk_live_${r.chars(B62, 49)}`,
      `lk_test_${r.chars(B62, 49)}`,
      `lk_mcp_${r.chars(B62, 43)}`,
      `lk_link_${r.chars(B62, 43)}`,
      `lk_magic_${r.chars(B62, 43)}`,
      `lk_svc_${r.chars(B62, 43)}`,
      `whsec_${r.chars(B62, 43)}`,
    ]);
    pos("latchkey_secret", v, r.pick([...secretSentences, "MCP URL: https://latchkey.example/mcp/i/{}"]));
  }
  for (let i = 0; i < 30; i++) {
    const v = r.chars(r.pick([B62, B64URL, B64]), r.int(24, 64));
    pos("high_entropy_secret", v, r.pick(["Authorization: Bearer {}", "password: {}", '{"client_secret": "{}"}', "SESSION_SECRET={}", "X-Api-Key: {}", "token {} expires in 1h"]));
  }

  // ---- negatives that share a shape with the positives
  for (let i = 0; i < 12; i++) neg(`Order ORD-${r.int(2019, 2025)}-${String(r.int(1, 999999)).padStart(6, "0")} shipped on ${r.int(2019, 2025)}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}.`, "order number and ISO date");
  for (let i = 0; i < 10; i++) neg(`created_at=${r.int(1500000000, 1800000000)} updated_ms=${r.int(1500000000000, 1800000000000)}`, "unix timestamps");
  for (let i = 0; i < 10; i++) neg(`{"ts": "${r.int(2019, 2025)}-0${r.int(1, 9)}-1${r.int(0, 9)}T${r.int(10, 23)}:${r.int(10, 59)}:${r.int(10, 59)}.${r.int(100, 999)}Z", "duration_ms": ${r.int(1, 99999)}}`, "ISO timestamps");
  for (let i = 0; i < 12; i++) {
    const u = `${r.chars(HEX, 8)}-${r.chars(HEX, 4)}-4${r.chars(HEX, 3)}-${r.pick(["8", "9", "a", "b"])}${r.chars(HEX, 3)}-${r.chars(HEX, 12)}`;
    neg(`request ${u} completed; trace ${r.chars(HEX, 32)}`, "uuid and trace id");
  }
  for (let i = 0; i < 12; i++) neg(`commit ${r.chars(HEX, 40)} (${r.chars(HEX, 7)}) sha256:${r.chars(HEX, 64)}`, "git SHAs and digests");
  for (let i = 0; i < 10; i++) neg(`Upgraded from v${r.int(0, 9)}.${r.int(0, 30)}.${r.int(0, 99)} to ${r.int(1, 20)}.${r.int(0, 30)}.${r.int(0, 9)}-rc.${r.int(1, 5)} (build ${r.int(1000, 99999)})`, "versions");
  for (let i = 0; i < 10; i++) neg(`Total: $${r.int(1, 9)},${r.int(100, 999)}.${r.int(10, 99)} (tax €${r.int(10, 999)},${r.int(10, 99)}), qty ${r.int(1, 500)}`, "prices");
  for (let i = 0; i < 14; i++) {
    const [p, len] = brands[i % brands.length]!;
    const good = card(p, len);
    const bad = good.slice(0, -1) + String((Number(good.slice(-1)) + r.int(1, 9)) % 10);
    neg(`Test card ${len === 16 ? bad.replace(/(\d{4})(?=\d)/g, "$1 ") : bad} was declined`, "card number failing Luhn");
  }
  for (let i = 0; i < 12; i++) {
    const [cc, layout] = layouts[i % layouts.length]!;
    const b = bban(layout);
    const check = ibanCheckDigits(cc, b);
    const wrong = String((Number(check) + r.int(1, 50)) % 97 + 2).padStart(2, "0");
    neg(`IBAN ${cc}${wrong === check ? "00" : wrong}${b}`, "IBAN with a bad checksum");
  }
  for (let i = 0; i < 10; i++) {
    const v = r.pick([`000-${r.int(10, 99)}-${r.int(1000, 9999)}`, `666-${r.int(10, 99)}-${r.int(1000, 9999)}`, `9${r.int(10, 99)}-${r.int(10, 99)}-${r.int(1000, 9999)}`, `${r.int(100, 665)}-00-${r.int(1000, 9999)}`, `${r.int(100, 665)}-${r.int(10, 99)}-0000`]);
    neg(`SSN ${v} is not a valid number`, "invalid SSN");
  }
  for (let i = 0; i < 8; i++) neg(`SKU ${r.int(1000, 9999)}-${r.int(1000, 9999)}-${r.int(10, 99)}X, bin A${r.int(10, 99)}-${r.int(100, 999)}`, "phone-like SKU");
  for (let i = 0; i < 6; i++) neg(`Ship to ZIP ${r.int(10000, 99999)}-${r.int(1000, 9999)}, ${r.int(100, 9999)} Main St`, "ZIP+4 and street number");
  for (let i = 0; i < 8; i++) neg(`${r.pick(["Hash", "Checksum", "ETag"])}: "${r.chars(HEX, r.pick([32, 40, 64]))}"`, "hex digest");
  for (let i = 0; i < 8; i++) neg(`integrity sha512-${r.chars(B64, 86)}==`, "npm integrity hash");
  for (let i = 0; i < 6; i++) neg(`<img src="data:image/png;base64,${r.chars(B64, r.int(600, 900))}=">`, "data URI image");
  for (let i = 0; i < 8; i++) neg(`${r.pick(["cus", "pi", "ch", "sub", "prod", "evt"])}_${r.chars(B62, r.int(14, 24))} was updated`, "Stripe object id");
  for (let i = 0; i < 8; i++) neg(`peer ${r.int(256, 999)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)} and ${r.int(1, 9)}.${r.int(0, 9)}.${r.int(0, 9)}`, "IP-shaped but invalid");
  for (let i = 0; i < 6; i++) neg(`at ${r.int(10, 23)}:${r.int(10, 59)}:${r.int(10, 59)} mac ${Array.from({ length: 6 }, () => r.chars("0123456789ABCDEF", 2)).join(":")}`, "time and MAC address");
  const words = ["the", "quarterly", "report", "shows", "revenue", "growth", "across", "regions", "with", "strong", "retention", "and", "new", "accounts", "pipeline", "review", "meeting", "agenda", "notes"];
  for (let i = 0; i < 20; i++) neg(Array.from({ length: r.int(8, 20) }, () => r.pick(words)).join(" ") + ".", "plain prose");
  for (let i = 0; i < 8; i++) neg(`function ${r.pick(["getUserAccountSettings", "handleIncomingWebhookEvent", "AbstractSingletonProxyFactoryBean", "renderDashboardOverview"])}${r.int(1, 9)}(props) { return null; }`, "identifiers");
  for (let i = 0; i < 6; i++) neg(`See https://docs.example.com/guides/${r.pick(words)}-${r.pick(words)}/v${r.int(1, 3)}/index.html#section-${r.int(1, 9)}`, "URL");
  for (let i = 0; i < 6; i++) neg(`Room ${r.int(100, 999)}, floor ${r.int(1, 40)}, flight UA ${r.int(100, 9999)}, gate B${r.int(1, 60)}`, "small numbers");
  for (let i = 0; i < 6; i++) neg(`coordinates ${r.int(-89, 89)}.${r.chars(DIG, 6)}, ${r.int(-179, 179)}.${r.chars(DIG, 6)}`, "coordinates");
  return out;
}

/** One JSON object per line, stable key order. */
export function toJsonl(samples: readonly CorpusSample[]): string {
  return samples.map((s) => JSON.stringify(s)).join("\n") + "\n";
}

const thisFile = fileURLToPath(import.meta.url);
if (process.argv[1] && path.resolve(process.argv[1]) === thisFile) {
  writeFileSync(path.join(path.dirname(thisFile), "generated.jsonl"), toJsonl(generateCorpus()));
}
