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
from tracker_tests.tests.unit.audit import fakes


class TestGetAll(testtools.TestCase):

    def test_follows_recorded_next_links_to_the_end(self):
        recorded = fakes.FixtureReader('paging')
        hypervisors = reader.get_all(
            recorded, 'compute', '/os-hypervisors/detail', 'hypervisors',
            '2.87', {'limit': 1})
        pages = [path for _, path, _ in recorded.requests]
        self.assertEqual(3, len(hypervisors))
        self.assertEqual(3, len({h['id'] for h in hypervisors}))
        # One page per hypervisor plus the empty page that ends the list,
        # each after the first carrying the previous page's marker.
        self.assertEqual(4, len(pages))
        self.assertEqual('/os-hypervisors/detail?limit=1', pages[0])
        for page, previous in zip(pages[1:], hypervisors):
            self.assertIn('marker=%s' % previous['id'], page)
        self.assertTrue(all(mv == '2.87' for _, _, mv in recorded.requests))

    def test_stops_when_a_next_link_repeats(self):
        class Looping:
            calls = 0

            def get(self, service_type, path, microversion=None):
                self.calls += 1
                return {'servers': [{'id': str(self.calls)}],
                        'servers_links': [{'rel': 'next',
                                           'href': 'http://x/servers?m=1'}]}
        looping = Looping()
        servers = reader.get_all(looping, 'compute', '/servers', 'servers')
        self.assertEqual(['1', '2'], [s['id'] for s in servers])

    def test_keeps_the_given_path_and_only_takes_the_link_query(self):
        class Proxied:
            def __init__(self):
                self.paths = []

            def get(self, service_type, path, microversion=None):
                self.paths.append(path)
                if len(self.paths) == 1:
                    return {'migrations': [{'id': 1}], 'migrations_links': [{
                        'rel': 'next', 'href': 'https://public.example/'
                        'compute/v2.1/os-migrations?host=c1&marker=u1'}]}
                return {'migrations': []}
        proxied = Proxied()
        reader.get_all(proxied, 'compute', '/os-migrations', 'migrations',
                       params={'host': 'c1'})
        self.assertEqual(['/os-migrations?host=c1',
                          '/os-migrations?host=c1&marker=u1'], proxied.paths)


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
