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
"""Hosts a test may disturb, and how it disturbs them.

A test that stops, kills, forces down, disables or fills a compute first
locks the host (tracker_tests.common.host_locks) for its whole lifetime,
then keeps other tests' work off it: it disables the host, so that the
scheduler sends nothing new there, and waits until no other test's server
or move is left on it. Everything it changes is undone at cleanup, in
reverse order, before the lock is released.
"""

import re
import subprocess

from oslo_concurrency import lockutils
from tempest import config
from tempest.lib import exceptions as lib_exc

from tracker_tests.audit import lookups
from tracker_tests.audit import snapshot
from tracker_tests.common import host_locks
from tracker_tests.common import waiters
from tracker_tests import config as tracker_config

CONF = config.CONF


class ServiceControlMixin:
    """Host locks, compute service control and compute service state.

    Needs ``reader``, ``admin_services_client``, ``own_servers`` and
    ``own_consumers``.
    """

    # -- locks ----------------------------------------------------------------

    @property
    def host_locks(self):
        if getattr(self, '_host_locks', None) is None:
            self._host_locks = host_locks.HostLocks(
                lockutils.get_lock_path(CONF))
            self.addCleanup(self._host_locks.release_all)
        return self._host_locks

    def lock_hosts(self, *hosts):
        """Lock these hosts for this test, waiting while others hold them."""
        try:
            self.host_locks.lock_all(hosts, CONF.tracker.host_lock_timeout,
                                     CONF.tracker.poll_interval)
        except host_locks.HostsBusy as exc:
            self.fail(str(exc))
        return hosts

    def pick_hosts(self, count, candidates=None):
        """Lock ``count`` of ``candidates`` (default: this test's regular
        hosts) that no other test holds; returns them.
        """
        candidates = self.regular_hosts() if candidates is None \
            else candidates
        if len(candidates) < count:
            raise self.skipException('needs %d hosts, the cloud offers %d: '
                                     '%s' % (count, len(candidates),
                                             ', '.join(candidates)))
        try:
            return self.host_locks.lock_any(
                candidates, count, CONF.tracker.host_lock_timeout,
                CONF.tracker.poll_interval)
        except host_locks.HostsBusy as exc:
            self.fail(str(exc))

    def hosts_held_by_others(self, hosts):
        """Those of ``hosts`` that another test holds now."""
        return [h for h in hosts
                if h not in self.host_locks.held and
                not self.host_locks.is_free(h)]

    def _require_lock(self, host, what):
        if host not in self.host_locks.held:
            raise AssertionError('a test must lock host %s (lock_hosts or '
                                 'pick_hosts) before it %s' % (host, what))

    def take_host(self, host):
        """Keep every other test off ``host``, which this test locked.

        The host is disabled (enabled again at cleanup), then this waits
        until no server or move of another test is left on it.
        """
        self._require_lock(host, 'takes it')
        self.set_compute_enabled(host, False)
        last = {}

        def only_ours():
            last['others'] = self._foreign_work_on(host)
            return not last['others']

        try:
            waiters.Poller(CONF.tracker.host_lock_timeout,
                           CONF.tracker.poll_interval).until(
                only_ours, lambda: '')
        except lib_exc.TimeoutException:
            self.fail('host %s still runs work of other tests after %d s: '
                      '%s' % (host, CONF.tracker.host_lock_timeout,
                              ', '.join(last['others'])))

    def _foreign_work_on(self, host):
        """Servers and moves on ``host`` that are not this test's."""
        others = ['server %s (%s)' % (s.id, s.status)
                  for s in snapshot.read_servers(self.reader, {'host': host})
                  if s.id not in self.own_consumers]
        others += ['%s migration %s of server %s (%s)' % (
            m.migration_type, m.uuid, m.instance_uuid, m.status)
            for m in snapshot.read_migrations(self.reader, {'host': host})
            if lookups.migration_in_progress(m) and
            m.instance_uuid not in self.own_consumers]
        return others

    # -- hosts ----------------------------------------------------------------

    def compute_services(self):
        return snapshot.read_compute_services(self.reader)

    def regular_hosts(self):
        """Hosts of enabled, up computes that [compute]
        target_hosts_to_avoid does not exclude.
        """
        avoid = CONF.compute.target_hosts_to_avoid
        return sorted(s.host for s in self.compute_services()
                      if s.state == 'up' and s.status == 'enabled' and
                      not (avoid and re.search(avoid, s.host)))

    def zone_hosts(self, host):
        """Every compute host of ``host``'s availability zone, in any
        state.
        """
        services = self.compute_services()
        zones = {s.zone for s in services if s.host == host}
        return sorted(s.host for s in services if s.zone in zones)

    def compute_hosts(self, beside=None):
        """Hosts of enabled, up computes; with ``beside``, of its zone."""
        services = self.compute_services()
        zones = {s.zone for s in services if s.host == beside}
        return sorted(s.host for s in services
                      if s.state == 'up' and s.status == 'enabled' and
                      (beside is None or s.zone in zones))

    def set_compute_enabled(self, host, enabled):
        """Enable or disable the compute of ``host``; undone at cleanup."""
        self._require_lock(host, 'disables or enables it')
        service = waiters.compute_service(self.reader, host)
        status = 'enabled' if enabled else 'disabled'
        if service.status == status:
            return
        self.admin_services_client.update_service(service.id, status=status)
        self.addCleanup(self.admin_services_client.update_service,
                        service.id, status=service.status)

    def force_down(self, host, forced_down=True):
        """Set or unset forced_down (2.53) of the compute on ``host``."""
        self._require_lock(host, 'forces it down')
        service = waiters.compute_service(self.reader, host)
        self.admin_services_client.update_service(
            service.id, forced_down=forced_down)

    # -- processes ------------------------------------------------------------

    def _run_service_command(self, option, **values):
        template = getattr(CONF.tracker, option)
        if not template:
            raise self.skipException('[tracker] %s is not set' % option)
        argv = tracker_config.render_command(template, **values)
        result = subprocess.run(argv, capture_output=True, text=True,
                                timeout=CONF.tracker.command_timeout)
        if result.returncode:
            self.fail('[tracker] %s for %s exited %d: %s' % (
                option, ', '.join('%s %s' % kv for kv in values.items()),
                result.returncode,
                (result.stderr or result.stdout).strip()[-500:]))

    def _service_poller(self):
        return waiters.Poller(CONF.tracker.service_state_timeout,
                              CONF.tracker.poll_interval)

    def stop_compute(self, host):
        """Stop the compute service of ``host`` until it is seen down.

        At cleanup it is started again and its forced_down flag unset, in
        that order: the restarted compute cleans up what was evacuated
        from it while it still counts as down.
        """
        if not CONF.tracker_feature_enabled.service_control:
            raise self.skipException(
                '[tracker-feature-enabled] service_control is False')
        self._require_lock(host, 'stops it')
        self._run_service_command('compute_stop_command', host=host)
        self.addCleanup(self.restore_compute, host)
        return waiters.wait_for_service_state(
            self.reader, self._service_poller(), host, 'down')

    def kill_compute(self, host):
        """Kill (SIGKILL) the compute of ``host``; restarted at cleanup."""
        self._require_lock(host, 'kills it')
        self._run_service_command('compute_kill_command', host=host)
        self.addCleanup(self.restore_compute, host)

    def start_compute(self, host):
        self._run_service_command('compute_start_command', host=host)

    def restore_compute(self, host):
        """Start the compute of ``host``, unset forced_down, wait up."""
        self.start_compute(host)
        if waiters.compute_service(self.reader, host).forced_down:
            # Nova refuses (400) while evacuations from the host are 'done'
            # but not yet 'completed' by the restarted compute.
            last = {}

            def unset():
                try:
                    self.force_down(host, forced_down=False)
                except lib_exc.BadRequest as exc:
                    last['error'] = exc
                    return False
                return True

            self._service_poller().until(unset, lambda: (
                'nova-compute on %s stays forced down: %s' % (
                    host, last.get('error'))))
        waiters.wait_for_service_state(self.reader, self._service_poller(),
                                       host, 'up')
