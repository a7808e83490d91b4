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
"""Soft delete: a server deleted while Nova defers deletes keeps what it
holds until it is restored, force-deleted or reclaimed.
"""

import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF

#: [DEFAULT] reclaim_instance_interval set on the compute of the reclaim
#: test: how old a soft-deleted server must be before the compute's
#: periodic task reclaims it. Long enough for the test to see what the
#: soft-deleted server holds before any reclaim may take it.
RECLAIM_AFTER_SECONDS = 30


@testtools.skipUnless(CONF.tracker_feature_enabled.soft_delete,
                      '[tracker-feature-enabled] soft_delete is False')
class SoftDeleteTest(base.StrictHostsTestBase):
    """Replays ``test_servers.py`` ``ServerSoftDeleteTests`` (no bug
    number), on a strict compute so that no periodic update can hide
    what a soft delete, a restore or a reclaim leaves in os-hypervisors.
    """

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.soft_delete_servers_client = cls.admin_servers_client_at(
            CONF.tracker.soft_delete_catalog_type)

    def soft_delete_and_check_allocations(self, server):
        """Soft delete; the server keeps its flavor on its host, which
        os-hypervisors still counts, and the audit finds nothing.
        """
        self.soft_delete_servers_client.delete_server(server.id)
        self.wait_for_server(server.id, 'SOFT_DELETED')
        self.assert_allocations(server.id, {server.host: self.strict_flavor})
        self.assert_usage_matches_flavors(server.host, self.strict_flavor)
        self.assert_hypervisor_matches_placement(server.host)
        self.assert_findings(set())

    @decorators.idempotent_id('0f6b2d9e-7c41-4a38-b5e2-91d3c8a4f760')
    def test_soft_delete_then_restore_then_force_delete(self):
        """Upstream's ``test_soft_delete_then_restore``, then a force
        delete: soft deleted and restored, the server holds its flavor on
        its host throughout; soft deleted again and force-deleted, it
        leaves nothing in Placement or os-hypervisors.
        """
        server = self.boot_and_check_allocations(self.strict_flavor,
                                                 host=self.source)
        self.soft_delete_and_check_allocations(server)

        self.admin_servers_client.restore_soft_deleted_server(server.id)
        self.wait_for_server(server.id, 'ACTIVE')
        self.assert_allocations(server.id, {self.source: self.strict_flavor})
        self.assert_hypervisor_matches_placement(self.source)

        self.soft_delete_and_check_allocations(server)
        self.admin_servers_client.force_delete_server(server.id)
        self.wait_until_gone(server.id)
        self.assert_no_allocations(server.id)
        self.assert_no_usage_change(self.source)
        self.assert_hypervisor_matches_placement(self.source)
        self.assert_findings(set())

    @decorators.attr(type='slow')
    @decorators.idempotent_id('6a93e1c4-2d57-4b0f-8e1a-c7f5d2b9a318')
    def test_soft_delete_then_reclaim(self):
        """Upstream's ``test_soft_delete_then_reclaim``: the compute
        reclaims soft-deleted servers ([DEFAULT] reclaim_instance_interval
        set on it and a restart); the soft-deleted server holds its flavor
        until its compute's periodic task reclaims it, then nothing is
        left in Placement or os-hypervisors.
        """
        if not CONF.tracker.compute_config_command:
            raise self.skipException(
                '[tracker] compute_config_command is not set')
        self.set_compute_option(self.source, 'reclaim_instance_interval',
                                RECLAIM_AFTER_SECONDS)
        server = self.boot_and_check_allocations(self.strict_flavor,
                                                 host=self.source)
        self.soft_delete_and_check_allocations(server)
        # The reclaim task runs once a minute: the server goes within
        # [compute] build_timeout.
        self.wait_until_gone(server.id)
        self.assert_no_allocations(server.id)
        self.assert_no_usage_change(self.source)
        self.assert_hypervisor_matches_placement(self.source)
        self.assert_findings(set())
