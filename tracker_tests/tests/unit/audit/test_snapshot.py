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

"""What collect() reads, and how a scope limits reads and reports."""

import testtools

from tracker_tests.audit import checks
from tracker_tests.audit import snapshot
from tracker_tests.tests.unit.audit import fakes


def provider_reads(reader):
    """Provider uuids whose inventories or allocations were read."""
    return {path.split('/')[2] for service, path, _ in reader.requests
            if service == 'placement' and path.count('/') == 3 and
            path.startswith('/resource_providers/')}


def uuid_of(reader, host):
    for rp in reader.body('placement', '/resource_providers')[
            'resource_providers']:
        if rp['name'] == host:
            return rp['uuid']
    raise AssertionError('no provider %s' % host)


class TestCollectEverything(testtools.TestCase):

    def test_reads_every_provider_and_parses_real_payloads(self):
        reader = fakes.FixtureReader('servers_active')
        snap = snapshot.collect(reader)
        self.assertEqual({'compute1', 'compute2', 'compute3'},
                         {p.name for p in snap.providers.values()})
        self.assertEqual(set(snap.providers), snap.whole_providers)
        self.assertEqual(set(snap.providers), provider_reads(reader))
        self.assertEqual(set(snap.hypervisors), snap.compute_node_providers)
        server = snap.servers[reader.notes['server']]
        self.assertEqual(('ACTIVE', 'active', None, 'compute1', 'compute1'),
                         (server.status, server.vm_state, server.task_state,
                          server.host, server.node))
        self.assertEqual((1, 128, 1, 0, 0, 'tracker.small'),
                         (server.flavor.vcpus, server.flavor.ram,
                          server.flavor.disk, server.flavor.ephemeral,
                          server.flavor.swap, server.flavor.original_name))
        self.assertFalse(server.volume_backed)
        compute1 = uuid_of(reader, 'compute1')
        self.assertEqual({'VCPU': 1, 'MEMORY_MB': 128, 'DISK_GB': 1},
                         snap.allocations[compute1][server.id].resources)
        self.assertIsNotNone(
            snap.allocations[compute1][server.id].consumer_generation)
        hypervisor = snap.hypervisors[compute1]
        inventory = snap.inventories[compute1]['MEMORY_MB']
        # The FakeDriver's figures include the reserved memory.
        self.assertEqual(hypervisor.memory_mb_used - inventory.reserved,
                         snap.usages[compute1]['MEMORY_MB'])
        self.assertEqual({'compute1', 'compute2', 'compute3'},
                         {s.host for s in snap.services.values()})

    def test_uses_the_documented_microversions(self):
        reader = fakes.FixtureReader('servers_active')
        snapshot.collect(reader)
        versions = {(service, path.split('?')[0].split('/')[1]): mv
                    for service, path, mv in reader.requests}
        self.assertEqual('2.87', versions['compute', 'os-hypervisors'])
        self.assertEqual('2.69', versions['compute', 'servers'])
        self.assertEqual('2.59', versions['compute', 'os-migrations'])
        self.assertEqual('2.53', versions['compute', 'os-services'])
        self.assertEqual('1.28',
                         versions['placement', 'resource_providers'])

    def test_bounded_pool_of_one_worker_reads_the_same(self):
        one = snapshot.collect(fakes.FixtureReader('servers_active'),
                               max_workers=1)
        many = snapshot.collect(fakes.FixtureReader('servers_active'),
                                max_workers=8)
        self.assertEqual(many.allocations, one.allocations)
        self.assertEqual(many.servers, one.servers)

    def test_progress_is_reported_per_provider(self):
        calls = []
        snapshot.collect(fakes.FixtureReader('servers_active'),
                         progress=lambda done, total: calls.append(
                             (done, total)))
        self.assertEqual([(1, 3), (2, 3), (3, 3)], calls)


