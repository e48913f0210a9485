#!/usr/bin/env bash
# The `nodeUpgrade` hook of a `kubernetes` driver profile on a kubeadm cluster: a TEMPLATE TO ADAPT, not something to
# run as it is. It assumes kubectl works against the cluster (KUBECONFIG), SSH as root to every node by its Kubernetes
# name, and the Debian packages of pkgs.k8s.io as kubeadm's install guide sets them up
# (/etc/apt/sources.list.d/kubernetes.list). Read it, change it, try it on a test cluster.
#
# The service cordons and drains CCE_TARGET (a Kubernetes node name) before apply, then itself waits for the node to be
# Ready with the target kubeletVersion and uncordons it: this script only changes the node's version.
#   CCE_HOOK_PHASE=observe: exit 0 iff the node's kubelet already reports the target version;
#   CCE_HOOK_PHASE=apply: kubeadm upgrade node, the kubeadm/kubelet/kubectl packages, a kubelet restart; exit 0 = done,
#   anything else = failed. Apply may come again with the same CCE_IDEMPOTENCY_KEY after a crash: it reads the
#   installed kubelet first and never upgrades a node twice.
set -euo pipefail

case "${CCE_HOOK_PHASE:-}" in
  observe | apply) ;;
  *) echo "CCE_HOOK_PHASE is '${CCE_HOOK_PHASE:-}': expected observe or apply" >&2; exit 64 ;;
esac
if ! [[ "${CCE_TO_VERSION:-}" =~ ^v[0-9]+\.[0-9]+(\.[0-9]+)?(-r[0-9]+)?$ ]] || [ -z "${CCE_TARGET:-}" ]; then
  echo "CCE_TARGET or CCE_TO_VERSION missing or malformed: '${CCE_TARGET:-}' '${CCE_TO_VERSION:-}'" >&2
  exit 64
fi

# CCE versions carry a revision Kubernetes does not: v1.29.15-r50 is Kubernetes 1.29.15, packages 1.29.15-*.
# A target without patch (v1.29) takes the newest 1.29 package and is met by any 1.29 patch.
K8S="${CCE_TO_VERSION%%-r*}" && K8S="${K8S#v}"
MINOR="v$(cut -d. -f1,2 <<<"$K8S")"
if [[ "$K8S" == *.*.* ]]; then PACKAGE="$K8S-*"; else PACKAGE="$K8S.*"; fi

# Every remote command goes through here.
on_node() { ssh -o BatchMode=yes "root@$1" "$2"; }

# Whether a version (v1.29.15, 1.29.15-1.1, v1.29.15+k3s1) is the target's.
at_target() {
  local core="${1#v}"
  core="${core%%[-+]*}"
  [[ "$core" == "$K8S" || "$core" == "$K8S".* ]]
}

observe() { at_target "$(kubectl get node "$CCE_TARGET" -o jsonpath='{.status.nodeInfo.kubeletVersion}')"; }

apply() {
  local installed
  installed="$(on_node "$CCE_TARGET" "dpkg-query -W -f='\${Version}' kubelet")"
  if at_target "$installed"; then
    # Installed by an earlier call: at most the kubelet's restart is missing.
    observe || on_node "$CCE_TARGET" "systemctl daemon-reload && systemctl restart kubelet"
    return 0
  fi
  on_node "$CCE_TARGET" "set -e
    export DEBIAN_FRONTEND=noninteractive
    sed -i 's#/core:/stable:/v[0-9.]*/deb/#/core:/stable:/$MINOR/deb/#' /etc/apt/sources.list.d/kubernetes.list
    apt-get update -q
    apt-get install -y -q --allow-change-held-packages kubeadm='$PACKAGE'
    kubeadm upgrade node
    apt-get install -y -q --allow-change-held-packages kubelet='$PACKAGE' kubectl='$PACKAGE'
    systemctl daemon-reload && systemctl restart kubelet"
}

"$CCE_HOOK_PHASE"
