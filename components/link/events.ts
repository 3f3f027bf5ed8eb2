// The event types and checks, shared by the hosted page, the component and the hook.
export { acceptLinkMessage, embedLinkUrl, isAllowedOrigin, isValidEmbedOrigin, LINK_EVENT_SOURCE, linkEventTypes, parseLinkEvent } from "@/lib/link/events";
export type { LinkEvent, LinkEventConnection, LinkEventError, LinkEventBody, LinkEventType, LinkExitReason } from "@/lib/link/events";
