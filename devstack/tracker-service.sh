#!/bin/bash
# Service control and fault injection for tracker_tests on a devstack cloud.
#
# usage: tracker-service.sh [--this-node] [--user-units] compute stop|start|kill HOST
#        tracker-service.sh [--this-node] [--user-units] compute fault HOST clear|show
#        tracker-service.sh [--this-node] [--user-units] compute fault HOST \
#            METHOD raise|sleep|sleep-raise [--seconds N] [--count K] \
#            [--exception NAME] [--instance UUID]
#        tracker-service.sh service stop|start|kill|freeze|thaw NAME
#        tracker-service.sh placement fault clear|show
#        tracker-service.sh placement fault METHOD PATH_REGEX 409|503|delay \
#            [--seconds N] [--count K]
#
# devstack/plugin.sh writes it into the [tracker] command templates of
# tempest.conf, run as STACK_USER (through a sudoers rule when tempest runs
# as another user). The words mirror tools/localcloud's.
#
# compute: HOST is the host of a nova-compute service. On this node it is
#   found in devstack's nova configuration: the N-th VIRT_DRIVER=fake
#   compute has "host" in /etc/nova/nova-fake.conf-N and runs in unit
#   devstack@n-cpu-N; any other driver runs one compute, devstack@n-cpu,
#   whose host is nova-cpu.conf's [DEFAULT] host or this node's name.
#   Another node's compute is reached with ssh as SSH_USER, running this
#   same script there (the plugin's checkout sits at the same path on every
#   node of a devstack job) with --this-node: the node is HOST itself or,
#   for a fake compute named "<node>N", HOST without its trailing digits.
#   fault runs tracker_tests.faults.cli against the compute's state_path;
#   the compute must run tracker_tests' fault driver.
# service: NAME is one of SERVICES below, mapped to its systemd units.
#   stop: SIGTERM (systemctl stop); kill: SIGKILL, then the unit is stopped
#   so that devstack's Restart=always (uwsgi units) does not restart it
#   behind the test's back; freeze: SIGSTOP; thaw: SIGCONT. start and thaw
#   return once the service answers again, or fail after WAIT_TIMEOUT.
#   The message bus answers when RabbitMQ does and, with BUS_QUEUES_FILE,
#   once every queue (of every vhost) that had a consumer before its stop,
#   kill or freeze has one again (sudo rabbitmqctl), waited for by the next
#   start or thaw only: nova's services reconnect seconds after the broker
#   is back, and what is sent to a queue not declared again yet is lost.
# placement: Placement's fault file, read by tracker_tests' middleware that
#   devstack/plugin.sh put in front of devstack's placement-api.
#
# devstack's own units (devstack@*) are user units with USER_UNITS=True
# (systemctl --user), system units otherwise (sudo systemctl, as devstack's
# SYSTEMCTL); rabbitmq-server and the database are always system units.
#
# Settings: KEY=VALUE lines of SETTINGS_FILE (written by devstack/plugin.sh,
# owned by root), else the defaults below. Arguments never choose what runs
# or where: a sudoers rule may let another user run this script.
#
# Exit status: 0 done (or nothing to do, said so); 1 failed, or a service
# did not answer in time; 2 bad usage, unknown service or host, bad
# settings; 3 (with --this-node) HOST is not a compute of this node.

set -o errexit -o nounset -o pipefail

PROG=$(basename "$0")
SELF=$(cd "$(dirname "$0")" && pwd)/$PROG
SETTINGS_FILE=${TRACKER_SERVICE_CONF:-/etc/tracker-tempest-plugin/devstack-services.conf}
EXIT_FAILED=1
EXIT_USAGE=2
EXIT_NOT_HERE=3

SERVICES="placement nova-api nova-conductor nova-scheduler keystone message-bus database"
SERVICE_ACTIONS="stop start kill freeze thaw"
COMPUTE_ACTIONS="stop start kill fault"

