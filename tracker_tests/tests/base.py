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
"""The base class of tracker_tests' tempest tests.

Built on tempest's stable plugin interfaces only (tempest.test,
tempest.lib, tempest.config): credentials, clients and the compute
microversion are set up here; what a test does comes from the mixins, one
concern each, as Nova's functional helpers are split:

- server_actions: boot, move, shelve, rebuild, delete, each acting and
  waiting;
- allocation_checks: Placement and hypervisor assertions, act-and-check;
- service_control: host locks, compute services stopped, killed, forced
  down or disabled.
"""

from tempest import config
from tempest.lib.common import api_microversion_fixture
from tempest.lib.common import api_version_utils
from tempest.lib.common.utils import data_utils
from tempest.lib import exceptions as lib_exc
from tempest import test

from tracker_tests.audit import snapshot
from tracker_tests.common import tempest_reader
from tracker_tests.common import waiters
from tracker_tests.tests import allocation_checks
from tracker_tests.tests import server_actions
from tracker_tests.tests import service_control

CONF = config.CONF


class TrackerTestBase(server_actions.ServerActionsMixin,
                      allocation_checks.AllocationChecksMixin,
                      service_control.ServiceControlMixin,
                      test.BaseTestCase):
    """Boots, moves and deletes servers and checks Placement after each."""

    credentials = ['primary', 'admin']

    #: Every compute request of the tests: 2.37 boot with networks 'none',
    #: 2.56 cold migrate to a host, 2.74 boot onto a host, 2.91 unshelve
    #: onto a host. (The audit's reads name their own microversions.)
    compute_microversion = '2.91'

    #: Computes a test class needs; [compute] min_compute_nodes says how
    #: many the cloud has.
    required_computes = 1

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.nova:
            raise cls.skipException('[service_available] nova is False')
        api_version_utils.check_skip_with_microversion(
            cls.compute_microversion, 'latest',
            CONF.compute.min_microversion, CONF.compute.max_microversion)
        if CONF.compute.min_compute_nodes < cls.required_computes:
            raise cls.skipException(
                'needs %d computes: [compute] min_compute_nodes is %d' % (
                    cls.required_computes, CONF.compute.min_compute_nodes))

    @classmethod
    def setUpClass(cls):
        try:
            super().setUpClass()
        finally:
            service_control.release_cloud_for_class()

    @classmethod
    def setup_credentials(cls):
        # Taken here, after tempest's own class lock (taken first in
        # setUpClass), in the order every test takes the two; released
        # once the class is set up.
        service_control.hold_cloud_for_class()
        # Servers boot with networks 'none': no network resources.
        cls.set_network_resources()
        super().setup_credentials()

    @classmethod
    def tearDownClass(cls):
        # tempest's setUpClass calls it on a failure: the lock may be held.
        service_control.hold_cloud_for_class()
        try:
            super().tearDownClass()
        finally:
            service_control.release_cloud_for_class()

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.servers_client = cls.os_primary.servers_client
        cls.admin_servers_client = cls.os_admin.servers_client
        cls.admin_flavors_client = cls.os_admin.flavors_client
        cls.admin_services_client = cls.os_admin.services_client
        cls.admin_aggregates_client = cls.os_admin.aggregates_client
        cls.server_migrations_client = (
            cls.os_admin.tracker_compute.ServerMigrationsClient())
        cls.compute_services_client = (
            cls.os_admin.tracker_compute.ComputeServicesClient())
        cls.allocations_client = (
            cls.os_admin.tracker_placement.AllocationsClient())
        cls.inventories_client = (
            cls.os_admin.tracker_placement.InventoriesClient())
        cls.reader = tempest_reader.TempestReader.for_manager(cls.os_admin)

    @classmethod
    def admin_servers_client_at(cls, catalog_type):
        """An admin servers client of the compute API registered as
        ``catalog_type`` (empty: [compute] catalog_type). A cloud may turn
        an API-wide option on for a second nova-api only.
        """
        return cls.os_admin.compute.ServersClient(
            service=catalog_type or CONF.compute.catalog_type)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.flavor = cls.load_flavor(
            CONF.tracker.flavor_ref or CONF.compute.flavor_ref,
            '[tracker] flavor_ref')
        cls.resize_flavor = cls.load_flavor(
            CONF.tracker.resize_flavor_ref or CONF.compute.flavor_ref_alt,
            '[tracker] resize_flavor_ref')

    @classmethod
    def load_flavor(cls, flavor_id, option):
        """The flavor with its extra specs; skip when ``option`` is unset."""
        if not flavor_id:
            raise cls.skipException('%s (or its [compute] default) is not '
                                    'set' % option)
        body = cls.admin_flavors_client.show_flavor(flavor_id)['flavor']
        body.setdefault('extra_specs', cls.admin_flavors_client.
                        list_flavor_extra_specs(flavor_id)['extra_specs'])
        return body

    def setUp(self):
        super().setUp()
        self.useFixture(api_microversion_fixture.APIMicroversionFixture(
            compute_microversion=self.compute_microversion))
        self.poller = waiters.Poller(CONF.compute.build_timeout,
                                     CONF.tracker.poll_interval)
        self.own_servers = []
        self.own_consumers = set()
        self.hold_cloud()
        self.record_baseline()

    def free_disk_gb(self, host):
        """DISK_GB that Placement can still allocate on ``host``.

        Exact on a host of the strict or fault zones that this test
        locked: no other test's server reaches it meanwhile.
        """
        provider = self.provider_of(host)
        inventory = snapshot.read_inventories(self.reader,
                                              provider)['DISK_GB']
        used = sum(a.resources.get('DISK_GB', 0) for a in
                   snapshot.read_provider_allocations(
                       self.reader, provider).values())
        return inventory.capacity - used

    def create_flavor(self, ram, vcpus, disk, extra_specs=None, **kwargs):
        """A private flavor for this test, deleted at cleanup.

        ``extra_specs``: those of the flavor it stands in for, say, so
        that it reaches the same hosts (a required trait).
        """
        body = self.admin_flavors_client.create_flavor(
            name=data_utils.rand_name(prefix=CONF.resource_name_prefix,
                                      name=self.__class__.__name__),
            ram=ram, vcpus=vcpus,
            disk=disk, id=None, **kwargs)['flavor']
        self.addCleanup(self.admin_flavors_client.delete_flavor, body['id'])
        if extra_specs:
            self.admin_flavors_client.set_flavor_extra_spec(body['id'],
                                                            **extra_specs)
        body['extra_specs'] = dict(extra_specs or {})
        return body


