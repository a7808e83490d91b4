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

"""Every finding kind, and no finding for legitimate transient states.

Most cases are cloud states recorded by tools/record-audit-fixtures. A few
states cannot be made on a shared cloud without stopping a compute or
breaking a hypervisor record; those tests start from a recording and edit
the one field that makes the state, and say so.
"""

import datetime

import testtools

from tracker_tests.audit import checks
from tracker_tests.audit import lookups
from tracker_tests.audit import snapshot
from tracker_tests.tests.unit.audit import fakes


def run(reader, scope=None, kinds=None):
    return checks.run_checks(snapshot.collect(reader, scope), kinds)


def of_kind(findings, kind):
    return [f for f in findings if f.kind == kind]


class TestRecordedFindings(testtools.TestCase):

    def test_clean_recording_has_no_finding(self):
        self.assertEqual([], run(fakes.FixtureReader('servers_active')))

    def test_orphan_allocation(self):
        reader = fakes.FixtureReader('orphan_planted')
        notes = reader.notes
        orphans = of_kind(run(reader), 'orphan_allocation')
        self.assertEqual(1, len(orphans), orphans)
        orphan = orphans[0]
        self.assertEqual(
            (notes['orphan'], notes['provider'], 'compute1', 'error'),
            (orphan.consumer, orphan.provider, orphan.host, orphan.severity))
        self.assertEqual({'VCPU': 1, 'MEMORY_MB': 128, 'DISK_GB': 1},
                         orphan.actual)
        self.assertIn('neither a server nor a migration', orphan.explanation)
        self.assertEqual('openstack resource provider allocation delete %s'
                         % notes['orphan'], orphan.remedy)

    def test_orphan_shows_as_usage_mismatch_on_its_provider(self):
        # The compute does not count the planted consumer; Placement does.
        reader = fakes.FixtureReader('orphan_planted')
        mismatches = of_kind(run(reader), 'usage_mismatch')
        self.assertEqual(
            {'VCPU': 1, 'MEMORY_MB': 128, 'DISK_GB': 1},
            {f.resource_class: f.expected - f.actual for f in mismatches})
        self.assertEqual({reader.notes['provider']},
                         {f.provider for f in mismatches})
        self.assertTrue(all(f.severity == 'warning' for f in mismatches))

    def test_missing_allocation(self):
        reader = fakes.FixtureReader('missing_allocation')
        server = reader.notes['server']
        missing = of_kind(run(reader), 'missing_allocation')
        self.assertEqual([server], [f.consumer for f in missing])
        self.assertEqual({'VCPU': 1, 'MEMORY_MB': 128, 'DISK_GB': 1},
                         missing[0].expected)
        self.assertEqual('compute1', missing[0].host)
        self.assertEqual('nova-manage placement heal_allocations --instance '
                         '%s' % server, missing[0].remedy)

    def test_allocation_mismatch(self):
        reader = fakes.FixtureReader('allocation_mismatch')
        findings = run(reader)
        mismatches = of_kind(findings, 'allocation_mismatch')
        self.assertEqual(
            [(reader.notes['server'], 'MEMORY_MB', 128, 192)],
            [(f.consumer, f.resource_class, f.expected, f.actual)
             for f in mismatches])
        self.assertTrue(mismatches[0].remedy.endswith('--force'))
        self.assertEqual([], of_kind(findings, 'wrong_provider'))

    def test_wrong_provider(self):
        reader = fakes.FixtureReader('wrong_provider')
        findings = run(reader)
        wrong = of_kind(findings, 'wrong_provider')
        self.assertEqual(
            [(reader.notes['server'], reader.notes['provider'], 'compute2')],
            [(f.consumer, f.provider, f.host) for f in wrong])
        # It still holds its flavor on its own node: unset, no heal.
        self.assertEqual(
            'openstack --os-placement-api-version 1.28 resource provider '
            'allocation unset --provider %s %s' % (
                reader.notes['provider'], reader.notes['server']),
            wrong[0].remedy)
        self.assertEqual([], of_kind(findings, 'orphan_allocation'))
        self.assertEqual([], of_kind(findings, 'allocation_mismatch'))

    def test_wrong_provider_without_allocation_on_own_node_adds_heal(self):
        # Derived: the recorded compute1 part of the allocation is dropped,
        # so the server holds its flavor on compute2 only.
        reader = fakes.FixtureReader('wrong_provider')
        server = reader.notes['server']
        own = fakes.hypervisor_named(reader, 'compute1')['id']
        del reader.body('placement', '/resource_providers/%s/allocations'
                        % own)['allocations'][server]
        wrong = of_kind(run(reader), 'wrong_provider')
        self.assertEqual(1, len(wrong))
        self.assertTrue(wrong[0].remedy.endswith(
            '&& nova-manage placement heal_allocations --instance %s'
            % server), wrong[0].remedy)

    def test_stale_migration_allocation(self):
        reader = fakes.FixtureReader('stale_migration')
        findings = run(reader)
        stale = of_kind(findings, 'stale_migration_allocation')
        self.assertEqual(
            [(reader.notes['migration'], reader.notes['provider'])],
            [(f.consumer, f.provider) for f in stale])
        self.assertIn('confirmed', stale[0].explanation)
        self.assertEqual([], of_kind(findings, 'orphan_allocation'))


