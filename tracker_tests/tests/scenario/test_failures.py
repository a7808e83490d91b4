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
"""Failed and interrupted operations must not leak allocations.

Each test's docstring says what it breaks and the end state it expects;
the expected states are Nova's behaviour, seen on the local cloud.
"""

import testtools
from testtools import content

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from tracker_tests.common import expectations
from tracker_tests.tests import base

CONF = config.CONF

#: No compute has this much disk (1 EiB), so no host can take it.
HUGE_DISK_GB = 2 ** 30


class _FailureTest(base.TrackerTestBase):

    required_computes = 2

    def huge_flavor(self):
        # Disk, which no quota limits, so that the scheduler says no
        # rather than the quota check.
        return self.create_flavor(ram=self.flavor['ram'], vcpus=1,
                                  disk=HUGE_DISK_GB)

    def other_host(self, host):
        others = [h for h in self.compute_hosts(beside=host)
                  if h != host]
        if not others:
            self.skipTest('no other enabled compute beside %s' % host)
        return others[0]

    def expect_refused_or_failed(self, action, server_id, migration_type):
        """Run a move that must not happen.

        Nova refuses it at the API (4xx) or records a migration that ends
        in 'error' or 'failed'; returns that migration, or None.
        """
        try:
            action()
        except (lib_exc.BadRequest, lib_exc.Conflict) as exc:
            self.addDetail('refused', content.text_content(
                str(exc)))
            return None
        return self.wait_for_migration(server_id, migration_type,
                                       ('error', 'failed'))

    def assert_still_on(self, server_id, host):
        """The server is ACTIVE on ``host`` with its flavor there only."""
        server = self.wait_for_server(server_id, 'ACTIVE')
        self.assertEqual(host, self.host_of(server))
        self.assert_allocations(server_id, {host: self.flavor})
        self.assert_usage_delta(host, self.flavor_resources(self.flavor))
        self.assert_hypervisor_matches_placement(host)


class ApiFailureTest(_FailureTest):
    """Failures any cloud can be put in through its API."""

    @decorators.idempotent_id('b0d7e3a1-4c5f-4a6b-8d9e-0f1a2b3c4d51')
    def test_boot_no_valid_host(self):
        """Boot a flavor no host fits: ERROR, no host, no allocation."""
        server = self.create_server(flavor=self.huge_flavor(),
                                    wait_until='ERROR')
        self.assertIsNone(self.host_of(server))
        self.assert_no_allocations(server['id'])
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.assert_no_usage_change()

    @decorators.idempotent_id('c1e8f4b2-5d6a-4b7c-9e0f-1a2b3c4d5e62')
    def test_resize_no_valid_host(self):
        """Resize to a flavor no host fits: stays ACTIVE, old flavor only,
        the migration ends in error holding nothing.
        """
        server = self.create_server()
        host = self.host_of(server)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.resize_server(
                server['id'], self.huge_flavor()['id']),
            server['id'], 'resize')
        self.assert_still_on(server['id'], host)
        if migration:
            self.assert_no_allocations(migration['uuid'])

    @decorators.idempotent_id('d2f905c3-6e7b-4c8d-8f1a-2b3c4d5e6f73')
    def test_cold_migrate_to_disabled_host(self):
        """Cold migrate (2.56 host) onto a disabled host: refused or
        error; allocations unchanged.
        """
        server = self.create_server()
        host = self.host_of(server)
        target = self.other_host(host)
        self.set_compute_enabled(target, False)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.migrate_server(
                server['id'], host=target),
            server['id'], 'migration')
        self.assert_still_on(server['id'], host)
        self.assert_usage_delta(target, {})
        if migration:
            self.assert_no_allocations(migration['uuid'])

    @decorators.idempotent_id('e30a16d4-7f8c-4d9e-9a2b-3c4d5e6f7a84')
    def test_live_migrate_to_same_host(self):
        """Live migrate onto the server's own host: refused or error;
        allocation on the source only.
        """
        server = self.create_server()
        host = self.host_of(server)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.live_migrate_server(
                server['id'], host=host, block_migration='auto'),
            server['id'], 'live-migration')
        self.assert_still_on(server['id'], host)
        if migration:
            self.assert_no_allocations(migration['uuid'])

    @decorators.idempotent_id('f41b27e5-8a9d-4eaf-8b3c-4d5e6f7a8b95')
    def test_live_migrate_to_disabled_host(self):
        """Live migrate onto a disabled host: refused or error; allocation
        on the source only, nothing on the target.
        """
        server = self.create_server()
        host = self.host_of(server)
        target = self.other_host(host)
        self.set_compute_enabled(target, False)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.live_migrate_server(
                server['id'], host=target, block_migration='auto'),
            server['id'], 'live-migration')
        self.assert_still_on(server['id'], host)
        self.assert_usage_delta(target, {})
        if migration:
            self.assert_no_allocations(migration['uuid'])

    @decorators.idempotent_id('052c38f6-9bae-4fb0-9c4d-5e6f7a8b9ca6')
    def test_delete_while_building(self):
        """Delete right after the boot request: nothing left anywhere."""
        server = self.create_server(wait_until=None)
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.assert_no_usage_change()

    @decorators.idempotent_id('163d49a7-acbf-40c1-8d5e-6f7a8b9cadb7')
    def test_delete_while_resizing(self):
        """Delete as soon as a resize started (before VERIFY_RESIZE):
        neither the server nor the migration holds anything.
        """
        server = self.create_server()
        self.admin_servers_client.resize_server(server['id'],
                                                self.resize_flavor['id'])
        migration = self.wait_for_migration(
            server['id'], 'resize',
            ('pre-migrating', 'migrating', 'post-migrating', 'finished',
             'error'))
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.assert_no_allocations(migration['uuid'])
        self.assert_no_usage_change()
        self.assert_hypervisor_matches_placement(
            *self.compute_hosts(beside=self.host_of(server)))


