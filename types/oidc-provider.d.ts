// oidc-provider ships no TypeScript types; tests use it through a narrow local interface.
declare module "oidc-provider";
