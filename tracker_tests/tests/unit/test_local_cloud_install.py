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

"""tools/local_cloud's installation steps, with the commands recorded, not
run: nothing here installs a package or starts a service."""

import os
import pathlib
import sys
import tempfile
import types

import fixtures
import testtools

TOOLS = pathlib.Path(__file__).resolve().parents[3] / 'tools'
sys.path.insert(0, str(TOOLS))

from local_cloud import install  # noqa: E402
from local_cloud import keystone_service  # noqa: E402
from local_cloud import layout as layout_mod  # noqa: E402
from local_cloud import supervisor  # noqa: E402


class Recorder:

    def __init__(self, fail=()):
        self.calls = []
        self.fail = fail

    def __call__(self, name, argv, log=None, env=None):
        self.calls.append((name, [str(a) for a in argv], env))
        if argv[0] in self.fail:
            raise supervisor.ServiceFailed(name, 'exit code 1', log)


class SystemServicesTest(testtools.TestCase):

    def test_systemd_units_are_stopped_and_disabled(self):
        self.assertEqual([
            ['systemctl', 'disable', '--now', 'mariadb'],
            ['systemctl', 'disable', '--now', 'rabbitmq-server'],
            ['systemctl', 'disable', '--now', 'epmd', 'epmd.socket'],
        ], install.system_service_commands(
            ['rabbitmq-server', 'mariadb-server', 'mariadb-client'], True))

    def test_without_systemd_init_scripts_and_epmd_kill(self):
        self.assertEqual([
            ['service', 'rabbitmq-server', 'stop'],
            ['update-rc.d', 'rabbitmq-server', 'disable'],
            ['epmd', '-kill'],
        ], install.system_service_commands(['rabbitmq-server'], False))

    def test_packages_installed_before_are_left_alone(self):
        self.assertEqual([], install.system_service_commands(
            ['mariadb-client'], True))

    def test_a_failing_stop_is_logged_and_the_others_still_run(self):
        recorder = Recorder(fail=('service',))
        with tempfile.NamedTemporaryFile('r') as log:
            install.stop_system_services(['mariadb-server'], log.name,
                                         systemd=False, run=recorder)
            self.assertIn('ignored:', log.read())
        self.assertEqual(['service', 'update-rc.d'],
                         [argv[0] for _, argv, _ in recorder.calls])

    def test_pyuwsgi_replaces_the_uwsgi_source_build(self):
        self.assertIn('pyuwsgi', install.PIP_PACKAGES)
        self.assertNotIn('uwsgi', install.PIP_PACKAGES)
        with open(install.CONSTRAINTS) as source:
            pins = {line.split('==')[0].lower() for line in source}
        self.assertIn('pyuwsgi', pins)
        self.assertNotIn('uwsgi', pins)


class KeystoneBootstrapTest(testtools.TestCase):

    def test_bootstrap_password_in_the_environment_only(self):
        layout = layout_mod.Layout.from_env(
            self.useFixture(fixtures.TempDir()).path)
        recorder = Recorder()
        keystone_service.prepare(types.SimpleNamespace(
            layout=layout, secrets={'admin_password': 's3cret-admin'},
            run=recorder))
        bootstrap = [call for call in recorder.calls
                     if call[0] == 'keystone-bootstrap']
        self.assertEqual(1, len(bootstrap))
        _, argv, env = bootstrap[0]
        self.assertIn('bootstrap', argv)
        self.assertFalse([a for a in argv if 's3cret-admin' in a], argv)
        self.assertNotIn('--bootstrap-password', argv)
        self.assertEqual('s3cret-admin', env['OS_BOOTSTRAP_PASSWORD'])
        self.assertEqual(os.environ.get('PATH'), env.get('PATH'))
