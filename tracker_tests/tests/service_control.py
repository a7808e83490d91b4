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
"""Hosts and services a test may disturb, and how it disturbs them.

A test that stops, kills, forces down, disables or fills a compute first
locks the host (tracker_tests.common.host_locks) for its whole lifetime,
then keeps other tests' work off it: it disables the host, so that the
scheduler sends nothing new there, and waits until no other test's server
or move is left on it. A driver fault on a locked host names the test's
server, so that other tests' servers there never take it.

A test that stops, kills or freezes a service every test shares
(Placement, the message bus, ...) or sets a Placement fault runs alone:
every test holds the cloud lock shared, such a test holds it exclusively.

Everything a test changes is undone at cleanup, in reverse order, before
its locks are released; a service that does not come back fails the
cleanup naming it, and the other cleanups still run.
"""

import re
import subprocess
import uuid

from oslo_concurrency import lockutils
from tempest import config
from tempest.lib import exceptions as lib_exc

from tracker_tests.audit import lookups
from tracker_tests.audit import snapshot
from tracker_tests.common import host_locks
from tracker_tests.common import waiters
from tracker_tests import config as tracker_config
from tracker_tests.faults import cli as fault_cli

CONF = config.CONF


#: The services [tracker] service_command controls, by their names there.
SHARED_SERVICES = ('placement', 'nova-api', 'nova-conductor',
                   'nova-scheduler', 'keystone', 'message-bus', 'database')
#: What undoes each way of taking a service away.
RESTORE_ACTION = {'stop': 'start', 'kill': 'start', 'freeze': 'thaw'}
#: The host names of the computes tests add: "fault-" keeps tempest's own
#: tests away ([compute] target_hosts_to_avoid).
THROWAWAY_HOST_PREFIX = 'fault-throwaway-'

#: The cloud lock this process holds, shared, for a test class's set-up or
#: tear-down (one class at a time: a worker runs its classes in turn).
_class_cloud_lock = {'lock': None}


def hold_cloud_for_class():
    """Hold the cloud lock shared, unless this process already does.

    A class makes its credentials and reads its flavors through keystone
    and Nova, and removes them at its end: not while a test elsewhere has
    the database, the message bus or Placement away.
    """
    if _class_cloud_lock['lock'] is not None:
        return
    lock = host_locks.CloudLock(lockutils.get_lock_path(CONF))
    if not lock.acquire(False, CONF.tracker.host_lock_timeout):
        raise lib_exc.TimeoutException(
            'the cloud lock stayed held by other tests for %d s'
            % CONF.tracker.host_lock_timeout)
    _class_cloud_lock['lock'] = lock


def release_cloud_for_class():
    lock, _class_cloud_lock['lock'] = _class_cloud_lock['lock'], None
    if lock is not None:
        lock.release(False)