class FaultHostsTestBase(TrackerTestBase):
    """Tests on the fault-injecting hosts named in [tracker].

    Only [tracker] fault_flavor_ref reaches those hosts, so no other test's
    server lands there; the tests share them through the host locks.
    """

    #: [tracker] options naming the hosts a test class needs.
    required_hosts = ()

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        cls.skip_unless_set('fault_flavor_ref', *cls.required_hosts)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.fault_flavor = cls.load_flavor(CONF.tracker.fault_flavor_ref,
                                           '[tracker] fault_flavor_ref')

    def setUp(self):
        super().setUp()
        self.lock_hosts(*(getattr(CONF.tracker, option)
                          for option in self.required_hosts))

    def boot(self, host=None, wait_until='ACTIVE', forced_host=None):
        return self.create_server(flavor=self.fault_flavor, host=host,
                                  wait_until=wait_until,
                                  forced_host=forced_host)


class StrictHostsTestBase(TrackerTestBase):
    """Tests on the strict computes named in [tracker] strict_hosts.

    Their periodic resource update never runs (as in Nova's functional
    tests): a leak that only that periodic task would later repair stays
    visible. Only [tracker] strict_flavor_ref and strict_resize_flavor_ref
    reach them; a test locks both for its lifetime.

    Without that task their hypervisor figures drift after some moves
    (a server that arrived by a move is never subtracted when deleted):
    after each test, once its servers and known leaks are gone, a strict
    compute whose figures disagree with Placement is restarted, which
    recomputes them, so that the next test starts from agreement.
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        cls.skip_unless_set('strict_flavor_ref', 'strict_resize_flavor_ref')
        if len(CONF.tracker.strict_hosts) < 2:
            raise cls.skipException('[tracker] strict_hosts names %d '
                                    'hosts, 2 are needed'
                                    % len(CONF.tracker.strict_hosts))

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.strict_flavor = cls.load_flavor(CONF.tracker.strict_flavor_ref,
                                            '[tracker] strict_flavor_ref')
        cls.strict_resize_flavor = cls.load_flavor(
            CONF.tracker.strict_resize_flavor_ref,
            '[tracker] strict_resize_flavor_ref')

    def setUp(self):
        super().setUp()
        self.source, self.dest = self.lock_hosts(
            *CONF.tracker.strict_hosts[:2])
        self.addCleanup(self.restart_drifted_hosts, self.source, self.dest)

    def restart_drifted_hosts(self, *hosts):
        for host in sorted({f.host for f in self.hypervisor_findings(hosts)}):
            self.restart_compute(host)

    def boot(self, host=None, flavor=None, wait_until='ACTIVE'):
        return self.create_server(flavor=flavor or self.strict_flavor,
                                  host=host or self.source,
                                  wait_until=wait_until)


class ThrowawayComputesTestBase(TrackerTestBase):
    """Tests on computes they add for themselves and remove at cleanup
    ([tracker] compute_add_command): for what a compute does not come
    back from (its service deleted) and what happens at a compute's first
    start only (initial allocation ratios).

    Only [tracker] throwaway_flavor_ref reaches those computes; each test
    boots onto its own by name.
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        cls.skip_unless_set('compute_add_command', 'compute_remove_command',
                            'throwaway_flavor_ref')
        if not CONF.tracker_feature_enabled.service_control:
            raise cls.skipException(
                '[tracker-feature-enabled] service_control is False')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.throwaway_flavor = cls.load_flavor(
            CONF.tracker.throwaway_flavor_ref,
            '[tracker] throwaway_flavor_ref')

    def boot(self, host, zone=None):
        return self.boot_and_check_allocations(self.throwaway_flavor, host,
                                               zone)

    def setUp(self):
        super().setUp()
        self._own_zone_ids = []
        # Registered before any add_compute: it runs after every compute
        # is removed, and deleting a compute's service takes the host out
        # of its aggregates, so the zones are empty by then. Until then
        # their hosts stay isolated.
        self.addCleanup(self._delete_own_zones)

    def _delete_own_zones(self):
        # Each is tried: a host left in one (its compute could not be
        # removed) must not keep the others.
        failures = []
        for aggregate_id in self._own_zone_ids:
            try:
                self.admin_aggregates_client.delete_aggregate(aggregate_id)
            except lib_exc.ClientRestClientException as exc:
                failures.append('aggregate %s: %s' % (aggregate_id, exc))
        if failures:
            self.fail('zones of this test left behind:\n  %s'
                      % '\n  '.join(failures))

    def zone_of_their_own(self, *hosts):
        """Move these computes, added by this test, out of their zone into
        an availability zone of this test's own; returns its name. A
        server booted into it is scheduled among them alone for every
        move, away from other tests' computes. The zone is deleted once
        the computes are removed.

        No host is left outside an isolating aggregate, where another
        test's server could land: the new aggregate carries the isolating
        traits of the aggregates the hosts leave from the start, takes
        the hosts before they leave, and is named a zone last (a host is
        in one zone only).
        """
        for host in hosts:
            self.require_added_compute(host, 'moves %s to another zone')
        client = self.admin_aggregates_client
        name = data_utils.rand_name(prefix=CONF.resource_name_prefix,
                                    name='zone')
        aggregate_id = client.create_aggregate(name=name)['aggregate']['id']
        self._own_zone_ids.append(aggregate_id)
        left = [a for a in client.list_aggregates()['aggregates']
                if set(hosts) & set(a['hosts'])]
        isolation = {key: value for a in left
                     for key, value in a['metadata'].items()
                     if key.startswith('trait:')}
        if not isolation:
            self.fail('%s are in no aggregate that requires a trait '
                      '(trait:NAME=required): outside it, any server could '
                      'land on them' % ', '.join(hosts))
        client.set_metadata(aggregate_id, metadata=isolation)
        for host in hosts:
            client.add_host(aggregate_id, host=host)
        for aggregate in left:
            for host in set(hosts) & set(aggregate['hosts']):
                client.remove_host(aggregate['id'], host=host)
        client.set_metadata(aggregate_id,
                            metadata={'availability_zone': name})
        return name


