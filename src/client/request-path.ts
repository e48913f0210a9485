import { encodeRfc3986 } from "../domain/signing/sdk-hmac-sha256.js";

/** Values for a path template's `{name}` placeholders. */
export type PathValues = Readonly<Record<string, unknown>>;

/**
 * Fills a path template. Each value becomes exactly one percent-encoded segment, so a `/`, `?` or `#` in an ID cannot
 * reach another route; `.` and `..` are refused because URL parsing would resolve them as dot-segments.
 */
export function expandPath(template: string, values: PathValues): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => pathSegment(name, values[name]));
}

/** `?k=v&…` for the given values (undefined ones left out), encoded as the signer canonicalises them. */
export function queryString(values: Readonly<Record<string, string | undefined>>): string {
  const pairs = Object.entries(values).filter((pair): pair is [string, string] => pair[1] !== undefined);
  if (pairs.length === 0) return "";
  // URLSearchParams would send a space as `+`, which the server's signature check reads as a literal plus.
  return `?${pairs.map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`).join("&")}`;
}

function pathSegment(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "" || value === "." || value === "..") {
    throw new TypeError(`${name}: ${JSON.stringify(value)} is not a valid ID`);
  }
  return encodeRfc3986(value);
}
