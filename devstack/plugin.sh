#!/bin/bash
# devstack plugin of tracker-tempest-plugin.
#
#   stack install      install the plugin where tempest runs
#   stack test-config  the settings of devstack/tracker-service.sh; the
#                      plugin's [tracker] and [tracker-feature-enabled]
#                      options in tempest.conf
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

function _tracker_fake_compute_count {
    local count=${NUMBER_FAKE_NOVA_COMPUTE:-1}
    _tracker_check_count NUMBER_FAKE_NOVA_COMPUTE "$count"
    echo "$count"
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
    local timeout=$1 services=$2
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
        echo "DATABASE_TYPE=$DATABASE_TYPE"
        if [[ "$DATABASE_TYPE" == "postgresql" ]]; then
            echo "DATABASE_UNIT=postgresql"
        else
            # lib/databases/mysql: mysql, or mariadb on Fedora and Debian.
            echo "DATABASE_UNIT=${MYSQL_SERVICE_NAME:-mysql}"
        fi
        echo "DATABASE_HOST=${MYSQL_HOST:-${DATABASE_HOST:-${SERVICE_LOCAL_HOST:-127.0.0.1}}}"
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

    if [[ "$use_helper" == "True" ]]; then
        local settings
        settings=$(_tracker_helper_settings "$timeout" "$services")
        _tracker_install_root_file "$TRACKER_HELPER_SETTINGS" \
            <<< "$settings"
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
    # Evacuating needs a second compute to go to.
    if [[ "$virt_driver" == "fake" && $computes -lt 2 ]]; then
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
    # and this plugin's may use them all.
    local min_nodes=$TRACKER_MIN_COMPUTE_NODES
    if [[ -z "$min_nodes" && "$virt_driver" == "fake" && $computes -gt 1 ]]
    then
        min_nodes=$computes
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
        ;;
esac

# Restore xtrace
$_XTRACE_TRACKER
