/**
 * Checksums and structural rules that turn "looks like" into "is": a 16-digit number is a
 * card only if Luhn agrees, an IBAN only if mod-97 does. Every function here is pure, runs in
 * time linear in its (already bounded) input and never throws.
 */

/** Luhn (mod 10) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  if (digits.length < 2) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) sum += d > 4 ? d * 2 - 9 : d * 2;
    else sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export type CardBrand = "visa" | "mastercard" | "amex" | "discover" | "jcb" | "diners" | "unionpay" | "maestro";

/**
 * Issuer by IIN prefix and allowed lengths. A Luhn-valid number with no issuer (order ids,
 * microsecond timestamps starting with 1) is not a card: this is most of the detector's
 * precision. 13-digit Visa numbers are not accepted: none are issued any more, and EAN-13
 * barcodes and millisecond timestamps have that length.
 */
export function cardBrand(digits: string): CardBrand | null {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if ((p2 === 34 || p2 === 37) && n === 15) return "amex";
  if (digits[0] === "4" && (n === 16 || n === 19)) return "visa";
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16) return "mastercard";
  if ((p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) && n >= 16 && n <= 19) return "discover";
  if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return "jcb";
  if (((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39 || p4 === 3095) && n >= 14 && n <= 19) return "diners";
  if (p2 === 62 && n >= 16 && n <= 19) return "unionpay";
  if ((p2 === 50 || (p2 >= 56 && p2 <= 69)) && n >= 14 && n <= 19) return "maestro";
  return null;
}

/**
 * IBAN length per country, from the SWIFT IBAN registry (release 2024). Countries that
 * use IBAN-like numbers outside the registry are left out on purpose: their formats vary.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** mod-97 of the rearranged IBAN (ISO 13616), computed digit by digit so no BigInt is needed. */
export function ibanChecksumValid(iban: string): boolean {
  const len = IBAN_LENGTHS[iban.slice(0, 2)];
  if (len === undefined || iban.length !== len) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/** Check digits for a country code and BBAN: used by the corpus generator and tests. */
export function ibanCheckDigits(country: string, bban: string): string {
  let rem = 0;
  const s = `${bban}${country}00`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    rem = c <= 57 ? (rem * 10 + (c - 48)) % 97 : (rem * 100 + (c - 55)) % 97;
  }
  return String(98 - rem).padStart(2, "0");
}

/**
 * SSA rules since 2011 randomisation: area 001–899 except 666, group 01–99, serial
 * 0001–9999. Anything else was never issued, so it is a near miss, not an SSN.
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  const g = Number(group);
  const s = Number(serial);
  return a >= 1 && a <= 899 && a !== 666 && g >= 1 && s >= 1;
}

/** Dotted quad, each part 0–255 without leading zeros (those read as octal in some stacks). */
export function ipv4Valid(text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return false;
    if (p.length > 1 && p[0] === "0") return false;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
    if (Number(p) > 255) return false;
  }
  return true;
}

function isHexGroup(g: string): boolean {
  if (g.length === 0 || g.length > 4) return false;
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * RFC 4291 text forms: eight groups, or fewer with one "::", optionally ending in an IPv4
 * dotted quad. Returns the number of hex groups written out (callers use it to reject the
 * shortest compressed forms, which collide with `a::b` in code).
 */
export function ipv6Groups(text: string): number | null {
  if (text.length < 2 || text.length > 45) return null;
  const dbl = text.indexOf("::");
  if (dbl !== -1 && text.indexOf("::", dbl + 1) !== -1) return null;
  let head: string[] = [];
  let tail: string[] = [];
  if (dbl === -1) head = text.split(":");
  else {
    const h = text.slice(0, dbl);
    const t = text.slice(dbl + 2);
    head = h === "" ? [] : h.split(":");
    tail = t === "" ? [] : t.split(":");
  }
  const all = [...head, ...tail];
  let slots = all.length;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes(".")) {
    if (!ipv4Valid(last)) return null;
    slots += 1;
    all.pop();
  }
  for (const g of all) if (!isHexGroup(g)) return null;
  if (dbl === -1 ? slots !== 8 : slots > 7) return null;
  return all.length;
}

/** ISBN-10 (mod 11, X = 10) and ISBN-13 (978/979, EAN weights): phone-shaped negatives. */
export function isbnValid(digits: string): boolean {
  if (digits.length === 10) {
    let sum = 0;
    for (let i = 0; i < 10; i++) {
      const ch = digits[i];
      const v = ch === "X" || ch === "x" ? 10 : Number(ch);
      if (Number.isNaN(v) || (v === 10 && i !== 9)) return false;
      sum += v * (10 - i);
    }
    return sum % 11 === 0;
  }
  if (digits.length === 13 && (digits.startsWith("978") || digits.startsWith("979"))) {
    let sum = 0;
    for (let i = 0; i < 13; i++) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
    return sum % 10 === 0;
  }
  return false;
}

/** Shannon entropy in bits per character, over code units. */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  const counts = new Map<number, number>();
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const k of counts.values()) {
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** base64url (or standard base64) to a UTF-8 string; null if the input is not base64. */
export function decodeBase64Url(text: string): string | null {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) return null;
  try {
    return Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
  } catch {
    return null;
  }
}
