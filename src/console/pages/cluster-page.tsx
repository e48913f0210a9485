import { type ApiClient, ApiFailure } from "../api.js";
import { ErrorNotice, PhaseBadge, ProgressBar } from "../components/status.js";
import { usePolling } from "../polling.js";
import { href } from "../routing.js";

/** One cluster: its version and phase, a way into the upgrade wizard, and its upgrade history. */
export function ClusterPage({ api, clusterId }: { api: ApiClient; clusterId: string }) {
  const cluster = usePolling(() => api.showCluster(clusterId), `cluster-${clusterId}`);
  const history = usePolling(() => api.listUpgrades(clusterId), `history-${clusterId}`);
  const name = cluster.data?.metadata.name ?? clusterId;
  if (cluster.error instanceof ApiFailure && cluster.error.status === 404)
    return <UnknownCluster clusterId={clusterId} />;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a href={href.clusters()}>Clusters</a> / {name}
      </nav>
      <h1 tabIndex={-1}>Cluster {name}</h1>
      <ErrorNotice error={cluster.error ?? history.error} />
      {cluster.data && (
        <dl className="facts">
          <dt>Version</dt>
          <dd>{cluster.data.spec.version}</dd>
          <dt>Platform version</dt>
          <dd>{cluster.data.spec.platformVersion}</dd>
          <dt>Phase</dt>
          <dd>
            <PhaseBadge phase={cluster.data.status.phase} />
          </dd>
        </dl>
      )}
      <p>
        <a className="button primary" href={href.upgrade(clusterId)}>
          Upgrade this cluster
        </a>
      </p>
      <h2>Upgrade history</h2>
      {history.data === undefined ? (
        <p>Loading…</p>
      ) : history.data.length === 0 ? (
        <p>This cluster has never been upgraded.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Phase</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {history.data.map((task) => (
                <tr key={task.metadata.uid}>
                  <th scope="row">
                    <a href={href.task(clusterId, task.metadata.uid)}>{task.metadata.creationTimestamp}</a>
                  </th>
                  <td>{task.spec.version}</td>
                  <td>{task.spec.targetVersion}</td>
                  <td>
                    <PhaseBadge phase={task.status.phase} />
                  </td>
                  <td>
                    <ProgressBar
                      progress={task.status.progress}
                      label={`Progress of the upgrade to ${task.spec.targetVersion}`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** A cluster the project does not have: said so, with nothing to act on but the way back. */
function UnknownCluster({ clusterId }: { clusterId: string }) {
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a href={href.clusters()}>Clusters</a> / {clusterId}
      </nav>
      <h1 tabIndex={-1}>Cluster {clusterId}</h1>
      <p role="alert" className="notice notice-error">
        This project has no cluster {clusterId}.
      </p>
      <p>
        <a href={href.clusters()}>Back to the clusters</a>
      </p>
    </>
  );
}
