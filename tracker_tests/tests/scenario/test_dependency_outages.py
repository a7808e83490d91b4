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
"""A service every test shares goes away in the middle of an operation.

The operation is held in a driver call of the strict computes (for the
test's own server), the service is stopped, killed or frozen ([tracker]
service_command) while it waits, the call is released, and the service is
brought back once the operation ended (or, for the message bus and the
database, before the call goes on). What Nova left is asserted, then
removed, so that the cloud is as it was. These tests run alone: nothing
else may use the cloud while Placement or the message bus is away.

Every update of a compute's resource tracker reads its provider's
allocations from Placement, so the calls that fail are the same every run.
"""

import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF

#: Where Nova swallows a failed deletion of a migration's allocation.
SWALLOWED = '(none: report.py safe_connect in _delete_allocation_after_move)'
#: Where a failed revert leaves the migration's allocation behind.
REVERT_ERRORED = '(none: ComputeManager.revert_resize errors out)'


#: How long Placement holds the scheduler's claim: time to kill the
#: conductor that waits for the scheduler's answer.
CLAIM_DELAY_SECONDS = 20


class _OutageTest(base.StrictHostsTestBase):

    disturbs_shared_services = True

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        cls.skip_unless_set('service_command', 'compute_fault_command')

    def take_service_away_during(self, host, method, server_id, act,
                                 service, action='stop'):
        """Hold the driver ``method`` on ``host`` for the server, ``act``
        (the request that reaches it), and once the call is held take
        ``service`` away. The caller releases the call (release_call),
        before or after bringing the service back.
        """
        self.hold_call(host, method, server_id)
        act(server_id)
        self.wait_until_held(host)
        self.take_service_away(service, action)

    def migrated_to_verify_resize(self):
        """A server cold migrated from the source to the destination,
        resting in VERIFY_RESIZE.
        """
        server = self.boot()
        server, migration = self.cold_migrate_server(server.id, self.dest)
        self.assertEqual(self.dest, server.host)
        return server, migration


