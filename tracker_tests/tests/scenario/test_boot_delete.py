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
from tempest.lib import decorators

from tracker_tests.tests import base


class BootDeleteTest(base.TrackerTestBase):
    """Boot and delete: the flavor lands on the host, then nothing stays."""

    @decorators.attr(type='smoke')
    @decorators.idempotent_id('0b6a1f52-3c2e-4d55-9b8e-5f0f6a4c1d21')
    def test_boot_delete(self):
        server = self.boot_and_check_allocations()
        self.delete_and_check_allocations(server.id, [server.host])
