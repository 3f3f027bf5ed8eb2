import { maskExcerpt } from "./mask";
import type { ScanPolicy, CompiledTextRule } from "./policy";
import {
  createPlaceholderNumbering,
  createTextScanState,
  candidatesInText,
  resolveOverlaps,
  scanAsync,
  type AsyncPlaceholderSource,
  type Hit,
  type ScanContext,
  type TextMatch,
} from "./scan";

/**
 * Redaction of streamed text (SSE bodies, chunked tool output) where a secret can be split
 * across chunks.
 *
 * The bound: no match is longer than the longest `maxLength` of the active rules (16 448 from
 * PEM keys, 16 384 from JWTs, 2 064 from Google ya29. tokens, 514 from high-entropy tokens), so
 * text is released
 * only once it lies more than that bound (`holdBack`) before the end of what has arrived: by
 * then every match that could start in it is complete, including the character after it that
 * the boundary checks read. When a candidate match straddles the release point, the point moves
 * back to the candidate's start, so a match is always redacted whole or not yet released. The
 * last `lookBehind` characters already released are kept (never re-emitted) as left context for
 * keyword checks such as "SSN:". Text is released in steps of at least `holdBack` characters
 * (so at most 2 × holdBack is held), which keeps the work per character bounded whatever the
 * chunk size. Memory is O(holdBack) per stream, apart from a run of
 * overlapping candidates longer than 4 × holdBack, which is released with those candidates
 * redacted (fail closed).
 *
 * Percent-encoded secrets are found as in `scan`; one whose encoded form is longer than the
 * bound may be split undetected (documented limit).
 */

export type StreamRedactor = {
  /** Feeds a chunk; resolves to the text that is safe to send now. */
  push(chunk: string): Promise<string>;
  /** End of stream: everything held back, redacted. */
  flush(): Promise<string>;
  readonly hits: readonly Hit[];
  readonly hitCount: number;
  /** Once true, nothing more is released: the caller stops the call (`blocked_by_policy`). */
  readonly blocked: boolean;
  /** Characters held back at most (excluding the overlap exception above). */
  readonly holdBack: number;
};

export type StreamOptions = ScanContext & { source?: AsyncPlaceholderSource };

const CUSTOM_CONTEXT = 32;

function ruleMaxLength(r: CompiledTextRule): number {
  return r.type === "detector" ? r.detector.maxLength : r.matcher.maxLength + CUSTOM_CONTEXT;
}
function ruleLookBehind(r: CompiledTextRule): number {
  return r.type === "detector" ? r.detector.lookBehind : CUSTOM_CONTEXT;
}

