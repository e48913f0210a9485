#!/usr/bin/env bash
# A kubeadm recipe for every step kind of a cce-upgrade plan: a TEMPLATE TO ADAPT, not something to run as it is.
# It assumes kubectl works against the cluster (KUBECONFIG), SSH as root to every node by its Kubernetes name,
# Debian packages from pkgs.k8s.io and etcd on the control-plane node. Read it, change it, try it on a test cluster.
#
# The contract (the same for the exec driver and for examples/hooks/webhook-receiver.mjs):
#   the step request arrives as JSON on stdin and in CCE_* variables;
#   CCE_HOOK_PHASE=observe asks "is this already done?": exit 0 = yes, anything else = no;
#   CCE_HOOK_PHASE=apply does it: exit 0 = done, 75 = call me again later, anything else = failed (stderr's last lines
#   become the task's failure reason). Apply may be repeated with the same CCE_IDEMPOTENCY_KEY after a crash:
#   it must not act twice, which is why every branch checks the cluster first.
set -euo pipefail

CONTROL_PLANE="${CONTROL_PLANE:-$(kubectl get nodes -l node-role.kubernetes.io/control-plane -o jsonpath='{.items[0].metadata.name}')}"
# CCE versions carry a release suffix (v1.29.15-r50); kubeadm wants the Kubernetes version (v1.29.15).
K8S_VERSION="${CCE_TO_VERSION%%-r*}"
PACKAGE_VERSION="${K8S_VERSION#v}-*"
BACKUP="/var/backups/etcd-${CCE_TASK_ID}.db"

on_node() { ssh -o BatchMode=yes "root@$1" "$2"; }

kubelet_version() { kubectl get node "$1" -o jsonpath='{.status.nodeInfo.kubeletVersion}'; }

server_version() { kubectl version -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | tail -n 1; }

observe() {
  case "$CCE_STEP_KIND" in
    precheck) return 1 ;; # cheap and harmless: always run it again
    backup) on_node "$CONTROL_PLANE" "test -s $BACKUP" ;;
    master) [ "$(server_version)" = "$K8S_VERSION" ] ;;
    addon) return 1 ;; # e.g. compare `helm list -o json` with CCE_TO_VERSION
    node) [ "$(kubelet_version "$CCE_TARGET")" = "$K8S_VERSION" ] ;;
  esac
}

apply() {
  case "$CCE_STEP_KIND" in
    precheck)
      kubectl get nodes --no-headers | awk '$2 != "Ready" { print "node " $1 " is " $2 > "/dev/stderr"; bad = 1 } END { exit bad }'
      on_node "$CONTROL_PLANE" "kubeadm upgrade plan $K8S_VERSION" >/dev/null
      ;;
    backup)
      on_node "$CONTROL_PLANE" "test -s $BACKUP || ETCDCTL_API=3 etcdctl snapshot save $BACKUP \
        --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt \
        --key /etc/kubernetes/pki/etcd/server.key"
      ;;
    master)
      observe && return 0
      on_node "$CONTROL_PLANE" "apt-get install -y --allow-change-held-packages kubeadm=$PACKAGE_VERSION \
        && kubeadm upgrade apply -y $K8S_VERSION \
        && apt-get install -y --allow-change-held-packages kubelet=$PACKAGE_VERSION kubectl=$PACKAGE_VERSION \
        && systemctl daemon-reload && systemctl restart kubelet"
      ;;
    addon)
      echo "add-on $CCE_TARGET: put your helm upgrade or kubectl apply for $CCE_TO_VERSION here" >&2
      return 1
      ;;
    node)
      observe && { kubectl uncordon "$CCE_TARGET"; return 0; }
      kubectl drain "$CCE_TARGET" --ignore-daemonsets --delete-emptydir-data --timeout=300s
      on_node "$CCE_TARGET" "apt-get install -y --allow-change-held-packages kubeadm=$PACKAGE_VERSION \
        && kubeadm upgrade node \
        && apt-get install -y --allow-change-held-packages kubelet=$PACKAGE_VERSION \
        && systemctl daemon-reload && systemctl restart kubelet"
      # The kubelet takes a moment to report its new version: ask to be called again rather than wait here.
      [ "$(kubelet_version "$CCE_TARGET")" = "$K8S_VERSION" ] || exit 75
      kubectl uncordon "$CCE_TARGET"
      ;;
  esac
}

"$CCE_HOOK_PHASE"
