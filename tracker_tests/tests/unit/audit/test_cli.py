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

"""tracker-audit end to end: openstacksdk against a fake HTTP cloud."""

import io
import json
import logging
import os

import fixtures
import testtools

from tracker_tests.audit import checks
from tracker_tests.audit import cli
from tracker_tests.tests.unit.audit import fake_cloud
from tracker_tests.tests.unit.audit import fakes


class CliTestCase(testtools.TestCase):

    fixture_name = 'servers_active'

    def setUp(self):
        super().setUp()
        self.recording = fakes.load(self.fixture_name)
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', self.stdout))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))
        for name in list(os.environ):
            if name.startswith('OS_'):
                self.useFixture(fixtures.EnvironmentVariable(name))
        home = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.EnvironmentVariable('HOME', home))
        self.useFixture(fixtures.EnvironmentVariable(
            'XDG_CONFIG_HOME', home))

    def start_cloud(self, catalog=None):
        cloud = self.useFixture(fake_cloud.FakeCloud(
            self.recording['responses'], catalog))
        clouds_yaml = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'clouds.yaml')
        with open(clouds_yaml, 'w') as out:
            json.dump({'clouds': {'fake': {
                'auth': {'auth_url': cloud.url + '/identity/v3',
                         'username': 'admin',
                         'password': fake_cloud.PASSWORD,
                         'project_name': 'admin',
                         'user_domain_name': 'Default',
                         'project_domain_name': 'Default'},
                'identity_api_version': 3,
                'region_name': 'RegionOne'}}}, out)
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', clouds_yaml))
        return cloud

    def use_os_variables(self, auth_url, password):
        """Credentials from OS_* variables only, no clouds.yaml."""
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_CLIENT_CONFIG_FILE', '/nonexistent/clouds.yaml'))
        for name, value in (('OS_AUTH_URL', auth_url),
                            ('OS_USERNAME', 'admin'),
                            ('OS_PASSWORD', password),
                            ('OS_PROJECT_NAME', 'admin'),
                            ('OS_USER_DOMAIN_NAME', 'Default'),
                            ('OS_PROJECT_DOMAIN_NAME', 'Default'),
                            ('OS_IDENTITY_API_VERSION', '3')):
            self.useFixture(fixtures.EnvironmentVariable(name, value))

    def run_cli(self, *args):
        return cli.main(list(args))

    def one_error_line(self):
        lines = [line for line in self.stderr.getvalue().splitlines()
                 if line.startswith('tracker-audit: error:')]
        self.assertEqual(1, len(lines), self.stderr.getvalue())
        return lines[0]


