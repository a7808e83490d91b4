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

The tests that freeze Placement or run nova-manage need the local cloud
(LOCALCLOUD_DIR, from tools/localcloud env) and are skipped without it.
"""

import datetime
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
NOVA_MANAGE_ORPHAN = re.compile(
    r'Allocations for consumer UUID (\S+) on Resource Provider (\S+)')
FLAVOR = os.environ.get('TRACKER_AUDIT_FLAVOR', 'tracker.small')
#: The local cloud's flavor for its strict computes, where no periodic task
#: repairs allocations.
STRICT_FLAVOR = 'tracker.strict'
BOOT_TIMEOUT = 180
#: Each test audits the whole cloud, so each must not see what another one
#: planted: the tests take this lock, also across stestr workers.
LOCK_PATH = os.path.join(tempfile.gettempdir(),
                         'tracker-audit-functional.lock')


class AuditCliBase(testtools.TestCase):
    """Set-up and helpers: the cloud, tracker-audit, planted data."""

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

    def boot_server(self, flavor=FLAVOR):
        flavor = self.conn.compute.find_flavor(flavor, ignore_missing=False)
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
        self.deleted_at = time.monotonic()
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


class AuditCliTest(AuditCliBase):

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


class LocalCloudAuditTest(AuditCliBase):
    """What needs the local cloud itself: its service control, nova-manage."""

    def setUp(self):
        self.localcloud = os.environ.get('LOCALCLOUD_DIR')
        if not self.localcloud:
            self.skipTest('LOCALCLOUD_DIR is not set (eval "$(tools/'
                          'localcloud env)"): needs the local cloud')
        super().setUp()

    def localcloud_command(self, *args):
        done = subprocess.run(
            [sys.executable, os.path.join(REPO, 'tools', 'localcloud')] +
            list(args), cwd=REPO, capture_output=True, text=True,
            timeout=300)
        self.assertEqual(0, done.returncode, done.stdout + done.stderr)

    def nova_manage_orphans(self):
        """{consumer: provider} nova-manage placement audit names."""
        done = subprocess.run(
            [os.path.join(self.localcloud, 'venv', 'bin', 'nova-manage'),
             '--config-file', os.path.join(self.localcloud, 'etc', 'nova',
                                           'nova.conf'),
             'placement', 'audit', '--verbose'],
            capture_output=True, text=True, timeout=600)
        self.assertIn(done.returncode, (0, 3), done.stdout + done.stderr)
        return dict(NOVA_MANAGE_ORPHAN.findall(done.stdout))

    def create_provider(self, name, traits, inventories):
        provider = str(uuid.uuid4())
        response = self.conn.placement.post(
            '/resource_providers', microversion=PLACEMENT,
            json={'uuid': provider, 'name': name})
        self.assertEqual(200, response.status_code, response.text)
        self.addCleanup(self.conn.placement.delete,
                        '/resource_providers/%s' % provider,
                        microversion=PLACEMENT)
        response = self.conn.placement.put(
            '/resource_providers/%s/inventories' % provider,
            microversion=PLACEMENT, json={
                'resource_provider_generation': 0,
                'inventories': {rc: {'total': total}
                                for rc, total in inventories.items()}})
        self.assertEqual(200, response.status_code, response.text)
        if traits:
            response = self.conn.placement.put(
                '/resource_providers/%s/traits' % provider,
                microversion=PLACEMENT, json={
                    'resource_provider_generation': 1, 'traits': traits})
            self.assertEqual(200, response.status_code, response.text)
        return provider

    def test_frozen_placement_exits_1_within_the_timeout(self):
        # A frozen process (SIGSTOP) accepts connections and answers
        # nothing: the audit must end on its own, naming Placement.
        self.addCleanup(self.localcloud_command, 'service', 'thaw',
                        'placement')
        self.localcloud_command('service', 'freeze', 'placement')
        started = time.monotonic()
        code, stdout, stderr = self.run_audit(
            '--timeout', '5', '--retries', '1', '--settle', '0')
        seconds = time.monotonic() - started
        self.assertEqual(1, code, stdout + stderr)
        self.assertEqual('', stdout)
        errors = [line for line in stderr.splitlines()
                  if line.startswith('tracker-audit: error:')]
        self.assertEqual(1, len(errors), stderr)
        self.assertIn('placement service unreachable', errors[0])
        # 5 s x 2 attempts, 0.5 s of backoff, and the command's start.
        self.assertLess(seconds, 5 * 2 + 0.5 + 10)

    def test_every_orphan_nova_manage_names_tracker_audit_names(self):
        # One orphan on each kind of provider nova-manage examines.
        planted = {}
        sharing = self.create_provider(
            'audit-functional-sharing', ['MISC_SHARES_VIA_AGGREGATE'],
            {'DISK_GB': 1000})
        left = self.create_provider(
            'audit-functional-left', ['COMPUTE_NODE'],
            {'VCPU': 8, 'MEMORY_MB': 8192})
        outside = self.create_provider(
            'audit-functional-outside', [],
            {'VCPU': 8, 'MEMORY_MB': 8192, 'DISK_GB': 100})
        for provider, resources in (
                (self.compute1, {'VCPU': 1, 'MEMORY_MB': 64}),
                (sharing, {'DISK_GB': 5}),
                (left, {'VCPU': 1}),
                (outside, {'MEMORY_MB': 64, 'DISK_GB': 1})):
            consumer = str(uuid.uuid4())
            self.addCleanup(self.delete_allocations, consumer)
            self.put_allocations(consumer, {provider: {
                'resources': resources}})
            planted[consumer] = provider

        named_by_nova_manage = self.nova_manage_orphans()
        code, document, stderr = self.audit('--settle', '0')
        self.assertEqual(3, code, stderr)
        named = {f['consumer'] for f in document['findings']}
        self.assertEqual(planted, {c: p for c, p in
                                   named_by_nova_manage.items()
                                   if c in planted})
        self.assertEqual(set(), set(named_by_nova_manage) - named)
        explanations = {f['consumer']: f['explanation']
                        for f in self.findings(document,
                                               'orphan_allocation')}
        for consumer, provider in planted.items():
            self.assertIn(consumer, explanations)
        by_provider = {p: explanations[c] for c, p in planted.items()}
        self.assertIn('on compute node', by_provider[self.compute1])
        self.assertIn('on sharing provider', by_provider[sharing])
        self.assertIn('COMPUTE_NODE trait but no compute node',
                      by_provider[left])
        self.assertIn("outside every compute node's tree",
                      by_provider[outside])

    def test_leak_of_a_deleted_server_waits_for_the_grace_then_says_when(
            self):
        # A compute's periodic resource update deletes what a deleted
        # instance still holds on its node; the strict computes never run
        # it, so the planted leak stays until the second audit.
        server = self.boot_server(STRICT_FLAVOR)
        held = self.conn.placement.get(
            '/allocations/%s' % server['id'],
            microversion=PLACEMENT).json()
        self.delete_server(server['id'])
        # The leak: the deleted server's allocations put back.
        self.addCleanup(self.delete_allocations, server['id'])
        self.put_allocations(
            server['id'], {rp: {'resources': a['resources']}
                           for rp, a in held['allocations'].items()},
            None, held['project_id'], held['user_id'])
        deleted = [s for s in self.conn.compute.get(
            '/servers/detail?all_tenants=1&deleted=true&changes-since=%s'
            % (datetime.datetime.utcnow() - datetime.timedelta(
                minutes=30)).strftime('%Y-%m-%dT%H:%M:%SZ'),
            microversion=COMPUTE).json()['servers']
            if s['id'] == server['id']]
        self.assertEqual(1, len(deleted))

        code, document, stderr = self.audit('--server', server['id'])
        orphans = self.findings(document, 'orphan_allocation')
        if time.monotonic() - self.deleted_at < 50:
            # Clean-up in flight: no finding yet.
            self.assertEqual(0, code, document or stderr)
            self.assertEqual([], orphans)
        time.sleep(max(0, 65 - (time.monotonic() - self.deleted_at)))
        code, document, stderr = self.audit('--server', server['id'])
        self.assertEqual(3, code, stderr)
        orphans = self.findings(document, 'orphan_allocation')
        self.assertEqual([server['id']],
                         sorted({f['consumer'] for f in orphans}))
        self.assertIn('which Nova deleted at', orphans[0]['explanation'])
        self.assertEqual(1, document['summary']['reads'])
