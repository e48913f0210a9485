import type { ApiClient } from "../api.js";
import { usePolling } from "../polling.js";
import { href } from "../routing.js";

/** Clusters / <cluster name> / <page>, the cluster's name read once. */
export function ClusterBreadcrumbs({ api, clusterId, page }: { api: ApiClient; clusterId: string; page: string }) {
  const cluster = usePolling(
    () => api.showCluster(clusterId),
    `crumb-${clusterId}`,
    () => false,
  );
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <a href={href.clusters()}>Clusters</a> /{" "}
      <a href={href.cluster(clusterId)}>{cluster.data?.metadata.name ?? "Cluster"}</a> / {page}
    </nav>
  );
}