SHARING_LIST = 'placement /resource_providers?required=%s' % (
    lookups.SHARING_TRAIT)


def add_provider(reader, uuid, name, traits=(), consumers=None):
    """Derived: a root provider added to a recording, with its allocations.

    ``consumers`` maps consumer -> resources. The provider is listed with
    the COMPUTE_NODE and sharing traits it is given; the answer to the
    sharing providers' list is written when the recording lacks it (the
    local cloud has no sharing provider, so a recording lists none).
    """
    reader.body('placement', '/resource_providers')[
        'resource_providers'].append({
            'uuid': uuid, 'name': name, 'generation': 1,
            'root_provider_uuid': uuid, 'parent_provider_uuid': None})
    reader.responses.setdefault(SHARING_LIST, {
        'status': 200, 'body': {'resource_providers': []}})
    for trait, key in ((lookups.COMPUTE_NODE_TRAIT,
                        'placement /resource_providers?required='
                        'COMPUTE_NODE'),
                       (lookups.SHARING_TRAIT, SHARING_LIST)):
        if trait in traits:
            reader.responses[key]['body']['resource_providers'].append(
                {'uuid': uuid, 'name': name, 'generation': 1,
                 'root_provider_uuid': uuid, 'parent_provider_uuid': None})
    reader.responses['placement /resource_providers/%s/inventories'
                     % uuid] = {'status': 200, 'body': {
                         'resource_provider_generation': 1,
                         'inventories': {'DISK_GB': {
                             'total': 1000, 'reserved': 0,
                             'allocation_ratio': 1.0, 'min_unit': 1,
                             'max_unit': 1000, 'step_size': 1}}}}
    reader.responses['placement /resource_providers/%s/allocations'
                     % uuid] = {'status': 200, 'body': {
                         'resource_provider_generation': 1,
                         'allocations': {
                             consumer: {'resources': resources,
                                        'consumer_generation': 1}
                             for consumer, resources in (
                                 consumers or {}).items()}}}


