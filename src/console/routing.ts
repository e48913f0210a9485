import { useEffect, useState } from "react";

/** Pages of the console, addressed by the URL hash so the static server needs no fallback route. */
export type Route =
  | { page: "clusters" }
  | { page: "cluster"; clusterId: string }
  | { page: "upgrade"; clusterId: string }
  | { page: "task"; clusterId: string; taskId: string };

/** Links to pages; each ID is one encoded segment, as `parseRoute` reads it back. */
export const href = {
  clusters: () => "#/",
  cluster: (clusterId: string) => `#/clusters/${encodeURIComponent(clusterId)}`,
  upgrade: (clusterId: string) => `#/clusters/${encodeURIComponent(clusterId)}/upgrade`,
  task: (clusterId: string, taskId: string) =>
    `#/clusters/${encodeURIComponent(clusterId)}/tasks/${encodeURIComponent(taskId)}`,
};

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeSegment);
  const [section, clusterId, sub, taskId] = parts;
  if (section !== "clusters" || !clusterId) return { page: "clusters" };
  if (sub === "upgrade") return { page: "upgrade", clusterId };
  if (sub === "tasks" && taskId) return { page: "task", clusterId, taskId };
  return { page: "cluster", clusterId };
}

/** A malformed escape (`%zz`) is kept as typed, so the page shows that no such cluster exists instead of failing. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function navigate(to: string): void {
  window.location.hash = to;
}
