import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderHttp } from "@/lib/connectors/http";
import { formatAmount, stripe, stripeForm } from "@/lib/connectors/stripe";
import { authHeadersFor, contractHarness, type ContractHarness } from "@/lib/connectors/testing";
import { createStripeSandbox, decodeStripeParams } from "@/lib/sandbox/stripe";
import type { SandboxRequest } from "@/lib/sandbox/types";

// Contract tests: each tool sends Stripe's documented request (form-encoded, bracket notation,
// Stripe-Version pinned, Idempotency-Key on writes) and reads its documented response.
const backend = createStripeSandbox();
const KEY = "sk_test_51PmSandboxKey0000000000";
let h: ContractHarness;

beforeAll(async () => {
  h = await contractHarness(stripe, backend, { secret_key: KEY });
});
afterAll(() => h.close());
beforeEach(() => backend.reset());

type Page<T> = { data: T[]; has_more: boolean; next_starting_after: string | null };
const form = () => h.last().body as Record<string, string>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("stripe connector contract", () => {
  it("sends the key as a bearer token and pins Stripe-Version on every call", async () => {
    await h.call("stripe_get_balance", {});
    const req = h.last();
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers["stripe-version"]).toBe("2024-06-20");
    expect(req.headers["idempotency-key"]).toBeUndefined();
  });

  it("stripe_get_balance → GET /v1/balance with formatted amounts", async () => {
    const out = await h.call("stripe_get_balance", {});
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/balance" });
    expect([...h.last().query.keys()]).toEqual([]);
    expect(out).toEqual({
      livemode: false,
      available: [
        { amount: 1843250, currency: "usd", formatted: "18432.50 USD" },
        { amount: 1727, currency: "eur", formatted: "17.27 EUR" },
      ],
      pending: [
        { amount: 48320, currency: "usd", formatted: "483.20 USD" },
        { amount: 0, currency: "eur", formatted: "0.00 EUR" },
      ],
    });
  });

  it("stripe_list_customers → GET /v1/customers, newest first, paged with limit/starting_after", async () => {
    const first = (await h.call("stripe_list_customers", { limit: 2 })) as Page<{ id: string; name: string }>;
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/customers" });
    expect(Object.fromEntries(h.last().query)).toEqual({ limit: "2" });
    expect(first.data.map((c) => c.name)).toEqual(["Tomás Novak", "Lucía Fernández"]);
    expect(first).toMatchObject({ has_more: true, next_starting_after: "cus_PmD0nT5aU2yOf4" });

    const second = (await h.call("stripe_list_customers", { limit: 2, starting_after: first.next_starting_after })) as Page<{ name: string }>;
    expect(Object.fromEntries(h.last().query)).toEqual({ limit: "2", starting_after: "cus_PmD0nT5aU2yOf4" });
    expect(second.data.map((c) => c.name)).toEqual(["Acme Robotics Ltd.", "Jonas Weber"]);
    const third = (await h.call("stripe_list_customers", { limit: 2, starting_after: second.next_starting_after })) as Page<{ name: string }>;
    expect(third).toMatchObject({ data: [expect.objectContaining({ name: "Maya Patel" })], has_more: false, next_starting_after: null });

    const byEmail = (await h.call("stripe_list_customers", { email: "billing@acme-robotics.example" })) as Page<unknown>;
    expect(h.last().query.get("email")).toBe("billing@acme-robotics.example");
    expect(byEmail.data).toEqual([
      expect.objectContaining({ id: "cus_PmC9mS4zT1xNe3", metadata: { plan: "team", account_manager: "lena" }, dashboard_url: "https://dashboard.stripe.com/test/customers/cus_PmC9mS4zT1xNe3" }),
    ]);
  });

  it("stripe_get_customer → GET /v1/customers/{id}; deleted → stub; unknown → not_found with Stripe's message", async () => {
    const out = await h.call("stripe_get_customer", { customer: "cus_PmE1oU6bV3zPg5" });
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/customers/cus_PmE1oU6bV3zPg5" });
    expect(out).toMatchObject({ id: "cus_PmE1oU6bV3zPg5", name: "Tomás Novak", balance: -500, balance_formatted: "-5.00 USD", delinquent: true, created: "2026-02-09T10:00:00.000Z" });
    expect(await h.call("stripe_get_customer", { customer: "cus_PmF2pV7cW4aQh6" })).toEqual({ id: "cus_PmF2pV7cW4aQh6", deleted: true });
    expect(await h.fail("stripe_get_customer", { customer: "cus_Nope000000000" })).toMatchObject({
      code: "not_found",
      provider_status: 404,
      message: expect.stringContaining("No such customer: 'cus_Nope000000000'"),
    });
  });

  it("stripe_create_customer → POST /v1/customers, form-encoded with metadata[key], a fresh Idempotency-Key; listed first", async () => {
    const out = (await h.call("stripe_create_customer", { email: "ops@northwind.example", name: "Northwind Traders", metadata: { plan: "pro", source: "agent" } })) as { id: string };
    const req = h.last();
    expect(req).toMatchObject({ method: "POST", path: "/v1/customers" });
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(req.headers["idempotency-key"]).toMatch(UUID);
    expect(req.headers["stripe-version"]).toBe("2024-06-20");
    expect(form()).toEqual({ email: "ops@northwind.example", name: "Northwind Traders", "metadata[plan]": "pro", "metadata[source]": "agent" });
    expect(out).toMatchObject({ id: expect.stringMatching(/^cus_/), name: "Northwind Traders", email: "ops@northwind.example", metadata: { plan: "pro", source: "agent" }, livemode: false });
    const listed = (await h.call("stripe_list_customers", { limit: 1 })) as Page<{ id: string }>;
    expect(listed.data[0]!.id).toBe(out.id);
  });

  it("Stripe's validation errors map to invalid_request with its message, param and code", async () => {
    const f = await h.fail("stripe_create_customer", { email: "not-an-email" });
    expect(f).toMatchObject({ code: "invalid_request", provider_status: 400 });
    expect(f.code !== "provider_unauthorized" && f.message).toBe("Stripe rejected the request: Invalid email address: not-an-email (param: email, code: email_invalid)");
  });

  it("idempotency_key: same key + same arguments replays the result; same key + other arguments is refused", async () => {
    const a = (await h.call("stripe_create_customer", { name: "Once Only", idempotency_key: "order-42" })) as { id: string };
    expect(h.last().headers["idempotency-key"]).toBe("latchkey:stripe_create_customer:order-42");
    const b = (await h.call("stripe_create_customer", { name: "Once Only", idempotency_key: "order-42" })) as { id: string };
    expect(b.id).toBe(a.id);
    const f = await h.fail("stripe_create_customer", { name: "Someone Else", idempotency_key: "order-42" });
    expect(f).toMatchObject({ code: "invalid_request", provider_status: 400, message: expect.stringContaining("Keys for idempotent requests can only be used with the same parameters") });
    const all = (await h.call("stripe_list_customers", { limit: 100 })) as Page<{ name: string }>;
    expect(all.data.filter((c) => c.name === "Once Only")).toHaveLength(1);
  });

  it("stripe_update_customer → POST /v1/customers/{id} with only the given fields; metadata merges, \"\" removes a key", async () => {
    const out = await h.call("stripe_update_customer", { customer: "cus_PmC9mS4zT1xNe3", email: "ap@acme-robotics.example", metadata: { account_manager: "", region: "emea" } });
    expect(h.last()).toMatchObject({ method: "POST", path: "/v1/customers/cus_PmC9mS4zT1xNe3" });
    expect(form()).toEqual({ email: "ap@acme-robotics.example", "metadata[account_manager]": "", "metadata[region]": "emea" });
    expect(h.last().headers["idempotency-key"]).toMatch(UUID);
    expect(out).toMatchObject({ email: "ap@acme-robotics.example", name: "Acme Robotics Ltd.", metadata: { plan: "team", region: "emea" } });
    expect(await h.call("stripe_get_customer", { customer: "cus_PmC9mS4zT1xNe3" })).toMatchObject({ email: "ap@acme-robotics.example" });
    expect(await h.fail("stripe_update_customer", { customer: "cus_Nope000000000", name: "X" })).toMatchObject({ code: "not_found" });
  });

  it("stripe_list_payment_intents → GET /v1/payment_intents?customer=", async () => {
    const out = (await h.call("stripe_list_payment_intents", { customer: "cus_PmA7kQ2xR9vLc1" })) as Page<{ id: string; amount_formatted: string; status: string; created: string }>;
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/payment_intents" });
    expect(Object.fromEntries(h.last().query)).toEqual({ customer: "cus_PmA7kQ2xR9vLc1", limit: "10" });
    expect(out.data).toEqual([
      expect.objectContaining({ id: "pi_3PmCc3LkQx9Rt0MqZ3", status: "succeeded", amount: 4900, amount_formatted: "49.00 USD", latest_charge: "ch_3PmCc3LkQx9Rt0MqZ3", created: "2026-02-03T10:00:00.000Z" }),
      expect.objectContaining({ id: "pi_3PmAa1LkQx9Rt0MqZ1", description: "Pro plan — January 2026" }),
    ]);
    expect(out).toMatchObject({ has_more: false, next_starting_after: null });
    const all = (await h.call("stripe_list_payment_intents", {})) as Page<{ status: string }>;
    expect(all.data.map((p) => p.status)).toContain("requires_payment_method");
  });

  it("stripe_list_invoices → GET /v1/invoices?customer=&status=", async () => {
    const out = (await h.call("stripe_list_invoices", { customer: "cus_PmC9mS4zT1xNe3", status: "open" })) as Page<Record<string, unknown>>;
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/invoices" });
    expect(Object.fromEntries(h.last().query)).toEqual({ customer: "cus_PmC9mS4zT1xNe3", status: "open", limit: "10" });
    expect(out.data).toEqual([
      expect.objectContaining({
        id: "in_1PmFf6AcmeSeat26",
        status: "open",
        total: 38970,
        total_formatted: "389.70 USD",
        amount_remaining_formatted: "389.70 USD",
        collection_method: "send_invoice",
        due_date: "2026-03-27T10:00:00.000Z",
        lines: [{ description: "Additional seat", quantity: 3, amount: 38970, amount_formatted: "389.70 USD" }],
        hosted_invoice_url: expect.stringMatching(/^https:\/\/invoice\.stripe\.com\//),
      }),
    ]);
    const drafts = (await h.call("stripe_list_invoices", { status: "draft" })) as Page<{ number: string | null; hosted_invoice_url: string | null }>;
    expect(drafts.data).toEqual([expect.objectContaining({ number: null, hosted_invoice_url: null })]);
  });

  it("stripe_create_refund → POST /v1/refunds; partial then the rest; over-refunds and repeats are refused with Stripe's codes", async () => {
    const part = await h.call("stripe_create_refund", { payment_intent: "pi_3PmCc3LkQx9Rt0MqZ3", amount: 1000, reason: "requested_by_customer", metadata: { ticket: "SUP-311" } });
    expect(h.last()).toMatchObject({ method: "POST", path: "/v1/refunds" });
    expect(form()).toEqual({ payment_intent: "pi_3PmCc3LkQx9Rt0MqZ3", amount: "1000", reason: "requested_by_customer", "metadata[ticket]": "SUP-311" });
    expect(h.last().headers["idempotency-key"]).toMatch(UUID);
    expect(part).toMatchObject({ id: expect.stringMatching(/^re_/), status: "succeeded", amount: 1000, amount_formatted: "10.00 USD", charge: "ch_3PmCc3LkQx9Rt0MqZ3", reason: "requested_by_customer", metadata: { ticket: "SUP-311" } });

    const tooMuch = await h.fail("stripe_create_refund", { payment_intent: "pi_3PmCc3LkQx9Rt0MqZ3", amount: 5000 });
    expect(tooMuch).toMatchObject({ code: "invalid_request", message: expect.stringContaining("Refund amount ($50.00) is greater than unrefunded amount on charge ($39.00)") });
    expect(tooMuch.code !== "provider_unauthorized" && tooMuch.message).toContain("param: amount, code: amount_too_large");

    const rest = await h.call("stripe_create_refund", { charge: "ch_3PmCc3LkQx9Rt0MqZ3" });
    expect(form()).toEqual({ charge: "ch_3PmCc3LkQx9Rt0MqZ3" });
    expect(rest).toMatchObject({ amount: 3900, payment_intent: "pi_3PmCc3LkQx9Rt0MqZ3" });
    expect(await h.fail("stripe_create_refund", { payment_intent: "pi_3PmCc3LkQx9Rt0MqZ3" })).toMatchObject({ code: "invalid_request", message: expect.stringContaining("code: charge_already_refunded") });

    const balance = (await h.call("stripe_get_balance", {})) as { available: { amount: number }[] };
    expect(balance.available[0]!.amount).toBe(1843250 - 4900);
  });

  it("stripe_create_refund: unknown payment → invalid_request naming the param; both ids → invalid_arguments without a call", async () => {
    expect(await h.fail("stripe_create_refund", { payment_intent: "pi_3PmNope" })).toMatchObject({
      code: "invalid_request",
      message: "Stripe rejected the request: No such payment_intent: 'pi_3PmNope' (param: payment_intent, code: resource_missing)",
    });
    const before = h.requests.length;
    expect(await h.fail("stripe_create_refund", { payment_intent: "pi_3PmCc3LkQx9Rt0MqZ3", charge: "ch_3PmCc3LkQx9Rt0MqZ3" })).toMatchObject({ code: "invalid_arguments" });
    expect(h.requests.length).toBe(before);
  });

  it("stripe_list_products → GET /v1/products?active=true&expand[0]=data.default_price", async () => {
    const out = (await h.call("stripe_list_products", {})) as Page<{ name: string; default_price: Record<string, unknown> | null }>;
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/products" });
    expect(Object.fromEntries(h.last().query)).toEqual({ active: "true", limit: "10", "expand[0]": "data.default_price" });
    expect(out.data.map((p) => p.name)).toEqual(["Onboarding workshop", "Team license", "Pro", "Starter"]);
    expect(out.data[2]!.default_price).toEqual({ id: "price_1PmProMonthly", active: true, type: "recurring", unit_amount: 4900, unit_amount_formatted: "49.00 USD", currency: "usd", interval: "month", nickname: null });
    expect(out.data[0]!.default_price).toMatchObject({ type: "one_time", interval: null, unit_amount_formatted: "500.00 USD" });
    const archived = (await h.call("stripe_list_products", { active: false })) as Page<{ name: string }>;
    expect(archived.data.map((p) => p.name)).toEqual(["Legacy plan"]);
  });

  it("stripe_create_payment_link → POST /v1/payment_links with line_items[i][…], after_completion and expand[0]=line_items", async () => {
    const out = await h.call("stripe_create_payment_link", {
      line_items: [{ price: "price_1PmProYearly" }, { price: "price_1PmTeamSeat", quantity: 2 }],
      redirect_url: "https://northwind.example/thanks",
      metadata: { campaign: "spring" },
    });
    expect(h.last()).toMatchObject({ method: "POST", path: "/v1/payment_links" });
    expect(form()).toEqual({
      "line_items[0][price]": "price_1PmProYearly",
      "line_items[0][quantity]": "1",
      "line_items[1][price]": "price_1PmTeamSeat",
      "line_items[1][quantity]": "2",
      "after_completion[type]": "redirect",
      "after_completion[redirect][url]": "https://northwind.example/thanks",
      "metadata[campaign]": "spring",
      "expand[0]": "line_items",
    });
    expect(h.last().headers["idempotency-key"]).toMatch(UUID);
    expect(out).toMatchObject({
      id: expect.stringMatching(/^plink_/),
      url: expect.stringMatching(/^https:\/\/buy\.stripe\.com\/test_/),
      active: true,
      currency: "usd",
      metadata: { campaign: "spring" },
      line_items: [
        { price: "price_1PmProYearly", description: "Pro", quantity: 1, amount_total: 49000, amount_total_formatted: "490.00 USD" },
        { price: "price_1PmTeamSeat", description: "Team license", quantity: 2, amount_total: 25980, amount_total_formatted: "259.80 USD" },
      ],
    });
    expect(await h.fail("stripe_create_payment_link", { line_items: [{ price: "price_1PmNope" }] })).toMatchObject({
      code: "invalid_request",
      message: "Stripe rejected the request: No such price: 'price_1PmNope' (param: line_items[0][price], code: resource_missing)",
    });
  });

  it("maps Stripe's errors: 401 → provider auth error, 402 card_error → invalid_request with decline code, restricted key 403 → missing permission, 429 → rate_limited", async () => {
    expect(await h.fail("stripe_get_balance", {}, { credential: { secret_key: "expired_sk_test_abc123" } })).toEqual({ code: "provider_unauthorized" });
    expect(
      stripe.interpret!({ status: 402, headers: {}, body: { error: { type: "card_error", code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." } } }),
    ).toEqual({ code: "invalid_request", message: "Stripe declined the request: Your card has insufficient funds. (code: card_declined, decline_code: insufficient_funds)", provider_status: 402 });
    expect(stripe.interpret!({ status: 429, headers: { "retry-after": "2" }, body: { error: { type: "invalid_request_error", code: "rate_limit", message: "Too many requests" } } })).toBeNull();
    expect(stripe.interpret!({ status: 200, headers: {}, body: { object: "balance" } })).toBeNull();
    const rak = {
      status: 403,
      headers: {},
      body: {
        error: {
          type: "invalid_request_error",
          message:
            "The provided key 'rk_test_*****************************Ab12' does not have the required permissions for this endpoint on account 'acct_1PmSandbox0001'. Having the 'rak_customer_write' permission would allow this request to continue.",
        },
      },
    };
    expect(stripe.missingScopes!(rak)).toEqual(["rak_customer_write"]);
    expect(stripe.missingScopes!({ ...rak, status: 400 })).toBeNull();
  });

  it("labels the connection by mode from GET /v1/balance", async () => {
    const http = new ProviderHttp({ connector: stripe, baseUrl: h.url, authHeaders: authHeadersFor(stripe, { secret_key: KEY }), grantedScopes: [], toolScopes: [], timeoutMs: 5000 });
    const ctx = { http, connection: { id: "conn_test", grantedScopes: [], accountLabel: null }, signal: new AbortController().signal };
    expect(await stripe.accountLabel!(ctx)).toBe("Stripe (test mode)");
    expect(h.last()).toMatchObject({ method: "GET", path: "/v1/balance" });
    const live = { ...ctx, http: { get: async () => ({ status: 200, headers: {}, body: { livemode: true } }) } as unknown as ProviderHttp };
    expect(await stripe.accountLabel!(live)).toBe("Stripe (live mode)");
  });

  it("accepts secret and restricted keys only in the connect form", () => {
    const f = stripe.auth.kind === "api_key" ? stripe.auth.form : null;
    expect(f!.safeParse({ secret_key: "sk_test_51PmSandboxKey0000" }).success).toBe(true);
    expect(f!.safeParse({ secret_key: "rk_live_51PmSandboxKey0000" }).success).toBe(true);
    expect(f!.safeParse({ secret_key: "pk_test_51PmSandboxKey0000" }).success).toBe(false);
    expect(stripe.auth.kind === "api_key" && stripe.auth.headers({ secret_key: "sk_test_x" })).toEqual({ authorization: "Bearer sk_test_x" });
  });

  it("encodes and formats the Stripe way", () => {
    const encoded = stripeForm({ email: "a@b.example", metadata: { plan: "pro", old: null }, line_items: [{ price: "price_1", quantity: 2 }], expand: ["line_items"], skip: undefined, flag: false });
    expect(encoded).toEqual({ email: "a@b.example", "metadata[plan]": "pro", "metadata[old]": "", "line_items[0][price]": "price_1", "line_items[0][quantity]": "2", "expand[0]": "line_items", flag: "false" });
    expect(decodeStripeParams(Object.entries(encoded))).toEqual({ email: "a@b.example", metadata: { plan: "pro", old: "" }, line_items: [{ price: "price_1", quantity: "2" }], expand: ["line_items"], flag: "false" });
    expect(decodeStripeParams([["expand[]", "a"], ["expand[]", "b"], ["__proto__[x]", "y"]])).toEqual({ expand: ["a", "b"] });
    expect(formatAmount(1250, "usd")).toBe("12.50 USD");
    expect(formatAmount(5, "eur")).toBe("0.05 EUR");
    expect(formatAmount(500, "jpy")).toBe("500 JPY");
    expect(formatAmount(12340, "kwd")).toBe("12.340 KWD");
    expect(formatAmount(-500, "usd")).toBe("-5.00 USD");
  });

  it("every tool has a JSON-Schema-exportable input, annotations and scopes", async () => {
    const { toJSONSchema } = await import("zod");
    expect(stripe.tools.length).toBeGreaterThanOrEqual(6);
    for (const t of stripe.tools) {
      expect(t.name).toMatch(/^stripe_[a-z_]+$/);
      expect(toJSONSchema(t.input)).toMatchObject({ type: "object" });
      expect(typeof t.annotations.readOnlyHint).toBe("boolean");
      expect(t.scopes).toEqual([]);
    }
    expect(stripe.tools.some((t) => t.annotations.readOnlyHint === false)).toBe(true);
    expect(stripe.tools.find((t) => t.name === "stripe_create_refund")!.annotations.destructiveHint).toBe(true);
  });
});

describe("stripe sandbox", () => {
  const req = (method: string, path: string, body?: Record<string, string>, headers: Record<string, string> = {}): SandboxRequest => ({
    method,
    path,
    query: new URLSearchParams(),
    headers: { authorization: `Bearer ${KEY}`, ...headers },
    body,
  });

  it("answers Stripe's 401 bodies: no key, and a rejected key (masked)", async () => {
    const none = await backend.handle({ ...req("GET", "/v1/balance"), headers: {} });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { type: "invalid_request_error", message: expect.stringMatching(/^You did not provide an API key/) } });
    const expired = await backend.handle({ ...req("GET", "/v1/balance"), headers: { authorization: "Bearer expired_sk_test_abcdef1234" } });
    expect(expired).toMatchObject({ status: 401, body: { error: { code: "api_key_expired", message: expect.stringMatching(/^Expired API Key provided: \*+1234$/) } } });
    const basic = await backend.handle({ ...req("GET", "/v1/balance"), headers: { authorization: `Basic ${Buffer.from(`${KEY}:`).toString("base64")}` } });
    expect(basic.status).toBe(200);
  });

  it("validates like Stripe: missing refund target, unknown parameters, unknown URLs", async () => {
    expect(await backend.handle(req("POST", "/v1/refunds", { amount: "100" }))).toMatchObject({
      status: 400,
      body: { error: { type: "invalid_request_error", code: "parameter_missing", param: "charge", message: "Missing required param: charge." } },
    });
    expect(await backend.handle(req("POST", "/v1/customers", { nickname: "x" }))).toMatchObject({ status: 400, body: { error: { code: "parameter_unknown", param: "nickname" } } });
    expect(await backend.handle(req("DELETE", "/v1/balance"))).toMatchObject({ status: 404, body: { error: { message: expect.stringContaining("Unrecognized request URL (DELETE: /v1/balance)") } } });
    expect(await backend.handle(req("GET", "/v1/customers/cus_Nope"))).toMatchObject({
      status: 404,
      body: { error: { code: "resource_missing", param: "id", message: "No such customer: 'cus_Nope'", doc_url: "https://stripe.com/docs/error-codes/resource-missing" } },
    });
  });

  it("replays idempotent POSTs with Idempotent-Replayed and keeps state until reset", async () => {
    const first = await backend.handle(req("POST", "/v1/customers", { name: "Replay" }, { "idempotency-key": "k1" }));
    const again = await backend.handle(req("POST", "/v1/customers", { name: "Replay" }, { "idempotency-key": "k1" }));
    expect(again.body).toEqual(first.body);
    expect(again.headers).toMatchObject({ "idempotent-replayed": "true", "idempotency-key": "k1" });
    const other = await backend.handle(req("POST", "/v1/customers", { name: "Other" }, { "idempotency-key": "k1" }));
    expect(other).toMatchObject({ status: 400, body: { error: { type: "idempotency_error" } } });
    backend.reset();
    const list = await backend.handle(req("GET", "/v1/customers"));
    expect((list.body as { data: { name: string }[] }).data.map((c) => c.name)).not.toContain("Replay");
  });
});
