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
import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.tests import base

CONF = config.CONF


@testtools.skipUnless(CONF.tracker_feature_enabled.live_migration,
                      '[tracker-feature-enabled] live_migration is False')
class LiveMigrationTest(base.TrackerTestBase):
    """Live migration: the flavor moves to the destination, nothing stays.

    During the move the migration's uuid holds the source; once it is
    completed only the server holds the flavor, on the destination.
    """

    required_computes = 2

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('6d1f27b9-0e2a-4c4b-9d5e-6f7a8b9c0d15')
    def test_live_migrate(self):
        server = self.create_server()
        source = server.host

        server, migration = self.live_migrate_server(server.id)
        dest = server.host
        self.assertNotEqual(source, dest, 'the server stayed on %s' % source)

        self.assert_allocations(server.id, {dest: self.flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_delta(source, {})
        self.assert_usage_matches_flavors(dest, self.flavor)
        self.assert_hypervisor_matches_placement(source, dest)
