#!/bin/bash
# devstack plugin of tracker-tempest-plugin.
#
#   stack install      install the plugin where tempest runs
#   stack post-config  before devstack starts nova and placement: make this
#                      node's fake computes fault-injecting ones
#                      (TRACKER_FAULT_COMPUTES) and put tracker_tests'
#                      fault middleware in front of Placement
#                      (TRACKER_PLACEMENT_FAULTS)
#   stack test-config  the fault computes' zones and flavors; the settings
#                      of devstack/tracker-service.sh; the plugin's
#                      [tracker] and [tracker-feature-enabled] options in
#                      tempest.conf
#   clean              remove what the plugin wrote outside devstack's
#                      directories
#
# Settings: see devstack/settings.

# Save trace setting
_XTRACE_TRACKER=$(set +o | grep xtrace)
set +o xtrace

TRACKER_PLUGIN_NAME=tracker-tempest-plugin
TRACKER_SUDOERS_FILE=/etc/sudoers.d/60_tracker_tempest_plugin
TRACKER_HELPER=$TRACKER_TEMPEST_PLUGIN_DIR/devstack/tracker-service.sh
# Read by the helper; owned by root, as whoever may run the helper through
# sudo must not choose what it runs.
TRACKER_HELPER_SETTINGS_DIR=/etc/tracker-tempest-plugin
TRACKER_HELPER_SETTINGS=$TRACKER_HELPER_SETTINGS_DIR/devstack-services.conf
# A systemd drop-in of a devstack@n-cpu-N unit: runs the fault driver.
TRACKER_DROPIN=50-tracker-fault-driver.conf
TRACKER_DATA_DIR=${DATA_DIR:-/opt/stack/data}/tracker-tempest-plugin
TRACKER_PLACEMENT_FAULT_FILE=$TRACKER_DATA_DIR/placement-faults.json
TRACKER_BUS_QUEUES_FILE=$TRACKER_DATA_DIR/message-bus-queues.txt
TRACKER_PROVIDER_CONFIG_DIR=${NOVA_CONF_DIR:-/etc/nova}/tracker-provider-config

TRACKER_FAULT_ZONE=faults
TRACKER_FAULT_TRAIT=CUSTOM_TRACKER_FAULT_INJECTION
TRACKER_STRICT_ZONE=strict
TRACKER_STRICT_TRAIT=CUSTOM_TRACKER_STRICT
# What tracker_tests' fault driver launcher adds to nova.virt.fake.
TRACKER_FAULT_DRIVER=fake.TrackerFaultDriver
# The fault computes: the last fake computes of the node, as
# tools/localcloud's fault-* computes, one line each: their [tracker]
# option, nova.virt.fake driver (made restartable by
# tracker_tests.faults.compute), zone, reserved_host_memory_mb (the RAM
# weigher prefers the reschedule host, then the healthy one; empty: nova's
# default).
TRACKER_FAULT_COMPUTES_LAYOUT="fault_healthy_host:$TRACKER_FAULT_DRIVER:$TRACKER_FAULT_ZONE:100000
reschedule_host:fake.RestartableRescheduleDriver:$TRACKER_FAULT_ZONE:0
build_abort_host:fake.RestartableBuildAbortDriver:$TRACKER_FAULT_ZONE:200000
finish_migration_fail_host:fake.RestartableFinishMigrationFailDriver:$TRACKER_FAULT_ZONE:200000
slow_live_migration_host:fake.RestartableLiveMigrateDriver:$TRACKER_FAULT_ZONE:200000
strict_hosts:$TRACKER_FAULT_DRIVER:$TRACKER_STRICT_ZONE:
strict_hosts:$TRACKER_FAULT_DRIVER:$TRACKER_STRICT_ZONE:"
TRACKER_FAULT_COMPUTE_COUNT=$(wc -l <<< "$TRACKER_FAULT_COMPUTES_LAYOUT")
# name vcpus ram_mb disk_gb trait
TRACKER_FLAVORS="tracker.fault:1:128:1:$TRACKER_FAULT_TRAIT
tracker.strict:1:128:1:$TRACKER_STRICT_TRAIT
tracker.strict-medium:2:256:2:$TRACKER_STRICT_TRAIT"
# Options the plugin sets in devstack's nova-fake.conf-N files.
TRACKER_FAKE_CONF_OPTIONS="DEFAULT:compute_driver
DEFAULT:reserved_host_memory_mb
DEFAULT:reserved_host_disk_mb
DEFAULT:reserved_host_cpus
DEFAULT:update_resources_interval
compute:provider_config_location
compute:consecutive_build_service_disable_threshold"

