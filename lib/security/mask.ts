/**
 * Masked excerpts for alerts: enough for a person to recognise what fired ("a card ending
 * 4242", "a GitHub token"), never enough to use it. The rule everywhere: at most a short prefix
 * that is public by construction (a token prefix, a country code) or a few edge characters
 * of a value long enough that they identify nothing.
 */

const MAX_EXCERPT = 64;

function stars(n: number): string {
  return "*".repeat(Math.max(3, Math.min(n, 12)));
}

/** Digits become `*` except the last `keep`; separators stay so the shape is recognisable. */
function maskDigits(value: string, keep: number): string {
  let digits = 0;
  for (const ch of value) if (ch >= "0" && ch <= "9") digits++;
  let seen = 0;
  let out = "";
  for (const ch of value) {
    if (ch >= "0" && ch <= "9") {
      seen++;
      out += seen > digits - keep ? ch : "*";
    } else out += ch;
  }
  return out;
}

function maskEmail(value: string): string {
  const at = value.lastIndexOf("@");
  if (at < 1) return stars(value.length);
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  const dot = domain.lastIndexOf(".");
  const tld = dot >= 0 ? domain.slice(dot) : "";
  const host = dot >= 0 ? domain.slice(0, dot) : domain;
  const l = local.length >= 3 ? `${local[0]}***` : "***";
  const h = host.length >= 3 ? `${host[0]}***` : "***";
  return `${l}@${h}${tld}`;
}

const SECRET_PREFIXES = /^(?:gh[pousr]_|github_pat_|xox[abposr]-|xapp-|[sr]k_(?:live|test)_|sk-(?:proj-|svcacct-|admin-|ant-)?|AIza|GOCSPX-|ya29\.|lk_[a-z]{2,10}_|whsec_|A[A-Z]{3}(?=[A-Z0-9]{16}$))/;

/** Masked excerpt of a detected value, by placeholder kind. */
export function maskExcerpt(kind: string, value: string): string {
  let out: string;
  switch (kind) {
    case "EMAIL":
      out = maskEmail(value);
      break;
    case "CARD":
    case "PHONE":
      out = maskDigits(value, kind === "CARD" ? 4 : 2);
      break;
    case "SSN":
      out = maskDigits(value, 0);
      break;
    case "IBAN": {
      const compact = value.replace(/ /g, "");
      out = `${compact.slice(0, 2)}** ${stars(compact.length - 6)} ${compact.slice(-2)}`;
      break;
    }
    case "IP":
      out = value.includes(":") ? `${value.split(":")[0] ?? ""}:****` : `${value.split(".")[0] ?? ""}.*.*.*`;
      break;
    case "JWT":
      out = `eyJ***.***.*** (${value.split(".").length} parts, ${value.length} chars)`;
      break;
    case "PRIVATE_KEY": {
      const first = value.split(/\r?\n|\\n/)[0] ?? "";
      out = `${first.slice(0, 48)} *** (${value.length} chars)`;
      break;
    }
    case "SECRET": {
      const prefix = SECRET_PREFIXES.exec(value)?.[0] ?? "";
      out = `${prefix}${stars(value.length - prefix.length)} (${value.length} chars)`;
      break;
    }
    default:
      out = `${stars(value.length)} (${value.length} chars)`;
  }
  return out.length > MAX_EXCERPT ? `${out.slice(0, MAX_EXCERPT - 1)}…` : out;
}
