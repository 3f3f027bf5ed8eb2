import type * as z from "zod";
import type { ErrorCode } from "@/lib/errors";

/**
 * One description of an endpoint, used by its route wrapper (to parse input and shape
 * output) and by the OpenAPI document, so the two cannot disagree.
 */
export type Operation = {
  method: "get" | "post" | "patch" | "put" | "delete";
  /** OpenAPI style: /api/v1/api-keys/{id} */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: "api_key" | "none";
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  success: { status: number; description: string; schema?: z.ZodType };
  errors?: ErrorCode[];
};

export function defineOperation<const O extends Operation>(op: O): O {
  return op;
}