class TestOrphansOnEveryProvider(testtools.TestCase):
    """Orphans outside compute trees, as nova-manage placement audit sees.

    Derived from orphan_planted: providers of each kind are added with an
    orphan each (the shared local cloud has no sharing provider and must
    keep no stray provider).
    """

    SHARING = '0f5e3f1a-6a47-4c1d-9d1e-2b8b7f6d5a01'
    LEFT = '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d'
    OUTSIDE = '2b3c4d5e-6f7a-4b9c-8d1e-2f3a4b5c6d7e'
    ORPHANS = {SHARING: '9d1b3c5e-1111-4a2b-8c3d-4e5f6a7b8c9d',
               LEFT: '9d1b3c5e-2222-4a2b-8c3d-4e5f6a7b8c9d',
               OUTSIDE: '9d1b3c5e-3333-4a2b-8c3d-4e5f6a7b8c9d'}

    def setUp(self):
        super().setUp()
        self.reader = fakes.FixtureReader('orphan_planted')
        self.server = self.reader.notes['server']
        add_provider(self.reader, self.SHARING, 'shared-disk',
                     [lookups.SHARING_TRAIT], {
                         self.ORPHANS[self.SHARING]: {'DISK_GB': 5},
                         # A server's disk on shared storage: legitimate.
                         self.server: {'DISK_GB': 1}})
        add_provider(self.reader, self.LEFT, 'compute9',
                     [lookups.COMPUTE_NODE_TRAIT],
                     {self.ORPHANS[self.LEFT]: {'VCPU': 1}})
        add_provider(self.reader, self.OUTSIDE, 'bench-provider', (),
                     {self.ORPHANS[self.OUTSIDE]: {'MEMORY_MB': 64}})

    def test_an_orphan_on_each_kind_of_provider_names_the_kind(self):
        orphans = {f.provider: f for f in of_kind(
            run(self.reader), 'orphan_allocation')}
        self.assertEqual(
            {self.reader.notes['provider']: self.reader.notes['orphan'],
             self.SHARING: self.ORPHANS[self.SHARING],
             self.LEFT: self.ORPHANS[self.LEFT],
             self.OUTSIDE: self.ORPHANS[self.OUTSIDE]},
            {provider: f.consumer for provider, f in orphans.items()})
        self.assertIn('on compute node compute1 (%s)'
                      % self.reader.notes['provider'],
                      orphans[self.reader.notes['provider']].explanation)
        self.assertIn('on sharing provider shared-disk (%s)' % self.SHARING,
                      orphans[self.SHARING].explanation)
        self.assertIn('has the COMPUTE_NODE trait but no compute node',
                      orphans[self.LEFT].explanation)
        self.assertIn("outside every compute node's tree",
                      orphans[self.OUTSIDE].explanation)
        # Hosts: the compute node's, the node name of a provider left by a
        # compute node, none for the others.
        self.assertEqual(
            ('compute1', None, 'compute9', None),
            (orphans[self.reader.notes['provider']].host,
             orphans[self.SHARING].host, orphans[self.LEFT].host,
             orphans[self.OUTSIDE].host))
        for provider, consumer in self.ORPHANS.items():
            self.assertEqual('openstack resource provider allocation '
                             'delete %s' % consumer,
                             orphans[provider].remedy)

    def test_the_sharing_list_is_read_only_for_orphans_outside_trees(self):
        run(self.reader)
        self.assertIn(('placement', SHARING_LIST.split(' ', 1)[1], '1.28'),
                      self.reader.requests)
        clean = fakes.FixtureReader('servers_active')
        run(clean)
        self.assertNotIn(SHARING_LIST.split(' ', 1)[1],
                         [path for _, path, _ in clean.requests])

    def test_migration_on_a_sharing_provider_is_no_orphan(self):
        # A move in progress holds the source's shared disk under the
        # migration's uuid.
        migration = fakes.load('verify_resize')['responses'][
            'compute /os-migrations']['body']['migrations'][0]
        migration.update({'uuid': self.ORPHANS[self.SHARING],
                          'instance_uuid': self.server,
                          'status': 'migrating'})
        self.reader.body('compute', '/os-migrations')['migrations'].append(
            migration)
        self.assertNotIn(self.SHARING, [
            f.provider for f in run(self.reader, kinds=['orphan_allocation'])])


