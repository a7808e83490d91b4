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
"""Failures injected by compute drivers: reschedule, build abort, a failed
finish_migration, live migrations aborted or forced to complete.

The hosts come from [tracker] options; only [tracker] fault_flavor_ref
reaches them. Each test's docstring says what fails and what it expects.
"""

import testtools
from testtools import content

from tempest import config
from tempest.lib import decorators

from tracker_tests.audit import snapshot
from tracker_tests.tests import base

CONF = config.CONF

#: The [tracker] options naming every host the fault flavor reaches, the
#: reschedule host and its alternate first.
EVERY_FAULT_HOST = ('reschedule_host', 'fault_healthy_host',
                    'build_abort_host', 'finish_migration_fail_host',
                    'slow_live_migration_host')


class RescheduleTest(base.FaultHostsTestBase):
    required_hosts = ('reschedule_host', 'fault_healthy_host')

    @decorators.idempotent_id('5a718dea-e0f3-4405-8b9c-adbecfd0e1fb')
    def test_reschedule(self):
        """The preferred host fails the first spawn: the server is
        rescheduled; nothing stays on the failing host, the flavor is on
        the final one.
        """
        failing = CONF.tracker.reschedule_host
        server = self.boot()
        final = server.host
        self.assertNotEqual(failing, final)
        build_hosts = sorted(self.event_hosts(
            server.id, 'create', 'compute__do_build_and_run_instance'))
        self.assertIn(failing, build_hosts,
                      'the server was never tried on %s, so nothing was '
                      'rescheduled; builds ran on %s' % (failing,
                                                         build_hosts))
        self.assert_allocations(server.id, {final: self.fault_flavor})
        self.assert_usage_delta(failing, {})
        self.assert_usage_matches_flavors(final, self.fault_flavor)
        self.assert_hypervisor_matches_placement(failing, final)


class _RescheduledToTheAlternate:
    """A move whose claim fails on the host the scheduler selected, so
    that the conductor retries on the first alternate of the scheduler's
    host list.

    The RAM weigher orders the fault zone: the reschedule host first, the
    healthy host next; every claim fails on the reschedule host
    (fail_claims_on). The server starts on the slow live migration host.
    """

    #: None of them may carry another test's server or fault while the
    #: weighers order them.
    required_hosts = EVERY_FAULT_HOST

    def assert_rescheduled_to_the_alternate(self, server, migration, action,
                                            new_flavor):
        """As upstream asserts: VERIFY_RESIZE on the alternate with the
        new flavor there, nothing on the failed host, one migration.
        Beyond upstream: the migration holds the old flavor on the source,
        os-hypervisors agrees on all three hosts, and the confirm frees
        the source.
        """
        source = CONF.tracker.slow_live_migration_host
        selected = CONF.tracker.reschedule_host
        alternate = CONF.tracker.fault_healthy_host
        self.assertEqual(alternate, server.host)
        self.assertEqual({selected, alternate}, self.event_hosts(
            server.id, action, 'compute_prep_resize'))
        self.assertEqual(1, len(snapshot.read_migrations(
            self.reader, {'instance_uuid': server.id})))
        self.assert_allocations(server.id, {alternate: new_flavor})
        self.assert_migration_allocations(migration.uuid,
                                          {source: self.fault_flavor})
        self.assert_usage_delta(selected, {})
        self.assert_hypervisor_matches_placement(source, alternate, selected)
        self.assert_findings(set())
        self.confirm_and_check_allocations(server, migration, source,
                                           alternate, new_flavor)


@testtools.skipUnless(CONF.tracker_feature_enabled.resize,
                      '[tracker-feature-enabled] resize is False')
class ResizeRescheduledToAnAlternateTest(_RescheduledToTheAlternate,
                                         base.FaultHostsTestBase):

    @decorators.idempotent_id('b7d41e0a-3c95-4f26-8a1e-5d2c9f0b6e83')
    def test_claim_fails_on_the_selected_host(self):
        """Bugs 1712850 and 1741125 (test_servers.py ServerMovingTests.
        test_resize_reschedule_uses_host_lists_1_fail): a resize's claim
        fails on the selected host; it is rescheduled to the alternate.
        """
        server = self.boot(host=CONF.tracker.slow_live_migration_host)
        new_flavor = self.create_flavor(
            ram=self.fault_flavor['ram'] * 2,
            vcpus=self.fault_flavor['vcpus'] + 1,
            disk=self.fault_flavor['disk'] + 1,
            extra_specs=self.fault_flavor['extra_specs'])
        self.fail_claims_on(CONF.tracker.reschedule_host)
        server, migration = self.resize_server(server.id, new_flavor)
        self.assert_rescheduled_to_the_alternate(server, migration, 'resize',
                                                 new_flavor)


@testtools.skipUnless(CONF.tracker_feature_enabled.cold_migration,
                      '[tracker-feature-enabled] cold_migration is False')