class PlacementStoppedTest(_OutageTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('5b0e8f04-8f5e-4d0e-9a55-7c1d2e3f4a01')
    def test_placement_stopped_during_confirm(self):
        """Placement stops while the source compute confirms a cold
        migration (held in confirm_migration).

        Nova 34: the source's resource tracker cannot reach Placement when
        it drops the old claim, the confirm fails ("Confirm resize failed
        on source host") and the server goes to ERROR on the destination
        with its migration in error; the deletion of the migration's
        allocation, attempted regardless, fails too and is swallowed (no
        upstream bug: nova/scheduler/client/report.py safe_connect around
        delete_allocation_for_instance, called by ComputeManager.
        _delete_allocation_after_move). The migration's uuid keeps the
        flavor on the source for good.
        """
        server, migration = self.migrated_to_verify_resize()
        self.remove_allocations_at_cleanup(migration.uuid)
        self.take_service_away_during(
            self.source, 'confirm_migration', server.id,
            self.admin_servers_client.confirm_resize_server, 'placement')
        self.release_call(self.source)
        server = self.wait_for_server(server.id, ('ACTIVE', 'ERROR'))
        self.bring_services_back()

        self.assertEqual(('ERROR', self.dest),
                         (server.status, server.host))
        self.assertEqual('error', self.newest_migration(
            server.id, 'migration').status)
        self.assert_known_leak(SWALLOWED, {
            server.id: {self.dest: self.strict_flavor},
            migration.uuid: {self.source: self.strict_flavor}})
        self.assert_findings({
            ('stale_migration_allocation', migration.uuid, self.source)})
        self.delete_server(server.id)
        self.assert_known_leak(SWALLOWED, {
            server.id: {}, migration.uuid: {self.source: self.strict_flavor}})

    @decorators.attr(type='slow')
    @decorators.idempotent_id('7d3a6c21-0c4b-4f7e-8d35-1b2c3d4e5f02')
    def test_placement_stopped_during_revert(self):
        """Placement stops while a cold migration is reverted (the
        destination held in destroy).

        Nova 34: the destination's resource tracker cannot reach
        Placement when it drops the new claim: the revert fails on the
        destination, the server goes to ERROR there, and the source never
        moves the migration's allocation back (no upstream bug:
        ComputeManager.revert_resize errors out before it casts
        finish_revert_resize). The migration's uuid keeps the flavor on
        the source for good; the server's stays on the destination until
        it is deleted.
        """
        server, migration = self.migrated_to_verify_resize()
        self.remove_allocations_at_cleanup(migration.uuid)
        self.take_service_away_during(
            self.dest, 'destroy', server.id,
            self.admin_servers_client.revert_resize_server, 'placement')
        self.release_call(self.dest)
        server = self.wait_for_server(server.id, ('ACTIVE', 'ERROR'))
        self.bring_services_back()

        self.assertEqual(('ERROR', self.dest),
                         (server.status, server.host))
        self.assertEqual('error', self.newest_migration(
            server.id, 'migration').status)
        self.assert_known_leak(REVERT_ERRORED, {
            server.id: {self.dest: self.strict_flavor},
            migration.uuid: {self.source: self.strict_flavor}})
        self.delete_server(server.id)
        self.assert_known_leak(REVERT_ERRORED, {
            server.id: {}, migration.uuid: {self.source: self.strict_flavor}})

    @decorators.attr(type='slow')
    @decorators.idempotent_id('9c4e2b13-5a6d-4e8f-b0a1-2c3d4e5f6a03')
    def test_placement_stopped_during_delete(self):
        """Placement stops while the server's compute deletes it (held
        in destroy).

        Nova 34: the compute's resource tracker cannot reach Placement to
        finish the delete: the server goes to ERROR, still on its host and
        still holding its flavor there (consistent, nothing leaked).
        Deleted again once Placement is back, it leaves nothing in
        Placement, but os-hypervisors keeps counting it: the failed delete
        had taken the server out of the tracker's usage in memory but
        never saved it (ResourceTracker._update calls Placement before it
        saves the compute node), and the second delete finds nothing to
        subtract. Only the periodic resource update, which does not run
        on a strict compute, recounts it.
        """
        server = self.boot()
        self.take_service_away_during(
            self.source, 'destroy', server.id,
            self.admin_servers_client.delete_server, 'placement')
        self.release_call(self.source)
        server = self.wait_for_server(server.id, 'ERROR')
        self.bring_services_back()

        self.assertEqual(self.source, server.host)
        self.assert_allocations(server.id, {self.source: self.strict_flavor})
        self.delete_server(server.id)
        self.assert_no_allocations(server.id)
        self.assert_no_usage_change(self.source)
        self.assert_findings({('usage_mismatch', None, self.source),
                              ('running_vms_mismatch', None, self.source)})

    @decorators.attr(type='slow')
    @decorators.idempotent_id('0e5f3c24-6b7e-4f90-a1b2-3d4e5f6a7b04')
    def test_placement_stopped_during_boot(self):
        """Boot while Placement is stopped: the scheduler cannot ask it
        for candidates, the server ends in ERROR without a host and holds
        nothing once Placement is back.
        """
        self.take_service_away('placement')
        server = self.boot(wait_until='ERROR')
        self.bring_services_back()
        self.assertIsNone(server.host)
        self.assert_no_allocations(server.id)
        self.delete_and_check_allocations(server.id,
                                          [self.source, self.dest])


class PlacementFrozenTest(_OutageTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('1f6a4d35-7c8f-4a01-b2c3-4e5f6a7b8c05')
    def test_placement_frozen_during_live_migration_cleanup(self):
        """Placement freezes (SIGSTOP: connections accepted, no answer)
        while the source cleans up after a live migration (held in
        post_live_migration), and thaws a while later.

        The server is ACTIVE on the destination while the source's
        clean-up waits for the frozen Placement (the migration stays
        'running'); once Placement thaws the clean-up goes through: the
        migration 'completed', and only the server holds its flavor, on
        the destination.
        """
        server = self.boot()
        self.take_service_away_during(
            self.source, 'post_live_migration', server.id,
            lambda server_id: self.admin_servers_client.live_migrate_server(
                server_id, host=self.dest, block_migration='auto'),
            'placement', 'freeze')
        migration = self.newest_migration(server.id, 'live-migration')
        self.release_call(self.source)
        # Past the held call: the destination took the server over, the
        # source's clean-up waits on Placement.
        self.wait_for_server(server.id, 'ACTIVE',
                             also=lambda s: s.host == self.dest)
        self.assertEqual('running', self.newest_migration(
            server.id, 'live-migration').status)
        self.bring_services_back()

        self.wait_for_migration(server.id, 'live-migration', 'completed')
        server = self.wait_for_server(server.id, 'ACTIVE')
        self.assertEqual(self.dest, server.host)
        self.assert_allocations(server.id, {self.dest: self.strict_flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_no_usage_change(self.source)


class ConductorFrozenTest(_OutageTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('2a7b5e46-8d9a-4b12-83d4-5f6a7b8c9d06')
    def test_conductor_frozen_mid_build_then_deleted(self):
        """nova-conductor freezes before it hands a new server to the
        scheduler; the server is deleted while it waits (Nova deletes the
        build request), and the conductor thaws.

        The conductor then finds the build request gone and drops what
        it claimed: nothing is left anywhere.
        """
        self.take_service_away('nova-conductor', 'freeze')
        server = self.boot(wait_until=None)
        self.delete_server(server.id)
        self.bring_services_back()
        self.assert_no_allocations(server.id)
        self.assert_no_usage_change(self.source, self.dest)
        self.assert_hypervisor_matches_placement(self.source, self.dest)


class ConductorKilledDuringTheClaimTest(_OutageTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('e5a2c8f1-6b3d-4e79-a0c4-1d7f9b2e6a38')
    def test_conductor_killed_while_the_scheduler_claims(self):
        """Bug 1859496 (test_servers.py ServerDeleteBuildTests.
        test_delete_stuck_build_instance_after_claim): nova-conductor dies
        while the scheduler claims a new server's resources, so the server
        is never created in its cell: a build request holding a claim. With
        the bug its delete left the claim behind.

        Here Placement holds the scheduler's claim (PUT /allocations/) a
        few seconds while nova-conductor is killed, then serves it (where
        upstream makes the scheduler raise after its claim); the conductor
        starts again. As upstream asserts: once the server is deleted it
        holds nothing. Beyond upstream: the server stays in BUILD, holding
        its flavor on its host, until then; the host is as it was after.
        """
        self.delay_placement_requests('PUT', '^/allocations/',
                                      CLAIM_DELAY_SECONDS)
        server = self.boot(wait_until=None)
        # Should the delete leave the claim (the bug), nothing else would
        # remove it: the next test on the host would find it.
        self.remove_allocations_at_cleanup(server.id)
        self.wait_until_placement_fault_taken()
        self.take_service_away('nova-conductor', 'kill')
        self.assert_allocations(server.id, {self.source: self.strict_flavor})
        self.bring_services_back()
        # The restarted conductor never learns of the build it was given.
        server = self.show_server(server.id)
        self.assertEqual(('BUILD', None), (server.status, server.host))
        self.assert_allocations(server.id, {self.source: self.strict_flavor})
        self.delete_server(server.id)
        self.assert_no_allocations(server.id)
        self.assert_no_usage_change(self.source, self.dest)
        self.assert_hypervisor_matches_placement(self.source, self.dest)
        self.assert_findings(set())


class SchedulerFrozenTest(_OutageTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('3b8c6f57-9eab-4c23-94e5-6a7b8c9d0e07')
    def test_scheduler_frozen_while_migration_waits_then_deleted(self):
        """Bug 1848343 (open; nova/tests/functional/regressions/
        test_bug_1848343.py test_migration_task_rollback): a cold
        migration waits for a frozen nova-scheduler, the server is deleted
        meanwhile, the scheduler thaws and finds no host (the only other
        host is disabled), and the conductor rolls the migration back.

        Nova 34: the rollback moves the source allocation held by the
        migration back to the deleted server's uuid, which keeps the
        flavor on the source. Nova's periodic resource update would remove
        it later; on a strict compute it never runs.
        """
        self.delete_while_the_scheduler_is_frozen(
            self.admin_servers_client.migrate_server, 'migration',
            ('pre-migrating',))

    @testtools.skipUnless(CONF.tracker_feature_enabled.live_migration,
                          '[tracker-feature-enabled] live_migration is '
                          'False')
    @decorators.attr(type='slow')
    @decorators.idempotent_id('8d1f4b62-0c7e-4a95-b3d8-2e6a9c5f1b74')
    def test_scheduler_frozen_while_live_migration_waits_then_deleted(self):
        """Bug 1848343, the live-migration variant (test_bug_1848343.py
        test_live_migration_task_rollback): as the cold migration above,
        with a live migration to no named host, which the conductor's
        LiveMigrationTask rolls back after the scheduler finds no host.

        Nova 34 (upstream's FIXME): the deleted server's uuid keeps the
        flavor on the source; the migration's uuid holds nothing.
        """
        self.delete_while_the_scheduler_is_frozen(
            lambda server_id: self.admin_servers_client.live_migrate_server(
                server_id, host=None, block_migration='auto'),
            'live-migration', ('accepted', 'preparing'))

    def delete_while_the_scheduler_is_frozen(self, move, migration_type,
                                             waiting_statuses):
        """``move`` a server (the only other host disabled) while
        nova-scheduler is frozen; once the conductor has handed the source
        allocation to the migration and waits for the scheduler, delete the
        server, then thaw the scheduler, which finds no host. Asserts bug
        1848343's leak.
        """
        server = self.boot()
        self.set_compute_enabled(self.dest, False)
        self.take_service_away('nova-scheduler', 'freeze')
        move(server.id)
        migration = self.wait_for_migration(server.id, migration_type,
                                            waiting_statuses)
        self.assert_migration_allocations(
            migration.uuid, {self.source: self.strict_flavor})
        self.delete_server(server.id)
        self.bring_services_back()

        self.remove_allocations_at_cleanup(server.id, migration.uuid)
        self.assert_known_leak('1848343', {
            server.id: {self.source: self.strict_flavor},
            migration.uuid: {}})


class MessageBusRestartedTest(_OutageTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('4c9d7a68-afbc-4d34-a5f6-7b8c9d0e1f08')
    def test_message_bus_restarted_during_cold_migration(self):
        """The message bus is stopped and started while the source
        compute migrates the disk (the call held until every compute is
        back on the bus, then released).

        The move goes on: VERIFY_RESIZE with the server's flavor on the
        destination and the migration's on the source; confirming it
        leaves the flavor on the destination only.
        """
        server = self.boot()
        self.take_service_away_during(
            self.source, 'migrate_disk_and_power_off', server.id,
            lambda server_id: self.admin_servers_client.migrate_server(
                server_id, host=self.dest), 'message-bus')
        self.bring_services_back()
        self.release_call(self.source)

        server = self.wait_for_server(server.id, 'VERIFY_RESIZE')
        migration = self.wait_for_migration(server.id, 'migration',
                                            'finished')
        self.assert_allocations(server.id, {self.dest: self.strict_flavor})
        self.assert_migration_allocations(
            migration.uuid, {self.source: self.strict_flavor})
        self.confirm_resize(server.id, migration)
        self.assert_allocations(server.id, {self.dest: self.strict_flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_no_usage_change(self.source)


class DatabaseRestartedTest(_OutageTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('5dae8b79-b0cd-4e45-b6a7-8c9d0e1f2a09')
    def test_database_restarted_during_delete(self):
        """The database is stopped and started while the server's
        compute deletes it (held in destroy).

        The services reconnect and the delete completes: the server is
        gone and holds nothing.
        """
        server = self.boot()
        self.take_service_away_during(
            self.source, 'destroy', server.id,
            self.admin_servers_client.delete_server, 'database')
        self.bring_services_back()
        self.release_call(self.source)

        self.wait_until_gone(server.id)
        self.assert_no_allocations(server.id)
        self.assert_no_usage_change(self.source)
