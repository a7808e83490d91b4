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


@testtools.skipUnless(CONF.tracker_feature_enabled.shelve,
                      '[tracker-feature-enabled] shelve is False')
class ShelveTest(base.TrackerTestBase):
    """Shelve, offload, unshelve, delete.

    Offloaded, the server has no host and holds nothing; unshelved, it
    holds its flavor on its new host only.
    """

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('a1c5d7e9-3b4c-4d6e-9f8a-9c0d1e2f3a48')
    def test_shelve_offload_unshelve_delete(self):
        server = self.create_server()
        first_host = server.host

        server = self.shelve_server(server.id)
        self.assertIsNone(server.host)
        self.assert_no_allocations(server.id)
        self.assert_usage_delta(first_host, {})
        self.assert_hypervisor_matches_placement(first_host)

        server = self.unshelve_server(server.id)
        self.assert_allocations(server.id, {server.host: self.flavor})
        self.assert_usage_matches_flavors(server.host, self.flavor)
        self.assert_hypervisor_matches_placement(*{first_host, server.host})

        self.delete_and_check_allocations(server.id, [server.host])
