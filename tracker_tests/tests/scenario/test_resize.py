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
"""Resize and cold migration, confirmed, reverted or deleted midway.

Expected states follow Nova: in VERIFY_RESIZE the server holds the new
flavor on the destination and the migration's uuid holds the old flavor on
the source; confirm frees the source, revert frees the destination.
"""

import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF
FEATURES = CONF.tracker_feature_enabled


class _MoveTest(base.TrackerTestBase):

    required_computes = 2

    def _move_to_verify_resize(self, new_flavor):
        """Boot, then resize (new_flavor) or cold migrate (None)."""
        server = self.create_server()
        source = self.host_of(server)
        server, migration = self.resize_server(server['id'], new_flavor)
        dest = self.host_of(server)
        self.assertNotEqual(source, dest,
                            'the move stayed on %s' % source)
        new_flavor = new_flavor or self.flavor
        self.assert_allocations(server['id'], {dest: new_flavor})
        self.assert_migration_allocations(migration['uuid'],
                                          {source: self.flavor})
        self.assert_usage_delta(source, self.flavor_resources(self.flavor))
        self.assert_usage_delta(dest, self.flavor_resources(new_flavor))
        self.assert_hypervisor_matches_placement(source, dest)
        return server, migration, source, dest, new_flavor

    def _check_confirmed(self, server, migration, source, dest, new_flavor):
        self.confirm_resize(server['id'], migration)
        self.assert_allocations(server['id'], {dest: new_flavor})
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(source, {})
        self.assert_usage_delta(dest, self.flavor_resources(new_flavor))
        self.assert_hypervisor_matches_placement(source, dest)

    def _check_reverted(self, server, migration, source, dest):
        server = self.revert_resize(server['id'], migration)
        self.assertEqual(source, self.host_of(server))
        self.assert_allocations(server['id'], {source: self.flavor})
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(source, self.flavor_resources(self.flavor))
        self.assert_usage_delta(dest, {})
        self.assert_hypervisor_matches_placement(source, dest)


@testtools.skipUnless(FEATURES.resize,
                      '[tracker-feature-enabled] resize is False')
class ResizeTest(_MoveTest):
    """Resize to another host."""

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('4f1d3c2a-8e7b-4d6c-9a1f-2b3c4d5e6f70')
    def test_resize_confirm(self):
        self._check_confirmed(*self._move_to_verify_resize(
            self.resize_flavor))

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('a8e2c6d4-1f3b-4c5d-8e9f-0a1b2c3d4e5f')
    def test_resize_revert(self):
        server, migration, source, dest, _ = self._move_to_verify_resize(
            self.resize_flavor)
        self._check_reverted(server, migration, source, dest)

    @decorators.idempotent_id('c3d9e1f5-2a4b-4c6d-8e0f-1a2b3c4d5e60')
    def test_delete_in_verify_resize(self):
        server, migration, source, dest, _ = self._move_to_verify_resize(
            self.resize_flavor)
        self.delete_server(server['id'])
        self.assert_no_allocations(server['id'])
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(source, {})
        self.assert_usage_delta(dest, {})
        self.assert_hypervisor_matches_placement(source, dest)


@testtools.skipUnless(FEATURES.cold_migration,
                      '[tracker-feature-enabled] cold_migration is False')
class ColdMigrationTest(_MoveTest):
    """Cold migration: a resize with the same flavor."""

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('e5f7a9b1-3c4d-4e6f-8a0b-2c3d4e5f6a71')
    def test_cold_migrate_confirm(self):
        self._check_confirmed(*self._move_to_verify_resize(None))

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('07b9c1d3-5e6f-4a8b-9c0d-3e4f5a6b7c82')
    def test_cold_migrate_revert(self):
        server, migration, source, dest, _ = self._move_to_verify_resize(
            None)
        self._check_reverted(server, migration, source, dest)


@testtools.skipUnless(FEATURES.same_host_resize,
                      '[tracker-feature-enabled] same_host_resize is False')
class SameHostResizeTest(base.TrackerTestBase):
    """Resize on one host: old and new flavor side by side, then one."""

    def _resize_on_one_host(self):
        server = self.create_server()
        host = self.host_of(server)
        server, migration = self.resize_server(server['id'],
                                               self.resize_flavor)
        if self.host_of(server) != host:
            self.skipTest('the scheduler moved the server to %s; this '
                          'cloud resizes to the same host only when no '
                          'other host fits' % self.host_of(server))
        self.assert_allocations(server['id'], {host: self.resize_flavor})
        self.assert_migration_allocations(migration['uuid'],
                                          {host: self.flavor})
        both = self.flavor_resources(self.flavor)
        for rc, amount in self.flavor_resources(self.resize_flavor).items():
            both[rc] = both.get(rc, 0) + amount
        self.assert_usage_delta(host, both)
        self.assert_hypervisor_matches_placement(host)
        return server, migration, host

    @decorators.idempotent_id('29dbe3f5-7a8b-4c0d-8e1f-4a5b6c7d8e93')
    def test_same_host_resize_confirm(self):
        server, migration, host = self._resize_on_one_host()
        self.confirm_resize(server['id'], migration)
        self.assert_allocations(server['id'], {host: self.resize_flavor})
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(host, self.flavor_resources(
            self.resize_flavor))
        self.assert_hypervisor_matches_placement(host)

    @decorators.idempotent_id('4bfd05a7-9c0d-4e2f-8a3b-5c6d7e8f9a04')
    def test_same_host_resize_revert(self):
        server, migration, host = self._resize_on_one_host()
        self.revert_resize(server['id'], migration)
        self.assert_allocations(server['id'], {host: self.flavor})
        self.assert_no_allocations(migration['uuid'])
        self.assert_usage_delta(host, self.flavor_resources(self.flavor))
        self.assert_hypervisor_matches_placement(host)
