import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/min";
import {
  IBAN_LENGTHS,
  cardBrand,
  decodeBase64Url,
  ibanChecksumValid,
  ipv4Valid,
  ipv6Groups,
  isbnValid,
  luhnValid,
  ssnValid,
} from "./validators";

/**
 * Built-in detectors of the security gateway.
 *
 * Tool output is attacker-controlled, so every detector here runs in time linear in its input
 * with a small constant, whatever the input. The rules that make that true:
 * - candidates start only at a boundary (the previous character cannot be part of the same
 *   token), so a long run of look-alike characters yields one candidate, not one per position;
 * - every expansion from a candidate is bounded (`maxLength`) or stops at the next candidate;
 * - regexes are used only with bounded quantifiers or to jump to the next literal; the
 *   ReDoS test feeds every one of them to recheck (see `patterns`).
 */

export const PLACEHOLDER_KINDS = ["EMAIL", "PHONE", "CARD", "SSN", "IBAN", "IP", "JWT", "PRIVATE_KEY", "SECRET"] as const;
export type BuiltinKind = (typeof PLACEHOLDER_KINDS)[number];

export const DETECTOR_IDS = [
  "email",
  "phone",
  "payment_card",
  "us_ssn",
  "iban",
  "ip_address",
  "jwt",
  "private_key",
  "aws_access_key_id",
  "aws_secret_access_key",
  "github_token",
  "slack_token",
  "stripe_secret_key",
  "google_api_key",
  "openai_api_key",
  "latchkey_secret",
  "high_entropy_secret",
] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

export type Match = { start: number; end: number; value: string };

export type Detector = {
  readonly id: DetectorId;
  /** Placeholder type: `[EMAIL_1]`. */
  readonly kind: BuiltinKind;
  readonly description: string;
  /** Breaks ties between overlapping matches of the same length: the more specific wins. */
  readonly priority: number;
  /** No match is longer: the stream scanner holds back this many characters. */
  readonly maxLength: number;
  /** How far before a match the detector reads (context keywords). */
  readonly lookBehind: number;
  /** Every regex the detector runs, for the ReDoS audit. */
  readonly patterns: readonly RegExp[];
  find(text: string): Match[];
};

// ---- character classes (ASCII table; everything else is "other")

const DIGIT = 1;
const UPPER = 2;
const LOWER = 4;
const ALNUM = DIGIT | UPPER | LOWER;
const CLS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLS[c] = DIGIT;
for (let c = 65; c <= 90; c++) CLS[c] = UPPER;
for (let c = 97; c <= 122; c++) CLS[c] = LOWER;

function cls(c: number): number {
  return c < 128 ? (CLS[c] ?? 0) : 0;
}
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlnum = (c: number) => (cls(c) & ALNUM) !== 0;
/** Letters beyond ASCII count as word characters too: `müller@x.de` must not start at `ller`. */
const isWordish = (c: number) => isAlnum(c) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c < 0x2000);

/** charCodeAt that reads outside the string as 0 (a boundary). */
function at(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : 0;
}

function lowerTail(text: string, end: number, len: number): string {
  return text.slice(Math.max(0, end - len), end).toLowerCase();
}

// ---- email

