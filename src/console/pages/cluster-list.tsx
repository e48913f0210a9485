import type { ApiClient, Cluster } from "../api.js";
import { ErrorNotice, PhaseBadge } from "../components/status.js";
import { usePolling } from "../polling.js";
import { href } from "../routing.js";

interface ClusterRow {
  readonly cluster: Cluster;
  readonly nodeCount: number;
}

async function loadClusterRows(api: ApiClient): Promise<ClusterRow[]> {
  const clusters = await api.listClusters();
  const nodes = await Promise.all(clusters.map((cluster) => api.listNodes(cluster.metadata.uid)));
  return clusters.map((cluster, i) => ({ cluster, nodeCount: nodes[i]?.items.length ?? 0 }));
}

export function ClusterList({ api }: { api: ApiClient }) {
  const { data: rows, error } = usePolling(() => loadClusterRows(api), "clusters");
  return (
    <>
      <h1 tabIndex={-1}>Clusters</h1>
      <ErrorNotice error={error} />
      {rows === undefined ? (
        <p>Loading…</p>
      ) : rows.length === 0 ? (
        <p>This project has no clusters.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Phase</th>
                <th scope="col">Nodes</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ cluster, nodeCount }) => (
                <tr key={cluster.metadata.uid}>
                  <th scope="row">
                    <a href={href.cluster(cluster.metadata.uid)}>{cluster.metadata.name}</a>
                  </th>
                  <td>{cluster.spec.version}</td>
                  <td>
                    <PhaseBadge phase={cluster.status.phase} />
                  </td>
                  <td>{nodeCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
