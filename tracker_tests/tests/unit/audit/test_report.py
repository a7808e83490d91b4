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

import json

import testtools

from tracker_tests.audit import checks
from tracker_tests.audit import report
from tracker_tests.audit import settle
from tracker_tests.tests.unit.audit import fakes

# 'acknowledged' was added with --ignore/--baseline; keys are only added.
FINDING_KEYS = {'kind', 'severity', 'host', 'provider', 'consumer',
                'resource_class', 'expected', 'actual', 'explanation',
                'remedy', 'acknowledged'}


class TestJson(testtools.TestCase):

    def test_schema_of_findings_and_summary(self):
        reader = fakes.FixtureReader('orphan_planted')
        result = settle.audit(reader, settle=0)
        document = json.loads(report.to_json(
            report.Report(result, requests=17)))
        self.assertEqual({'findings', 'summary'}, set(document))
        for finding in document['findings']:
            self.assertEqual(FINDING_KEYS, set(finding))
            self.assertIn(finding['kind'], checks.KINDS)
            self.assertIn(finding['severity'], ('error', 'warning'))
            self.assertIs(False, finding['acknowledged'])
        summary = document['summary']
        self.assertEqual(list(checks.KINDS), list(checks.CHECKS))
        self.assertEqual(set(checks.KINDS), set(summary['counts']))
        self.assertEqual(len(document['findings']),
                         sum(summary['counts'].values()))
        self.assertEqual(1, summary['counts']['orphan_allocation'])
        self.assertEqual(3, summary['providers'])
        self.assertEqual(len(result.snapshot.servers), summary['servers'])
        # Every server holds one allocation, plus the planted consumer.
        self.assertEqual(summary['servers'] + 1, summary['consumers'])
        self.assertEqual(17, summary['requests'])
        self.assertEqual(1, summary['reads'])
        self.assertIsInstance(summary['seconds'], float)
        self.assertEqual(0, summary['acknowledged'])

    def test_counts_list_only_the_checked_kinds(self):
        result = settle.audit(fakes.FixtureReader('servers_active'),
                              kinds=['over_capacity'], settle=0)
        document = json.loads(report.to_json(
            report.Report(result, ['over_capacity'])))
        self.assertEqual({'over_capacity': 0}, document['summary']['counts'])


class TestTable(testtools.TestCase):

    def test_clean_is_one_line(self):
        result = settle.audit(fakes.FixtureReader('servers_active'),
                              settle=0)
        table = report.to_table(report.Report(result))
        self.assertEqual(1, len(table.splitlines()))
        self.assertTrue(table.startswith('No findings: 3 providers'), table)

    def test_each_finding_has_a_row_an_explanation_and_a_remedy(self):
        reader = fakes.FixtureReader('orphan_planted')
        result = settle.audit(reader, kinds=['orphan_allocation'], settle=0)
        lines = report.to_table(report.Report(
            result, ['orphan_allocation'])).splitlines()
        self.assertEqual(['KIND', 'HOST', 'PROVIDER', 'CONSUMER', 'CLASS',
                          'EXPECTED', 'ACTUAL'], lines[0].split())
        row = lines[1].split()
        self.assertEqual(['orphan_allocation', 'compute1',
                          reader.notes['provider'], reader.notes['orphan'],
                          '-', '{}', 'DISK_GB=1,MEMORY_MB=128,VCPU=1'], row)
        self.assertTrue(lines[2].strip().startswith('error: consumer'))
        self.assertEqual('remedy: openstack resource provider allocation '
                         'delete %s' % reader.notes['orphan'],
                         lines[3].strip())
        self.assertTrue(lines[-1].startswith(
            '1 finding(s) (orphan_allocation: 1)'), lines[-1])


class TestAcknowledged(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.reader = fakes.FixtureReader('orphan_planted')
        self.result = settle.audit(self.reader, settle=0)
        orphan = [f for f in self.result.findings
                  if f.kind == 'orphan_allocation']
        self.report = report.Report(self.result, acknowledged=frozenset(
            report.identity(f.to_dict()) for f in orphan))

    def test_acknowledged_findings_are_listed_and_marked(self):
        document = json.loads(report.to_json(self.report))
        marked = {f['kind']: f['acknowledged']
                  for f in document['findings']}
        self.assertEqual({'orphan_allocation': True,
                          'usage_mismatch': False}, marked)
        self.assertEqual(1, document['summary']['acknowledged'])
        self.assertEqual(1, document['summary']['counts'][
            'orphan_allocation'])
        table = report.to_table(self.report)
        self.assertIn('    error (acknowledged): consumer %s'
                      % self.reader.notes['orphan'], table)
        self.assertIn('; 1 acknowledged;', table.splitlines()[-1])

    def test_fail_on_counts_new_findings_of_the_severity(self):
        self.assertEqual({'usage_mismatch'}, {
            f.kind for f in self.report.failing('warning')})
        self.assertEqual([], self.report.failing('error'))
        unacknowledged = report.Report(self.result)
        self.assertEqual(['orphan_allocation'], [
            f.kind for f in unacknowledged.failing('error')])

    def test_rows_follow_the_row_columns(self):
        columns, data = report.rows(self.report)
        data = list(data)  # made as cliff reads them
        self.assertEqual(report.ROW_COLUMNS, columns)
        self.assertEqual(len(self.result.findings), len(data))
        orphan = [row for row in data if row[0] == 'orphan_allocation'][0]
        as_dict = dict(zip(columns, orphan))
        self.assertIs(True, as_dict['acknowledged'])
        self.assertEqual('DISK_GB=1,MEMORY_MB=128,VCPU=1',
                         as_dict['actual'].human_readable())
        self.assertEqual({'DISK_GB': 1, 'MEMORY_MB': 128, 'VCPU': 1},
                         as_dict['actual'].machine_readable())
