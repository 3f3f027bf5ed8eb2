import { SandboxRouter, defaultAuthorize, json } from "@/lib/sandbox/router";
import type { SandboxBackend, SandboxOptions, SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

// Follows https://docs.stripe.com/api (API version 2024-06-20) for the endpoints the Stripe
// connector uses, plus a few retrieve endpoints next to them. Always test mode (livemode false).
// Where Stripe's exact wording of an error is not documented, the message is an approximation
// marked "approx." — the type, code and param follow the documented error object.

const DEFAULT_VERSION = "2024-06-20";

type Metadata = Record<string, string>;
type Params = Record<string, unknown>;
type Money = { amount: number; currency: string; source_types: { card: number } };

type Customer = {
  id: string;
  object: "customer";
  address: null;
  balance: number;
  created: number;
  currency: string | null;
  default_source: null;
  delinquent: boolean;
  description: string | null;
  discount: null;
  email: string | null;
  invoice_prefix: string;
  invoice_settings: { custom_fields: null; default_payment_method: string | null; footer: null; rendering_options: null };
  livemode: false;
  metadata: Metadata;
  name: string | null;
  next_invoice_sequence: number;
  phone: string | null;
  preferred_locales: string[];
  shipping: null;
  tax_exempt: "none" | "exempt" | "reverse";
  test_clock: null;
};
type Charge = { id: string; amount: number; amount_refunded: number; currency: string; customer: string | null; payment_intent: string; status: "succeeded" | "failed"; refunded: boolean };
type PaymentIntent = {
  id: string;
  object: "payment_intent";
  amount: number;
  amount_capturable: number;
  amount_received: number;
  application: null;
  application_fee_amount: null;
  automatic_payment_methods: { allow_redirects: "always"; enabled: boolean };
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: "automatic_async";
  client_secret: string;
  confirmation_method: "automatic";
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  invoice: string | null;
  last_payment_error: { code: string; decline_code?: string; message: string; type: "card_error" } | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Metadata;
  next_action: null;
  on_behalf_of: null;
  payment_method: string | null;
  payment_method_types: string[];
  receipt_email: string | null;
  setup_future_usage: null;
  shipping: null;
  statement_descriptor: null;
  status: "succeeded" | "requires_payment_method" | "canceled" | "processing";
};
type Recurring = { aggregate_usage: null; interval: "day" | "week" | "month" | "year"; interval_count: number; meter: null; trial_period_days: null; usage_type: "licensed" };
type Price = {
  id: string;
  object: "price";
  active: boolean;
  billing_scheme: "per_unit";
  created: number;
  currency: string;
  custom_unit_amount: null;
  livemode: false;
  lookup_key: string | null;
  metadata: Metadata;
  nickname: string | null;
  product: string;
  recurring: Recurring | null;
  tax_behavior: "unspecified";
  tiers_mode: null;
  transform_quantity: null;
  type: "one_time" | "recurring";
  unit_amount: number;
  unit_amount_decimal: string;
};
type Product = {
  id: string;
  object: "product";
  active: boolean;
  created: number;
  default_price: string | null;
  description: string | null;
  images: string[];
  livemode: false;
  marketing_features: { name: string }[];
  metadata: Metadata;
  name: string;
  package_dimensions: null;
  shippable: null;
  statement_descriptor: null;
  tax_code: null;
  type: "service";
  unit_label: null;
  updated: number;
  url: null;
};
type InvoiceLine = { id: string; description: string; amount: number; quantity: number; price: string | null; period: { start: number; end: number }; type: "subscription" | "invoiceitem" };
type Invoice = {
  id: string;
  object: "invoice";
  account_country: string;
  account_name: string;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  attempt_count: number;
  attempted: boolean;
  auto_advance: boolean;
  billing_reason: "manual" | "subscription_cycle";
  collection_method: "charge_automatically" | "send_invoice";
  created: number;
  currency: string;
  customer: string;
  customer_email: string | null;
  customer_name: string | null;
  description: string | null;
  due_date: number | null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  livemode: false;
  metadata: Metadata;
  number: string | null;
  paid: boolean;
  payment_intent: string | null;
  period_end: number;
  period_start: number;
  status: "draft" | "open" | "paid" | "uncollectible" | "void";
  status_transitions: { finalized_at: number | null; marked_uncollectible_at: number | null; paid_at: number | null; voided_at: number | null };
  subscription: null;
  subtotal: number;
  total: number;
  lines: InvoiceLine[];
};
type Refund = {
  id: string;
  object: "refund";
  amount: number;
  balance_transaction: string;
  charge: string;
  created: number;
  currency: string;
  metadata: Metadata;
  payment_intent: string | null;
  reason: string | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: "succeeded";
  transfer_reversal: null;
};
type PaymentLink = {
  id: string;
  object: "payment_link";
  active: boolean;
  after_completion: { type: "hosted_confirmation"; hosted_confirmation: { custom_message: string | null } } | { type: "redirect"; redirect: { url: string } };
  allow_promotion_codes: boolean;
  application: null;
  application_fee_amount: null;
  application_fee_percent: null;
  automatic_tax: { enabled: boolean; liability: null };
  billing_address_collection: "auto" | "required";
  currency: string;
  customer_creation: "if_required" | "always";
  inactive_message: null;
  livemode: false;
  metadata: Metadata;
  on_behalf_of: null;
  payment_method_collection: "always";
  payment_method_types: null;
  phone_number_collection: { enabled: boolean };
  shipping_address_collection: null;
  submit_type: "auto";
  subscription_data: null;
  url: string;
};
type LinkItem = { id: string; price: string; quantity: number };

// ---- Errors (https://docs.stripe.com/api/errors) -----------------------------------------------

class Fail extends Error {
  constructor(readonly res: SandboxResponse) {
    super("stripe sandbox error");
  }
}
type ErrorExtra = { code?: string; param?: string; decline_code?: string };
const stripeError = (status: number, type: string, message: string, extra: ErrorExtra = {}): SandboxResponse =>
  json(status, {
    error: {
      ...(extra.code ? { code: extra.code, doc_url: `https://stripe.com/docs/error-codes/${extra.code.replace(/_/g, "-")}` } : {}),
      ...(extra.decline_code ? { decline_code: extra.decline_code } : {}),
      message,
      ...(extra.param ? { param: extra.param } : {}),
      type,
    },
  });
const invalid = (message: string, extra: ErrorExtra = {}) => new Fail(stripeError(400, "invalid_request_error", message, extra));
const missingParam = (param: string) => invalid(`Missing required param: ${param}.`, { code: "parameter_missing", param });
/** `No such customer: 'cus_x'` — 404 when the id is in the URL, 400 when it is a parameter. */
const noSuch = (kind: string, id: string, param: string, status: 400 | 404) => new Fail(stripeError(status, "invalid_request_error", `No such ${kind}: '${id}'`, { code: "resource_missing", param }));

// ---- Parameters: bracket notation back into nested objects ------------------------------------

const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** `metadata[plan]=pro&line_items[0][price]=p&expand[]=x` → `{ metadata: { plan }, line_items: [{ price }], expand: ["x"] }`. */
export function decodeStripeParams(entries: Iterable<[string, string]>): Params {
  const root: Params = {};
  for (const [rawKey, value] of entries) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    const parts = m ? [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)] : [rawKey];
    if (parts.some((p) => UNSAFE_KEYS.has(p))) continue;
    let node: Record<string, unknown> | unknown[] = root;
    parts.forEach((key, i) => {
      const last = i === parts.length - 1;
      const container = () => (parts[i + 1] === "" || /^\d+$/.test(parts[i + 1]!) ? [] : {});
      if (Array.isArray(node)) {
        const idx = key === "" ? node.length : Number(key);
        if (!Number.isInteger(idx) || idx > 10_000) return;
        if (last) node[idx] = value;
        else {
          if (typeof node[idx] !== "object" || node[idx] === null) node[idx] = container();
          node = node[idx] as Record<string, unknown> | unknown[];
        }
      } else if (last) node[key] = value;
      else {
        if (typeof node[key] !== "object" || node[key] === null) node[key] = container();
        node = node[key] as Record<string, unknown> | unknown[];
      }
    });
  }
  return compact(root) as Params;
}
const compact = (v: unknown): unknown =>
  Array.isArray(v) ? v.filter((x) => x !== undefined).map(compact) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)])) : v;