const isLocalChar = (c: number) => isAlnum(c) || c === 46 /* . */ || c === 95 /* _ */ || c === 37 /* % */ || c === 43 /* + */ || c === 45; /* - */
const isLabelChar = (c: number) => isAlnum(c) || c === 45;
/** `icon@2x.png` is a retina asset name, not an address. */
const FILE_TLDS = new Set(["png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "avif", "heic", "pdf"]);

/**
 * `https://user:token@host` carries a credential, not an address: the part before `@` is
 * left to the secret detectors. True when `s` follows `scheme://[user:]` in the same token.
 */
function inUrlUserinfo(text: string, s: number): boolean {
  const prev = at(text, s - 1);
  if (prev !== 58 && prev !== 47) return false;
  for (let i = s - 1, k = 0; i >= 2 && k < 256; i--, k++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c === 34 || c === 39 || c === 60 || c === 62) return false;
    if (c === 47 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 58) return true;
  }
  return false;
}

function findEmails(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  let floor = 0;
  let atPos = text.indexOf("@");
  while (atPos !== -1) {
    let next = atPos + 1;
    let s = atPos;
    while (s > floor && atPos - s < 64 && isLocalChar(text.charCodeAt(s - 1))) s--;
    const tooLong = s > floor && isLocalChar(text.charCodeAt(s - 1));
    while (s < atPos && text.charCodeAt(s) === 46) s++;
    const localOk = !tooLong && s < atPos && text.charCodeAt(atPos - 1) !== 46 && !text.slice(s, atPos).includes("..") && !isWordish(at(text, s - 1)) && !inUrlUserinfo(text, s);
    if (localOk) {
      // domain: labels of [A-Za-z0-9-], dot-separated, at most 253 characters
      let e = atPos + 1;
      let labels = 0;
      let lastStart = e;
      let ok = true;
      for (;;) {
        const ls = e;
        while (e < n && e - atPos <= 253 && isLabelChar(text.charCodeAt(e))) e++;
        if (e === ls || text.charCodeAt(ls) === 45 || text.charCodeAt(e - 1) === 45) {
          ok = false;
          break;
        }
        labels++;
        lastStart = ls;
        if (text.charCodeAt(e) === 46 && isLabelChar(at(text, e + 1)) && e - atPos < 253) e++;
        else break;
      }
      if (ok && labels >= 2) {
        const tld = text.slice(lastStart, e);
        const after = at(text, e);
        const tldOk = (/^[A-Za-z]{2,24}$/.test(tld) || /^xn--[a-z0-9-]{2,59}$/i.test(tld)) && !FILE_TLDS.has(tld.toLowerCase());
        // `git@github.com:org/repo` is an SSH remote, not an address.
        const scpLike = after === 58 && (isAlnum(at(text, e + 1)) || at(text, e + 1) === 47 || at(text, e + 1) === 126);
        if (tldOk && !scpLike && !isWordish(after) && after !== 64 && after !== 95) {
          out.push({ start: s, end: e, value: text.slice(s, e) });
          floor = e;
          next = e;
        }
      }
    }
    atPos = text.indexOf("@", next);
  }
  return out;
}

// ---- phone

const PHONE_SEPARATORS = new Set([32, 45, 46, 40, 41, 47]); // space - . ( ) /
const isPhoneSep = (c: number) => c === 32 || c === 45 || c === 46 || c === 40 || c === 41 || c === 47;
/** Characters that, just before a digit, say "this number is something else": 3.5, $12, #42, 12:30. */
const PHONE_BAD_PREFIX = new Set([46, 44, 45, 47, 95, 35, 36, 64, 58, 37, 94, 39, 0x20ac, 0xa3, 0xa5, 126, 92]);
const NATIONAL_TRUNK_REGIONS: CountryCode[] = ["GB", "FR", "DE", "AU", "NL", "BE", "CH", "AT", "IT", "IE", "NZ"];

type PhoneCandidate = { start: number; end: number; digits: string; groups: number[]; seps: string; plus: boolean };

/**
 * One candidate from `start`: digits and single separators (a parenthesised area code may
 * bring two), at most 32 characters and 15 digits. Returns the end of the phone-character run
 * too, so the caller skips it whole when the candidate fails.
 */
function phoneCandidate(text: string, start: number): { cand: PhoneCandidate | null } {
  const n = text.length;
  // quick reject without allocating: fewer than 7 digits within reach ("+1 +1 +1 …")
  let quick = 0;
  let k = text.charCodeAt(start) === 43 ? start + 1 : start;
  for (; k < n && k - start < 32; k++) {
    const c = text.charCodeAt(k);
    if (isDigit(c)) quick++;
    else if (!isPhoneSep(c)) break;
  }
  if (quick < 7) return { cand: null };
  let i = start;
  let plus = false;
  if (text.charCodeAt(i) === 43) {
    plus = true;
    i++;
  }
  let digits = "";
  const groups: number[] = [];
  let seps = "";
  let open = false;
  let closed = false;
  let end = i;
  let group = 0;
  while (i < n && i - start < 32) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      digits += text[i];
      group++;
      i++;
      end = i;
      continue;
    }
    if (!PHONE_SEPARATORS.has(c)) break;
    // a separator run: at most two characters, must be followed by a digit (or an opening parenthesis)
    let j = i;
    let run = "";
    while (j < n && j - i < 3 && PHONE_SEPARATORS.has(text.charCodeAt(j))) {
      run += text[j];
      j++;
    }
    if (run.length > 2 || !(isDigit(at(text, j)) || (at(text, j) === 40 && isDigit(at(text, j + 1))))) {
      if (run[0] === ")" && open && !closed) {
        closed = true;
        end = i + 1;
      }
      break;
    }
    const hasOpen = run.includes("(");
    const hasClose = run.includes(")");
    if (hasOpen && (open || digits.length > 4)) break;
    if (hasClose && (!open || closed)) break;
    if (hasOpen) open = true;
    if (hasClose) closed = true;
    if (group > 0) groups.push(group);
    group = 0;
    seps += run;
    i = j;
  }
  if (group > 0) groups.push(group);
  if (open && !closed) return { cand: null };
  // the run goes on past our bound, or straight into a letter or another number: not a phone
  const after = at(text, end);
  if (isWordish(after) || (end < n && isDigit(after))) return { cand: null };
  // glued to more of a token ("2024-000123-AB", "555-0132.pdf"): an id, not a phone
  if ((after === 45 || after === 46 || after === 47 || after === 95) && isAlnum(at(text, end + 1))) return { cand: null };
  if (digits.length < 7 || digits.length > 15) return { cand: null };
  return { cand: { start, end, digits, groups, seps, plus } };
}

function looksLikeDate(groups: number[], digits: string, seps: string): boolean {
  const sep = seps.replace(/ /g, "");
  if (groups.length !== 3 || !/^[-./]*$/.test(sep) || sep.length === 0) return false;
  const shape = groups.join("-");
  if (shape !== "4-2-2" && shape !== "2-2-4" && shape !== "2-2-2" && shape !== "1-2-4" && shape !== "2-1-4") return false;
  return true;
}

const phoneCache = new Map<string, boolean>();
function phoneValid(candidate: string, region: CountryCode | undefined): boolean {
  const key = `${region ?? "+"}|${candidate}`;
  const hit = phoneCache.get(key);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    ok = parsePhoneNumberFromString(candidate, region)?.isValid() ?? false;
  } catch {
    ok = false;
  }
  if (phoneCache.size > 4096) phoneCache.clear();
  phoneCache.set(key, ok);
  return ok;
}

