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

"""Host locks between test processes, as two tempest workers take them.

File locks are per process, so the other worker is a real second process
holding its locks until told to let go.
"""

import os
import subprocess
import sys
import textwrap
import time
from unittest import mock

from fasteners import process_lock
import fixtures
import testtools

from tracker_tests.common import host_locks
from tracker_tests.tests.unit import test_waiters

#: Locks the hosts named on its command line, says so, and holds them
#: until its standard input closes.
OTHER_WORKER = textwrap.dedent('''
    import sys
    from tracker_tests.common import host_locks
    locks = host_locks.HostLocks(sys.argv[1])
    for host in sys.argv[2:]:
        assert locks.try_lock(host), host
    print('locked', flush=True)
    sys.stdin.read()
''')


class HostLocksTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lock_dir = self.useFixture(fixtures.TempDir()).path
        self.time = test_waiters.FakeClock()
        self.locks = host_locks.HostLocks(self.lock_dir,
                                          sleep=self.time.sleep,
                                          clock=self.time.clock)
        self.addCleanup(self.locks.release_all)

    def other_worker_holds(self, *hosts):
        worker = subprocess.Popen(
            [sys.executable, '-c', OTHER_WORKER, self.lock_dir] +
            list(hosts), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        self.addCleanup(worker.wait, 10)
        self.addCleanup(worker.stdin.close)
        self.assertEqual('locked\n', worker.stdout.readline())
        return worker

    def test_a_host_held_elsewhere_cannot_be_locked(self):
        self.other_worker_holds('compute1')
        self.assertFalse(self.locks.is_free('compute1'))
        self.assertFalse(self.locks.try_lock('compute1'))
        self.assertTrue(self.locks.try_lock('compute2'))
        self.assertEqual(['compute2'], list(self.locks.held))

    def test_lock_any_skips_held_hosts_without_waiting(self):
        self.other_worker_holds('compute1')
        picked = self.locks.lock_any(['compute1', 'compute2', 'compute3'],
                                     2, timeout=60)
        self.assertEqual(['compute2', 'compute3'], picked)
        self.assertEqual([], self.time.sleeps)

    def test_lock_all_gives_back_what_it_took_when_one_stays_held(self):
        self.other_worker_holds('compute2')
        error = self.assertRaises(
            host_locks.HostsBusy, self.locks.lock_all,
            ['compute2', 'compute1'], timeout=3, interval=1)
        self.assertIn('held by other tests: compute2', str(error))
        self.assertEqual({}, self.locks.held)
        self.assertTrue(self.locks.is_free('compute1'))
        self.assertEqual([1, 1, 1], self.time.sleeps)

    def test_a_lock_released_by_the_other_worker_is_taken(self):
        worker = self.other_worker_holds('compute1')
        attempts = []

        def release_after_two_tries(seconds):
            attempts.append(seconds)
            if len(attempts) == 2:
                worker.stdin.close()
                worker.wait(10)
        self.locks.sleep = release_after_two_tries
        self.assertEqual(['compute1'], self.locks.lock_all(
            ['compute1'], timeout=60, interval=1))
        self.assertEqual(2, len(attempts))

    def test_a_dead_worker_holds_nothing(self):
        worker = self.other_worker_holds('compute1')
        worker.kill()
        worker.wait(10)
        self.assertTrue(self.locks.try_lock('compute1'))

    def test_hosts_already_held_by_this_process_count(self):
        self.assertTrue(self.locks.try_lock('compute1'))
        self.assertEqual(['compute1', 'compute2'], self.locks.lock_any(
            ['compute1', 'compute2'], 2, timeout=0))
        self.locks.release('compute2')
        self.other_worker_holds('compute2')
        self.assertRaises(host_locks.HostsBusy, self.locks.lock_all,
                          ['compute1', 'compute2'], timeout=0)
        # A failed attempt never gives back what was held before it.
        self.assertIn('compute1', self.locks.held)

    def test_more_hosts_wanted_than_exist(self):
        error = self.assertRaises(host_locks.HostsBusy, self.locks.lock_any,
                                  ['compute1'], 2, timeout=60)
        self.assertIn('2 hosts wanted, only 1 exist: compute1', str(error))

    def test_host_names_cannot_escape_the_lock_directory(self):
        self.assertTrue(self.locks.try_lock('../evil/host'))
        path = self.locks.held['../evil/host'].path
        self.assertTrue(path.startswith(
            (self.lock_dir + '/').encode() if isinstance(path, bytes)
            else self.lock_dir + '/'))


#: Takes the cloud lock (shared or exclusive), says so, and holds it until
#: its standard input closes; says "timeout" if it never got it.
CLOUD_WORKER = textwrap.dedent('''
    import sys
    from tracker_tests.common import host_locks
    lock = host_locks.CloudLock(sys.argv[1])
    if not lock.acquire(sys.argv[2] == 'exclusive', float(sys.argv[3])):
        print('timeout', flush=True)
        sys.exit(0)
    print('held', flush=True)
    sys.stdin.read()
    lock.release(sys.argv[2] == 'exclusive')
''')


class CloudWorkersTestCase(testtools.TestCase):
    """A lock directory, and other workers taking the cloud lock."""

    def setUp(self):
        super().setUp()
        self.lock_dir = self.useFixture(fixtures.TempDir()).path

    def worker(self, mode, timeout=30):
        worker = subprocess.Popen(
            [sys.executable, '-c', CLOUD_WORKER, self.lock_dir, mode,
             str(timeout)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(worker.wait, 10)
        self.addCleanup(worker.stdin.close)
        return worker


class CloudLockTest(CloudWorkersTestCase):

    def wait_until_the_turnstile_is_held(self):
        turnstile = process_lock.InterProcessLock(
            os.path.join(self.lock_dir, 'tracker-cloud-turnstile'))
        for _ in range(200):
            if not turnstile.acquire(blocking=False):
                return
            turnstile.release()
            time.sleep(0.05)
        self.fail('the writer never took the turnstile')

    def test_tests_share_it(self):
        first, second = self.worker('shared'), self.worker('shared')
        self.assertEqual('held\n', first.stdout.readline())
        self.assertEqual('held\n', second.stdout.readline())

    def test_an_exclusive_holder_waits_for_the_shared_ones(self):
        reader = self.worker('shared')
        self.assertEqual('held\n', reader.stdout.readline())
        writer = self.worker('exclusive', timeout=1)
        self.assertEqual('timeout\n', writer.stdout.readline())

    def test_a_waiting_writer_stops_new_readers(self):
        reader = self.worker('shared')
        self.assertEqual('held\n', reader.stdout.readline())
        writer = self.worker('exclusive')
        self.wait_until_the_turnstile_is_held()
        # A reader arriving while the writer waits must wait for it rather
        # than overtake it.
        late_reader = self.worker('shared', timeout=2)
        self.assertEqual('timeout\n', late_reader.stdout.readline())
        reader.stdin.close()
        self.assertEqual('held\n', writer.stdout.readline())
        after = self.worker('shared', timeout=1)
        self.assertEqual('timeout\n', after.stdout.readline())
        writer.stdin.close()
        writer.wait(10)
        self.assertEqual('held\n', self.worker('shared').stdout.readline())


class ClassCloudLockTest(CloudWorkersTestCase):
    """The shared hold of a test class's set-up and tear-down."""

    def setUp(self):
        super().setUp()
        from tracker_tests.tests import service_control
        self.service_control = service_control
        self.useFixture(fixtures.MockPatchObject(
            service_control.lockutils, 'get_lock_path',
            return_value=self.lock_dir))
        self.useFixture(fixtures.MockPatchObject(
            service_control, 'CONF', mock.Mock(**{
                'tracker.host_lock_timeout': 5})))
        self.addCleanup(service_control.release_cloud_for_class)

    def test_held_once_however_often_taken_until_released(self):
        self.service_control.hold_cloud_for_class()
        # tempest's setUpClass calls tearDownClass on a failure: taken
        # again while held.
        self.service_control.hold_cloud_for_class()
        self.assertEqual('timeout\n', self.worker(
            'exclusive', timeout=1).stdout.readline())
        self.service_control.release_cloud_for_class()
        self.assertEqual('held\n', self.worker(
            'exclusive').stdout.readline())
        # Released twice (set-up's finally after tear-down's): no error.
        self.service_control.release_cloud_for_class()
