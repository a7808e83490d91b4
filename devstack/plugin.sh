#!/bin/bash
# devstack plugin of tracker-tempest-plugin.
#
#   stack install      install the plugin where tempest runs
#   stack test-config  write the plugin's [tracker] and
#                      [tracker-feature-enabled] options into tempest.conf
#
# Nothing happens unless the tempest service is enabled. Settings: see
# devstack/settings.

# Save trace setting
_XTRACE_TRACKER=$(set +o | grep xtrace)
set +o xtrace

TRACKER_PLUGIN_NAME=tracker-tempest-plugin
TRACKER_SUDOERS_FILE=/etc/sudoers.d/60_tracker_tempest_plugin

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
# plugins do, so that the tempest command installed there finds it.
function install_tracker_tempest_plugin {
    if [[ "$(trueorfalse True INSTALL_TEMPEST)" != "True" ]]; then
        echo "INSTALL_TEMPEST is False: not installing $TRACKER_PLUGIN_NAME"
        return 0
    fi
    setup_dev_lib "$TRACKER_PLUGIN_NAME"
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

# Let the user tempest runs as start the helper as STACK_USER, and nothing
# else. Written to a temporary file and checked with visudo first: a broken
# file in /etc/sudoers.d would break sudo for everybody.
function install_tracker_sudoers {
    local tempest_user=$1
    local helper=$2
    local tmp
    tmp=$(mktemp)
    cat > "$tmp" <<EOF
# Written by $TRACKER_PLUGIN_NAME's devstack plugin: tempest stops and
# starts nova-compute services through this helper.
$tempest_user ALL=($STACK_USER) NOPASSWD: $helper
EOF
    if ! sudo visudo -c -q -f "$tmp"; then
        rm -f "$tmp"
        die $LINENO "the sudoers rule for $tempest_user does not parse"
    fi
    sudo install -o root -g root -m 0440 "$tmp" "$TRACKER_SUDOERS_FILE"
    rm -f "$tmp"
}

# Sets _TRACKER_STOP_COMMAND, _TRACKER_START_COMMAND and
# _TRACKER_COMMANDS_NEED_SUDOERS; both commands empty when this node cannot
# control compute services.
function _tracker_compute_commands {
    _TRACKER_STOP_COMMAND=""
    _TRACKER_START_COMMAND=""
    _TRACKER_COMMANDS_NEED_SUDOERS=False

    if [[ -n "$TRACKER_COMPUTE_STOP_COMMAND" ||
          -n "$TRACKER_COMPUTE_START_COMMAND" ]]; then
        if [[ -z "$TRACKER_COMPUTE_STOP_COMMAND" ||
              -z "$TRACKER_COMPUTE_START_COMMAND" ]]; then
            die $LINENO "set both TRACKER_COMPUTE_STOP_COMMAND and" \
                "TRACKER_COMPUTE_START_COMMAND, or neither"
        fi
        _TRACKER_STOP_COMMAND=$TRACKER_COMPUTE_STOP_COMMAND
        _TRACKER_START_COMMAND=$TRACKER_COMPUTE_START_COMMAND
        return 0
    fi

    # Baremetal nodes have no nova-compute service per host to stop.
    if [[ "${VIRT_DRIVER:-}" == "ironic" ]] || ! is_service_enabled n-cpu; then
        return 0
    fi

    local helper=$TRACKER_TEMPEST_PLUGIN_DIR/devstack/tracker-compute-service.sh
    local tempest_user ssh_user
    tempest_user=$(_tracker_tempest_user)
    ssh_user=${TRACKER_COMPUTE_SSH_USER:-$STACK_USER}
    _tracker_check_word "the helper path" "$helper"
    _tracker_check_word "STACK_USER" "$STACK_USER"
    _tracker_check_word "TRACKER_TEMPEST_USER" "$tempest_user"

    local -a argv=()
    if [[ "$tempest_user" != "$STACK_USER" ]]; then
        argv+=(sudo -n -u "$STACK_USER")
        _TRACKER_COMMANDS_NEED_SUDOERS=True
    fi
    argv+=("$helper")
    if [[ "${VIRT_DRIVER:-}" == "fake" ]]; then
        # lib/nova start_nova_compute: host "${HOSTNAME}i", unit n-cpu-i
        _tracker_check_word "HOSTNAME" "$HOSTNAME"
        argv+=(--fake-host-prefix "$HOSTNAME")
    fi
    if [[ "$ssh_user" != "none" ]]; then
        _tracker_check_word "TRACKER_COMPUTE_SSH_USER" "$ssh_user"
        argv+=(--ssh-user "$ssh_user")
    fi
    _TRACKER_STOP_COMMAND="${argv[*]} stop {host}"
    _TRACKER_START_COMMAND="${argv[*]} start {host}"
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
        computes=${NUMBER_FAKE_NOVA_COMPUTE:-1}
        _tracker_check_count NUMBER_FAKE_NOVA_COMPUTE "$computes"
    fi

    _tracker_compute_commands
    local have_commands=False
    if [[ -n "$_TRACKER_STOP_COMMAND" ]]; then
        have_commands=True
        iniset "$TEMPEST_CONFIG" tracker compute_stop_command "$_TRACKER_STOP_COMMAND"
        iniset "$TEMPEST_CONFIG" tracker compute_start_command "$_TRACKER_START_COMMAND"
    fi
    local service_control
    service_control=$(trueorfalse "$have_commands" TRACKER_SERVICE_CONTROL)
    if [[ "$service_control" == "True" && "$have_commands" == "False" ]]; then
        die $LINENO "TRACKER_SERVICE_CONTROL=True needs a compute service" \
            "on this node or TRACKER_COMPUTE_STOP_COMMAND and" \
            "TRACKER_COMPUTE_START_COMMAND"
    fi
    if [[ "$service_control" == "True" &&
          "$_TRACKER_COMMANDS_NEED_SUDOERS" == "True" ]]; then
        install_tracker_sudoers "$(_tracker_tempest_user)" \
            "$TRACKER_TEMPEST_PLUGIN_DIR/devstack/tracker-compute-service.sh"
    fi

    local timeout=$TRACKER_SERVICE_STATE_TIMEOUT
    if [[ -z "$timeout" ]]; then
        timeout=$(_tracker_service_state_timeout)
    fi
    _tracker_check_count TRACKER_SERVICE_STATE_TIMEOUT "$timeout"
    iniset "$TEMPEST_CONFIG" tracker service_state_timeout "$timeout"

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

    local group=tracker-feature-enabled
    iniset "$TEMPEST_CONFIG" "$group" resize \
        "$(trueorfalse "$resize" TRACKER_FEATURE_RESIZE)"
    iniset "$TEMPEST_CONFIG" "$group" same_host_resize \
        "$(trueorfalse "$same_host_resize" TRACKER_FEATURE_SAME_HOST_RESIZE)"
    iniset "$TEMPEST_CONFIG" "$group" cold_migration \
        "$(trueorfalse "$cold_migration" TRACKER_FEATURE_COLD_MIGRATION)"
    iniset "$TEMPEST_CONFIG" "$group" live_migration \
        "$(trueorfalse "$live_migration" TRACKER_FEATURE_LIVE_MIGRATION)"
    iniset "$TEMPEST_CONFIG" "$group" evacuate \
        "$(trueorfalse "$evacuate" TRACKER_FEATURE_EVACUATE)"
    iniset "$TEMPEST_CONFIG" "$group" shelve \
        "$(trueorfalse "$shelve" TRACKER_FEATURE_SHELVE)"
    iniset "$TEMPEST_CONFIG" "$group" service_control "$service_control"

    # Several fake computes on this one node: tempest's multi-host tests
    # and this plugin's may use them all.
    local min_nodes=$TRACKER_MIN_COMPUTE_NODES
    if [[ -z "$min_nodes" && "$virt_driver" == "fake" && $computes -gt 1 ]]; then
        min_nodes=$computes
    fi
    if [[ -n "$min_nodes" ]]; then
        _tracker_check_count TRACKER_MIN_COMPUTE_NODES "$min_nodes"
        iniset "$TEMPEST_CONFIG" compute min_compute_nodes "$min_nodes"
    fi
}

if is_service_enabled tempest; then
    if [[ "${1:-}" == "stack" ]]; then
        case "${2:-}" in
            install)
                echo_summary "Installing $TRACKER_PLUGIN_NAME"
                install_tracker_tempest_plugin
                ;;
            test-config)
                echo_summary "Configuring $TRACKER_PLUGIN_NAME"
                install_tracker_tempest_plugin_in_tempest_venv
                configure_tracker_tempest_plugin
                ;;
        esac
    fi
    if [[ "${1:-}" == "clean" ]]; then
        sudo rm -f "$TRACKER_SUDOERS_FILE"
    fi
fi

# Restore xtrace
$_XTRACE_TRACKER
