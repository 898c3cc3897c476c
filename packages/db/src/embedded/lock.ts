// One process at a time per embedded data directory. PGlite has no postmaster to refuse a second
// opener, and two processes writing the same files would corrupt them, so a lock file holding the
// owner's pid sits in the data dir. A lock whose pid is dead is taken over (a crash or kill -9).
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE_NAME = 'embedded.lock';

export class EmbeddedDatabaseInUseError extends Error {
  readonly dataDir: string;
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    const holder = pid === process.pid ? 'this process (it is already open here)' : `process ${pid}`;
    super(
      `The embedded database in ${dataDir} is in use by ${holder}. ` +
        'The embedded PostgreSQL serves one process at a time: stop that process, ' +
        'or set DATABASE_URL to use a real PostgreSQL server instead.',
    );
    this.name = 'EmbeddedDatabaseInUseError';
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

// Shared by every copy of this module in the process (vitest or bundlers may load it twice),
// so "already open here" is known even then. Worker threads have their own globalThis.
const registryKey = Symbol.for('personal-automations.db.embedded.openDirs');
const globalRegistry = globalThis as unknown as Record<symbol, Set<string> | undefined>;
const openHere: Set<string> = globalRegistry[registryKey] ?? new Set<string>();
globalRegistry[registryKey] = openHere;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLockPid(lockPath: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockPath, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Creates the lock file atomically, pid already inside (hard link of a temp file); false when one exists. */
function tryCreate(lockPath: string): boolean {
  const tempPath = `${lockPath}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tempPath, `${process.pid}\n`);
  try {
    fs.linkSync(tempPath, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(tempPath, { force: true });
  }
}

/**
 * Takes the data dir's lock for this process, or throws EmbeddedDatabaseInUseError.
 * Stale: the pid is dead, or it is this process's own pid while this process holds no such
 * lock (a container restarted with the same pid). Returns the release function.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  if (openHere.has(dataDir)) throw new EmbeddedDatabaseInUseError(dataDir, process.pid);
  const lockPath = path.join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(lockPath)) {
      openHere.add(dataDir);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        openHere.delete(dataDir);
        if (readLockPid(lockPath) === process.pid) fs.rmSync(lockPath, { force: true });
      };
    }
    const holder = readLockPid(lockPath);
    if (holder !== null && holder !== process.pid && isAlive(holder)) throw new EmbeddedDatabaseInUseError(dataDir, holder);
    // Stale (or garbage): remove it, but only if it
    // still names the same holder, so a racing process that just took it over keeps it.
    if (readLockPid(lockPath) === holder) fs.rmSync(lockPath, { force: true });
  }
  throw new Error(`Could not take the lock ${lockPath}: it keeps changing hands`);
}