class ServiceControlMixin:
    """Locks, service control, driver and Placement faults.

    Needs ``reader``, ``admin_services_client``, ``own_servers`` and
    ``own_consumers``.
    """

    #: True for a test class that takes shared services away, sets
    #: Placement faults, or watches for a driver call on a host it cannot
    #: disable (any other test's work there would make the call): its
    #: tests run alone.
    disturbs_shared_services = False

    @classmethod
    def skip_unless_set(cls, *options):
        """Skip unless each of these [tracker] options is set; the first
        that is not is named.
        """
        for option in options:
            if not getattr(CONF.tracker, option):
                raise cls.skipException('[tracker] %s is not set' % option)

    # -- the cloud lock -------------------------------------------------------

    def hold_cloud(self):
        """Hold the cloud lock for this test: shared, or exclusively when
        the class disturbs shared services.
        """
        lock = host_locks.CloudLock(lockutils.get_lock_path(CONF))
        exclusive = self.disturbs_shared_services
        if not lock.acquire(exclusive, CONF.tracker.host_lock_timeout):
            self.fail('the cloud lock stayed held by other tests for %d s'
                      % CONF.tracker.host_lock_timeout)
        self.addCleanup(lock.release, exclusive)

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

    def compute_service(self, host):
        """The nova-compute service of ``host``."""
        return waiters.compute_service(self.reader, host)

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

    def _run_service_command(self, option, /, **values):
        template = getattr(CONF.tracker, option)
        if not template:
            raise self.skipException('[tracker] %s is not set' % option)
        argv = tracker_config.render_command(template, **values)
        command = '[tracker] %s for %s' % (
            option, ', '.join('%s %s' % kv for kv in values.items()))
        try:
            result = subprocess.run(argv, capture_output=True, text=True,
                                    timeout=CONF.tracker.command_timeout)
        except subprocess.TimeoutExpired:
            self.fail('%s ran longer than [tracker] command_timeout (%d s)'
                      % (command, CONF.tracker.command_timeout))
        if result.returncode:
            self.fail('%s exited %d: %s' % (
                command, result.returncode,
                (result.stderr or result.stdout).strip()[-500:]))
        return result.stdout

    def _service_poller(self):
        return waiters.Poller(CONF.tracker.service_state_timeout,
                              CONF.tracker.poll_interval)

    # -- shared services -----------------------------------------------------

    def take_service_away(self, service, action='stop'):
        """Stop, kill or freeze a shared service; undone at cleanup.

        The cleanup starts (or thaws) it, which returns once it answers,
        then waits until every compute that was up is up again: computes
        reconnect to a restarted message bus or database only after a
        while.
        """
        if not self.disturbs_shared_services:
            raise AssertionError('%s takes %s away but does not set '
                                 'disturbs_shared_services'
                                 % (type(self).__name__, service))
        if service not in SHARED_SERVICES:
            raise ValueError('unknown service %r; one of %s'
                             % (service, ', '.join(SHARED_SERVICES)))
        up_before = [s.host for s in self.compute_services()
                     if s.state == 'up']
        if not getattr(self, '_services_away', None):
            self._services_away = []
            self.addCleanup(self.bring_services_back)
        self._services_away.append((service, action, up_before))
        self._run_service_command('service_command', service=service,
                                  action=action)

    def bring_services_back(self):
        """Undo every take_service_away of this test, latest first, then
        wait until the computes that were up are up again.
        """
        computes, failures = set(), []
        while self._services_away:
            service, action, up_before = self._services_away.pop()
            # One service that does not come back must not keep the others
            # away: each is tried, the failures are reported together.
            try:
                self._run_service_command(
                    'service_command', service=service,
                    action=RESTORE_ACTION[action])
            except self.failureException as exc:
                failures.append(str(exc))
            computes.update(up_before)
        if failures:
            self.fail('services did not come back:\n  %s'
                      % '\n  '.join(failures))
        # A compute that lost the message bus or the database still shows
        # up until its last heartbeat is too old: wait for a new one.
        heartbeats = {host: self._last_heartbeat(host) for host in computes}
        for host in sorted(computes):
            waiters.wait_for_service_state(
                self.reader, self._service_poller(), host, 'up',
                after=heartbeats[host])

    # -- faults ---------------------------------------------------------------

    def inject_fault(self, host, method, fault='raise', seconds=0, count=1,
                     exception='NovaException', server_id=None):
        """Make the next ``count`` calls of the driver ``method`` on
        ``host`` (those about ``server_id`` only, when given) raise
        ``exception``, sleep ``seconds``, or both (``sleep-raise``).

        Cleared at cleanup. Without a server, any call takes it: the test
        must have taken the host (take_host), or run alone
        (disturbs_shared_services).
        """
        self._require_lock(host, 'injects a fault into it')
        self._run_service_command(
            'compute_fault_command', host=host, method=method, fault=fault,
            seconds=seconds, count=count, exception=exception,
            instance=server_id or 'any')
        self.addCleanup(self._run_service_command,
                        'compute_fault_clear_command', host=host)

    def fail_claims_on(self, host, count=100):
        """The next ``count`` claims on ``host`` fail: its driver says its
        node is unavailable (the claim raises ComputeResourcesUnavailable,
        where upstream mocks a claim or _prep_resize to raise). The host's
        periodic resource update asks too, so a count of 1 may go to it;
        the default covers every claim of a test.
        """
        self.inject_fault(host, 'node_is_available', 'raise', count=count,
                          exception='ComputeResourcesUnavailable')

    def hold_call(self, host, method, server_id, max_seconds=600):
        """The next call of the driver ``method`` on ``host`` about
        ``server_id`` waits until release_call (or max_seconds);
        wait_until_held waits for that call. ``method`` may also be one
        of the ResourceTracker methods the fault driver wraps
        (drop_move_claim_at_source, drop_move_claim_at_dest).
        """
        self.inject_fault(host, method, 'hold', seconds=max_seconds,
                          server_id=server_id)

    def wait_until_held(self, host):
        """Wait until the driver of ``host`` holds a call."""
        last = {}

        def held():
            last['shown'] = self._run_service_command(
                'compute_fault_show_command', host=host)
            return 'holding a call' in last['shown']

        self.poller.until(held, lambda: 'no call held on %s: %s'
                          % (host, last.get('shown')))

    def release_call(self, host):
        """Let the held call of ``host`` go on (clears its faults)."""
        self._run_service_command('compute_fault_clear_command', host=host)

    def wait_for_periodic_update(self, host):
        """Wait until a run of the periodic resource update of ``host``
        started, the run that goes on while the test holds a call there.

        get_available_resource is the task's first driver call and
        nothing else calls it: a one-second sleep there, about no server,
        delays nobody else's work, and its being taken says that the run
        began.
        """
        self.inject_fault(host, 'get_available_resource', 'sleep',
                          seconds=1)
        self.wait_until_fault_taken(host, 'get_available_resource')

    def pause_periodic_update(self, host, seconds):
        """Wait until the run of the periodic resource update under way
        on ``host`` ended and the next one began, which then sleeps
        ``seconds`` before reading anything: what the last run left stays
        for that long.
        """
        self.inject_fault(host, 'get_available_resource', 'sleep',
                          seconds=seconds)
        self.wait_until_fault_taken(host, 'get_available_resource')

    def wait_until_fault_taken(self, host, method=None):
        """Wait until the driver of ``host`` took every pending fault (of
        ``method`` only, when given: a call held meanwhile is no fault of
        that method).
        """
        self._wait_until_no_pending('compute_fault_show_command', method,
                                    host=host)

    def wait_until_placement_fault_taken(self):
        """Wait until Placement answered every pending fault."""
        self._wait_until_no_pending('placement_fault_show_command')

    def _wait_until_no_pending(self, option, method=None, /, **values):
        last = {}

        def taken():
            last['pending'] = self._run_service_command(
                option, **values).strip()
            return not fault_cli.pending_in_listing(last['pending'], method)

        self.poller.until(taken, lambda: 'faults still pending: %s'
                          % last.get('pending'))

    def set_compute_option(self, host, option, value):
        """Set a [DEFAULT] option of the compute on ``host`` (reserved
        amounts, allocation ratios, reclaim_instance_interval) and restart
        it; undone at cleanup.

        A restart disturbs the host: the test must have taken it.
        """
        self._require_lock(host, 'reconfigures it')
        # One reset drops every option set on the host: one restart at
        # cleanup however many options the test set.
        if getattr(self, '_reconfigured_hosts', None) is None:
            self._reconfigured_hosts = set()
        if host not in self._reconfigured_hosts:
            self._reconfigured_hosts.add(host)
            self.addCleanup(self._restarted, 'compute_config_reset_command',
                            host)
        self._restarted('compute_config_command', host, option=option,
                        value=value)

    def _restarted(self, template_option, host, **values):
        """Run a command that restarts the compute of ``host``; wait for a
        heartbeat of the new process, which comes once it updated its
        resource provider.
        """
        self._run_service_command(template_option, host=host, **values)
        # Read once the command is done, when the old process is gone: a
        # heartbeat it sent while stopping would otherwise pass for the new
        # process's, which comes only after the provider update.
        restarted_at = self._last_heartbeat(host)
        waiters.wait_for_service_state(self.reader, self._service_poller(),
                                       host, 'up', after=restarted_at)

    def inject_placement_fault(self, method, path, status, count=1):
        """Placement answers the next ``count`` ``method`` requests whose
        path matches the regular expression ``path`` with ``status`` (409:
        a consumer generation conflict; 503). Cleared at cleanup.
        """
        self._set_placement_fault('placement_fault_command', method=method,
                                  path=path, status=status, count=count)

    def delay_placement_requests(self, method, path, seconds, count=1):
        """Placement serves the next ``count`` ``method`` requests whose
        path matches the regular expression ``path`` ``seconds`` late
        (it holds each, then serves it). Cleared at cleanup.
        """
        self._set_placement_fault('placement_delay_command', method=method,
                                  path=path, seconds=seconds, count=count)

    def pin_conductor_compute_rpc(self, version):
        """nova-conductor sends the compute RPC API at ``version`` at most
        ([tracker] conductor_pin_command), as during a rolling upgrade;
        unpinned at cleanup. Both restart nova-conductor, which every test
        needs.
        """
        if not self.disturbs_shared_services:
            raise AssertionError('%s restarts nova-conductor but does not '
                                 'set disturbs_shared_services'
                                 % type(self).__name__)
        self.skip_unless_set('conductor_pin_command',
                             'conductor_unpin_command')
        self.addCleanup(self._run_service_command, 'conductor_unpin_command')
        self._run_service_command('conductor_pin_command', version=version)

    def _set_placement_fault(self, option, **values):
        # Placement serves every test: a fault there reaches them all.
        if not self.disturbs_shared_services:
            raise AssertionError('%s sets a Placement fault but does not '
                                 'set disturbs_shared_services'
                                 % type(self).__name__)
        self._run_service_command(option, **values)
        self.addCleanup(self._run_service_command,
                        'placement_fault_clear_command')

    def stop_compute(self, host, forced_down=False, start_at_cleanup=True):
        """Stop the compute service of ``host``; returns once Nova counts
        it down: with ``forced_down``, at once (its forced_down flag set
        once the process is gone, as Nova's own tests do before an
        evacuation), else once its missed heartbeats show it down (up to
        [DEFAULT] service_down_time).

        At cleanup it is started again and its forced_down flag unset, in
        that order: the restarted compute cleans up what was evacuated
        from it while it still counts as down. Not a compute whose service
        the test deletes (``start_at_cleanup=False``): it would start as a
        new one.
        """
        if not CONF.tracker_feature_enabled.service_control:
            raise self.skipException(
                '[tracker-feature-enabled] service_control is False')
        self._require_lock(host, 'stops it')
        self._run_service_command('compute_stop_command', host=host)
        if start_at_cleanup:
            self.addCleanup(self.restore_compute, host)
        if forced_down:
            self.force_down(host)
        return waiters.wait_for_service_state(
            self.reader, self._service_poller(), host, 'down')

    # -- computes of the test's own ------------------------------------------

    def add_compute(self, **options):
        """Start a compute of this test's own ([tracker]
        compute_add_command) with these [DEFAULT] ``options`` from its
        first start; locked, removed at cleanup. Returns its host.
        """
        host = THROWAWAY_HOST_PREFIX + uuid.uuid4().hex[:8]
        self.lock_hosts(host)
        if getattr(self, '_added_computes', None) is None:
            self._added_computes = set()
        self._added_computes.add(host)
        # Registered first: a compute half added is removed too.
        self.addCleanup(self._run_service_command, 'compute_remove_command',
                        host=host)
        self._run_service_command(
            'compute_add_command', host=host,
            options=','.join('%s=%s' % kv for kv in sorted(options.items())))
        return host

    def delete_compute_service(self, host):
        """Delete the compute service of ``host``, one that add_compute
        started for this test: there is no undoing it.
        """
        self.require_added_compute(host, 'deletes the service of %s')
        self.compute_services_client.delete_service(
            self.compute_service(host).id)

    def require_added_compute(self, host, action):
        """AssertionError unless add_compute started ``host`` for this
        test: only such a compute is the test's to change for good.
        ``action`` says what the test does to it (``%s``: the host).
        """
        if host not in (getattr(self, '_added_computes', None) or ()):
            raise AssertionError('%s %s, a compute it did not add '
                                 '(add_compute)' % (type(self).__name__,
                                                    action % host))

    def aggregates_of(self, host):
        """Names of the host aggregates ``host`` is in."""
        return sorted(a['name'] for a in self.admin_aggregates_client.
                      list_aggregates()['aggregates'] if host in a['hosts'])

    def assert_service_delete_refused(self, host, reason):
        """Deleting the compute service of ``host`` is refused (409) with
        ``reason`` in the message; the service stays.
        """
        service = self.compute_service(host)
        error = self.assertRaises(
            lib_exc.Conflict, self.compute_services_client.delete_service,
            service.id)
        self.assertIn(reason, str(error))
        self.assertEqual(service.id, self.compute_service(host).id)

    def assert_compute_deleted(self, host, provider):
        """Nothing of ``host`` is left: its service, its hypervisor, its
        resource provider ``provider`` (with every allocation on it), its
        aggregate membership.
        """
        self.assertEqual([], snapshot.read_compute_services(self.reader,
                                                            host=host))
        self.assertNotIn(host, {h.host for h in
                                snapshot.read_hypervisors(self.reader)})
        self.assert_provider_deleted(provider)
        self.assertEqual([], self.aggregates_of(host))

    def kill_compute(self, host):
        """Kill (SIGKILL) the compute of ``host``; restarted at cleanup."""
        self._require_lock(host, 'kills it')
        self._run_service_command('compute_kill_command', host=host)
        self.addCleanup(self.restore_compute, host)

    def restart_compute(self, host):
        """Stop and start the compute of ``host``, wait until it is up."""
        self._require_lock(host, 'restarts it')
        self._run_service_command('compute_stop_command', host=host)
        self.restore_compute(host)

    def _last_heartbeat(self, host):
        return waiters.compute_service(self.reader, host).updated_at

    def start_compute(self, host):
        self._run_service_command('compute_start_command', host=host)

    def start_compute_forced_down(self, host):
        """Start the compute of ``host`` and wait for the new process's
        first heartbeat, which comes after its init_host; forced_down
        stays as it is (the service shows down).
        """
        stopped_at = self._last_heartbeat(host)
        self.start_compute(host)
        last = {}

        def beat():
            last['at'] = self._last_heartbeat(host)
            return last['at'] is not None and (
                stopped_at is None or last['at'] > stopped_at)

        self._service_poller().until(beat, lambda: (
            'nova-compute on %s sent no heartbeat after %s; last %s'
            % (host, stopped_at, last.get('at'))))

    def restore_compute(self, host):
        """Start the compute of ``host``, unset forced_down, wait until a
        heartbeat of the new process says it is up.
        """
        stopped_at = self._last_heartbeat(host)
        self.start_compute_forced_down(host)
        if waiters.compute_service(self.reader, host).forced_down:
            # Nova refuses (400) while evacuations from the host are 'done'
            # but not 'completed', which the compute's init_host does for
            # those 'done' when it ran: one that became 'done' later (the
            # compute started while it was under way) needs one more start.
            last = {}
            restarted = []

            def unset():
                try:
                    self.force_down(host, forced_down=False)
                except lib_exc.BadRequest as exc:
                    last['error'] = exc
                    if not restarted:
                        restarted.append(host)
                        self._run_service_command('compute_stop_command',
                                                  host=host)
                        self.start_compute_forced_down(host)
                    return False
                return True

            self._service_poller().until(unset, lambda: (
                'nova-compute on %s stays forced down: %s' % (
                    host, last.get('error'))))
        waiters.wait_for_service_state(self.reader, self._service_poller(),
                                       host, 'up', after=stopped_at)