class ForcedHostMigrationRescheduledTest(_RescheduledToTheAlternate,
                                         base.FaultHostsTestBase):

    @decorators.idempotent_id('4f0c8a62-d7b3-4e19-a5c6-93e1b2d8f057')
    def test_migration_of_a_server_booted_on_a_forced_host(self):
        """Bug 1845291 (regressions/test_bug_1845291.py
        ForcedHostMissingReScheduleTestCase): a server booted onto a forced
        host (availability zone "ZONE:HOST") is cold migrated without a
        target; the claim fails on the selected host, and the migration
        is still rescheduled to the alternate (before the fix the forced
        host left the conductor no alternate).
        """
        server = self.boot(forced_host=CONF.tracker.slow_live_migration_host)
        self.assertEqual(CONF.tracker.slow_live_migration_host, server.host)
        self.fail_claims_on(CONF.tracker.reschedule_host)
        server, migration = self.cold_migrate_server(server.id)
        self.assert_rescheduled_to_the_alternate(server, migration, 'migrate',
                                                 self.fault_flavor)


@testtools.skipUnless(CONF.tracker_feature_enabled.cold_migration,
                      '[tracker-feature-enabled] cold_migration is False')
class PinnedComputeRpcRescheduleTest(_RescheduledToTheAlternate,
                                     base.FaultHostsTestBase):
    """Bug 1843090 (regressions/test_bug_1843090.py
    PinnedComputeRpcTests): a cold migration rescheduled while
    nova-conductor sends an older compute RPC API, as during a rolling
    upgrade. Upstream pins every service of its process; here the
    conductor, which casts prep_resize to the destination: at 5.0 it
    passes the request spec as a legacy dict, which the compute
    converts, and sends back to the conductor when the claim fails
    there.

    As upstream asserts: VERIFY_RESIZE on the alternate, after the claim
    failed on the selected host (prep_resize events on both). Beyond
    upstream, as for every reschedule to the alternate: nothing on the
    failed host, the old flavor held by the migration on the source,
    os-hypervisors in agreement, and the confirm frees the source.
    """

    #: Restarts nova-conductor, which every test needs.
    disturbs_shared_services = True

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        # Before setUp takes the whole cloud for a test that cannot run.
        cls.skip_unless_set('conductor_pin_command',
                            'conductor_unpin_command')

    @decorators.attr(type='slow')
    @decorators.idempotent_id('e3c4e06f-58e2-4d9c-b18b-5ab6cdcab6ff')
    def test_reschedule_with_compute_rpc_pinned_to_5_0(self):
        """Upstream's test_reschedule_migration_5_0, the older of its two
        pins: prep_resize carries the request spec as a legacy dict and
        the flavor as instance_type, as at 5.1 (upstream's other test,
        not repeated: every pin restarts the conductor while all other
        tests wait).
        """
        self.pin_conductor_compute_rpc('5.0')
        server = self.boot(host=CONF.tracker.slow_live_migration_host)
        self.fail_claims_on(CONF.tracker.reschedule_host)
        server, migration = self.cold_migrate_server(server.id)
        self.assert_rescheduled_to_the_alternate(server, migration, 'migrate',
                                                 self.fault_flavor)


class BuildAbortTest(base.FaultHostsTestBase):
    required_hosts = ('build_abort_host',)

    @decorators.idempotent_id('6b829efb-f104-4516-9cad-becfd0e1f20c')
    def test_build_abort(self):
        """The host aborts the build (no reschedule): ERROR, and no
        allocation anywhere before or after delete.
        """
        host = CONF.tracker.build_abort_host
        server = self.boot(host=host, wait_until='ERROR')
        self.assert_no_allocations(server.id)
        self.assert_usage_delta(host, {})
        self.delete_and_check_allocations(server.id, [host])


class FinishMigrationFailTest(base.FaultHostsTestBase):
    required_hosts = ('finish_migration_fail_host', 'fault_healthy_host')

    @decorators.idempotent_id('7c93a00c-0215-4627-8dbe-cfd0e1f2031d')
    def test_finish_migration_fails(self):
        """A cold migration whose finish_migration fails on the target:
        the server ends in ERROR and its allocation is where Nova says
        the server is; delete leaves nothing.
        """
        source = CONF.tracker.fault_healthy_host
        target = CONF.tracker.finish_migration_fail_host
        server = self.boot(host=source)
        self.admin_servers_client.migrate_server(server.id, host=target)
        server = self.wait_for_server(server.id, 'ERROR')
        migration = self.wait_for_migration(server.id, 'migration',
                                            ('error', 'failed'))
        self.addDetail('server host after the failure',
                       content.text_content(str(server.host)))
        self.assert_allocations(server.id, {server.host: self.fault_flavor})
        self.delete_and_check_allocations(server.id, [source, target],
                                          [migration.uuid])