/** JSON bodies (lenient: Stripe itself only reads form bodies) are flattened to the same entries. */
function flatten(value: unknown, key: string, out: [string, string][]) {
  if (value === undefined) return;
  if (value === null) out.push([key, ""]);
  else if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${key}[${i}]`, out));
  else if (typeof value === "object") for (const [k, v] of Object.entries(value)) flatten(v, key ? `${key}[${k}]` : k, out);
  else out.push([key, String(value)]);
}

function requestParams(req: SandboxRequest): { params: Params; entries: [string, string][] } {
  const entries: [string, string][] = [...req.query.entries()];
  if (req.body && typeof req.body === "object") flatten(req.body, "", entries);
  return { params: decodeStripeParams(entries), entries };
}

function allowOnly(p: Params, allowed: string[]) {
  for (const k of Object.keys(p)) if (!allowed.includes(k)) throw invalid(`Received unknown parameter: ${k}`, { code: "parameter_unknown", param: k });
}
function str(p: Params, key: string, param = key): string | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalid(`Invalid string: ${JSON.stringify(v)}`, { code: "parameter_invalid_string", param });
  return v;
}
/** A string param where "" unsets the field (returns null). */
const nullableStr = (p: Params, key: string) => {
  const v = str(p, key);
  return v === undefined ? undefined : v === "" ? null : v;
};
function int(p: Params, key: string, param = key, min = 1, max = 99_999_999): number | undefined {
  const v = str(p, key, param);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw invalid(`Invalid integer: ${v}`, { code: "parameter_invalid_integer", param });
  const n = Number(v);
  if (n < min) throw invalid(`This value must be greater than or equal to ${min}.`, { param });
  if (n > max) throw invalid(`This value must be less than or equal to ${max}.`, { param });
  return n;
}
function bool(p: Params, key: string): boolean | undefined {
  const v = str(p, key);
  if (v === undefined) return undefined;
  if (v !== "true" && v !== "false") throw invalid(`Invalid boolean: ${v}`, { param: key });
  return v === "true";
}
function oneOf<T extends string>(p: Params, key: string, values: readonly T[]): T | undefined {
  const v = str(p, key);
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) {
    const list = values.length > 1 ? `${values.slice(0, -1).join(", ")}, or ${values[values.length - 1]}` : values[0];
    throw invalid(`Invalid ${key}: must be one of ${list}`, { param: key });
  }
  return v as T;
}
function expansions(p: Params, allowed: string[]): Set<string> {
  const v = p.expand;
  if (v === undefined) return new Set();
  const list = Array.isArray(v) ? v : [v];
  for (const e of list) {
    if (typeof e !== "string") throw invalid("Invalid array", { param: "expand" });
    if (!allowed.includes(e)) throw invalid(`This property cannot be expanded (${e}).`, { param: "expand" });
  }
  return new Set(list as string[]);
}
/** Stripe's metadata rules: ≤ 50 keys, keys ≤ 40 chars, values ≤ 500 chars; "" removes a key (or all, for `metadata=`). */
function mergeMetadata(p: Params, current: Metadata): Metadata {
  const v = p.metadata;
  if (v === undefined) return current;
  if (v === "") return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid("Invalid hash", { param: "metadata" });
  const next = { ...current };
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string") throw invalid(`Invalid string: ${JSON.stringify(val)}`, { param: `metadata[${k}]` });
    if (k.length > 40) throw invalid(`Metadata keys can have up to 40 characters; the key \`${k}\` has ${k.length}.`, { param: `metadata[${k}]` }); // approx.
    if (val.length > 500) throw invalid(`Metadata values can have up to 500 characters, but the value for \`${k}\` has ${val.length}.`, { param: `metadata[${k}]` }); // approx.
    if (val === "") delete next[k];
    else next[k] = val;
  }
  if (Object.keys(next).length > 50) throw invalid("You can have at most 50 metadata keys.", { param: "metadata" }); // approx.
  return next;
}
function createdFilter(p: Params): (created: number) => boolean {
  const v = p.created;
  if (v === undefined) return () => true;
  if (typeof v === "string") {
    const n = int(p, "created", "created", 0, Number.MAX_SAFE_INTEGER)!;
    return (c) => c === n;
  }
  const ops = v as Record<string, unknown>;
  const bound = (k: string) => int(ops as Params, k, `created[${k}]`, 0, Number.MAX_SAFE_INTEGER);
  const [gt, gte, lt, lte] = [bound("gt"), bound("gte"), bound("lt"), bound("lte")];
  return (c) => (gt === undefined || c > gt) && (gte === undefined || c >= gte) && (lt === undefined || c < lt) && (lte === undefined || c <= lte);
}

