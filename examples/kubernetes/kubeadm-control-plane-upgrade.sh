#!/usr/bin/env bash
# The `controlPlaneUpgrade` hook of a `kubernetes` driver profile on a kubeadm cluster: a TEMPLATE TO ADAPT, not
# something to run as it is. It assumes kubectl works against the cluster (KUBECONFIG), SSH as root to every
# control-plane node by its Kubernetes name, and the Debian packages of pkgs.k8s.io as kubeadm's install guide sets them
# up (/etc/apt/sources.list.d/kubernetes.list). Read it, change it, try it on a test cluster.
#
# apply: `kubeadm upgrade apply` on the first control-plane node, then `kubeadm upgrade node` on the others. The
# kubelets are left alone: a control-plane node is a node of the cluster's inventory like any other, and the node step
# drains it and upgrades its kubelet (examples/kubernetes/kubeadm-node-upgrade.sh). After apply the service itself waits
# until GET /version reports the target.
#   CCE_HOOK_PHASE=observe: exit 0 iff the API server already reports the target version;
#   CCE_HOOK_PHASE=apply: exit 0 = done, anything else = failed. Apply may come again with the same CCE_IDEMPOTENCY_KEY
#   after a crash: a node whose kube-scheduler (the last static pod kubeadm replaces) runs the target is skipped. On the
#   first node kubeadm's add-on phase (CoreDNS, kube-proxy) follows; after a crash there, run `kubeadm upgrade apply`
#   again by hand (kubeadm allows it at the same version).
set -euo pipefail

case "${CCE_HOOK_PHASE:-}" in
  observe | apply) ;;
  *) echo "CCE_HOOK_PHASE is '${CCE_HOOK_PHASE:-}': expected observe or apply" >&2; exit 64 ;;
esac
if ! [[ "${CCE_TO_VERSION:-}" =~ ^v[0-9]+\.[0-9]+(\.[0-9]+)?(-r[0-9]+)?$ ]]; then
  echo "CCE_TO_VERSION missing or malformed: '${CCE_TO_VERSION:-}'" >&2
  exit 64
fi

# v1.29.15-r50 is Kubernetes 1.29.15, packages 1.29.15-*; a target without patch (v1.29) takes the newest 1.29 package.
K8S="${CCE_TO_VERSION%%-r*}" && K8S="${K8S#v}"
MINOR="v$(cut -d. -f1,2 <<<"$K8S")"
if [[ "$K8S" == *.*.* ]]; then PACKAGE="$K8S-*"; else PACKAGE="$K8S.*"; fi

# Every remote command goes through here.
on_node() { ssh -o BatchMode=yes "root@$1" "$2"; }

at_target() {
  local core="${1#v}"
  core="${core%%[-+]*}"
  [[ "$core" == "$K8S" || "$core" == "$K8S".* ]]
}

observe() { at_target "$(kubectl get --raw /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p')"; }

# Installs the target's kubeadm on a node and runs `kubeadm upgrade $2` there, at the version of that kubeadm.
upgrade_on() {
  local image
  image="$(kubectl -n kube-system get pod "kube-scheduler-$1" -o jsonpath='{.spec.containers[0].image}')"
  if at_target "${image##*:}"; then return 0; fi
  on_node "$1" "set -e
    export DEBIAN_FRONTEND=noninteractive
    sed -i 's#/core:/stable:/v[0-9.]*/deb/#/core:/stable:/$MINOR/deb/#' /etc/apt/sources.list.d/kubernetes.list
    apt-get update -q
    apt-get install -y -q --allow-change-held-packages kubeadm='$PACKAGE'
    kubeadm upgrade $2"
}

apply() {
  local nodes
  read -r -a nodes <<<"$(kubectl get nodes -l node-role.kubernetes.io/control-plane -o jsonpath='{.items[*].metadata.name}')"
  if [ "${#nodes[@]}" -eq 0 ]; then
    echo "no node has the label node-role.kubernetes.io/control-plane" >&2
    exit 1
  fi
  upgrade_on "${nodes[0]}" 'apply -y "$(kubeadm version -o short)"'
  for node in "${nodes[@]:1}"; do upgrade_on "$node" node; done
}

"$CCE_HOOK_PHASE"
