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

"""tracker-audit against a live cloud, through the real command.

Needs OS_CLOUD (for the local cloud: eval "$(tools/localcloud env)") and
admin credentials. Skipped when OS_CLOUD is unset; fails when it is set
but the cloud does not answer. The tests audit the whole cloud, so other
activity on it (tempest runs) can make the clean-cloud checks fail. Run
with:

    stestr --test-path tracker_tests/tests/functional run

TRACKER_AUDIT_SCREENSHOT=FILE keeps the HTML report's screenshot of the
leaky cloud (doc/source/audit-report.png is one).
"""

import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

import fixtures
import openstack
import testtools

from tracker_tests.tests import chromium

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
PLACEMENT = '1.28'
COMPUTE = '2.74'
FLAVOR = os.environ.get('TRACKER_AUDIT_FLAVOR', 'tracker.small')
BOOT_TIMEOUT = 180
#: Each test audits the whole cloud, so each must not see what another one
#: planted: the tests take this lock, also across stestr workers.
LOCK_PATH = os.path.join(tempfile.gettempdir(),
                         'tracker-audit-functional.lock')


class AuditCliTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        if not os.environ.get('OS_CLOUD'):
            self.skipTest('OS_CLOUD is not set: these tests audit a live '
                          'cloud (eval "$(tools/localcloud env)")')
        lock = open(LOCK_PATH, 'w')
        self.addCleanup(lock.close)
        fcntl.flock(lock, fcntl.LOCK_EX)
        self.conn = openstack.connect(cloud=os.environ['OS_CLOUD'])
        # Fail, not skip, when the named cloud does not answer.
        response = self.conn.placement.get('/', raise_exc=False)
        self.assertEqual(200, response.status_code, response.text)
        self.compute1 = self.provider_named('compute1')

    def provider_named(self, name):
        providers = self.conn.placement.get(
            '/resource_providers?name=%s' % name,
            microversion=PLACEMENT).json()['resource_providers']
        self.assertEqual(1, len(providers), 'no provider named %s' % name)
        return providers[0]['uuid']

    def run_audit(self, *args):
        """(exit code, stdout, stderr) of tracker-audit."""
        command = [sys.executable, '-m', 'tracker_tests.audit'] + list(args)
        done = subprocess.run(command, cwd=REPO, capture_output=True,
                              text=True, timeout=600)
        return done.returncode, done.stdout, done.stderr

    def audit(self, *args):
        """(exit code, JSON document or None, stderr) of tracker-audit."""
        code, stdout, stderr = self.run_audit('--format', 'json', *args)
        document = json.loads(stdout) if stdout.strip() else None
        return code, document, stderr

    def plant_orphan(self):
        consumer = str(uuid.uuid4())
        self.addCleanup(self.delete_allocations, consumer)
        self.put_allocations(consumer, {self.compute1: {'resources': {
            'VCPU': 1, 'MEMORY_MB': 64}}})
        return consumer

    def findings(self, document, kind):
        return [f for f in document['findings'] if f['kind'] == kind]

    # placement and compute writes, each undone by a cleanup

    def put_allocations(self, consumer, allocations, generation=None,
                        project_id=None, user_id=None):
        response = self.conn.placement.put(
            '/allocations/%s' % consumer, microversion=PLACEMENT, json={
                'allocations': allocations,
                'consumer_generation': generation,
                'project_id': project_id or self.conn.current_project_id,
                'user_id': user_id or self.conn.current_user_id})
        self.assertEqual(204, response.status_code, response.text)

    def delete_allocations(self, consumer):
        response = self.conn.placement.delete(
            '/allocations/%s' % consumer, microversion=PLACEMENT)
        self.assertIn(response.status_code, (204, 404), response.text)

    def boot_server(self):
        flavor = self.conn.compute.find_flavor(FLAVOR, ignore_missing=False)
        image = next(image for image in self.conn.image.images()
                     if image.status == 'active')
        response = self.conn.compute.post('/servers', microversion=COMPUTE,
                                          json={'server': {
                                              'name': self.getUniqueString(),
                                              'flavorRef': flavor.id,
                                              'imageRef': image.id,
                                              'networks': 'none'}})
        self.assertEqual(202, response.status_code, response.text)
        server_id = response.json()['server']['id']
        self.addCleanup(self.delete_server, server_id)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            server = self.conn.compute.get(
                '/servers/%s' % server_id, microversion=COMPUTE).json()[
                    'server']
            if server['status'] == 'ACTIVE' and not server.get(
                    'OS-EXT-STS:task_state'):
                return server
            self.assertNotEqual('ERROR', server['status'], server)
            time.sleep(1)
        self.fail('server %s not ACTIVE after %ss'
                  % (server_id, BOOT_TIMEOUT))

    def delete_server(self, server_id):
        self.conn.compute.delete('/servers/%s' % server_id,
                                 microversion=COMPUTE)
        # Nova answers 404 before the compute frees the allocation; wait
        # for both so that the next test audits a settled cloud.
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            gone = self.conn.compute.get(
                '/servers/%s' % server_id,
                microversion=COMPUTE).status_code == 404
            held = self.conn.placement.get(
                '/allocations/%s' % server_id,
                microversion=PLACEMENT).json()['allocations']
            if gone and not held:
                return
            time.sleep(1)

    def test_clean_cloud_exits_0(self):
        code, document, stderr = self.audit()
        self.assertEqual(0, code, document or stderr)
        self.assertEqual([], document['findings'])
        self.assertGreaterEqual(document['summary']['providers'], 3)

    def test_planted_orphan_is_found_then_gone(self):
        consumer = self.plant_orphan()

        code, document, stderr = self.audit()
        self.assertEqual(3, code, stderr)
        orphans = [(f['consumer'], f['provider'])
                   for f in self.findings(document, 'orphan_allocation')]
        self.assertIn((consumer, self.compute1), orphans)

        self.delete_allocations(consumer)
        code, document, stderr = self.audit()
        self.assertEqual(0, code, document or stderr)

    def test_server_without_allocation_is_missing_allocation(self):
        server = self.boot_server()
        held = self.conn.placement.get(
            '/allocations/%s' % server['id'], microversion=PLACEMENT).json()
        self.assertTrue(held['allocations'], held)

        def restore():
            now = self.conn.placement.get(
                '/allocations/%s' % server['id'],
                microversion=PLACEMENT).json()
            self.put_allocations(
                server['id'], {rp: {'resources': a['resources']}
                               for rp, a in held['allocations'].items()},
                now.get('consumer_generation'), held['project_id'],
                held['user_id'])
        # Cleanups run last in, first out: restore, then delete the server.
        self.addCleanup(restore)
        self.delete_allocations(server['id'])

        code, document, stderr = self.audit(
            '--host', server['OS-EXT-SRV-ATTR:host'])
        self.assertEqual(3, code, stderr)
        missing = self.findings(document, 'missing_allocation')
        self.assertEqual([server['id']], [f['consumer'] for f in missing])
        self.assertEqual('nova-manage placement heal_allocations --instance '
                         '%s' % server['id'], missing[0]['remedy'])

    def test_baseline_acknowledges_known_orphans_and_not_new_ones(self):
        known = self.plant_orphan()
        baseline = os.path.join(self.useFixture(
            fixtures.TempDir()).path, 'baseline.json')
        code, _, stderr = self.run_audit('-f', 'json', '--output', baseline)
        self.assertEqual(3, code, stderr)

        code, document, stderr = self.audit('--baseline', baseline)
        self.assertEqual(0, code, document or stderr)
        self.assertIn((known, True), [
            (f['consumer'], f['acknowledged'])
            for f in self.findings(document, 'orphan_allocation')])

        new = self.plant_orphan()
        code, document, stderr = self.audit('--baseline', baseline)
        self.assertEqual(3, code, stderr)
        self.assertEqual({known: True, new: False}, {
            f['consumer']: f['acknowledged']
            for f in self.findings(document, 'orphan_allocation')})
        code, document, stderr = self.audit('--baseline', baseline,
                                            '--ignore', new)
        self.assertEqual(0, code, document or stderr)

    def test_prometheus_exposition_of_a_clean_cloud(self):
        code, text, stderr = self.run_audit('-f', 'prometheus')
        self.assertEqual(0, code, text + stderr)
        self.assertIn('tracker_audit_success 1.0', text.splitlines())
        self.assertIn('tracker_audit_new_findings{kind="orphan_allocation"} '
                      '0.0', text.splitlines())

    def test_html_report_of_a_leaky_cloud_in_chromium(self):
        binary = chromium.find()
        if binary is None:
            self.skipTest('chromium is not installed (apt-get install '
                          'chromium)')
        consumer = self.plant_orphan()
        directory = self.useFixture(fixtures.TempDir()).path
        page = os.path.join(directory, 'audit.html')
        code, _, stderr = self.run_audit('-f', 'html', '--output', page)
        self.assertEqual(3, code, stderr)
        dom, errors = chromium.dump_dom(binary, page)
        self.assertEqual([], errors)
        self.assertNotIn('data-script-errors', dom)
        charts = re.search(r'data-charts="(\d+)"', dom).group(1)
        self.assertGreaterEqual(int(charts), 3)
        self.assertIn('data-charts-rendered="%s"' % charts, dom)
        self.assertIn(consumer, dom)
        self.assertIn('section class="host has-findings" id="host-compute1"',
                      dom)
        png = os.environ.get('TRACKER_AUDIT_SCREENSHOT') or os.path.join(
            directory, 'audit.png')
        self.assertEqual([], chromium.screenshot(binary, page, png))
        self.assertEqual((1280, 1100), chromium.png_size(png))
