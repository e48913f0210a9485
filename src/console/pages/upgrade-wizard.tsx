import { type FormEvent, useState } from "react";
import type { ApiClient, CheckItem, ClusterNodes, PrecheckTask } from "../api.js";
import { ClusterBreadcrumbs } from "../components/breadcrumbs.js";
import { ErrorNotice, PhaseBadge } from "../components/status.js";
import { POLL_INTERVAL_MS, usePolling } from "../polling.js";
import { href, navigate } from "../routing.js";

const CHECK_DONE = ["Success", "Failed", "Error"];
const DEFAULT_BATCH = 20;

type Pool = ClusterNodes["pools"][number];

/** Target, pre-check, batch size, pool order and backup, then UpgradeCluster; ends on the new task's page. */
export function UpgradeWizard({ api, clusterId }: { api: ApiClient; clusterId: string }) {
  const info = usePolling(
    () => api.upgradeInfo(clusterId),
    `info-${clusterId}`,
    () => false,
  );
  const nodes = usePolling(
    () => api.listNodes(clusterId),
    `nodes-${clusterId}`,
    () => false,
  );
  const targets = info.data?.spec.versionInfo.targetVersions ?? [];
  const current = info.data ? `${info.data.spec.versionInfo.release}-${info.data.spec.versionInfo.patch}` : "…";
  return (
    <>
      <ClusterBreadcrumbs api={api} clusterId={clusterId} page="Upgrade" />
      <h1 tabIndex={-1}>Upgrade from {current}</h1>
      <ErrorNotice error={info.error ?? nodes.error} />
      {info.data && nodes.data && targets.length === 0 && <p>No upgrade path leads from this version.</p>}
      {info.data && nodes.data && targets.length > 0 && (
        <WizardForm api={api} clusterId={clusterId} targets={targets} pools={nodes.data.pools} />
      )}
    </>
  );
}

interface WizardFormProps {
  api: ApiClient;
  clusterId: string;
  targets: string[];
  pools: Pool[];
}

function WizardForm({ api, clusterId, targets, pools }: WizardFormProps) {
  const [target, setTarget] = useState(targets[targets.length - 1] ?? "");
  const [batch, setBatch] = useState(DEFAULT_BATCH);
  const [poolOrder, setPoolOrder] = useState(pools);
  const [backup, setBackup] = useState(false);
  const [precheckId, setPrecheckId] = useState<string>();
  const [skipped, setSkipped] = useState<string[]>([]);
  const [risksAccepted, setRisksAccepted] = useState(false);
  const [progressNote, setProgressNote] = useState<string>();
  const [error, setError] = useState<Error>();

  const precheck = usePolling(
    async () => (precheckId ? api.showPrecheck(clusterId, precheckId) : undefined),
    precheckId ?? "none",
    (task) => task !== undefined && !CHECK_DONE.includes(task.status.phase),
  );
  const checkPassed = precheck.data?.status.phase === "Success";
  const failedItems = precheck.data ? itemsOf(precheck.data).filter(({ item }) => item.phase === "Failed") : [];
  // A check that passed with failed Warning items (risks) lets the user go on once they confirm.
  const risks = checkPassed && failedItems.length > 0;

  const changeTarget = (version: string) => {
    setTarget(version);
    setPrecheckId(undefined);
    setSkipped([]);
  };

  const runPrecheck = async (skipping: string[] = skipped) => {
    setError(undefined);
    setRisksAccepted(false);
    setSkipped(skipping);
    try {
      setPrecheckId((await api.startPrecheck(clusterId, target, skipping)).metadata.uid);
    } catch (failure) {
      setError(failure as Error);
    }
  };

  const startUpgrade = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      if (backup) {
        setProgressNote("Backing up the control plane…");
        await backUpControlPlane(api, clusterId);
      }
      setProgressNote("Starting the upgrade…");
      const nodePoolOrder = Object.fromEntries(poolOrder.map((pool, i) => [pool.id, poolOrder.length - i]));
      const task = await api.startUpgrade(clusterId, { targetVersion: target, userDefinedStep: batch, nodePoolOrder });
      navigate(href.task(clusterId, task.uid));
    } catch (failure) {
      setProgressNote(undefined);
      setError(failure as Error);
    }
  };

  return (
    <form className="card form wizard" onSubmit={startUpgrade}>
      <h2>1. Target version</h2>
      <label htmlFor="target">Target version</label>
      <select id="target" value={target} onChange={(event) => changeTarget(event.target.value)}>
        {targets.map((version) => (
          <option key={version}>{version}</option>
        ))}
      </select>

      <h2>2. Pre-check</h2>
      <p className="hint">
        The upgrade can start once a pre-check of this target has passed; warnings need your confirmation, and a failed
        item can be skipped.
      </p>
      <button type="button" onClick={() => runPrecheck()}>
        Run pre-check
      </button>
      {skipped.length > 0 && <p className="hint">Skipping: {skipped.join(", ")}</p>}
      {precheck.data && <PrecheckResult task={precheck.data} />}
      {precheck.data?.status.phase === "Failed" &&
        [...new Set(failedItems.map(({ item }) => item.name))].map((name) => (
          <button key={name} type="button" onClick={() => runPrecheck([...skipped, name])}>
            Skip {name} and check again
          </button>
        ))}
      {risks && (
        <label className="check">
          <input type="checkbox" checked={risksAccepted} onChange={(event) => setRisksAccepted(event.target.checked)} />{" "}
          I have read the warnings above and want to upgrade anyway
        </label>
      )}

      <h2>3. Strategy</h2>
      <label htmlFor="batch">Largest batch of nodes upgraded at once</label>
      <input
        id="batch"
        type="number"
        min={1}
        max={120}
        value={batch}
        onChange={(event) => setBatch(Number(event.target.value))}
        aria-describedby="batch-hint"
      />
      <p id="batch-hint" className="hint">
        Batches grow 1, 2, 4, … up to this size (userDefinedStep).
      </p>
      <PoolOrder pools={poolOrder} onChange={setPoolOrder} />
      <label className="check">
        <input type="checkbox" checked={backup} onChange={(event) => setBackup(event.target.checked)} /> Back up the
        control plane first
      </label>

      <ErrorNotice error={error ?? precheck.error} />
      {progressNote && <output aria-live="polite">{progressNote}</output>}
      <button
        type="submit"
        className="primary"
        disabled={!checkPassed || (risks && !risksAccepted) || progressNote !== undefined}
      >
        Start upgrade
      </button>
    </form>
  );
}