class TestCleanCloud(CliTestCase):

    def test_clean_cloud_exits_0_with_a_table(self):
        cloud = self.start_cloud()
        self.assertEqual(0, self.run_cli('--os-cloud', 'fake',
                                         '--settle', '0'))
        self.assertIn('No findings', self.stdout.getvalue())
        self.assertEqual([], cloud.unanswered)

    def test_only_gets_are_sent_besides_authentication(self):
        cloud = self.start_cloud()
        self.run_cli('--os-cloud', 'fake', '--settle', '0')
        methods = {(method, path.split('?')[0]) for method, path, _ in
                   cloud.requests if method != 'GET'}
        self.assertEqual({('POST', '/identity/v3/auth/tokens')}, methods)

    def test_os_env_variables_work_without_clouds_yaml(self):
        cloud = self.start_cloud()
        self.use_os_variables(cloud.url + '/identity/v3', fake_cloud.PASSWORD)
        self.assertEqual(0, self.run_cli('--settle', '0'))

    def test_os_cloud_variable_names_the_cloud(self):
        self.start_cloud()
        self.useFixture(fixtures.EnvironmentVariable('OS_CLOUD', 'fake'))
        self.assertEqual(0, self.run_cli('--settle', '0'))

    def test_json_summary_has_the_documented_keys(self):
        self.start_cloud()
        self.assertEqual(0, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--format', 'json'))
        document = json.loads(self.stdout.getvalue())
        self.assertEqual({'findings', 'summary'}, set(document))
        self.assertEqual([], document['findings'])
        summary = document['summary']
        self.assertEqual({'counts', 'providers', 'servers', 'consumers',
                          'seconds', 'reads', 'requests'}, set(summary))
        self.assertEqual(set(checks.KINDS), set(summary['counts']))
        self.assertEqual(3, summary['providers'])
        self.assertGreaterEqual(summary['servers'], 2)
        self.assertGreater(summary['requests'], 0)


class TestFindings(CliTestCase):

    fixture_name = 'orphan_planted'

    def test_settle_interval_re_reads_until_settle_is_over(self):
        self.start_cloud()
        self.assertEqual(3, self.run_cli(
            '--os-cloud', 'fake', '--settle', '0.3', '--settle-interval',
            '0.1', '--kind', 'orphan_allocation', '--format', 'json'))
        document = json.loads(self.stdout.getvalue())
        self.assertEqual(4, document['summary']['reads'])
        self.assertEqual(1, document['summary']['counts']['orphan_allocation'])

    def test_orphan_exits_3_naming_consumer_and_provider(self):
        self.start_cloud()
        notes = self.recording['notes']
        self.assertEqual(3, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--format', 'json'))
        document = json.loads(self.stdout.getvalue())
        orphans = [f for f in document['findings']
                   if f['kind'] == 'orphan_allocation']
        self.assertEqual([(notes['orphan'], notes['provider'], 'compute1')],
                         [(f['consumer'], f['provider'], f['host'])
                          for f in orphans])
        self.assertEqual(len(document['findings']),
                         sum(document['summary']['counts'].values()))
        finding = orphans[0]
        self.assertEqual(
            {'kind', 'severity', 'host', 'provider', 'consumer',
             'resource_class', 'expected', 'actual', 'explanation',
             'remedy'}, set(finding))
        self.assertEqual('openstack resource provider allocation delete %s'
                         % notes['orphan'], finding['remedy'])

    def test_table_names_consumer_and_remedy(self):
        self.start_cloud()
        notes = self.recording['notes']
        self.assertEqual(3, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--kind', 'orphan_allocation'))
        table = self.stdout.getvalue()
        self.assertTrue(table.startswith('KIND'), table)
        self.assertIn(notes['orphan'], table)
        self.assertIn('remedy: openstack resource provider allocation '
                      'delete %s' % notes['orphan'], table)

    def test_kind_filter_leaves_other_kinds_out(self):
        self.start_cloud()
        self.assertEqual(0, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--kind', 'forced_down_service',
                                         '--format', 'json'))
        document = json.loads(self.stdout.getvalue())
        self.assertEqual({'forced_down_service': 0},
                         document['summary']['counts'])

    def test_host_filter_reports_only_that_host(self):
        self.start_cloud()
        self.assertEqual(0, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--host', 'compute2'))
        self.assertEqual(3, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--host', 'compute1'))

    def test_debug_never_prints_password_or_token(self):
        self.start_cloud()
        self.assertEqual(3, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--debug'))
        output = self.stderr.getvalue() + self.stdout.getvalue()
        # The debug log is there (requests are logged) ...
        self.assertIn('os-hypervisors/detail', self.stderr.getvalue())
        self.assertIn('auth/tokens', self.stderr.getvalue())
        # ... without the secrets.
        self.assertNotIn(fake_cloud.PASSWORD, output)
        self.assertNotIn(fake_cloud.TOKEN, output)


class TestUsageErrors(CliTestCase):

    def test_unknown_kind_exits_2_naming_it(self):
        self.assertEqual(2, self.run_cli('--kind', 'orphan_allocation',
                                         '--kind', 'leaky_bucket'))
        line = self.one_error_line()
        self.assertIn('--kind', line)
        self.assertIn('leaky_bucket', line)
        self.assertNotIn('orphan_allocation,', line.split('known')[0])

    def test_negative_settle_exits_2(self):
        self.assertEqual(2, self.run_cli('--settle', '-1'))
        self.assertIn('--settle', self.one_error_line())

    def test_settle_interval_of_0_exits_2(self):
        self.assertEqual(2, self.run_cli('--settle-interval', '0'))
        self.assertIn('--settle-interval', self.one_error_line())

    def test_bad_format_exits_2(self):
        self.assertEqual(2, self.run_cli('--format', 'xml'))
        self.assertIn('--format', self.stderr.getvalue())

    def test_unknown_host_exits_2_naming_it(self):
        self.start_cloud()
        self.assertEqual(2, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '--host', 'compute9'))
        line = self.one_error_line()
        self.assertIn('--host', line)
        self.assertIn('compute9', line)
        self.assertIn('compute1', line)

    def test_unknown_cloud_exits_2_naming_the_flag(self):
        self.start_cloud()
        self.assertEqual(2, self.run_cli('--os-cloud', 'nosuchcloud'))
        line = self.one_error_line()
        self.assertIn('--os-cloud', line)
        self.assertIn('nosuchcloud', line)

    def test_help_exits_0_and_lists_kinds(self):
        self.assertEqual(0, self.run_cli('--help'))
        self.assertIn('orphan_allocation', self.stdout.getvalue())


class TestCloudErrors(CliTestCase):

    def test_missing_placement_endpoint_is_one_line_exit_1(self):
        self.start_cloud({'compute': 'here', 'placement': None})
        self.assertEqual(1, self.run_cli('--os-cloud', 'fake',
                                         '--settle', '0'))
        self.assertIn('placement endpoint', self.one_error_line())
        self.assertEqual('', self.stdout.getvalue())

    def test_unreachable_placement_is_one_line_exit_1(self):
        self.start_cloud({'compute': 'here', 'placement': 'closed'})
        self.assertEqual(1, self.run_cli('--os-cloud', 'fake',
                                         '--settle', '0'))
        self.assertIn('placement service unreachable', self.one_error_line())

    def test_unreachable_compute_is_one_line_exit_1(self):
        self.start_cloud({'compute': 'closed', 'placement': 'here'})
        self.assertEqual(1, self.run_cli('--os-cloud', 'fake',
                                         '--settle', '0'))
        self.assertIn('compute service unreachable', self.one_error_line())

    def test_unreachable_keystone_is_one_line_exit_1(self):
        self.use_os_variables('http://127.0.0.1:%d/identity/v3'
                              % fake_cloud.closed_port(), 'x' * 8)
        self.assertEqual(1, self.run_cli('--settle', '0'))
        self.assertIn('identity', self.one_error_line())

    def test_wrong_password_is_one_line_exit_1_without_the_password(self):
        cloud = self.start_cloud()
        self.use_os_variables(cloud.url + '/identity/v3', 'wrong-secret-123')
        self.assertEqual(1, self.run_cli('--settle', '0', '--debug'))
        self.assertIn('authentication failed', self.one_error_line())
        self.assertNotIn('wrong-secret-123', self.stderr.getvalue())


class TestOutputHelpers(testtools.TestCase):

    def test_redacting_filter_masks_known_secrets_in_any_record(self):
        redactor = cli.RedactingFilter()
        redactor.add(fake_cloud.TOKEN)
        redactor.add('abc')  # too short to mask without mangling text
        record = logging.LogRecord(
            'keystoneauth.session', logging.DEBUG, __file__, 1,
            'RESP BODY: %s', ('{"token": "%s", "abc": 1}'
                              % fake_cloud.TOKEN,), None)
        self.assertTrue(redactor.filter(record))
        self.assertEqual('RESP BODY: {"token": "***", "abc": 1}',
                         record.getMessage())

    def test_progress_only_for_large_clouds(self):
        stream = io.StringIO()
        progress = cli._progress_printer(stream)
        progress(1, cli.PROGRESS_MIN_PROVIDERS - 1)
        self.assertEqual('', stream.getvalue())
        total = cli.PROGRESS_MIN_PROVIDERS
        progress(1, total)
        progress(total, total)
        self.assertEqual('\rtracker-audit: read 1/%d providers'
                         '\rtracker-audit: read %d/%d providers\n'
                         % (total, total, total), stream.getvalue())
