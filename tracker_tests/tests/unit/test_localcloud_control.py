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
"""Unit tests of tools/localcloud's service control (stop, start, kill,
freeze, thaw) on processes that only sleep or listen; no OpenStack
service is started."""

import contextlib
import json
import pathlib
import signal
import socket
import sys
import time

import fixtures
import testtools

TOOLS = pathlib.Path(__file__).resolve().parents[3] / 'tools'
sys.path.insert(0, str(TOOLS))

from local_cloud import broker  # noqa: E402
from local_cloud import cli  # noqa: E402
from local_cloud import control  # noqa: E402
from local_cloud import layout as layout_mod  # noqa: E402
from local_cloud import nova_service  # noqa: E402
from local_cloud import services  # noqa: E402
from local_cloud import supervisor  # noqa: E402
from tracker_tests.faults import spec  # noqa: E402
from tracker_tests.tests.unit import clitools  # noqa: E402


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def listener(port, delay=0.0):
    """argv of a process that listens on ``port`` after ``delay`` s."""
    return [sys.executable, '-c',
            'import socket, time; time.sleep(%r); s = socket.socket(); '
            's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); '
            's.bind(("127.0.0.1", %d)); s.listen(); time.sleep(60)'
            % (delay, port)]


class ControlTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = clitools.temp_dir(self)
        self.port = free_port()
        self.layout = layout_mod.Layout(root=self.root,
                                        ports={'svc': self.port})
        self.sup = supervisor.Supervisor(self.layout)

    def spec(self, name, argv=('sleep', '60'), **kwargs):
        self.addCleanup(self.sup.stop, name, 5, signal.SIGKILL)
        return supervisor.ProcessSpec(name=name, argv=list(argv), **kwargs)


class SupervisorFreezeTest(ControlTestCase):

    def test_freeze_and_thaw_show_in_the_process_state(self):
        spec = self.spec('sleeper')
        self.assertIsNone(self.sup.state('sleeper'))
        self.sup.start(spec)
        self.assertEqual('running', self.sup.state('sleeper'))
        self.sup.freeze('sleeper')
        self.assertEqual('frozen', self.sup.state('sleeper'))
        self.sup.send_signal('sleeper', signal.SIGCONT)
        self.assertEqual('running', self.sup.state('sleeper'))

    def test_a_frozen_process_is_stopped_by_sigterm(self):
        # Without the thaw, SIGTERM waits for SIGCONT: stop would wait
        # its whole timeout and then SIGKILL.
        self.sup.start(self.spec('sleeper'))
        self.sup.freeze('sleeper')
        t0 = time.monotonic()
        self.assertTrue(self.sup.stop('sleeper', timeout=20))
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIsNone(self.sup.state('sleeper'))


