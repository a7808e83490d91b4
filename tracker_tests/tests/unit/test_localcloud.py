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
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import fixtures
import testtools

from tracker_tests import config as tracker_config
from tracker_tests.tests.unit import clitools

TOOLS = pathlib.Path(__file__).resolve().parents[3] / 'tools'
sys.path.insert(0, str(TOOLS))

from local_cloud import cli  # noqa: E402
from local_cloud import clients  # noqa: E402
from local_cloud import ini  # noqa: E402
from local_cloud import layout as layout_mod  # noqa: E402
from local_cloud import nova_service  # noqa: E402
from local_cloud import services  # noqa: E402
from local_cloud import supervisor  # noqa: E402
from local_cloud import wsgi  # noqa: E402

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


class RegistryTest(testtools.TestCase):
    """The service table and what is derived from it."""

    def setUp(self):
        super().setUp()
        self.ctx = services.Context(layout_mod.Layout.from_env('/srv/cloud'),
                                    nova_service.default_computes(3))

    def test_ports_are_what_they_were_before_the_table(self):
        self.assertEqual({
            'mariadb': 28306, 'epmd': 28369, 'rabbitmq': 28672,
            'rabbitmq_dist': 28673, 'keystone': 28500, 'glance': 28292,
            'placement': 28778, 'neutron': 28696, 'nova_api': 28774,
            'nova_api_opt_in': 28775,
        }, services.default_ports())
        self.assertEqual(services.default_ports(), self.ctx.layout.ports)

    def test_no_two_services_share_a_port(self):
        numbers = [n for s in services.REGISTRY for n in s.ports.values()]
        self.assertEqual(len(numbers), len(set(numbers)))

    def test_databases_are_what_they_were_before_the_table(self):
        self.assertEqual(
            sorted(('keystone', 'glance', 'placement', 'neutron',
                    'nova_api', 'nova_cell0', 'nova')),
            sorted(services.databases()))
        self.assertEqual(len(services.databases()),
                         len(set(services.databases())))

    def test_catalog_is_what_it_was_before_the_table(self):
        self.assertEqual({
            # (user, catalog type, service name, port name, path)
            ('nova', 'compute', 'nova', 'nova_api', '/v2.1'),
            # The second nova-api, for resizes to the same host and soft
            # deletes.
            ('nova', 'compute_opt_in', 'nova', 'nova_api_opt_in',
             '/v2.1'),
            ('placement', 'placement', 'placement', 'placement', ''),
            ('glance', 'image', 'glance', 'glance', ''),
            ('neutron', 'network', 'neutron', 'neutron', ''),
        }, {(e.user, e.service_type, e.user, e.port, e.path)
            for e in services.catalog()})
        roles = {e.user: e.roles for e in services.catalog()}
        self.assertEqual(('admin', 'service'), roles['nova'])
        self.assertEqual(('admin',), roles['placement'])

    def test_start_order_is_kept(self):
        self.assertEqual(
            [['database'], ['message-bus'], ['keystone'],
             ['placement', 'glance', 'neutron', 'nova-api',
              'nova-api-opt-in', 'nova-conductor', 'nova-scheduler'],
             ['nova-compute']],
            [[s.name for s in stage] for stage in services.stages()])
        self.assertEqual(
            ['mariadb', 'epmd', 'rabbitmq', 'keystone', 'placement',
             'glance', 'neutron', 'nova_api', 'nova_api_opt_in',
             'nova-conductor',
             'nova-scheduler', 'nova-compute-compute1',
             'nova-compute-compute2', 'nova-compute-compute3'],
            [spec.name for spec in services.process_specs(
                services.Context(self.ctx.layout,
                                 nova_service.default_computes(3, False)))])

    def test_every_service_starts_processes_that_say_when_ready(self):
        for service in services.REGISTRY:
            specs = service.processes(self.ctx)
            self.assertTrue(specs, service.name)
            own_ports = set(service.ports)
            for spec in specs:
                self.assertLessEqual(set(spec.ports), own_ports, spec.name)
                # A process with a port is ready when it answers there;
                # one without is ready when its service says so.
                if spec.ports:
                    self.assertIn(spec.ready, ('http', 'tcp'), spec.name)
            if service.ports:
                self.assertEqual(own_ports, {p for spec in specs
                                             for p in spec.ports},
                                 service.name)
            elif not service.per_host:
                # No port to poll: start and thaw need another sign.
                self.assertIsNotNone(service.confirm_up, service.name)

    def test_only_the_database_and_broker_are_stopped_last(self):
        self.assertEqual(['database', 'message-bus'], [
            s.name for s in services.REGISTRY if s.infrastructure])

    def test_every_service_with_a_database_configures_it(self):
        files = services.config_files(services.Context(
            self.ctx.layout, self.ctx.computes, secrets=SECRETS))
        text = '\n'.join(files.values())
        for name in services.databases():
            if name == 'nova_cell0':
                continue  # mapped by nova-manage, named in no file
            self.assertIn(':28306/%s?' % name, text)


