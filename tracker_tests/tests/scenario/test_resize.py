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

    def boot_and_move(self, new_flavor=None):
        """Boot, then resize (new_flavor) or cold migrate (None) to
        VERIFY_RESIZE, checked.
        """
        return self.move_and_check_allocations(self.create_server(),
                                               new_flavor)


@testtools.skipUnless(FEATURES.resize,
                      '[tracker-feature-enabled] resize is False')
class ResizeTest(_MoveTest):
    """Resize to another host."""

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('4f1d3c2a-8e7b-4d6c-9a1f-2b3c4d5e6f70')
    def test_resize_confirm(self):
        self.confirm_and_check_allocations(
            *self.boot_and_move(self.resize_flavor), self.resize_flavor)

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('a8e2c6d4-1f3b-4c5d-8e9f-0a1b2c3d4e5f')
    def test_resize_revert(self):
        self.revert_and_check_allocations(
            *self.boot_and_move(self.resize_flavor))

    @decorators.idempotent_id('c3d9e1f5-2a4b-4c6d-8e0f-1a2b3c4d5e60')
    def test_delete_in_verify_resize(self):
        server, migration, source, dest = self.boot_and_move(
            self.resize_flavor)
        self.delete_and_check_allocations(server.id, [source, dest],
                                          [migration.uuid])


@testtools.skipUnless(FEATURES.cold_migration,
                      '[tracker-feature-enabled] cold_migration is False')
class ColdMigrationTest(_MoveTest):
    """Cold migration: a resize with the same flavor."""

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('e5f7a9b1-3c4d-4e6f-8a0b-2c3d4e5f6a71')
    def test_cold_migrate_confirm(self):
        self.confirm_and_check_allocations(*self.boot_and_move(),
                                           self.flavor)

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('07b9c1d3-5e6f-4a8b-9c0d-3e4f5a6b7c82')
    def test_cold_migrate_revert(self):
        self.revert_and_check_allocations(*self.boot_and_move())


class SameHostResizeTest(base.SameHostResizeTestBase):
    """Resize on one host: old and new flavor side by side, then one."""

    def _resize_on_one_host(self):
        server = self.boot()
        server, migration = self.resize_on_its_host(
            server.id, self.strict_resize_flavor)
        self.assert_allocations(server.id,
                                {self.source: self.strict_resize_flavor})
        self.assert_migration_allocations(migration.uuid,
                                          {self.source: self.strict_flavor})
        self.assert_usage_matches_flavors(self.source, self.strict_flavor,
                                          self.strict_resize_flavor)
        self.assert_hypervisor_matches_placement(self.source)
        return server, migration

    @decorators.idempotent_id('29dbe3f5-7a8b-4c0d-8e1f-4a5b6c7d8e93')
    def test_same_host_resize_confirm(self):
        server, migration = self._resize_on_one_host()
        self.confirm_resize(server.id, migration)
        self.assert_allocations(server.id,
                                {self.source: self.strict_resize_flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_matches_flavors(self.source,
                                          self.strict_resize_flavor)
        self.assert_hypervisor_matches_placement(self.source)

    @decorators.idempotent_id('4bfd05a7-9c0d-4e2f-8a3b-5c6d7e8f9a04')
    def test_same_host_resize_revert(self):
        server, migration = self._resize_on_one_host()
        self.revert_resize(server.id, migration)
        self.assert_allocations(server.id, {self.source: self.strict_flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_matches_flavors(self.source, self.strict_flavor)
        self.assert_hypervisor_matches_placement(self.source)