class TestOneReadIsConclusive(testtools.TestCase):
    """Which findings one read confirms (lookups.py's doubt rules).

    Derived from recordings: deleted servers are added to the deleted
    servers' listing, and records' times are moved.
    """

    def setUp(self):
        super().setUp()
        self.reader = fakes.FixtureReader('orphan_planted')
        self.orphan = self.reader.notes['orphan']
        self.reference = max(
            snapshot.parse_time(s['updated_at']) for s in self.reader.body(
                'compute', '/os-services?binary=nova-compute')['services'])

    def delete_server(self, server_id, seconds_ago):
        key = [k for k in self.reader.responses if 'deleted=true' in k][0]
        when = (self.reference - datetime.timedelta(
            seconds=seconds_ago)).isoformat()
        self.reader.responses[key]['body']['servers'].append({
            'id': server_id, 'name': 'deleted-one', 'status': 'DELETED',
            'updated': when + 'Z', 'OS-SRV-USG:terminated_at': when,
            'tenant_id': 'p1', 'OS-EXT-SRV-ATTR:host': 'compute1'})

    def examine(self, kinds=('orphan_allocation',)):
        findings, doubts = checks.examine(snapshot.collect(self.reader),
                                          kinds)
        return {f.consumer: f for f in findings}, doubts

    def test_a_consumer_nova_never_knew_is_a_confirmed_orphan(self):
        findings, doubts = self.examine()
        self.assertEqual([self.orphan], list(findings))
        self.assertEqual({}, doubts)

    def test_a_server_deleted_earlier_is_a_leak_saying_when(self):
        self.delete_server(self.orphan, 600)
        findings, doubts = self.examine()
        self.assertIn('is server %s (deleted-one), which Nova deleted at '
                      '2026-11-21 12:37:08 UTC, 10 min before the read'
                      % self.orphan, findings[self.orphan].explanation)
        self.assertEqual({}, doubts)

    def test_a_server_deleted_moments_ago_is_clean_up_in_flight(self):
        self.delete_server(self.orphan, 20)
        findings, _ = self.examine()
        self.assertEqual({}, findings)

    def test_an_unknown_consumer_is_in_doubt_after_a_recent_deletion(self):
        # Nova deleted that server's migrations with it: the consumer may
        # be one of them, freed any moment now.
        self.delete_server('7d2f5a8e-1c3b-4e6a-9f0d-2b4c6e8a0c1e', 20)
        findings, doubts = self.examine()
        self.assertEqual([self.orphan], list(findings))
        self.assertIn('was deleted 20 s before the read began',
                      doubts[findings[self.orphan].key])

    def test_a_server_changed_before_the_read_is_conclusive(self):
        reader = fakes.FixtureReader('missing_allocation')
        server_id = reader.notes['server']
        findings, doubts = checks.examine(snapshot.collect(reader),
                                          ['missing_allocation'])
        self.assertIn('server %s changed' % server_id,
                      doubts[findings[0].key])
        reader = fakes.FixtureReader('missing_allocation')
        for body in (reader.body('compute', path) for path in (
                '/servers/detail?all_tenants=1',)):
            for server in body['servers']:
                if server['id'] == server_id:
                    server['updated'] = '2026-11-21T10:00:00Z'
        findings, doubts = checks.examine(snapshot.collect(reader),
                                          ['missing_allocation'])
        self.assertEqual([server_id], [f.consumer for f in findings])
        self.assertEqual({}, doubts)

    def test_provider_list_races_are_always_re_read(self):
        hypervisors = self.reader.body('compute', '/os-hypervisors/detail')
        hypervisors['hypervisors'].remove(
            fakes.hypervisor_named(self.reader, 'compute3'))
        findings, doubts = checks.examine(
            snapshot.collect(self.reader), ['provider_without_compute_node'])
        self.assertEqual(lookups.PROVIDER_LIST_RACE,
                         doubts[findings[0].key])


