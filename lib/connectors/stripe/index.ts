import { randomUUID } from "node:crypto";
import * as z from "zod";
import { toolError } from "@/lib/connectors/errors";
import { providerMessage } from "@/lib/connectors/http";
import { defineConnector, defineTool, type ProviderAnswer } from "@/lib/connectors/types";

// Stripe API (https://docs.stripe.com/api), pinned to API version 2024-06-20. Request bodies are
// application/x-www-form-urlencoded with bracket notation for nested values; lists paginate with
// limit / starting_after / ending_before and answer `{ object: "list", data, has_more, url }`.

export const STRIPE_API_VERSION = "2024-06-20";

type Metadata = Record<string, string>;
type StripeList<T> = { object: "list"; data: T[]; has_more: boolean; url: string };
type StripeCustomer = {
  id: string;
  object: "customer";
  deleted?: true;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  description?: string | null;
  balance?: number;
  currency?: string | null;
  delinquent?: boolean | null;
  created?: number;
  invoice_prefix?: string | null;
  metadata?: Metadata;
  livemode?: boolean;
};
type StripePaymentIntent = {
  id: string;
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  customer: string | null;
  description: string | null;
  created: number;
  latest_charge: string | null;
  payment_method_types: string[];
  receipt_email?: string | null;
  canceled_at?: number | null;
  metadata: Metadata;
  livemode: boolean;
};
type StripeInvoice = {
  id: string;
  number: string | null;
  status: string | null;
  customer: string | null;
  customer_email: string | null;
  customer_name: string | null;
  description: string | null;
  currency: string;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  total: number;
  created: number;
  due_date: number | null;
  collection_method: string;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  lines?: StripeList<{ description: string | null; amount: number; quantity: number | null }>;
  metadata: Metadata;
  livemode: boolean;
};
type StripePrice = {
  id: string;
  active: boolean;
  currency: string;
  unit_amount: number | null;
  type: "one_time" | "recurring";
  recurring: { interval: string; interval_count: number } | null;
  nickname: string | null;
};
type StripeProduct = {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  default_price: string | StripePrice | null;
  created: number;
  updated: number;
  metadata: Metadata;
  livemode: boolean;
};
type StripeRefund = {
  id: string;
  amount: number;
  currency: string;
  charge: string | null;
  payment_intent: string | null;
  reason: string | null;
  status: string | null;
  created: number;
  metadata: Metadata;
};
type StripePaymentLink = {
  id: string;
  url: string;
  active: boolean;
  currency: string;
  livemode: boolean;
  metadata: Metadata;
  line_items?: StripeList<{ id: string; description: string; quantity: number | null; amount_total: number; currency: string; price: StripePrice | null }>;
};
type StripeError = { type?: string; code?: string; decline_code?: string; message?: string; param?: string; doc_url?: string };

// ---- Form encoding --------------------------------------------------------------------------

export type StripeFormValue = string | number | boolean | null | undefined | StripeFormValue[] | { [key: string]: StripeFormValue };

/**
 * Stripe's form encoding: nested objects and arrays in bracket notation (`metadata[plan]=pro`,
 * `line_items[0][price]=price_…`, `expand[0]=line_items`). `undefined` is left out; `null` is
 * sent as an empty string, which is how Stripe unsets a field (`metadata[key]=` removes a key).
 */