class UpTest(testtools.TestCase):
    """``up``'s stage loop, with processes that only sleep."""

    def setUp(self):
        super().setUp()
        self.layout = layout_mod.Layout.from_env(clitools.temp_dir(self))
        self.calls = []
        self.up = cli.Up(self.layout, 1, False)
        self.sup = self.up.sup

    def service(self, name, stage):
        spec = supervisor.ProcessSpec(name=name, argv=['sleep', '60'])
        self.addCleanup(self.sup.stop, name, 5, signal.SIGKILL)
        return services.Service(
            name, stage, lambda ctx: [spec],
            prepare=lambda ctx: self.calls.append(('prepare', name)),
            after_start=lambda ctx: self.calls.append(
                ('after_start', name, bool(self.sup.pid(name)))))

    def test_stages_start_in_order_and_prepare_only_what_is_down(self):
        first, second = self.service('one', 0), self.service('two', 1)
        self.up.start_services([[first], [second]])
        self.assertEqual([('prepare', 'one'), ('after_start', 'one', True),
                          ('prepare', 'two'), ('after_start', 'two', True)],
                         self.calls)
        self.sup.stop('two', timeout=5)
        del self.calls[:]
        self.up.start_services([[first], [second]])
        self.assertEqual([('after_start', 'one', True), ('prepare', 'two'),
                          ('after_start', 'two', True)], self.calls)


class ComputeOptionsTest(testtools.TestCase):
    """``compute set`` and ``compute reset`` without starting anything."""

    def setUp(self):
        super().setUp()
        self.layout = layout_mod.Layout.from_env(clitools.temp_dir(self))
        nova_service.conf_dir(self.layout).mkdir(parents=True)
        self.compute = nova_service.Compute('compute1')

    def argv(self):
        return [str(a) for a in nova_service.compute_spec(
            self.layout, self.compute).argv]

    def test_overrides_are_read_last_once_set(self):
        overrides = str(nova_service.compute_overrides_path(
            self.layout, 'compute1'))
        self.assertNotIn(overrides, self.argv())
        nova_service.set_compute_option(self.layout, 'compute1',
                                        'reserved_host_disk_mb', '2560')
        nova_service.set_compute_option(self.layout, 'compute1',
                                        'reserved_host_memory_mb', 2048)
        nova_service.set_compute_option(self.layout, 'compute1',
                                        'reclaim_instance_interval', '30')
        nova_service.set_compute_option(self.layout, 'compute1',
                                        'cpu_allocation_ratio', '2')
        self.assertEqual(overrides, self.argv()[-1])
        self.assertEqual({'reserved_host_disk_mb': '2560',
                          'reserved_host_memory_mb': '2048',
                          'reclaim_instance_interval': '30',
                          'cpu_allocation_ratio': '2.0'},
                         dict(parse(pathlib.Path(overrides).read_text())[
                             'DEFAULT']))

    def test_bad_options_and_values_name_what_is_wrong(self):
        for option, value, fragment in (
                ('debug', 'true', 'debug cannot be set; one of: '
                                  'reserved_host_memory_mb'),
                ('reserved_host_cpus', 'two', 'reserved_host_cpus takes a '
                                              'whole number'),
                ('reclaim_instance_interval', '1.5',
                 "reclaim_instance_interval takes a whole number, not "
                 "'1.5'"),
                ('ram_allocation_ratio', 'x', "ram_allocation_ratio takes a "
                                              "number, not 'x'"),
                ('ram_allocation_ratio', '-1', 'takes a number of 0 or '
                                               'more')):
            error = self.assertRaises(
                ValueError, nova_service.set_compute_option, self.layout,
                'compute1', option, value)
            self.assertIn(fragment, str(error))

    def test_options_of_a_new_compute(self):
        self.assertEqual([], nova_service.parse_options(''))
        self.assertEqual(
            [('initial_cpu_allocation_ratio', '16.1'),
             ('reserved_host_cpus', '1')],
            nova_service.parse_options(
                'initial_cpu_allocation_ratio=16.1, reserved_host_cpus=1'))

    def test_a_state_file_naming_unknown_fields_still_loads(self):
        self.layout.state_file.write_text(json.dumps({'computes': [
            {'host': 'compute1', 'driver': 'fake.TrackerFaultDriver',
             'from_a_newer_version': 0}]}))
        self.assertEqual(['compute1'],
                         [c.host for c in cli.computes_of(self.layout)])