class TestDerivedFindings(testtools.TestCase):
    """States made by editing one field of a clean recording."""

    def setUp(self):
        super().setUp()
        self.reader = fakes.FixtureReader('servers_active')

    def test_running_vms_mismatch(self):
        compute1 = fakes.hypervisor_named(self.reader, 'compute1')
        recorded = compute1['running_vms']
        compute1['running_vms'] = recorded + 1
        findings = run(self.reader)
        self.assertEqual(
            [('compute1', recorded, recorded + 1)],
            [(f.host, f.expected, f.actual) for f in findings])
        self.assertEqual('running_vms_mismatch', findings[0].kind)

    def _compute1_before_its_first_update(self):
        # Derived: Nova fills in the rest of a new node's record at the end
        # of its first update, after it created the provider.
        fakes.before_first_update(
            fakes.hypervisor_named(self.reader, 'compute1'))

    def test_a_compute_node_before_its_first_update_is_not_compared(self):
        self._compute1_before_its_first_update()
        self.assertEqual([], run(self.reader))

    def test_hosts_usage_compared(self):
        recorded = snapshot.collect(self.reader)
        self.assertIn('compute1', checks.hosts_usage_compared(recorded))
        running_vms = fakes.hypervisor_named(
            self.reader, 'compute1')['running_vms']
        self._compute1_before_its_first_update()
        pending = snapshot.collect(self.reader)
        self.assertEqual(
            checks.hosts_usage_compared(recorded) - {'compute1'},
            checks.hosts_usage_compared(pending))
        # Only the comparison leaves it out: the same figures of an
        # updated record are a mismatch.
        fakes.hypervisor_named(self.reader, 'compute1').update(
            running_vms=running_vms, current_workload=0)
        self.assertEqual(['usage_mismatch'],
                         [f.kind for f in run(self.reader)])

    def _migration_touching_compute1(self, updated_at):
        # A migration recorded elsewhere, moved onto this recording's
        # server and compute1.
        migration = fakes.load('verify_resize')['responses'][
            'compute /os-migrations']['body']['migrations'][0]
        migration.update({
            'id': 98, 'uuid': '5a0c1a43-9f8e-4d8c-a3f5-2b3c7e9e0d21',
            'instance_uuid': self.reader.notes['server'],
            'status': 'confirmed', 'migration_type': 'resize',
            'source_compute': 'compute1', 'dest_compute': 'compute1',
            'source_node': 'compute1', 'dest_node': 'compute1',
            'created_at': updated_at, 'updated_at': updated_at})
        self.reader.body('compute', '/os-migrations')['migrations'].append(
            migration)

    def _newest_heartbeat(self):
        return max(s['updated_at'] for s in self.reader.body(
            'compute', '/os-services?binary=nova-compute')['services'])

    def test_running_vms_is_not_compared_right_after_a_move(self):
        # Derived: a resize confirmed 30 s before the newest heartbeat; the
        # resource tracker recounts its instances only periodically.
        newest = snapshot.parse_time(self._newest_heartbeat())
        self._migration_touching_compute1(
            (newest - datetime.timedelta(seconds=30)).isoformat())
        fakes.hypervisor_named(self.reader, 'compute1')['running_vms'] += 1
        self.assertEqual([], run(self.reader))

    def test_running_vms_is_compared_once_the_move_is_old(self):
        newest = snapshot.parse_time(self._newest_heartbeat())
        self._migration_touching_compute1(
            (newest - datetime.timedelta(minutes=10)).isoformat())
        fakes.hypervisor_named(self.reader, 'compute1')['running_vms'] += 1
        self.assertEqual(['running_vms_mismatch'],
                         [f.kind for f in run(self.reader)])

    def test_over_capacity(self):
        compute1 = fakes.hypervisor_named(self.reader, 'compute1')['id']
        inventories = self.reader.body(
            'placement', '/resource_providers/%s/inventories' % compute1)
        memory = inventories['inventories']['MEMORY_MB']
        # Capacity 200 MB: less than the two servers' 2 x 128 MB.
        memory['total'], memory['allocation_ratio'] = (
            memory['reserved'] + 200, 1.0)
        over = of_kind(run(self.reader), 'over_capacity')
        self.assertEqual([(compute1, 'MEMORY_MB', 200, 256)],
                         [(f.provider, f.resource_class, f.expected,
                           f.actual) for f in over])

    def test_provider_without_compute_node(self):
        hypervisors = self.reader.body('compute', '/os-hypervisors/detail')
        compute3 = fakes.hypervisor_named(self.reader, 'compute3')
        hypervisors['hypervisors'].remove(compute3)
        findings = run(self.reader, kinds=['provider_without_compute_node'])
        self.assertEqual([(compute3['id'], 'compute3')],
                         [(f.provider, f.host) for f in findings])
        self.assertEqual('openstack resource provider delete %s'
                         % compute3['id'], findings[0].remedy)

    def test_compute_node_without_provider(self):
        compute2 = fakes.hypervisor_named(self.reader, 'compute2')
        for path in ('/resource_providers',
                     '/resource_providers?required=COMPUTE_NODE'):
            listed = self.reader.body('placement', path)
            listed['resource_providers'] = [
                rp for rp in listed['resource_providers']
                if rp['uuid'] != compute2['id']]
        findings = run(self.reader, kinds=['compute_node_without_provider'])
        self.assertEqual([('compute_node_without_provider', 'compute2',
                           compute2['id'])],
                         [(f.kind, f.host, f.provider) for f in findings])

    def test_forced_down_service(self):
        services = self.reader.body(
            'compute', '/os-services?binary=nova-compute')['services']
        compute3 = [s for s in services if s['host'] == 'compute3'][0]
        compute3['forced_down'] = True
        findings = run(self.reader)
        self.assertEqual([('forced_down_service', 'compute3')],
                         [(f.kind, f.host) for f in findings])
        self.assertEqual('openstack --os-compute-api-version 2.53 compute '
                         'service set --up compute3 nova-compute',
                         findings[0].remedy)

    def test_unknown_kind_is_refused_by_name(self):
        error = self.assertRaises(checks.UnknownKind, checks.run_checks,
                                  snapshot.Snapshot(scope=snapshot.Scope()),
                                  ['orphan_allocation', 'nope'])
        self.assertEqual(['nope'], error.kinds)

    def test_inventory_kinds_refuse_a_snapshot_without_inventories(self):
        bare = snapshot.collect(self.reader, inventories=False)
        error = self.assertRaises(ValueError, checks.run_checks, bare,
                                  ['orphan_allocation', 'over_capacity'])
        self.assertIn('over_capacity', str(error))
        self.assertEqual([], checks.run_checks(bare, ['orphan_allocation']))