# Settings and their defaults.
SETTING_NAMES="USER_UNITS SSH_USER REMOTE_HELPER NOVA_CONF_DIR PLUGIN_DIR
PYTHON WAIT_TIMEOUT CHECK_TIMEOUT POLL_INTERVAL PLACEMENT_URL KEYSTONE_URL
NOVA_API_URL CONDUCTOR_UNITS SERVICE_HOSTNAME OPENSTACK OS_CLOUD
OS_REGION_NAME RABBIT_HOST RABBIT_PORT DATABASE_TYPE DATABASE_UNIT
DATABASE_HOST DATABASE_PORT PLACEMENT_FAULT_FILE BUS_QUEUES_FILE"
USER_UNITS=False
# Empty: another node's compute cannot be reached.
SSH_USER=""
REMOTE_HELPER=$SELF
NOVA_CONF_DIR=/etc/nova
PLUGIN_DIR=$(dirname "$(dirname "$SELF")")
PYTHON=python3
WAIT_TIMEOUT=120
# One readiness check (HTTP request, TCP greeting); a frozen service
# accepts connections but never answers.
CHECK_TIMEOUT=5
POLL_INTERVAL=2
PLACEMENT_URL=""
KEYSTONE_URL=""
NOVA_API_URL=""
# devstack service names (units devstack@NAME): CELLSV2_SETUP=superconductor
CONDUCTOR_UNITS="n-super-cond n-cond-cell1"
# The host of this node's nova-conductor and nova-scheduler records.
SERVICE_HOSTNAME=""
OPENSTACK=openstack
OS_CLOUD=devstack-admin
OS_REGION_NAME=RegionOne
RABBIT_HOST=""
RABBIT_PORT=5672
DATABASE_TYPE=mysql
DATABASE_UNIT=mysql
DATABASE_HOST=""
DATABASE_PORT=""
PLACEMENT_FAULT_FILE=""
# Where an outage of the message bus notes the queues to wait for; empty:
# the bus answers when RabbitMQ does.
BUS_QUEUES_FILE=""
# The queues this start or thaw of the message bus waits for.
BUS_QUEUES=""

usage() {
    sed -n '3,12s/^# \{0,1\}//p' "$SELF" >&2
    exit $EXIT_USAGE
}

fail() {
    local status=$1
    shift
    echo "$PROG: $*" >&2
    exit "$status"
}

is_word_in() {
    local word=$1 list=$2 item
    for item in $list; do
        [[ "$item" == "$word" ]] && return 0
    done
    return 1
}