/** A redactor for one stream; placeholders are consistent across its chunks. */
export function createStreamRedactor(policy: ScanPolicy, opts: StreamOptions): StreamRedactor {
  const rules = policy.textRules.filter((r) => r.appliesTo === "both" || r.appliesTo === opts.direction);
  const holdBack = rules.reduce((m, r) => Math.max(m, ruleMaxLength(r)), 0) + 1;
  const lookBehind = rules.reduce((m, r) => Math.max(m, ruleLookBehind(r)), 1);
  const state = createTextScanState(opts.budgetMs);
  const numbering = opts.placeholders ?? createPlaceholderNumbering();
  const source: AsyncPlaceholderSource = opts.source ?? { placeholdersFor: (es) => es.map((e) => numbering.placeholderFor(e.kind, e.value)) };
  const maxHits = opts.maxHits ?? 1000;
  const hits: Hit[] = [];
  let hitCount = 0;
  let blocked = false;
  let context = "";
  let buffer = "";
  let emitted = 0;
  let reportedTimeouts = 0;

  const addHit = (h: Hit) => {
    hitCount++;
    if (h.action === "block") blocked = true;
    if (hits.length < maxHits) hits.push(h);
  };

  async function release(final: boolean): Promise<string> {
    if (blocked) {
      buffer = "";
      return "";
    }
    // release in steps of at least holdBack characters, so each character is scanned a bounded
    // number of times whatever the chunk size (one-character chunks included)
    if (!final && buffer.length < 2 * holdBack) return "";
    const text = context + buffer;
    const offset = context.length;
    let cut = final ? text.length : text.length - holdBack;
    let matches: TextMatch[] = [];
    if (rules.length > 0) {
      // candidates before resolution: a straddling loser must hold the cut back too
      const raw = candidatesInText(text, rules, state);
      matches = raw.filter((m) => m.end > offset);
      if (!final) {
        let moved = true;
        while (moved) {
          moved = false;
          for (const m of matches) {
            if (m.start < cut && m.end > cut) {
              cut = m.start;
              moved = true;
            }
          }
        }
        if (cut - offset <= 0 && buffer.length > 4 * holdBack) {
          // pathological chain of overlapping candidates: release it with the candidates redacted
          cut = text.length - holdBack;
          for (const m of matches) if (m.start < cut && m.end > cut) cut = Math.max(cut, m.end);
        }
      }
      matches = resolveOverlaps(matches.filter((m) => m.start >= offset && m.end <= cut));
    }
    if (cut <= offset) return "";
    if (state.timedOut.size > reportedTimeouts) {
      for (const id of [...state.timedOut].slice(reportedTimeouts)) {
        const rule = rules.find((r) => r.ruleId === id);
        if (rule) addHit({ ruleId: id, kind: rule.kind, path: "$", excerpt: "rule ran out of time", action: rule.action === "log" ? "log" : "block" });
      }
      reportedTimeouts = state.timedOut.size;
    }
    const redacting = matches.filter((m) => m.rule.action !== "log");
    for (const m of matches) addHit({ ruleId: m.rule.ruleId, kind: m.rule.kind, path: `$[${emitted + m.start - offset}]`, excerpt: maskExcerpt(m.rule.kind, m.value), action: m.rule.action });
    const placeholders = redacting.length > 0 ? await source.placeholdersFor(redacting.map((m) => ({ kind: m.rule.kind, value: m.value }))) : [];
    let out = "";
    let pos = offset;
    redacting.forEach((m, i) => {
      out += text.slice(pos, m.start) + placeholders[i];
      pos = m.end;
    });
    out += text.slice(pos, cut);
    emitted += cut - offset;
    context = text.slice(Math.max(0, cut - lookBehind), cut);
    buffer = text.slice(cut);
    if (blocked) return "";
    return out;
  }

  return {
    push(chunk) {
      buffer += chunk;
      return release(false);
    },
    flush() {
      return release(true);
    },
    get hits() {
      return hits;
    },
    get hitCount() {
      return hitCount;
    },
    get blocked() {
      return blocked;
    },
    holdBack,
  };
}

// ---- Server-Sent Events

export type SseRedactor = StreamRedactor;

/**
 * Redacts an SSE stream event by event: each `data` payload that is JSON (an MCP JSON-RPC
 * message) is scanned structurally, like `scan` (so JSON inside strings, escapes and nesting
 * are handled) and written back as one `data:` line; other payloads and comments are scanned as
 * text. An event is released when its blank line arrives; one larger than `maxEventBytes`
 * (default 8 MiB) blocks the stream instead of growing memory.
 */