class ConductorPinTest(testtools.TestCase):
    """``conductor pin`` and ``unpin`` without starting anything."""

    def setUp(self):
        super().setUp()
        self.root = clitools.temp_dir(self)
        self.layout = layout_mod.Layout.from_env(self.root)
        nova_service.conf_dir(self.layout).mkdir(parents=True)
        conductor = services.by_name('nova-conductor')
        self.argv = lambda: [str(a) for a in conductor.processes(
            services.Context(self.layout, []))[0].argv]

    def test_the_pin_is_read_last_once_set(self):
        overrides = str(nova_service.service_overrides_path(
            self.layout, 'nova-conductor'))
        self.assertNotIn(overrides, self.argv())
        self.assertIsNone(nova_service.conductor_compute_rpc_pin(
            self.layout))
        nova_service.pin_conductor_compute_rpc(self.layout, '5.0')
        self.assertEqual(overrides, self.argv()[-1])
        self.assertEqual({'compute': '5.0'}, dict(parse(
            pathlib.Path(overrides).read_text())['upgrade_levels']))
        self.assertEqual('5.0', nova_service.conductor_compute_rpc_pin(
            self.layout))
        # The scheduler keeps nova.conf alone.
        scheduler = services.by_name('nova-scheduler').processes(
            services.Context(self.layout, []))[0]
        self.assertNotIn(overrides, [str(a) for a in scheduler.argv])

    def test_a_version_nova_does_not_serve_is_refused_and_nothing_set(self):
        for version in ('4.22', '7.0', '5', 'latest', '5.0; rm'):
            error = self.assertRaises(
                ValueError, nova_service.pin_conductor_compute_rpc,
                self.layout, version)
            self.assertIn('5.0 to 6.x (nova 34 still serves 5.x), not %r'
                          % version, str(error))
        self.assertIsNone(nova_service.conductor_compute_rpc_pin(
            self.layout))

    def test_the_command_names_what_is_wrong(self):
        code, _, err = clitools.run_main(cli.main, [
            '--state-dir', str(self.root), 'conductor', 'pin', '5.0'])
        self.assertEqual(2, code)
        self.assertIn('no local cloud in', err)
        self.layout.state_file.write_text(json.dumps({'computes': []}))
        code, _, err = clitools.run_main(cli.main, [
            '--state-dir', str(self.root), 'conductor', 'pin', '7.0'])
        self.assertEqual(2, code)
        self.assertIn("not '7.0'", err)
        code, out, _ = clitools.run_main(cli.main, [
            '--state-dir', str(self.root), 'conductor', 'unpin'])
        self.assertEqual(0, code)
        self.assertIn('nova-conductor is not pinned', out)
        # With the cloud down nothing is written: no restart applies it.
        code, _, err = clitools.run_main(cli.main, [
            '--state-dir', str(self.root), 'conductor', 'pin', '5.1'])
        self.assertEqual(1, code)
        self.assertIn('the local cloud does not serve: database (stopped)',
                      err)
        self.assertIsNone(nova_service.conductor_compute_rpc_pin(
            self.layout))
        # A pin left by a pin whose restart failed: unpin removes it even
        # so, and says that nothing restarted.
        nova_service.pin_conductor_compute_rpc(self.layout, '5.1')
        code, _, err = clitools.run_main(cli.main, [
            '--state-dir', str(self.root), 'conductor', 'unpin'])
        self.assertEqual(1, code)
        self.assertIn('unpinned nova-conductor (from 5.1), not restarted: '
                      'the local cloud does not serve', err)
        self.assertIsNone(nova_service.conductor_compute_rpc_pin(
            self.layout))


