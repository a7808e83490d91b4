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
import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF


@testtools.skipUnless(CONF.tracker_feature_enabled.evacuate,
                      '[tracker-feature-enabled] evacuate is False')
class EvacuateTest(base.TrackerTestBase):
    """Evacuate from a stopped, forced-down compute.

    While the source is down the server holds its flavor on both hosts;
    once the source restarts it frees its side and only the destination
    holds the flavor.
    """

    required_computes = 2

    @decorators.attr(type='slow')
    @decorators.idempotent_id('8f3b49db-2a4c-4e6d-8f7a-8b9c0d1e2f37')
    def test_evacuate(self):
        source, dest = self.pick_hosts(2)
        server = self.create_server(host=source)
        self.take_host(source)

        self.stop_compute(source, forced_down=True)
        server, migration = self.evacuate_server(server.id, host=dest)
        self.assertEqual(dest, server.host)

        self.assert_allocations(server.id, {source: self.flavor,
                                            dest: self.flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_matches_flavors(dest, self.flavor)
        # The source is down: its figures are frozen, only dest compares.
        self.assert_hypervisor_matches_placement(dest)

        self.restore_compute(source)
        self.wait_for_migration(server.id, 'evacuation', 'completed')

        self.assert_allocations(server.id, {dest: self.flavor})
        self.assert_usage_delta(source, {})
        self.assert_usage_matches_flavors(dest, self.flavor)
        self.assert_hypervisor_matches_placement(source, dest)


@testtools.skipUnless(CONF.tracker_feature_enabled.evacuate,
                      '[tracker-feature-enabled] evacuate is False')
class EvacuateWithoutTargetTest(base.FaultHostsTestBase):
    """Evacuate when no other host can take the server.

    It disables every other host of the source's zone, so it runs on the
    isolated fault-injecting hosts, where no other test's server lands.
    """

    required_hosts = ('fault_healthy_host',)

    @decorators.attr(type='slow')
    @decorators.idempotent_id('385f6bc9-ced1-42e3-8f7a-8b9cadbecfd9')
    def test_evacuate_without_target(self):
        """The migration ends in error, the allocation stays on the source
        only, and nothing leaks after the source restarts and the server
        is deleted.
        """
        host = CONF.tracker.fault_healthy_host
        zone = self.lock_hosts(*self.zone_hosts(host))
        server = self.boot(host=host)
        for other in zone:
            if other != host:
                self.set_compute_enabled(other, False)
        self.stop_compute(host, forced_down=True)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.evacuate_server(server.id),
            server.id, 'evacuation')
        self.assertEqual(host, self.show_server(server.id).host)
        self.assert_allocations(server.id, {host: self.fault_flavor})
        if migration:
            self.assert_no_allocations(migration.uuid)
        self.restore_compute(host)
        self.assert_allocations(server.id, {host: self.fault_flavor})
        self.delete_and_check_allocations(server.id, [host])