class TestHostScope(testtools.TestCase):

    def test_reads_and_reports_only_that_host(self):
        reader = fakes.FixtureReader('orphan_planted')
        compute1 = uuid_of(reader, 'compute1')
        scope = snapshot.Scope(hosts={'compute1'})
        snap = snapshot.collect(reader, scope)
        self.assertEqual({compute1}, provider_reads(reader))
        self.assertEqual({compute1}, snap.whole_providers)
        self.assertIn(('compute', '/servers/detail?all_tenants=1&'
                       'host=compute1', '2.69'), reader.requests)
        self.assertNotIn(('compute', '/servers/detail?all_tenants=1',
                          '2.69'), reader.requests)
        findings = checks.run_checks(snap)
        self.assertEqual({'compute1'}, {f.host for f in findings})
        self.assertEqual([reader.notes['orphan']], [
            f.consumer for f in findings if f.kind == 'orphan_allocation'])

    def test_orphan_of_another_host_is_not_reported(self):
        reader = fakes.FixtureReader('orphan_planted')
        scope = snapshot.Scope(hosts={'compute2'})
        self.assertEqual([], checks.run_checks(snapshot.collect(
            reader, scope)))

    def test_server_of_another_host_on_the_scoped_host_is_looked_up(self):
        # The server runs on compute1 and also holds compute2; a compute2
        # audit lists no such server, so it looks it up by id.
        reader = fakes.FixtureReader('wrong_provider')
        server = reader.notes['server']
        snap = snapshot.collect(reader, snapshot.Scope(hosts={'compute2'}))
        self.assertIn(('compute', '/servers/%s' % server, '2.69'),
                      reader.requests)
        # The usage_mismatch its extra allocation makes on compute2 is
        # tested elsewhere.
        findings = checks.run_checks(snap, ['wrong_provider',
                                            'orphan_allocation'])
        self.assertEqual([('wrong_provider', server, 'compute2')],
                         [(f.kind, f.consumer, f.host) for f in findings])


class TestServerAndConsumerScope(testtools.TestCase):

    def test_server_scope_reads_no_provider_allocations(self):
        reader = fakes.FixtureReader('missing_allocation')
        server = reader.notes['server']
        snap = snapshot.collect(reader, snapshot.Scope(server_ids={server}))
        self.assertEqual(set(), provider_reads(reader))
        self.assertEqual([server], list(snap.servers))
        self.assertIn(('placement', '/allocations/%s' % server, '1.28'),
                      reader.requests)
        self.assertEqual([('missing_allocation', server)],
                         [(f.kind, f.consumer)
                          for f in checks.run_checks(snap)])

    def test_server_scope_sees_its_migrations_allocations(self):
        reader = fakes.FixtureReader('stale_migration')
        snap = snapshot.collect(reader, snapshot.Scope(
            server_ids={reader.notes['server']}))
        self.assertEqual(
            [('stale_migration_allocation', reader.notes['migration'])],
            [(f.kind, f.consumer) for f in checks.run_checks(snap)])

    def test_consumer_scope_reports_only_that_consumer(self):
        reader = fakes.FixtureReader('orphan_planted')
        orphan = reader.notes['orphan']
        snap = snapshot.collect(reader, snapshot.Scope(
            consumer_ids={orphan}))
        self.assertEqual(set(), provider_reads(reader))
        self.assertEqual([('orphan_allocation', orphan)],
                         [(f.kind, f.consumer)
                          for f in checks.run_checks(snap)])

    def test_deleted_server_in_scope_is_not_an_error(self):
        reader = fakes.FixtureReader('orphan_planted')
        # A scoped server id that Nova does not know (a deleted server):
        # recorded as the orphan's GET /servers/{id} answering 404.
        orphan = reader.notes['orphan']
        snap = snapshot.collect(reader, snapshot.Scope(server_ids={orphan}))
        self.assertEqual({}, snap.servers)
        self.assertEqual(['orphan_allocation'],
                         [f.kind for f in checks.run_checks(snap)])
