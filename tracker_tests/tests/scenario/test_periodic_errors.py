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
"""Error paths that log and continue: the periodic resource update fails
for a while, then works again; nothing may be left wrong afterwards.

nova-compute's update_available_resource logs "Error updating resources
for node" and carries on (ComputeManager.
_update_available_resource_for_node): a failing run must not leave a
leak or wrong hypervisor figures once the runs succeed again.
"""

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF

#: Periodic runs that fail before the compute recovers.
FAILED_RUNS = 3


class PeriodicUpdateFailsTest(base.TrackerTestBase):

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        cls.skip_unless_set('compute_fault_command',
                            'compute_fault_show_command')

    @decorators.idempotent_id('c415f240-2734-45bc-8d1e-5d6e7f809116')
    def test_provider_tree_update_fails_then_recovers(self):
        """update_provider_tree raises in three periodic runs of a compute
        holding a server, then stops raising: the server keeps exactly its
        flavor there and the host's figures agree with Placement.
        """
        host, = self.pick_hosts(1)
        server = self.create_server(host=host)
        # Only this host's own periodic task may take the fault.
        self.take_host(host)
        self.inject_fault(host, 'update_provider_tree', 'raise',
                          count=FAILED_RUNS)
        self.wait_until_fault_taken(host)
        self.assert_allocations(server.id, {host: self.flavor})
        self.assert_usage_matches_flavors(host, self.flavor)
        self.assert_findings(set())
        self.assert_hypervisor_matches_placement(host)
        self.delete_and_check_allocations(server.id, [host])


class PlacementReportFailsTest(base.TrackerTestBase):

    # It sets a Placement fault, which every test's requests pass through.
    disturbs_shared_services = True

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        cls.skip_unless_set('placement_fault_command',
                            'placement_fault_show_command')

    @decorators.idempotent_id('d5260351-3845-46cd-9e2f-6e7f8091a217')
    def test_placement_fails_the_periodic_reads_then_recovers(self):
        """Placement answers 503 to three of a compute's periodic reads of
        its provider's allocations (which its clean-up of deleted servers'
        allocations makes), then serves them again: the server, deleted
        once the three reads failed, leaves nothing, and the host's figures
        agree with Placement.
        """
        host, = self.pick_hosts(1)
        server = self.create_server(host=host)
        self.take_host(host)
        provider = self.provider_of(host)
        self.inject_placement_fault(
            'GET', '^/resource_providers/%s/allocations$' % provider, 503,
            count=FAILED_RUNS)
        self.wait_until_placement_fault_taken()
        self.delete_and_check_allocations(server.id, [host])
        self.assert_findings(set())
