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

"""The API reads: paging, and validation of every recorded payload.

The validation tests start from payloads recorded on the local cloud and
remove, rename or retype the one field that the test is about.
"""

import copy
import importlib

import testtools

from tracker_tests.audit import api
from tracker_tests.audit import reader
from tracker_tests.audit import snapshot
from tracker_tests.tests.unit.audit import fakes

#: Recorded request -> the read that makes it.
READS_BY_PREFIX = (
    ('placement /resource_providers?', api.RESOURCE_PROVIDERS),
    ('placement /allocations/', api.CONSUMER_ALLOCATIONS),
    ('compute /os-hypervisors/detail', api.HYPERVISORS),
    ('compute /os-services', api.COMPUTE_SERVICES),
    ('compute /servers/detail?all_tenants=1&changes-since',
     api.DELETED_SERVERS),
    ('compute /servers/detail', api.SERVERS),
    ('compute /servers/', api.SERVER),
    ('compute /os-migrations', api.MIGRATIONS),
)


def read_of(key):
    if key == 'placement /resource_providers':
        return api.RESOURCE_PROVIDERS
    if key.endswith('/inventories'):
        return api.PROVIDER_INVENTORIES
    if key.startswith('placement /resource_providers/'):
        return api.PROVIDER_ALLOCATIONS
    for prefix, read in READS_BY_PREFIX:
        if key.startswith(prefix):
            return read
    raise AssertionError('no read makes %s' % key)


class TestRecordedPayloadsAreValid(testtools.TestCase):

    def test_every_recorded_answer_fits_its_schema(self):
        checked = set()
        for name in fakes.fixture_names():
            for key, answer in fakes.load(name)['responses'].items():
                if answer['status'] != 200:
                    continue
                read = read_of(key)
                read.validate(key.split(' ', 1)[1], answer['body'])
                checked.add(read.name)
        self.assertEqual({r.name for _, r in READS_BY_PREFIX} | {
            api.PROVIDER_INVENTORIES.name, api.PROVIDER_ALLOCATIONS.name},
            checked)


class TestQuickChecks(testtools.TestCase):
    """A quick check accepts only what its schema accepts."""

    READS = (api.PROVIDER_ALLOCATIONS, api.PROVIDER_INVENTORIES,
             api.CONSUMER_ALLOCATIONS)

    def recorded(self):
        for name in fakes.fixture_names():
            for key, answer in fakes.load(name)['responses'].items():
                read = read_of(key)
                if answer['status'] == 200 and read in self.READS:
                    yield read, answer['body']

    def schema_accepts(self, read, body):
        return not list(read.validator.iter_errors(body))

    def test_every_recorded_answer_passes_the_quick_check(self):
        seen = set()
        for read, body in self.recorded():
            self.assertTrue(read.quick_check(body), body)
            seen.add(read.name)
        self.assertEqual({read.name for read in self.READS}, seen)

    def test_broken_answers_fail_the_quick_check_and_the_schema(self):
        def breakages(body):
            """Copies of body with one value broken, deep inside too."""
            if isinstance(body, dict):
                for key, value in body.items():
                    for broken in ('x', -1, True, None, 1.5, []):
                        yield dict(body, **{key: broken})
                    yield {k: v for k, v in body.items() if k != key}
                    for deeper in breakages(value):
                        yield dict(body, **{key: deeper})
        checked = 0
        for read, body in self.recorded():
            for broken in breakages(body):
                if read.quick_check(broken):
                    self.assertTrue(self.schema_accepts(read, broken),
                                    broken)
                    checked += 1
                elif not self.schema_accepts(read, broken):
                    checked += 1
        self.assertGreater(checked, 100)


class TestTempestSchemas(testtools.TestCase):

    def test_each_read_uses_the_schema_tempests_client_picks(self):
        for name, (client, microversion, module) in (
                api.TEMPEST_SCHEMAS.items()):
            path, _, class_name = client.rpartition('.')
            client_class = getattr(importlib.import_module(path), class_name)
            self.assertEqual(module, api._tempest_schema(
                client_class, microversion).__name__, name)


