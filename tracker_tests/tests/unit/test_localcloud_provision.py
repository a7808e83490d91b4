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
"""Unit tests of the local cloud's calls about the computes tests add
(tools/local_cloud/provision.py), against payloads recorded from the
local cloud (fixtures/localcloud/)."""

import json
import pathlib
import sys

import testtools

TOOLS = pathlib.Path(__file__).resolve().parents[3] / 'tools'
sys.path.insert(0, str(TOOLS))

from local_cloud import provision  # noqa: E402

FIXTURES = pathlib.Path(__file__).parent / 'fixtures' / 'localcloud'
NEW_HOST = 'fault-throwaway-p3'
OTHER_HOST = 'fault-throwaway-p1'
NEW_SERVICE = '57fc22ee-0327-4e41-896d-3022b1880e2a'
PROVIDER = '91eca2d5-fe05-42bb-90b6-c9968e6fa781'


def recorded(name):
    return json.loads((FIXTURES / name).read_text())


class FakeResponse:
    """What provision.py reads of a requests.Response."""

    def __init__(self, status, body=None):
        self.status_code = status
        self.ok = status < 400
        self.text = '' if body is None else json.dumps(body)

    def json(self):
        return json.loads(self.text)


class FakeProxy:
    """A service's raw API: answers in turn per (method, path)."""

    def __init__(self, answers):
        self.answers = {key: list(value) for key, value in answers.items()}
        self.calls = []
        self.microversions = {}

    def request(self, path, method, raise_exc=False, **kwargs):
        self.calls.append((method, path, kwargs.get('json')))
        self.microversions[(method, path)] = kwargs.get('microversion')
        queue = self.answers[(method, path)]
        return queue.pop(0) if len(queue) > 1 else queue[0]


class FakeConnection:

    def __init__(self, compute=None, placement=None):
        self.compute = FakeProxy(compute or {})
        self.placement = FakeProxy(placement or {})


SERVICES = ('GET', '/os-services?binary=nova-compute')
PROVIDER_BY_NAME = ('GET', '/resource_providers?name=%s' % NEW_HOST)
TRAITS = ('GET', '/resource_providers/%s/traits' % PROVIDER)


class ProvisionTestCase(testtools.TestCase):

    def connect(self, **answers):
        conn = FakeConnection(**answers)
        self.patch(provision, 'admin_connection', lambda layout, secrets:
                   conn)
        self.patch(provision.time, 'sleep', lambda seconds: None)
        return conn


class EnableNewComputesTest(ProvisionTestCase):

    def test_only_the_hosts_asked_for_are_enabled(self):
        services = recorded('compute_services_with_a_new_one.json')
        # A second compute nova disabled as new, being added meanwhile:
        # not yet in its zone, it stays disabled.
        other = next(s for s in services['services']
                     if s['host'] == OTHER_HOST)
        other.update(status='disabled', disabled_reason=next(
            s for s in services['services']
            if s['host'] == NEW_HOST)['disabled_reason'])
        conn = self.connect(
            compute={SERVICES: [FakeResponse(200, services)],
                     ('PUT', '/os-services/%s' % NEW_SERVICE): [
                         FakeResponse(200, {})]},
            placement={
                PROVIDER_BY_NAME: [
                    FakeResponse(200, recorded(
                        'no_provider_named_after_a_host.json')),
                    FakeResponse(200, recorded(
                        'provider_named_after_a_host.json'))],
                TRAITS: [
                    FakeResponse(200, recorded(
                        'provider_traits_disabled.json')),
                    FakeResponse(200, recorded(
                        'provider_traits_enabled.json'))]})
        provision.enable_new_computes(None, None, [NEW_HOST])
        self.assertEqual(
            [('PUT', '/os-services/%s' % NEW_SERVICE, {'status': 'enabled'})],
            [c for c in conn.compute.calls if c[0] == 'PUT'])
        # Service ids are uuids from 2.53 on.
        self.assertEqual('2.53', conn.compute.microversions[
            ('PUT', '/os-services/%s' % NEW_SERVICE)])
        # Until its provider exists and has lost the disabled trait.
        self.assertEqual(2, conn.placement.calls.count(
            ('GET', TRAITS[1], None)))

    def test_a_trait_that_stays_names_the_host(self):
        self.connect(
            compute={SERVICES: [FakeResponse(
                200, recorded('compute_services_with_a_new_one.json'))],
                ('PUT', '/os-services/%s' % NEW_SERVICE): [
                    FakeResponse(200, {})]},
            placement={PROVIDER_BY_NAME: [FakeResponse(
                200, recorded('provider_named_after_a_host.json'))],
                TRAITS: [FakeResponse(200, recorded(
                    'provider_traits_disabled.json'))]})
        error = self.assertRaises(
            provision.ComputeCallFailed, provision.enable_new_computes,
            None, None, [NEW_HOST], timeout=0)
        self.assertIn('the resource provider of %s still has '
                      'COMPUTE_STATUS_DISABLED' % NEW_HOST, str(error))

    def test_a_refused_enable_names_the_call(self):
        self.connect(compute={
            SERVICES: [FakeResponse(
                200, recorded('compute_services_with_a_new_one.json'))],
            ('PUT', '/os-services/%s' % NEW_SERVICE): [FakeResponse(
                403, {'forbidden': {'code': 403, 'message': 'Policy'}})]})
        error = self.assertRaises(
            provision.ComputeCallFailed, provision.enable_new_computes,
            None, None, [NEW_HOST])
        self.assertIn('enabling the compute service of %s: PUT '
                      '/os-services/%s answered 403' % (NEW_HOST,
                                                        NEW_SERVICE),
                      str(error))