/** nodePoolOrder: pools higher in the list are upgraded first. */
function PoolOrder({ pools, onChange }: { pools: Pool[]; onChange: (pools: Pool[]) => void }) {
  if (pools.length === 0) return null;
  const move = (from: number, to: number) => {
    const reordered = [...pools];
    const [pool] = reordered.splice(from, 1);
    if (pool) reordered.splice(to, 0, pool);
    onChange(reordered);
  };
  return (
    <fieldset>
      <legend>Node pool order (first upgraded first)</legend>
      <ol className="pool-order">
        {pools.map((pool, i) => (
          <li key={pool.id}>
            <span>
              {pool.name} ({pool.nodeCount} {pool.nodeCount === 1 ? "node" : "nodes"})
            </span>
            <button type="button" onClick={() => move(i, i - 1)} disabled={i === 0} aria-label={`Move ${pool.name} up`}>
              ↑
            </button>
            <button
              type="button"
              onClick={() => move(i, i + 1)}
              disabled={i === pools.length - 1}
              aria-label={`Move ${pool.name} down`}
            >
              ↓
            </button>
          </li>
        ))}
      </ol>
    </fieldset>
  );
}

/** Every item of a pre-check with what it is about: the cluster, the add-ons or a node. */
function itemsOf(task: PrecheckTask): { subject: string; item: CheckItem }[] {
  const { status } = task;
  return [
    ...status.clusterCheckStatus.itemsStatus.map((item) => ({ subject: "cluster", item })),
    ...status.addonCheckStatus.itemsStatus.map((item) => ({ subject: "add-ons", item })),
    ...status.nodeCheckStatus.nodeStageStatus.flatMap((node) =>
      node.itemsStatus.map((item) => ({ subject: node.nodeInfo.name, item })),
    ),
  ];
}

function PrecheckResult({ task }: { task: PrecheckTask }) {
  const { status } = task;
  const items = itemsOf(task);
  return (
    <section aria-label="Pre-check result" aria-live="polite" className="precheck">
      <p>
        Pre-check: <PhaseBadge phase={status.phase} /> {status.message}
      </p>
      {items.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Of</th>
                <th scope="col">Level</th>
                <th scope="col">Result</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map(({ subject, item }) => (
                <tr key={`${subject}-${item.name}`}>
                  <th scope="row">{item.name}</th>
                  <td>{subject}</td>
                  <td>{item.level}</td>
                  <td>
                    <PhaseBadge phase={item.phase} />
                  </td>
                  <td>
                    {item.message}
                    <Risks item={item} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The resources a failed or risky item names (deprecated APIs, nodes, add-ons). */
function Risks({ item }: { item: CheckItem }) {
  const risks = Object.entries(item.riskSource ?? {}).flatMap(([kind, entries]) =>
    (entries ?? []).map((entry) => `${kind.replace(/Risks$/, "")}: ${Object.values(entry).join(" ")}`),
  );
  if (risks.length === 0) return null;
  return (
    <ul className="risks">
      {risks.map((risk) => (
        <li key={risk}>{risk}</li>
      ))}
    </ul>
  );
}

const BACKUP_DEADLINE_MS = 10 * 60 * 1000;

/** Starts a control-plane backup and waits for its result. */
async function backUpControlPlane(api: ApiClient, clusterId: string): Promise<void> {
  const { uid } = await api.startBackup(clusterId);
  const deadline = Date.now() + BACKUP_DEADLINE_MS;
  while (Date.now() < deadline) {
    const phase = (await api.listBackups(clusterId)).items.find((task) => task.metadata.uid === uid)?.status.phase;
    if (phase === "Success") return;
    if (phase === "Failed") throw new Error("the control-plane backup failed; the upgrade was not started");
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error("the control-plane backup did not finish in time; the upgrade was not started");
}
