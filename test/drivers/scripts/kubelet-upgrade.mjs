#!/usr/bin/env node
// A node-upgrade exec hook for the fake Kubernetes API server (test/support/fake-kubernetes.ts), called as
// `kubelet-upgrade.mjs URL TOKEN` with the step request on stdin (or, when stdin is empty, in CCE_* variables).
// apply: asks the node's simulated kubelet for the upgrade and exits 0; the node then goes NotReady and comes back.
// observe: exits 0 when the node already reports the target version, 1 when it does not yet.
const [url, token] = process.argv.slice(2);
if (!url || !token) fail("usage: kubelet-upgrade.mjs URL TOKEN");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const stdin = Buffer.concat(chunks).toString("utf8").trim();
const request = stdin === "" ? {} : JSON.parse(stdin);
const phase = request.phase ?? process.env.CCE_HOOK_PHASE;
const node = request.target?.name ?? process.env.CCE_TARGET;
const toVersion = request.toVersion ?? process.env.CCE_TO_VERSION;
if (!node || !toVersion) fail("the request names no target node or no target version");

const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const nodeUrl = (path) => `${url}${path.replace("{node}", encodeURIComponent(node))}`;

if (phase === "apply") {
  const answer = await fetch(nodeUrl("/fake/kubelet/{node}/upgrade"), {
    method: "POST",
    headers,
    body: JSON.stringify({ version: toVersion }),
  });
  if (!answer.ok) fail(`upgrading the kubelet of ${node}: ${answer.status} ${await answer.text()}`);
  process.exit(0);
}
if (phase === "observe") {
  const answer = await fetch(nodeUrl("/api/v1/nodes/{node}"), { headers });
  if (!answer.ok) fail(`reading node ${node}: ${answer.status} ${await answer.text()}`);
  const reported = (await answer.json()).status.nodeInfo.kubeletVersion;
  process.exit(reported === releaseVersion(toVersion) ? 0 : 1);
}
fail(`unknown hook phase ${phase}`);

/** The fake's rule for what a kubelet reports: `v1.29` as `v1.29.0`, `v1.29.13-r10` as `v1.29.13`. */
function releaseVersion(version) {
  // CCE's revision (`-r10`) is CCE's own, not Kubernetes'.
  const kubernetes = version.replace(/-r\d+$/, "");
  return /^v?\d+\.\d+$/.test(kubernetes) ? `v${kubernetes.replace(/^v/, "")}.0` : kubernetes;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