load_settings() {
    [[ -e "$SETTINGS_FILE" ]] || return 0
    local line key number=0
    while IFS= read -r line || [[ -n "$line" ]]; do
        number=$((number + 1))
        [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
        if [[ ! "$line" =~ ^([A-Z_]+)=(.*)$ ]]; then
            fail $EXIT_USAGE "$SETTINGS_FILE:$number: expected KEY=VALUE," \
                "not '$line'"
        fi
        key=${BASH_REMATCH[1]}
        if ! is_word_in "$key" "$SETTING_NAMES"; then
            fail $EXIT_USAGE "$SETTINGS_FILE:$number: unknown setting" \
                "$key; known: ${SETTING_NAMES//$'\n'/ }"
        fi
        printf -v "$key" '%s' "${BASH_REMATCH[2]}"
    done < "$SETTINGS_FILE"
}

require_setting() {
    local key=$1 why=$2
    if [[ -z "${!key}" ]]; then
        fail $EXIT_USAGE "$why needs $key in $SETTINGS_FILE (written by" \
            "devstack/plugin.sh)"
    fi
}

# ini_get FILE SECTION OPTION: the option's value, empty if absent.
ini_get() {
    awk -v section="$2" -v option="$3" '
        /^[ \t]*\[/ {
            name = $0
            gsub(/^[ \t]*\[|\][ \t]*$/, "", name)
            insec = (name == section)
            next
        }
        insec && $0 ~ "^[ \t]*" option "[ \t]*=" {
            value = substr($0, index($0, "=") + 1)
            gsub(/^[ \t]+|[ \t]+$/, "", value)
            print value
            exit
        }' "$1"
}

# -- systemd ---------------------------------------------------------------

# unit_ctl UNIT VERB [OPTION...]: systemctl the way devstack runs UNIT.
unit_ctl() {
    local unit=$1
    shift
    if [[ "$unit" == devstack@* && "$USER_UNITS" == "True" ]]; then
        # sudo and ssh do not always set it; systemctl --user needs it to
        # find the user's manager.
        XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/run/user/$(id -u)} \
            systemctl --user "$@" "$unit"
    else
        sudo -n systemctl "$@" "$unit"
    fi
}

unit_active() {
    unit_ctl "$1" is-active --quiet
}

# A frozen unit's main process is stopped (state T).
unit_frozen() {
    local pid state
    pid=$(unit_ctl "$1" show --property=MainPID --value) || return 1
    [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
    state=$(ps -o stat= -p "$pid") || return 1
    [[ "$state" == T* ]]
}

unit_signal() {
    unit_ctl "$1" kill "--signal=$2"
}

unit_journal() {
    local unit=$1
    echo "last lines of $unit's journal:" >&2
    if [[ "$unit" == devstack@* && "$USER_UNITS" == "True" ]]; then
        journalctl --user-unit "$unit" -n 15 --no-pager >&2 || true
    else
        sudo -n journalctl -u "$unit" -n 15 --no-pager >&2 || true
    fi
}

# -- readiness -------------------------------------------------------------

# http_answers URL: anything but a connection failure or a 5xx (devstack's
# Apache answers 503 while the uwsgi service behind it is down).
http_answers() {
    local code
    code=$(curl -k --noproxy '*' -s -o /dev/null -w '%{http_code}' \
        --max-time "$CHECK_TIMEOUT" "$1") || true
    LAST_CHECK="HTTP ${code:-000} from $1"
    [[ "$code" =~ ^[1-4][0-9][0-9]$ ]]
}

# tcp_answers HOST PORT PROBE: the server sends a byte (after PROBE, a
# printf format). The kernel accepts connections for a frozen server: only
# an answer shows it works.
tcp_answers() {
    local host=${1#[}
    host=${host%]}
    LAST_CHECK="no answer on $host:$2 within $CHECK_TIMEOUT s"
    # shellcheck disable=SC2016
    timeout "$CHECK_TIMEOUT" bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        [[ -z "$3" ]] || printf "$3" >&3
        IFS= read -r -N 1 reply <&3' tcp-check "$host" "$2" "$3" \
        2>/dev/null
}

# heartbeat_after BINARY SINCE: every BINARY record of this node is up and
# reported after SINCE (seconds since the epoch): nova-conductor and
# nova-scheduler listen on no port.
heartbeat_after() {
    local binary=$1 since=$2 rows state updated seen=0 epoch errors
    # Its warnings on stderr are no rows.
    errors=$(mktemp)
    if ! rows=$("$OPENSTACK" --os-cloud "$OS_CLOUD" --os-region-name \
            "$OS_REGION_NAME" compute service list --service "$binary" \
            --host "$SERVICE_HOSTNAME" -f value -c State -c "Updated At" \
            2> "$errors"); then
        LAST_CHECK="os-services cannot be read: $(tail -n 1 "$errors")"
        rm -f "$errors"
        return 1
    fi
    rm -f "$errors"
    LAST_CHECK="no $binary record of $SERVICE_HOSTNAME in os-services"
    while read -r state updated; do
        [[ -n "$state" ]] || continue
        seen=$((seen + 1))
        epoch=$(TZ=UTC date -d "${updated%%.*}" +%s 2>/dev/null) || epoch=0
        if [[ "$state" != "up" || $epoch -le $since ]]; then
            LAST_CHECK="os-services: $binary on $SERVICE_HOSTNAME is"
            LAST_CHECK+=" $state, last heartbeat $updated UTC"
            return 1
        fi
    done <<< "$rows"
    [[ $seen -gt 0 ]]
}

service_answers() {
    local name=$1 since=$2
    case "$name" in
        placement) http_answers "$PLACEMENT_URL" ;;
        nova-api) http_answers "$NOVA_API_URL" ;;
        keystone) http_answers "$KEYSTONE_URL" ;;
        nova-conductor|nova-scheduler) heartbeat_after "$name" "$since" ;;
        # The broker answers the AMQP 0-9-1 protocol header.
        message-bus) tcp_answers "$RABBIT_HOST" "$RABBIT_PORT" \
            'AMQP\x00\x00\x09\x01' && back_on_the_bus ;;
        database)
            if [[ "$DATABASE_TYPE" == "postgresql" ]]; then
                # An SSLRequest gets "S" or "N".
                tcp_answers "$DATABASE_HOST" "${DATABASE_PORT:-5432}" \
                    '\x00\x00\x00\x08\x04\xd2\x16\x2f'
            else
                # MySQL and MariaDB greet first.
                tcp_answers "$DATABASE_HOST" "${DATABASE_PORT:-3306}" ''
            fi
            ;;
    esac
}

