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
"""Unit tests of the Placement fault middleware, in front of a trivial WSGI
application; its 409 is compared with one recorded from Placement."""

import json
import os
import pathlib
import re
import wsgiref.util

import testtools

from tracker_tests.faults import middleware
from tracker_tests.faults import spec
from tracker_tests.tests.unit import clitools

FIXTURE = (pathlib.Path(__file__).parent / 'fixtures' / 'placement' /
           'consumer_generation_conflict.json')


class Recorder:
    """A WSGI application that answers 204 and counts its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, environ, start_response):
        self.calls.append((environ['REQUEST_METHOD'], environ['PATH_INFO']))
        start_response('204 No Content', [])
        return [b'']


class MiddlewareTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = str(clitools.temp_dir(self))
        self.path = os.path.join(self.dir, 'tracker-faults.json')
        self.app = Recorder()
        self.wrapped = middleware.PlacementFaults(self.app, self.path)

    def fault(self, method, path, status, count=1):
        spec.FaultFile(self.path, spec.PlacementFault).add(
            spec.PlacementFault(method, path, status, count).validated())

    def request(self, method, path, version='placement 1.39', app=None):
        environ = {'REQUEST_METHOD': method, 'PATH_INFO': path}
        if version:
            environ['HTTP_OPENSTACK_API_VERSION'] = version
        wsgiref.util.setup_testing_defaults(environ)
        answer = {}

        def start_response(status, headers):
            answer['status'], answer['headers'] = status, dict(headers)

        body = b''.join((app or self.wrapped)(environ, start_response))
        return answer['status'], answer['headers'], body

    def test_without_faults_every_request_reaches_placement(self):
        self.assertEqual('204 No Content',
                         self.request('PUT', '/allocations/c1')[0])
        self.assertEqual([('PUT', '/allocations/c1')], self.app.calls)

    def test_a_409_as_placement_answers_a_consumer_generation_conflict(self):
        recorded = json.loads(FIXTURE.read_text())
        self.fault('PUT', '^/allocations/', 409)
        status, headers, body = self.request('PUT', '/allocations/c1')
        self.assertEqual([], self.app.calls)
        self.assertEqual('409 Conflict', status)
        for name, value in recorded['headers'].items():
            self.assertEqual(value, {k.lower(): v for k, v in
                                     headers.items()}[name], name)
        error, = json.loads(body)['errors']
        real, = recorded['body']['errors']
        self.assertEqual(list(real), list(error))
        for key in ('status', 'title', 'code'):
            self.assertEqual(real[key], error[key], key)
        explanation = real['detail'].split('consumer generation conflict')[0]
        self.assertTrue(error['detail'].startswith(
            explanation + 'consumer generation conflict - injected by '
            'tracker_tests (%s)' % self.path), error['detail'])
        self.assertTrue(error['detail'].endswith('  '))
        self.assertRegex(error['request_id'], r'^req-[0-9a-f-]{36}$')
        self.assertEqual(error['request_id'],
                         headers['x-openstack-request-id'])
        self.assertEqual(str(len(body)), headers['Content-Length'])

    def test_the_fault_lasts_count_requests(self):
        self.fault('PUT', '^/allocations/', 409, count=2)
        statuses = [self.request('PUT', '/allocations/c%d' % i)[0][:3]
                    for i in range(3)]
        self.assertEqual(['409', '409', '204'], statuses)
        self.assertEqual([('PUT', '/allocations/c2')], self.app.calls)
        self.assertFalse(os.path.exists(self.path))

    def test_other_methods_and_paths_pass(self):
        self.fault('PUT', r'^/allocations/[^/]+$', 409)
        self.request('GET', '/allocations/c1')
        self.request('PUT', '/resource_providers/rp/allocations')
        self.request('POST', '/allocations')
        self.assertEqual(3, len(self.app.calls))
        self.assertEqual(1, len(spec.FaultFile(
            self.path, spec.PlacementFault).pending()))

    def test_error_codes_follow_the_microversion(self):
        self.fault('POST', '^/allocations$', 409, count=3)
        for version, has_code, echoed in (
                ('placement 1.22', False, 'placement 1.22'),
                (None, False, 'placement 1.0'),
                ('placement latest', True, 'placement latest')):
            status, headers, body = self.request('POST', '/allocations',
                                                 version)
            error, = json.loads(body)['errors']
            self.assertEqual(has_code, 'code' in error, version)
            self.assertEqual(echoed, headers['openstack-api-version'])

    def test_a_delay_holds_the_request_then_placement_serves_it(self):
        spec.FaultFile(self.path, spec.PlacementFault).add(
            spec.PlacementFault('PUT', '^/allocations/', spec.DELAY,
                                seconds=2.5).validated())
        slept = []
        self.patch(middleware.time, 'sleep', slept.append)
        self.assertEqual('204 No Content',
                         self.request('PUT', '/allocations/c1')[0])
        self.assertEqual([2.5], slept)
        self.assertEqual([('PUT', '/allocations/c1')], self.app.calls)
        # Taken before the wait: a test sees it taken while it waits.
        self.assertEqual(
            [], spec.FaultFile(self.path, spec.PlacementFault).pending())
        self.request('PUT', '/allocations/c2')
        self.assertEqual([2.5], slept)

    def test_a_503(self):
        self.fault('GET', '^/resource_providers', 503)
        status, _, body = self.request('GET', '/resource_providers/x')
        self.assertEqual('503 Service Unavailable', status)
        error, = json.loads(body)['errors']
        self.assertEqual((503, 'Service Unavailable',
                          'placement.undefined_code'),
                         (error['status'], error['title'], error['code']))
        self.assertTrue(error['detail'].startswith(
            'The server is currently unavailable.'))

    def test_workers_share_the_fault_file(self):
        # uwsgi runs two Placement workers: each reads the file anew.
        other = middleware.PlacementFaults(self.app, self.path)
        self.fault('DELETE', '^/allocations/', 409, count=3)
        statuses = [self.request('DELETE', '/allocations/c', app=app)[0][:3]
                    for app in (self.wrapped, other, self.wrapped, other)]
        self.assertEqual(['409', '409', '409', '204'], statuses)

    def test_a_broken_fault_file_serves_normally_and_logs(self):
        pathlib.Path(self.path).write_text('not json')
        with self.assertLogs(middleware.LOG, 'ERROR') as logs:
            self.assertEqual('204 No Content',
                             self.request('PUT', '/allocations/c1')[0])
        self.assertTrue(re.search('cannot read the fault file', logs.output[
            0]))