class TestInvalidPayloads(testtools.TestCase):
    """A changed field is an error naming service, path, version, field."""

    def setUp(self):
        super().setUp()
        self.recorded = fakes.FixtureReader('verify_resize')

    def invalid(self, service_type, path, read, change, params=None,
                **ids):
        body = self.recorded.body(service_type, path)
        change(body)
        error = self.assertRaises(
            api.InvalidResponse, api.get, self.recorded, read, params,
            **ids)
        self.assertIsInstance(error, reader.ReaderError)
        self.assertNotIn('\n', str(error))
        return error

    def test_missing_hypervisor_field(self):
        error = self.invalid(
            'compute', '/os-hypervisors/detail', api.HYPERVISORS,
            lambda body: body['hypervisors'][1].pop('vcpus_used'))
        self.assertEqual(('compute', '/os-hypervisors/detail', '2.87',
                          'hypervisors[1].vcpus_used'),
                         (error.service_type, error.path,
                          error.microversion, error.field))
        self.assertEqual(
            'compute: GET /os-hypervisors/detail at microversion 2.87 '
            'answered an unexpected shape: field hypervisors[1].vcpus_used: '
            'missing', str(error))

    def test_a_compute_node_record_just_created_is_valid(self):
        # Edited from a recording: the fields Nova fills at the end of the
        # node's first resource update are null before it (seen in CI).
        body = self.recorded.body('compute', '/os-hypervisors/detail')
        fakes.before_first_update(body['hypervisors'][1])
        hypervisors = api.get(self.recorded, api.HYPERVISORS)['hypervisors']
        self.assertIsNone(hypervisors[1]['running_vms'])

    def test_a_nullable_hypervisor_field_of_the_wrong_type(self):
        error = self.invalid(
            'compute', '/os-hypervisors/detail', api.HYPERVISORS,
            lambda body: body['hypervisors'][0].update(current_workload='1'))
        # The integer the null was added to is what it names.
        self.assertEqual(('hypervisors[0].current_workload',
                          "'1' is not of type 'integer'"),
                         (error.field, error.detail))

    def test_renamed_hypervisor_field(self):
        def rename(body):
            hypervisor = body['hypervisors'][0]
            hypervisor['vcpus_in_use'] = hypervisor.pop('vcpus_used')
        error = self.invalid('compute', '/os-hypervisors/detail',
                             api.HYPERVISORS, rename)
        # The field the audit reads is named, not the new one.
        self.assertEqual(('hypervisors[0].vcpus_used', 'missing'),
                         (error.field, error.detail))

    def test_missing_admin_field_of_a_server(self):
        # tempest's schema leaves the host optional (a non-admin does not
        # see it); the audit cannot place a server without it.
        error = self.invalid(
            'compute', '/servers/detail?all_tenants=1', api.SERVERS,
            lambda body: body['servers'][0].pop('OS-EXT-SRV-ATTR:host'),
            params={'all_tenants': '1'})
        self.assertEqual('servers[0].OS-EXT-SRV-ATTR:host', error.field)
        self.assertEqual('/servers/detail?all_tenants=1', error.path)

    def test_retyped_embedded_flavor_field(self):
        def retype(body):
            body['server']['flavor']['vcpus'] = '2'
        server = self.recorded.notes['server']
        error = self.invalid('compute', '/servers/%s' % server, api.SERVER,
                             retype, server_id=server)
        self.assertEqual('server.flavor.vcpus', error.field)
        self.assertIn("'2' is not of type 'integer'", error.detail)

    def test_a_down_cells_server_is_valid_with_its_few_fields(self):
        body = self.recorded.body('compute', '/servers/detail?all_tenants=1')
        body['servers'][0] = {
            'id': body['servers'][0]['id'], 'status': 'UNKNOWN',
            'tenant_id': body['servers'][0]['tenant_id'],
            'created': body['servers'][0]['created'], 'links': []}
        servers = snapshot.read_servers(self.recorded)
        self.assertEqual('UNKNOWN', servers[0].status)
        self.assertIsNone(servers[0].flavor)

    def test_missing_migration_uuid(self):
        error = self.invalid(
            'compute', '/os-migrations', api.MIGRATIONS,
            lambda body: body['migrations'][0].pop('uuid'))
        self.assertEqual(('migrations[0].uuid', '2.59'),
                         (error.field, error.microversion))

    def test_missing_forced_down(self):
        self.recorded.body('compute', '/os-services?binary=nova-compute')[
            'services'][0].pop('forced_down')
        error = self.assertRaises(api.InvalidResponse,
                                  snapshot.read_compute_services,
                                  self.recorded)
        self.assertEqual('services[0].forced_down', error.field)

    def test_missing_allocation_resources(self):
        provider = next(
            key.split('/')[2] for key in sorted(self.recorded.responses)
            if key.endswith('/allocations') and 'resource_providers' in key and
            self.recorded.responses[key]['body']['allocations'])
        path = '/resource_providers/%s/allocations' % provider

        def drop(body):
            consumer = sorted(body['allocations'])[0]
            body['allocations'][consumer]['resource'] = (
                body['allocations'][consumer].pop('resources'))
        error = self.invalid('placement', path, api.PROVIDER_ALLOCATIONS,
                             drop, uuid=provider)
        self.assertEqual('1.28', error.microversion)
        self.assertTrue(error.field.endswith('.resources'), error.field)

    def test_missing_root_provider_uuid(self):
        error = self.invalid(
            'placement', '/resource_providers', api.RESOURCE_PROVIDERS,
            lambda body: body['resource_providers'][0].pop(
                'root_provider_uuid'))
        self.assertEqual('resource_providers[0].root_provider_uuid',
                         error.field)

    def test_negative_inventory(self):
        key = next(k for k in self.recorded.responses
                   if k.endswith('/inventories'))
        provider = key.split('/')[2]

        def negative(body):
            body['inventories']['VCPU']['reserved'] = -1
        error = self.invalid('placement', key.split(' ', 1)[1],
                             api.PROVIDER_INVENTORIES, negative,
                             uuid=provider)
        self.assertEqual('inventories.VCPU.reserved', error.field)

    def test_a_collect_of_an_invalid_cloud_fails_instead_of_skipping(self):
        self.recorded.body('compute', '/os-hypervisors/detail')[
            'hypervisors'][0].pop('memory_mb_used')
        self.assertRaises(api.InvalidResponse, snapshot.collect,
                          self.recorded)


