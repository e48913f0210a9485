#!/usr/bin/env bash
# The `backup` hook of a `kubernetes` driver profile on a kubeadm cluster: an etcd snapshot per task on the first
# control-plane node. A TEMPLATE TO ADAPT, not something to run as it is: it assumes kubectl works against the cluster
# (KUBECONFIG), SSH as root to the control-plane node by its Kubernetes name, etcdctl installed there and kubeadm's etcd
# certificates. Copy the snapshot off the node too.
#   CCE_HOOK_PHASE=observe: exit 0 iff this task's snapshot exists (/var/backups/etcd-$CCE_TASK_ID.db, not empty);
#   CCE_HOOK_PHASE=apply: takes it unless it exists; exit 0 = done, anything else = failed. The snapshot is written
#   aside and renamed, so a crash midway never leaves a partial file that observe would take for done.
set -euo pipefail

case "${CCE_HOOK_PHASE:-}" in
  observe | apply) ;;
  *) echo "CCE_HOOK_PHASE is '${CCE_HOOK_PHASE:-}': expected observe or apply" >&2; exit 64 ;;
esac
if ! [[ "${CCE_TASK_ID:-}" =~ ^[A-Za-z0-9-]+$ ]]; then
  echo "CCE_TASK_ID missing or malformed: '${CCE_TASK_ID:-}'" >&2
  exit 64
fi

BACKUP="/var/backups/etcd-$CCE_TASK_ID.db"
CONTROL_PLANE="${CONTROL_PLANE:-$(kubectl get nodes -l node-role.kubernetes.io/control-plane -o jsonpath='{.items[0].metadata.name}')}"

# Every remote command goes through here.
on_node() { ssh -o BatchMode=yes "root@$1" "$2"; }

observe() { on_node "$CONTROL_PLANE" "test -s $BACKUP"; }

apply() {
  on_node "$CONTROL_PLANE" "test -s $BACKUP || { mkdir -p /var/backups \
    && ETCDCTL_API=3 etcdctl snapshot save $BACKUP.part --endpoints https://127.0.0.1:2379 \
      --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt \
      --key /etc/kubernetes/pki/etcd/server.key \
    && mv $BACKUP.part $BACKUP; }"
}

"$CCE_HOOK_PHASE"