export function stripeForm(obj: Record<string, StripeFormValue>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: StripeFormValue, key: string) => {
    if (value === undefined) return;
    if (value === null) out[key] = "";
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${key}[${i}]`));
    else if (typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, `${key}[${k}]`);
    else out[key] = String(value);
  };
  for (const [k, v] of Object.entries(obj)) walk(v, k);
  return out;
}

// ---- Amounts --------------------------------------------------------------------------------

// https://docs.stripe.com/currencies#zero-decimal and #three-decimal
const ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]);
const THREE_DECIMAL = new Set(["bhd", "jod", "kwd", "omr", "tnd"]);

/** An amount in the currency's smallest unit as a readable string: 1250 usd → "12.50 USD", 500 jpy → "500 JPY". */
export function formatAmount(amount: number, currency: string): string {
  const cur = currency.toLowerCase();
  const decimals = ZERO_DECIMAL.has(cur) ? 0 : THREE_DECIMAL.has(cur) ? 3 : 2;
  const digits = String(Math.abs(Math.trunc(amount))).padStart(decimals + 1, "0");
  const body = decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
  return `${amount < 0 ? "-" : ""}${body} ${cur.toUpperCase()}`;
}

const iso = (unix: number | null | undefined) => (typeof unix === "number" ? new Date(unix * 1000).toISOString() : null);
const dashboard = (livemode: boolean | undefined, path: string) => `https://dashboard.stripe.com/${livemode ? "" : "test/"}${path}`;
const path = (...parts: string[]) => `/v1/${parts.map((p) => encodeURIComponent(p)).join("/")}`;

// ---- Shared inputs --------------------------------------------------------------------------

const id = (prefix: string, what: string) => z.string().regex(new RegExp(`^${prefix}_[0-9A-Za-z]+$`), `a ${what} id (${prefix}_…)`).max(255);
const paging = {
  limit: z.number().int().min(1).max(100).default(10).describe("Objects per page (1-100)"),
  starting_after: z.string().min(1).max(255).optional().describe("Cursor: the next_starting_after of the previous page (an object id)"),
};
const metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, "at most 50 metadata keys")
  .describe("Key-value pairs stored on the object (keys ≤ 40 chars, values ≤ 500 chars)");
const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe("Your key for this operation: retrying with the same key and arguments returns the original result instead of doing it twice");

/** The Idempotency-Key header: the caller's key scoped to the tool, or a fresh UUID. */
export const idempotencyHeader = (tool: string, key: string | undefined) => ({ "idempotency-key": key ? `latchkey:${tool}:${key}` : randomUUID() });

const page = <T extends { id: string }, O>(list: StripeList<T>, map: (t: T) => O) => ({
  data: list.data.map(map),
  has_more: list.has_more,
  next_starting_after: list.has_more && list.data.length ? list.data[list.data.length - 1]!.id : null,
});

// ---- Output shapes --------------------------------------------------------------------------

const customerOut = (c: StripeCustomer) =>
  c.deleted
    ? { id: c.id, deleted: true }
    : {
        id: c.id,
        name: c.name ?? null,
        email: c.email ?? null,
        phone: c.phone ?? null,
        description: c.description ?? null,
        balance: c.balance ?? 0,
        balance_formatted: c.currency ? formatAmount(c.balance ?? 0, c.currency) : null,
        currency: c.currency ?? null,
        delinquent: c.delinquent ?? false,
        invoice_prefix: c.invoice_prefix ?? null,
        metadata: c.metadata ?? {},
        created: iso(c.created),
        livemode: c.livemode ?? false,
        dashboard_url: dashboard(c.livemode, `customers/${c.id}`),
      };

const paymentIntentOut = (p: StripePaymentIntent) => ({
  id: p.id,
  status: p.status,
  amount: p.amount,
  amount_formatted: formatAmount(p.amount, p.currency),
  amount_received: p.amount_received,
  currency: p.currency,
  customer: p.customer,
  description: p.description,
  latest_charge: p.latest_charge,
  payment_method_types: p.payment_method_types,
  receipt_email: p.receipt_email ?? null,
  metadata: p.metadata,
  created: iso(p.created),
  dashboard_url: dashboard(p.livemode, `payments/${p.id}`),
});

const invoiceOut = (i: StripeInvoice) => ({
  id: i.id,
  number: i.number,
  status: i.status,
  customer: i.customer,
  customer_email: i.customer_email,
  customer_name: i.customer_name,
  description: i.description,
  currency: i.currency,
  total: i.total,
  total_formatted: formatAmount(i.total, i.currency),
  amount_due: i.amount_due,
  amount_paid: i.amount_paid,
  amount_remaining: i.amount_remaining,
  amount_remaining_formatted: formatAmount(i.amount_remaining, i.currency),
  collection_method: i.collection_method,
  lines: (i.lines?.data ?? []).map((l) => ({ description: l.description, quantity: l.quantity, amount: l.amount, amount_formatted: formatAmount(l.amount, i.currency) })),
  created: iso(i.created),
  due_date: iso(i.due_date),
  hosted_invoice_url: i.hosted_invoice_url,
  invoice_pdf: i.invoice_pdf,
});