class ComputesOfUpTest(testtools.TestCase):
    """Which computes ``up`` runs."""

    def setUp(self):
        super().setUp()
        self.layout = layout_mod.Layout.from_env(clitools.temp_dir(self))

    def computes(self, previous, count=None, extra=None):
        if previous is not None:
            self.layout.root.mkdir(parents=True, exist_ok=True)
            self.layout.state_file.write_text(json.dumps(
                {'computes': previous}))
        return cli.Up(self.layout, count, extra).ctx.computes

    def test_a_new_cloud_gets_every_compute(self):
        self.assertEqual(nova_service.default_computes(3),
                         self.computes(None))

    def test_a_cloud_of_an_older_version_gets_todays_computes(self):
        # As written before the fault driver and the strict computes.
        previous = [{'host': 'compute%d' % i,
                     'driver': 'fake.FakeDriverWithoutFakeNodes'}
                    for i in (1, 2, 3, 4)] + [
            {'host': 'fault-healthy', 'driver':
             'fake.FakeDriverWithoutFakeNodes', 'zone': 'faults',
             'reserved_host_memory_mb': 100000,
             'role': 'fault_healthy_host'}]
        computes = self.computes(previous)
        self.assertEqual(nova_service.default_computes(4), computes)
        self.assertEqual({'fake.TrackerFaultDriver'}, {
            c.driver for c in computes if c.host.startswith('compute')})

    def test_throwaway_computes_start_again_until_removed(self):
        self.layout.root.mkdir(parents=True, exist_ok=True)
        self.layout.state_file.write_text(json.dumps({
            'computes': [{'host': 'compute1'}],
            'throwaway_computes': ['fault-throwaway-a1']}))
        up = cli.Up(self.layout, None, None)
        self.assertEqual(
            nova_service.default_computes(1, False) +
            [nova_service.throwaway_compute('fault-throwaway-a1')],
            up.ctx.computes)
        self.assertEqual(['fault-throwaway-a1'], up.throwaway)
        self.assertEqual(['compute1', 'fault-throwaway-a1'],
                         [c.host for c in cli.every_compute(self.layout)])
        self.assertEqual(['compute1'],
                         [c.host for c in cli.computes_of(self.layout)])

    def test_flags_win_over_the_last_up(self):
        previous = [{'host': 'compute1'}, {'host': 'compute2'}]
        self.assertEqual(nova_service.default_computes(2, False),
                         self.computes(previous))
        self.assertEqual(nova_service.default_computes(5, True),
                         self.computes(previous, 5, True))


class ConfigRenderingTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = clitools.temp_dir(self)
        self.layout = layout_mod.Layout.from_env(self.root)
        self.computes = nova_service.default_computes(3)
        self.files = {str(p): t for p, t in services.config_files(
            services.Context(self.layout, self.computes,
                             secrets=SECRETS)).items()}

    def conf(self, relative):
        return parse(self.files[str(self.root / relative)])

    def test_every_service_listens_on_loopback_only(self):
        for name in ('keystone', 'placement', 'glance', 'neutron',
                     'nova_api'):
            uwsgi = self.conf('etc/uwsgi/%s.ini' % name)['uwsgi']
            self.assertEqual('127.0.0.1:%d' % services.default_ports()[name],
                             uwsgi['http'])

    def test_uwsgi_services_get_their_env_when_the_process_starts(self):
        # pyuwsgi applies the ini's env options after Python copied
        # os.environ, where keystone looks for its configuration.
        for path, text in self.files.items():
            pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
            pathlib.Path(path).write_text(text)
        spec = wsgi.process_spec(self.layout, 'keystone')
        self.assertEqual(
            {'OS_KEYSTONE_CONFIG_FILES': str(
                self.root / 'etc' / 'keystone' / 'keystone.conf')},
            spec.env)
        self.assertIn('env = OS_KEYSTONE_CONFIG_FILES=%s'
                      % spec.env['OS_KEYSTONE_CONFIG_FILES'],
                      pathlib.Path(spec.argv[-1]).read_text())

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

    def test_only_the_opt_in_api_resizes_to_its_host_and_soft_deletes(self):
        # The opt-in API reads nova.conf, then its own file.
        nova = self.conf('etc/nova/nova.conf')['DEFAULT']
        opt_in = self.conf('etc/nova/%s' % nova_service.OPT_IN_API_CONF)[
            'DEFAULT']
        self.assertEqual('false', nova['allow_resize_to_same_host'])
        self.assertNotIn('reclaim_instance_interval', nova)
        self.assertEqual('true', opt_in['allow_resize_to_same_host'])
        self.assertGreater(int(opt_in['reclaim_instance_interval']), 0)
        self.assertIn(nova_service.OPT_IN_API_CONF, self.conf(
            'etc/uwsgi/nova_api_opt_in.ini')['uwsgi']['env'])

    def test_each_compute_has_its_own_host_and_state(self):
        paths = set()
        for number in (1, 2, 3):
            conf = self.conf('etc/nova/compute%d.conf' % number)['DEFAULT']
            self.assertEqual('compute%d' % number, conf['host'])
            self.assertEqual('fake.TrackerFaultDriver',
                             conf['compute_driver'])
            paths.add(conf['state_path'])
        self.assertEqual(3, len(paths))

    def test_strict_computes_skip_the_periodic_update(self):
        for host in ('fault-strict1', 'fault-strict2'):
            conf = self.conf('etc/nova/%s.conf' % host)
            self.assertEqual({
                'host': host, 'compute_driver': 'fake.TrackerFaultDriver',
                'update_resources_interval': '-1',
                'reserved_host_disk_mb': '1536', 'reserved_host_cpus': '2',
                'reserved_host_memory_mb': '512',
            }, {k: v for k, v in conf['DEFAULT'].items()
                if k not in ('state_path', 'instances_path')})
            provider_dir = conf['compute']['provider_config_location']
            self.assertIn('- CUSTOM_TRACKER_STRICT', self.files[
                provider_dir + '/fault-injection.yaml'])
        # Regular computes keep nova.conf's interval and nova's reserves.
        regular = self.conf('etc/nova/compute1.conf')['DEFAULT']
        for option in ('update_resources_interval', 'reserved_host_disk_mb',
                       'reserved_host_cpus'):
            self.assertNotIn(option, regular)
        self.assertEqual('10', self.conf('etc/nova/nova.conf')['DEFAULT'][
            'update_resources_interval'])

    def test_fault_computes_keep_their_trait(self):
        conf = self.conf('etc/nova/fault-build-abort.conf')
        self.assertIn('- CUSTOM_TRACKER_FAULT_INJECTION', self.files[
            conf['compute']['provider_config_location'] +
            '/fault-injection.yaml'])
        self.assertEqual('fake.RestartableBuildAbortDriver',
                         conf['DEFAULT']['compute_driver'])

    def test_new_computes_start_disabled(self):
        # nova-conductor creates the service record: nova.conf, which it
        # reads too.
        self.assertEqual('false', self.conf('etc/nova/nova.conf')[
            'DEFAULT']['enable_new_services'])

    def test_a_throwaway_compute_has_its_zones_trait(self):
        compute = nova_service.throwaway_compute('fault-throwaway-1a2b')
        files = {str(p): t for p, t in nova_service.compute_config_files(
            services.Context(self.layout, [compute])).items()}
        conf = parse(files[str(self.root /
                               'etc/nova/fault-throwaway-1a2b.conf')])
        self.assertIn('- CUSTOM_TRACKER_THROWAWAY', files[
            conf['compute']['provider_config_location'] +
            '/fault-injection.yaml'])
        self.assertEqual(('fake.TrackerFaultDriver', 'throwaway'),
                         (compute.driver, compute.zone))

    def test_removing_a_compute_leaves_no_file_of_it(self):
        compute = nova_service.throwaway_compute('fault-throwaway-1a2b')
        ctx = services.Context(self.layout, [compute])
        cli.write_files(nova_service.compute_config_files(ctx))
        nova_service.prepare_computes(ctx)
        nova_service.set_compute_option(self.layout, compute.host,
                                        'reserved_host_cpus', 1)
        nova_service.remove_compute_files(self.layout, compute.host)
        self.assertEqual([], sorted(
            str(p) for p in self.root.rglob('*') if compute.host in str(p)))
        # Twice is fine: a half-added compute is removed the same way.
        nova_service.remove_compute_files(self.layout, compute.host)

    def test_computes_run_the_fault_driver_launcher(self):
        for compute in self.computes:
            spec = nova_service.compute_spec(self.layout, compute)
            self.assertEqual(
                [str(self.layout.venv_bin('python')), '-P', '-m',
                 'tracker_tests.faults.compute',
                 '--config-file', str(self.root / 'etc/nova/nova.conf'),
                 '--config-file',
                 str(self.root / ('etc/nova/%s.conf' % compute.host))],
                [str(a) for a in spec.argv])
            self.assertEqual({'PYTHONPATH': str(layout_mod.REPO_ROOT)},
                             spec.env)

    def test_the_repository_root_shadows_nothing_the_cloud_imports(self):
        # The computes run with the repository root on PYTHONPATH: no
        # module or package there may be named like a distribution of
        # the cloud's virtualenv.
        pinned = {
            line.split('==')[0].strip().lower().replace('-', '_').replace(
                '.', '_')
            for line in (layout_mod.REPO_ROOT / 'tools' / 'local_cloud' /
                         'constraints.txt').read_text().splitlines()
            if '==' in line}
        self.assertIn('nova', pinned)
        importable = {
            path.stem for path in layout_mod.REPO_ROOT.iterdir()
            if path.suffix == '.py' or (path / '__init__.py').exists()}
        self.assertEqual({'setup', 'tracker_tests'}, importable)
        self.assertEqual(set(), importable & pinned)

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
        # The tempest.conf of a cloud of default computes.
        self.tempest = parse(clients.tempest_conf(
            self.layout, SECRETS, 'image-uuid',
            nova_service.default_computes(3)))
        self.localcloud = [
            str(layout_mod.REPO_ROOT / 'tools' / 'localcloud'),
            '--state-dir', '/srv/cloud']

    def test_clouds_yaml_has_admin_and_member_clouds(self):
        clouds = json.loads(clients.clouds_yaml(self.layout, SECRETS))
        admin = clouds['clouds'][clients.ADMIN_CLOUD]['auth']
        member = clouds['clouds'][clients.MEMBER_CLOUD]['auth']
        self.assertEqual(('admin', 'admin-secret', 'admin'), (
            admin['username'], admin['password'], admin['project_name']))
        self.assertEqual(('demo', 'demo'), (member['username'],
                                            member['project_name']))

    def test_tempest_conf_drives_this_cloud(self):
        conf = self.tempest
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
            self.localcloud + ['compute', 'stop', 'compute2'],
            tracker_config.render_command(argv, host='compute2'))

    def test_tempest_conf_adds_and_removes_computes(self):
        conf = self.tempest['tracker']
        self.assertEqual('tracker.throwaway', conf['throwaway_flavor_ref'])
        argv = tracker_config.CommandTemplate(('host', 'options'))(
            conf['compute_add_command'])
        self.assertEqual(
            self.localcloud + ['compute', 'add', 'fault-throwaway-1',
                               '--options', 'reserved_host_cpus=1'],
            tracker_config.render_command(argv, host='fault-throwaway-1',
                                          options='reserved_host_cpus=1'))
        argv = tracker_config.CommandTemplate()(
            conf['compute_remove_command'])
        self.assertEqual(
            self.localcloud + ['compute', 'remove', 'fault-throwaway-1'],
            tracker_config.render_command(argv, host='fault-throwaway-1'))
        throwaway = parse(clients.tempest_conf(
            self.layout, SECRETS, 'image-uuid',
            nova_service.default_computes(3) +
            [nova_service.throwaway_compute('fault-throwaway-1')]))
        self.assertEqual('3', throwaway['compute']['min_compute_nodes'])

    def test_only_the_throwaway_flavor_reaches_the_throwaway_zone(self):
        flavors = {f[0]: f[4] for f in clients.FLAVORS}
        self.assertEqual({'trait:CUSTOM_TRACKER_THROWAWAY': 'required'},
                         flavors[clients.THROWAWAY_FLAVOR])
        self.assertEqual(
            [clients.THROWAWAY_FLAVOR],
            [name for name, specs in flavors.items()
             if 'trait:CUSTOM_TRACKER_THROWAWAY' in specs])

    def test_tempest_conf_names_the_strict_computes_and_flavors(self):
        conf = self.tempest
        opts = {o.name: o for o in tracker_config.TrackerGroup}
        self.assertEqual(['fault-strict1', 'fault-strict2'],
                         opts['strict_hosts'].type(
                             conf['tracker']['strict_hosts']))
        self.assertEqual(('tracker.strict', 'tracker.strict-medium'), (
            conf['tracker']['strict_flavor_ref'],
            conf['tracker']['strict_resize_flavor_ref']))
        self.assertEqual('fault-healthy',
                         conf['tracker']['fault_healthy_host'])
        self.assertEqual('tracker.fault', conf['tracker']['fault_flavor_ref'])
        # Only the regular computes count for upstream tempest, and tempest
        # keeps away from every other host.
        self.assertEqual('3', conf['compute']['min_compute_nodes'])
        for compute in nova_service.default_computes(3):
            self.assertEqual(compute.zone != 'nova', 'fault-' in
                             compute.host, compute.host)

    def test_strict_flavors_need_the_strict_trait_and_differ(self):
        flavors = {f[0]: f[1:] for f in clients.FLAVORS}
        small, medium = flavors['tracker.strict'], flavors[
            'tracker.strict-medium']
        for flavor in (small, medium):
            self.assertEqual({'trait:CUSTOM_TRACKER_STRICT': 'required'},
                             flavor[3])
        for index in range(3):  # VCPU, MEMORY_MB, DISK_GB
            self.assertNotEqual(small[index], medium[index])

    def test_tempest_conf_without_the_extra_computes(self):
        conf = parse(clients.tempest_conf(
            self.layout, SECRETS, 'image-uuid',
            nova_service.default_computes(2, False)))
        self.assertEqual('2', conf['compute']['min_compute_nodes'])
        self.assertNotIn('strict_hosts', conf['tracker'])
        for option in ('strict_flavor_ref', 'fault_flavor_ref'):
            self.assertEqual('', conf['tracker'][option])

    def test_tempest_conf_controls_every_service(self):
        conf = self.tempest
        argv = load_command(conf, 'service_command')
        self.assertEqual(
            self.localcloud + ['service', 'freeze', 'placement'],
            tracker_config.render_command(argv, action='freeze',
                                          service='placement'))

    def test_tempest_conf_sets_compute_faults(self):
        conf = self.tempest
        localcloud = self.localcloud
        self.assertEqual(
            localcloud + ['compute', 'fault', 'compute1', 'spawn', 'raise',
                          '--seconds', '0', '--count', '2', '--exception',
                          'BuildAbortException', '--instance', 'any'],
            tracker_config.render_command(
                load_command(conf, 'compute_fault_command'),
                host='compute1', method='spawn', fault='raise', seconds=0,
                count=2, exception='BuildAbortException', instance='any'))
        self.assertEqual(
            localcloud + ['compute', 'fault', 'compute1', 'clear'],
            tracker_config.render_command(
                load_command(conf, 'compute_fault_clear_command'),
                host='compute1'))
        # What the template renders is what the command line accepts.
        args = cli.parser().parse_args(tracker_config.render_command(
            load_command(conf, 'compute_fault_command'), host='compute1',
            method='spawn', fault='sleep', seconds=2.5, count=1,
            exception='NovaException',
            instance='8d8b3f3e-2f5a-4b8e-9c4e-1f2a3b4c5d6e')[1:])
        self.assertEqual(('compute', 'fault', 'compute1', ['spawn', 'sleep'],
                          2.5, 1, 'NovaException',
                          '8d8b3f3e-2f5a-4b8e-9c4e-1f2a3b4c5d6e'),
                         (args.command, args.action, args.host, args.what,
                          args.seconds, args.count, args.exception,
                          args.instance))

    def test_tempest_conf_sets_placement_faults(self):
        conf = self.tempest
        localcloud = self.localcloud
        self.assertEqual(
            localcloud + ['placement', 'fault', 'PUT', '^/allocations/{1}',
                          '409', '--count', '1'],
            tracker_config.render_command(
                load_command(conf, 'placement_fault_command'),
                method='PUT', path='^/allocations/{1}', status=409,
                count=1))
        self.assertEqual(
            localcloud + ['placement', 'fault', 'PUT', '^/allocations/',
                          'delay', '--seconds', '5', '--count', '1'],
            tracker_config.render_command(
                load_command(conf, 'placement_delay_command'),
                method='PUT', path='^/allocations/', seconds=5, count=1))
        self.assertEqual(
            localcloud + ['placement', 'fault', 'clear'],
            load_command(conf, 'placement_fault_clear_command'))

    def test_placement_runs_behind_the_fault_middleware(self):
        files = services.config_files(services.Context(
            self.layout, [], secrets=SECRETS))
        uwsgi = files[self.layout.etc / 'uwsgi' / 'placement.ini']
        self.assertIn(
            'module = tracker_tests.faults.placement_app:application\n',
            uwsgi)
        self.assertIn('pythonpath = %s\n' % layout_mod.REPO_ROOT, uwsgi)
        self.assertIn('env = TRACKER_PLACEMENT_FAULT_FILE=/srv/cloud/data/'
                      'placement/tracker-faults.json\n', uwsgi)