# Arguments that go into a command template unquoted: the templates are
# split with shlex and iniset writes them through an unquoted echo.
function _tracker_check_word {
    local what=$1
    local value=$2
    if [[ ! "$value" =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
        die $LINENO "$what '$value' has characters that cannot go" \
            "unquoted into a [tracker] command template"
    fi
}

function _tracker_check_count {
    local what=$1
    local value=$2
    if [[ ! "$value" =~ ^[0-9]+$ ]]; then
        die $LINENO "$what must be a whole number, not '$value'"
    fi
}

function _tracker_tempest_user {
    echo "${TRACKER_TEMPEST_USER:-$STACK_USER}"
}

function _tracker_enabled {
    [[ "$(trueorfalse False "$1")" == "True" ]]
}

# Is this plugin in TEMPEST_PLUGINS (installed into tempest's venv by
# devstack's lib/tempest install_tempest_plugins)?
function _tracker_in_tempest_plugins {
    local plugin
    [[ "${TEMPEST_PLUGINS:-0}" != 0 ]] || return 1
    for plugin in $TEMPEST_PLUGINS; do
        plugin=${plugin%/}
        if [[ "$plugin" == "$TRACKER_TEMPEST_PLUGIN_DIR" ||
              "$plugin" == "$TRACKER_PLUGIN_NAME" ||
              "$plugin" == */"$TRACKER_PLUGIN_NAME" ]]; then
            return 0
        fi
    done
    return 1
}

# stack install: into devstack's python environment, as other tempest
# plugins do, so that the tempest command installed there finds it. From
# this checkout: setup_dev_lib would look it up as GITDIR[<the name the
# plugin was enabled under>].
function install_tracker_tempest_plugin {
    if [[ "$(trueorfalse True INSTALL_TEMPEST)" != "True" ]]; then
        echo "INSTALL_TEMPEST is False: not installing $TRACKER_PLUGIN_NAME"
        return 0
    fi
    setup_develop "$TRACKER_TEMPEST_PLUGIN_DIR"
}

# stack test-config runs after devstack configured tempest and installed
# TEMPEST_PLUGINS into tempest's venv; add this plugin there if the job did
# not list it, so that "tox -e all" in tempest's directory finds the tests.
function install_tracker_tempest_plugin_in_tempest_venv {
    if [[ "$(trueorfalse True INSTALL_TEMPEST)" != "True" ]]; then
        return 0
    fi
    if _tracker_in_tempest_plugins; then
        return 0
    fi
    echo "Installing $TRACKER_PLUGIN_NAME into tempest's venv"
    TEMPEST_PLUGINS=$TRACKER_TEMPEST_PLUGIN_DIR install_tempest_plugins
}

# Installs file CONTENT (from stdin) as PATH, root-owned, mode 0644 (0440
# for sudoers), creating the directories.
function _tracker_install_root_file {
    local path=$1 mode=${2:-0644}
    local tmp
    tmp=$(mktemp)
    cat > "$tmp"
    sudo install -D -o root -g root -m "$mode" "$tmp" "$path"
    rm -f "$tmp"
}

# Let the user tempest runs as start the helper as STACK_USER, and nothing
# else. Written to a temporary file and checked with visudo first: a broken
# file in /etc/sudoers.d would break sudo for everybody.
function install_tracker_sudoers {
    local tempest_user=$1
    local helper=$2
    local tmp
    tmp=$(mktemp)
    cat > "$tmp" <<EOF
# Written by $TRACKER_PLUGIN_NAME's devstack plugin: tempest controls
# services and injects faults through this helper.
$tempest_user ALL=($STACK_USER) NOPASSWD: $helper
EOF
    if ! sudo visudo -c -q -f "$tmp"; then
        rm -f "$tmp"
        die $LINENO "the sudoers rule for $tempest_user does not parse"
    fi
    sudo install -o root -g root -m 0440 "$tmp" "$TRACKER_SUDOERS_FILE"
    rm -f "$tmp"
}

# -- fault computes (stack post-config) ------------------------------------

# Sets _TRACKER_ROLE (a [tracker] option, empty for a regular compute),
# _TRACKER_DRIVER, _TRACKER_ZONE, _TRACKER_RESERVED_MB of the INDEX-th of
# COUNT fake computes.
function _tracker_fake_compute {
    local index=$1 count=$2
    local position=$(( index - count + TRACKER_FAULT_COMPUTE_COUNT ))
    _TRACKER_ROLE=""
    _TRACKER_DRIVER=$TRACKER_FAULT_DRIVER
    _TRACKER_ZONE=""
    _TRACKER_RESERVED_MB=""
    if [[ $position -ge 1 ]]; then
        IFS=: read -r _TRACKER_ROLE _TRACKER_DRIVER _TRACKER_ZONE \
            _TRACKER_RESERVED_MB < <(sed -n "${position}p" \
            <<< "$TRACKER_FAULT_COMPUTES_LAYOUT")
    fi
}

function _tracker_fake_compute_count {
    local count=${NUMBER_FAKE_NOVA_COMPUTE:-1}
    _tracker_check_count NUMBER_FAKE_NOVA_COMPUTE "$count"
    echo "$count"
}

function _tracker_fake_conf {
    echo "${NOVA_FAKE_CONF:-$NOVA_CONF_DIR/nova-fake.conf}-$1"
}

# The sudo that writes in SYSTEMD_DIR: none for user units (USER_UNITS).
function _tracker_unit_sudo {
    if [[ "$(trueorfalse False USER_UNITS)" != "True" ]]; then
        echo sudo
    fi
}

# Drop-ins of an earlier stack, fault computes on or off: clean.sh removes
# devstack's unit files only.
function remove_tracker_unit_dropins {
    [[ -d "${SYSTEMD_DIR:-}" ]] || return 0
    local -a sudo=()
    read -r -a sudo <<< "$(_tracker_unit_sudo)"
    "${sudo[@]}" find "$SYSTEMD_DIR" -mindepth 2 -maxdepth 2 -type f \
        -path '*/devstack@*.service.d/*' -name "$TRACKER_DROPIN" -delete
    "${sudo[@]}" find "$SYSTEMD_DIR" -mindepth 1 -maxdepth 1 -type d \
        -name 'devstack@*.service.d' -empty -delete
}

# Options of an earlier stack in devstack's nova-fake.conf-N (unstack keeps
# /etc/nova; a plain nova-compute cannot load fake.Restartable*).
function _tracker_reset_fake_confs {
    local conf section option
    for conf in "$(_tracker_fake_conf '')"*; do
        [[ -f "$conf" && "$conf" =~ -[0-9]+$ ]] || continue
        while IFS=: read -r section option; do
            inidelete "$conf" "$section" "$option"
        done <<< "$TRACKER_FAKE_CONF_OPTIONS"
    done
}

# The python that runs nova-compute: its console script's interpreter.
function _tracker_nova_python {
    local script=${NOVA_BIN_DIR:-}/nova-compute line=""
    if [[ -r "$script" ]]; then
        IFS= read -r line < "$script" || true
    fi
    if [[ "$line" != '#!/'* ]]; then
        die $LINENO "cannot find the python of $script (no #! line):" \
            "TRACKER_FAULT_COMPUTES runs nova-compute through it"
    fi
    line=${line#\#!}
    line=${line%% *}
    # -P keeps the working directory (a user unit's is STACK_USER's home,
    # which holds checkouts named like packages) off sys.path.
    if ! "$line" -P -c '' 2> /dev/null; then
        die $LINENO "$line (nova-compute's python) cannot run python -P:" \
            "TRACKER_FAULT_COMPUTES needs Python 3.11 or newer"
    fi
    echo "$line"
}

function _tracker_write_unit_dropin {
    local unit=$1
    local path=$SYSTEMD_DIR/$unit.service.d/$TRACKER_DROPIN
    if [[ "$(_tracker_unit_sudo)" == "sudo" ]]; then
        _tracker_install_root_file "$path"
    else
        mkdir -p "$(dirname "$path")"
        cat > "$path"
    fi
}

# The trait of its zone on the compute's resource provider, through nova's
# provider configuration: set by nova-compute itself at every start.
function _tracker_write_provider_config {
    local host=$1 trait=$2
    local dir=$TRACKER_PROVIDER_CONFIG_DIR/$host
    mkdir -p "$dir"
    cat > "$dir/tracker.yaml" <<EOF
meta:
  schema_version: '1.0'
providers:
  - identification:
      name: \$COMPUTE_NODE
    traits:
      additional:
        - $trait
EOF
    echo "$dir"
}

# Every fake compute of this node runs tracker_tests' fault driver launcher
# (python -m tracker_tests.faults.compute, through a drop-in that replaces
# the ExecStart of its devstack@n-cpu-N unit); the last
# TRACKER_FAULT_COMPUTE_COUNT are tools/localcloud's fault and strict
# computes. Runs before devstack writes and starts the units, whose
# daemon-reload picks the drop-ins up.
function configure_tracker_fault_computes {
    remove_tracker_unit_dropins
    _tracker_reset_fake_confs
    rm -rf "$TRACKER_PROVIDER_CONFIG_DIR"
    if ! _tracker_enabled TRACKER_FAULT_COMPUTES; then
        return 0
    fi
    if [[ "${VIRT_DRIVER:-}" != "fake" ]]; then
        die $LINENO "TRACKER_FAULT_COMPUTES needs VIRT_DRIVER=fake, not" \
            "'${VIRT_DRIVER:-}'"
    fi
    if ! is_service_enabled n-cpu; then
        die $LINENO "TRACKER_FAULT_COMPUTES needs n-cpu on this node"
    fi
    if ! is_service_enabled tempest; then
        die $LINENO "TRACKER_FAULT_COMPUTES needs tempest on this node:" \
            "the plugin writes the fault computes into its tempest.conf"
    fi
    local count minimum=$((TRACKER_FAULT_COMPUTE_COUNT + 1))
    count=$(_tracker_fake_compute_count)
    if [[ $count -lt $minimum ]]; then
        die $LINENO "TRACKER_FAULT_COMPUTES needs NUMBER_FAKE_NOVA_COMPUTE" \
            "of at least $minimum ($TRACKER_FAULT_COMPUTE_COUNT fault" \
            "computes and a regular one), not $count"
    fi
    local python i host conf state trait provider_dir
    python=$(_tracker_nova_python)
    _tracker_check_word "HOSTNAME" "$HOSTNAME"
    for i in $(seq 1 "$count"); do
        _tracker_fake_compute "$i" "$count"
        # lib/nova start_nova_compute: host, config file and state_path.
        host=$HOSTNAME$i
        conf=$(_tracker_fake_conf "$i")
        state=$NOVA_STATE_PATH/$host
        # lib/nova creates it with sudo; the fault driver and its command
        # line write their files there as STACK_USER.
        sudo install -d -o "$STACK_USER" "$state"
        iniset "$conf" DEFAULT compute_driver "$_TRACKER_DRIVER"
        if [[ -n "$_TRACKER_RESERVED_MB" ]]; then
            iniset "$conf" DEFAULT reserved_host_memory_mb \
                "$_TRACKER_RESERVED_MB"
        fi
        if [[ "$_TRACKER_ROLE" == "strict_hosts" ]]; then
            # No periodic resource update (a negative spacing disables
            # it); disk reserved in a size Placement rounds up and
            # os-hypervisors truncates.
            iniset "$conf" DEFAULT update_resources_interval -1
            iniset "$conf" DEFAULT reserved_host_disk_mb 1536
            iniset "$conf" DEFAULT reserved_host_cpus 2
        fi
        if [[ -n "$_TRACKER_ZONE" ]]; then
            trait=$TRACKER_FAULT_TRAIT
            [[ "$_TRACKER_ZONE" == "$TRACKER_STRICT_ZONE" ]] &&
                trait=$TRACKER_STRICT_TRAIT
            provider_dir=$(_tracker_write_provider_config "$host" "$trait")
            iniset "$conf" compute provider_config_location "$provider_dir"
            # Ten failed builds in a row would disable the service.
            iniset "$conf" compute \
                consecutive_build_service_disable_threshold 0
        fi
        _tracker_write_unit_dropin "devstack@n-cpu-$i" <<EOF
# Written by $TRACKER_PLUGIN_NAME's devstack plugin (TRACKER_FAULT_COMPUTES):
# nova-compute through tracker_tests' fault driver launcher, which adds
# its drivers to nova.virt.fake; this checkout on PYTHONPATH.
[Service]
Environment=PYTHONPATH=$TRACKER_TEMPEST_PLUGIN_DIR
ExecStart=
ExecStart=$python -P -m tracker_tests.faults.compute --config-file $NOVA_CPU_CONF --config-file $conf
EOF
    done
    # Only a flavor requiring a zone's trait reaches its computes.
    iniset "$NOVA_CONF" scheduler enable_isolated_aggregate_filtering True
    # The reschedule host fails every first build: weighing by failed
    # builds would make the scheduler avoid it for good.
    iniset "$NOVA_CONF" filter_scheduler build_failure_weight_multiplier 0
}

# Placement's uwsgi application behind tracker_tests' fault middleware
# (tracker_tests.faults.placement_app), in the ini that lib/placement's
# configure_placement just wrote (rewritten at every stack).
function configure_tracker_placement_faults {
    if ! _tracker_enabled TRACKER_PLACEMENT_FAULTS; then
        return 0
    fi
    if ! is_service_enabled placement-api; then
        die $LINENO "TRACKER_PLACEMENT_FAULTS needs placement-api on this" \
            "node"
    fi
    if ! is_service_enabled tempest; then
        die $LINENO "TRACKER_PLACEMENT_FAULTS needs tempest on this node," \
            "whose helper writes Placement's fault file"
    fi
    if [[ ! -f "${PLACEMENT_UWSGI_CONF:-}" ]]; then
        die $LINENO "TRACKER_PLACEMENT_FAULTS: no uwsgi configuration" \
            "'${PLACEMENT_UWSGI_CONF:-}' of placement-api"
    fi
    mkdir -p "$TRACKER_DATA_DIR"
    iniset "$PLACEMENT_UWSGI_CONF" uwsgi module \
        tracker_tests.faults.placement_app:application
    iniset "$PLACEMENT_UWSGI_CONF" uwsgi pythonpath \
        "$TRACKER_TEMPEST_PLUGIN_DIR"
    iniadd "$PLACEMENT_UWSGI_CONF" uwsgi env \
        "TRACKER_PLACEMENT_FAULT_FILE=$TRACKER_PLACEMENT_FAULT_FILE"
}

# -- fault computes (stack test-config) ------------------------------------

function _tracker_openstack {
    openstack --os-cloud devstack-admin --os-region-name \
        "${REGION_NAME:-RegionOne}" "$@"
}

# Hosts of the fault computes of ROLE, separated by commas.
function _tracker_hosts_of {
    local role=$1 count i hosts=""
    count=$(_tracker_fake_compute_count)
    for i in $(seq 1 "$count"); do
        _tracker_fake_compute "$i" "$count"
        if [[ "$_TRACKER_ROLE" == "$role" ]]; then
            hosts+=${hosts:+,}$HOSTNAME$i
        fi
    done
    echo "$hosts"
}

function _tracker_hosts_in_zone {
    local zone=$1 count i
    count=$(_tracker_fake_compute_count)
    for i in $(seq 1 "$count"); do
        _tracker_fake_compute "$i" "$count"
        if [[ "$_TRACKER_ZONE" == "$zone" ]]; then
            echo "$HOSTNAME$i"
        fi
    done
}

# Waits until HOST's nova-compute reports up, then maps new hosts into
# the cell: a fault compute that failed to start is named here.
function _tracker_wait_for_compute {
    local host=$1 state="" i
    for i in $(seq 1 60); do
        state=$(_tracker_openstack compute service list --service \
            nova-compute --host "$host" -f value -c State) || state=""
        [[ "$state" == "up" ]] && return 0
        sleep 2
    done
    die $LINENO "nova-compute on $host (tracker_tests' fault driver) is" \
        "not up after 120 s; see the journal of its devstack@n-cpu-N unit"
}

# An availability zone (and aggregate) per fault zone, which only flavors
# requiring its trait reach (isolated aggregate filtering), and those
# flavors; what tools/localcloud provisions.
function create_tracker_fault_zones {
    local zone trait host name vcpus ram disk
    for zone in $TRACKER_FAULT_ZONE $TRACKER_STRICT_ZONE; do
        trait=$TRACKER_FAULT_TRAIT
        [[ "$zone" == "$TRACKER_STRICT_ZONE" ]] && trait=$TRACKER_STRICT_TRAIT
        for host in $(_tracker_hosts_in_zone "$zone"); do
            _tracker_wait_for_compute "$host"
        done
    done
    "$NOVA_BIN_DIR/nova-manage" --config-file "$NOVA_CONF" cell_v2 \
        discover_hosts
    for zone in $TRACKER_FAULT_ZONE $TRACKER_STRICT_ZONE; do
        trait=$TRACKER_FAULT_TRAIT
        [[ "$zone" == "$TRACKER_STRICT_ZONE" ]] && trait=$TRACKER_STRICT_TRAIT
        if ! _tracker_openstack aggregate show "$zone" > /dev/null 2>&1; then
            _tracker_openstack aggregate create --zone "$zone" \
                --property "trait:$trait=required" "$zone" > /dev/null
        fi
        for host in $(_tracker_hosts_in_zone "$zone"); do
            if [[ "$(_tracker_openstack compute service list --service \
                    nova-compute --host "$host" -f value -c Zone)" != \
                    "$zone" ]]; then
                _tracker_openstack aggregate add host "$zone" "$host" \
                    > /dev/null
            fi
        done
    done
    while IFS=: read -r name vcpus ram disk trait; do
        if ! _tracker_openstack flavor show "$name" > /dev/null 2>&1; then
            _tracker_openstack flavor create --id "$name" --vcpus "$vcpus" \
                --ram "$ram" --disk "$disk" --public \
                --property "trait:$trait=required" "$name" > /dev/null
        fi
    done <<< "$TRACKER_FLAVORS"
}

# -- tempest.conf and the helper's settings (stack test-config) ------------

# Sets _TRACKER_HELPER_COMMAND (the start of every command running the
# helper) and _TRACKER_COMMANDS_NEED_SUDOERS.
function _tracker_helper_command {
    local tempest_user
    tempest_user=$(_tracker_tempest_user)
    _tracker_check_word "the helper path" "$TRACKER_HELPER"
    _tracker_check_word "STACK_USER" "$STACK_USER"
    _tracker_check_word "TRACKER_TEMPEST_USER" "$tempest_user"
    _TRACKER_HELPER_COMMAND=$TRACKER_HELPER
    _TRACKER_COMMANDS_NEED_SUDOERS=False
    if [[ "$tempest_user" != "$STACK_USER" ]]; then
        _TRACKER_HELPER_COMMAND="sudo -n -u $STACK_USER $TRACKER_HELPER"
        _TRACKER_COMMANDS_NEED_SUDOERS=True
    fi
}

function _tracker_ssh_user {
    local ssh_user=${TRACKER_COMPUTE_SSH_USER:-$STACK_USER}
    if [[ "$ssh_user" != "none" ]]; then
        _tracker_check_word "TRACKER_COMPUTE_SSH_USER" "$ssh_user"
        echo "$ssh_user"
    fi
}

# Shared services of tracker_tests' service_command that do not run on this
# node, as devstack names them.
function _tracker_missing_services {
    local missing="" service
    for service in key placement-api n-api n-sch rabbit; do
        is_service_enabled "$service" || missing+=" $service"
    done
    if ! is_service_enabled n-cond n-super-cond; then
        missing+=" n-cond"
    fi
    case "${DATABASE_TYPE:-}" in
        mysql|postgresql)
            is_service_enabled "$DATABASE_TYPE" || missing+=" $DATABASE_TYPE"
            ;;
        *) missing+=" mysql" ;;
    esac
    echo "${missing# }"
}

# lib/nova start_nova_conductor: one conductor with CELLSV2_SETUP=
# singleconductor, else a super conductor and one per cell.
function _tracker_conductor_units {
    if [[ "${CELLSV2_SETUP:-superconductor}" == "singleconductor" ]]; then
        echo n-cond
        return 0
    fi
    local units="n-super-cond" i
    for i in $(seq 1 "${NOVA_NUM_CELLS:-1}"); do
        units+=" n-cond-cell$i"
    done
    echo "$units"
}

# The helper's settings, KEY=VALUE lines (devstack/tracker-service.sh).
function _tracker_helper_settings {
    local timeout=$1 services=$2 placement_faults=$3
    echo "# Written by $TRACKER_PLUGIN_NAME's devstack plugin; read by"
    echo "# $TRACKER_HELPER."
    echo "USER_UNITS=$(trueorfalse False USER_UNITS)"
    echo "SSH_USER=$(_tracker_ssh_user)"
    echo "NOVA_CONF_DIR=${NOVA_CONF_DIR:-/etc/nova}"
    echo "PLUGIN_DIR=$TRACKER_TEMPEST_PLUGIN_DIR"
    echo "PYTHON=${PYTHON:-python3}"
    echo "WAIT_TIMEOUT=$timeout"
    if [[ "$services" == "True" ]]; then
        local protocol=${SERVICE_PROTOCOL:-http}
        local keystone=${KEYSTONE_SERVICE_URI:-$protocol://$SERVICE_HOST/identity}
        echo "PLACEMENT_URL=${PLACEMENT_SERVICE_PROTOCOL:-$protocol}://${PLACEMENT_SERVICE_HOST:-$SERVICE_HOST}/placement"
        echo "KEYSTONE_URL=$keystone/v3/"
        echo "NOVA_API_URL=${NOVA_SERVICE_PROTOCOL:-$protocol}://${NOVA_SERVICE_HOST:-$SERVICE_HOST}/compute/v2.1/"
        echo "CONDUCTOR_UNITS=$(_tracker_conductor_units)"
        echo "SERVICE_HOSTNAME=$(_tracker_service_hostname)"
        echo "OPENSTACK=$(command -v openstack || echo openstack)"
        echo "OS_CLOUD=devstack-admin"
        echo "OS_REGION_NAME=${REGION_NAME:-RegionOne}"
        echo "RABBIT_HOST=${RABBIT_HOST:-$SERVICE_HOST}"
        echo "BUS_QUEUES_FILE=$TRACKER_BUS_QUEUES_FILE"
        echo "DATABASE_TYPE=$DATABASE_TYPE"
        if [[ "$DATABASE_TYPE" == "postgresql" ]]; then
            echo "DATABASE_UNIT=postgresql"
        else
            # lib/databases/mysql: mysql, or mariadb on Fedora and Debian.
            echo "DATABASE_UNIT=${MYSQL_SERVICE_NAME:-mysql}"
        fi
        echo "DATABASE_HOST=${MYSQL_HOST:-${DATABASE_HOST:-${SERVICE_LOCAL_HOST:-127.0.0.1}}}"
    fi
    if [[ "$placement_faults" == "True" ]]; then
        echo "PLACEMENT_FAULT_FILE=$TRACKER_PLACEMENT_FAULT_FILE"
    fi
}

# The host of this node's nova-conductor and nova-scheduler records: nova's
# [DEFAULT] host, by default the host name.
function _tracker_service_hostname {
    local host=""
    if [[ -r "${NOVA_CONF:-}" ]]; then
        host=$(iniget "$NOVA_CONF" DEFAULT host)
    fi
    echo "${host:-$(hostname)}"
}

# Seconds until nova reports a stopped compute service down and a started
# one up: service_down_time plus two reports, never below the option's
# default.
function _tracker_service_state_timeout {
    local report_interval="" down_time=""
    if [[ -r "${NOVA_CONF:-}" ]]; then
        report_interval=$(iniget "$NOVA_CONF" DEFAULT report_interval)
        down_time=$(iniget "$NOVA_CONF" DEFAULT service_down_time)
    fi
    # nova's defaults
    report_interval=${report_interval:-10}
    down_time=${down_time:-60}
    _tracker_check_count "nova.conf [DEFAULT] report_interval" "$report_interval"
    _tracker_check_count "nova.conf [DEFAULT] service_down_time" "$down_time"
    local timeout=$(( down_time + 2 * report_interval ))
    if [[ $timeout -lt 120 ]]; then
        timeout=120
    fi
    echo "$timeout"
}

function configure_tracker_tempest_plugin {
    local virt_driver=${VIRT_DRIVER:-}
    local libvirt_type=${LIBVIRT_TYPE:-}
    local computes=1
    if [[ "$virt_driver" == "fake" ]]; then
        computes=$(_tracker_fake_compute_count)
    fi
    local fault_computes=False placement_faults=False
    _tracker_enabled TRACKER_FAULT_COMPUTES && fault_computes=True
    _tracker_enabled TRACKER_PLACEMENT_FAULTS && placement_faults=True
    _tracker_helper_command
    local helper=$_TRACKER_HELPER_COMMAND use_helper=False
    local group=tracker

    local timeout=$TRACKER_SERVICE_STATE_TIMEOUT
    if [[ -z "$timeout" ]]; then
        timeout=$(_tracker_service_state_timeout)
    fi
    _tracker_check_count TRACKER_SERVICE_STATE_TIMEOUT "$timeout"
    iniset "$TEMPEST_CONFIG" $group service_state_timeout "$timeout"
    # A start or thaw waits up to the timeout for the service to answer;
    # a stop waits for nova-compute's graceful shutdown.
    local command_timeout=${TRACKER_COMMAND_TIMEOUT:-$((timeout + 120))}
    _tracker_check_count TRACKER_COMMAND_TIMEOUT "$command_timeout"
    iniset "$TEMPEST_CONFIG" $group command_timeout "$command_timeout"

    # Compute services: the helper finds a host's unit on this node or
    # over ssh on another one, also from a node without n-cpu.
    local stop_command="" start_command="" kill_command=""
    if [[ -n "$TRACKER_COMPUTE_STOP_COMMAND" ||
          -n "$TRACKER_COMPUTE_START_COMMAND" ]]; then
        if [[ -z "$TRACKER_COMPUTE_STOP_COMMAND" ||
              -z "$TRACKER_COMPUTE_START_COMMAND" ]]; then
            die $LINENO "set both TRACKER_COMPUTE_STOP_COMMAND and" \
                "TRACKER_COMPUTE_START_COMMAND, or neither"
        fi
        stop_command=$TRACKER_COMPUTE_STOP_COMMAND
        start_command=$TRACKER_COMPUTE_START_COMMAND
    elif [[ "$virt_driver" == "ironic" ]]; then
        # Baremetal nodes have no nova-compute service per host to stop.
        :
    elif is_service_enabled n-cpu || [[ -n "$(_tracker_ssh_user)" ]]; then
        stop_command="$helper compute stop {host}"
        start_command="$helper compute start {host}"
        kill_command="$helper compute kill {host}"
        use_helper=True
    fi
    kill_command=${TRACKER_COMPUTE_KILL_COMMAND:-$kill_command}
    local have_commands=False
    if [[ -n "$stop_command" ]]; then
        have_commands=True
        iniset "$TEMPEST_CONFIG" $group compute_stop_command "$stop_command"
        iniset "$TEMPEST_CONFIG" $group compute_start_command "$start_command"
    fi
    if [[ -n "$kill_command" ]]; then
        iniset "$TEMPEST_CONFIG" $group compute_kill_command "$kill_command"
    fi
    local service_control
    service_control=$(trueorfalse "$have_commands" TRACKER_SERVICE_CONTROL)
    if [[ "$service_control" == "True" && "$have_commands" == "False" ]]; then
        die $LINENO "TRACKER_SERVICE_CONTROL=True needs compute commands:" \
            "n-cpu on this node, ssh to the computes" \
            "(TRACKER_COMPUTE_SSH_USER), or TRACKER_COMPUTE_STOP_COMMAND" \
            "and TRACKER_COMPUTE_START_COMMAND"
    fi

    # Shared services: the helper controls them where they run, on this
    # node only.
    local services=False missing
    if [[ -n "$TRACKER_SERVICE_COMMAND" ]]; then
        iniset "$TEMPEST_CONFIG" $group service_command \
            "$TRACKER_SERVICE_COMMAND"
    else
        missing=$(_tracker_missing_services)
        if [[ -z "$missing" ]]; then
            services=True
            use_helper=True
            iniset "$TEMPEST_CONFIG" $group service_command \
                "$helper service {action} {service}"
        else
            echo "$TRACKER_PLUGIN_NAME: no [tracker] service_command: not" \
                "on this node: $missing"
        fi
    fi

    if [[ "$fault_computes" == "True" ]]; then
        use_helper=True
        iniset "$TEMPEST_CONFIG" $group compute_fault_command \
            "$helper compute fault {host} {method} {fault} --seconds {seconds} --count {count} --exception {exception} --instance {instance}"
        iniset "$TEMPEST_CONFIG" $group compute_fault_clear_command \
            "$helper compute fault {host} clear"
        iniset "$TEMPEST_CONFIG" $group compute_fault_show_command \
            "$helper compute fault {host} show"
        create_tracker_fault_zones
        local role
        while read -r role; do
            iniset "$TEMPEST_CONFIG" $group "$role" \
                "$(_tracker_hosts_of "$role")"
        done < <(cut -d: -f1 <<< "$TRACKER_FAULT_COMPUTES_LAYOUT" | sort -u)
        iniset "$TEMPEST_CONFIG" $group fault_flavor_ref tracker.fault
        iniset "$TEMPEST_CONFIG" $group strict_flavor_ref tracker.strict
        iniset "$TEMPEST_CONFIG" $group strict_resize_flavor_ref \
            tracker.strict-medium
        # Tests that pick regular hosts leave the fault computes alone;
        # upstream tempest tests too.
        local avoid="" host
        for host in $(_tracker_hosts_in_zone $TRACKER_FAULT_ZONE) \
                $(_tracker_hosts_in_zone $TRACKER_STRICT_ZONE); do
            avoid+=${avoid:+|}${host//./\\.}
        done
        iniset "$TEMPEST_CONFIG" compute target_hosts_to_avoid "^($avoid)\$"
    fi
    if [[ "$placement_faults" == "True" ]]; then
        use_helper=True
        iniset "$TEMPEST_CONFIG" $group placement_fault_command \
            "$helper placement fault {method} {path} {status} --count {count}"
        iniset "$TEMPEST_CONFIG" $group placement_delay_command \
            "$helper placement fault {method} {path} delay --seconds {seconds} --count {count}"
        iniset "$TEMPEST_CONFIG" $group placement_fault_clear_command \
            "$helper placement fault clear"
        iniset "$TEMPEST_CONFIG" $group placement_fault_show_command \
            "$helper placement fault show"
    fi

    if [[ "$use_helper" == "True" ]]; then
        local settings
        settings=$(_tracker_helper_settings "$timeout" "$services" \
            "$placement_faults")
        _tracker_install_root_file "$TRACKER_HELPER_SETTINGS" \
            <<< "$settings"
        # Queues an outage of the message bus noted before this stack are
        # not this stack's to wait for.
        rm -f "$TRACKER_BUS_QUEUES_FILE"
        if [[ "$_TRACKER_COMMANDS_NEED_SUDOERS" == "True" ]]; then
            install_tracker_sudoers "$(_tracker_tempest_user)" \
                "$TRACKER_HELPER"
        fi
    fi

    # What the virt driver supports, as devstack's lib/tempest sees it.
    local resize=True same_host_resize cold_migration=True live_migration
    local shelve=True evacuate=$service_control
    same_host_resize=$(trueorfalse True NOVA_ALLOW_MOVE_TO_SAME_HOST)
    live_migration=$(trueorfalse False LIVE_MIGRATION_AVAILABLE)
    if [[ "$virt_driver" == "ironic" ]]; then
        resize=False
        same_host_resize=False
        cold_migration=False
        live_migration=False
        shelve=False
        evacuate=False
    elif [[ "$virt_driver" == "libvirt" && "$libvirt_type" == "lxc" ]]; then
        resize=False
        same_host_resize=False
        shelve=False
    fi
    # The computes of this node other tests may use.
    local regular=$computes
    if [[ "$fault_computes" == "True" ]]; then
        regular=$((computes - TRACKER_FAULT_COMPUTE_COUNT))
    fi
    # Evacuating needs a second compute to go to.
    if [[ "$virt_driver" == "fake" && $regular -lt 2 ]]; then
        evacuate=False
    fi

    local features=tracker-feature-enabled
    iniset "$TEMPEST_CONFIG" $features resize \
        "$(trueorfalse "$resize" TRACKER_FEATURE_RESIZE)"
    iniset "$TEMPEST_CONFIG" $features same_host_resize \
        "$(trueorfalse "$same_host_resize" TRACKER_FEATURE_SAME_HOST_RESIZE)"
    iniset "$TEMPEST_CONFIG" $features cold_migration \
        "$(trueorfalse "$cold_migration" TRACKER_FEATURE_COLD_MIGRATION)"
    iniset "$TEMPEST_CONFIG" $features live_migration \
        "$(trueorfalse "$live_migration" TRACKER_FEATURE_LIVE_MIGRATION)"
    iniset "$TEMPEST_CONFIG" $features evacuate \
        "$(trueorfalse "$evacuate" TRACKER_FEATURE_EVACUATE)"
    iniset "$TEMPEST_CONFIG" $features shelve \
        "$(trueorfalse "$shelve" TRACKER_FEATURE_SHELVE)"
    iniset "$TEMPEST_CONFIG" $features service_control "$service_control"

    # Several fake computes on this one node: tempest's multi-host tests
    # and this plugin's may use them all (but the fault computes).
    local min_nodes=$TRACKER_MIN_COMPUTE_NODES
    if [[ -z "$min_nodes" && "$virt_driver" == "fake" &&
          ( $regular -gt 1 || "$fault_computes" == "True" ) ]]; then
        min_nodes=$regular
    fi
    if [[ -n "$min_nodes" ]]; then
        _tracker_check_count TRACKER_MIN_COMPUTE_NODES "$min_nodes"
        iniset "$TEMPEST_CONFIG" compute min_compute_nodes "$min_nodes"
    fi
}

case "${1:-}" in
    stack)
        case "${2:-}" in
            install)
                if is_service_enabled tempest; then
                    echo_summary "Installing $TRACKER_PLUGIN_NAME"
                    install_tracker_tempest_plugin
                fi
                ;;
            post-config)
                if _tracker_enabled TRACKER_FAULT_COMPUTES ||
                        _tracker_enabled TRACKER_PLACEMENT_FAULTS; then
                    echo_summary "Configuring $TRACKER_PLUGIN_NAME's faults"
                fi
                configure_tracker_fault_computes
                configure_tracker_placement_faults
                ;;
            test-config)
                if is_service_enabled tempest; then
                    echo_summary "Configuring $TRACKER_PLUGIN_NAME"
                    install_tracker_tempest_plugin_in_tempest_venv
                    configure_tracker_tempest_plugin
                fi
                ;;
        esac
        ;;
    clean)
        # Whatever is enabled now: an earlier stack may have written them.
        sudo rm -f "$TRACKER_SUDOERS_FILE"
        sudo rm -rf "$TRACKER_HELPER_SETTINGS_DIR"
        remove_tracker_unit_dropins
        ;;
esac

# Restore xtrace
$_XTRACE_TRACKER
