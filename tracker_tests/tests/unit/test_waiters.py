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

"""The waiters' polling, on a fake clock and recorded payloads.

The states a wait goes through (BUILD before ACTIVE, a migration moving
from migrating to finished, a service going down) are made from recorded
payloads by editing the one field a test is about, and say so.
"""

import copy

from tempest.lib import exceptions as lib_exc
import testtools

from tracker_tests.audit import reader as reader_mod
from tracker_tests.audit import snapshot
from tracker_tests.common import waiters
from tracker_tests.tests.unit.audit import fakes


class FakeClock:
    """time.monotonic and time.sleep of a test: sleeping moves time."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class SequenceReader:
    """A recorded fixture whose answers to some paths change per call.

    ``sequences`` maps "<service> <path>" to a list of bodies, served in
    order; the last one stays. A body None answers 404.
    """

    def __init__(self, name, sequences):
        self.recorded = fakes.FixtureReader(name)
        self.sequences = {key: list(bodies)
                          for key, bodies in sequences.items()}
        self.calls = []

    def get(self, service_type, path, microversion=None):
        key = '%s %s' % (service_type, path)
        self.calls.append(key)
        bodies = self.sequences.get(key)
        if bodies is None:
            return self.recorded.get(service_type, path, microversion)
        body = bodies.pop(0) if len(bodies) > 1 else bodies[0]
        if body is None:
            raise reader_mod.ResourceNotFound(service_type, path)
        return copy.deepcopy(body)


class PollerTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.time = FakeClock()
        self.poller = waiters.Poller(10, 3, sleep=self.time.sleep,
                                     clock=self.time.clock)

    def test_returns_the_first_truthy_result_without_sleeping_more(self):
        results = iter([None, 0, 'done', 'later'])
        self.assertEqual('done', self.poller.until(
            lambda: next(results), lambda: 'never'))
        self.assertEqual([3, 3], self.time.sleeps)

    def test_times_out_with_the_description_after_a_last_try(self):
        calls = []

        def never():
            calls.append(self.time.now)
            return False
        error = self.assertRaises(lib_exc.TimeoutException,
                                  self.poller.until, never,
                                  lambda: 'what was awaited')
        self.assertIn('after 10 s: what was awaited', str(error))
        # Sleeps never overshoot the deadline; the condition is asked once
        # more at the deadline itself.
        self.assertEqual([3, 3, 3, 1], self.time.sleeps)
        self.assertEqual(1010.0, calls[-1])

    def test_a_state_reached_during_the_last_sleep_counts(self):
        def at_deadline():
            return self.time.now >= 1010.0
        self.assertTrue(self.poller.until(at_deadline, lambda: ''))


class ServerWaitersTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.time = FakeClock()
        self.poller = waiters.Poller(60, 1, sleep=self.time.sleep,
                                     clock=self.time.clock)
        recorded = fakes.FixtureReader('servers_active')
        self.server_id = recorded.notes['server']
        self.path = 'compute /servers/%s' % self.server_id
        self.active = recorded.body('compute', '/servers/%s'
                                    % self.server_id)

    def with_status(self, status, task_state=None, fault=None):
        # Edited from the recorded ACTIVE server.
        body = copy.deepcopy(self.active)
        body['server']['status'] = status
        body['server']['OS-EXT-STS:task_state'] = task_state
        if fault:
            body['server']['fault'] = {'code': 500, 'message': fault,
                                       'created': '2026-11-21T12:00:00Z'}
        return body

    def reader(self, *bodies):
        return SequenceReader('servers_active', {self.path: bodies})

    def test_waits_for_status_and_no_task(self):
        reader = self.reader(self.with_status('BUILD', 'spawning'),
                             self.with_status('ACTIVE', 'powering-on'),
                             self.active)
        server = waiters.wait_for_server_status(reader, self.poller,
                                                self.server_id, 'ACTIVE')
        self.assertIsInstance(server, snapshot.Server)
        self.assertEqual(('ACTIVE', None), (server.status,
                                            server.task_state))
        self.assertEqual(3, len(reader.calls))

    def test_error_ends_the_wait_with_nova_fault(self):
        reader = self.reader(self.with_status('BUILD', 'spawning'),
                             self.with_status('ERROR', fault='No valid host'))
        error = self.assertRaises(
            waiters.ServerFailed, waiters.wait_for_server_status, reader,
            self.poller, self.server_id, 'ACTIVE')
        self.assertIn('went to ERROR: No valid host', str(error))
        self.assertEqual([1], self.time.sleeps)

    def test_error_can_be_awaited(self):
        reader = self.reader(self.with_status('ERROR'))
        self.assertEqual('ERROR', waiters.wait_for_server_status(
            reader, self.poller, self.server_id, 'ERROR').status)

    def test_timeout_names_the_last_state(self):
        reader = self.reader(self.with_status('VERIFY_RESIZE',
                                              'resize_finish'))
        error = self.assertRaises(
            lib_exc.TimeoutException, waiters.wait_for_server_status,
            reader, self.poller, self.server_id, 'VERIFY_RESIZE')
        self.assertIn('did not reach VERIFY_RESIZE (task None); last seen '
                      'status VERIFY_RESIZE, task resize_finish', str(error))

    def test_a_task_in_progress_can_be_awaited(self):
        reader = self.reader(self.with_status('RESIZE', 'resize_prep'),
                             self.with_status('RESIZE', 'resize_migrating'))
        server = waiters.wait_for_server_status(
            reader, self.poller, self.server_id, 'RESIZE',
            task_state='resize_migrating')
        self.assertEqual('resize_migrating', server.task_state)
        self.assertEqual(2, len(reader.calls))

    def test_gone(self):
        reader = self.reader(self.with_status('ERROR', 'deleting'), None)
        waiters.wait_for_server_gone(reader, self.poller, self.server_id)
        self.assertEqual(2, len(reader.calls))

    def test_a_server_vanishing_while_awaited_is_not_found(self):
        reader = self.reader(None)
        self.assertRaises(lib_exc.NotFound, waiters.wait_for_server_status,
                          reader, self.poller, self.server_id, 'ACTIVE')


class MigrationWaiterTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.time = FakeClock()
        self.poller = waiters.Poller(60, 1, sleep=self.time.sleep,
                                     clock=self.time.clock)
        recorded = fakes.FixtureReader('verify_resize')
        self.server_id = recorded.notes['server']
        listed = recorded.body('compute', '/os-migrations?instance_uuid=%s'
                               % self.server_id)
        self.migration = listed['migrations'][0]
        self.path = ('compute /os-migrations?instance_uuid=%s&'
                     'migration_type=resize' % self.server_id)

    def listing(self, *statuses_by_id):
        # Edited from the recorded migration: one per (id, status).
        migrations = []
        for migration_id, status in statuses_by_id:
            migration = copy.deepcopy(self.migration)
            migration.update(id=migration_id, status=status)
            migrations.append(migration)
        return {'migrations': migrations}

    def test_the_newest_migration_is_awaited(self):
        reader = SequenceReader('verify_resize', {self.path: [
            self.listing((1, 'confirmed'), (2, 'migrating')),
            self.listing((1, 'confirmed'), (2, 'finished')),
        ]})
        migration = waiters.wait_for_migration_status(
            reader, self.poller, self.server_id, 'resize', 'finished')
        self.assertEqual((2, 'finished'), (migration.id, migration.status))

    def test_an_older_migration_in_the_status_does_not_count(self):
        reader = SequenceReader('verify_resize', {self.path: [
            self.listing((1, 'finished'), (2, 'migrating'))]})
        error = self.assertRaises(
            lib_exc.TimeoutException, waiters.wait_for_migration_status,
            reader, self.poller, self.server_id, 'resize',
            ('finished', 'error'))
        self.assertIn('resize migration of server %s did not reach '
                      'error/finished; last seen: migrating'
                      % self.server_id, str(error))

    def test_no_migration_yet(self):
        reader = SequenceReader('verify_resize', {self.path: [
            {'migrations': []}]})
        error = self.assertRaises(
            lib_exc.TimeoutException, waiters.wait_for_migration_status,
            reader, self.poller, self.server_id, 'resize', 'finished')
        self.assertIn('last seen: no migration', str(error))


class ServiceWaiterTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.time = FakeClock()
        self.poller = waiters.Poller(30, 5, sleep=self.time.sleep,
                                     clock=self.time.clock)
        recorded = fakes.FixtureReader('servers_active')
        self.services = recorded.body('compute',
                                      '/os-services?binary=nova-compute')
        self.path = ('compute /os-services?binary=nova-compute&'
                     'host=compute1')

    def compute1(self, state):
        # Edited from the recorded service list.
        body = copy.deepcopy(self.services)
        body['services'] = [dict(s, state=state) for s in body['services']
                            if s['host'] == 'compute1']
        return body

    def test_waits_for_down(self):
        reader = SequenceReader('servers_active', {self.path: [
            self.compute1('up'), self.compute1('up'),
            self.compute1('down')]})
        service = waiters.wait_for_service_state(reader, self.poller,
                                                 'compute1', 'down')
        self.assertEqual(('compute1', 'down'), (service.host, service.state))
        self.assertEqual([5, 5], self.time.sleeps)

    def test_timeout_says_what_it_still_is(self):
        reader = SequenceReader('servers_active', {self.path: [
            self.compute1('up')]})
        error = self.assertRaises(
            lib_exc.TimeoutException, waiters.wait_for_service_state,
            reader, self.poller, 'compute1', 'down')
        self.assertIn('nova-compute on compute1 is still up, expected down',
                      str(error))

    def test_unknown_host(self):
        reader = SequenceReader('servers_active', {
            'compute /os-services?binary=nova-compute&host=compute9': [
                {'services': []}]})
        error = self.assertRaises(lib_exc.NotFound, waiters.compute_service,
                                  reader, 'compute9')
        self.assertIn('no nova-compute service on host compute9', str(error))


class ConsistencyWaiterTest(testtools.TestCase):
    """The hosts a test wants compared must have been, not skipped."""

    def setUp(self):
        super().setUp()
        self.time = FakeClock()
        self.poller = waiters.Poller(30, 5, sleep=self.time.sleep,
                                     clock=self.time.clock)
        self.updated = fakes.FixtureReader('servers_active').body(
            'compute', '/os-hypervisors/detail')
        # Edited from the recording: compute1's record as Nova creates it,
        # before its first resource update (raw figures, nulls).
        self.pending = copy.deepcopy(self.updated)
        for hypervisor in self.pending['hypervisors']:
            if hypervisor['hypervisor_hostname'] == 'compute1':
                fakes.before_first_update(hypervisor)

    def wait(self, *hypervisor_bodies):
        reader = SequenceReader('servers_active', {
            'compute /os-hypervisors/detail': hypervisor_bodies})
        return waiters.wait_until_consistent(
            reader, self.poller, snapshot.Scope(hosts={'compute1'}),
            kinds=['usage_mismatch'], hosts_compared=['compute1'])

    def test_passes_once_the_host_was_compared(self):
        result = self.wait(self.pending, self.pending, self.updated)
        self.assertEqual([], result.findings)
        self.assertEqual([5, 5], self.time.sleeps)

    def test_a_host_never_compared_times_out_naming_it(self):
        error = self.assertRaises(lib_exc.TimeoutException, self.wait,
                                  self.pending)
        self.assertIn('hosts whose figures were never compared (down, a '
                      'move or build under way, record not updated yet, '
                      'or no resource provider): compute1', str(error))
