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

"""The settle re-reads: only findings seen by every read are reported."""

import itertools
import time

import testtools

from tracker_tests.audit import checks
from tracker_tests.audit import settle
from tracker_tests.tests.unit.audit import fakes


class TestSettle(testtools.TestCase):

    def audit(self, first, *later, settle_seconds=2.5, kinds=None,
              interval=None, edit=None, clock=time.monotonic):
        """Audit a cloud that reads as each fixture in turn, one per sleep.

        The last fixture stays once every earlier one was read. ``edit``
        may change the readers' recordings before the audit starts.
        """
        self.readers = [fakes.FixtureReader(name)
                        for name in (first,) + later]
        if edit:
            edit(self.readers)
        reader = fakes.SwitchingReader(*self.readers)
        self.slept = []

        def sleep(seconds):
            self.slept.append(seconds)
            if len(reader.readers) > 1:
                reader.switch()
        return settle.audit(reader, kinds=kinds, settle=settle_seconds,
                            interval=interval, sleep=sleep, clock=clock)

    def test_finding_gone_on_the_re_read_is_not_reported(self):
        result = self.audit('orphan_planted', 'servers_active')
        self.assertEqual([], result.findings)
        self.assertEqual([2.5], self.slept)
        self.assertEqual(2, result.reads)
        self.assertIn('orphan_allocation', {f.kind for f in result.transient})

    def test_finding_seen_twice_is_reported_from_the_second_read(self):
        result = self.audit('orphan_planted', 'orphan_planted',
                            kinds=['orphan_allocation'])
        notes = fakes.load('orphan_planted')['notes']
        self.assertEqual([notes['orphan']],
                         [f.consumer for f in result.findings])
        self.assertEqual([], result.transient)

    def test_clean_first_read_is_not_re_read(self):
        result = self.audit('servers_active', 'orphan_planted')
        self.assertEqual([], result.findings)
        self.assertEqual([], self.slept)
        self.assertEqual(1, result.reads)

    def test_finding_new_on_the_re_read_is_not_reported(self):
        # First read: the server misses its allocation; second read: that
        # is repaired and an orphan appeared. Neither was seen twice.
        result = self.audit('missing_allocation', 'orphan_planted',
                            kinds=['missing_allocation',
                                   'orphan_allocation'])
        self.assertEqual([], result.findings)
        self.assertEqual(['missing_allocation'],
                         [f.kind for f in result.transient])

    def test_zero_settle_reports_the_first_read(self):
        result = self.audit('orphan_planted', 'servers_active',
                            settle_seconds=0, kinds=['orphan_allocation'])
        self.assertEqual(['orphan_allocation'],
                         [f.kind for f in result.findings])
        self.assertEqual([], self.slept)

    def test_interval_stops_re_reading_once_the_findings_are_gone(self):
        result = self.audit('orphan_planted', 'orphan_planted',
                            'servers_active', settle_seconds=60,
                            interval=5, kinds=['orphan_allocation'])
        self.assertEqual([], result.findings)
        self.assertEqual([5, 5], self.slept)
        self.assertEqual(3, result.reads)
        self.assertEqual(['orphan_allocation'],
                         [f.kind for f in result.transient])

    def test_interval_reports_what_lasted_the_whole_settle_time(self):
        result = self.audit('orphan_planted', settle_seconds=12,
                            interval=5, kinds=['orphan_allocation'])
        notes = fakes.load('orphan_planted')['notes']
        self.assertEqual([notes['orphan']],
                         [f.consumer for f in result.findings])
        self.assertEqual([5, 5, 2], self.slept)
        self.assertEqual(4, result.reads)

    def test_interval_waits_at_least_as_long_as_a_read_takes(self):
        # Every call of this clock is 4 s after the previous one, so each
        # read seems to last 4 s, longer than the interval.
        ticks = itertools.count(0, 4)
        self.audit('orphan_planted', settle_seconds=12, interval=1,
                   kinds=['orphan_allocation'],
                   clock=lambda: next(ticks))
        self.assertEqual([4, 4, 4], self.slept)

    def test_interval_drops_a_finding_missed_by_one_read(self):
        # Seen, gone, back: it is not the same leak all along.
        result = self.audit('orphan_planted', 'servers_active',
                            'orphan_planted', settle_seconds=15,
                            interval=5, kinds=['orphan_allocation'])
        self.assertEqual([], result.findings)
        self.assertEqual([5], self.slept)

    def inventory_reads(self, reader):
        return [path for _, path, _ in reader.requests
                if path.endswith('/inventories')]

    def test_kinds_without_inventory_checks_skip_inventory_reads(self):
        self.audit('orphan_planted', settle_seconds=0,
                   kinds=['orphan_allocation', 'wrong_provider'])
        self.assertEqual([], self.inventory_reads(self.readers[0]))

    def test_re_read_runs_only_the_kinds_still_found(self):
        # The planted orphan also shows as a usage_mismatch on compute1.
        # From the second read on compute1's hypervisor is down, which ends
        # the usage comparison: the third read only confirms the orphan,
        # which needs no inventory.
        def compute1_down_later(readers):
            for later in readers[1:]:
                fakes.hypervisor_named(later, 'compute1')['state'] = 'down'
        result = self.audit('orphan_planted', 'orphan_planted',
                            'orphan_planted', settle_seconds=10,
                            interval=5, edit=compute1_down_later)
        self.assertEqual(3, result.reads)
        self.assertNotEqual([], self.inventory_reads(self.readers[0]))
        self.assertNotEqual([], self.inventory_reads(self.readers[1]))
        self.assertEqual([], self.inventory_reads(self.readers[2]))
        self.assertEqual({'orphan_allocation'},
                         {f.kind for f in result.findings})

    def test_unknown_kind_fails_before_reading(self):
        reader = fakes.FixtureReader('servers_active')
        self.assertRaises(checks.UnknownKind, settle.audit, reader,
                          kinds=['bogus'])
        self.assertEqual([], reader.requests)