function classifyPhone(text: string, c: PhoneCandidate): boolean {
  const raw = text.slice(c.start, c.end);
  const before = lowerTail(text, c.start, 12);
  if (before.includes("isbn")) return false;
  if (c.plus) return phoneValid(raw, undefined);
  // "00 44 …": the international call prefix used in much of the world
  if (c.digits.startsWith("00") && c.digits[2] !== "0") return phoneValid(`+${c.digits.slice(2)}`, undefined);
  // national formats need separators: a bare digit run is an id, a timestamp or an amount
  if (c.seps.length === 0) return false;
  if (looksLikeDate(c.groups, c.digits, c.seps)) return false;
  // four dot-separated groups of at most three digits is an IPv4 address
  if (/^\.+$/.test(c.seps) && c.groups.length === 4 && c.groups.every((g) => g <= 3)) return false;
  if (c.groups.length >= 3 && c.groups.filter((g) => g === 1).length > 1) return false;
  if ((c.digits.length === 10 || c.digits.length === 13) && c.groups.length >= 4 && isbnValid(c.digits)) return false;
  const first = c.digits.charCodeAt(0);
  // NANP numbers are written 3-3-4 (with an optional leading 1); other groupings are ids
  const shape = c.groups.join("-");
  if (c.digits.length === 10 && first >= 50) return shape === "3-3-4" && phoneValid(raw, "US");
  if (c.digits.length === 11 && c.digits[0] === "1") return shape === "1-3-3-4" && phoneValid(raw, "US");
  if (c.digits[0] === "0") {
    for (const region of NATIONAL_TRUNK_REGIONS) if (phoneValid(raw, region)) return true;
  }
  return false;
}

function findPhones(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  const re = /[+(0-9]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const i = m.index;
    const c = text.charCodeAt(i);
    const prev = at(text, i - 1);
    let startOk: boolean;
    if (c === 43) startOk = isDigit(at(text, i + 1)) && !isWordish(prev) && prev !== 43 && !isDigit(prev);
    else if (c === 40) startOk = isDigit(at(text, i + 1)) && !isWordish(prev);
    else {
      // a digit group right after another group ("0044 0532") continues that number, it does not start one
      const glued = isPhoneSep(prev) && (isDigit(at(text, i - 2)) || at(text, i - 2) === 41);
      startOk = (!isWordish(prev) && !PHONE_BAD_PREFIX.has(prev) && prev !== 43 && prev !== 41 && !glued) || (prev === 58 && lowerTail(text, i, 4) === "tel:");
    }
    if (!startOk) {
      // skip the rest of this digit run: no candidate starts inside it
      let j = i + 1;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      re.lastIndex = j;
      continue;
    }
    const { cand } = phoneCandidate(text, i);
    if (cand && classifyPhone(text, cand)) {
      out.push({ start: cand.start, end: cand.end, value: text.slice(cand.start, cand.end) });
      re.lastIndex = cand.end;
    } else {
      // retry from the next digit group ("Apt 5 (415) 555-0132"): each try reads at most 32
      // characters and tries start only at group starts, so this stays linear
      let j = c === 43 || c === 40 ? i + 1 : i;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      re.lastIndex = Math.max(j, i + 1);
    }
  }
  return out;
}

// ---- payment card

/** Index of the next ASCII digit at or after `i`, or -1 (a tight loop beats a regex exec per run). */
function nextDigit(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return i;
    i++;
  }
  return -1;
}

function findCards(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  let next = nextDigit(text, 0);
  while (next !== -1) {
    const s = next;
    const prev = at(text, s - 1);
    let i = s;
    let count = 0;
    const groups: number[] = [];
    let group = 0;
    let sep = 0;
    let bad = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (isDigit(c)) {
        count++;
        group++;
        i++;
        if (count > 19) {
          bad = true;
          break;
        }
        continue;
      }
      if ((c === 32 || c === 45) && isDigit(at(text, i + 1)) && (sep === 0 || sep === c)) {
        sep = c;
        groups.push(group);
        group = 0;
        i++;
        continue;
      }
      break;
    }
    groups.push(group);
    // next try: the next digit group ("ref 5 4242 4242 4242 4242" holds a card after the 5);
    // a try reads at most 19 digits, so this stays linear
    let g = s;
    while (g < n && isDigit(text.charCodeAt(g))) g++;
    next = nextDigit(text, g);
    // glued to more digits: too long to be a card from this start
    const continues = i < n && (isDigit(text.charCodeAt(i)) || ((text.charCodeAt(i) === 32 || text.charCodeAt(i) === 45) && isDigit(at(text, i + 1))));
    if (bad || continues || count < 14) continue;
    if (isWordish(prev) || prev === 46 || prev === 45 || prev === 44 || prev === 47 || prev === 95) continue;
    const after = at(text, i);
    if (isWordish(after) || after === 95 || ((after === 46 || after === 44) && isDigit(at(text, i + 1)))) continue;
    const digits = sep === 0 ? text.slice(s, i) : text.slice(s, i).split(String.fromCharCode(sep)).join("");
    if (sep !== 0 && !cardGroupingOk(groups, digits.length)) continue;
    if (!luhnValid(digits) || cardBrand(digits) === null) continue;
    out.push({ start: s, end: i, value: text.slice(s, i) });
  }
  return out;
}

function cardGroupingOk(groups: number[], len: number): boolean {
  const shape = groups.join("-");
  if (len === 15 && (shape === "4-6-5" || shape === "4-4-4-3")) return true;
  if (len === 14 && (shape === "4-6-4" || shape === "4-4-4-2")) return true;
  // 4-4-4-4 and longer numbers written in fours with a shorter last group
  for (let k = 0; k < groups.length - 1; k++) if (groups[k] !== 4) return false;
  const last = groups[groups.length - 1] ?? 0;
  return last >= 1 && last <= 4;
}

// ---- US SSN

const SSN_KEYWORDS = ["ssn", "social security", "ss#", "ss no", "soc sec"];