class DeleteComputeTest(ProvisionTestCase):

    SERVICE = ('GET', '/os-services?binary=nova-compute&host=%s' % NEW_HOST)
    DELETE_SERVICE = ('DELETE', '/os-services/%s' % NEW_SERVICE)
    DELETE_PROVIDER = ('DELETE', '/resource_providers/%s' % PROVIDER)

    def services(self):
        body = recorded('compute_services_with_a_new_one.json')
        body['services'] = [s for s in body['services']
                            if s['host'] == NEW_HOST]
        return FakeResponse(200, body)

    def test_a_service_hosting_servers_is_kept_naming_why(self):
        self.connect(compute={
            self.SERVICE: [self.services()],
            self.DELETE_SERVICE: [FakeResponse(409, recorded(
                'service_delete_hosting_instances.json'))]})
        error = self.assertRaises(provision.ComputeRemovalRefused,
                                  provision.delete_compute, None, None,
                                  NEW_HOST)
        self.assertIn('nova refuses to delete the compute service of %s'
                      % NEW_HOST, str(error))
        self.assertIn('hosting instances', str(error))

    def test_a_provider_nova_left_in_use_names_its_consumers(self):
        allocations = recorded('provider_allocations.json')
        self.connect(
            compute={self.SERVICE: [self.services()],
                     self.DELETE_SERVICE: [FakeResponse(204)]},
            placement={
                ('GET', '/resource_providers?name=%s' % NEW_HOST): [
                    FakeResponse(200, recorded(
                        'provider_named_after_a_host.json'))],
                self.DELETE_PROVIDER: [FakeResponse(409, recorded(
                    'provider_delete_in_use.json'))],
                ('GET', '/resource_providers/%s/allocations' % PROVIDER): [
                    FakeResponse(200, allocations)]})
        error = self.assertRaises(provision.ComputeRemovalRefused,
                                  provision.delete_compute, None, None,
                                  NEW_HOST)
        self.assertIn('Placement keeps the resource provider %s of %s: '
                      'consumers %s hold allocations there' % (
                          PROVIDER, NEW_HOST,
                          ', '.join(sorted(allocations['allocations']))),
                      str(error))

    def test_a_provider_nova_deleted_is_not_touched(self):
        conn = self.connect(
            compute={self.SERVICE: [self.services()],
                     self.DELETE_SERVICE: [FakeResponse(204)]},
            placement={('GET', '/resource_providers?name=%s' % NEW_HOST): [
                FakeResponse(200, recorded(
                    'no_provider_named_after_a_host.json'))]})
        provision.delete_compute(None, None, NEW_HOST)
        self.assertEqual([self.DELETE_SERVICE + (None,)],
                         [c for c in conn.compute.calls
                          if c[0] == 'DELETE'])
        self.assertEqual('2.53',
                         conn.compute.microversions[self.DELETE_SERVICE])
        self.assertEqual([], [c for c in conn.placement.calls
                              if c[0] == 'DELETE'])