const priceOut = (p: StripePrice) => ({
  id: p.id,
  active: p.active,
  type: p.type,
  unit_amount: p.unit_amount,
  unit_amount_formatted: p.unit_amount === null ? null : formatAmount(p.unit_amount, p.currency),
  currency: p.currency,
  interval: p.recurring ? (p.recurring.interval_count > 1 ? `every ${p.recurring.interval_count} ${p.recurring.interval}s` : p.recurring.interval) : null,
  nickname: p.nickname,
});

const balanceLines = (lines: { amount: number; currency: string }[]) => lines.map((l) => ({ amount: l.amount, currency: l.currency, formatted: formatAmount(l.amount, l.currency) }));

// ---- Errors ---------------------------------------------------------------------------------

const stripeError = (body: unknown): StripeError | null => {
  const e = body && typeof body === "object" ? (body as { error?: unknown }).error : undefined;
  return e && typeof e === "object" ? (e as StripeError) : null;
};

/**
 * 400 (invalid_request_error, idempotency_error) and 402 (card_error) carry the message an agent
 * needs to fix its call, plus the offending `param` and Stripe's `code`: keep all three.
 * Everything else (401 → re-auth, 404 resource_missing → not_found, 429, 5xx) maps by default.
 */
function interpret({ status, body }: ProviderAnswer) {
  if (status !== 400 && status !== 402) return null;
  const e = stripeError(body);
  const said = e?.message ?? providerMessage(body) ?? `HTTP ${status}`;
  const details = [e?.param && `param: ${e.param}`, e?.code && `code: ${e.code}`, e?.decline_code && `decline_code: ${e.decline_code}`].filter(Boolean);
  return {
    code: "invalid_request" as const,
    message: `Stripe ${status === 402 ? "declined" : "rejected"} the request: ${said}${details.length ? ` (${details.join(", ")})` : ""}`,
    provider_status: status,
  };
}

/** A restricted key (rk_…) lacking a permission: "… Having the 'rak_customer_write' permission would allow this request to continue." */
function missingScopes({ status, body }: ProviderAnswer) {
  if (status !== 403) return null;
  const m = /Having the '([a-z0-9_]+)' permission/.exec(stripeError(body)?.message ?? "");
  return m ? [m[1]!] : null;
}

// ---- Connector ------------------------------------------------------------------------------

