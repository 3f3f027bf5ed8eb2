import type { NextConfig } from "next";
import { linkFrameCsp } from "./lib/link/frame";

const nextConfig: NextConfig = {
  // The custom server (scripts/server.ts) and the route handlers share one database
  // handle through globalThis; both must load these from node_modules, not from a bundle.
  // recheck (custom security rules' ReDoS check) starts its own worker/binary: never bundled.
  serverExternalPackages: ["@electric-sql/pglite", "postgres", "drizzle-orm", "recheck"],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Content-Security-Policy", value: "frame-ancestors 'none'" },
        ],
      },
      {
        // The hosted Link page may be framed by Latchkey itself (later entries win); a page
        // opened with ?embed_origin= gets its own CSP per request from scripts/server.ts
        // (lib/link/frame-csp.ts). No Referer at all: the page's URL once carried the link token.
        source: "/link",
        headers: [
          { key: "X-Frame-Options", value: "SAMEORIGIN" },
          { key: "Content-Security-Policy", value: linkFrameCsp() },
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "Cache-Control", value: "no-store" },
        ],
      },
      {
        // The embed script, loaded by apps' pages on other origins (CORS so a page can pin it
        // with Subresource Integrity). Not versioned in its URL: cached for an hour, not forever.
        source: "/link.js",
        headers: [
          { key: "Cache-Control", value: "public, max-age=3600" },
          { key: "Access-Control-Allow-Origin", value: "*" },
        ],
      },
      {
        // Its URL carries the authorization code and state: never sent on as a Referer.
        source: "/oauth/callback",
        headers: [{ key: "Referrer-Policy", value: "no-referrer" }],
      },
    ];
  },
};

export default nextConfig;