class TestGetAll(testtools.TestCase):

    def test_follows_recorded_next_links_to_the_end(self):
        recorded = fakes.FixtureReader('paging')
        hypervisors = api.get_all(recorded, api.HYPERVISORS, {'limit': 1})
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
        # A misbehaving proxy answering the same next link forever.
        page = fakes.FixtureReader('paging').body(
            'compute', '/os-hypervisors/detail?limit=1')
        page['hypervisors_links'] = [{
            'rel': 'next', 'href': 'http://x/os-hypervisors/detail?m=1'}]

        class Looping:
            calls = 0

            def get(self, service_type, path, microversion=None):
                self.calls += 1
                return copy.deepcopy(page)
        looping = Looping()
        hypervisors = api.get_all(looping, api.HYPERVISORS)
        self.assertEqual(2, looping.calls)
        self.assertEqual(2, len(hypervisors))

    def test_keeps_the_given_path_and_only_takes_the_link_query(self):
        migrations = fakes.FixtureReader('stale_migration').body(
            'compute', '/os-migrations')

        class Proxied:
            def __init__(self):
                self.paths = []

            def get(self, service_type, path, microversion=None):
                self.paths.append(path)
                body = copy.deepcopy(migrations)
                if len(self.paths) == 1:
                    body['migrations_links'] = [{
                        'rel': 'next', 'href': 'https://public.example/'
                        'compute/v2.1/os-migrations?host=c1&marker=u1'}]
                else:
                    body['migrations'] = []
                return body
        proxied = Proxied()
        api.get_all(proxied, api.MIGRATIONS, {'host': 'c1'})
        self.assertEqual(['/os-migrations?host=c1',
                          '/os-migrations?host=c1&marker=u1'], proxied.paths)
