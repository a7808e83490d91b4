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

from tracker_tests.audit import reader


class TestErrors(testtools.TestCase):

    def test_messages_name_the_service_on_one_line(self):
        errors = [reader.EndpointNotFound('placement'),
                  reader.ServiceUnreachable('compute', 'Connection\nrefused'),
                  reader.RequestFailed('compute', '/servers', 500, 'boom\n!'),
                  reader.ResourceNotFound('placement', '/allocations/x')]
        for error in errors:
            self.assertIsInstance(error, reader.ReaderError)
            self.assertIn(error.service_type, str(error))
            self.assertNotIn('\n', str(error))
        self.assertEqual('no placement endpoint in the service catalog',
                         str(errors[0]))
        self.assertEqual('compute service unreachable: Connection refused',
                         str(errors[1]))
