// /api/auth/* – next-auth (dashboard sign-in and sign-out)
import { handlers } from "@/lib/auth";

export const { GET, POST } = handlers;
