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
"""The base class of tracker_tests' tempest tests and its assertions.

The vocabulary follows Nova's functional test helpers
(nova/tests/functional/integrated_helpers.py): assert that a consumer holds
exactly a flavor's resources on exactly the expected providers, that a
consumer holds nothing, that the hypervisor figures agree with Placement.
Each assertion reads the real APIs at the time it is called.
"""

import datetime
import subprocess

from tempest.api.compute import base
from tempest.common import waiters as tempest_waiters
from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc

from tracker_tests.audit import reader as reader_mod
from tracker_tests.audit import resources
from tracker_tests.audit import settle as settle_mod
from tracker_tests.audit import snapshot
from tracker_tests.common import expectations
from tracker_tests.common import tempest_reader
from tracker_tests.common import waiters
from tracker_tests import config as tracker_config

CONF = config.CONF


def flavor_from_api(body):
    """A flavor of the flavors API as the audit engine's Flavor."""
    return snapshot.Flavor(
        vcpus=body['vcpus'], ram=body['ram'], disk=body['disk'],
        ephemeral=body.get('OS-FLV-EXT-DATA:ephemeral', 0) or 0,
        swap=body.get('swap') or 0, original_name=body.get('name'),
        extra_specs=body.get('extra_specs') or {})


class TrackerTestBase(base.BaseV2ComputeAdminTest):
    """Boots, moves and deletes servers and checks Placement after each.

    Tests only ever look at their own servers, migrations and the hosts
    those touch, so that they can run in parallel on a shared cloud.
    """

    # 2.37: boot with networks 'none'; 2.74: boot onto a named host.
    min_microversion = '2.74'

    #: Computes a test class needs; [compute] min_compute_nodes says how
    #: many the cloud has.
    required_computes = 1

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if CONF.compute.min_compute_nodes < cls.required_computes:
            raise cls.skipException(
                'needs %d computes: [compute] min_compute_nodes is %d' % (
                    cls.required_computes, CONF.compute.min_compute_nodes))

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.reader = tempest_reader.TempestReader.for_manager(cls.os_admin)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.flavor = cls._load_flavor(
            CONF.tracker.flavor_ref or CONF.compute.flavor_ref,
            '[tracker] flavor_ref')
        cls.resize_flavor = cls._load_flavor(
            CONF.tracker.resize_flavor_ref or CONF.compute.flavor_ref_alt,
            '[tracker] resize_flavor_ref')

    @classmethod
    def _load_flavor(cls, flavor_id, option):
        if not flavor_id:
            raise cls.skipException('%s (or its [compute] default) is not '
                                    'set' % option)
        body = cls.admin_flavors_client.show_flavor(flavor_id)['flavor']
        body.setdefault('extra_specs', cls.admin_flavors_client.
                        list_flavor_extra_specs(flavor_id)['extra_specs'])
        return body

    def setUp(self):
        super().setUp()
        # Migrations a test caused are no older than this (with a margin
        # for clock skew between this machine and the cloud).
        self.started_at = (datetime.datetime.now(datetime.timezone.utc) -
                           datetime.timedelta(minutes=5)).strftime(
                               '%Y-%m-%dT%H:%M:%SZ')
        self.own_consumers = set()
        self.own_servers = []
        self._provider_by_host = {}
        self.baseline = self._allocations_by_provider()

    # -- servers --------------------------------------------------------------

    def create_server(self, flavor=None, host=None, wait_until='ACTIVE'):
        """Boot a server (networks 'none') and delete it at cleanup.

        ``host`` pins it (2.74, admin only); the primary user boots it
        otherwise, as a cloud user would. ``wait_until`` None returns as
        soon as Nova accepted it.
        """
        flavor = flavor or self.flavor
        client = self.admin_servers_client if host else self.servers_client
        kwargs = {'host': host} if host else {}
        server = client.create_server(
            name=data_utils.rand_name(prefix=CONF.resource_name_prefix,
                                      name=self.__class__.__name__),
            imageRef=CONF.compute.image_ref, flavorRef=flavor['id'],
            networks='none', **kwargs)['server']
        self.own_consumers.add(server['id'])
        self.own_servers.append(server['id'])
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.delete_server, server['id'])
        if wait_until:
            return self.wait_for_server(server['id'], wait_until)
        return self.show_server(server['id'])

    def delete_server(self, server_id):
        """Delete and wait until Nova no longer shows the server.

        A server in ERROR stays in ERROR until the delete is done, which
        is what is awaited here, not a failure.
        """
        self.admin_servers_client.delete_server(server_id)
        tempest_waiters.wait_for_server_termination(
            self.admin_servers_client, server_id, ignore_error=True)

    def show_server(self, server_id):
        return self.admin_servers_client.show_server(server_id)['server']

    @staticmethod
    def host_of(server):
        return server['OS-EXT-SRV-ATTR:host']

    def wait_for_server(self, server_id, status):
        """Wait for a status (task_state None); ERROR only if asked for."""
        tempest_waiters.wait_for_server_status(
            self.admin_servers_client, server_id, status,
            raise_on_error=status != 'ERROR')
        return self.show_server(server_id)

    def wait_for_migration(self, server_id, migration_type, statuses):
        """The server's newest migration of that type, once in statuses.

        Its uuid becomes one of this test's consumers.
        """
        migration = waiters.wait_for_migration_status(
            self.reader, server_id, migration_type, statuses,
            CONF.compute.build_timeout, CONF.tracker.poll_interval)
        self.own_consumers.add(migration['uuid'])
        return migration

    def resize_server(self, server_id, flavor):
        """Resize (or, with flavor None, cold migrate) to VERIFY_RESIZE.

        Returns the server and its migration.
        """
        if flavor is None:
            self.admin_servers_client.migrate_server(server_id)
            migration_type = 'migration'
        else:
            self.admin_servers_client.resize_server(server_id, flavor['id'])
            migration_type = 'resize'
        server = self.wait_for_server(server_id, 'VERIFY_RESIZE')
        return server, self.wait_for_migration(server_id, migration_type,
                                               'finished')

    def confirm_resize(self, server_id, migration):
        self.admin_servers_client.confirm_resize_server(server_id)
        server = self.wait_for_server(server_id, 'ACTIVE')
        # The source compute frees the migration's allocation after the
        # server is ACTIVE; 'confirmed' says it has.
        self.wait_for_migration(server_id, migration['migration_type'],
                                'confirmed')
        return server

    def revert_resize(self, server_id, migration):
        self.admin_servers_client.revert_resize_server(server_id)
        server = self.wait_for_server(server_id, 'ACTIVE')
        self.wait_for_migration(server_id, migration['migration_type'],
                                'reverted')
        return server

    # -- compute services -----------------------------------------------------

    def _run_service_command(self, option, host):
        template = getattr(CONF.tracker, option)
        if not template:
            raise self.skipException('[tracker] %s is not set' % option)
        argv = tracker_config.render_command(template, host=host)
        result = subprocess.run(argv, capture_output=True, text=True,
                                timeout=CONF.tracker.command_timeout)
        if result.returncode:
            self.fail('[tracker] %s for host %s exited %d: %s' % (
                option, host, result.returncode,
                (result.stderr or result.stdout).strip()[-500:]))

    def stop_compute(self, host):
        """Stop the compute service of ``host`` until it is seen down.

        At cleanup it is started again and its forced_down flag unset, in
        that order: the restarted compute cleans up what was evacuated
        from it while it still counts as down.
        """
        if not CONF.tracker_feature_enabled.service_control:
            raise self.skipException(
                '[tracker-feature-enabled] service_control is False')
        self._run_service_command('compute_stop_command', host)
        self.addCleanup(self.restore_compute, host)
        return waiters.wait_for_service_state(
            self.reader, host, 'down', CONF.tracker.service_state_timeout,
            CONF.tracker.poll_interval)

    def kill_compute(self, host):
        """Kill (SIGKILL) the compute of ``host``; restarted at cleanup."""
        self._run_service_command('compute_kill_command', host)
        self.addCleanup(self.restore_compute, host)

    def set_compute_enabled(self, host, enabled):
        """Enable or disable the compute of ``host``; undone at cleanup."""
        service = waiters.compute_service(self.reader, host)
        status = 'enabled' if enabled else 'disabled'
        if service['status'] == status:
            return
        self.os_admin.services_client.update_service(service['id'],
                                                     status=status)
        self.addCleanup(self.os_admin.services_client.update_service,
                        service['id'], status=service['status'])

    def compute_hosts(self, beside=None):
        """Hosts of enabled, up computes; with ``beside``, of its zone."""
        services = self.reader.get(
            'compute', '/os-services?binary=nova-compute',
            waiters.SERVICES_MICROVERSION)['services']
        zones = {s['zone'] for s in services if s['host'] == beside}
        return sorted(s['host'] for s in services
                      if s['state'] == 'up' and s['status'] == 'enabled' and
                      (beside is None or s['zone'] in zones))

    def force_down(self, host, forced_down=True):
        """Set or unset forced_down (2.53) of the compute on ``host``."""
        service = waiters.compute_service(self.reader, host)
        self.os_admin.services_client.update_service(
            service['id'], forced_down=forced_down)

    def _unset_forced_down(self, host):
        def attempt():
            try:
                self.force_down(host, forced_down=False)
            except lib_exc.BadRequest as exc:
                self._last_force_up_error = exc
                return False
            return True
        return attempt

    def start_compute(self, host):
        self._run_service_command('compute_start_command', host)

    def restore_compute(self, host):
        """Start the compute of ``host``, unset forced_down, wait up."""
        self.start_compute(host)
        if waiters.compute_service(self.reader, host)['forced_down']:
            # Nova refuses (400) while evacuations from the host are 'done'
            # but not yet 'completed' by the restarted compute.
            waiters.poll(self._unset_forced_down(host),
                         CONF.tracker.service_state_timeout,
                         CONF.tracker.poll_interval,
                         lambda: 'nova-compute on %s stays forced down: %s'
                         % (host, self._last_force_up_error))
        waiters.wait_for_service_state(
            self.reader, host, 'up', CONF.tracker.service_state_timeout,
            CONF.tracker.poll_interval)

    # -- placement ------------------------------------------------------------

    def provider_of(self, host):
        """The resource provider uuid of a compute host's node."""
        if host not in self._provider_by_host:
            self._provider_by_host = expectations.providers_by_host(
                self.reader)
        providers = self._provider_by_host.get(host, [])
        if len(providers) != 1:
            self.fail('host %s has %d compute nodes; expected one'
                      % (host, len(providers)))
        return providers[0]

    def assert_no_usage_change(self):
        """No compute provider's usage changed because of this test."""
        for host in sorted(self._provider_by_host):
            self.assert_usage_delta(host, {})

    def _host_label(self, provider):
        for host, uuids in self._provider_by_host.items():
            if provider in uuids:
                return '%s (host %s)' % (provider, host)
        return provider

    def _allocations_by_provider(self):
        """Every consumer's allocation on every compute provider."""
        self._provider_by_host = expectations.providers_by_host(self.reader)
        return {provider: expectations.provider_allocations(self.reader,
                                                            provider)
                for uuids in self._provider_by_host.values()
                for provider in uuids}

    @staticmethod
    def flavor_resources(flavor):
        return resources.expected_resources(flavor_from_api(flavor))

    def assert_allocations(self, consumer, flavor_by_host):
        """``consumer`` holds exactly each flavor on exactly those hosts.

        Nova frees or moves some allocations after the API already shows
        the end state (the conductor cleans up after a server deleted
        while it was being scheduled), so a difference is read again until
        it goes or [tracker] consistency_timeout passes.
        """
        expected = {self.provider_of(host): self.flavor_resources(flavor)
                    for host, flavor in flavor_by_host.items()}

        def differences():
            problems = expectations.allocation_problems(
                consumer, expected,
                expectations.consumer_allocations(self.reader, consumer),
                self._host_label)
            if problems:
                return ('allocations of consumer %s differ from what Nova '
                        'should hold:\n  %s' % (
                            consumer, '\n  '.join(problems)))

        self._assert_eventually(differences)

    def _assert_eventually(self, failure):
        """Fail with ``failure()``'s message unless it turns None.

        It is called again until [tracker] consistency_timeout passes.
        """
        last = {}

        def holds():
            last['message'] = failure()
            return last['message'] is None

        try:
            waiters.poll(holds, CONF.tracker.consistency_timeout,
                         CONF.tracker.poll_interval, lambda: '')
        except lib_exc.TimeoutException:
            self.fail(last['message'])

    def assert_migration_allocations(self, migration_uuid, flavor_by_host):
        """A move's source side, held by the migration's uuid."""
        self.own_consumers.add(migration_uuid)
        self.assert_allocations(migration_uuid, flavor_by_host)

    def assert_no_allocations(self, consumer):
        """``consumer`` holds nothing on any provider."""
        self.assert_allocations(consumer, {})

    def assert_usage_delta(self, host, expected_change):
        """Placement usage of ``host`` moved by ``expected_change``.

        The change is counted since setUp, as {resource class: amount}; {}
        means back to baseline.

        Other tests' servers on a shared cloud move usage too: consumers
        that existed at setUp, and new ones that Nova knows as another
        test's server or migration, are left out. A new consumer Nova does
        not know counts: it is the kind of leak this looks for.
        A consumer of another test's server that is being deleted right
        now can be neither (its record is gone, its allocation not yet),
        so the check is repeated until it holds or
        [tracker] consistency_timeout passes.
        """
        provider = self.provider_of(host)
        expected_change = {rc: n for rc, n in expected_change.items() if n}

        def difference():
            change, counted = expectations.added_resources(
                self.baseline.get(provider, {}),
                expectations.provider_allocations(self.reader, provider),
                self._foreign)
            if change != expected_change:
                return ('usage of provider %s changed by %s since the test '
                        'started, expected %s; new consumers counted: %s' % (
                            self._host_label(provider), change,
                            expected_change, counted or 'none'))

        self._assert_eventually(difference)

    def _foreign(self, consumer):
        """A consumer that is another test's server or migration."""
        if consumer in self.own_consumers:
            return False
        try:
            self.admin_servers_client.show_server(consumer)
            return True
        except lib_exc.NotFound:
            pass
        migrations = reader_mod.get_all(
            self.reader, 'compute', '/os-migrations', 'migrations',
            waiters.MIGRATIONS_MICROVERSION,
            {'changes-since': self.started_at})
        for migration in migrations:
            if migration.get('uuid') == consumer:
                return migration['instance_uuid'] not in self.own_consumers
        return False

    # -- consistency ----------------------------------------------------------

    def wait_until_consistent(self, hosts=(), kinds=None):
        """Poll the audit over this test's servers and hosts until clean."""
        scope = snapshot.Scope(hosts=set(hosts) or None,
                               server_ids=set(self.own_servers) or None)
        return waiters.wait_until_consistent(
            self.reader, scope, CONF.tracker.consistency_timeout,
            CONF.tracker.poll_interval, kinds=kinds,
            hosts_compared=hosts)

    def audit_own(self, settle=3.0):
        """The audit's findings over this test's servers, as they stand."""
        return settle_mod.audit(self.reader, snapshot.Scope(
            server_ids=set(self.own_servers) or None,
            hosts=set(self._provider_by_host) or None), settle=settle)

    def assert_hypervisor_matches_placement(self, *hosts):
        """Hypervisor figures agree with Placement on each host.

        os-hypervisors (2.87) used minus inventory reserved must equal
        Placement usage, once the host's resource tracker caught up.
        """
        self.wait_until_consistent(hosts=hosts, kinds=['usage_mismatch'])
