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
"""Exclusive locks on compute hosts, shared by every test process.

A test that disturbs a host (stops, kills, forces down, disables or fills
it, or injects a fault into it) holds that host's lock for its lifetime,
so that tests disturbing different hosts run in parallel and tests wanting
the same host take turns. The locks are files in tempest's lock path
(fasteners, as tempest's own serial lock), released by the kernel if the
test process dies.
"""

import os
import re
import time

from fasteners import process_lock

_UNSAFE = re.compile(r'[^A-Za-z0-9_.-]')


class HostsBusy(Exception):
    """No set of the wanted hosts could be locked in time."""


class HostLocks:
    """Locks on hosts, taken by one test process."""

    def __init__(self, lock_dir, sleep=time.sleep, clock=time.monotonic):
        self.lock_dir = lock_dir
        self.sleep = sleep
        self.clock = clock
        #: host -> the lock this process holds on it
        self.held = {}

    def _path(self, host):
        return os.path.join(self.lock_dir,
                            'tracker-host-%s' % _UNSAFE.sub('_', host))

    def try_lock(self, host):
        """Lock ``host`` if no other process holds it; True if locked."""
        if host in self.held:
            return True
        lock = process_lock.InterProcessLock(self._path(host))
        if not lock.acquire(blocking=False):
            return False
        self.held[host] = lock
        return True

    def release(self, host):
        lock = self.held.pop(host, None)
        if lock is not None:
            lock.release()

    def release_all(self):
        for host in list(self.held):
            self.release(host)

    def is_free(self, host):
        """Whether no other process holds ``host`` right now."""
        if host in self.held:
            return False
        lock = process_lock.InterProcessLock(self._path(host))
        if not lock.acquire(blocking=False):
            return False
        lock.release()
        return True

    def lock_all(self, hosts, timeout, interval=1.0):
        """Lock every one of ``hosts``, waiting for those held elsewhere.

        All or nothing: a host that stays held past ``timeout`` releases
        what this call took and raises HostsBusy naming it. Hosts are tried
        in sorted order so that two tests wanting overlapping sets never
        hold a part each forever.
        """
        return self.lock_any(sorted(set(hosts)), len(set(hosts)), timeout,
                             interval)

    def lock_any(self, candidates, count, timeout, interval=1.0):
        """Lock ``count`` hosts of ``candidates`` (in their order).

        Returns the locked hosts; waits while fewer than ``count`` are
        free, and raises HostsBusy after ``timeout``.
        """
        candidates = list(dict.fromkeys(candidates))
        if count > len(candidates):
            raise HostsBusy('%d hosts wanted, only %d exist: %s' % (
                count, len(candidates), ', '.join(candidates)))
        deadline = self.clock() + timeout
        while True:
            taken, newly = [], []
            for host in candidates:
                if len(taken) == count:
                    break
                if host in self.held:
                    taken.append(host)
                elif self.try_lock(host):
                    taken.append(host)
                    newly.append(host)
            if len(taken) == count:
                return taken
            # Give back what this attempt took: holding part of a set
            # while waiting for the rest could block the holder of the
            # rest forever.
            for host in newly:
                self.release(host)
            if self.clock() >= deadline:
                raise HostsBusy(
                    'could not lock %d of %s within %g s; held by other '
                    'tests: %s' % (count, ', '.join(candidates), timeout,
                                   ', '.join(h for h in candidates
                                             if not self.is_free(h))))
            self.sleep(interval)


class CloudLock:
    """Shared by every test, exclusive for a test that disturbs what all
    tests use (Placement, the message bus, ...).

    A file reader-writer lock alone lets a waiting writer starve while
    readers come and go (fasteners polls); a turnstile in front of it
    stops new readers as soon as a writer waits.
    """

    def __init__(self, lock_dir, name='tracker-cloud'):
        self.turnstile = process_lock.InterProcessLock(
            os.path.join(lock_dir, name + '-turnstile'))
        self.rw_lock = process_lock.InterProcessReaderWriterLock(
            os.path.join(lock_dir, name))

    def acquire(self, exclusive, timeout):
        """True once held (exclusively or shared); False after timeout."""
        if not self.turnstile.acquire(timeout=timeout):
            return False
        try:
            if exclusive:
                return self.rw_lock.acquire_write_lock(timeout=timeout)
        finally:
            self.turnstile.release()
        return self.rw_lock.acquire_read_lock(timeout=timeout)

    def release(self, exclusive):
        if exclusive:
            self.rw_lock.release_write_lock()
        else:
            self.rw_lock.release_read_lock()
