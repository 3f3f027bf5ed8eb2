/** Finds the directory holding initdb and pg_ctl. */
export function findBindir(): string;
/** Starts the throwaway cluster (once per process); resolves with its superuser URL. */
export function start(): Promise<string>;
/** Stops the cluster and removes its directory. */
export function stop(): Promise<void>;
export function info(): { url: string; port: number; bindir: string; dir: string } | null;
