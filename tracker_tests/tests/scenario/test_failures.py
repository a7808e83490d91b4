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

from tempest import config
from tempest.lib import decorators

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

    def disabled_host_beside(self, host):
        """Another host, locked by this test and disabled."""
        target, = self.pick_hosts(
            1, [h for h in self.regular_hosts() if h != host])
        self.set_compute_enabled(target, False)
        return target

    def assert_still_on(self, server_id, host):
        """The server is ACTIVE on ``host`` with its flavor there only."""
        server = self.wait_for_server(server_id, 'ACTIVE')
        self.assertEqual(host, server.host)
        self.assert_allocations(server_id, {host: self.flavor})
        self.assert_usage_matches_flavors(host, self.flavor)
        self.assert_hypervisor_matches_placement(host)

    def assert_move_left_nothing(self, migration):
        """A refused move recorded nothing, or a migration holding
        nothing.
        """
        if migration:
            self.assert_no_allocations(migration.uuid)


class ApiFailureTest(_FailureTest):
    """Failures any cloud can be put in through its API."""

    @decorators.idempotent_id('b0d7e3a1-4c5f-4a6b-8d9e-0f1a2b3c4d51')
    def test_boot_no_valid_host(self):
        """Boot a flavor no host fits: ERROR, no host, no allocation."""
        server = self.create_server(flavor=self.huge_flavor(),
                                    wait_until='ERROR')
        self.assertIsNone(server.host)
        self.assert_no_allocations(server.id)
        self.delete_and_check_allocations(server.id, [])
        self.assert_no_usage_change()

    @decorators.idempotent_id('c1e8f4b2-5d6a-4b7c-9e0f-1a2b3c4d5e62')
    def test_resize_no_valid_host(self):
        """Resize to a flavor no host fits: stays ACTIVE, old flavor only,
        the migration ends in error holding nothing.
        """
        server = self.create_server()
        huge = self.huge_flavor()
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.resize_server(server.id,
                                                            huge['id']),
            server.id, 'resize')
        self.assert_still_on(server.id, server.host)
        self.assert_move_left_nothing(migration)

    @decorators.idempotent_id('d2f905c3-6e7b-4c8d-8f1a-2b3c4d5e6f73')
    def test_cold_migrate_to_disabled_host(self):
        """Cold migrate (2.56 host) onto a disabled host: refused or
        error; allocations unchanged.
        """
        server = self.create_server()
        target = self.disabled_host_beside(server.host)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.migrate_server(
                server.id, host=target),
            server.id, 'migration')
        self.assert_still_on(server.id, server.host)
        self.assert_usage_delta(target, {})
        self.assert_move_left_nothing(migration)

    @decorators.idempotent_id('e30a16d4-7f8c-4d9e-9a2b-3c4d5e6f7a84')
    def test_live_migrate_to_same_host(self):
        """Live migrate onto the server's own host: refused or error;
        allocation on the source only.
        """
        server = self.create_server()
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.live_migrate_server(
                server.id, host=server.host, block_migration='auto'),
            server.id, 'live-migration')
        self.assert_still_on(server.id, server.host)
        self.assert_move_left_nothing(migration)

    @decorators.idempotent_id('f41b27e5-8a9d-4eaf-8b3c-4d5e6f7a8b95')
    def test_live_migrate_to_disabled_host(self):
        """Live migrate onto a disabled host: refused or error; allocation
        on the source only, nothing on the target.
        """
        server = self.create_server()
        target = self.disabled_host_beside(server.host)
        migration = self.expect_refused_or_failed(
            lambda: self.admin_servers_client.live_migrate_server(
                server.id, host=target, block_migration='auto'),
            server.id, 'live-migration')
        self.assert_still_on(server.id, server.host)
        self.assert_usage_delta(target, {})
        self.assert_move_left_nothing(migration)


class InterruptedOperationTest(_FailureTest):
    """Deletes that interrupt an operation Nova is still doing."""

    @decorators.idempotent_id('052c38f6-9bae-4fb0-9c4d-5e6f7a8b9ca6')
    def test_delete_while_building(self):
        """Delete right after the boot request: nothing left anywhere."""
        server = self.create_server(wait_until=None)
        self.delete_and_check_allocations(server.id, [])
        self.assert_no_usage_change()


@testtools.skipUnless(CONF.tracker_feature_enabled.service_control,
                      '[tracker-feature-enabled] service_control is False')
class DeleteWhileComputeStoppedTest(_FailureTest):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('274e5ab8-bdc0-41d2-9e6f-7a8b9cadbec8')
    def test_delete_while_compute_stopped(self):
        """Delete while the server's compute is down (local delete): the
        allocation goes at once and does not come back on restart.
        """
        host, = self.pick_hosts(1)
        server = self.create_server(host=host)
        self.take_host(host)
        self.stop_compute(host)
        self.delete_server(server.id)
        self.assert_no_allocations(server.id)
        self.restore_compute(host)
        self.assert_no_allocations(server.id)
        self.assert_usage_delta(host, {})
        self.assert_hypervisor_matches_placement(host)
