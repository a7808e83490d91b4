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
"""Placement answers 409 (consumer generation conflict) at chosen calls.

Replays nova/tests/functional/test_servers.py ConsumerGenerationConflict
Test on the real cloud: the local cloud's Placement middleware answers the
next request of one method on one path ([tracker] placement_fault_command)
with Placement's own 409 body (placement.concurrent_update). Where Nova
leaks, upstream asserts the leak ("Nova leaks the allocation held by the
migration_uuid even after the instance is deleted. At least nova logs a
fat ERROR."): so do these tests, and remove it at cleanup.
"""

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF

#: The upstream test class these replay.
UPSTREAM = 'test_servers.py ConsumerGenerationConflictTest'


class ConsumerConflictTest(base.TrackerTestBase):

    required_computes = 2
    # A Placement fault meets every test's requests.
    disturbs_shared_services = True

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        cls.skip_unless_set('placement_fault_command',
                            'compute_fault_command')

    def in_verify_resize(self):
        self.source, self.dest = self.pick_hosts(2)
        server = self.create_server(host=self.source)
        server, migration = self.cold_migrate_server(server.id, self.dest)
        self.remove_allocations_at_cleanup(migration.uuid)
        return server, migration

    def conflict_on(self, method, path):
        self.inject_placement_fault(method, path, 409)

    @decorators.idempotent_id('a2f3d03e-0512-49aa-9bfc-d1e2f3a4b530')
    def test_create_claim_conflicts(self):
        """test_create_server_fails_as_placement_reports_consumer_conflict:
        the scheduler's claim for a new server gets 409. The server ends
        in ERROR and holds nothing.
        """
        host, = self.pick_hosts(1)
        self.conflict_on('PUT', '^/allocations/[0-9a-f-]{36}$')
        server = self.create_server(host=host, wait_until='ERROR')
        self.wait_until_placement_fault_taken()
        self.assertIn('Failed to update allocations for consumer',
                      server.fault or '')
        self.assert_no_allocations(server.id)
        self.delete_and_check_allocations(server.id, [host])

    @decorators.idempotent_id('b304e14f-1623-4abb-8c0d-e2f3a4b5c631')
    def test_migrate_claim_on_destination_conflicts(self):
        """test_migrate_claim_on_dest_fails: the scheduler's claim on the
        destination gets 409. The migration errors, the server stays
        ACTIVE on its source holding its flavor there only.
        """
        self.source, self.dest = self.pick_hosts(2)
        server = self.create_server(host=self.source)
        self.conflict_on('PUT', '^/allocations/%s$' % server.id)
        self.admin_servers_client.migrate_server(server.id, host=self.dest)
        migration = self.wait_for_migration(server.id, 'migration', 'error')
        server = self.wait_for_server(server.id, 'ACTIVE')
        self.assert_move_undone(server, migration, self.source, self.dest,
                                self.flavor)
        self.assert_findings(set())

    @decorators.idempotent_id('c415f250-2734-4bcc-9d1e-f3a4b5c6d732')
    def test_confirm_deletion_of_source_allocation_conflicts(self):
        """test_confirm_migrate_delete_alloc_on_source_fails: the
        source's deletion of the migration's allocation gets 409 during
        the confirm. The server goes to ERROR on the destination and the
        migration's uuid keeps the flavor on the source, also after the
        server is deleted (a leak upstream asserts).
        """
        server, migration = self.in_verify_resize()
        self.conflict_on('PUT', '^/allocations/%s$' % migration.uuid)
        self.admin_servers_client.confirm_resize_server(server.id)
        server = self.wait_for_server(server.id, 'ERROR')
        self.assertEqual(self.dest, server.host)
        self.wait_for_migration(server.id, 'migration', 'error')
        self.assert_known_leak(UPSTREAM, {
            server.id: {self.dest: self.flavor},
            migration.uuid: {self.source: self.flavor}})
        self.delete_server(server.id)
        self.assert_known_leak(UPSTREAM, {
            server.id: {}, migration.uuid: {self.source: self.flavor}})
        self.assert_findings({
            ('orphan_allocation', migration.uuid, self.source),
            ('usage_mismatch', None, self.source)})

    @decorators.idempotent_id('d5260361-3845-4cdd-8e2f-a4b5c6d7e833')
    def test_revert_move_of_allocation_conflicts(self):
        """test_revert_migrate_delete_dest_allocation_fails_due_to_
        conflict: the source's move of the migration's allocation back to
        the server gets 409 during the revert. The server goes to ERROR on
        the source; the migration's uuid keeps the flavor on the source
        for good, the server's stays on the destination until it is
        deleted.
        """
        server, migration = self.in_verify_resize()
        self.conflict_on('POST', '^/allocations$')
        self.admin_servers_client.revert_resize_server(server.id)
        server = self.wait_for_server(server.id, 'ERROR')
        self.assertEqual(self.source, server.host)
        self.wait_for_migration(server.id, 'migration', 'error')
        self.assert_known_leak(UPSTREAM, {
            server.id: {self.dest: self.flavor},
            migration.uuid: {self.source: self.flavor}})
        self.delete_server(server.id)
        self.assert_known_leak(UPSTREAM, {
            server.id: {}, migration.uuid: {self.source: self.flavor}})

    @decorators.idempotent_id('e6371472-4956-4dee-9f30-b5c6d7e8f934')
    def test_live_migration_source_cleanup_conflicts(self):
        """test_live_migrate_drop_allocation_on_source_fails: the source's
        deletion of the migration's allocation after the guest moved gets
        409. The server goes to ERROR on the destination and the
        migration's uuid keeps the flavor on the source.
        """
        self.source, self.dest = self.pick_hosts(2)
        server = self.create_server(host=self.source)
        # Held while its migration is running, so that the fault names
        # the migration's uuid and nothing else.
        self.hold_call(self.source, 'live_migration', server.id)
        self.admin_servers_client.live_migrate_server(
            server.id, host=self.dest, block_migration='auto')
        self.wait_until_held(self.source)
        migration = self.newest_migration(server.id, 'live-migration')
        self.remove_allocations_at_cleanup(migration.uuid)
        self.conflict_on('PUT', '^/allocations/%s$' % migration.uuid)
        self.release_call(self.source)
        server = self.wait_for_server(server.id, 'ERROR')
        self.assertEqual(self.dest, server.host)
        self.assert_known_leak(UPSTREAM, {
            server.id: {self.dest: self.flavor},
            migration.uuid: {self.source: self.flavor}})