class SameHostResizeTestBase(StrictHostsTestBase):
    """Resizes that can only stay on their host.

    The second strict host is disabled for the test, so that the scheduler
    has the server's own host alone to choose, and the resize goes through
    the compute API that allows a resize to the same host ([tracker]
    same_host_resize_catalog_type): a cloud may allow it there only.
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.tracker_feature_enabled.same_host_resize:
            raise cls.skipException('[tracker-feature-enabled] '
                                    'same_host_resize is False')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.same_host_servers_client = cls.admin_servers_client_at(
            CONF.tracker.same_host_resize_catalog_type)

    def setUp(self):
        super().setUp()
        self.set_compute_enabled(self.dest, False)

    def request_same_host_resize(self, server_id, flavor):
        self.same_host_servers_client.resize_server(server_id, flavor['id'])

    def resize_on_its_host(self, server_id, flavor):
        """Resize; returns (server, migration) in VERIFY_RESIZE, on the
        host the server was on.
        """
        self.request_same_host_resize(server_id, flavor)
        server = self.wait_for_server(server_id, 'VERIFY_RESIZE')
        migration = self.wait_for_migration(server_id, 'resize', 'finished')
        self.assertEqual((self.source, self.source),
                         (migration.source_compute, migration.dest_compute))
        return server, migration
