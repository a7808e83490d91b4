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
"""A resize rescheduled down the whole host list the scheduler returned.

Nova's test_servers.py ServerMovingTests.
_test_resize_reschedule_uses_host_lists, replayed past its first
alternate. The scheduler returns the host it selected and up to
[scheduler] max_attempts - 1 alternates; each failed claim sends the
resize to the next alternate, without asking the scheduler again, until
one takes it or none is left. Upstream sets max_attempts to 4 for three
alternates; a real cloud keeps its own (3 on the local cloud, two
alternates), so here every host but the last fails, or all of them do.
Both need [scheduler] max_attempts of 3, nova's default: with fewer
alternates the first test ends in ERROR.

Each test adds a source and three candidate computes of its own, in a
zone of its own: a move scheduled there sees no other test's computes,
and the RAM weigher orders the candidates by the memory each reserves.
"""

import testtools

from tempest import config
from tempest.lib import decorators

from tracker_tests.audit import snapshot
from tracker_tests.tests import base

CONF = config.CONF

#: [DEFAULT] reserved_host_memory_mb of the candidates: the RAM weigher
#: prefers the host with the most free memory, so the scheduler selects
#: the first and returns the others as alternates in this order.
CANDIDATES_RESERVED_MEMORY_MB = (0, 1024, 2048)


@testtools.skipUnless(CONF.tracker_feature_enabled.resize,
                      '[tracker-feature-enabled] resize is False')
class ResizeDownTheHostListTest(base.ThrowawayComputesTestBase):

    def setUp(self):
        super().setUp()
        self.source = self.add_compute()
        self.candidates = [
            self.add_compute(reserved_host_memory_mb=reserved)
            for reserved in CANDIDATES_RESERVED_MEMORY_MB]
        zone = self.zone_of_their_own(self.source, *self.candidates)
        self.server = self.boot(self.source, zone)
        flavor = self.throwaway_flavor
        self.new_flavor = self.create_flavor(
            ram=flavor['ram'] * 2, vcpus=flavor['vcpus'] + 1,
            disk=flavor['disk'] + 1, extra_specs=flavor['extra_specs'])

    def assert_tried_on_every_candidate(self, server_id):
        """The resize went through prep_resize on each candidate, and
        made one migration record for all its attempts.
        """
        self.assertEqual(set(self.candidates), self.event_hosts(
            server_id, 'resize', 'compute_prep_resize'))
        self.assertEqual(1, len(snapshot.read_migrations(
            self.reader, {'instance_uuid': server_id})))

    @decorators.idempotent_id('bf2c49d8-20e1-4ef7-9a80-f22e3750a738')
    def test_the_last_alternate_takes_the_resize(self):
        """Bugs 1712850, 1741125 (test_servers.py ServerMovingTests.
        test_resize_reschedule_uses_host_lists_3_fails): the claim fails
        on the selected host and on every alternate but the last, which
        takes the resize.

        As upstream asserts: VERIFY_RESIZE on the last alternate with the
        new flavor there, nothing on the hosts that failed, one
        migration. Beyond upstream: the migration holds the old flavor on
        the source, os-hypervisors agrees on every host, the audit finds
        nothing, and the confirm frees the source.
        """
        *failing, last = self.candidates
        for host in failing:
            self.fail_claims_on(host)
        server, migration = self.resize_server(self.server.id,
                                               self.new_flavor)
        self.assertEqual(last, server.host)
        self.assert_tried_on_every_candidate(server.id)
        self.assert_allocations(server.id, {last: self.new_flavor})
        self.assert_migration_allocations(
            migration.uuid, {self.source: self.throwaway_flavor})
        for host in failing:
            self.assert_usage_delta(host, {})
        self.assert_hypervisor_matches_placement(self.source,
                                                 *self.candidates)
        self.assert_findings(set())
        self.confirm_and_check_allocations(server, migration, self.source,
                                           last, self.new_flavor)

    @decorators.idempotent_id('01722c33-47b2-4017-8047-71305a7440db')
    def test_the_resize_fails_once_no_alternate_is_left(self):
        """Bugs 1712850, 1741125 (test_servers.py ServerMovingTests.
        _test_resize_reschedule_uses_host_lists with more failures than
        alternates, as in test_resize_reschedule_uses_host_lists_
        not_enough_alts, which leaves none): the claim fails on the
        selected host and on every alternate.

        As upstream asserts: ERROR, the old flavor still held on the
        source, nothing on any candidate. Beyond upstream: the resize was
        tried on every candidate before the conductor gave up (the
        server's fault: the claim failure on the last alternate), the
        migration is ``error``
        and holds nothing, os-hypervisors agrees on every host, the audit
        finds nothing, and the delete frees the source.
        """
        for host in self.candidates:
            self.fail_claims_on(host)
        self.admin_servers_client.resize_server(self.server.id,
                                                self.new_flavor['id'])
        migration = self.wait_for_migration(self.server.id, 'resize',
                                            'error')
        server = self.wait_for_server(self.server.id, 'ERROR')
        # Each failed claim erred the server in turn: the last one tried
        # was the last alternate.
        self.assertIn('fault injected by tracker_tests into '
                      'node_is_available on %s ' % self.candidates[-1],
                      server.fault or '')
        self.assert_tried_on_every_candidate(server.id)
        self.assertEqual(self.source, server.host)
        self.assert_allocations(server.id,
                                {self.source: self.throwaway_flavor})
        self.assert_no_allocations(migration.uuid)
        for host in self.candidates:
            self.assert_usage_delta(host, {})
        self.assert_hypervisor_matches_placement(self.source,
                                                 *self.candidates)
        self.assert_findings(set())
        self.delete_and_check_allocations(
            server.id, [self.source] + self.candidates, [migration.uuid])
