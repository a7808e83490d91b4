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
"""Deleting a compute service: what Nova deletes with it.

Nova's wsgi/test_services.py TestServicesAPI, replayed. Deleting a
compute's service is for good (its compute node, resource provider, host
mapping and aggregate membership go with it), so each test adds computes
of its own ([tracker] compute_add_command) and removes them at cleanup.
A compute is stopped before its service is deleted, as an operator does:
a running one would make its compute node again on its next periodic
resource update (upstream's computes run no periodic task).
"""

import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

FEATURES = config.CONF.tracker_feature_enabled


class ComputeServiceDeleteTest(base.ThrowawayComputesTestBase):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('c3e1f0a2-6b7d-4e59-9a1c-2f8d4b6e0a71')
    def test_service_hosting_a_server_is_deleted_once_the_server_is(self):
        """wsgi/test_services.py TestServicesAPI.
        test_compute_service_delete_ensure_related_cleanup (no bug: the
        promise itself): the service of a stopped compute that hosts a
        server is not deleted (409); once the server is deleted, deleting
        the service deletes the compute's hypervisor, its resource
        provider and its aggregate membership.
        """
        host = self.add_compute()
        provider = self.provider_of(host)
        # Else the emptiness after the deletion proves nothing.
        self.assertNotEqual([], self.aggregates_of(host),
                            '%s is in no aggregate once added' % host)
        server = self.boot(host)
        self.stop_compute(host, forced_down=True, start_at_cleanup=False)
        self.assert_service_delete_refused(host, 'hosting instances')
        self.assert_allocations(server.id, {host: self.throwaway_flavor})
        self.delete_server(server.id)
        self.assert_no_allocations(server.id)
        self.delete_compute_service(host)
        self.assert_compute_deleted(host, provider)

    @testtools.skipUnless(FEATURES.evacuate,
                          '[tracker-feature-enabled] evacuate is False')
    @decorators.attr(type='slow')
    @decorators.idempotent_id('5a9d2c47-0e8b-4f13-b6a2-7c1e9d3f5b80')
    def test_evacuate_then_delete_the_source_service(self):
        """Bugs 1829479, 1817833 (wsgi/test_services.py TestServicesAPI.
        test_evacuate_then_delete_compute_service): a server evacuated
        from a stopped compute keeps its allocation there (the source
        cleans it up when it starts again); the source never starts and
        its service is deleted instead.

        Fixed: the deletion removes the server's allocation on the source
        with the provider (SchedulerReportClient.
        _remove_allocations_for_evacuated_instances); the server holds its
        flavor on the destination only. Upstream then restarts the source,
        which refuses to start because its hypervisor still has the guest:
        the fault driver keeps guests in the compute process's memory, so
        a restarted compute has none, and that part is not replayed.
        """
        source, dest = self.add_compute(), self.add_compute()
        flavor = self.throwaway_flavor
        server = self.boot(source)
        source_provider = self.provider_of(source)
        self.stop_compute(source, forced_down=True, start_at_cleanup=False)
        server, _ = self.evacuate_server(server.id, host=dest)
        self.assertEqual(dest, server.host)
        self.assert_allocations(server.id, {source: flavor, dest: flavor})
        self.delete_compute_service(source)
        self.assert_compute_deleted(source, source_provider)
        self.assert_allocations(server.id, {dest: flavor})
        self.assert_usage_matches_flavors(dest, flavor)
        self.assert_hypervisor_matches_placement(dest)

    @testtools.skipUnless(FEATURES.cold_migration,
                          '[tracker-feature-enabled] cold_migration is False')
    @decorators.attr(type='slow')
    @decorators.idempotent_id('e8b4f6d1-3a2c-4d7e-8f90-1b5c6a7d2e43')
    def test_source_service_deleted_once_the_migration_is_confirmed(self):
        """Bug 1852610 (wsgi/test_services.py TestServicesAPI.
        test_migrate_confirm_after_deleted_source_compute), to its end:
        deleting the source's service while a cold migration rests in
        VERIFY_RESIZE is refused (409, "in-progress migrations") and
        changes nothing; once the migration is confirmed, the deletion
        goes through and takes the source's provider, while the server
        keeps its flavor on the destination.
        """
        source, dest = self.add_compute(), self.add_compute()
        flavor = self.throwaway_flavor
        server = self.boot(source)
        source_provider = self.provider_of(source)
        server, migration = self.cold_migrate_server(server.id, dest)
        self.assert_service_delete_refused(source, 'in-progress migrations')
        self.assert_migration_allocations(migration.uuid, {source: flavor})
        self.assert_allocations(server.id, {dest: flavor})
        self.confirm_resize(server.id, migration)
        self.assert_no_allocations(migration.uuid)
        self.stop_compute(source, start_at_cleanup=False)
        self.delete_compute_service(source)
        self.assert_compute_deleted(source, source_provider)
        self.assert_allocations(server.id, {dest: flavor})
        self.assert_usage_matches_flavors(dest, flavor)
        self.assert_hypervisor_matches_placement(dest)
