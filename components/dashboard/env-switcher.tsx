"use client";

import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { switchEnvironment } from "@/app/(dashboard)/actions";

type Option = { orgId: string; orgName: string; envs: { id: string; name: string; kind: "production" | "test" }[] };

/** Organization and environment in one control: each option names both, production first. */
export function EnvSwitcher({ options, current }: { options: Option[]; current: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  return (
    <label className="block">
      <span className="sr-only">Organization and environment</span>
      <select
        data-testid="env-switcher"
        className="input cursor-pointer"
        value={current}
        disabled={pending}
        onChange={(e) => {
          const environmentId = e.target.value;
          start(async () => {
            const r = await switchEnvironment({ environmentId });
            if (r.ok) router.refresh();
          });
        }}
      >
        {options.map((o) => (
          <optgroup key={o.orgId} label={o.orgName}>
            {o.envs.map((e) => (
              <option key={e.id} value={e.id}>
                {o.orgName} · {e.name} {e.kind === "production" ? "(production)" : "(test)"}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
}