class ActTest(ControlTestCase):

    def target(self, *specs, confirm_up=None, before_outage=None):
        return control.Target('svc', list(specs), confirm_up, before_outage)

    def test_stop_and_kill_of_a_stopped_service_say_so(self):
        target = self.target(self.spec('svc'))
        self.assertEqual('not running: svc',
                         control.act(self.sup, target, 'stop'))
        self.assertEqual('not running: svc',
                         control.act(self.sup, target, 'kill'))

    def test_start_waits_until_the_port_answers(self):
        spec = self.spec('svc', listener(self.port, delay=1.0),
                         ports=('svc',), ready='tcp')
        target = self.target(spec)
        t0 = time.monotonic()
        self.assertEqual('started svc', control.act(self.sup, target,
                                                    'start'))
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)
        self.assertTrue(supervisor.port_accepts(self.port))
        self.assertEqual('already running: svc',
                         control.act(self.sup, target, 'start'))
        self.assertEqual('stopped svc', control.act(self.sup, target,
                                                    'stop'))
        self.assertIsNone(self.sup.state('svc'))

    def test_kill_is_sigkill(self):
        # This one ignores SIGTERM: only SIGKILL ends it at once.
        spec = self.spec('svc', [
            sys.executable, '-c', 'import signal, time; '
            'signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])
        self.sup.start(spec)
        time.sleep(0.3)
        t0 = time.monotonic()
        self.assertEqual('killed svc', control.act(self.sup,
                                                   self.target(spec), 'kill'))
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIsNone(self.sup.state('svc'))

    def test_freeze_thaw_cycle(self):
        spec = self.spec('svc', listener(self.port), ports=('svc',),
                         ready='tcp')
        target = self.target(spec)
        control.act(self.sup, target, 'start')
        self.assertEqual('not frozen: svc',
                         control.act(self.sup, target, 'thaw'))
        self.assertEqual('froze svc', control.act(self.sup, target,
                                                  'freeze'))
        self.assertEqual('frozen', self.sup.state('svc'))
        self.assertEqual('already frozen: svc',
                         control.act(self.sup, target, 'freeze'))
        exc = self.assertRaises(supervisor.LocalCloudError, control.act,
                                self.sup, target, 'start')
        self.assertIn('svc is frozen', str(exc))
        self.assertIn('thaw it', str(exc))
        self.assertEqual('thawed svc', control.act(self.sup, target,
                                                   'thaw'))
        self.assertEqual('running', self.sup.state('svc'))

    def test_freeze_and_thaw_of_a_stopped_service_are_errors(self):
        target = self.target(self.spec('svc'))
        for action in ('freeze', 'thaw'):
            exc = self.assertRaises(supervisor.LocalCloudError, control.act,
                                    self.sup, target, action)
            self.assertIn('svc not running', str(exc))

    def test_every_process_of_a_service_is_acted_on_in_order(self):
        first, second = self.spec('helper'), self.spec('main')
        target = control.Target('bus', [first, second])
        self.sup.start(first)
        self.assertEqual('started bus', control.act(self.sup, target,
                                                    'start'))
        self.assertEqual('froze bus', control.act(self.sup, target,
                                                  'freeze'))
        self.assertEqual(['frozen', 'frozen'],
                         [self.sup.state(n) for n in ('helper', 'main')])
        control.act(self.sup, target, 'stop')
        self.assertEqual([None, None],
                         [self.sup.state(n) for n in ('helper', 'main')])

    def test_an_outage_of_a_running_service_is_noted_first(self):
        spec = self.spec('svc')
        states = []

        def before_outage(layout):
            states.append((layout, self.sup.state('svc')))

        target = self.target(spec, before_outage=before_outage)
        self.assertEqual('not running: svc',
                         control.act(self.sup, target, 'stop'))
        self.assertEqual([], states)
        control.act(self.sup, target, 'start')
        self.assertEqual([], states)
        control.act(self.sup, target, 'freeze')
        # A frozen service answers nothing to note.
        control.act(self.sup, target, 'freeze')
        control.act(self.sup, target, 'kill')
        control.act(self.sup, target, 'start')
        control.act(self.sup, target, 'stop')
        self.assertEqual([(self.sup.layout, 'running')] * 2, states)

    def test_start_waits_for_confirm_up(self):
        answers = ['no heartbeat yet', 'no heartbeat yet', None]
        seen = []

        def confirm_up(layout, since):
            seen.append(since)
            return answers.pop(0)

        target = self.target(self.spec('svc'), confirm_up=confirm_up)
        t0 = time.time()
        self.assertEqual('started svc',
                         control.act(self.sup, target, 'start', poll=0.1))
        self.assertEqual(3, len(seen))
        # "since" is when the start began, not when the process was up.
        self.assertLessEqual(t0, seen[0])
        self.assertLessEqual(seen[0], t0 + 1)

    def test_a_service_that_does_not_report_in_fails_with_its_log(self):
        spec = self.spec('svc', ['sh', '-c', 'echo hello-marker; sleep 60'])
        target = self.target(spec, confirm_up=lambda layout, since:
                             'os-services shows no heartbeat')
        exc = self.assertRaises(supervisor.ServiceFailed, control.act,
                                self.sup, target, 'start', timeout=1,
                                poll=0.1)
        self.assertIn('svc did not come back: os-services shows no '
                      'heartbeat after 1 s', str(exc))
        self.assertIn('hello-marker', str(exc))

    def test_a_service_that_exits_fails_with_its_log(self):
        spec = self.spec('svc', ['sh', '-c', 'echo boom-marker; exit 1'],
                         ports=('svc',), ready='tcp')
        exc = self.assertRaises(supervisor.ServiceFailed, control.act,
                                self.sup, self.target(spec), 'start',
                                timeout=5)
        self.assertIn('svc did not come back: the process exited',
                      str(exc))
        self.assertIn('boom-marker', str(exc))

    def test_a_service_without_answer_names_its_process(self):
        spec = self.spec('rabbitmq', ports=('svc',), ready='tcp')
        exc = self.assertRaises(
            supervisor.ServiceFailed, control.act, self.sup,
            control.Target('message-bus', [spec]), 'start', timeout=1)
        self.assertIn('message-bus (rabbitmq) did not come back: no answer '
                      'on port %d' % self.port, str(exc))


class ReportsUpTest(testtools.TestCase):

    def test_heartbeat_must_be_newer_than_the_start(self):
        check = nova_service.reports_up('nova-conductor')
        since = nova_service._utc_timestamp('2026-11-21T10:00:00.000000')
        records = []
        layout = layout_mod.Layout.from_env('/srv/cloud')
        with self._api(records):
            records[:] = [{'state': 'up',
                           'updated_at': '2026-11-21T09:59:59.000000'}]
            self.assertIn('no heartbeat of nova-conductor since 10:00:00',
                          check(layout, since))
            records[:] = [{'state': 'up', 'updated_at': None},
                          {'state': 'up',
                           'updated_at': '2026-11-21T10:00:05.000000'}]
            self.assertIsNone(check(layout, since))

    def test_an_unreadable_api_is_the_reason(self):
        check = nova_service.reports_up('nova-scheduler')
        layout = layout_mod.Layout.from_env('/srv/cloud')

        def fail(layout):
            raise nova_service.rest.ApiError('keystone does not answer')

        with fixtures.MonkeyPatch(
                'local_cloud.nova_service.rest.admin_token', fail):
            self.assertEqual('its os-services record cannot be read: '
                             'keystone does not answer', check(layout, 0))

    @contextlib.contextmanager
    def _api(self, records):
        def get_json(layout, port, path, token, service):
            self.assertEqual('/v2.1/os-services?binary=nova-conductor', path)
            return {'services': records}

        with fixtures.MonkeyPatch(
                'local_cloud.nova_service.rest.admin_token',
                lambda layout: 'token'), fixtures.MonkeyPatch(
                'local_cloud.nova_service.rest.get_json', get_json):
            yield


#: What rabbitmqctl list_queues --quiet --no-table-headers name consumers
#: printed on the local cloud (trimmed): a compute's two RPC servers, the
#: conductor, a reply queue, and a queue without consumer.
LIST_QUEUES = (
    'compute-alt.fault-strict1\t1\n'
    'compute.fault-strict1\t1\n'
    'conductor\t1\n'
    'reply_4f0e6b2a8c1d4e5f9a7b3c2d1e0f9a8b\t1\n'
    'scheduler\t0\n')


class RpcServersConsumeTest(ControlTestCase):
    """The message bus counts as back once nova's RPC servers consume."""

    def setUp(self):
        super().setUp()
        self.consumed = set()
        self.useFixture(fixtures.MonkeyPatch(
            'local_cloud.broker.consumed_queues',
            lambda layout: set(self.consumed)))

    def run_process(self, name):
        self.sup.start(self.spec(name))

    def test_every_running_rpc_server_must_consume_its_queues(self):
        self.run_process('nova-conductor')
        self.run_process('nova-compute-c1')
        self.run_process('keystone')  # no RPC server: not waited for
        self.consumed = {'conductor', 'compute.c1'}
        self.assertEqual('not back on the message bus yet: '
                         'nova-compute-c1 (compute-alt.c1)',
                         nova_service.back_on_the_bus(self.layout, 0))
        self.consumed.add('compute-alt.c1')
        self.assertIsNone(nova_service.back_on_the_bus(self.layout, 0))

    def test_queues_consumed_before_the_outage_are_waited_for(self):
        self.consumed = {'reply_1', 'reply_2'}
        broker.remember_consumed_queues(self.layout)
        self.consumed = {'reply_2'}
        self.assertEqual(
            'not back on the message bus yet: queues consumed before the '
            'outage (%s; remove it if a service stopped meanwhile): reply_1'
            % broker.remembered_queues_path(self.layout),
            nova_service.back_on_the_bus(self.layout, 0))
        self.consumed = {'reply_1', 'reply_2'}
        self.assertIsNone(nova_service.back_on_the_bus(self.layout, 0))
        # Waited for once: the next start has its own outage to wait for.
        self.assertEqual(set(), broker.remembered_queues(self.layout))

    def test_nothing_is_remembered_of_a_broker_that_does_not_answer(self):
        self.consumed = {'reply_1'}
        broker.remember_consumed_queues(self.layout)
        self.useFixture(fixtures.MonkeyPatch(
            'local_cloud.broker.consumed_queues', self.broker_fails))
        broker.remember_consumed_queues(self.layout)
        self.assertEqual(set(), broker.remembered_queues(self.layout))

    def broker_fails(self, layout):
        raise supervisor.LocalCloudError(
            'rabbitmqctl list_queues failed: Error: unable to perform '
            'an operation on node')

    def test_stopped_and_frozen_services_are_not_waited_for(self):
        self.run_process('nova-scheduler')
        self.sup.freeze('nova-scheduler')
        self.addCleanup(self.sup.send_signal, 'nova-scheduler',
                        signal.SIGCONT)
        self.run_process('nova-compute-c1')
        self.sup.stop('nova-compute-c1', 5, signal.SIGKILL)
        self.assertIsNone(self.sup.state('nova-compute-c1'))
        self.assertIsNone(nova_service.back_on_the_bus(self.layout, 0))

    def test_the_message_bus_waits_for_them(self):
        bus = services.by_name('message-bus')
        self.assertIs(nova_service.back_on_the_bus, bus.confirm_up)
        self.assertIs(broker.remember_consumed_queues, bus.before_outage)

    def test_a_broker_that_does_not_answer_is_the_reason(self):
        self.run_process('nova-conductor')
        with fixtures.MonkeyPatch('local_cloud.broker.consumed_queues',
                                  self.broker_fails):
            self.assertIn('rabbitmqctl list_queues failed',
                          nova_service.back_on_the_bus(self.layout, 0))


class ConsumedQueuesTest(testtools.TestCase):

    def test_a_missing_rabbitmqctl_is_named(self):
        self.useFixture(fixtures.MonkeyPatch(
            'local_cloud.broker.RABBITMQCTL', '/nonexistent/rabbitmqctl'))
        exc = self.assertRaises(supervisor.LocalCloudError,
                                broker.consumed_queues,
                                layout_mod.Layout.from_env('/srv/cloud'))
        self.assertEqual('cannot run /nonexistent/rabbitmqctl: No such file '
                         'or directory', str(exc))

    def listing(self, returncode=0, stdout='', stderr=''):
        calls = []

        def run(argv, **kwargs):
            calls.append((argv, kwargs['env']))
            return broker.subprocess.CompletedProcess(
                argv, returncode, stdout, stderr)

        self.useFixture(fixtures.MonkeyPatch(
            'local_cloud.broker.subprocess.run', run))
        return calls

    def test_queues_with_a_consumer_of_our_node(self):
        calls = self.listing(stdout=LIST_QUEUES)
        layout = layout_mod.Layout.from_env('/srv/cloud')
        self.assertEqual(
            {'compute-alt.fault-strict1', 'compute.fault-strict1',
             'conductor', 'reply_4f0e6b2a8c1d4e5f9a7b3c2d1e0f9a8b'},
            broker.consumed_queues(layout))
        argv, env = calls[0]
        self.assertEqual([broker.RABBITMQCTL, '-n', broker.NODE_NAME],
                         argv[:3])
        self.assertEqual(str(layout.data / 'rabbitmq'), env['HOME'])

    def test_a_failure_names_rabbitmqctl_and_its_first_line(self):
        self.listing(returncode=69, stderr='Error: unable to perform an '
                     'operation on node\n\nMost common reasons...')
        exc = self.assertRaises(
            supervisor.LocalCloudError, broker.consumed_queues,
            layout_mod.Layout.from_env('/srv/cloud'))
        self.assertEqual('rabbitmqctl list_queues failed: Error: unable to '
                         'perform an operation on node', str(exc))


class ControlCommandLineTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = clitools.temp_dir(self)
        (self.root / 'cloud.json').write_text(json.dumps({
            'computes': [{'host': 'compute1'}, {'host': 'compute2'}]}))
        self.sup = supervisor.Supervisor(layout_mod.Layout.from_env(
            self.root))

    def run_cli(self, *argv):
        return clitools.run_main(cli.main,
                                 ['--state-dir', str(self.root)] + list(argv))

    def test_unknown_service_lists_the_services(self):
        code, _, err = self.run_cli('service', 'stop', 'nova')
        self.assertEqual(2, code)
        self.assertIn("unknown service 'nova'", err)
        self.assertIn('database, message-bus, keystone, placement, glance, '
                      'neutron, nova-api, nova-api-opt-in, '
                      'nova-conductor, nova-scheduler', err)

    def test_computes_are_not_services(self):
        code, _, err = self.run_cli('service', 'stop', 'nova-compute')
        self.assertEqual(2, code)
        self.assertIn('tools/localcloud compute ACTION HOST', err)

    def test_unknown_action_lists_the_actions(self):
        code, _, err = self.run_cli('service', 'pause', 'placement')
        self.assertEqual(2, code)
        self.assertIn("'stop', 'start', 'kill', 'freeze', 'thaw'", err)

    def test_unknown_compute_lists_the_hosts(self):
        code, _, err = self.run_cli('compute', 'freeze', 'compute9')
        self.assertEqual(2, code)
        self.assertIn("unknown compute host 'compute9'; this cloud has: "
                      "compute1, compute2", err)

    def test_stop_of_a_stopped_service_is_a_no_op(self):
        code, out, _ = self.run_cli('service', 'stop', 'message-bus')
        self.assertEqual((0, 'not running: message-bus\n'), (code, out))

    def test_an_outage_of_the_message_bus_remembers_its_queues(self):
        self.useFixture(fixtures.MonkeyPatch(
            'local_cloud.broker.consumed_queues',
            lambda layout: {'conductor', 'reply_1'}))
        layout = layout_mod.Layout.from_env(self.root)
        self.run_cli('service', 'stop', 'message-bus')
        self.assertEqual(set(), broker.remembered_queues(layout))
        for name in ('epmd', 'rabbitmq'):  # stand-ins
            self.sup.start(supervisor.ProcessSpec(name=name,
                                                  argv=['sleep', '60']))
            self.addCleanup(self.sup.stop, name, 5, signal.SIGKILL)
        self.assertEqual((0, 'stopped message-bus\n'),
                         self.run_cli('service', 'stop', 'message-bus')[:2])
        self.assertEqual({'conductor', 'reply_1'},
                         broker.remembered_queues(layout))
        self.run_cli('down')
        self.assertEqual(set(), broker.remembered_queues(layout))

    def test_compute_freeze_thaw_and_status(self):
        # A stand-in for compute1's nova-compute, under its process name.
        self.sup.start(supervisor.ProcessSpec(
            name='nova-compute-compute1', argv=['sleep', '60']))
        self.addCleanup(self.sup.stop, 'nova-compute-compute1', 5,
                        signal.SIGKILL)
        self.assertEqual(
            (0, 'froze nova-compute on compute1\n'),
            self.run_cli('compute', 'freeze', 'compute1')[:2])
        code, out, _ = self.run_cli('status')
        self.assertEqual(1, code)
        rows = {line.split()[1]: line.split() for line in
                out.splitlines()[1:]}
        self.assertEqual('frozen', rows['nova-compute-compute1'][-1])
        self.assertEqual('nova-compute', rows['nova-compute-compute1'][0])
        self.assertEqual('down', rows['nova-compute-compute2'][-1])
        self.assertEqual(
            (0, 'thawed nova-compute on compute1\n'),
            self.run_cli('compute', 'thaw', 'compute1')[:2])
        self.assertEqual('running',
                         self.sup.state('nova-compute-compute1'))

    def test_down_stops_a_frozen_process(self):
        self.sup.start(supervisor.ProcessSpec(
            name='nova-conductor', argv=['sleep', '60']))
        self.addCleanup(self.sup.stop, 'nova-conductor', 5, signal.SIGKILL)
        self.run_cli('service', 'freeze', 'nova-conductor')
        self.assertEqual('frozen', self.sup.state('nova-conductor'))
        t0 = time.monotonic()
        code, out, _ = self.run_cli('down')
        self.assertEqual((0, 'stopped nova-conductor\n'), (code, out))
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIsNone(self.sup.state('nova-conductor'))


class ComputeFaultCommandLineTest(ControlCommandLineTest):

    def state_path(self, host):
        return nova_service.state_path(self.sup.layout, host)

    def started(self, host):
        """What the fault driver writes when it starts on ``host``."""
        path = self.state_path(host)
        path.mkdir(parents=True)
        spec.write_driver_info(str(path), 'TrackerFaultDriver',
                               ['spawn', 'update_provider_tree'],
                               ['NovaException', 'BuildAbortException'])

    def test_set_show_clear(self):
        self.started('compute1')
        self.assertEqual(
            (0, 'compute1: update_provider_tree: sleep 3 s, the next 2 '
                'calls\n'),
            self.run_cli('compute', 'fault', 'compute1',
                         'update_provider_tree', 'sleep', '--seconds', '3',
                         '--count', '2')[:2])
        code, out, _ = self.run_cli('compute', 'fault', 'compute1', 'show')
        self.assertEqual(0, code)
        self.assertIn('compute1: 1 pending fault (%s)' % (
            self.state_path('compute1') / 'tracker-faults.json'), out)
        self.assertEqual(
            (0, 'compute1: cleared 1 pending fault\n'),
            self.run_cli('compute', 'fault', 'compute1', 'clear')[:2])

    def test_a_misspelt_method_exits_2_naming_it(self):
        self.started('compute1')
        code, _, err = self.run_cli('compute', 'fault', 'compute1', 'spwn',
                                    'raise')
        self.assertEqual(2, code)
        self.assertIn("compute1 (TrackerFaultDriver): the driver has no "
                      "method 'spwn' (closest: spawn)", err)

    def test_a_compute_without_the_fault_driver_is_an_error(self):
        code, _, err = self.run_cli('compute', 'fault', 'compute2', 'spawn',
                                    'raise')
        self.assertEqual(1, code)
        self.assertIn("compute2 has not started tracker_tests' fault "
                      "driver", err)

    def test_unknown_host(self):
        code, _, err = self.run_cli('compute', 'fault', 'compute7', 'clear')
        self.assertEqual(2, code)
        self.assertIn("unknown compute host 'compute7'", err)

    def test_unknown_compute_action_lists_the_actions(self):
        code, _, err = self.run_cli('compute', 'pause', 'compute1')
        self.assertEqual(2, code)
        self.assertIn("'stop', 'start', 'kill', 'freeze', 'thaw', 'add', "
                      "'remove', 'set', 'reset', 'fault'",
                      err)


class PlacementFaultCommandLineTest(ControlCommandLineTest):

    def test_set_show_clear(self):
        path = self.root / 'data' / 'placement' / 'tracker-faults.json'
        self.assertEqual(
            (0, 'placement: PUT ^/allocations/: answer 409, the next 2 '
                'requests\n'),
            self.run_cli('placement', 'fault', 'PUT', '^/allocations/',
                         '409', '--count', '2')[:2])
        self.assertEqual(1, len(spec.FaultFile(
            path, spec.PlacementFault).pending()))
        code, out, _ = self.run_cli('placement', 'fault', 'show')
        self.assertEqual(0, code)
        self.assertIn('placement: 1 pending fault (%s)' % path, out)
        self.assertEqual(
            (0, 'placement: cleared 1 pending fault\n'),
            self.run_cli('placement', 'fault', 'clear')[:2])

    def test_bad_input_exits_2(self):
        for argv, fragment in (
                (('PUT', '/', '500'), 'status must be one of 409, 503'),
                (('PUT', '[', '409'), "the path pattern '[' is not a "
                                      "regular expression"),
                (('PUT', '/'), 'expected METHOD PATH_REGEX STATUS, or clear, '
                               'or show; got: PUT /')):
            code, _, err = self.run_cli('placement', 'fault', *argv)
            self.assertEqual(2, code, argv)
            self.assertIn(fragment, err)
