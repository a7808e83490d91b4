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

"""How findings read in a failing test's message."""

import dataclasses

import testtools

from tracker_tests.audit import settle
from tracker_tests.common import messages
from tracker_tests.tests.unit.audit import fakes


class TestDescribeFindings(testtools.TestCase):

    def setUp(self):
        super().setUp()
        reader = fakes.FixtureReader('orphan_planted')
        self.notes = reader.notes
        self.findings = settle.audit(reader, settle=0).findings
        self.orphan = [f for f in self.findings
                       if f.kind == 'orphan_allocation'][0]

    def test_a_line_names_consumer_provider_and_remedy(self):
        line = messages.finding_lines([self.orphan])[0]
        self.assertIn(self.notes['orphan'], line)
        self.assertIn(self.notes['provider'], line)
        self.assertIn(self.orphan.remedy, line)
        self.assertTrue(line.startswith('  - error orphan_allocation'))

    def test_past_the_limit_the_rest_is_counted_by_kind(self):
        many = [dataclasses.replace(self.orphan, consumer='c%d' % n)
                for n in range(5000)]
        many += self.findings
        lines = messages.finding_lines(many)
        self.assertEqual(201, len(lines))
        usage = sum(1 for f in self.findings if f.kind == 'usage_mismatch')
        orphans = 5000 + 1 - 200
        self.assertEqual(
            '  ... and %d more (%d orphan_allocation, %d usage_mismatch); '
            'tracker-audit lists them all with their remedies' % (
                orphans + usage, orphans, usage), lines[-1])
        # Well under subunit's packet limit (4 MiB) for the whole message.
        self.assertLess(len('\n'.join(lines)), 256 * 1024)

    def test_under_the_limit_every_finding_is_listed(self):
        self.assertEqual(len(self.findings),
                         len(messages.finding_lines(self.findings)))
