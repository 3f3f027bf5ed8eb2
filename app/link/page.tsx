import type { Metadata } from "next";
import { LinkApp } from "./link-app";

// Public by design: the end user has no dashboard account. What they may do is decided by
// the link token in the URL fragment (redeemed by the client) and the session it opens.
export const metadata: Metadata = {
  title: "Connect your accounts",
  robots: { index: false, follow: false },
  referrer: "no-referrer",
};
export const dynamic = "force-dynamic";

export default function LinkPage() {
  return <LinkApp />;
}
