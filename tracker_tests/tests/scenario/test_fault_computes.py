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

from tempest import config
from tempest.lib import decorators
from testtools import content

from tracker_tests.common import waiters
from tracker_tests.tests import base

CONF = config.CONF


class FaultComputeTest(base.TrackerTestBase):

    #: [tracker] options naming the hosts a test class needs.
    required_hosts = ()

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        for option in ('fault_flavor_ref',) + cls.required_hosts:
            if not getattr(CONF.tracker, option):
                raise cls.skipException('[tracker] %s is not set' % option)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.fault_flavor = cls._load_flavor(CONF.tracker.fault_flavor_ref,
                                            '[tracker] fault_flavor_ref')

    def boot(self, host=None, wait_until='ACTIVE'):
        return self.create_server(flavor=self.fault_flavor, host=host,
                                  wait_until=wait_until)


class RescheduleTest(FaultComputeTest):
    required_hosts = ('reschedule_host', 'fault_healthy_host')

    @decorators.idempotent_id('5a718dea-e0f3-4405-8b9c-adbecfd0e1fb')
    def test_reschedule(self):
        """The preferred host fails the first spawn: the server is
        rescheduled; nothing stays on the failing host, the flavor is on
        the final one.
        """
        failing = CONF.tracker.reschedule_host
        server = self.boot()
        final = self.host_of(server)
        self.assertNotEqual(failing, final)
        build_hosts = self.build_event_hosts(server['id'])
        self.assertIn(failing, build_hosts,
                      'the server was never tried on %s, so nothing was '
                      'rescheduled; builds ran on %s' % (failing,
                                                         build_hosts))
        self.assert_allocations(server['id'], {final: self.fault_flavor})
        self.assert_usage_delta(failing, {})
        self.assert_usage_delta(final, self.flavor_resources(
            self.fault_flavor))
        self.assert_hypervisor_matches_placement(failing, final)

    def build_event_hosts(self, server_id):
        """Hosts the server's create action was built on, in order."""
        actions = self.admin_servers_client.list_instance_actions(
            server_id)['instanceActions']
        create = [a for a in actions if a['action'] == 'create'][0]
        events = self.admin_servers_client.show_instance_action(
            server_id, create['request_id'])['instanceAction']['events']
        return [e.get('host') for e in events
                if e['event'] == 'compute__do_build_and_run_instance']


class BuildAbortTest(FaultComputeTest):
    required_hosts = ('build_abort_host',)

    @decorators.idempotent_id('6b829efb-f104-4516-9cad-becfd0e1f20c')
    def test_build_abort(self):
        """The host aborts the build (no reschedule): ERROR, and no
        allocation anywhere before or after delete.
        """
        host = CONF.tracker.build_abort_host
        server = self.boot(host=host, wait_until='ERROR')
        self.assert_no_allocations(server['id'])
        self.assert_usage_delta(host, {})
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.assert_hypervisor_matches_placement(host)


class FinishMigrationFailTest(FaultComputeTest):
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
        self.admin_servers_client.migrate_server(server['id'], host=target)
        server = self.wait_for_server(server['id'], 'ERROR')
        migration = self.wait_for_migration(server['id'], 'migration',
                                            ('error', 'failed'))
        where = self.host_of(server)
        self.addDetail('server host after the failure',
                       content.text_content(str(where)))
        self.assert_allocations(server['id'],
                                {where: self.fault_flavor})
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(source, {})
        self.assert_usage_delta(target, {})
        self.assert_hypervisor_matches_placement(source, target)


class SlowLiveMigrationTest(FaultComputeTest):
    """Live migrations from a host that keeps them running ~5 s."""

    required_hosts = ('slow_live_migration_host', 'fault_healthy_host')

    def start_live_migration(self):
        source = CONF.tracker.slow_live_migration_host
        dest = CONF.tracker.fault_healthy_host
        server = self.boot(host=source)
        self.admin_servers_client.live_migrate_server(
            server['id'], host=dest, block_migration='auto')
        # The driver finishes by itself after ~5 s: poll fast.
        migration = waiters.wait_for_migration_status(
            self.reader, server['id'], 'live-migration', 'running',
            CONF.compute.build_timeout, 0.2)
        self.own_consumers.add(migration['uuid'])
        return server, migration, source, dest

    @decorators.idempotent_id('8da4b11d-1326-4738-9ecf-d0e1f203142e')
    def test_abort(self):
        """Abort (2.24) a running live migration: cancelled, the server
        stays on the source holding its flavor there only.
        """
        server, migration, source, dest = self.start_live_migration()
        self.os_admin.tracker_compute.ServerMigrationsClient(
        ).abort_live_migration(server['id'], migration['id'])
        self.wait_for_migration(server['id'], 'live-migration', 'cancelled')
        server = self.wait_for_server(server['id'], 'ACTIVE')
        self.assertEqual(source, self.host_of(server))
        self.assert_allocations(server['id'], {source: self.fault_flavor})
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(dest, {})
        self.assert_hypervisor_matches_placement(source, dest)

    @decorators.idempotent_id('9eb5c22e-2437-4849-8fdf-e1f203142539')
    def test_force_complete(self):
        """Force-complete (2.22) a running live migration: completed, the
        flavor on the destination only.
        """
        server, migration, source, dest = self.start_live_migration()
        self.os_admin.tracker_compute.ServerMigrationsClient(
        ).force_complete_live_migration(server['id'], migration['id'])
        self.wait_for_migration(server['id'], 'live-migration', 'completed')
        server = self.wait_for_server(server['id'], 'ACTIVE')
        self.assertEqual(dest, self.host_of(server))
        self.assert_allocations(server['id'], {dest: self.fault_flavor})
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(source, {})
        self.assert_hypervisor_matches_placement(source, dest)