# rabbitmqctl_run ARG...: sudo rabbitmqctl's output; on failure, what went
# wrong in one line (its "Error" line, not the Erlang warnings around it),
# and fails. A hung broker must not hang the helper.
rabbitmqctl_run() {
    local out errors status=0 reason
    errors=$(mktemp)
    out=$(timeout 30 sudo -n rabbitmqctl "$@" 2> "$errors") || status=$?
    if [[ $status -eq 0 ]]; then
        rm -f "$errors"
        printf '%s\n' "$out"
        return 0
    fi
    if [[ $status -eq 124 ]]; then
        reason="no answer within 30 s"
    else
        reason=$( { cat "$errors"; printf '%s\n' "$out"; } |
            grep -m 1 '^Error' || true)
        [[ -n "$reason" ]] || reason=$(sed '/^[[:space:]]*$/d' "$errors" |
            tail -n 1)
        [[ -n "$reason" ]] || reason="exit code $status"
    fi
    rm -f "$errors"
    echo "rabbitmqctl $1 failed: $reason"
    return 1
}

# consumed_queues: "VHOST<TAB>NAME" of each queue that has a consumer,
# sorted: with devstack's cells v2 set-up the cell's conductor and the
# computes use a vhost of their own (nova_cell1). On failure, why, and
# fails.
consumed_queues() {
    local vhosts vhost listing all=""
    vhosts=$(rabbitmqctl_run list_vhosts --quiet --no-table-headers name) ||
        { echo "$vhosts"; return 1; }
    for vhost in $vhosts; do
        listing=$(rabbitmqctl_run list_queues -p "$vhost" --quiet \
            --no-table-headers name consumers) ||
            { echo "$listing"; return 1; }
        all+=$(awk -F'\t' -v vhost="$vhost" \
            '$2 > 0 { print vhost "\t" $1 }' <<< "$listing")$'\n'
    done
    printf '%s' "$all" | sed '/^$/d' | LC_ALL=C sort
}

# remember_consumed_queues: before an outage of the message bus, note the
# queues that have a consumer (the RPC servers' and the reply queues) for
# its next start or thaw to wait for.
remember_consumed_queues() {
    [[ -n "$BUS_QUEUES_FILE" ]] || return 0
    local queues
    rm -f "$BUS_QUEUES_FILE"
    if ! queues=$(consumed_queues); then
        echo "$PROG: not noting the queues of the message bus, its start" \
            "will not wait for them: $queues" >&2
        return 0
    fi
    mkdir -p "$(dirname "$BUS_QUEUES_FILE")"
    printf '%s\n' "$queues" > "$BUS_QUEUES_FILE"
}

# take_remembered_queues: what remember_consumed_queues noted, for this
# start or thaw only: a queue whose process stopped meanwhile never comes
# back, and must not fail every start after this one.
take_remembered_queues() {
    BUS_QUEUES=""
    if [[ -n "$BUS_QUEUES_FILE" && -e "$BUS_QUEUES_FILE" ]]; then
        BUS_QUEUES=$(cat "$BUS_QUEUES_FILE")
        rm -f "$BUS_QUEUES_FILE"
    fi
}

# back_on_the_bus: every queue taken from the note has a consumer again.
back_on_the_bus() {
    [[ -n "$BUS_QUEUES" ]] || return 0
    local current late
    if ! current=$(consumed_queues); then
        LAST_CHECK=$current
        return 1
    fi
    late=$(LC_ALL=C comm -23 <(printf '%s\n' "$BUS_QUEUES") \
        <(printf '%s\n' "$current") | sed '/^$/d')
    if [[ -n "$late" ]]; then
        LAST_CHECK="queues consumed before the outage and not since: "
        LAST_CHECK+=$(awk -F'\t' \
            '{ printf "%s%s on %s", sep, $2, $1; sep = ", " }' <<< "$late")
        return 1
    fi
}

check_readiness_settings() {
    local name=$1
    case "$name" in
        placement) require_setting PLACEMENT_URL "$name" ;;
        nova-api) require_setting NOVA_API_URL "$name" ;;
        keystone) require_setting KEYSTONE_URL "$name" ;;
        nova-conductor|nova-scheduler)
            require_setting SERVICE_HOSTNAME "$name"
            ;;
        message-bus) require_setting RABBIT_HOST "$name" ;;
        database) require_setting DATABASE_HOST "$name" ;;
    esac
}

