#!/bin/bash
# Stop or start the nova-compute service of one host of a devstack cloud.
#
# usage: tracker-compute-service.sh [--fake-host-prefix PREFIX]
#            [--ssh-user USER] {stop|start} HOST
#
# devstack/plugin.sh writes it into [tracker] compute_stop_command and
# compute_start_command with HOST as the {host} placeholder, so HOST is the
# host name of a nova-compute service. It is mapped to a systemd unit the
# way devstack's lib/nova start_nova_compute names them:
#
# - VIRT_DRIVER=fake runs NUMBER_FAKE_NOVA_COMPUTE services on one node, the
#   i-th with host "${HOSTNAME}i" in unit devstack@n-cpu-i. PREFIX is that
#   HOSTNAME: HOST = PREFIX followed by a number i selects devstack@n-cpu-i.
# - Any other HOST naming this node selects devstack@n-cpu.
# - Any other HOST is another node: with --ssh-user, its devstack@n-cpu is
#   controlled through "ssh USER@HOST"; without, the script fails.
#
# systemctl runs through "sudo -n", so the user running this script needs
# passwordless sudo (devstack's STACK_USER has it).

set -o errexit -o nounset -o pipefail

usage() {
    echo "usage: $0 [--fake-host-prefix PREFIX] [--ssh-user USER]" \
        "{stop|start} HOST" >&2
    exit 2
}

fail() {
    echo "$0: $*" >&2
    exit 2
}

fake_prefix=""
ssh_user=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --fake-host-prefix)
            [[ $# -ge 2 ]] || usage
            fake_prefix=$2
            shift 2
            ;;
        --ssh-user)
            [[ $# -ge 2 ]] || usage
            ssh_user=$2
            shift 2
            ;;
        -*)
            usage
            ;;
        *)
            break
            ;;
    esac
done
[[ $# -eq 2 ]] || usage
action=$1
host=$2

case "$action" in
    stop|start) ;;
    *) fail "unknown action '$action': expected stop or start" ;;
esac

# A host name reaches ssh and systemctl as an argument: accept host names
# only, so that nothing starting with "-" can become an option.
if [[ ! "$host" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    fail "'$host' is not a host name"
fi

if [[ -n "$fake_prefix" && "$host" == "$fake_prefix"* ]]; then
    index=${host#"$fake_prefix"}
    if [[ "$index" =~ ^[1-9][0-9]*$ ]]; then
        exec sudo -n systemctl "$action" "devstack@n-cpu-$index"
    fi
fi

if [[ "$host" == "$(hostname)" || "$host" == "$(hostname -s)" ]]; then
    exec sudo -n systemctl "$action" devstack@n-cpu
fi

if [[ -z "$ssh_user" ]]; then
    fail "$host is not this node ($(hostname)) and no --ssh-user was given"
fi
exec ssh -o BatchMode=yes -o ConnectTimeout=30 "$ssh_user@$host" \
    sudo -n systemctl "$action" devstack@n-cpu
