// A real SMTP server on 127.0.0.1 that keeps what it receives (smtp-server, the receiving half
// of nodemailer's project). Plain SMTP with AUTH allowed without TLS: loopback only.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export type ReceivedMail = { from: string; to: string[]; raw: string; text: string; html: string; subject: string; headers: string };

export type SmtpSink = {
  /** smtp://user:pass@127.0.0.1:port */
  url: string;
  received: ReceivedMail[];
  /** Resolves with the first mail (after `after` of them) that arrives. */
  next(after?: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
};

/** Undoes quoted-printable (soft line breaks and =XX bytes) or base64. */
function decodeBody(body: string, encoding: string): string {
  const enc = encoding.toLowerCase();
  if (enc === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (enc === "quoted-printable") {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => `%${h}`);
    try {
      return decodeURIComponent(bytes);
    } catch {
      return bytes;
    }
  }
  return body;
}

function headerOf(block: string, name: string): string {
  const unfolded = block.replace(/\r?\n[ \t]+/g, " ");
  const m = new RegExp(`^${name}:\\s*(.*)$`, "im").exec(unfolded);
  return m ? m[1]!.trim() : "";
}

/** Enough MIME for our own messages: one multipart/alternative with a text and an html part. */
export function parseMail(raw: string): Pick<ReceivedMail, "text" | "html" | "subject" | "headers"> {
  const split = raw.indexOf("\r\n\r\n");
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const subject = headerOf(headers, "Subject").replace(/=\?utf-8\?Q\?(.*?)\?=/gi, (_m, q: string) => decodeBody(q.replace(/_/g, " "), "quoted-printable")).replace(/\?=\s+=\?/g, "");
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(headerOf(headers, "Content-Type"))?.[1];
  let text = "";
  let html = "";
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1) : [`${headers}\r\n\r\n${body}`];
  for (const part of parts) {
    const p = part.replace(/^\r\n/, "");
    const i = p.indexOf("\r\n\r\n");
    const h = p.slice(0, i);
    const content = decodeBody(p.slice(i + 4).replace(/\r\n$/, ""), headerOf(h, "Content-Transfer-Encoding") || "7bit");
    if (/text\/html/i.test(headerOf(h, "Content-Type"))) html = content;
    else if (/text\/plain/i.test(headerOf(h, "Content-Type"))) text = content;
  }
  return { text, html, subject, headers };
}

export async function startSmtpSink(opts: { user?: string; pass?: string } = {}): Promise<SmtpSink> {
  const user = opts.user ?? "mailer";
  const pass = opts.pass ?? "s3cret-smtp-pass";
  const received: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  const server = new SMTPServer({
    secure: false,
    logger: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authOptional: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === pass) cb(null, { user });
      else cb(new Error("Invalid username or password"));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        received.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw, ...parseMail(raw) });
        for (const w of waiters.splice(0)) w();
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    received,
    async next(after = received.length, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length <= after) {
        if (Date.now() > deadline) throw new Error(`no mail arrived within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return received[after]!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