export function createSseRedactor(policy: ScanPolicy, opts: StreamOptions & { maxEventBytes?: number }): SseRedactor {
  const maxEvent = opts.maxEventBytes ?? 8 * 1024 * 1024;
  const numbering = opts.placeholders ?? createPlaceholderNumbering();
  const source: AsyncPlaceholderSource = opts.source ?? { placeholdersFor: (es) => es.map((e) => numbering.placeholderFor(e.kind, e.value)) };
  const ctx: ScanContext = { ...opts, placeholders: numbering };
  const hits: Hit[] = [];
  const maxHits = opts.maxHits ?? 1000;
  let hitCount = 0;
  let blocked = false;
  let buffer = "";

  const record = (hs: readonly Hit[], count: number, b: boolean, prefix: string) => {
    hitCount += count;
    blocked ||= b;
    for (const h of hs) if (hits.length < maxHits) hits.push({ ...h, path: `${prefix}${h.path}` });
  };

  async function redactText(text: string, prefix: string): Promise<string> {
    const r = await scanAsync(text, policy, ctx, source);
    record(r.hits, r.hitCount, r.blocked, prefix);
    return r.value;
  }

  let eventNo = 0;
  async function redactEvent(raw: string): Promise<string> {
    const n = eventNo++;
    const lines = raw.split(/\r\n|\n|\r/);
    const data: string[] = [];
    let firstData = -1;
    const other = new Map<number, string>();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith("data:")) {
        if (firstData === -1) firstData = i;
        data.push(line.slice(line[5] === " " ? 6 : 5));
      } else if (line !== "") {
        // event names, ids and comments are text too: scan them
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1);
        other.set(i, colon === -1 ? await redactText(line, `event[${n}].`) : `${field}:${await redactText(value, `event[${n}].${field || "comment"}`)}`);
      }
    }
    let dataLines: string[] = [];
    if (data.length > 0) {
      const payload = data.join("\n");
      let parsed: unknown;
      let isJson = false;
      try {
        parsed = JSON.parse(payload);
        isJson = true;
      } catch {
        isJson = false;
      }
      if (isJson) {
        const r = await scanAsync(parsed, policy, ctx, source);
        record(r.hits, r.hitCount, r.blocked, `event[${n}].data`);
        dataLines = r.value === parsed ? data.map((d) => `data: ${d}`) : [`data: ${JSON.stringify(r.value)}`];
      } else {
        const red = await redactText(payload, `event[${n}].data`);
        dataLines = red.split("\n").map((d) => `data: ${d}`);
      }
    }
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (i === firstData) out.push(...dataLines);
      else if (other.has(i)) out.push(other.get(i)!);
    }
    return out.join("\n");
  }

  // where the search for the next blank line resumes, so a big event in small chunks is read once
  let searchFrom = 0;
  function nextEventEnd(): { end: number; sepLen: number } | null {
    const re = /\r\n\r\n|\n\n|\r\r/g;
    re.lastIndex = Math.max(0, searchFrom - 3);
    const m = re.exec(buffer);
    if (!m) {
      searchFrom = buffer.length;
      return null;
    }
    return { end: m.index, sepLen: m[0].length };
  }

  async function drain(final: boolean): Promise<string> {
    let out = "";
    for (;;) {
      if (blocked) {
        buffer = "";
        return "";
      }
      const e = nextEventEnd();
      if (!e) break;
      const raw = buffer.slice(0, e.end);
      buffer = buffer.slice(e.end + e.sepLen);
      searchFrom = 0;
      const red = await redactEvent(raw);
      if (blocked) return "";
      out += `${red}\n\n`;
    }
    if (buffer.length > maxEvent) {
      blocked = true;
      hitCount++;
      if (hits.length < maxHits) hits.push({ ruleId: "stream", kind: "OVERSIZE", path: `event[${eventNo}]`, excerpt: `event larger than ${maxEvent} bytes`, action: "block" });
      buffer = "";
      return "";
    }
    if (final && buffer.length > 0) {
      searchFrom = 0;
      const red = await redactEvent(buffer);
      buffer = "";
      if (blocked) return "";
      out += red;
    }
    return out;
  }

  return {
    push(chunk) {
      buffer += chunk;
      return drain(false);
    },
    flush() {
      return drain(true);
    },
    get hits() {
      return hits;
    },
    get hitCount() {
      return hitCount;
    },
    get blocked() {
      return blocked;
    },
    holdBack: maxEvent,
  };
}