wait_until_answers() {
    local name=$1 action=$2 since=$3 unit
    local deadline=$((SECONDS + WAIT_TIMEOUT))
    LAST_CHECK=""
    while ! service_answers "$name" "$since"; do
        if [[ $SECONDS -ge $deadline ]]; then
            echo "$PROG: $name (${UNITS[*]}) does not answer $WAIT_TIMEOUT" \
                "s after $action: $LAST_CHECK" >&2
            for unit in "${UNITS[@]}"; do
                unit_journal "$unit"
            done
            exit $EXIT_FAILED
        fi
        sleep "$POLL_INTERVAL"
    done
    echo "$name answers after $action"
}

# -- shared services -------------------------------------------------------

set_service_units() {
    local name=$1 unit
    UNITS=()
    case "$name" in
        placement) UNITS=(devstack@placement-api) ;;
        nova-api) UNITS=(devstack@n-api) ;;
        nova-conductor)
            for unit in $CONDUCTOR_UNITS; do
                UNITS+=("devstack@$unit")
            done
            ;;
        nova-scheduler) UNITS=(devstack@n-sch) ;;
        keystone) UNITS=(devstack@keystone) ;;
        message-bus) UNITS=(rabbitmq-server) ;;
        database) UNITS=("$DATABASE_UNIT") ;;
    esac
}

# Sets RUNNING, FROZEN (units), STOPPED (units).
survey_units() {
    local unit
    RUNNING=()
    FROZEN=()
    STOPPED=()
    for unit in "${UNITS[@]}"; do
        if ! unit_active "$unit"; then
            STOPPED+=("$unit")
        elif unit_frozen "$unit"; then
            FROZEN+=("$unit")
        else
            RUNNING+=("$unit")
        fi
    done
}

