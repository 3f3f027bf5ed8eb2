"use server";

import * as z from "zod";
import { authedAction } from "@/lib/actions/authed-action";
import { alertEventData } from "@/lib/alerts/present";
import { changeAlertStatus } from "@/lib/alerts/service";
import { idParam } from "@/lib/schemas/common";

const schema = z.object({ id: idParam("alrt"), to: z.enum(["acknowledged", "resolved"]) });

export const changeAlertStatusAction = authedAction({ schema, minRole: "developer", revalidate: "/alerts" }, async (input, ctx) =>
  alertEventData(await changeAlertStatus(ctx.rt.db, { environment: ctx.environment, id: input.id, to: input.to, actor: ctx.actor, requestId: ctx.requestId })),
);
