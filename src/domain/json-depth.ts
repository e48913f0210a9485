/** How deep a request body may nest objects and arrays: deeper ones are refused before anything reads them. */
export const JSON_MAX_DEPTH = 64;

/** Whether a JSON value nests objects and arrays more than `limit` deep: walked, as recursion would overflow. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== "object") continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}