class SlowLiveMigrationTest(base.FaultHostsTestBase):
    """Live migrations from a host that keeps them running ~5 s."""

    required_hosts = ('slow_live_migration_host', 'fault_healthy_host')

    def boot_and_start_live_migration(self):
        source = CONF.tracker.slow_live_migration_host
        dest = CONF.tracker.fault_healthy_host
        server = self.boot(host=source)
        return (server, self.start_live_migration(server.id, dest), source,
                dest)

    @decorators.idempotent_id('8da4b11d-1326-4738-9ecf-d0e1f203142e')
    def test_abort(self):
        """Abort (2.24) a running live migration: cancelled, the server
        stays on the source holding its flavor there only.
        """
        server, migration, source, dest = (
            self.boot_and_start_live_migration())
        server = self.abort_live_migration(server.id, migration)
        self.assert_move_undone(server, migration, source, dest,
                                self.fault_flavor)
        self.assert_hypervisor_matches_placement(source, dest)

    @decorators.idempotent_id('9eb5c22e-2437-4849-8fdf-e1f203142539')
    def test_force_complete(self):
        """Force-complete (2.22) a running live migration: completed, the
        flavor on the destination only.
        """
        server, migration, source, dest = (
            self.boot_and_start_live_migration())
        server = self.force_complete_live_migration(server.id, migration)
        self.assertEqual(dest, server.host)
        self.assert_allocations(server.id, {dest: self.fault_flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_delta(source, {})
        self.assert_hypervisor_matches_placement(source, dest)


class RescheduleClaimFailsTest(base.FaultHostsTestBase):
    required_hosts = ('reschedule_host', 'fault_healthy_host')
    #: Sets a Placement fault: runs alone, which also lets it hold the
    #: first spawn of a server whose uuid it does not know yet.
    disturbs_shared_services = True

    @decorators.idempotent_id('a05dbe61-7c8f-4d3a-8b4e-6f7a8b9cadb5')
    def test_claim_on_the_alternate_fails(self):
        """Bug 1819460 (test_servers.py ServerRescheduleTests.
        test_allocation_fails_during_reschedule): the preferred host fails
        the build, and the conductor's claim on the alternate host gets a
        409 consumer generation conflict from Placement.

        The server goes to ERROR with AllocationUpdateFailed as its fault,
        and holds nothing on either host, before and after the delete.
        """
        failing = CONF.tracker.reschedule_host
        healthy = CONF.tracker.fault_healthy_host
        # Held so that the Placement fault is set after the scheduler's
        # claim and before the conductor's.
        self.hold_call(failing, 'spawn', server_id=None)
        server = self.boot(wait_until=None)
        self.wait_until_held(failing)
        self.inject_placement_fault('PUT', '^/allocations/%s$' % server.id,
                                    409)
        self.release_call(failing)
        server = self.wait_for_server(server.id, 'ERROR')
        self.wait_until_placement_fault_taken()
        self.assertIn('Failed to update allocations for consumer',
                      server.fault or '')
        self.assert_no_allocations(server.id)
        self.assert_usage_delta(failing, {})
        self.assert_usage_delta(healthy, {})
        self.assert_findings(set())
        self.delete_and_check_allocations(server.id, [failing, healthy])


class RescheduleToAFullAlternateTest(base.FaultHostsTestBase):
    #: All but the first two are disabled, so that the healthy host is
    #: the only alternate.
    required_hosts = EVERY_FAULT_HOST

    @decorators.idempotent_id('9c3e71d5-48a2-4f0b-b6d9-2e5f8a1c7b04')
    def test_alternate_filled_before_the_reschedule(self):
        """Bug 1837955 (regressions/test_bug_1837955.py): the preferred
        host fails the build, and the alternate has been filled since the
        scheduler chose it, so that the conductor's claim there fails for
        lack of room.

        Here the first spawn is held on the preferred host while a server
        booted onto the alternate takes its last GiB of disk (upstream
        fills it from a mocked claim). As upstream asserts: ERROR with
        "Exceeded maximum number of retries". Beyond upstream: the server
        holds nothing on either host, the alternate holds only the filler,
        and the audit finds nothing, before and after the delete.
        """
        failing = CONF.tracker.reschedule_host
        healthy = CONF.tracker.fault_healthy_host
        for option in self.required_hosts[2:]:
            self.set_compute_enabled(getattr(CONF.tracker, option), False)
        self.hold_call(failing, 'spawn', server_id=None)
        server = self.boot(wait_until=None)
        self.wait_until_held(failing)
        filler_flavor = self.create_flavor(
            ram=self.fault_flavor['ram'], vcpus=1,
            disk=self.free_disk_gb(healthy),
            extra_specs=self.fault_flavor['extra_specs'])
        filler = self.create_server(flavor=filler_flavor, host=healthy)
        self.release_call(failing)
        server = self.wait_for_server(server.id, 'ERROR')
        self.assertIn('Exceeded maximum number of retries',
                      server.fault or '')
        self.assert_no_allocations(server.id)
        self.assert_usage_delta(failing, {})
        self.assert_allocations(filler.id, {healthy: filler_flavor})
        self.assert_usage_matches_flavors(healthy, filler_flavor)
        self.assert_hypervisor_matches_placement(failing, healthy)
        self.assert_findings(set())
        self.delete_and_check_allocations(server.id, [failing])
        self.assert_findings(set())