def edit_verify_resize(reader, server_fields, migration_status):
    """The VERIFY_RESIZE recording's server and migration changed in every
    answer that shows them.
    """
    server, migration = reader.notes['server'], reader.notes['migration']
    for answer in reader.responses.values():
        body = answer['body']
        for record in body.get('servers', []) + (
                [body['server']] if 'server' in body else []):
            if record['id'] == server:
                record.update(server_fields)
        for record in body.get('migrations', []):
            if record['uuid'] == migration:
                record['status'] = migration_status


class TestStuckMigration(testtools.TestCase):
    """A migration whose server Nova reset while the move was going on
    (bug 1836369: the source compute died in the middle of a cold
    migration and reset the server when it started again).

    Derived from the VERIFY_RESIZE recording: the server is edited to
    ACTIVE on its source and the migration back to 'migrating' (or the
    server to RESIZE with a task, for the move still in flight), in every
    answer that shows them.
    """

    def setUp(self):
        super().setUp()
        self.reader = fakes.FixtureReader('verify_resize')
        self.server = self.reader.notes['server']
        self.migration = self.reader.notes['migration']

    def test_stuck_migration_and_the_server_left_on_the_destination(self):
        edit_verify_resize(self.reader, {
            'status': 'ACTIVE', 'OS-EXT-STS:task_state': None,
            'OS-EXT-SRV-ATTR:host': 'compute1',
            'OS-EXT-SRV-ATTR:hypervisor_hostname': 'compute1'}, 'migrating')
        findings = run(self.reader, kinds=['stale_migration_allocation',
                                           'wrong_provider'])
        self.assertEqual(
            [('wrong_provider', self.server, 'compute3'),
             ('stale_migration_allocation', self.migration, 'compute1')],
            [(f.kind, f.consumer, f.host) for f in findings])
        self.assertIn('is stuck in status migrating (server %s is ACTIVE '
                      'on compute1 with no task in progress)' % self.server,
                      findings[1].explanation)