@testtools.skipUnless(CONF.tracker_feature_enabled.service_control,
                      '[tracker-feature-enabled] service_control is False')
# These stop, kill or disable computes: nothing else may run meanwhile.
@decorators.serial
class ServiceFailureTest(_FailureTest):
    """Failures that need computes stopped, killed or disabled."""

    @decorators.idempotent_id('274e5ab8-bdc0-41d2-9e6f-7a8b9cadbec8')
    def test_delete_while_compute_stopped(self):
        """Delete while the server's compute is down (local delete): the
        allocation goes at once and does not come back on restart.
        """
        server = self.create_server()
        host = self.host_of(server)
        self.stop_compute(host)
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.restore_compute(host)
        self.assert_no_allocations(server['id'])
        self.assert_usage_delta(host, {})
        self.assert_hypervisor_matches_placement(host)

    @decorators.idempotent_id('385f6bc9-ced1-42e3-8f7a-8b9cadbecfd9')
    def test_evacuate_without_target(self):
        """Evacuate when every other host is disabled: the migration ends
        in error, the allocation stays on the source only, and nothing
        leaks after the source restarts and the server is deleted.
        """
        if not CONF.tracker_feature_enabled.evacuate:
            raise self.skipException(
                '[tracker-feature-enabled] evacuate is False')
        server = self.create_server()
        host = self.host_of(server)
        for other in self.compute_hosts(beside=host):
            if other != host:
                self.set_compute_enabled(other, False)
        self.stop_compute(host)
        self.force_down(host)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.evacuate_server(server['id']),
            server['id'], 'evacuation')
        self.assertEqual(host, self.host_of(self.show_server(server['id'])))
        self.assert_allocations(server['id'], {host: self.flavor})
        if migration:
            self.assert_no_allocations(migration['uuid'])
        self.restore_compute(host)
        self.assert_allocations(server['id'], {host: self.flavor})
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.assert_usage_delta(host, {})
        self.assert_hypervisor_matches_placement(host)

    @decorators.idempotent_id('49607cda-dfe2-43f4-9a8b-9cadbecfd0ea')
    def test_compute_killed_during_cold_migration(self):
        """Kill the source compute (SIGKILL) as a cold migration starts and
        start it again: what is left is reported, cleanup leaves nothing.

        What Nova leaves depends on how far the move got, so this test
        reports it (details 'findings' after the restart, 'leftovers' after
        the delete) instead of expecting one state; it removes the
        leftovers of its own server and migration from Placement and then
        requires the cloud to be as it was.
        """
        server = self.create_server()
        host = self.host_of(server)
        self.admin_servers_client.migrate_server(server['id'])
        migration = self.wait_for_migration(
            server['id'], 'migration',
            ('pre-migrating', 'migrating', 'post-migrating', 'finished',
             'error'))
        self.kill_compute(host)
        self.restore_compute(host)
        result = self.audit_own()
        self.addDetail('findings', content.text_content(
            '\n'.join(base.waiters.describe_finding(f)
                      for f in result.findings) or 'none'))
        self.delete_server(server['id'])
        leftovers = []
        for consumer in (server['id'], migration['uuid']):
            try:
                # Give Nova's own clean-up its time first.
                base.waiters.poll(
                    lambda: not expectations.consumer_allocations(
                        self.reader, consumer),
                    CONF.tracker.consistency_timeout,
                    CONF.tracker.poll_interval, lambda: '')
                continue
            except lib_exc.TimeoutException:
                held = expectations.consumer_allocations(self.reader,
                                                         consumer)
            if held:
                leftovers.append('consumer %s still holds %s' % (
                    consumer, held))
                self.os_admin.tracker_placement.AllocationsClient(
                ).delete_allocations(consumer)
        self.addDetail('leftovers', content.text_content(
            '\n'.join(leftovers) or 'none'))
        self.assert_no_allocations(server['id'])
        self.assert_no_allocations(migration['uuid'])
        self.assert_no_usage_change()
        self.wait_until_consistent(hosts=self.compute_hosts(beside=host))
