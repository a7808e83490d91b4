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
"""Assertions on Placement and the hypervisors, and act-and-check helpers.

The vocabulary follows Nova's functional helpers
(nova/tests/functional/integrated_helpers.py): assert that a consumer holds
exactly a flavor's resources on exactly the expected providers
(assertFlavorMatchesAllocation), that a host's usage moved by exactly some
flavors (assertFlavorMatchesUsage), that the hypervisor figures agree with
Placement; and helpers that move or delete a server and check all of that
(_move_and_check_allocations, _delete_and_check_allocations). Each
assertion reads the real APIs when it is called.
"""

import datetime

from tempest import config
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc
from testtools import content

from tracker_tests.audit import checks
from tracker_tests.audit import reader as reader_mod
from tracker_tests.audit import resources
from tracker_tests.audit import settle
from tracker_tests.audit import snapshot
from tracker_tests.common import expectations
from tracker_tests.common import messages
from tracker_tests.common import waiters

CONF = config.CONF


def flavor_from_api(body):
    """A flavor of the flavors API as the audit engine's Flavor."""
    return snapshot.Flavor(
        vcpus=body['vcpus'], ram=body['ram'], disk=body['disk'],
        ephemeral=body.get('OS-FLV-EXT-DATA:ephemeral', 0) or 0,
        # The flavors API shows no swap as "" before 2.75.
        swap=body.get('swap') or 0, original_name=body.get('name'),
        extra_specs=body.get('extra_specs') or {})


def flavor_resources(*flavors):
    """{resource class: amount} that ``flavors`` hold together."""
    total = {}
    for flavor in flavors:
        for resource_class, amount in resources.expected_resources(
                flavor_from_api(flavor)).items():
            total[resource_class] = total.get(resource_class, 0) + amount
    return total


