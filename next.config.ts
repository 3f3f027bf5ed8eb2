import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The custom server (scripts/server.ts) and the route handlers share one database
  // handle through globalThis; both must load these from node_modules, not from a bundle.
  serverExternalPackages: ["@electric-sql/pglite", "postgres", "drizzle-orm"],
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
    ];
  },
};

export default nextConfig;
