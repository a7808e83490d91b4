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
"""Unit tests of tools/localcloud: configuration rendering and the
process supervisor. Nothing here starts an OpenStack service."""

import configparser
import contextlib
import io
import json
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import testtools

from tracker_tests import config as tracker_config

TOOLS = pathlib.Path(__file__).resolve().parents[3] / 'tools'
sys.path.insert(0, str(TOOLS))

from local_cloud import cli  # noqa: E402
from local_cloud import clients  # noqa: E402
from local_cloud import ini  # noqa: E402
from local_cloud import layout as layout_mod  # noqa: E402
from local_cloud import nova_service  # noqa: E402
from local_cloud import supervisor  # noqa: E402

SECRETS = {'db_password': 'db-secret', 'admin_password': 'admin-secret',
           'demo_password': 'demo-secret', 'service_password': 'svc-secret'}


def parse(text):
    parser = configparser.RawConfigParser(strict=False)
    parser.read_string(text)
    return parser


class IniTest(testtools.TestCase):

    def test_values_as_oslo_config_reads_them(self):
        text = ini.render({'DEFAULT': {'debug': False, 'workers': 2,
                                       'plugins': ['a', 'b'],
                                       'empty': None}})
        self.assertEqual('[DEFAULT]\ndebug = false\nworkers = 2\n'
                         'plugins = a,b\nempty = \n', text)


class ConfigRenderingTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(__import__('shutil').rmtree, self.root)
        self.layout = layout_mod.Layout.from_env(self.root)
        self.computes = nova_service.default_computes(3)
        self.files = {str(p): t for p, t in cli.Up._config_files(
            type('U', (), {'layout': self.layout, 'secrets': SECRETS,
                           'computes': self.computes})()).items()}

    def conf(self, relative):
        return parse(self.files[str(self.root / relative)])

    def test_every_service_listens_on_loopback_only(self):
        for name in ('keystone', 'placement', 'glance', 'neutron',
                     'nova_api'):
            uwsgi = self.conf('etc/uwsgi/%s.ini' % name)['uwsgi']
            self.assertEqual('127.0.0.1:%d' % layout_mod.DEFAULT_PORTS[name],
                             uwsgi['http'])

    def test_nova_points_at_its_cell_and_broker(self):
        conf = self.conf('etc/nova/nova.conf')
        self.assertIn('@127.0.0.1:28306/nova_api',
                      conf['api_database']['connection'])
        self.assertIn('@127.0.0.1:28306/nova?',
                      conf['database']['connection'])
        self.assertEqual('rabbit://guest:guest@127.0.0.1:28672/',
                         conf['DEFAULT']['transport_url'])
        self.assertEqual('15', conf['DEFAULT']['service_down_time'])
        self.assertEqual('5', conf['DEFAULT']['report_interval'])
        self.assertEqual('10', conf['DEFAULT']['update_resources_interval'])
        self.assertEqual('true',
                         conf['service_user']['send_service_user_token'])

    def test_each_compute_has_its_own_host_and_state(self):
        paths = set()
        for number in (1, 2, 3):
            conf = self.conf('etc/nova/compute%d.conf' % number)['DEFAULT']
            self.assertEqual('compute%d' % number, conf['host'])
            self.assertEqual(nova_service.STABLE_DRIVER,
                             conf['compute_driver'])
            paths.add(conf['state_path'])
        self.assertEqual(3, len(paths))

    def test_neutron_has_no_tenant_networks(self):
        ml2 = self.conf('etc/neutron/ml2_conf.ini')['ml2']
        self.assertEqual('flat', ml2['type_drivers'])
        self.assertEqual('', ml2['tenant_network_types'])
        self.assertEqual('', ml2['mechanism_drivers'])

    def test_services_authenticate_with_the_service_password(self):
        conf = self.conf('etc/placement/placement.conf')
        auth = conf['keystone_authtoken']
        self.assertEqual('placement', auth['username'])
        self.assertEqual('svc-secret', auth['password'])
        self.assertEqual('http://127.0.0.1:28500/v3', auth['auth_url'])


class ClientFilesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.layout = layout_mod.Layout.from_env('/srv/cloud')

    def test_clouds_yaml_has_admin_and_member_clouds(self):
        clouds = json.loads(clients.clouds_yaml(self.layout, SECRETS))
        admin = clouds['clouds'][clients.ADMIN_CLOUD]['auth']
        member = clouds['clouds'][clients.MEMBER_CLOUD]['auth']
        self.assertEqual(('admin', 'admin-secret', 'admin'), (
            admin['username'], admin['password'], admin['project_name']))
        self.assertEqual(('demo', 'demo'), (member['username'],
                                            member['project_name']))

    def test_tempest_conf_drives_this_cloud(self):
        conf = parse(clients.tempest_conf(
            self.layout, SECRETS, 'image-uuid',
            nova_service.default_computes(3)))
        self.assertEqual('3', conf['compute']['min_compute_nodes'])
        self.assertEqual('image-uuid', conf['compute']['image_ref'])
        self.assertEqual('false', conf['auth']['create_isolated_networks'])
        self.assertEqual('tracker.small', conf['tracker']['flavor_ref'])
        self.assertEqual('true',
                         conf['tracker-feature-enabled']['service_control'])
        # The service control templates must load as the plugin reads them.
        argv = tracker_config.CommandTemplate()(
            conf['tracker']['compute_stop_command'])
        self.assertEqual(
            [str(layout_mod.REPO_ROOT / 'tools' / 'localcloud'),
             '--state-dir', '/srv/cloud', 'compute', 'stop', 'compute2'],
            tracker_config.render_command(argv, host='compute2'))


class SupervisorTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        root = pathlib.Path(tempfile.mkdtemp())
        self.addCleanup(__import__('shutil').rmtree, root)
        self.layout = layout_mod.Layout.from_env(root)
        self.sup = supervisor.Supervisor(self.layout)
        self.spec = supervisor.ProcessSpec(
            name='sleeper', argv=['sleep', '60'])
        self.addCleanup(self.sup.stop, 'sleeper', 5, signal.SIGKILL)

    def test_start_is_idempotent_and_stop_stops_it(self):
        self.assertTrue(self.sup.start(self.spec))
        pid = self.sup.pid('sleeper')
        self.assertIsNotNone(pid)
        self.assertFalse(self.sup.start(self.spec))
        self.assertEqual(pid, self.sup.pid('sleeper'))
        self.assertTrue(self.sup.stop('sleeper', timeout=5))
        self.assertIsNone(self.sup.pid('sleeper'))
        self.assertFalse(self.sup.stop('sleeper'))

    def test_a_reused_pid_is_not_ours(self):
        other = subprocess.Popen(['sleep', '60'])
        self.addCleanup(other.wait)
        self.addCleanup(other.kill)
        self.layout.run.mkdir(parents=True)
        # A record naming a live pid with another start time: never signal.
        (self.layout.run / 'sleeper.json').write_text(json.dumps({
            'pid': other.pid, 'start_ticks': '1', 'argv': ['sleep']}))
        self.assertIsNone(self.sup.pid('sleeper'))
        self.assertFalse(self.sup.stop('sleeper'))
        self.assertIsNone(other.poll())

    def test_port_in_use_names_the_port_and_service(self):
        import socket
        sock = socket.socket()
        self.addCleanup(sock.close)
        sock.bind(('127.0.0.1', 0))
        sock.listen()
        port = sock.getsockname()[1]
        layout = layout_mod.Layout(root=self.layout.root,
                                   ports={'busy': port})
        spec = supervisor.ProcessSpec(name='svc', argv=['sleep', '1'],
                                      ports=('busy',))
        exc = self.assertRaises(supervisor.PortInUse,
                                supervisor.Supervisor(layout).start, spec)
        self.assertIn('port %d' % port, str(exc))
        self.assertIn('svc', str(exc))

    def test_a_process_that_dies_is_reported_with_its_log(self):
        spec = supervisor.ProcessSpec(
            name='crasher', argv=['sh', '-c', 'echo boom-marker; exit 3'],
            ports=(), ready='tcp')
        self.sup.start(spec)
        time.sleep(0.5)
        exc = self.assertRaises(supervisor.ServiceFailed,
                                self.sup.wait_ready, spec, 5)
        self.assertIn('crasher did not come up', str(exc))
        self.assertIn('boom-marker', str(exc))


class CommandLineTest(testtools.TestCase):

    def run_cli(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        root = tempfile.mkdtemp()
        self.addCleanup(__import__('shutil').rmtree, root)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(['--state-dir', root] + list(argv))
            except SystemExit as exc:
                code = exc.code
        return code, out.getvalue(), err.getvalue()

    def test_unknown_compute_host_is_a_usage_error(self):
        code, _, err = self.run_cli('compute', 'stop', 'compute9')
        self.assertEqual(2, code)
        self.assertIn("unknown compute host 'compute9'", err)

    def test_bad_compute_count_names_the_flag(self):
        code, _, err = self.run_cli('up', '--computes', 'zero')
        self.assertEqual(2, code)
        self.assertIn('--computes', err)

    def test_status_without_a_cloud_fails(self):
        code, out, _ = self.run_cli('status')
        self.assertEqual(1, code)
        self.assertIn('no local cloud', out)

    def test_env_prints_exports_without_secrets(self):
        code, out, _ = self.run_cli('env')
        self.assertEqual(0, code)
        self.assertIn('export OS_CLOUD=localcloud-admin', out)
        self.assertIn('export OS_CLIENT_CONFIG_FILE=', out)
        self.assertNotIn('secret', out)