def load_command(conf, option):
    """A [tracker] command of a rendered tempest.conf, as the plugin reads
    it: with its own placeholders validated.
    """
    opt = {o.name: o for o in tracker_config.TrackerGroup}[option]
    return opt.type(conf['tracker'][option])


class SupervisorTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.layout = layout_mod.Layout.from_env(clitools.temp_dir(self))
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
        return clitools.run_main(cli.main, [
            '--state-dir', str(clitools.temp_dir(self))] + list(argv))

    def test_unknown_compute_host_is_a_usage_error(self):
        code, _, err = self.run_cli('compute', 'stop', 'compute9')
        self.assertEqual(2, code)
        self.assertIn("unknown compute host 'compute9'", err)

    def test_compute_add_and_remove_name_what_is_wrong(self):
        root = clitools.temp_dir(self)
        layout = layout_mod.Layout.from_env(root)
        layout.root.mkdir(parents=True, exist_ok=True)
        for argv, fragment in (
                (('add', 'compute9'), "fault-throwaway-[a-z0-9-]{1,40}, not "
                                      "'compute9'"),
                (('add', 'fault-throwaway-1'), 'no local cloud in'),
                (('add', 'fault-throwaway-1', '--options', 'debug=true'),
                 'debug cannot be set'),
                (('add', 'fault-throwaway-1', '--options',
                  'initial_cpu_allocation_ratio'),
                 "options are OPTION=VALUE, separated by commas; not "
                 "'initial_cpu_allocation_ratio'"),
                (('add', 'fault-throwaway-1', '--options',
                  'initial_ram_allocation_ratio=1.5,reserved_host_cpus=x'),
                 "reserved_host_cpus takes a whole number, not 'x'"),
                (('remove', 'compute1'), 'only the computes "compute add" '
                                         'started can be removed; compute1 '
                                         'is not one of them (none)')):
            code, _, err = clitools.run_main(cli.main, [
                '--state-dir', str(root), 'compute'] + list(argv))
            self.assertEqual(2, code, err)
            self.assertIn(fragment, err)
        layout.state_file.write_text(json.dumps({
            'computes': [{'host': 'compute1'}],
            'throwaway_computes': ['fault-throwaway-1']}))
        code, _, err = clitools.run_main(cli.main, [
            '--state-dir', str(root), 'compute', 'add', 'fault-throwaway-1'])
        self.assertEqual(2, code)
        self.assertIn('the compute fault-throwaway-1 exists already', err)

    def test_adding_a_compute_to_a_cloud_that_is_down_fails_at_once(self):
        root = clitools.temp_dir(self)
        layout = layout_mod.Layout.from_env(root)
        layout.root.mkdir(parents=True, exist_ok=True)
        layout.state_file.write_text(json.dumps({
            'computes': [{'host': 'compute1'}]}))
        code, _, err = clitools.run_main(cli.main, [
            '--state-dir', str(root), 'compute', 'add', 'fault-throwaway-1'])
        self.assertEqual(1, code)
        self.assertIn('the local cloud does not serve: database (stopped), '
                      'glance (stopped)', err)
        self.assertIn('"tools/localcloud up" starts what is stopped', err)
        self.assertNotIn('throwaway_computes',
                         json.loads(layout.state_file.read_text()))

    def test_removing_a_compute_never_added_changes_nothing(self):
        # The cleanup of a test whose add failed before recording it.
        root = clitools.temp_dir(self)
        layout = layout_mod.Layout.from_env(root)
        layout.root.mkdir(parents=True, exist_ok=True)
        state = {'computes': [{'host': 'compute1'}],
                 'throwaway_computes': ['fault-throwaway-2']}
        layout.state_file.write_text(json.dumps(state))
        code, out, _ = clitools.run_main(cli.main, [
            '--state-dir', str(root), 'compute', 'remove',
            'fault-throwaway-1'])
        self.assertEqual(0, code)
        self.assertIn('no compute fault-throwaway-1 to remove', out)
        self.assertEqual(state, json.loads(layout.state_file.read_text()))

    def test_recording_a_throwaway_compute_keeps_the_rest(self):
        root = clitools.temp_dir(self)
        layout = layout_mod.Layout.from_env(root)
        layout.root.mkdir(parents=True, exist_ok=True)
        layout.state_file.write_text(json.dumps({
            'computes': [{'host': 'compute1'}], 'image_id': 'i'}))
        cli._record_throwaway(layout, 'fault-throwaway-1', True)
        cli._record_throwaway(layout, 'fault-throwaway-2', True)
        cli._record_throwaway(layout, 'fault-throwaway-1', False)
        self.assertEqual({'computes': [{'host': 'compute1'}],
                          'image_id': 'i',
                          'throwaway_computes': ['fault-throwaway-2']},
                         json.loads(layout.state_file.read_text()))
        self.assertEqual([], [p.name for p in root.glob('*.partial')])

    def test_only_a_closed_standard_output_counts_as_a_reader_gone(self):
        read, write = os.pipe()
        with open(write, 'w') as pipe:
            self.useFixture(fixtures.MonkeyPatch('sys.stdout', pipe))
            self.assertFalse(cli._stdout_closed())
            os.close(read)
            self.assertTrue(cli._stdout_closed())

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
