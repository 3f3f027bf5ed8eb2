import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";

/**
 * PGlite admits one process per data directory. Whoever opens it holds this lock file; the
 * CLI reads it to find the running server and talk to it instead of opening the database.
 */
export type LockInfo = { pid: number; role: "server" | "cli"; adminSocket?: string; url?: string; startedAt: string };

export const lockFile = (dataDir: string) => path.join(dataDir, "latchkey.lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readLock(dataDir: string): LockInfo | null {
  const file = lockFile(dataDir);
  if (!existsSync(file)) return null;
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as LockInfo;
    return alive(info.pid) && info.pid !== process.pid ? info : null;
  } catch {
    return null;
  }
}

export class DataDirInUseError extends Error {}

export function acquireLock(dataDir: string, info: Omit<LockInfo, "pid" | "startedAt">): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = lockFile(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, JSON.stringify({ ...info, pid: process.pid, startedAt: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const cur = JSON.parse(readFileSync(file, "utf8")) as LockInfo;
          if (cur.pid === process.pid) rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readLock(dataDir);
      if (holder) {
        throw new DataDirInUseError(
          `the data directory ${dataDir} is in use by process ${holder.pid} (${holder.role}); stop it first or use the admin CLI, which talks to the running server`,
        );
      }
      rmSync(file, { force: true }); // stale lock left by a process that died
    }
  }
  throw new DataDirInUseError(`could not lock the data directory ${dataDir}`);
}

/** Rewrites the lock's details (the server learns its URL and socket after it binds). */
export function updateLock(dataDir: string, patch: Partial<LockInfo>) {
  const file = lockFile(dataDir);
  const cur = JSON.parse(readFileSync(file, "utf8")) as LockInfo;
  const fd = openSync(file, "w", 0o600);
  writeSync(fd, JSON.stringify({ ...cur, ...patch }));
  closeSync(fd);
}
