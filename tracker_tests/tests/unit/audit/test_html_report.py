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

"""The HTML report, from recorded payloads: its content, then in chromium."""

import os
import re
import shutil

import fixtures
import testtools

from tracker_tests.audit import html_report
from tracker_tests.audit import report
from tracker_tests.audit import settle
from tracker_tests.tests import chromium
from tracker_tests.tests.unit.audit import fakes


def audit(fixture, acknowledged_kinds=()):
    reader = fakes.FixtureReader(fixture)
    result = settle.audit(reader, settle=0)
    acknowledged = frozenset(report.identity(f.to_dict())
                             for f in result.findings
                             if f.kind in acknowledged_kinds)
    return reader, report.Report(result, requests=20,
                                 acknowledged=acknowledged)


def sections(page):
    """[(host, classes, findings count)] of the host sections, in order."""
    return [(host, classes, int(count)) for classes, host, count in
            re.findall(r'<section class="([^"]*)" id="host-([^"]*)" '
                       r'data-findings="(\d+)">', page)]


class TestPage(testtools.TestCase):

    def test_hosts_with_findings_come_first_and_marked(self):
        reader, rep = audit('wrong_provider')
        page = html_report.render(rep)
        self.assertEqual([('compute2', 'host has-findings', 4),
                          ('compute1', 'host', 0),
                          ('compute3', 'host', 0)], sections(page))
        self.assertIn('<span class="badge">4 finding(s)</span>', page)
        self.assertIn('4 new finding(s)', page)

    def test_each_finding_has_its_explanation_and_remedy(self):
        reader, rep = audit('orphan_planted')
        page = html_report.render(rep)
        self.assertEqual(len(rep.findings),
                         page.count('<tr class="finding"'))
        for finding in rep.findings:
            self.assertIn('<p class="why">%s</p>' % finding.explanation,
                          page)
            self.assertIn('remedy: <code>%s</code>' % finding.remedy, page)

    def test_a_chart_per_compute_node(self):
        reader, rep = audit('servers_active')
        page = html_report.render(rep)
        self.assertIn('<body data-charts="3">', page)
        self.assertEqual(3, page.count('class="plotly-graph-div"'))
        self.assertIn('No findings', page)
        # The page carries plotly.js: it opens with no network.
        self.assertNotIn('<script src=', page)
        self.assertIn('Plotly.newPlot', page)

    def test_acknowledged_findings_do_not_mark_the_host(self):
        reader, rep = audit('orphan_planted', ('orphan_allocation',
                                               'usage_mismatch'))
        page = html_report.render(rep)
        self.assertEqual(('compute1', 'host', 0), sections(page)[0])
        self.assertIn('<span class="badge acknowledged">4 acknowledged',
                      page)
        self.assertIn('No new finding (4 acknowledged)', page)

    def test_figures_are_placement_hypervisor_reserved_capacity(self):
        reader, rep = audit('orphan_planted')
        snapshot = rep.snapshot
        node = [h for h in snapshot.hypervisors.values()
                if h.hypervisor_hostname == 'compute1'][0]
        figures = dict(html_report.node_figures(snapshot, node))
        inventory = snapshot.inventories[node.id]['MEMORY_MB']
        self.assertEqual({
            'Placement usage': snapshot.usages[node.id]['MEMORY_MB'],
            'Hypervisor used - reserved': (node.memory_mb_used -
                                           inventory.reserved),
            'Reserved': inventory.reserved,
            'Capacity': inventory.capacity,
        }, figures['MEMORY_MB'])
        # The planted orphan's 128 MB is in Placement only.
        self.assertEqual(128, figures['MEMORY_MB']['Placement usage'] -
                         figures['MEMORY_MB']['Hypervisor used - reserved'])
        self.assertEqual(['VCPU', 'MEMORY_MB', 'DISK_GB'], list(figures))

    def test_text_from_the_cloud_is_escaped(self):
        reader, rep = audit('orphan_planted')
        finding = rep.findings[0]
        rep.result.findings[0] = type(finding)(**dict(
            finding.to_dict(), explanation='<script>alert(1)</script>'))
        page = html_report.render(rep)
        self.assertNotIn('<script>alert(1)', page)
        self.assertIn('&lt;script&gt;alert(1)&lt;/script&gt;', page)


class TestInBrowser(testtools.TestCase):
    """The page as chromium shows it: charts drawn, findings, no errors."""

    def setUp(self):
        super().setUp()
        self.chromium = chromium.find()
        if self.chromium is None:
            self.skipTest('chromium is not installed (apt-get install '
                          'chromium; tools/run-tests installs it from '
                          'bindep.txt)')
        self.directory = self.useFixture(fixtures.TempDir()).path

    def write_page(self, fixture):
        reader, rep = audit(fixture)
        path = os.path.join(self.directory, '%s.html' % fixture)
        with open(path, 'w') as out:
            out.write(html_report.render(rep))
        return reader, rep, path

    def test_charts_and_findings_render_without_script_errors(self):
        reader, rep, path = self.write_page('orphan_planted')
        dom, errors = chromium.dump_dom(self.chromium, path)
        self.assertEqual([], errors)
        self.assertNotIn('data-script-errors', dom)
        self.assertIn('data-charts-rendered="3"', dom)
        # plotly.js replaced each empty chart div with its drawing.
        self.assertGreaterEqual(dom.count('class="main-svg"'), 3)
        self.assertEqual(len(rep.findings),
                         dom.count('<tr class="finding"'))
        self.assertIn(reader.notes['orphan'], dom)

    def test_screenshot(self):
        reader, rep, path = self.write_page('orphan_planted')
        png = os.path.join(self.directory, 'report.png')
        self.assertEqual([], chromium.screenshot(self.chromium, path, png))
        self.assertEqual((1280, 1100), chromium.png_size(png))
        # A blank page compresses to a few kB; charts and tables do not.
        self.assertGreater(os.path.getsize(png), 50000)
        keep = os.environ.get('TRACKER_AUDIT_SCREENSHOT')
        if keep:
            shutil.copyfile(png, keep)

    def test_a_page_with_a_script_error_is_caught(self):
        # The check above would pass on a page that never ran: make sure
        # an error is seen when there is one.
        path = os.path.join(self.directory, 'broken.html')
        with open(path, 'w') as out:
            out.write('<html><head><script>%s</script></head><body>'
                      '<script>undefinedFunction();</script></body></html>'
                      % html_report.ERROR_TRAP)
        dom, errors = chromium.dump_dom(self.chromium, path)
        self.assertIn('data-script-errors="1"', dom)
        self.assertTrue(errors, 'chromium logged no console error')
