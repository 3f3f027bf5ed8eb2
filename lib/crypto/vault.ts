import { decryptString, encrypt, DecryptError, type AadParts } from "@/lib/crypto/keyring";
import { raiseAlert } from "@/lib/alerts/raise";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import type { Runtime } from "@/lib/runtime";

/**
 * The one place stored secrets are encrypted and decrypted. A value that fails to decrypt is
 * never passed through: the caller gets a typed error and the event is logged.
 */
export function seal(rt: Pick<Runtime, "keyring">, plaintext: string, aad: AadParts): string {
  return encrypt(rt.keyring, plaintext, aad);
}

export function unseal(rt: Pick<Runtime, "keyring">, ciphertext: string, aad: AadParts): string {
  try {
    return decryptString(rt.keyring, ciphertext, aad);
  } catch (err) {
    if (err instanceof DecryptError) {
      log.error("stored secret failed to decrypt", { reason: err.reason, kid: err.kid, table: aad.table, row: aad.row, field: aad.field });
      raiseAlert(null, { environmentId: aad.env, kind: "decrypt_failure", dedupKey: `decrypt_failure|${aad.table}|${aad.field}`, details: { reason: err.reason, table: aad.table, field: aad.field, row: aad.row } });
      throw new AppError({ code: "internal_error", message: "A stored credential could not be decrypted.", cause: err });
    }
    throw err;
  }
}
