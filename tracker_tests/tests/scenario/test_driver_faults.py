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
"""Moves interrupted at a known point by the programmable fault driver.

The driver of the regular computes sleeps in a chosen method for the
test's own server only ([tracker] compute_fault_command), so that the test
acts (kills the compute, deletes the server) while Nova is in that method:
the interruption lands at the same point every run. Each docstring names
the point, the end state on nova 34.0.0, and for a leak Nova still has the
upstream bug.
"""

import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF

#: Longer than any test: the interrupted call never returns by itself.
FOREVER = 600


@testtools.skipUnless(CONF.tracker_feature_enabled.service_control,
                      '[tracker-feature-enabled] service_control is False')
class ComputeKilledDuringColdMigrationTest(base.TrackerTestBase):

    required_computes = 2

    @decorators.attr(type='slow')
    @decorators.idempotent_id('49607cda-dfe2-43f4-9a8b-9cadbecfd0ea')
    def test_compute_killed_during_cold_migration(self):
        """Bug 1836369 (open; nova/tests/functional/compute/
        test_init_host.py test_migrate_disk_and_power_off_crash_finish_
        revert_migration): the source compute is killed (SIGKILL) while
        migrate_disk_and_power_off runs, then started again.

        Nova 34: the restarted source resets the server to ACTIVE on the
        source but leaves its migration 'migrating', the migration's uuid
        holding the flavor on the source and the server's uuid holding it
        on the destination; once the server is deleted the migration's
        allocation stays on the source for good.
        """
        source, dest = self.pick_hosts(2)
        server = self.create_server(host=source)
        self.take_host(source)
        self.inject_fault(source, 'migrate_disk_and_power_off', 'sleep',
                          seconds=FOREVER, server_id=server.id)
        self.admin_servers_client.migrate_server(server.id, host=dest)
        self.wait_for_server(server.id, 'RESIZE',
                             task_state='resize_migrating')
        migration = self.wait_for_migration(server.id, 'migration',
                                            'migrating')
        self.remove_allocations_at_cleanup(migration.uuid)
        self.kill_compute(source)
        self.restore_compute(source)

        server = self.wait_for_server(server.id, 'ACTIVE')
        self.assertEqual(source, server.host)
        self.assert_known_leak('1836369', {
            server.id: {dest: self.flavor},
            migration.uuid: {source: self.flavor}})
        self.assertEqual('migrating', self.newest_migration(
            server.id, 'migration').status)
        self.assert_findings({
            ('stale_migration_allocation', migration.uuid, source),
            ('wrong_provider', server.id, dest),
            # The destination does not count a server that is not moving
            # to it; Placement does.
            ('usage_mismatch', None, dest)})

        self.delete_server(server.id)
        self.assert_known_leak('1836369', {
            server.id: {}, migration.uuid: {source: self.flavor}})
        self.assert_findings({
            ('orphan_allocation', migration.uuid, source),
            ('usage_mismatch', None, source)})


class DeleteDuringResizeTest(base.StrictHostsTestBase):
    """The server is deleted while its cold migration is held in a
    driver call, on the strict computes: the leaks below are of deleted
    servers, which Nova's periodic resource update would later remove on
    an ordinary compute.

    Each test holds the move in one driver call for this server only,
    deletes the server there (neither call takes the instance's lock, so
    the delete completes meanwhile), lets the call go on, waits until it
    ended, and asserts what the delete left.
    """

    def start_held_migration(self, held_host, method):
        server = self.boot()
        self.hold_call(held_host, method, server.id)
        self.admin_servers_client.migrate_server(server.id, host=self.dest)
        return server

    def delete_and_wait(self, held_host, server, migration, event):
        self.remove_allocations_at_cleanup(server.id, migration.uuid)
        self.wait_until_held(held_host)
        self.delete_server(server.id)
        self.release_call(held_host)
        self.wait_for_event_finished(server.id, event)

    @decorators.idempotent_id('163d49a7-acbf-40c1-8d5e-6f7a8b9cadb7')
    def test_delete_while_source_migrates_disk(self):
        """Bug 1848343 (open; nova/tests/functional/regressions/
        test_bug_1848343.py, there with the server deleted at prep_resize):
        delete while the source compute runs migrate_disk_and_power_off
        (migration 'migrating').

        Nova 34: when the call goes on, resize_instance fails on the
        deleted server and its rollback (ComputeManager._revert_allocation)
        moves the source allocation held by the migration back to the
        server's uuid: the deleted server keeps its flavor on the source.
        """
        server = self.start_held_migration(self.source,
                                           'migrate_disk_and_power_off')
        self.wait_for_server(server.id, 'RESIZE',
                             task_state='resize_migrating')
        migration = self.wait_for_migration(server.id, 'migration',
                                            'migrating')
        self.delete_and_wait(self.source, server, migration,
                             'compute_resize_instance')
        self.assert_known_leak('1848343', {
            server.id: {self.source: self.strict_flavor},
            migration.uuid: {}})
        self.assert_no_usage_change(self.dest)

    @decorators.idempotent_id('0b8f7c3e-6d7c-4a0e-9f5b-2e1d3c4b5a69')
    def test_delete_while_destination_finishes(self):
        """Delete while the destination compute runs finish_migration
        (migration 'post-migrating'): the server and the migration hold
        nothing on either host.
        """
        server = self.start_held_migration(self.dest, 'finish_migration')
        self.wait_for_server(server.id, 'RESIZE', task_state='resize_finish')
        migration = self.wait_for_migration(server.id, 'migration',
                                            'post-migrating')
        self.delete_and_wait(self.dest, server, migration,
                             'compute_finish_resize')
        self.assert_no_allocations(server.id, migration.uuid)
        self.assert_no_usage_change(self.source, self.dest)