function findSsns(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  let next = nextDigit(text, 0);
  while (next !== -1) {
    const s = next;
    let runEnd = s;
    while (runEnd < n && isDigit(text.charCodeAt(runEnd))) runEnd++;
    next = nextDigit(text, runEnd);
    if (runEnd - s !== 3 && runEnd - s !== 9) continue;
    const prev = at(text, s - 1);
    if (isWordish(prev) || prev === 45 || prev === 46 || prev === 47 || prev === 43 || prev === 58 || prev === 36 || prev === 95) continue;
    const len = runEnd - s;
    let end = -1;
    let area = "";
    let group = "";
    let serial = "";
    if (len === 3) {
      const sep = at(text, s + 3);
      if ((sep === 45 || sep === 32) && /^[0-9]{2}$/.test(text.slice(s + 4, s + 6)) && at(text, s + 6) === sep && /^[0-9]{4}$/.test(text.slice(s + 7, s + 11))) {
        end = s + 11;
        area = text.slice(s, s + 3);
        group = text.slice(s + 4, s + 6);
        serial = text.slice(s + 7, s + 11);
      }
    } else if (len === 9) {
      // a bare nine-digit number is an SSN only when the text says so
      const ctx = lowerTail(text, s, 32);
      if (SSN_KEYWORDS.some((k) => ctx.includes(k))) {
        end = s + 9;
        area = text.slice(s, s + 3);
        group = text.slice(s + 3, s + 5);
        serial = text.slice(s + 5, s + 9);
      }
    }
    if (end === -1) continue;
    const after = at(text, end);
    if (isWordish(after) || after === 45 || after === 95 || ((after === 46 || after === 47) && isDigit(at(text, end + 1)))) continue;
    if (!ssnValid(area, group, serial)) continue;
    out.push({ start: s, end, value: text.slice(s, end) });
    next = nextDigit(text, end);
  }
  return out;
}

// ---- IBAN

function findIbans(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  const re = /[A-Z]{2}[0-9]{2}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const s = m.index;
    const expected = IBAN_LENGTHS[text.slice(s, s + 2)];
    if (expected === undefined || isWordish(at(text, s - 1))) {
      re.lastIndex = s + 1;
      continue;
    }
    let compact = "";
    let i = s;
    let spaced: boolean | null = null;
    while (i < n && compact.length < expected) {
      const c = text.charCodeAt(i);
      if (isDigit(c) || (c >= 65 && c <= 90)) {
        compact += text[i];
        i++;
      } else if (c === 32 && compact.length % 4 === 0 && compact.length > 0 && spaced !== false) {
        spaced = true;
        i++;
      } else break;
      if (spaced === null && compact.length > 4) spaced = false;
    }
    const after = at(text, i);
    if (compact.length === expected && !isWordish(after) && ibanChecksumValid(compact)) {
      out.push({ start: s, end: i, value: text.slice(s, i) });
      re.lastIndex = i;
    } else re.lastIndex = s + 1;
  }
  return out;
}

// ---- IP addresses

/** Words after which a dotted quad is a version or a section number, not an address. */
const VERSION_WORDS = ["version", "ver", "ver.", "v", "v.", "release", "build", "firmware", "os", "table", "section", "figure", "fig.", "chapter", "§"];

function precededByVersionWord(text: string, s: number): boolean {
  let tail = lowerTail(text, s, 12);
  let k = tail.length;
  while (k > 0 && (tail.charCodeAt(k - 1) <= 32 || tail[k - 1] === ":" || tail[k - 1] === "=")) k--;
  tail = tail.slice(0, k);
  return VERSION_WORDS.some((w) => tail.endsWith(w) && !isAlnum(at(tail, tail.length - w.length - 1)));
}

const isIpv6Char = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 58 || c === 46;

