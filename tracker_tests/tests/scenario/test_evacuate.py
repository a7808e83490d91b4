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
# It stops a compute service: no other test may use the cloud meanwhile.
@decorators.serial
class EvacuateTest(base.TrackerTestBase):
    """Evacuate from a stopped, forced-down compute.

    While the source is down the server holds its flavor on both hosts;
    once the source restarts it frees its side and only the destination
    holds the flavor.
    """

    required_computes = 2

    @decorators.idempotent_id('8f3b49db-2a4c-4e6d-8f7a-8b9c0d1e2f37')
    def test_evacuate(self):
        server = self.create_server()
        source = self.host_of(server)

        self.stop_compute(source)
        self.force_down(source)
        self.admin_servers_client.evacuate_server(server['id'])
        migration = self.wait_for_migration(server['id'], 'evacuation',
                                            'done')
        server = self.wait_for_server(server['id'], 'ACTIVE')
        dest = self.host_of(server)
        self.assertNotEqual(source, dest)

        self.assert_allocations(server['id'], {source: self.flavor,
                                               dest: self.flavor})
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(dest, self.flavor_resources(self.flavor))
        # The source is down: its figures are frozen, only dest compares.
        self.assert_hypervisor_matches_placement(dest)

        self.restore_compute(source)
        self.wait_for_migration(server['id'], 'evacuation', 'completed')

        self.assert_allocations(server['id'], {dest: self.flavor})
        self.assert_usage_delta(source, {})
        self.assert_usage_delta(dest, self.flavor_resources(self.flavor))
        self.assert_hypervisor_matches_placement(source, dest)