/** Stripe's cursor pagination over objects newest first; the cursor is an object id. */
function paginate<T extends { id: string; created: number }>(p: Params, all: T[], keep: (t: T) => boolean, url: string, kind: string) {
  const limit = int(p, "limit", "limit", 1, 100) ?? 10;
  const after = str(p, "starting_after");
  const before = str(p, "ending_before");
  if (after && before) throw invalid("You may only specify one of these parameters: ending_before, starting_after.", { param: "ending_before" }); // approx.
  const created = createdFilter(p);
  const ordered = newestFirst(all);
  const cursor = after ?? before;
  const at = cursor ? ordered.findIndex((o) => o.id === cursor) : -1;
  if (cursor && at < 0) throw noSuch(kind, cursor, after ? "starting_after" : "ending_before", 400);
  const pick = (xs: T[]) => xs.filter((x) => keep(x) && created(x.created));
  let data: T[];
  let has_more: boolean;
  if (before) {
    const newer = pick(ordered.slice(0, at));
    data = newer.slice(Math.max(0, newer.length - limit));
    has_more = newer.length > limit;
  } else {
    const rest = pick(after ? ordered.slice(at + 1) : ordered);
    data = rest.slice(0, limit);
    has_more = rest.length > limit;
  }
  return { object: "list" as const, data, has_more, url };
}
const newestFirst = <T extends { created: number }>(xs: T[]) =>
  xs
    .map((x, i) => [x, i] as const)
    .sort((a, b) => b[0].created - a[0].created || b[1] - a[1])
    .map(([x]) => x);

// ---- Seed -----------------------------------------------------------------------------------

const day = (iso: string) => Math.floor(Date.parse(`${iso}T10:00:00Z`) / 1000);
const ACCOUNT_NAME = "Latchkey Demo Inc.";