class AllocationChecksMixin:
    """What Placement and the hypervisors must show after each step.

    Tests only look at their own servers, migrations and the hosts those
    touch, so that they can run in parallel on a shared cloud. Needs
    ``reader``, ``own_servers`` and ``own_consumers``.
    """

    def record_baseline(self):
        """Remember every compute provider's consumers at the start."""
        # Migrations a test caused are no older than this (with a margin
        # for clock skew between this machine and the cloud).
        self.started_at = (datetime.datetime.now(datetime.timezone.utc) -
                           datetime.timedelta(minutes=5)).strftime(
                               '%Y-%m-%dT%H:%M:%SZ')
        self._provider_by_host = expectations.providers_by_host(self.reader)
        self.baseline = {}
        for uuids in self._provider_by_host.values():
            for provider in uuids:
                try:
                    self.baseline[provider] = (
                        expectations.provider_allocations(self.reader,
                                                          provider))
                except reader_mod.ResourceNotFound:
                    # Another test removed a compute it added since the
                    # listing: there is nothing to count on it.
                    continue
        # A consistency check that polls a full periodic period could see
        # Nova's periodic task repair a leak instead of the leak.
        self.consistency_poller = waiters.Poller(
            CONF.tracker.consistency_timeout, CONF.tracker.poll_interval)

    def provider_of(self, host):
        """The resource provider uuid of a compute host's node."""
        if host not in self._provider_by_host:
            self._provider_by_host = expectations.providers_by_host(
                self.reader)
        providers = self._provider_by_host.get(host, [])
        if len(providers) != 1:
            self.fail('host %s has %d compute nodes; expected one'
                      % (host, len(providers)))
        return providers[0]

    def _host_label(self, provider):
        for host, uuids in self._provider_by_host.items():
            if provider in uuids:
                return '%s (host %s)' % (provider, host)
        return provider

    def _assert_eventually(self, failure):
        """Fail with ``failure()``'s message unless it turns None.

        Nova frees or moves some allocations after the API already shows
        the end state (the conductor cleans up after a server deleted
        while it was being scheduled), so it is called again until
        [tracker] consistency_timeout passes.
        """
        last = {}

        def holds():
            last['message'] = failure()
            return last['message'] is None

        try:
            self.consistency_poller.until(holds, lambda: '')
        except lib_exc.TimeoutException:
            self.fail(last['message'])

    # -- consumers ----------------------------------------------------------

    def assert_allocations(self, consumer, flavor_by_host):
        """``consumer`` holds exactly each flavor on exactly those hosts."""
        expected = {self.provider_of(host): flavor_resources(flavor)
                    for host, flavor in flavor_by_host.items()}

        def differences():
            problems = expectations.allocation_problems(
                consumer, expected,
                expectations.consumer_allocations(self.reader, consumer),
                self._host_label)
            if problems:
                return ('allocations of consumer %s differ from what Nova '
                        'should hold:\n  %s' % (
                            consumer, '\n  '.join(problems)))

        self._assert_eventually(differences)

    def assert_migration_allocations(self, migration_uuid, flavor_by_host):
        """A move's source side, held by the migration's uuid."""
        self.own_consumers.add(migration_uuid)
        self.assert_allocations(migration_uuid, flavor_by_host)

    def assert_no_allocations(self, *consumers):
        """Each of ``consumers`` holds nothing on any provider."""
        for consumer in consumers:
            self.assert_allocations(consumer, {})

    def assert_known_leak(self, bug, flavors_by_consumer):
        """Nova still leaks here (upstream ``bug``): each consumer holds
        exactly its flavors ({consumer: {host: flavor}}).

        When every consumer expected to hold something holds nothing, Nova
        repaired its bug: the test fails saying so, so that the known leak
        is not kept asserted once it is gone (as Nova's regression tests
        fail on their FIXMEs).
        """
        expected = {consumer: {self.provider_of(host): flavor_resources(f)
                               for host, f in by_host.items()}
                    for consumer, by_host in flavors_by_consumer.items()}
        leaking = [c for c, held in expected.items() if held]
        last = {}

        def differences():
            problems = []
            last['held'] = {}
            for consumer, want in sorted(expected.items()):
                have = expectations.consumer_allocations(self.reader,
                                                         consumer)
                last['held'][consumer] = have
                problems += expectations.allocation_problems(
                    consumer, want, have, self._host_label)
            return problems

        try:
            self.consistency_poller.until(lambda: not differences(),
                                          lambda: '')
        except lib_exc.TimeoutException:
            problems = differences()
            repaired = not any(
                last['held'].get(c) for c in leaking) and not any(
                last['held'].get(c) for c in expected if c not in leaking)
            if repaired:
                self.fail('Nova no longer leaks here (bug %s): %s hold '
                          'nothing; assert the repaired end state instead '
                          'of the known leak' % (bug, ', '.join(leaking)))
            self.fail('the known leak of bug %s changed:\n  %s' % (
                bug, '\n  '.join(problems)))

    def assert_findings(self, expected):
        """The audit over this test's servers and the hosts it locked
        finds exactly ``expected``: {(kind, consumer, host)}, consumer None
        for a finding about a host.

        Findings about other tests' consumers are left out: a shared cloud
        has them in passing. The audit is polled until it agrees, as Nova
        may still be cleaning up.
        """
        hosts = set(self.host_locks.held)
        last = {}

        def found():
            result = settle.audit(self.reader, snapshot.Scope(
                hosts=hosts or None,
                server_ids=set(self.own_servers) or None), settle=0)
            last['findings'] = [
                f for f in result.findings
                if f.consumer in self.own_consumers or
                (f.consumer is None and f.host in hosts)]
            last['found'] = {(f.kind, f.consumer, f.host)
                             for f in last['findings']}
            return last['found'] == set(expected)

        try:
            self.consistency_poller.until(found, lambda: '')
        except lib_exc.TimeoutException:
            self.fail('the audit finds %s, expected %s:\n%s' % (
                sorted(last['found'], key=str), sorted(expected, key=str),
                '\n'.join(messages.finding_lines(last['findings']))))

    def remove_allocations_at_cleanup(self, *consumers):
        """Delete what ``consumers`` hold, at cleanup: a known leak is
        asserted first and removed afterwards, so that the cloud is as it
        was.
        """
        for consumer in consumers:
            self.own_consumers.add(consumer)
            self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                            self.allocations_client.delete_allocations,
                            consumer)

    # -- providers ----------------------------------------------------------

    def assert_provider_deleted(self, provider):
        """Placement no longer knows the resource provider ``provider``."""
        try:
            snapshot.read_inventories(self.reader, provider)
        except reader_mod.ResourceNotFound:
            return
        self.fail('the resource provider %s still exists, with allocations '
                  'of: %s' % (self._host_label(provider), ', '.join(sorted(
                      snapshot.read_provider_allocations(
                          self.reader, provider))) or 'none'))

    def assert_usage_delta(self, host, expected_change):
        """Placement usage of ``host`` moved by ``expected_change``.

        The change is counted since setUp, as {resource class: amount}; {}
        means back to baseline.

        Other tests' servers on a shared cloud move usage too: consumers
        that existed at setUp, and new ones that Nova knows as another
        test's server or migration, are left out. A new consumer Nova does
        not know counts: it is the kind of leak this looks for.
        A consumer of another test's server that is being deleted right
        now can be neither (its record is gone, its allocation not yet),
        so the check is repeated until it holds or
        [tracker] consistency_timeout passes.
        """
        provider = self.provider_of(host)
        expected_change = {rc: n for rc, n in expected_change.items() if n}

        def difference():
            change, counted = expectations.added_resources(
                self.baseline.get(provider, {}),
                expectations.provider_allocations(self.reader, provider),
                self._foreign)
            if change != expected_change:
                return ('usage of provider %s changed by %s since the test '
                        'started, expected %s; new consumers counted: %s' % (
                            self._host_label(provider), change,
                            expected_change, counted or 'none'))

        self._assert_eventually(difference)

    def assert_usage_matches_flavors(self, host, *flavors):
        """This test's consumers hold exactly ``flavors`` on ``host``."""
        self.assert_usage_delta(host, flavor_resources(*flavors))

    def assert_no_usage_change(self, *hosts):
        """No compute provider's usage changed because of this test: of
        ``hosts``, or else of every compute there was at setUp that is
        still there.
        """
        for host in hosts or sorted(self._provider_by_host):
            try:
                self.assert_usage_delta(host, {})
            except reader_mod.ResourceNotFound:
                # Another test removed a compute it added (its provider
                # goes with its service): nothing is held on it any more.
                if hosts:
                    raise

    def _foreign(self, consumer):
        """A consumer that is another test's server or migration."""
        if consumer in self.own_consumers:
            return False
        if snapshot.show_server(self.reader, consumer) is not None:
            return True
        for migration in snapshot.read_migrations(
                self.reader, {'changes-since': self.started_at}):
            if migration.uuid == consumer:
                return migration.instance_uuid not in self.own_consumers
        return False

    # -- hypervisors and the audit --------------------------------------------

    def wait_until_consistent(self, hosts=(), kinds=None):
        """Poll the audit over this test's servers and hosts until clean."""
        scope = snapshot.Scope(hosts=set(hosts) or None,
                               server_ids=set(self.own_servers) or None)
        return waiters.wait_until_consistent(
            self.reader, self.consistency_poller, scope, kinds=kinds,
            hosts_compared=hosts)

    def audit_hosts(self, hosts, kinds=None):
        """The audit's findings on ``hosts``, from one read."""
        return settle.audit(self.reader, snapshot.Scope(hosts=set(hosts)),
                            kinds, settle=0)

    def hypervisor_findings(self, hosts):
        """What one read finds where os-hypervisors disagrees with
        Placement (usage) or with Nova (running VMs) on ``hosts``.
        """
        return self.audit_hosts(hosts, ['usage_mismatch',
                                        'running_vms_mismatch']).findings

    def _compared_hypervisor_findings(self, hosts, kinds, held_still=None):
        """One read's findings of ``kinds`` on ``hosts``, failing on a host
        whose figures it did not compare: that must not pass for
        agreement.
        """
        result = settle.audit(self.reader, snapshot.Scope(
            hosts=set(hosts), held_still=held_still), kinds, settle=0)
        not_compared = sorted(
            set(hosts) - checks.hosts_usage_compared(result.snapshot))
        if not_compared:
            self.fail('os-hypervisors figures not compared (%s): %s' % (
                checks.USAGE_NOT_COMPARED, ', '.join(not_compared)))
        return result.findings

    def assert_hypervisor_matches_placement_now(self, *hosts):
        """Hypervisor figures agree with Placement on each host, in one
        read: for a test that keeps the periodic update from repairing
        them (pause_periodic_update) and has the cloud to itself.
        """
        findings = self._compared_hypervisor_findings(
            hosts, ['usage_mismatch', 'running_vms_mismatch'])
        if findings:
            self.fail('os-hypervisors disagrees with Placement:\n%s'
                      % '\n'.join(messages.finding_lines(findings)))

    def assert_hypervisor_counts_placement_usage(self, *hosts):
        """One read: on each host, os-hypervisors' figures (2.87) less
        the inventory's reserved amounts equal Placement's usage, even
        with a move under way there, which the audit otherwise leaves
        alone (its two sides change at different moments): for a test
        that holds a move mid-way on purpose, has the cloud to itself and
        paused the hosts' periodic update.
        """
        findings = self._compared_hypervisor_findings(
            hosts, ['usage_mismatch'], held_still=set(hosts))
        if findings:
            self.fail('os-hypervisors does not count what Placement '
                      'holds:\n%s' % '\n'.join(
                          messages.finding_lines(findings)))

    def assert_hypervisor_matches_placement(self, *hosts):
        """Hypervisor figures agree with Placement on each host.

        os-hypervisors (2.87) used minus inventory reserved must equal
        Placement usage, once the host's resource tracker caught up.
        A host another test holds right now (it may be stopping it) is
        left to that test, which compares it once it restored the host.
        """
        others = self.hosts_held_by_others(hosts)
        if others:
            self.addDetail('hypervisors not compared', content.text_content(
                'held by another test: %s' % ', '.join(others)))
        self.wait_until_consistent(
            hosts=[h for h in hosts if h not in others],
            kinds=['usage_mismatch'])

    # -- act and check --------------------------------------------------------

    def boot_and_check_allocations(self, flavor=None, host=None,
                                   zone=None):
        """Boot; the flavor is held on its host and nowhere else."""
        flavor = flavor or self.flavor
        server = self.create_server(flavor=flavor, host=host, zone=zone)
        self.assert_allocations(server.id, {server.host: flavor})
        self.assert_usage_matches_flavors(server.host, flavor)
        self.assert_hypervisor_matches_placement(server.host)
        return server

    def move_and_check_allocations(self, server, new_flavor=None,
                                   host=None):
        """Resize to ``new_flavor`` or cold migrate (to ``host``), then
        check VERIFY_RESIZE: the server holds the new flavor on the
        destination, the migration the old one on the source.

        Returns (server, migration, source, dest).
        """
        source = server.host
        if new_flavor is None:
            server, migration = self.cold_migrate_server(server.id, host)
        else:
            server, migration = self.resize_server(server.id, new_flavor)
        dest = server.host
        self.assertNotEqual(source, dest, 'the move stayed on %s' % source)
        new_flavor = new_flavor or self.flavor
        self.assert_allocations(server.id, {dest: new_flavor})
        self.assert_migration_allocations(migration.uuid,
                                          {source: self.flavor})
        self.assert_usage_matches_flavors(source, self.flavor)
        self.assert_usage_matches_flavors(dest, new_flavor)
        self.assert_hypervisor_matches_placement(source, dest)
        return server, migration, source, dest

    def assert_move_undone(self, server, migration, source, dest, flavor):
        """A move that did not happen: ``server`` is on ``source`` holding
        ``flavor`` there only, its migration holds nothing, and ``dest``'s
        usage is back where it was.
        """
        self.assertEqual(source, server.host)
        self.assert_allocations(server.id, {source: flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_delta(dest, {})

    def confirm_and_check_allocations(self, server, migration, source,
                                      dest, new_flavor):
        """Confirm: the source side is freed, the new flavor stays."""
        self.confirm_resize(server.id, migration)
        self.assert_allocations(server.id, {dest: new_flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_delta(source, {})
        self.assert_usage_matches_flavors(dest, new_flavor)
        self.assert_hypervisor_matches_placement(source, dest)

    def revert_and_check_allocations(self, server, migration, source,
                                     dest):
        """Revert: back on the source with the old flavor, dest freed."""
        server = self.revert_resize(server.id, migration)
        self.assertEqual(source, server.host)
        self.assert_allocations(server.id, {source: self.flavor})
        self.assert_no_allocations(migration.uuid)
        self.assert_usage_matches_flavors(source, self.flavor)
        self.assert_usage_delta(dest, {})
        self.assert_hypervisor_matches_placement(source, dest)
        return server

    def delete_and_check_allocations(self, server_id, hosts, consumers=()):
        """Delete; the server and ``consumers`` (its migrations) hold
        nothing, and ``hosts`` are back to their usage at the start.
        """
        self.delete_server(server_id)
        self.assert_no_allocations(server_id, *consumers)
        self.assert_no_usage_change(*hosts)
        if hosts:
            self.assert_hypervisor_matches_placement(*hosts)
