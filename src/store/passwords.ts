import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { availableParallelism } from "node:os";

/**
 * scrypt is CPU-bound and runs on libuv's thread pool (4 threads): more at once than cores adds no throughput, only
 * slows the event loop (on 2 cores, 16 guessing clients put /healthz at a 74 ms median with 4 at once, 33 ms with 2)
 * and takes threads that file and DNS work need.
 */
const MAX_CONCURRENT_HASHES = Math.min(4, availableParallelism());
const KEY_BYTES = 32;
/** Stands in for the hash of a user that does not exist, so that checking one costs the same scrypt. */
const NOBODY_HASH = `scrypt$${randomBytes(16).toString("hex")}$${randomBytes(KEY_BYTES).toString("hex")}`;

let running = 0;
const waiting: (() => void)[] = [];

/** Runs `work` when one of the hashing slots is free, so guessing clients cannot pile up scrypt calls. */
async function inHashingSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function scryptKey(password: string, salt: Buffer, length: number): Promise<Buffer> {
  return inHashingSlot(
    () =>
      new Promise((resolve, reject) =>
        scrypt(password, salt, length, (error, key) => (error ? reject(error) : resolve(key))),
      ),
  );
}

/** A salted scrypt hash, `scrypt$<salt>$<key>`; checked with `verifyPassword`. Off the event loop. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString("hex")}$${(await scryptKey(password, salt, KEY_BYTES)).toString("hex")}`;
}

/**
 * Checks a password against `hashPassword`'s output in constant time, off the event loop. Without a stored hash (no
 * such user) it hashes anyway and answers false, so an unknown user takes as long as a wrong password.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const [scheme, salt, key] = (stored ?? NOBODY_HASH).split("$");
  if (scheme !== "scrypt" || !salt || !key) return false;
  const expected = Buffer.from(key, "hex");
  const actual = await scryptKey(password, Buffer.from(salt, "hex"), expected.length);
  return timingSafeEqual(actual, expected) && stored !== undefined;
}

/** Hex SHA-256: how tokens are stored and looked up. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