class TestTransientStates(testtools.TestCase):
    """Legitimate states in the middle of an operation: no finding."""

    def test_building_server(self):
        # Recorded: scheduled and claimed in Placement, no host in Nova yet.
        reader = fakes.FixtureReader('building')
        snap = snapshot.collect(reader)
        server = snap.servers[reader.notes['server']]
        self.assertEqual(('BUILD', 'scheduling', None),
                         (server.status, server.task_state, server.host))
        self.assertIn(server.id, snap.consumers())
        self.assertEqual([], checks.run_checks(snap))

    def test_server_being_deleted_still_holding_its_allocation(self):
        # Recorded by chance: a server of another test being deleted shows
        # as DELETED, its compute already dropped it from the hypervisor's
        # figures, and Placement still holds its allocation.
        reader = fakes.FixtureReader('servers_active')
        snap = snapshot.collect(reader)
        deleting = [s for s in snap.servers.values()
                    if s.status == 'DELETED']
        self.assertEqual(1, len(deleting))
        self.assertIn(deleting[0].id, snap.consumers())
        self.assertEqual([], checks.run_checks(snap))

    def test_revert_in_progress_with_migration_already_reverted(self):
        # Recorded by chance beside the stale migration: a tempest server
        # reverting a resize, whose migration Nova marked reverted before
        # the compute moved the allocations back.
        reader = fakes.FixtureReader('stale_migration')
        snap = snapshot.collect(reader)
        reverting = [s for s in snap.servers.values()
                     if s.task_state == 'resize_reverting']
        self.assertEqual(1, len(reverting))
        migration = [m for m in snap.migrations.values()
                     if m.instance_uuid == reverting[0].id][0]
        self.assertEqual('reverted', migration.status)
        self.assertIn(migration.uuid, snap.consumers())
        self.assertNotIn(migration.uuid, [
            f.consumer for f in checks.run_checks(snap)])

    def test_verify_resize_with_migration_holding_the_source(self):
        reader = fakes.FixtureReader('verify_resize')
        snap = snapshot.collect(reader)
        migration = snap.migrations[reader.notes['migration']]
        self.assertEqual('finished', migration.status)
        self.assertEqual('VERIFY_RESIZE',
                         snap.servers[reader.notes['server']].status)
        self.assertIn(migration.uuid, snap.consumers())
        self.assertEqual([], checks.run_checks(snap))

    def test_verify_resize_nodes_still_compare_usage(self):
        # Derived: both resource trackers count a resize resting in
        # VERIFY_RESIZE steadily, so a wrong figure there is still found.
        reader = fakes.FixtureReader('verify_resize')
        fakes.hypervisor_named(reader, 'compute3')['memory_mb_used'] += 64
        findings = run(reader)
        self.assertEqual([('usage_mismatch', 'compute3', 'MEMORY_MB', -64)],
                         [(f.kind, f.host, f.resource_class,
                           f.expected - f.actual) for f in findings])

    def test_in_progress_migration_may_hold_allocations_on_both_nodes(self):
        # Derived from VERIFY_RESIZE: a resize still migrating, the server
        # busy with a task (RESIZE, resize_migrating); the allocations
        # stay as recorded.
        reader = fakes.FixtureReader('verify_resize')
        edit_verify_resize(reader, {
            'status': 'RESIZE', 'OS-EXT-STS:task_state': 'resize_migrating'},
            'migrating')
        self.assertEqual([], run(reader))

    def test_a_host_held_still_is_compared_mid_move(self):
        # The resize of test_in_progress_migration_may_hold_allocations_
        # on_both_nodes, with compute3 counting 64 MiB too many: skipped
        # while the move is under way, unless the scope holds it still.
        reader = fakes.FixtureReader('verify_resize')
        edit_verify_resize(reader, {
            'status': 'RESIZE', 'OS-EXT-STS:task_state': 'resize_migrating'},
            'migrating')
        fakes.hypervisor_named(reader, 'compute3')['memory_mb_used'] += 64
        self.assertEqual([], run(reader))
        findings = run(reader, snapshot.Scope(
            hosts={'compute3'}, held_still={'compute3'}), ['usage_mismatch'])
        self.assertEqual([('usage_mismatch', 'compute3', 'MEMORY_MB', -64)],
                         [(f.kind, f.host, f.resource_class,
                           f.expected - f.actual) for f in findings])

    def test_shelved_offloaded_server(self):
        reader = fakes.FixtureReader('shelved_offloaded')
        server = snapshot.collect(reader).servers[reader.notes['server']]
        self.assertEqual(('SHELVED_OFFLOADED', None),
                         (server.status, server.host))
        self.assertEqual([], run(reader))

    def _evacuated(self, source_state):
        """servers_active, with the first server evacuated to compute2.

        Derived: evacuation needs a stopped compute, which the shared cloud
        must not have. The server moves to compute2 and holds its flavor
        on both nodes, the way Nova leaves it until the source restarts.
        """
        reader = fakes.FixtureReader('servers_active')
        server_id = reader.notes['server']
        source = fakes.hypervisor_named(reader, 'compute1')
        dest = fakes.hypervisor_named(reader, 'compute2')
        servers = reader.body('compute', '/servers/detail?all_tenants=1')
        server = [s for s in servers['servers'] if s['id'] == server_id][0]
        server['OS-EXT-SRV-ATTR:host'] = 'compute2'
        server['OS-EXT-SRV-ATTR:hypervisor_hostname'] = 'compute2'
        held = reader.body('placement', '/resource_providers/%s/allocations'
                           % source['id'])['allocations'][server_id]
        reader.body('placement', '/resource_providers/%s/allocations'
                    % dest['id'])['allocations'][server_id] = held
        reader.body('compute', '/os-migrations')['migrations'].append({
            'id': 99, 'uuid': '0b1e6d7c-3f0a-4c55-9a43-7f4d2e7c9a11',
            'instance_uuid': server_id, 'status': 'done',
            'migration_type': 'evacuation', 'source_compute': 'compute1',
            'dest_compute': 'compute2', 'source_node': 'compute1',
            'dest_node': 'compute2', 'dest_host': '127.0.0.1',
            'old_instance_type_id': 1, 'new_instance_type_id': 1,
            'created_at': '2026-11-21T12:00:00.000000',
            'updated_at': '2026-11-21T12:00:05.000000'})
        for service in reader.body(
                'compute', '/os-services?binary=nova-compute')['services']:
            if service['host'] == 'compute1':
                service['state'] = source_state
        source['state'] = source_state
        # The compute2 hypervisor now counts the server too.
        dest['running_vms'] += 1
        for field, amount in (('vcpus_used', 'VCPU'),
                              ('memory_mb_used', 'MEMORY_MB'),
                              ('local_gb_used', 'DISK_GB')):
            dest[field] += held['resources'][amount]
        return reader, server_id, source['id']

    def test_evacuation_with_source_down(self):
        reader, _, _ = self._evacuated('down')
        self.assertEqual([], run(reader))

    def test_evacuation_source_up_and_not_cleaned_is_wrong_provider(self):
        reader, server_id, source = self._evacuated('up')
        findings = run(reader, kinds=['wrong_provider', 'orphan_allocation'])
        self.assertEqual([('wrong_provider', server_id, source)],
                         [(f.kind, f.consumer, f.provider)
                          for f in findings])
