"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { updateConnectorConfigAction } from "./actions";
import { FormError } from "@/components/ui/form-error";

type Config = { enabled: boolean; oauth_client_id: string | null; oauth_client_secret_set: boolean; scopes: string[] | null; base_url: string | null };

export function ConnectorConfigForm({ slug, oauth, config, canEdit, environmentName }: { slug: string; oauth: boolean; config: Config; canEdit: boolean; environmentName: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  return (
    <form
      className="card space-y-4 p-4"
      onSubmit={(e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const str = (k: string) => {
          const v = String(f.get(k) ?? "").trim();
          return v === "" ? null : v;
        };
        const secret = str("oauth_client_secret");
        const scopes = str("scopes");
        start(async () => {
          setError(null);
          setSaved(false);
          const r = await updateConnectorConfigAction({
            slug,
            enabled: f.get("enabled") === "on",
            base_url: str("base_url"),
            ...(oauth ? { oauth_client_id: str("oauth_client_id"), scopes: scopes ? scopes.split(/[\s,]+/).filter(Boolean) : null } : {}),
            ...(oauth && secret ? { oauth_client_secret: secret } : {}),
          });
          if (!r.ok) return setError(r.error.issues?.map((i) => `${i.path}: ${i.message}`).join("; ") || r.error.message);
          setSaved(true);
          router.refresh();
        });
      }}
    >
      <h2 className="font-semibold">Settings in {environmentName}</h2>
      <fieldset disabled={!canEdit || pending} className="space-y-4">
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="enabled" defaultChecked={config.enabled} /> Enabled in this environment
        </label>
        {oauth ? (
          <div className="grid gap-4 sm:grid-cols-2">
            <div>
              <label className="label" htmlFor="oauth_client_id">
                OAuth client id (your own app)
              </label>
              <input id="oauth_client_id" name="oauth_client_id" className="input" defaultValue={config.oauth_client_id ?? ""} />
            </div>
            <div>
              <label className="label" htmlFor="oauth_client_secret">
                Client secret {config.oauth_client_secret_set ? "(stored; leave empty to keep)" : ""}
              </label>
              <input id="oauth_client_secret" name="oauth_client_secret" type="password" autoComplete="off" className="input" />
            </div>
            <div className="sm:col-span-2">
              <label className="label" htmlFor="scopes">
                Scopes to request (empty = what the tools need)
              </label>
              <input id="scopes" name="scopes" className="input font-mono" defaultValue={config.scopes?.join(" ") ?? ""} />
            </div>
          </div>
        ) : null}
        <div>
          <label className="label" htmlFor="base_url">
            API base URL override (e.g. GitHub Enterprise)
          </label>
          <input id="base_url" name="base_url" className="input font-mono" placeholder="default" defaultValue={config.base_url ?? ""} />
        </div>
        {canEdit ? (
          <button className="btn btn-primary" type="submit">
            {pending ? "Saving…" : "Save"}
          </button>
        ) : (
          <p className="text-sm text-zinc-600">Your role can view these settings only.</p>
        )}
      </fieldset>
      <FormError message={error} />
      {saved ? <p role="status" className="text-sm text-emerald-700">Saved.</p> : null}
    </form>
  );
}