service_command() {
    [[ $# -eq 2 ]] || usage
    local action=$1 name=$2 unit since
    if ! is_word_in "$action" "$SERVICE_ACTIONS"; then
        fail $EXIT_USAGE "unknown service action '$action'; one of:" \
            "$SERVICE_ACTIONS"
    fi
    if ! is_word_in "$name" "$SERVICES"; then
        fail $EXIT_USAGE "unknown service '$name'; one of: $SERVICES"
    fi
    check_readiness_settings "$name"
    set_service_units "$name"
    survey_units
    since=$(date +%s)
    if [[ "$name" == message-bus && ${#RUNNING[@]} -gt 0 ]] &&
            is_word_in "$action" "stop kill freeze"; then
        remember_consumed_queues
    fi
    case "$action" in
        stop)
            if [[ ${#STOPPED[@]} -eq ${#UNITS[@]} ]]; then
                echo "$name (${UNITS[*]}) is not running: nothing to stop"
                return 0
            fi
            # systemd follows SIGTERM with SIGCONT, which also ends a
            # freeze; say it first so that no unit waits for its timeout.
            for unit in "${FROZEN[@]}"; do
                unit_signal "$unit" SIGCONT
            done
            for unit in "${UNITS[@]}"; do
                unit_ctl "$unit" stop
            done
            echo "$name stopped (${UNITS[*]})"
            ;;
        kill)
            if [[ ${#STOPPED[@]} -eq ${#UNITS[@]} ]]; then
                echo "$name (${UNITS[*]}) is not running: nothing to kill"
                return 0
            fi
            for unit in "${RUNNING[@]}" "${FROZEN[@]}"; do
                unit_signal "$unit" SIGKILL
            done
            for unit in "${UNITS[@]}"; do
                unit_ctl "$unit" stop
            done
            echo "$name killed (SIGKILL: ${UNITS[*]})"
            ;;
        freeze)
            if [[ ${#STOPPED[@]} -gt 0 ]]; then
                fail $EXIT_FAILED "cannot freeze $name: ${STOPPED[*]} not" \
                    "running"
            fi
            if [[ ${#RUNNING[@]} -eq 0 ]]; then
                echo "$name (${UNITS[*]}) is already frozen"
                return 0
            fi
            for unit in "${RUNNING[@]}"; do
                unit_signal "$unit" SIGSTOP
            done
            survey_units
            if [[ ${#RUNNING[@]} -gt 0 || ${#STOPPED[@]} -gt 0 ]]; then
                fail $EXIT_FAILED "$name did not freeze: ${RUNNING[*]}" \
                    "${STOPPED[*]} not stopped by SIGSTOP"
            fi
            echo "$name frozen (SIGSTOP: ${UNITS[*]})"
            ;;
        thaw)
            if [[ ${#STOPPED[@]} -gt 0 ]]; then
                fail $EXIT_FAILED "cannot thaw $name: ${STOPPED[*]} not" \
                    "running"
            fi
            if [[ ${#FROZEN[@]} -eq 0 ]]; then
                echo "$name (${UNITS[*]}) is not frozen: nothing to thaw"
                return 0
            fi
            for unit in "${FROZEN[@]}"; do
                unit_signal "$unit" SIGCONT
            done
            [[ "$name" != message-bus ]] || take_remembered_queues
            wait_until_answers "$name" thaw "$since"
            ;;
        start)
            if [[ ${#FROZEN[@]} -gt 0 ]]; then
                fail $EXIT_FAILED "cannot start $name: ${FROZEN[*]} frozen;" \
                    "thaw it"
            fi
            for unit in "${STOPPED[@]}"; do
                unit_ctl "$unit" start
            done
            if [[ ${#STOPPED[@]} -eq 0 ]]; then
                echo "$name (${UNITS[*]}) is already running"
            fi
            [[ "$name" != message-bus ]] || take_remembered_queues
            wait_until_answers "$name" start "$since"
            ;;
    esac
}

# -- computes --------------------------------------------------------------

# Sets UNIT and STATE_PATH if a nova-compute service of this node has host
# HOST. devstack's lib/nova start_nova_compute names them.
find_local_compute() {
    local host=$1 cpu_conf=$NOVA_CONF_DIR/nova-cpu.conf conf index name
    [[ -f "$cpu_conf" ]] || return 1
    if [[ "$(ini_get "$cpu_conf" DEFAULT compute_driver)" == fake.* ]]; then
        # VIRT_DRIVER=fake: NUMBER_FAKE_NOVA_COMPUTE services, the i-th
        # with host "${HOSTNAME}i" and state_path in nova-fake.conf-i.
        for conf in "$NOVA_CONF_DIR"/nova-fake.conf-*; do
            [[ -f "$conf" ]] || continue
            index=${conf##*-}
            [[ "$index" =~ ^[1-9][0-9]*$ ]] || continue
            if [[ "$(ini_get "$conf" DEFAULT host)" == "$host" ]]; then
                UNIT=devstack@n-cpu-$index
                STATE_PATH=$(ini_get "$conf" DEFAULT state_path)
                return 0
            fi
        done
        return 1
    fi
    name=$(ini_get "$cpu_conf" DEFAULT host)
    if [[ "$host" == "$name" || ( -z "$name" &&
          ( "$host" == "$(hostname)" || "$host" == "$(hostname -s)" ) ) ]]
    then
        UNIT=devstack@n-cpu
        STATE_PATH=$(ini_get "$cpu_conf" DEFAULT state_path)
        return 0
    fi
    return 1
}

run_fault_cli() {
    if [[ ! -f "$PLUGIN_DIR/tracker_tests/faults/cli.py" ]]; then
        fail $EXIT_FAILED "no tracker_tests checkout at $PLUGIN_DIR on" \
            "$(hostname)"
    fi
    # python -m puts the working directory first on sys.path; the fault
    # command line needs the standard library only.
    cd "$PLUGIN_DIR"
    exec "$PYTHON" -m tracker_tests.faults.cli "$@"
}

local_compute_command() {
    local action=$1 host=$2
    shift 2
    case "$action" in
        stop|start)
            unit_ctl "$UNIT" "$action"
            echo "nova-compute on $host: $action ($UNIT)"
            ;;
        kill)
            if ! unit_active "$UNIT"; then
                echo "nova-compute on $host ($UNIT) is not running:" \
                    "nothing to kill"
                return 0
            fi
            unit_signal "$UNIT" SIGKILL
            unit_ctl "$UNIT" stop
            echo "nova-compute on $host killed (SIGKILL: $UNIT)"
            ;;
        fault)
            if [[ -z "$STATE_PATH" ]]; then
                fail $EXIT_FAILED "$host ($UNIT): its nova configuration" \
                    "in $NOVA_CONF_DIR has no [DEFAULT] state_path"
            fi
            run_fault_cli compute --state-path "$STATE_PATH" "$@"
            ;;
    esac
}

# Nodes that may run HOST: HOST itself, then HOST without 1, 2, ...
# trailing digits (a fake compute of that node).
candidate_nodes() {
    local host=$1 node=$1
    echo "$host"
    while [[ "$node" =~ [0-9]$ ]]; do
        node=${node%?}
        [[ -n "$node" && "$node" != *[.-] ]] && echo "$node"
    done
    return 0
}

remote_compute_command() {
    local host=$1
    shift
    if [[ -z "$SSH_USER" ]]; then
        fail $EXIT_USAGE "$host is not a compute of this node" \
            "($(hostname)) and no SSH_USER is set to reach other nodes"
    fi
    local -a options=(--this-node)
    [[ "$USER_UNITS" == "True" ]] && options+=(--user-units)
    local node status tried=""
    for node in $(candidate_nodes "$host"); do
        if [[ "$node" == "$(hostname)" || "$node" == "$(hostname -s)" ]]
        then
            continue
        fi
        getent hosts "$node" > /dev/null || continue
        status=0
        ssh -n -o BatchMode=yes -o ConnectTimeout=30 "$SSH_USER@$node" \
            "$REMOTE_HELPER" "${options[@]}" compute "$@" || status=$?
        case $status in
            0) return 0 ;;
            "$EXIT_NOT_HERE") tried+="; $node: not there" ;;
            127) fail $EXIT_FAILED "$node has no $REMOTE_HELPER (the" \
                "plugin must be checked out at the same path on every node)" ;;
            255) tried+="; $node: ssh failed" ;;
            *) exit "$status" ;;
        esac
    done
    fail $EXIT_USAGE "no node runs a nova-compute with host $host ($(hostname):" \
        "not here${tried:-; no other node of that name resolves})"
}

# Words that may travel over ssh: no quoting needed.
check_plain_words() {
    local word
    for word in "$@"; do
        if [[ ! "$word" =~ ^[A-Za-z0-9][A-Za-z0-9_.:=-]*$ &&
              ! "$word" =~ ^--[a-z]+$ ]]; then
            fail $EXIT_USAGE "'$word' is not a plain word (letters, digits," \
                "_ . : = -)"
        fi
    done
}

compute_command() {
    [[ $# -ge 2 ]] || usage
    local action=$1 host=$2
    if ! is_word_in "$action" "$COMPUTE_ACTIONS"; then
        fail $EXIT_USAGE "unknown compute action '$action'; one of:" \
            "$COMPUTE_ACTIONS"
    fi
    # A host name reaches ssh and systemctl as an argument: host names
    # only, so that nothing starting with "-" can become an option.
    if [[ ! "$host" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
        fail $EXIT_USAGE "'$host' is not a host name"
    fi
    if [[ "$action" != "fault" && $# -ne 2 ]]; then
        usage
    fi
    if [[ "$action" == "fault" ]]; then
        [[ $# -ge 3 ]] || usage
        check_plain_words "${@:3}"
    fi
    UNIT=""
    STATE_PATH=""
    if find_local_compute "$host"; then
        local_compute_command "$action" "$host" "${@:3}"
        return 0
    fi
    if [[ "$THIS_NODE" == "True" ]]; then
        echo "$PROG: $host is not a compute of $(hostname)" >&2
        exit $EXIT_NOT_HERE
    fi
    remote_compute_command "$host" "$action" "$host" "${@:3}"
}

placement_command() {
    [[ $# -ge 2 && "$1" == "fault" ]] || usage
    shift
    require_setting PLACEMENT_FAULT_FILE "placement fault"
    run_fault_cli placement --file "$PLACEMENT_FAULT_FILE" "$@"
}

main() {
    THIS_NODE=False
    local user_units=False
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --this-node) THIS_NODE=True ;;
            --user-units) user_units=True ;;
            -h|--help) usage ;;
            -*) usage ;;
            *) break ;;
        esac
        shift
    done
    [[ $# -ge 1 ]] || usage
    load_settings
    [[ "$user_units" == "True" ]] && USER_UNITS=True
    local what=$1
    shift
    case "$what" in
        compute) compute_command "$@" ;;
        service)
            [[ "$THIS_NODE" == "False" ]] || usage
            service_command "$@"
            ;;
        placement)
            [[ "$THIS_NODE" == "False" ]] || usage
            placement_command "$@"
            ;;
        *) usage ;;
    esac
}

main "$@"
