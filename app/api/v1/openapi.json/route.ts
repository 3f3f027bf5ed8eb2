// GET /api/v1/openapi.json – OpenAPI 3.1, generated from the same zod schemas the routes use
import { withPublic } from "@/lib/http/with-api-key";
import { json } from "@/lib/http/respond";
import { buildOpenApiDocument } from "@/lib/openapi/document";

export const GET = withPublic(async ({ req }) => json(buildOpenApiDocument(new URL(req.url).origin)));
