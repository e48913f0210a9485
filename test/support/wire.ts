import { expect } from "vitest";

/** Go `time.Time.String()` with a numeric offset and zone abbreviation, as CCE prints timestamps. */
export const GO_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d*[1-9])? [+-]\d{4} [A-Z]{3,5}$/;

/** The key paths of a JSON value (`status.phase`, `items[].metadata.uid`), sorted. */
export function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.length ? keyPaths(value[0], `${prefix}[]`) : [`${prefix}[]`];
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Object.entries(value);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, child]) => keyPaths(child, prefix ? `${prefix}.${key}` : key)).sort();
}

/** Asserts a CCE error body: both key forms with the same code and message, and the request ID header. */
export function expectCceError(
  response: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
): Record<string, string> {
  const body = response.json() as Record<string, string>;
  expect({ status: response.statusCode, code: body.errorCode }).toEqual({ status, code });
  expect(body.error_code).toBe(code);
  expect(body.error_msg).toBe(body.errorMessage);
  expect(typeof body.errorMessage).toBe("string");
  expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  if (code.startsWith("APIGW.")) expect(body.request_id).toBe(response.headers["x-request-id"]);
  return body;
}