function seed() {
  const customer = (id: string, name: string, email: string, created: string, extra: Partial<Customer> = {}): Customer => ({
    id,
    object: "customer",
    address: null,
    balance: 0,
    created: day(created),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email,
    invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: {},
    name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
    ...extra,
  });
  const customers: Customer[] = [
    customer("cus_PmA7kQ2xR9vLc1", "Maya Patel", "maya.patel@example.com", "2025-11-03", { phone: "+14155550123", currency: "usd", description: "Pro plan since November 2025", metadata: { plan: "pro" }, next_invoice_sequence: 3 }),
    customer("cus_PmB8lR3yS0wMd2", "Jonas Weber", "jonas@weber-design.example", "2025-11-20", { currency: "eur", metadata: { plan: "starter" }, preferred_locales: ["de"], next_invoice_sequence: 2 }),
    customer("cus_PmC9mS4zT1xNe3", "Acme Robotics Ltd.", "billing@acme-robotics.example", "2025-12-02", { currency: "usd", description: "Team license, invoiced annually", metadata: { plan: "team", account_manager: "lena" }, next_invoice_sequence: 3 }),
    customer("cus_PmD0nT5aU2yOf4", "Lucía Fernández", "lucia.fernandez@example.com", "2026-01-14", { currency: "usd", preferred_locales: ["es"] }),
    customer("cus_PmE1oU6bV3zPg5", "Tomás Novak", "tomas.novak@example.com", "2026-02-09", { currency: "usd", balance: -500, description: "Trial extended; $5 goodwill credit", delinquent: true, next_invoice_sequence: 2 }),
  ];
  // A customer deleted through the API: retrievable as a stub, never listed.
  const deletedCustomers = new Set(["cus_PmF2pV7cW4aQh6"]);

  const charges: Charge[] = [];
  const paymentIntents: PaymentIntent[] = [];
  const pi = (suffix: string, cus: string, amount: number, currency: string, description: string, created: string, status: PaymentIntent["status"] = "succeeded", invoice: string | null = null) => {
    const id = `pi_3Pm${suffix}`;
    const chargeId = `ch_3Pm${suffix}`;
    const ok = status === "succeeded";
    charges.push({ id: chargeId, amount, amount_refunded: 0, currency, customer: cus, payment_intent: id, status: ok ? "succeeded" : "failed", refunded: false });
    paymentIntents.push({
      id,
      object: "payment_intent",
      amount,
      amount_capturable: 0,
      amount_received: ok ? amount : 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: { allow_redirects: "always", enabled: true },
      canceled_at: null,
      cancellation_reason: null,
      capture_method: "automatic_async",
      client_secret: `${id}_secret_Sbx${suffix.slice(0, 8)}`,
      confirmation_method: "automatic",
      created: day(created),
      currency,
      customer: cus,
      description,
      invoice,
      last_payment_error: ok ? null : { code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds.", type: "card_error" },
      latest_charge: chargeId,
      livemode: false,
      metadata: {},
      next_action: null,
      on_behalf_of: null,
      payment_method: `pm_1Pm${suffix.slice(0, 12)}`,
      payment_method_types: ["card"],
      receipt_email: customers.find((c) => c.id === cus)?.email ?? null,
      setup_future_usage: null,
      shipping: null,
      statement_descriptor: null,
      status,
    });
  };
  pi("Aa1LkQx9Rt0MqZ1", "cus_PmA7kQ2xR9vLc1", 4900, "usd", "Pro plan — January 2026", "2026-01-03", "succeeded", "in_1PmAa1MayaJan26");
  pi("Bb2LkQx9Rt0MqZ2", "cus_PmC9mS4zT1xNe3", 129900, "usd", "Team license — 2026", "2026-01-10", "succeeded", "in_1PmBb2AcmeAnn26");
  pi("Cc3LkQx9Rt0MqZ3", "cus_PmA7kQ2xR9vLc1", 4900, "usd", "Pro plan — February 2026", "2026-02-03", "succeeded", "in_1PmCc3MayaFeb26");
  pi("Dd4LkQx9Rt0MqZ4", "cus_PmB8lR3yS0wMd2", 1900, "eur", "Starter plan — February 2026", "2026-02-12", "succeeded", "in_1PmDd4JonaFeb26");
  pi("Ee5LkQx9Rt0MqZ5", "cus_PmD0nT5aU2yOf4", 50000, "usd", "Onboarding workshop", "2026-02-20");
  pi("Ff6LkQx9Rt0MqZ6", "cus_PmE1oU6bV3zPg5", 4900, "usd", "Pro plan — March 2026", "2026-03-02", "requires_payment_method", "in_1PmEe5TomaMar26");

  const t = day("2026-01-01");
  const price = (id: string, product: string, unit_amount: number, currency: string, interval: Recurring["interval"] | null, extra: Partial<Price> = {}): Price => ({
    id,
    object: "price",
    active: true,
    billing_scheme: "per_unit",
    created: t,
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product,
    recurring: interval ? { aggregate_usage: null, interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: "licensed" } : null,
    tax_behavior: "unspecified",
    tiers_mode: null,
    transform_quantity: null,
    type: interval ? "recurring" : "one_time",
    unit_amount,
    unit_amount_decimal: String(unit_amount),
    ...extra,
  });
  const prices: Price[] = [
    price("price_1PmStarterMonthly", "prod_PmStarter0001", 1900, "usd", "month", { lookup_key: "starter_monthly" }),
    price("price_1PmStarterMonthlyEur", "prod_PmStarter0001", 1900, "eur", "month", { nickname: "Starter (EUR)" }),
    price("price_1PmProMonthly", "prod_PmPro000000002", 4900, "usd", "month", { lookup_key: "pro_monthly" }),
    price("price_1PmProYearly", "prod_PmPro000000002", 49000, "usd", "year", { lookup_key: "pro_yearly", nickname: "Pro (annual)" }),
    price("price_1PmTeamYearly", "prod_PmTeam00000003", 129900, "usd", "year"),
    price("price_1PmTeamSeat", "prod_PmTeam00000003", 12990, "usd", null, { nickname: "Additional seat" }),
    price("price_1PmWorkshop", "prod_PmWorkshop0004", 50000, "usd", null),
    price("price_1PmLegacyMonthly", "prod_PmLegacy000005", 2900, "usd", "month", { active: false }),
  ];
  const product = (id: string, name: string, description: string, created: string, default_price: string, active = true): Product => ({
    id,
    object: "product",
    active,
    created: day(created),
    default_price,
    description,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: "service",
    unit_label: null,
    updated: day(created),
    url: null,
  });
  const products: Product[] = [
    product("prod_PmLegacy000005", "Legacy plan", "Retired 2024 plan, kept for existing subscribers", "2025-06-01", "price_1PmLegacyMonthly", false),
    product("prod_PmStarter0001", "Starter", "For individuals: 3 projects, email support", "2025-10-01", "price_1PmStarterMonthly"),
    product("prod_PmPro000000002", "Pro", "Unlimited projects, priority support", "2025-10-02", "price_1PmProMonthly"),
    product("prod_PmTeam00000003", "Team license", "Annual license for up to 10 seats", "2025-10-03", "price_1PmTeamYearly"),
    product("prod_PmWorkshop0004", "Onboarding workshop", "Half-day remote workshop with a solutions engineer", "2025-10-04", "price_1PmWorkshop"),
  ];

  const invoice = (id: string, cus: Customer, seq: number | null, status: Invoice["status"], created: string, lines: Omit<InvoiceLine, "id">[], extra: Partial<Invoice> = {}): Invoice => {
    const total = lines.reduce((s, l) => s + l.amount, 0);
    const paid = status === "paid";
    const finalized = status !== "draft";
    const c = day(created);
    return {
      id,
      object: "invoice",
      account_country: "US",
      account_name: ACCOUNT_NAME,
      amount_due: total,
      amount_paid: paid ? total : 0,
      amount_remaining: paid || status === "void" ? 0 : total,
      attempt_count: paid ? 1 : 0,
      attempted: paid,
      auto_advance: status === "draft" || status === "open",
      billing_reason: "manual",
      collection_method: "charge_automatically",
      created: c,
      currency: cus.currency ?? "usd",
      customer: cus.id,
      customer_email: cus.email,
      customer_name: cus.name,
      description: null,
      due_date: null,
      hosted_invoice_url: finalized ? `https://invoice.stripe.com/i/acct_1PmSandbox0001/test_${id.slice(3)}` : null,
      invoice_pdf: finalized ? `https://pay.stripe.com/invoice/acct_1PmSandbox0001/test_${id.slice(3)}/pdf` : null,
      livemode: false,
      metadata: {},
      number: finalized && seq !== null ? `${cus.invoice_prefix}-${String(seq).padStart(4, "0")}` : null,
      paid,
      payment_intent: null,
      period_end: c,
      period_start: c,
      status,
      status_transitions: { finalized_at: finalized ? c : null, marked_uncollectible_at: null, paid_at: paid ? c : null, voided_at: null },
      subscription: null,
      subtotal: total,
      total,
      lines: lines.map((l, i) => ({ ...l, id: `il_1Pm${id.slice(6, 14)}${i}` })),
      ...extra,
    };
  };
  const [maya, jonas, acme, lucia, tomas] = customers as [Customer, Customer, Customer, Customer, Customer];
  const month = (start: string, end: string) => ({ start: day(start), end: day(end) });
  const invoices: Invoice[] = [
    invoice("in_1PmAa1MayaJan26", maya, 1, "paid", "2026-01-03", [{ description: "1 × Pro (at $49.00 / month)", amount: 4900, quantity: 1, price: "price_1PmProMonthly", period: month("2026-01-03", "2026-02-03"), type: "subscription" }], { billing_reason: "subscription_cycle", payment_intent: "pi_3PmAa1LkQx9Rt0MqZ1" }),
    invoice("in_1PmBb2AcmeAnn26", acme, 1, "paid", "2026-01-10", [{ description: "1 × Team license (at $1,299.00 / year)", amount: 129900, quantity: 1, price: "price_1PmTeamYearly", period: month("2026-01-10", "2027-01-10"), type: "subscription" }], { collection_method: "send_invoice", payment_intent: "pi_3PmBb2LkQx9Rt0MqZ2" }),
    invoice("in_1PmCc3MayaFeb26", maya, 2, "paid", "2026-02-03", [{ description: "1 × Pro (at $49.00 / month)", amount: 4900, quantity: 1, price: "price_1PmProMonthly", period: month("2026-02-03", "2026-03-03"), type: "subscription" }], { billing_reason: "subscription_cycle", payment_intent: "pi_3PmCc3LkQx9Rt0MqZ3" }),
    invoice("in_1PmDd4JonaFeb26", jonas, 1, "paid", "2026-02-12", [{ description: "1 × Starter (at €19.00 / month)", amount: 1900, quantity: 1, price: "price_1PmStarterMonthlyEur", period: month("2026-02-12", "2026-03-12"), type: "subscription" }], { billing_reason: "subscription_cycle", payment_intent: "pi_3PmDd4LkQx9Rt0MqZ4" }),
    invoice("in_1PmFf6AcmeSeat26", acme, 2, "open", "2026-02-25", [{ description: "Additional seat", amount: 38970, quantity: 3, price: "price_1PmTeamSeat", period: month("2026-02-25", "2026-02-25"), type: "invoiceitem" }], { collection_method: "send_invoice", due_date: day("2026-03-27"), description: "3 additional seats, prorated to January 2027" }),
    invoice("in_1PmEe5TomaMar26", tomas, 1, "open", "2026-03-02", [{ description: "1 × Pro (at $49.00 / month)", amount: 4900, quantity: 1, price: "price_1PmProMonthly", period: month("2026-03-02", "2026-04-02"), type: "subscription" }], { billing_reason: "subscription_cycle", attempted: true, attempt_count: 2, payment_intent: "pi_3PmFf6LkQx9Rt0MqZ6" }),
    invoice("in_1PmGg7LuciDraft", lucia, null, "draft", "2026-03-05", [{ description: "Custom integration consulting (4 h)", amount: 60000, quantity: 4, price: null, period: month("2026-03-05", "2026-03-05"), type: "invoiceitem" }], { collection_method: "send_invoice", description: "Consulting — March 2026" }),
  ];

  const balance = {
    available: [
      { amount: 1843250, currency: "usd", source_types: { card: 1843250 } },
      { amount: 1727, currency: "eur", source_types: { card: 1727 } },
    ] as Money[],
    pending: [
      { amount: 48320, currency: "usd", source_types: { card: 48320 } },
      { amount: 0, currency: "eur", source_types: { card: 0 } },
    ] as Money[],
  };

  return {
    customers,
    deletedCustomers,
    charges,
    paymentIntents,
    prices,
    products,
    invoices,
    balance,
    refunds: [] as Refund[],
    paymentLinks: [] as PaymentLink[],
    linkItems: new Map<string, LinkItem[]>(),
    idempotency: new Map<string, { fingerprint: string; response: SandboxResponse; requestId: string }>(),
    seq: 1,
    requests: 0,
  };
}

// ---- Backend --------------------------------------------------------------------------------

const CURRENCY_SYMBOL: Record<string, string> = { usd: "$", eur: "€", gbp: "£" };
const money = (amount: number, currency: string) => `${CURRENCY_SYMBOL[currency] ?? ""}${(amount / 100).toFixed(2)}${CURRENCY_SYMBOL[currency] ? "" : ` ${currency.toUpperCase()}`}`;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function maskKey(key: string) {
  const prefix = /^((?:sk|rk|pk)_(?:test|live)_)/.exec(key)?.[1] ?? "";
  const rest = key.slice(prefix.length);
  return `${prefix}${"*".repeat(Math.max(0, rest.length - 4))}${rest.slice(-4)}`;
}

/** Stripe takes the secret key as a bearer token or as the Basic-auth user name (`curl -u sk_test_…:`). */
function apiKey(req: SandboxRequest): string | null {
  const h = req.headers.authorization ?? "";
  const b = /^Bearer\s+(\S+)$/i.exec(h);
  if (b) return b[1]!;
  const basic = /^Basic\s+(\S+)$/i.exec(h);
  if (basic) return Buffer.from(basic[1]!, "base64").toString("utf8").split(":")[0] || null;
  return null;
}

export function createStripeSandbox(opts: SandboxOptions = {}): SandboxBackend {
  let state = seed();
  const authorize = opts.authorize ?? defaultAuthorize;
  const now = () => Math.floor(Date.now() / 1000);
  const newId = (prefix: string) => `${prefix}_Sbx${String(state.seq++).padStart(11, "0")}`;

  const customerOf = (id: string) => state.customers.find((c) => c.id === id);
  const priceOf = (id: string) => state.prices.find((p) => p.id === id);
  const invoiceOut = ({ lines, ...inv }: Invoice) => ({
    ...inv,
    lines: {
      object: "list",
      data: lines.map((l) => ({
        id: l.id,
        object: "line_item",
        amount: l.amount,
        currency: inv.currency,
        description: l.description,
        discountable: true,
        invoice: inv.id,
        livemode: false,
        metadata: {},
        period: l.period,
        price: l.price ? (priceOf(l.price) ?? null) : null,
        proration: false,
        quantity: l.quantity,
        type: l.type,
      })),
      has_more: false,
      total_count: lines.length,
      url: `/v1/invoices/${inv.id}/lines`,
    },
  });
  const linkItemsOut = (link: PaymentLink) => {
    const items = state.linkItems.get(link.id) ?? [];
    return {
      object: "list",
      data: items.map((it) => {
        const price = priceOf(it.price)!;
        const total = price.unit_amount * it.quantity;
        return {
          id: it.id,
          object: "item",
          amount_discount: 0,
          amount_subtotal: total,
          amount_tax: 0,
          amount_total: total,
          currency: price.currency,
          description: state.products.find((p) => p.id === price.product)?.name ?? "",
          price,
          quantity: it.quantity,
        };
      }),
      has_more: false,
      url: `/v1/payment_links/${link.id}/line_items`,
    };
  };
  const linkOut = (link: PaymentLink, expand: Set<string>) => (expand.has("line_items") ? { ...link, line_items: linkItemsOut(link) } : link);
  const productOut = (p: Product, expandPrice: boolean) => (expandPrice && p.default_price ? { ...p, default_price: priceOf(p.default_price) ?? p.default_price } : p);

  const customerFields = (p: Params, c: Customer) => {
    const email = nullableStr(p, "email");
    if (email && (email.length > 512 || !EMAIL.test(email))) throw invalid(`Invalid email address: ${email}`, { code: "email_invalid", param: "email" });
    const name = nullableStr(p, "name");
    const phone = nullableStr(p, "phone");
    const description = nullableStr(p, "description");
    if (name !== undefined && name !== null && name.length > 256) throw invalid("Invalid string: name must be at most 256 characters", { param: "name" }); // approx.
    const metadata = mergeMetadata(p, c.metadata);
    const balance = p.balance === undefined ? undefined : int(p, "balance", "balance", -99_999_999, 99_999_999);
    const tax_exempt = oneOf(p, "tax_exempt", ["none", "exempt", "reverse"] as const);
    if (email !== undefined) c.email = email;
    if (name !== undefined) c.name = name;
    if (phone !== undefined) c.phone = phone;
    if (description !== undefined) c.description = description;
    if (balance !== undefined) c.balance = balance;
    if (tax_exempt) c.tax_exempt = tax_exempt;
    c.metadata = metadata;
    return c;
  };
  // Documented parameters we accept; those not modelled here are accepted and ignored.
  const CUSTOMER_WRITE = ["address", "balance", "cash_balance", "coupon", "description", "email", "expand", "invoice_prefix", "invoice_settings", "metadata", "name", "next_invoice_sequence", "phone", "preferred_locales", "promotion_code", "shipping", "source", "tax", "tax_exempt"];

  const router = new SandboxRouter()
    .on("GET", "/v1/balance", (req) => {
      allowOnly(requestParams(req).params, ["expand"]);
      return json(200, { object: "balance", available: state.balance.available, livemode: false, pending: state.balance.pending });
    })
    .on("GET", "/v1/customers", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["created", "email", "ending_before", "expand", "limit", "starting_after", "test_clock"]);
      expansions(p, []);
      const email = str(p, "email");
      if (email !== undefined && email.length > 512) throw invalid("Invalid string: email must be at most 512 characters", { param: "email" }); // approx.
      return json(200, paginate(p, state.customers, (c) => email === undefined || c.email === email, "/v1/customers", "customer"));
    })
    .on("POST", "/v1/customers", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, [...CUSTOMER_WRITE, "payment_method", "tax_id_data", "test_clock"]);
      expansions(p, []);
      const id = newId("cus");
      const c = customerFields(p, {
        id,
        object: "customer",
        address: null,
        balance: 0,
        created: now(),
        currency: null,
        default_source: null,
        delinquent: false,
        description: null,
        discount: null,
        email: null,
        invoice_prefix: id.slice(-8).toUpperCase(),
        invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
        livemode: false,
        metadata: {},
        name: null,
        next_invoice_sequence: 1,
        phone: null,
        preferred_locales: [],
        shipping: null,
        tax_exempt: "none",
        test_clock: null,
      });
      state.customers.push(c);
      return json(200, c);
    })
    .on("GET", "/v1/customers/:id", (req, { id }) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["expand"]);
      expansions(p, []);
      if (state.deletedCustomers.has(id!)) return json(200, { id, object: "customer", deleted: true });
      const c = customerOf(id!);
      if (!c) throw noSuch("customer", id!, "id", 404);
      return json(200, c);
    })
    .on("POST", "/v1/customers/:id", (req, { id }) => {
      const c = customerOf(id!);
      if (!c) throw noSuch("customer", id!, "id", 404);
      const { params: p } = requestParams(req);
      allowOnly(p, [...CUSTOMER_WRITE, "default_source"]);
      expansions(p, []);
      // Validate everything before changing anything: work on a copy.
      const next = customerFields(p, { ...c, metadata: { ...c.metadata } });
      Object.assign(c, next);
      return json(200, c);
    })
    .on("GET", "/v1/payment_intents", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["created", "customer", "ending_before", "expand", "limit", "starting_after"]);
      expansions(p, []);
      // Unknown customer ids give an empty list here (Stripe's exact behaviour for this filter is not documented).
      const customer = str(p, "customer");
      return json(200, paginate(p, state.paymentIntents, (x) => !customer || x.customer === customer, "/v1/payment_intents", "payment_intent"));
    })
    .on("GET", "/v1/payment_intents/:id", (req, { id }) => {
      allowOnly(requestParams(req).params, ["client_secret", "expand"]);
      const x = state.paymentIntents.find((i) => i.id === id);
      if (!x) throw noSuch("payment_intent", id!, "intent", 404);
      return json(200, x);
    })
    .on("GET", "/v1/invoices", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["collection_method", "created", "customer", "due_date", "ending_before", "expand", "limit", "starting_after", "status", "subscription"]);
      expansions(p, []);
      const customer = str(p, "customer");
      const status = oneOf(p, "status", ["draft", "open", "paid", "uncollectible", "void"] as const);
      const method = oneOf(p, "collection_method", ["charge_automatically", "send_invoice"] as const);
      const list = paginate(p, state.invoices, (i) => (!customer || i.customer === customer) && (!status || i.status === status) && (!method || i.collection_method === method), "/v1/invoices", "invoice");
      return json(200, { ...list, data: list.data.map(invoiceOut) });
    })
    .on("GET", "/v1/invoices/:id", (req, { id }) => {
      allowOnly(requestParams(req).params, ["expand"]);
      const inv = state.invoices.find((i) => i.id === id);
      if (!inv) throw noSuch("invoice", id!, "invoice", 404);
      return json(200, invoiceOut(inv));
    })
    .on("POST", "/v1/refunds", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["amount", "charge", "currency", "customer", "expand", "instructions_email", "metadata", "origin", "payment_intent", "reason", "refund_application_fee", "reverse_transfer"]);
      expansions(p, []);
      const piId = str(p, "payment_intent");
      const chId = str(p, "charge");
      if (!piId && !chId) throw missingParam("charge");
      const amount = int(p, "amount");
      const reason = oneOf(p, "reason", ["duplicate", "fraudulent", "requested_by_customer"] as const);
      const metadata = mergeMetadata(p, {});
      let intent: PaymentIntent | undefined;
      if (piId) {
        intent = state.paymentIntents.find((x) => x.id === piId);
        if (!intent) throw noSuch("payment_intent", piId, "payment_intent", 400);
      }
      let charge: Charge | undefined;
      if (chId) {
        charge = state.charges.find((c) => c.id === chId);
        if (!charge) throw noSuch("charge", chId, "charge", 400);
        if (intent && charge.payment_intent !== intent.id) throw invalid(`The charge ${chId} does not belong to the PaymentIntent ${intent.id}.`, { param: "charge" }); // approx.
      } else if (intent) {
        charge = intent.status === "succeeded" ? state.charges.find((c) => c.id === intent!.latest_charge) : undefined;
        if (!charge) throw invalid(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, { param: "payment_intent" }); // approx.
      }
      if (!charge) throw missingParam("charge");
      if (charge.status !== "succeeded") throw invalid(`Charge ${charge.id} has not succeeded, so it cannot be refunded.`, { param: "charge" }); // approx.
      if (charge.refunded) throw invalid(`Charge ${charge.id} has already been refunded.`, { code: "charge_already_refunded" });
      const remaining = charge.amount - charge.amount_refunded;
      const value = amount ?? remaining;
      if (value > remaining) {
        const what = charge.amount_refunded ? `unrefunded amount on charge (${money(remaining, charge.currency)})` : `charge amount (${money(charge.amount, charge.currency)})`;
        throw invalid(`Refund amount (${money(value, charge.currency)}) is greater than ${what}`, { code: "amount_too_large", param: "amount" });
      }
      charge.amount_refunded += value;
      charge.refunded = charge.amount_refunded === charge.amount;
      const bal = state.balance.available.find((b) => b.currency === charge!.currency);
      if (bal) {
        bal.amount -= value;
        bal.source_types.card -= value;
      }
      const refund: Refund = {
        id: newId("re"),
        object: "refund",
        amount: value,
        balance_transaction: newId("txn"),
        charge: charge.id,
        created: now(),
        currency: charge.currency,
        metadata,
        payment_intent: charge.payment_intent,
        reason: reason ?? null,
        receipt_number: null,
        source_transfer_reversal: null,
        status: "succeeded",
        transfer_reversal: null,
      };
      state.refunds.push(refund);
      return json(200, refund);
    })
    .on("GET", "/v1/refunds", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["charge", "created", "ending_before", "expand", "limit", "payment_intent", "starting_after"]);
      const charge = str(p, "charge");
      const intent = str(p, "payment_intent");
      return json(200, paginate(p, state.refunds, (r) => (!charge || r.charge === charge) && (!intent || r.payment_intent === intent), "/v1/refunds", "refund"));
    })
    .on("GET", "/v1/refunds/:id", (req, { id }) => {
      allowOnly(requestParams(req).params, ["expand"]);
      const r = state.refunds.find((x) => x.id === id);
      if (!r) throw noSuch("refund", id!, "id", 404);
      return json(200, r);
    })
    .on("GET", "/v1/products", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["active", "created", "ending_before", "expand", "ids", "limit", "shippable", "starting_after", "url"]);
      const expand = expansions(p, ["data.default_price"]);
      const active = bool(p, "active");
      const ids = p.ids === undefined ? null : ([] as unknown[]).concat(p.ids);
      const list = paginate(p, state.products, (x) => (active === undefined || x.active === active) && (!ids || ids.includes(x.id)), "/v1/products", "product");
      return json(200, { ...list, data: list.data.map((x) => productOut(x, expand.has("data.default_price"))) });
    })
    .on("GET", "/v1/products/:id", (req, { id }) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["expand"]);
      const expand = expansions(p, ["default_price"]);
      const x = state.products.find((pr) => pr.id === id);
      if (!x) throw noSuch("product", id!, "id", 404);
      return json(200, productOut(x, expand.has("default_price")));
    })
    .on("GET", "/v1/prices", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["active", "created", "currency", "ending_before", "expand", "limit", "lookup_keys", "product", "recurring", "starting_after", "type"]);
      expansions(p, []);
      const active = bool(p, "active");
      const product = str(p, "product");
      const currency = str(p, "currency");
      const type = oneOf(p, "type", ["one_time", "recurring"] as const);
      return json(
        200,
        paginate(p, state.prices, (x) => (active === undefined || x.active === active) && (!product || x.product === product) && (!currency || x.currency === currency) && (!type || x.type === type), "/v1/prices", "price"),
      );
    })
    .on("POST", "/v1/payment_links", (req) => {
      const { params: p } = requestParams(req);
      allowOnly(p, [
        "after_completion", "allow_promotion_codes", "application_fee_amount", "application_fee_percent", "automatic_tax", "billing_address_collection", "consent_collection",
        "currency", "custom_fields", "custom_text", "customer_creation", "expand", "inactive_message", "invoice_creation", "line_items", "metadata", "on_behalf_of",
        "payment_intent_data", "payment_method_collection", "payment_method_types", "phone_number_collection", "restrictions", "shipping_address_collection",
        "shipping_options", "submit_type", "subscription_data", "tax_id_collection", "transfer_data",
      ]);
      const expand = expansions(p, ["line_items"]);
      const raw = p.line_items;
      if (raw === undefined) throw missingParam("line_items");
      if (!Array.isArray(raw)) throw invalid("Invalid array", { param: "line_items" });
      if (raw.length > 20) throw invalid("You may only specify up to 20 line items.", { param: "line_items" }); // approx.
      const items: LinkItem[] = [];
      const currencies = new Set<string>();
      raw.forEach((li: unknown, i) => {
        const item = (li && typeof li === "object" ? li : {}) as Params;
        const priceId = str(item, "price", `line_items[${i}][price]`);
        if (!priceId) throw missingParam(`line_items[${i}][price]`);
        if (item.quantity === undefined) throw missingParam(`line_items[${i}][quantity]`);
        const quantity = int(item, "quantity", `line_items[${i}][quantity]`, 1, 999_999)!;
        const price = priceOf(priceId);
        if (!price) throw noSuch("price", priceId, `line_items[${i}][price]`, 400);
        if (!price.active) throw invalid(`The price specified (${priceId}) is inactive. This field only accepts active prices.`, { param: `line_items[${i}][price]` }); // approx.
        currencies.add(price.currency);
        items.push({ id: newId("li"), price: priceId, quantity });
      });
      if (currencies.size > 1) throw invalid("All prices on a payment link must have the same currency.", { param: "line_items" }); // approx.
      let after_completion: PaymentLink["after_completion"] = { type: "hosted_confirmation", hosted_confirmation: { custom_message: null } };
      if (p.after_completion !== undefined) {
        const ac = (typeof p.after_completion === "object" && p.after_completion ? p.after_completion : {}) as Params;
        const type = oneOf(ac, "type", ["hosted_confirmation", "redirect"] as const);
        if (!type) throw missingParam("after_completion[type]");
        if (type === "redirect") {
          const url = str((ac.redirect ?? {}) as Params, "url", "after_completion[redirect][url]");
          if (!url) throw missingParam("after_completion[redirect][url]");
          if (!/^https?:\/\/\S+$/.test(url)) throw invalid(`Not a valid URL`, { code: "url_invalid", param: "after_completion[redirect][url]" });
          after_completion = { type, redirect: { url } };
        } else {
          const msg = str((ac.hosted_confirmation ?? {}) as Params, "custom_message", "after_completion[hosted_confirmation][custom_message]");
          after_completion = { type, hosted_confirmation: { custom_message: msg ?? null } };
        }
      }
      const metadata = mergeMetadata(p, {});
      const id = newId("plink");
      const link: PaymentLink = {
        id,
        object: "payment_link",
        active: true,
        after_completion,
        allow_promotion_codes: bool(p, "allow_promotion_codes") ?? false,
        application: null,
        application_fee_amount: null,
        application_fee_percent: null,
        automatic_tax: { enabled: false, liability: null },
        billing_address_collection: oneOf(p, "billing_address_collection", ["auto", "required"] as const) ?? "auto",
        currency: [...currencies][0]!,
        customer_creation: "if_required",
        inactive_message: null,
        livemode: false,
        metadata,
        on_behalf_of: null,
        payment_method_collection: "always",
        payment_method_types: null,
        phone_number_collection: { enabled: false },
        shipping_address_collection: null,
        submit_type: "auto",
        subscription_data: null,
        url: `https://buy.stripe.com/test_${id.slice(6).toLowerCase()}`,
      };
      state.paymentLinks.push(link);
      state.linkItems.set(id, items);
      return json(200, linkOut(link, expand));
    })
    .on("GET", "/v1/payment_links/:id", (req, { id }) => {
      const { params: p } = requestParams(req);
      allowOnly(p, ["expand"]);
      const expand = expansions(p, ["line_items"]);
      const link = state.paymentLinks.find((l) => l.id === id);
      if (!link) throw noSuch("payment_link", id!, "id", 404);
      return json(200, linkOut(link, expand));
    });

  const unrecognized = (req: SandboxRequest) =>
    stripeError(404, "invalid_request_error", `Unrecognized request URL (${req.method.toUpperCase()}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);

  async function dispatch(req: SandboxRequest): Promise<SandboxResponse> {
    try {
      const out = await router.dispatch(req);
      return !out || out.status === 405 ? unrecognized(req) : out;
    } catch (e) {
      if (e instanceof Fail) return e.res;
      throw e;
    }
  }

  return {
    slug: "stripe",
    reset: () => {
      state = seed();
    },
    async handle(req): Promise<SandboxResponse> {
      const requestId = `req_Sbx${String(++state.requests).padStart(10, "0")}`;
      const version = req.headers["stripe-version"] ?? DEFAULT_VERSION;
      const headers: Record<string, string> = { "request-id": requestId, "stripe-version": version };
      const finish = (out: SandboxResponse): SandboxResponse => ({ ...out, headers: { ...headers, ...(out.headers ?? {}) } });

      const key = apiKey(req);
      if (!key) {
        return finish({
          ...stripeError(
            401,
            "invalid_request_error",
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
          ),
          headers: { "www-authenticate": 'Basic realm="Stripe"' },
        });
      }
      if (!(await authorize(key, req))) {
        const expired = key.startsWith("expired_");
        return finish({
          ...stripeError(401, "invalid_request_error", `${expired ? "Expired" : "Invalid"} API Key provided: ${maskKey(key)}`, expired ? { code: "api_key_expired" } : {}),
          headers: { "www-authenticate": 'Basic realm="Stripe"' },
        });
      }
      if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(version)) return finish(stripeError(400, "invalid_request_error", `Invalid Stripe API version: ${version}`));

      // Idempotent requests (https://docs.stripe.com/api/idempotent_requests): POSTs only. A key
      // replays the first result for the same parameters and is refused for different ones.
      // Results are saved once the endpoint ran: not for requests that failed validation (400).
      const idemKey = req.method.toUpperCase() === "POST" ? req.headers["idempotency-key"] : undefined;
      if (idemKey === undefined) return finish(await dispatch(req));
      if (idemKey.length > 255) return finish(stripeError(400, "invalid_request_error", "Idempotency-Key must be at most 255 characters long.")); // approx.
      headers["idempotency-key"] = idemKey;
      const fingerprint = JSON.stringify([req.path, requestParams(req).entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
      const seen = state.idempotency.get(idemKey);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          return finish(
            stripeError(400, "idempotency_error", `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`),
          );
        }
        return finish({ ...seen.response, headers: { ...(seen.response.headers ?? {}), "idempotent-replayed": "true", "original-request": seen.requestId } });
      }
      const out = await dispatch(req);
      if (out.status !== 400) state.idempotency.set(idemKey, { fingerprint, response: out, requestId });
      return finish(out);
    },
  };
}