export const stripe = defineConnector({
  slug: "stripe",
  name: "Stripe",
  description: "Customers, payments, invoices, refunds, products and payment links on Stripe.",
  icon: `<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><rect width="24" height="24" rx="5" fill="#635BFF"/><path fill="#fff" d="M11.1 9.6c0-.6.5-.9 1.3-.9 1.2 0 2.6.4 3.8 1V6.4a10 10 0 0 0-3.8-.7c-3.1 0-5.2 1.6-5.2 4.3 0 4.2 5.8 3.5 5.8 5.3 0 .7-.6.9-1.4.9-1.3 0-2.9-.5-4.1-1.2v3.3c1.4.6 2.8.9 4.1.9 3.2 0 5.4-1.6 5.4-4.3 0-4.5-5.9-3.7-5.9-5.4Z"/></svg>`,
  categories: ["payments", "finance"],
  docsUrl: "https://docs.stripe.com/api",
  auth: {
    kind: "api_key",
    form: z.object({
      secret_key: z.string().regex(/^(sk|rk)_(live|test)_[0-9A-Za-z]{10,}$/, "a Stripe secret (sk_…) or restricted (rk_…) key"),
    }),
    secretFields: ["secret_key"],
    headers: (v) => ({ authorization: "Bearer " + v.secret_key }),
  },
  baseUrl: "https://api.stripe.com",
  defaultHeaders: { "stripe-version": STRIPE_API_VERSION },
  interpret,
  missingScopes,
  // Stripe keys belong to an account, not a person: label the connection by its mode.
  accountLabel: async ({ http }) => ((await http.get<{ livemode: boolean }>("/v1/balance")).body.livemode ? "Stripe (live mode)" : "Stripe (test mode)"),
  tools: [
    defineTool({
      name: "stripe_get_balance",
      description: "Get the Stripe account's balance: funds available for payout and funds still pending, per currency. Amounts are in the currency's smallest unit (cents) with a formatted string.",
      input: z.object({}),
      annotations: { title: "Get balance", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (_a, { http }) => {
        const b = (await http.get<{ livemode: boolean; available: { amount: number; currency: string }[]; pending: { amount: number; currency: string }[] }>("/v1/balance")).body;
        return { livemode: b.livemode, available: balanceLines(b.available), pending: balanceLines(b.pending) };
      },
    }),
    defineTool({
      name: "stripe_list_customers",
      description: "List customers, newest first. Filter by exact email (case-sensitive). Page with starting_after = the previous page's next_starting_after.",
      input: z.object({ email: z.string().min(1).max(512).optional().describe("Only customers with exactly this email"), ...paging }),
      annotations: { title: "List customers", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<StripeList<StripeCustomer>>("/v1/customers", stripeForm({ email: a.email, limit: a.limit, starting_after: a.starting_after }));
        return page(res.body, customerOut);
      },
    }),
    defineTool({
      name: "stripe_get_customer",
      description: "Get one customer by id (cus_…). A deleted customer comes back as { id, deleted: true }.",
      input: z.object({ customer: id("cus", "customer") }),
      annotations: { title: "Get customer", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => customerOut((await http.get<StripeCustomer>(path("customers", a.customer))).body),
    }),
    defineTool({
      name: "stripe_create_customer",
      description: "Create a customer. Check stripe_list_customers with the email first to avoid duplicates; pass idempotency_key to make retries safe.",
      input: z.object({
        email: z.string().min(1).max(512).optional(),
        name: z.string().min(1).max(256).optional().describe("Full name or business name"),
        phone: z.string().min(1).max(20).optional(),
        description: z.string().max(350).optional().describe("Internal note shown in the Dashboard"),
        metadata: metadata.optional(),
        idempotency_key: idempotencyKey,
      }),
      annotations: { title: "Create customer", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const { idempotency_key, ...fields } = a;
        const res = await http.request<StripeCustomer>({ method: "POST", path: "/v1/customers", form: stripeForm(fields), headers: idempotencyHeader("stripe_create_customer", idempotency_key) });
        return customerOut(res.body);
      },
    }),
    defineTool({
      name: "stripe_update_customer",
      description: "Change a customer's email, name, phone, description or metadata. Only the given fields change; metadata keys merge (set a key to \"\" to remove it).",
      input: z.object({
        customer: id("cus", "customer"),
        email: z.string().min(1).max(512).optional(),
        name: z.string().min(1).max(256).optional(),
        phone: z.string().min(1).max(20).optional(),
        description: z.string().max(350).optional(),
        metadata: metadata.optional(),
        idempotency_key: idempotencyKey,
      }),
      annotations: { title: "Update customer", readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const { customer, idempotency_key, ...fields } = a;
        const res = await http.request<StripeCustomer>({ method: "POST", path: path("customers", customer), form: stripeForm(fields), headers: idempotencyHeader("stripe_update_customer", idempotency_key) });
        return customerOut(res.body);
      },
    }),
    defineTool({
      name: "stripe_list_payment_intents",
      description: "List payments (PaymentIntents), newest first, optionally for one customer. status shows succeeded, processing, requires_payment_method (failed or unpaid), canceled, …",
      input: z.object({ customer: id("cus", "customer").optional().describe("Only this customer's payments"), ...paging }),
      annotations: { title: "List payments", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<StripeList<StripePaymentIntent>>("/v1/payment_intents", stripeForm({ customer: a.customer, limit: a.limit, starting_after: a.starting_after }));
        return page(res.body, paymentIntentOut);
      },
    }),
    defineTool({
      name: "stripe_list_invoices",
      description: "List invoices, newest first, optionally for one customer and/or one status (draft, open = awaiting payment, paid, uncollectible, void).",
      input: z.object({
        customer: id("cus", "customer").optional(),
        status: z.enum(["draft", "open", "paid", "uncollectible", "void"]).optional(),
        ...paging,
      }),
      annotations: { title: "List invoices", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<StripeList<StripeInvoice>>("/v1/invoices", stripeForm({ customer: a.customer, status: a.status, limit: a.limit, starting_after: a.starting_after }));
        return page(res.body, invoiceOut);
      },
    }),
    defineTool({
      name: "stripe_create_refund",
      description:
        "Refund a payment, fully or partly. Give exactly one of payment_intent (pi_…) or charge (ch_…); omit amount to refund everything not yet refunded. Money goes back to the customer and cannot be undone — confirm with the user first.",
      input: z.object({
        payment_intent: id("pi", "PaymentIntent").optional().describe("The payment to refund (preferred)"),
        charge: id("ch", "charge").optional().describe("The charge to refund, instead of payment_intent"),
        amount: z.number().int().min(1).max(99_999_999).optional().describe("Smallest currency unit (cents); default: the whole remaining amount"),
        reason: z.enum(["duplicate", "fraudulent", "requested_by_customer"]).optional(),
        metadata: metadata.optional(),
        idempotency_key: idempotencyKey,
      }),
      annotations: { title: "Refund a payment", readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        if (a.payment_intent && a.charge) throw toolError("invalid_arguments", "Give either payment_intent or charge, not both.", { issues: [{ path: "charge", message: "not allowed together with payment_intent" }] });
        const { idempotency_key, ...fields } = a;
        const res = await http.request<StripeRefund>({ method: "POST", path: "/v1/refunds", form: stripeForm(fields), headers: idempotencyHeader("stripe_create_refund", idempotency_key) });
        const r = res.body;
        return {
          id: r.id,
          status: r.status,
          amount: r.amount,
          amount_formatted: formatAmount(r.amount, r.currency),
          currency: r.currency,
          payment_intent: r.payment_intent,
          charge: r.charge,
          reason: r.reason,
          metadata: r.metadata,
          created: iso(r.created),
        };
      },
    }),
    defineTool({
      name: "stripe_list_products",
      description: "List products with their default price (id, amount, billing interval), newest first. Use a price id with stripe_create_payment_link.",
      input: z.object({ active: z.boolean().default(true).describe("true: only products for sale; false: only archived ones"), ...paging }),
      annotations: { title: "List products", readOnlyHint: true, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const res = await http.get<StripeList<StripeProduct>>("/v1/products", stripeForm({ active: a.active, limit: a.limit, starting_after: a.starting_after, expand: ["data.default_price"] }));
        return page(res.body, (p) => ({
          id: p.id,
          name: p.name,
          description: p.description,
          active: p.active,
          default_price: p.default_price === null ? null : typeof p.default_price === "string" ? { id: p.default_price } : priceOut(p.default_price),
          metadata: p.metadata,
          created: iso(p.created),
          updated: iso(p.updated),
          dashboard_url: dashboard(p.livemode, `products/${p.id}`),
        }));
      },
    }),
    defineTool({
      name: "stripe_create_payment_link",
      description: "Create a shareable checkout link (https://buy.stripe.com/…) for one or more prices. Get price ids from stripe_list_products.",
      input: z.object({
        line_items: z
          .array(z.object({ price: id("price", "price"), quantity: z.number().int().min(1).max(999_999).default(1) }))
          .min(1)
          .max(20),
        redirect_url: z.url().max(2048).optional().describe("Send the buyer here after paying, instead of Stripe's confirmation page"),
        allow_promotion_codes: z.boolean().optional(),
        metadata: metadata.optional(),
        idempotency_key: idempotencyKey,
      }),
      annotations: { title: "Create payment link", readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      scopes: [],
      handler: async (a, { http }) => {
        const form = stripeForm({
          line_items: a.line_items,
          after_completion: a.redirect_url ? { type: "redirect", redirect: { url: a.redirect_url } } : undefined,
          allow_promotion_codes: a.allow_promotion_codes,
          metadata: a.metadata,
          expand: ["line_items"],
        });
        const l = (await http.request<StripePaymentLink>({ method: "POST", path: "/v1/payment_links", form, headers: idempotencyHeader("stripe_create_payment_link", a.idempotency_key) })).body;
        return {
          id: l.id,
          url: l.url,
          active: l.active,
          currency: l.currency,
          line_items: (l.line_items?.data ?? []).map((li) => ({
            price: li.price?.id ?? null,
            description: li.description,
            quantity: li.quantity,
            amount_total: li.amount_total,
            amount_total_formatted: formatAmount(li.amount_total, li.currency),
          })),
          metadata: l.metadata,
          livemode: l.livemode,
        };
      },
    }),
  ],
});
