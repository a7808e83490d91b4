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
"""Unit tests of fault files: format, validation, and the locked
count-down that the fault driver, Placement's middleware and the command
line share."""

import json
import os
import pathlib
import subprocess
import sys
import threading

import testtools

from tracker_tests.faults import cli
from tracker_tests.faults import spec
from tracker_tests.tests.unit import clitools

REPO = pathlib.Path(__file__).resolve().parents[3]
METHODS = ('spawn', 'update_provider_tree', 'migrate_disk_and_power_off',
           'destroy')
EXCEPTIONS = ('NovaException', 'BuildAbortException',
              'ComputeResourcesUnavailable')


class ComputeFaultTest(testtools.TestCase):

    def check(self, *args, **kwargs):
        return spec.ComputeFault(*args, **kwargs).validated(METHODS,
                                                            EXCEPTIONS)

    def test_defaults(self):
        fault = self.check('spawn', 'raise')
        self.assertEqual((1, 0.0, 'NovaException'),
                         (fault.count, fault.seconds, fault.exception))
        self.assertTrue(fault.raises)
        self.assertFalse(fault.sleeps)
        self.assertEqual('spawn: raise NovaException, the next 1 call',
                         fault.describe())

    def test_sleep_raise(self):
        fault = self.check('migrate_disk_and_power_off', 'sleep-raise',
                           count='3', seconds='2.5',
                           exception='BuildAbortException')
        self.assertEqual((3, 2.5), (fault.count, fault.seconds))
        self.assertTrue(fault.raises and fault.sleeps)
        self.assertEqual('migrate_disk_and_power_off: sleep 2.5 s, then '
                         'raise BuildAbortException, the next 3 calls',
                         fault.describe())

    def assert_error(self, fragment, *args, **kwargs):
        exc = self.assertRaises(spec.FaultError, self.check, *args,
                                **kwargs)
        self.assertIn(fragment, str(exc))

    def test_a_misspelt_method_is_named_with_the_closest(self):
        self.assert_error("the driver has no method 'spwan' (closest: "
                          "spawn)", 'spwan', 'raise')

    def test_private_names_are_not_methods(self):
        self.assert_error("'_spawn' is not a driver method name",
                          '_spawn', 'raise')

    def test_unknown_action_lists_the_actions(self):
        self.assert_error("unknown fault 'crash' for spawn; one of: raise, "
                          "sleep, sleep-raise", 'spawn', 'crash')

    def test_unknown_exception_is_named(self):
        self.assert_error("nova.exception has no class 'NovaExeption' "
                          "(closest: NovaException)", 'spawn', 'raise',
                          exception='NovaExeption')

    def test_count_must_be_positive(self):
        self.assert_error('count must be at least 1, not 0', 'spawn',
                          'raise', count=0)
        self.assert_error("count must be a whole number, not 'two'",
                          'spawn', 'raise', count='two')

    def test_sleeps_need_seconds_and_raise_takes_none(self):
        self.assert_error('sleep needs seconds between 0 and 3600, not 0',
                          'spawn', 'sleep')
        self.assert_error('sleep-raise needs seconds', 'spawn',
                          'sleep-raise', seconds=-1)
        self.assert_error('raise does not sleep (seconds 5); use '
                          'sleep-raise', 'spawn', 'raise', seconds=5)


class PlacementFaultTest(testtools.TestCase):

    def test_normalised_and_matching(self):
        fault = spec.PlacementFault('put', '^/allocations/', '409',
                                    2).validated()
        self.assertEqual(('PUT', 409, 2), (fault.method, fault.status,
                                           fault.count))
        self.assertTrue(fault.matches('PUT', '/allocations/abc'))
        self.assertFalse(fault.matches('GET', '/allocations/abc'))
        self.assertFalse(fault.matches('PUT', '/resource_providers/x/'
                                              'allocations/abc'))

    def test_a_delay(self):
        fault = spec.PlacementFault('PUT', '^/allocations/', 'delay',
                                    seconds='5').validated()
        self.assertEqual((spec.DELAY, 5.0, True),
                         (fault.status, fault.seconds, fault.delays))
        self.assertEqual('PUT ^/allocations/: serve 5 s late, the next 1 '
                         'request', fault.describe())

    def test_errors_name_what_is_wrong(self):
        for args, fragment in (
                (('FETCH', '/', 409), "unknown HTTP method 'FETCH'"),
                (('PUT', '(', 409), "the path pattern '(' is not a regular "
                                    "expression"),
                (('PUT', '', 409), 'non-empty regular expression'),
                (('PUT', '/', 500), 'status must be one of 409, 503, '
                                    'delay, not 500'),
                (('PUT', '/', 'late'), "status must be one of 409, 503, "
                                       "delay, not 'late'"),
                (('PUT', '/', 'delay'), 'delay needs seconds between 0 '
                                        'and 3600, not 0.0'),
                (('PUT', '/', 409, 1, 2), 'an answer of 409 comes at once '
                                          '(seconds 2); seconds go with '
                                          'delay'),
                (('PUT', '/', 409, 0), 'count must be at least 1')):
            exc = self.assertRaises(spec.FaultError, spec.PlacementFault(
                *args).validated)
            self.assertIn(fragment, str(exc))


class FaultFileTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = str(clitools.temp_dir(self))
        self.file = spec.compute_fault_file(self.dir)

    def add(self, method, action='raise', **kwargs):
        fault = spec.ComputeFault(method, action, **kwargs).validated()
        self.file.add(fault)
        return fault

    def test_no_file_no_fault(self):
        self.assertIsNone(self.file.consume('spawn'))
        self.assertEqual([], self.file.pending())

    def test_count_down_then_used_up(self):
        self.add('spawn', count=2)
        self.add('destroy', 'sleep', seconds=1)
        first = self.file.consume('spawn')
        self.assertEqual(('spawn', 'raise', 2),
                         (first.method, first.action, first.count))
        self.assertEqual([('spawn', 1), ('destroy', 1)],
                         [(f.method, f.count) for f in self.file.pending()])
        self.assertIsNotNone(self.file.consume('spawn'))
        self.assertIsNone(self.file.consume('spawn'))
        self.assertEqual(['destroy'],
                         [f.method for f in self.file.pending()])
        self.assertIsNotNone(self.file.consume('destroy'))
        # The last one takes the file with it.
        self.assertFalse(os.path.exists(self.file.path))

    def test_other_methods_pass_untouched(self):
        self.add('spawn')
        before = pathlib.Path(self.file.path).read_text()
        self.assertIsNone(self.file.consume('update_provider_tree'))
        self.assertEqual(before, pathlib.Path(self.file.path).read_text())

    def test_a_new_fault_replaces_that_of_the_same_method(self):
        self.add('spawn', count=5)
        self.add('spawn', 'sleep', seconds=3)
        self.assertEqual([('spawn', 'sleep', 1)], [
            (f.method, f.action, f.count) for f in self.file.pending()])

    def test_file_format(self):
        self.add('update_provider_tree', 'sleep-raise', seconds=2, count=3,
                 exception='ComputeResourcesUnavailable')
        self.assertEqual({'faults': [{
            'method': 'update_provider_tree', 'action': 'sleep-raise',
            'count': 3, 'seconds': 2.0,
            'exception': 'ComputeResourcesUnavailable', 'instance': None}]},
            json.loads(pathlib.Path(self.file.path).read_text()))

    def test_a_fault_for_one_server_is_taken_by_its_calls_only(self):
        mine = '8d8b3f3e-2f5a-4b8e-9c4e-1f2a3b4c5d6e'
        other = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'
        self.add('migrate_disk_and_power_off', 'sleep', seconds=5,
                 instance=mine)
        # Another test's server on the same compute, and a call about no
        # server, pass untouched.
        self.assertIsNone(self.file.consume('migrate_disk_and_power_off',
                                            other))
        self.assertIsNone(self.file.consume('migrate_disk_and_power_off'))
        taken = self.file.consume('migrate_disk_and_power_off', mine)
        self.assertEqual(mine, taken.instance)
        self.assertIn('for server %s' % mine, taken.describe())
        self.assertEqual([], self.file.pending())

    def test_a_held_call_waits_until_released(self):
        fault = self.add('migrate_disk_and_power_off', 'hold', seconds=600)
        self.assertTrue(fault.sleeps)
        self.assertEqual('migrate_disk_and_power_off: hold until released '
                         '(at most 600 s), the next 1 call',
                         fault.describe())
        taken = self.file.consume('migrate_disk_and_power_off')
        self.assertIsNone(self.file.held())
        self.file.hold(taken.describe())
        self.assertEqual(taken.describe(), self.file.held())
        self.assertTrue(self.file.release())
        self.assertIsNone(self.file.held())
        self.assertFalse(self.file.release())

    def test_clear_releases_a_held_call(self):
        self.file.hold('spawn: hold')
        self.add('destroy')
        self.assertEqual(1, len(self.file.clear()))
        self.assertIsNone(self.file.held())

    def test_any_instance_takes_every_call(self):
        fault = self.add('update_provider_tree', instance='any', count=2)
        self.assertIsNone(fault.instance)
        self.assertIsNotNone(self.file.consume('update_provider_tree'))
        self.assertIsNotNone(self.file.consume(
            'update_provider_tree', '8d8b3f3e-2f5a-4b8e-9c4e-1f2a3b4c5d6e'))

    def test_the_instance_must_be_a_uuid(self):
        error = self.assertRaises(spec.FaultError, self.add, 'spawn',
                                  instance='my-server')
        self.assertIn("instance must be a server uuid or 'any', not "
                      "'my-server'", str(error))

    def test_clear(self):
        self.add('spawn')
        self.add('destroy')
        self.assertEqual(2, len(self.file.clear()))
        self.assertEqual([], self.file.pending())
        self.assertEqual([], self.file.clear())

    def test_a_broken_file_is_an_error_naming_it(self):
        pathlib.Path(self.file.path).write_text('{"faults": [{"method": 1')
        exc = self.assertRaises(spec.FaultError, self.file.consume, 'spawn')
        self.assertIn(self.file.path, str(exc))
        pathlib.Path(self.file.path).write_text(
            '{"faults": [{"method": "spawn", "action": "explode"}]}')
        exc = self.assertRaises(spec.FaultError, self.file.pending)
        self.assertIn("unknown fault 'explode'", str(exc))

    def test_concurrent_threads_consume_each_call_once(self):
        self.add('spawn', count=60)
        taken = []

        def consumer():
            # Each thread its own object, as each driver call opens the
            # lock file anew.
            own = spec.compute_fault_file(self.dir)
            while own.consume('spawn') is not None:
                taken.append(1)

        threads = [threading.Thread(target=consumer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(60, len(taken))
        self.assertEqual([], self.file.pending())

    def test_concurrent_writers_and_consumers_lose_nothing(self):
        methods = ['method%d' % i for i in range(20)]

        def writer(method):
            spec.compute_fault_file(self.dir).add(
                spec.ComputeFault(method, 'raise', count=3).validated())

        def noise():
            own = spec.compute_fault_file(self.dir)
            for _ in range(50):
                own.consume('not_pending')

        threads = [threading.Thread(target=writer, args=(m,))
                   for m in methods] + [threading.Thread(target=noise)
                                        for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(methods),
                         sorted(f.method for f in self.file.pending()))

    def test_concurrent_processes_consume_each_call_once(self):
        # flock between processes: nova-compute, uwsgi workers, the CLI.
        self.add('spawn', count=40)
        code = ('import sys; from tracker_tests.faults import spec; '
                'f = spec.compute_fault_file(sys.argv[1]); n = 0\n'
                'while f.consume("spawn") is not None: n += 1\n'
                'print(n)')
        env = dict(os.environ, PYTHONPATH=str(REPO))
        procs = [subprocess.Popen([sys.executable, '-c', code, self.dir],
                                  stdout=subprocess.PIPE, env=env, text=True)
                 for _ in range(3)]
        counts = [int(p.communicate(timeout=60)[0]) for p in procs]
        self.assertEqual(40, sum(counts))


class CommandLineTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = str(clitools.temp_dir(self))

    def run_cli(self, *argv):
        return clitools.run_main(cli.main, argv)

    def compute(self, *argv):
        return self.run_cli('compute', '--state-path', self.dir, *argv)

    def test_compute_needs_the_driver_to_have_started(self):
        code, _, err = self.compute('spawn', 'raise')
        self.assertEqual(1, code)
        self.assertIn("has not started tracker_tests' fault driver", err)
        self.assertIn(spec.DRIVER_INFO_FILE, err)

    def test_compute_set_show_clear(self):
        spec.write_driver_info(self.dir, 'FakeDriver', METHODS, EXCEPTIONS)
        code, out, _ = self.compute('spawn', 'sleep-raise', '--seconds',
                                    '4', '--count', '2', '--exception',
                                    'BuildAbortException')
        self.assertEqual(0, code)
        self.assertIn('spawn: sleep 4 s, then raise BuildAbortException, '
                      'the next 2 calls', out)
        code, out, _ = self.compute('show')
        self.assertEqual(0, code)
        self.assertIn('1 pending fault (%s)' % os.path.join(
            self.dir, spec.COMPUTE_FAULT_FILE), out)
        code, out, _ = self.compute('clear')
        self.assertEqual(0, code)
        self.assertTrue(out.endswith(': cleared 1 pending fault\n'), out)
        self.assertTrue(self.compute('show')[1].endswith(
            ': no pending faults\n'))

    def test_compute_hold_show_release(self):
        spec.write_driver_info(self.dir, 'FakeDriver', METHODS, EXCEPTIONS)
        code, out, _ = self.compute('spawn', 'hold', '--seconds', '300')
        self.assertEqual(0, code)
        # The driver takes the call and holds it.
        fault_file = spec.compute_fault_file(self.dir)
        fault_file.hold(fault_file.consume('spawn').describe())
        out = self.compute('show')[1]
        self.assertIn(': holding a call: spawn: hold until released (at '
                      'most 300 s)', out)
        self.assertFalse(out.endswith(': no pending faults\n'))
        self.assertTrue(self.compute('release')[1].endswith(
            ': released the held call\n'))
        self.assertTrue(self.compute('show')[1].endswith(
            ': no pending faults\n'))
        self.assertTrue(self.compute('release')[1].endswith(
            ': no call was held\n'))

    def test_pending_in_listing_reads_what_show_prints(self):
        spec.write_driver_info(self.dir, 'FakeDriver', METHODS, EXCEPTIONS)
        self.compute('spawn', 'hold', '--seconds', '300')
        fault_file = spec.compute_fault_file(self.dir)
        fault_file.hold(fault_file.consume('spawn').describe())
        self.compute('update_provider_tree', 'sleep', '--seconds', '1')
        shown = self.compute('show')[1]
        self.assertTrue(cli.pending_in_listing(shown))
        self.assertTrue(cli.pending_in_listing(shown,
                                               'update_provider_tree'))
        # The held call names spawn, but no fault of spawn is pending.
        self.assertFalse(cli.pending_in_listing(shown, 'spawn'))
        fault_file.consume('update_provider_tree')
        shown = self.compute('show')[1]
        self.assertFalse(cli.pending_in_listing(shown,
                                                'update_provider_tree'))
        self.assertTrue(cli.pending_in_listing(shown))
        self.compute('release')
        self.assertFalse(cli.pending_in_listing(self.compute('show')[1]))

    def test_compute_errors_exit_2_naming_the_problem(self):
        spec.write_driver_info(self.dir, 'FakeDriver', METHODS, EXCEPTIONS)
        for argv, fragment in (
                (('spwan', 'raise'), "FakeDriver): the driver has no method "
                                     "'spwan' (closest: spawn)"),
                (('spawn', 'explode'), "unknown fault 'explode'"),
                (('spawn', 'raise', '--exception', 'Nope'),
                 "nova.exception has no class 'Nope'"),
                (('spawn',), 'expected METHOD and one of raise, sleep, '
                             'sleep-raise, hold, or release, clear or show; '
                             'got: spawn'),
                (('clear', '--count', '2'), 'clear takes no options (got '
                                            '--count)'),
                (('spawn', 'raise', '--count', 'x'), "--count: invalid int "
                                                     "value: 'x'")):
            code, _, err = self.compute(*argv)
            self.assertEqual(2, code, argv)
            self.assertIn(fragment, err)
        self.assertEqual([], spec.compute_fault_file(self.dir).pending())

    def test_placement(self):
        path = os.path.join(self.dir, 'sub', 'placement-faults.json')
        code, out, _ = self.run_cli('placement', '--file', path, 'put',
                                    '^/allocations/', '409', '--count', '2')
        self.assertEqual((0, 'placement: PUT ^/allocations/: answer 409, '
                             'the next 2 requests\n'), (code, out))
        code, _, err = self.run_cli('placement', '--file', path, 'PUT',
                                    '/', '418')
        self.assertEqual(2, code)
        self.assertIn('status must be one of 409, 503, delay, not 418',
                      err)
        code, out, _ = self.run_cli('placement', '--file', path, 'PUT',
                                    '^/allocations/', 'delay', '--seconds',
                                    '5')
        self.assertEqual((0, 'placement: PUT ^/allocations/: serve 5 s '
                             'late, the next 1 request\n'), (code, out))
        code, _, err = self.run_cli('placement', '--file', path, 'PUT',
                                    '/', 'delay')
        self.assertEqual((2, 'error: delay needs --seconds N\n'),
                         (code, err))
        code, _, err = self.run_cli('placement', '--file', path, 'show',
                                    '--seconds', '5')
        self.assertEqual((2, 'error: show takes no options (got '
                             '--seconds)\n'), (code, err))
        code, out, _ = self.run_cli('placement', '--file', path, 'clear')
        self.assertEqual((0, 'placement: cleared 1 pending fault\n'),
                         (code, out))
