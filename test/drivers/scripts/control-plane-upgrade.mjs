#!/usr/bin/env node
// A controlPlaneUpgrade exec hook for the fake Kubernetes API server (test/support/fake-kubernetes.ts), called as
// `control-plane-upgrade.mjs URL TOKEN` with the step request on stdin. apply: asks the fake's API server to run the
// target version and exits 0; observe: exits 1 (the kubernetes driver reads /version itself).
const [url, token] = process.argv.slice(2);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
if (request.phase !== "apply") process.exit(1);
const answer = await fetch(`${url}/fake/control-plane/upgrade`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ version: request.toVersion }),
});
if (!answer.ok) {
  process.stderr.write(`upgrading the control plane: ${answer.status}\n`);
  process.exit(1);
}