function findIps(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  const v4 = /[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/g;
  let m: RegExpExecArray | null;
  while ((m = v4.exec(text)) !== null) {
    const s = m.index;
    const e = s + m[0].length;
    const prev = at(text, s - 1);
    const after = at(text, e);
    const bad =
      isWordish(prev) ||
      prev === 46 ||
      prev === 95 ||
      isWordish(after) ||
      after === 95 ||
      (after === 46 && isDigit(at(text, e + 1))) ||
      !ipv4Valid(m[0]) ||
      precededByVersionWord(text, s);
    if (bad) {
      // no address starts inside a run of digits and dots ("1.2.3.4.5.6"): skip all of it
      let j = s;
      while (j < n && (isDigit(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      v4.lastIndex = j;
      continue;
    }
    out.push({ start: s, end: e, value: m[0] });
  }
  // IPv6: runs of hex digits, colons and dots that contain a colon
  let colon = text.indexOf(":");
  let floor = 0;
  while (colon !== -1) {
    let s = colon;
    while (s > floor && colon - s < 45 && isIpv6Char(text.charCodeAt(s - 1))) s--;
    let e = colon;
    while (e < n && e - s < 46 && isIpv6Char(text.charCodeAt(e))) e++;
    const runLong = (s > floor && isIpv6Char(text.charCodeAt(s - 1))) || (e < n && isIpv6Char(text.charCodeAt(e)));
    let next = e;
    if (runLong) {
      // a run too long to be one address: skip all of it, and never expand back into it
      while (next < n && isIpv6Char(text.charCodeAt(next))) next++;
      floor = next;
    }
    if (!runLong) {
      let a = s;
      let b = e;
      while (b > a && text.charCodeAt(b - 1) === 46) b--;
      if (b - a >= 2 && text.charCodeAt(b - 1) === 58 && text.charCodeAt(b - 2) !== 58) b--;
      if (text.charCodeAt(a) === 58 && text.charCodeAt(a + 1) !== 58) a++;
      const cand = text.slice(a, b);
      const prev = at(text, a - 1);
      const after = at(text, b);
      const groups = (cand.match(/:/g)?.length ?? 0) >= 2 ? ipv6Groups(cand) : null;
      const compressedShort = groups !== null && cand.includes("::") && groups <= 2 && cand !== "::1" && !/[0-9a-fA-F]{3}/.test(cand);
      if (groups !== null && groups >= 1 && !compressedShort && !isWordish(prev) && prev !== 95 && !isWordish(after) && after !== 95 && !precededByVersionWord(text, a)) {
        out.push({ start: a, end: b, value: cand });
        floor = b;
      }
    }
    if (next <= colon) next = colon + 1;
    colon = text.indexOf(":", next);
  }
  out.sort((x, y) => x.start - y.start);
  return out;
}

// ---- JWT

const isB64Url = (c: number) => isAlnum(c) || c === 45 || c === 95;
const JWT_MAX = 16384;

function b64Run(text: string, i: number, max: number): number {
  const n = text.length;
  let j = i;
  while (j < n && j - i <= max && isB64Url(text.charCodeAt(j))) j++;
  return j;
}

function findJwts(text: string): Match[] {
  const out: Match[] = [];
  let pos = text.indexOf("eyJ");
  while (pos !== -1) {
    const s = pos;
    let next = s + 3;
    const prev = at(text, s - 1);
    if (!isB64Url(prev) && prev !== 46) {
      const parts: [number, number][] = [];
      let i = s;
      for (let k = 0; k < 5; k++) {
        const e = b64Run(text, i, JWT_MAX);
        parts.push([i, e]);
        if (at(text, e) === 46 && e - s < JWT_MAX && (k < 2 || isB64Url(at(text, e + 1)))) i = e + 1;
        else {
          i = e;
          break;
        }
      }
      const last = parts[parts.length - 1];
      const end = last ? last[1] : s;
      next = Math.max(end, s + 3);
      const [h0, h1] = parts[0] ?? [0, 0];
      const count = parts.length;
      const payload = parts[1];
      const sizeOk = end - s <= JWT_MAX && h1 - h0 <= 2048;
      if ((count === 3 || count === 5) && sizeOk && payload && payload[1] - payload[0] >= 2 && !isB64Url(at(text, end)) && jwtHeaderOk(text.slice(h0, h1))) {
        out.push({ start: s, end, value: text.slice(s, end) });
      }
    }
    pos = text.indexOf("eyJ", next);
  }
  return out;
}

function jwtHeaderOk(header: string): boolean {
  const json = decodeBase64Url(header);
  if (json === null) return false;
  try {
    const h: unknown = JSON.parse(json);
    return typeof h === "object" && h !== null && typeof (h as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

// ---- PEM private keys

const PEM_MAX = 16384;
const isPemBodyChar = (c: number) => isAlnum(c) || c === 43 || c === 47 || c === 61 || c === 32 || c === 10 || c === 13 || c === 9 || c === 92 || c === 58 || c === 44 || c === 45;

function findPrivateKeys(text: string): Match[] {
  const out: Match[] = [];
  let begin = text.indexOf("-----BEGIN ");
  // the next "-----END " at or after some position, remembered so that many BEGINs without an
  // END cost one search, not one each
  let endCache = -2;
  let endFrom = 0;
  const nextEnd = (from: number) => {
    if (endCache === -1 || (endCache >= from && endFrom <= from)) return endCache;
    endFrom = from;
    endCache = text.indexOf("-----END ", from);
    return endCache;
  };
  while (begin !== -1) {
    const labelStart = begin + 11;
    const labelEnd = text.indexOf("-----", labelStart);
    let next = labelStart;
    if (labelEnd !== -1 && labelEnd - labelStart <= 40) {
      const label = text.slice(labelStart, labelEnd);
      if (/^[A-Z0-9 ]{0,28}PRIVATE KEY(?: BLOCK)?$/.test(label)) {
        const bodyStart = labelEnd + 5;
        const e = nextEnd(bodyStart);
        const footer = `-----END ${label}-----`;
        let end: number;
        if (e !== -1 && e - begin <= PEM_MAX && text.startsWith(footer, e)) end = e + footer.length;
        else {
          // no footer in reach (truncated output): the key material still must not leak
          end = bodyStart;
          while (end < text.length && end - begin < PEM_MAX && isPemBodyChar(text.charCodeAt(end))) end++;
        }
        out.push({ start: begin, end, value: text.slice(begin, end) });
        next = end;
      } else next = labelEnd;
    }
    begin = text.indexOf("-----BEGIN ", next);
  }
  return out;
}

// ---- secrets with a known prefix

type PrefixSpec = {
  /** Alternation of literal prefixes (regex source, no quantifiers). */
  prefix: string;
  body: (c: number) => boolean;
  min: number;
  max: number;
  check?: (body: string) => boolean;
};

const isB62 = isAlnum;
const isB62Underscore = (c: number) => isAlnum(c) || c === 95;
const isUpperDigit = (c: number) => isDigit(c) || (c >= 65 && c <= 90);
const isSlackBody = (c: number) => isAlnum(c) || c === 45;
const isB64 = (c: number) => isAlnum(c) || c === 43 || c === 47 || c === 61;
const mixedAlnum = (body: string) => /[0-9]/.test(body) && /[A-Za-z]/.test(body);
/** Left boundary for prefixed tokens: not inside a longer identifier. */
const tokenChar = (c: number) => isAlnum(c) || c === 95 || c === 45;

function prefixDetectorFind(specs: readonly PrefixSpec[], regex: RegExp) {
  const anchored = specs.map((sp) => new RegExp(`^(?:${sp.prefix})$`));
  return (text: string): Match[] => {
    const out: Match[] = [];
    // one regex object per detector, reset per call: find() never re-enters itself
    const re = regex;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const s = m.index;
      const pfx = m[0];
      const spec = specs[anchored.findIndex((a) => a.test(pfx))];
      if (!spec || tokenChar(at(text, s - 1)) || at(text, s - 1) === 46) continue;
      let e = s + pfx.length;
      const bodyStart = e;
      while (e < text.length && e - bodyStart <= spec.max && spec.body(text.charCodeAt(e))) e++;
      const len = e - bodyStart;
      re.lastIndex = e;
      if (len < spec.min || len > spec.max) continue;
      if (isAlnum(at(text, e))) continue;
      const body = text.slice(bodyStart, e);
      if (spec.check && !spec.check(body)) continue;
      out.push({ start: s, end: e, value: text.slice(s, e) });
    }
    re.lastIndex = 0;
    return out;
  };
}

function prefixDetector(
  id: DetectorId,
  description: string,
  specs: readonly PrefixSpec[],
  priority = 80,
): Detector {
  const regex = new RegExp(specs.map((s) => s.prefix).join("|"), "g");
  const maxLength = Math.max(...specs.map((s) => s.max)) + 16;
  return { id, kind: "SECRET", description, priority, maxLength, lookBehind: 1, patterns: [regex], find: prefixDetectorFind(specs, regex) };
}

const AWS_PREFIXES = "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA";

// ---- AWS secret access key: 40 base64 characters, only with a keyword before it


const isB64Std = (c: number) => isAlnum(c) || c === 43 || c === 47;

/**
 * Keyword-driven: find "secret" (any case), then look at the 40-character base64 runs in the
 * next 100 characters. Cheaper than testing every run in the text, and the keyword is what
 * tells an AWS secret from any other random string.
 */
function findAwsSecrets(text: string): Match[] {
  const out: Match[] = [];
  const kw = /secret/gi;
  let m: RegExpExecArray | null;
  let from = 0;
  while ((m = kw.exec(text)) !== null) {
    const ctx = text.slice(Math.max(0, m.index - 80), m.index + 30).toLowerCase().replace(/[^a-z]/g, "");
    const ok = ctx.includes("secretaccesskey") || ctx.includes("aws");
    if (!ok) continue;
    const limit = Math.min(text.length, m.index + 6 + 100);
    let i = Math.max(m.index + 6, from);
    while (i < limit) {
      if (!isB64Std(text.charCodeAt(i))) {
        i++;
        continue;
      }
      let e = i;
      while (e < text.length && e - i <= 40 && isB64Std(text.charCodeAt(e))) e++;
      const runStartOk = !isB64Std(at(text, i - 1));
      if (runStartOk && e - i === 40 && at(text, e) !== 61) {
        const v = text.slice(i, e);
        if (/[0-9/+]/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v)) {
          out.push({ start: i, end: e, value: v });
          from = e;
          break;
        }
      }
      while (e < text.length && isB64Std(text.charCodeAt(e))) e++;
      i = e;
    }
  }
  return out;
}

// ---- high-entropy tokens

const HE_MIN = 20;
const HE_MAX = 512;
const isHeChar = (c: number) => isAlnum(c) || c === 43 || c === 47 || c === 95 || c === 45;
/** Object ids that look random but are not secrets (Stripe, Latchkey). */
const ID_PREFIXES = /^(?:pk_(?:live|test)|cus|pi|ch|py|in|ii|sub|si|prod|price|pm|src|seti|evt|acct|txn|tr|re|cs|pl|plink|card|ba|btok|tok|po|file|link|req|usr|org|env|key|aud|sec|ru|conn|tp|mcpi|lt|tc|ccfg|mem|inv|msg|ts)_/;
const INTEGRITY = /^sha(?:1|256|384|512)-/;

const counts = new Int32Array(128);
function entropyOf(text: string, s: number, e: number): number {
  counts.fill(0);
  for (let i = s; i < e; i++) counts[text.charCodeAt(i) & 127]! += 1;
  const n = e - s;
  let h = 0;
  for (let k = 0; k < 128; k++) {
    const c = counts[k]!;
    if (c > 0) {
      const p = c / n;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/**
 * Bits per character a random token of this length would comfortably exceed. Random base62 of
 * length 20 measures about 4.1 bits, camelCase identifiers and English about 3.5–3.9; the bar
 * rises with length because longer random strings show more distinct characters.
 */
function entropyThreshold(len: number): number {
  return Math.min(4.25, 0.55 * Math.log2(len) + 1.45);
}

/**
 * Decides whether one token (already cut at structural separators) is a secret. Trade-offs:
 * hex strings (hashes, git SHAs, UUIDs) never qualify, because they are everywhere in tool
 * output and rarely secret (hex API keys are missed unless they carry a known prefix); tokens
 * need upper case, lower case and digits (long ones: two classes) so identifiers, words and
 * numbers do not qualify; runs over 512 characters are blobs (images, files), not credentials.
 */
function highEntropyToken(text: string, s: number, e: number): boolean {
  const len = e - s;
  if (len < HE_MIN || len > HE_MAX) return false;
  let up = 0;
  let low = 0;
  let dig = 0;
  let hex = true;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    const k = cls(c);
    if (k & UPPER) up++;
    else if (k & LOWER) low++;
    else if (k & DIGIT) dig++;
    if (!(k & DIGIT) && !((c | 0x20) >= 97 && (c | 0x20) <= 102) && c !== 45) hex = false;
  }
  if (hex) return false;
  const classes = (up > 0 ? 1 : 0) + (low > 0 ? 1 : 0) + (dig > 0 ? 1 : 0);
  const h = entropyOf(text, s, e);
  const bar = entropyThreshold(len);
  if (classes === 3) return h >= bar;
  if (classes === 2 && len >= 32 && dig > 0) return h >= bar + 0.3;
  return false;
}

const isNewlineBefore = (text: string, i: number) => at(text, i - 1) === 10 || at(text, i - 1) === 13 || (at(text, i - 1) === 110 && at(text, i - 2) === 92);
const isNewlineAt = (text: string, i: number) => i >= text.length || at(text, i) === 10 || at(text, i) === 13 || (at(text, i) === 92 && at(text, i + 1) === 110);

/**
 * A 64- or 76-character base64 line between line breaks is the body of a PEM or MIME block
 * (certificates, public keys, attachments). Private keys are caught whole by their own
 * detector, so these lines are left alone: a secret that happens to be exactly one wrapped
 * base64 line is the price of not flagging every certificate.
 */
function isWrappedBase64Line(text: string, s: number, e: number): boolean {
  const len = e - s;
  if (len !== 64 && len !== 76) return false;
  return isNewlineBefore(text, s) && isNewlineAt(text, e);
}

/** A path or identifier has word-like segments ("src", "users", "Button"); random base64 rarely does. */
function hasWordSegment(text: string, s: number, e: number): boolean {
  let a = s;
  for (let i = s; i <= e; i++) {
    const c = i < e ? text.charCodeAt(i) : 47;
    if (c === 47 || c === 45 || c === 95) {
      if (i - a >= 3 && /^[A-Z]?[a-z]+$/.test(text.slice(a, i))) return true;
      a = i + 1;
    }
  }
  return false;
}

const HE_TABLE = new Uint8Array(128);
for (let c = 0; c < 128; c++) HE_TABLE[c] = isHeChar(c) ? 1 : 0;

function findHighEntropy(text: string): Match[] {
  const out: Match[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    // skip to the next run, then to its end: one visit per character
    let c = text.charCodeAt(i);
    if (c >= 128 || HE_TABLE[c] === 0) {
      i++;
      continue;
    }
    const s = i;
    while (i < n && (c = text.charCodeAt(i)) < 128 && HE_TABLE[c] === 1) i++;
    const e = i;
    if (e - s < HE_MIN) continue;
    let pe = e;
    while (pe < n && pe - e < 2 && text.charCodeAt(pe) === 61) pe++;
    if (e - s > HE_MAX) continue;
    if (isWrappedBase64Line(text, s, e)) continue;
    const run = text.slice(s, e);
    if (INTEGRITY.test(run) || ID_PREFIXES.test(run)) continue;
    if (lowerTail(text, s, 8).endsWith("base64,")) continue;
    if (isWordish(at(text, s - 1)) || isWordish(at(text, pe))) continue;
    // paths, kebab and snake identifiers: many separators, judged segment by segment
    let seps = 0;
    for (let k = s; k < e; k++) {
      const ch = text.charCodeAt(k);
      if (ch === 47 || ch === 45 || ch === 95) seps++;
    }
    if (seps * 10 > e - s && hasWordSegment(text, s, e)) {
      let a = s;
      for (let k = s; k <= e; k++) {
        const ch = k < e ? text.charCodeAt(k) : 47;
        if (ch === 47 || ch === 45 || ch === 95) {
          if (highEntropyToken(text, a, k)) out.push({ start: a, end: k, value: text.slice(a, k) });
          a = k + 1;
        }
      }
      continue;
    }
    if (highEntropyToken(text, s, e)) out.push({ start: s, end: pe, value: text.slice(s, pe) });
  }
  return out;
}

// ---- the list

export const BUILTIN_DETECTORS: readonly Detector[] = [
  {
    id: "email",
    kind: "EMAIL",
    description: "Email addresses (local@domain.tld); not retina asset names (icon@2x.png), package specs (react@18.2.0) or SSH remotes.",
    priority: 55,
    maxLength: 64 + 1 + 253,
    lookBehind: 1,
    patterns: [/^[A-Za-z]{2,24}$/, /^xn--[a-z0-9-]{2,59}$/i],
    find: findEmails,
  },
  {
    id: "phone",
    kind: "PHONE",
    description: "Phone numbers: international (+CC or 00CC) in any grouping, validated with libphonenumber; national formats with separators for NANP and trunk-prefix (0…) countries. Bare digit runs, dates and ISBNs are not phones.",
    priority: 50,
    maxLength: 33,
    lookBehind: 12,
    patterns: [/[+(0-9]/g],
    find: findPhones,
  },
  {
    id: "payment_card",
    kind: "CARD",
    description: "Payment card numbers (14–19 digits, optionally grouped), Luhn-checked and matched to an issuer prefix.",
    priority: 70,
    maxLength: 24,
    lookBehind: 1,
    patterns: [/[0-9]/g],
    find: findCards,
  },
  {
    id: "us_ssn",
    kind: "SSN",
    description: "US Social Security numbers (AAA-GG-SSSS, or nine digits after an SSN keyword) with SSA area/group/serial rules.",
    priority: 60,
    maxLength: 11,
    lookBehind: 32,
    patterns: [/[0-9]/g, /^[0-9]{2}$/, /^[0-9]{4}$/],
    find: findSsns,
  },
  {
    id: "iban",
    kind: "IBAN",
    description: "IBANs (electronic or grouped in fours), with the registry length for the country and the mod-97 checksum.",
    priority: 70,
    maxLength: 34 + 8,
    lookBehind: 1,
    patterns: [/[A-Z]{2}[0-9]{2}/g],
    find: findIbans,
  },
  {
    id: "ip_address",
    kind: "IP",
    description: "IPv4 (no leading zeros, octets ≤ 255) and IPv6 addresses; not version strings (v1.2.3.4, version 10.0.0.1), MAC addresses or clock times.",
    priority: 40,
    maxLength: 46,
    lookBehind: 12,
    patterns: [/[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}/g, /[0-9a-fA-F]{3}/, /:/g],
    find: findIps,
  },
  {
    id: "jwt",
    kind: "JWT",
    description: "JSON Web Tokens (JWS, three base64url parts; JWE, five) whose header decodes to JSON with an alg.",
    priority: 90,
    maxLength: JWT_MAX,
    lookBehind: 1,
    patterns: [/^[A-Za-z0-9_\-+/]*={0,2}$/],
    find: findJwts,
  },
  {
    id: "private_key",
    kind: "PRIVATE_KEY",
    description: "PEM private keys (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP blocks); a block without its footer is redacted up to the end of its base64 body.",
    priority: 100,
    maxLength: PEM_MAX + 64,
    lookBehind: 1,
    patterns: [/^[A-Z0-9 ]{0,28}PRIVATE KEY(?: BLOCK)?$/],
    find: findPrivateKeys,
  },
  prefixDetector("aws_access_key_id", "AWS access key ids (AKIA…, ASIA… and the other IAM prefixes, 20 characters).", [
    { prefix: AWS_PREFIXES, body: isUpperDigit, min: 16, max: 16 },
  ]),
  {
    id: "aws_secret_access_key",
    kind: "SECRET",
    description: "AWS secret access keys: 40 base64 characters after an aws/secret keyword (SecretAccessKey, aws_secret_access_key).",
    priority: 78,
    maxLength: 40,
    lookBehind: 100,
    patterns: [/secret/gi, /[0-9/+]/, /[a-z]/, /[A-Z]/],
    find: findAwsSecrets,
  },
  prefixDetector("github_token", "GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_ and fine-grained github_pat_.", [
    { prefix: "gh[pousr]_", body: isB62, min: 36, max: 251 },
    { prefix: "github_pat_", body: isB62Underscore, min: 59, max: 251 },
  ]),
  prefixDetector("slack_token", "Slack tokens (xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-, xapp-).", [
    { prefix: "xox[abposr]-|xapp-", body: isSlackBody, min: 20, max: 255 },
  ]),
  prefixDetector("stripe_secret_key", "Stripe secret and restricted keys (sk_live_, sk_test_, rk_live_, rk_test_).", [
    { prefix: "[sr]k_(?:live|test)_", body: isB62, min: 16, max: 247 },
  ]),
  prefixDetector("google_api_key", "Google API keys (AIza…), OAuth client secrets (GOCSPX-) and access tokens (ya29.).", [
    { prefix: "AIza", body: (c) => isB62(c) || c === 45 || c === 95, min: 35, max: 35 },
    { prefix: "GOCSPX-", body: (c) => isB62(c) || c === 45 || c === 95, min: 28, max: 28 },
    { prefix: "ya29\\.", body: (c) => isB62(c) || c === 45 || c === 95, min: 20, max: 2048, check: mixedAlnum },
  ]),
  prefixDetector("openai_api_key", "OpenAI-style keys (sk-…, sk-proj-…, sk-svcacct-…; also sk-ant-…): sk- and 20+ characters mixing letters and digits.", [
    { prefix: "sk-", body: (c) => isB62(c) || c === 45 || c === 95, min: 20, max: 255, check: mixedAlnum },
  ]),
  prefixDetector("latchkey_secret", "Latchkey's own secrets: API keys (lk_live_, lk_test_), lk_mcp_, lk_link_, lk_magic_, lk_inv_, lk_svc_… tokens and whsec_ webhook secrets.", [
    { prefix: "lk_(?:live|test)_", body: isB62, min: 40, max: 64 },
    { prefix: "lk_[a-z]{2,10}_", body: isB62, min: 30, max: 64 },
    { prefix: "whsec_", body: isB64, min: 24, max: 88 },
  ]),
  {
    id: "high_entropy_secret",
    kind: "SECRET",
    description: "Random-looking tokens of 20–512 base64/base62 characters (Shannon entropy above a length-dependent bar, upper+lower+digits). Skips hex (hashes, UUIDs), data: URIs, integrity hashes and known object ids.",
    priority: 10,
    maxLength: HE_MAX + 2,
    lookBehind: 8,
    patterns: [ID_PREFIXES, INTEGRITY, /^[A-Z]?[a-z]+$/],
    find: findHighEntropy,
  },
];

export const DETECTORS_BY_ID: ReadonlyMap<DetectorId, Detector> = new Map(BUILTIN_DETECTORS.map((d) => [d.id, d]));

/** Looks a detector up by id; undefined for an unknown id (rules are validated with DETECTOR_IDS). */
export function getDetector(id: DetectorId): Detector {
  const d = DETECTORS_BY_ID.get(id);
  if (!d) throw new Error(`unknown detector ${id}`);
  return d;
}
