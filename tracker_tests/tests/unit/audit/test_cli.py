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
import re
import subprocess
import sys
import time

import fixtures
import testtools

from tracker_tests.audit import checks
from tracker_tests.audit import cli
from tracker_tests.audit import report
from tracker_tests.audit import sdk_reader
from tracker_tests.tests.unit.audit import fake_cloud
from tracker_tests.tests.unit.audit import fakes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))


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
        # 'acknowledged' was added with --ignore/--baseline,
        # 'requests_by_service' with the benchmark's floor.
        self.assertEqual({'counts', 'providers', 'servers', 'consumers',
                          'seconds', 'reads', 'requests', 'acknowledged',
                          'requests_by_service'}, set(summary))
        self.assertEqual(set(checks.KINDS), set(summary['counts']))
        self.assertEqual(3, summary['providers'])
        self.assertGreaterEqual(summary['servers'], 2)
        self.assertGreater(summary['requests'], 0)
        self.assertEqual(summary['requests'],
                         sum(summary['requests_by_service'].values()))
        # Two provider lists, and inventories and allocations of three.
        self.assertEqual(8, summary['requests_by_service']['placement'])


class TestFindings(CliTestCase):

    fixture_name = 'orphan_planted'

    def test_settle_interval_re_reads_until_settle_is_over(self):
        # compute1's servers changed 36 s before the read: its hypervisor
        # figures stay in doubt, and only compute1 is read again.
        cloud = self.start_cloud()
        self.assertEqual(3, self.run_cli(
            '--os-cloud', 'fake', '--settle', '0.3', '--settle-interval',
            '0.1', '--kind', 'usage_mismatch', '--format', 'json'))
        document = json.loads(self.stdout.getvalue())
        # A wait is never shorter than the last read: how many reads fit
        # depends on this machine's speed.
        reads = document['summary']['reads']
        self.assertGreaterEqual(reads, 2)
        self.assertEqual(3, document['summary']['counts']['usage_mismatch'])
        self.assertEqual(reads, len([
            path for _, path, _ in cloud.requests
            if path.endswith('/os-hypervisors/detail')]))
        self.assertEqual(1, len([
            path for _, path, _ in cloud.requests
            if path.endswith('/servers/detail?all_tenants=1')]))

    def test_an_orphan_nova_never_knew_is_confirmed_by_one_read(self):
        self.start_cloud()
        self.assertEqual(3, self.run_cli(
            '--os-cloud', 'fake', '--kind', 'orphan_allocation', '--format',
            'json'))
        document = json.loads(self.stdout.getvalue())
        self.assertEqual(1, document['summary']['reads'])
        self.assertLess(document['summary']['seconds'], 3)

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
             'remedy', 'acknowledged'}, set(finding))
        self.assertIs(False, finding['acknowledged'])
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


class TestNeverHang(CliTestCase):
    """Timeouts and retries against a cloud that freezes, drops or fails."""

    fixture_name = 'orphan_planted'
    TIMEOUT = 0.5

    def audit(self, *args, retries=1):
        started = time.monotonic()
        code = self.run_cli('--os-cloud', 'fake', '--settle', '0',
                            '--timeout', str(self.TIMEOUT), '--retries',
                            str(retries), *args)
        return code, time.monotonic() - started

    def bound(self, retries=1):
        # timeout x (retries + 1) plus the backoff, and a second for the
        # in-process start (parser, openstacksdk's configuration).
        return (self.TIMEOUT * (retries + 1) +
                sdk_reader.total_backoff(retries) + 1.5)

    def test_frozen_placement_ends_the_run_naming_service_and_path(self):
        cloud = self.start_cloud()
        cloud.fail('placement /resource_providers', fake_cloud.FREEZE)
        code, seconds = self.audit()
        self.assertEqual(1, code)
        line = self.one_error_line()
        self.assertIn('placement service unreachable: GET '
                      '/resource_providers', line)
        self.assertIn('no answer within 0.5 s (2 attempts)', line)
        self.assertLess(seconds, self.bound())
        self.assertEqual('', self.stdout.getvalue())

    def test_frozen_placement_endpoint_fails_at_discovery(self):
        cloud = self.start_cloud()
        cloud.fail('placement', fake_cloud.FREEZE)
        code, seconds = self.audit()
        self.assertEqual(1, code)
        self.assertIn('placement service unreachable', self.one_error_line())
        self.assertLess(seconds, self.bound())

    def test_frozen_nova_list_ends_the_run(self):
        cloud = self.start_cloud()
        cloud.fail('compute /v2.1/servers/detail', fake_cloud.FREEZE)
        code, seconds = self.audit(retries=0)
        self.assertEqual(1, code)
        self.assertIn('compute service unreachable: GET /servers/detail',
                      self.one_error_line())
        self.assertLess(seconds, self.bound(retries=0))

    def test_frozen_keystone_ends_the_run_naming_identity(self):
        cloud = self.start_cloud()
        cloud.fail('identity', fake_cloud.FREEZE)
        code, seconds = self.audit()
        self.assertEqual(1, code)
        line = self.one_error_line()
        self.assertIn('identity service unreachable', line)
        self.assertIn('(2 attempts)', line)
        self.assertLess(seconds, self.bound())

    def test_5xx_and_dropped_connections_are_retried(self):
        cloud = self.start_cloud()
        cloud.fail('placement /resource_providers/', 503, times=2)
        cloud.fail('compute /v2.1/os-hypervisors', fake_cloud.DROP, times=1)
        cloud.fail('placement /resource_providers?required', 500, times=1)
        code, _ = self.audit('--kind', 'orphan_allocation', '-f', 'json',
                             retries=2)
        self.assertEqual(3, code, self.stderr.getvalue())
        document = json.loads(self.stdout.getvalue())
        self.assertEqual([self.recording['notes']['orphan']],
                         [f['consumer'] for f in document['findings']])
        # Each failed attempt was a request too.
        gets = [path for method, path, _ in cloud.requests
                if method == 'GET' and not path.rstrip('/').endswith(
                    ('/placement', '/compute', '/identity/v3'))]
        self.assertEqual(len(gets), document['summary']['requests'])

    def test_a_4xx_answer_is_not_retried(self):
        cloud = self.start_cloud()
        cloud.fail('placement /resource_providers?required', 403)
        code, _ = self.audit(retries=2)
        self.assertEqual(1, code)
        line = self.one_error_line()
        self.assertIn('placement: GET /resource_providers?required='
                      'COMPUTE_NODE failed with HTTP 403', line)
        self.assertNotIn('attempts', line)
        self.assertEqual(1, len([
            path for _, path, _ in cloud.requests
            if path.endswith('required=COMPUTE_NODE')]))

    def test_a_partly_read_cloud_is_never_reported_clean(self):
        for output_format in ('table', 'json', 'html', 'value', 'yaml',
                              'csv', 'prometheus'):
            self.stdout.truncate(0)
            self.stdout.seek(0)
            self.stderr.truncate(0)
            self.stderr.seek(0)
            cloud = self.start_cloud()
            cloud.fail('placement /resource_providers/', 503)
            code, _ = self.audit('-f', output_format, retries=0)
            self.assertEqual(1, code, output_format)
            self.assertIn('placement service unreachable: GET '
                          '/resource_providers/', self.one_error_line())
            printed = self.stdout.getvalue()
            self.assertNotIn('No findings', printed)
            self.assertNotIn('orphan', printed)
            if output_format == 'prometheus':
                self.assertIn('tracker_audit_success 0.0', printed)
                self.assertNotIn('tracker_audit_findings', printed)
                self.assertNotIn('tracker_audit_new_findings', printed)
            else:
                self.assertEqual('', printed, output_format)

    def test_timeout_and_retries_must_make_sense(self):
        for args, flag in ((('--timeout', '0'), '--timeout'),
                           (('--timeout', '-3'), '--timeout'),
                           (('--retries', '-1'), '--retries')):
            self.stderr.truncate(0)
            self.stderr.seek(0)
            self.assertEqual(2, self.run_cli(*args))
            self.assertIn(flag, self.one_error_line())

    def test_session_options_the_audit_cannot_apply_are_refused(self):
        for option in cli.UNAPPLIED_SESSION_OPTIONS:
            self.stderr.truncate(0)
            self.stderr.seek(0)
            args = (option,) if option == '--collect-timing' else (
                option, 'x')
            self.assertEqual(2, self.run_cli(*args))
            self.assertIn(option, self.one_error_line())


class TestServerAndProviderScopes(CliTestCase):

    fixture_name = 'orphan_planted'

    def audit(self, *args):
        return self.run_cli('--os-cloud', 'fake', '--settle', '0', '-f',
                            'json', *args)

    def findings(self):
        return [(f['kind'], f['consumer']) for f in json.loads(
            self.stdout.getvalue())['findings']]

    def test_server_scope_of_a_consumer_nova_no_longer_knows(self):
        self.start_cloud()
        orphan = self.recording['notes']['orphan']
        self.assertEqual(3, self.audit('--server', orphan.upper()))
        self.assertEqual([('orphan_allocation', orphan)], self.findings())

    def test_provider_scope_reads_that_provider_only(self):
        # Derived: GET /servers/{id} of the servers on compute1, answered
        # with their entries of the recorded list.
        listed = self.recording['responses'][
            'compute /servers/detail?all_tenants=1']['body']['servers']
        for server in listed:
            self.recording['responses']['compute /servers/%s' % server[
                'id']] = {'status': 200, 'body': {'server': server}}
        cloud = self.start_cloud()
        provider = self.recording['notes']['provider']
        self.assertEqual(3, self.audit('--provider', provider, '--kind',
                                       'orphan_allocation'))
        self.assertEqual([('orphan_allocation',
                           self.recording['notes']['orphan'])],
                         self.findings())
        read = {path.split('/')[3] for _, path, _ in cloud.requests
                if '/placement/resource_providers/' in path}
        self.assertEqual({provider}, read)

    def test_unknown_provider_exits_2_naming_it(self):
        self.start_cloud()
        missing = '5c8e7f0a-1b2c-4d3e-9f4a-5b6c7d8e9f00'
        self.assertEqual(2, self.audit('--provider', missing))
        line = self.one_error_line()
        self.assertIn('--provider', line)
        self.assertIn(missing, line)

    def test_unknown_server_exits_2_naming_it(self):
        # Derived: Nova's and Placement's answers for a uuid they do not
        # know (an empty migration list, no allocations, 404 for the
        # server).
        missing = '5c8e7f0a-1b2c-4d3e-9f4a-5b6c7d8e9f01'
        self.recording['responses'].update({
            'compute /os-migrations?instance_uuid=%s' % missing: {
                'status': 200, 'body': {'migrations': []}},
            'placement /allocations/%s' % missing: {
                'status': 200, 'body': {'allocations': {}}}})
        self.start_cloud()
        self.assertEqual(2, self.audit('--server', missing))
        line = self.one_error_line()
        self.assertIn('--server', line)
        self.assertIn(missing, line)
        self.assertEqual('', self.stdout.getvalue())

    def test_a_server_or_provider_that_is_no_uuid_exits_2(self):
        for flag in ('--server', '--provider'):
            self.stderr.truncate(0)
            self.stderr.seek(0)
            self.assertEqual(2, self.run_cli(flag, 'compute1'))
            self.assertIn("%s: 'compute1' is not a UUID" % flag,
                          self.one_error_line())


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


class TestCliffFormats(CliTestCase):
    """-f/-c as in python-openstackclient; the documented JSON document."""

    fixture_name = 'orphan_planted'

    def run_orphan_only(self, *args):
        self.start_cloud()
        return self.run_cli('--os-cloud', 'fake', '--settle', '0', '--kind',
                            'orphan_allocation', *args)

    def test_value_of_the_remedy_column_is_a_repair_script(self):
        self.assertEqual(3, self.run_orphan_only('-f', 'value', '-c',
                                                 'remedy'))
        self.assertEqual(
            'openstack resource provider allocation delete %s\n'
            % self.recording['notes']['orphan'], self.stdout.getvalue())

    def test_json_with_columns_is_cliffs_list_of_objects(self):
        self.assertEqual(3, self.run_orphan_only(
            '-f', 'json', '-c', 'consumer', '-c', 'actual'))
        self.assertEqual(
            [{'consumer': self.recording['notes']['orphan'],
              'actual': {'DISK_GB': 1, 'MEMORY_MB': 128, 'VCPU': 1}}],
            json.loads(self.stdout.getvalue()))

    def test_yaml_and_csv_list_every_column(self):
        import yaml
        self.assertEqual(3, self.run_orphan_only('-f', 'yaml'))
        rows = yaml.safe_load(self.stdout.getvalue())
        self.assertEqual(1, len(rows))
        self.assertEqual(set(report.ROW_COLUMNS), set(rows[0]))
        self.stdout.truncate(0)
        self.stdout.seek(0)
        self.assertEqual(3, self.run_orphan_only('-f', 'csv'))
        header = self.stdout.getvalue().splitlines()[0]
        self.assertEqual(','.join('"%s"' % c for c in report.ROW_COLUMNS),
                         header)

    def test_table_with_columns_is_cliffs_table(self):
        self.assertEqual(3, self.run_orphan_only('-c', 'kind', '-c', 'host'))
        lines = self.stdout.getvalue().splitlines()
        self.assertEqual('| kind              | host     |', lines[1])
        self.assertEqual('| orphan_allocation | compute1 |', lines[3])

    def test_output_writes_the_file_and_nothing_on_stdout(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'report.json')
        self.assertEqual(3, self.run_orphan_only('-f', 'json', '--output',
                                                 path))
        self.assertEqual('', self.stdout.getvalue())
        with open(path) as source:
            self.assertEqual(1, len(json.load(source)['findings']))
        self.assertEqual([], [name for name in os.listdir(
            os.path.dirname(path)) if name != 'report.json'])

    def test_unknown_column_exits_2_before_reading_the_cloud(self):
        cloud = self.start_cloud()
        self.assertEqual(2, self.run_cli('--os-cloud', 'fake', '-c',
                                         'remedies'))
        self.assertIn('-c/--column', self.one_error_line())
        self.assertIn('remedies', self.one_error_line())
        self.assertEqual([], cloud.requests)

    def test_columns_of_a_whole_report_format_exit_2(self):
        self.assertEqual(2, self.run_cli('-f', 'prometheus', '-c', 'kind'))
        self.assertIn('-f prometheus', self.one_error_line())


class TestAcknowledgedFindings(CliTestCase):

    fixture_name = 'orphan_planted'

    def audit(self, *args):
        self.stdout.truncate(0)
        self.stdout.seek(0)
        return self.run_cli('--os-cloud', 'fake', '--settle', '0', *args)

    def test_fail_on_error_lets_warnings_exit_0(self):
        self.start_cloud()
        self.assertEqual(3, self.audit('--kind', 'usage_mismatch'))
        self.assertEqual(0, self.audit('--kind', 'usage_mismatch',
                                       '--fail-on', 'error'))
        self.assertIn('usage_mismatch', self.stdout.getvalue())
        self.assertEqual(3, self.audit('--fail-on', 'error'))

    def test_ignore_acknowledges_a_consumer(self):
        self.start_cloud()
        orphan = self.recording['notes']['orphan']
        self.assertEqual(0, self.audit('--kind', 'orphan_allocation',
                                       '--ignore', orphan.upper(),
                                       '-f', 'json'))
        findings = json.loads(self.stdout.getvalue())['findings']
        self.assertEqual([(orphan, True)],
                         [(f['consumer'], f['acknowledged'])
                          for f in findings])

    def test_ignore_acknowledges_a_provider(self):
        self.start_cloud()
        self.assertEqual(0, self.audit('--ignore',
                                       self.recording['notes']['provider']))

    def test_baseline_acknowledges_what_it_lists_and_no_more(self):
        self.start_cloud()
        baseline = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                'baseline.json')
        self.assertEqual(3, self.audit('--kind', 'orphan_allocation',
                                       '--output', baseline, '-f', 'json'))
        self.assertEqual(0, self.audit('--kind', 'orphan_allocation',
                                       '--baseline', baseline))
        self.assertIn('error (acknowledged)', self.stdout.getvalue())
        # The usage mismatches were not in the baseline: they are new.
        self.assertEqual(3, self.audit('--baseline', baseline, '-f', 'json'))
        document = json.loads(self.stdout.getvalue())
        self.assertEqual(1, document['summary']['acknowledged'])
        self.assertEqual({'usage_mismatch'}, {
            f['kind'] for f in document['findings']
            if not f['acknowledged']})

    def test_ignore_of_something_else_than_a_uuid_exits_2(self):
        self.assertEqual(2, self.run_cli('--ignore', 'compute1'))
        self.assertIn("--ignore: 'compute1'", self.one_error_line())

    def test_baseline_that_is_no_report_exits_2_naming_it(self):
        directory = self.useFixture(fixtures.TempDir()).path
        not_json = os.path.join(directory, 'notes.txt')
        with open(not_json, 'w') as out:
            out.write('orphans: none\n')
        wrong_shape = os.path.join(directory, 'list.json')
        with open(wrong_shape, 'w') as out:
            json.dump([{'kind': 'orphan_allocation'}], out)
        for path, why in ((not_json, 'not JSON'),
                          (wrong_shape, 'not a tracker-audit JSON report'),
                          (os.path.join(directory, 'missing.json'),
                           'No such file')):
            self.stderr.truncate(0)
            self.stderr.seek(0)
            self.assertEqual(2, self.run_cli('--baseline', path))
            line = self.one_error_line()
            self.assertIn('--baseline %s' % path, line)
            self.assertIn(why, line)


class TestPrometheusOutput(CliTestCase):

    fixture_name = 'orphan_planted'

    def metrics(self):
        from prometheus_client import parser
        families = parser.text_string_to_metric_families(
            self.stdout.getvalue())
        return {(sample.name, tuple(sorted(sample.labels.items()))):
                sample.value for family in families
                for sample in family.samples}

    def test_findings_by_kind_severity_and_host(self):
        self.start_cloud()
        self.assertEqual(3, self.run_cli(
            '--os-cloud', 'fake', '--settle', '0', '-f', 'prometheus',
            '--ignore', self.recording['notes']['orphan']))
        metrics = self.metrics()
        self.assertEqual(1, metrics[('tracker_audit_success', ())])
        self.assertEqual(3, metrics[('tracker_audit_providers', ())])
        self.assertEqual(1, metrics[('tracker_audit_findings', (
            ('acknowledged', 'true'), ('host', 'compute1'),
            ('kind', 'orphan_allocation'), ('severity', 'error')))])
        self.assertEqual(3, metrics[('tracker_audit_findings', (
            ('acknowledged', 'false'), ('host', 'compute1'),
            ('kind', 'usage_mismatch'), ('severity', 'warning')))])
        self.assertEqual(0, metrics[('tracker_audit_new_findings', (
            ('kind', 'orphan_allocation'),))])
        self.assertEqual(0, metrics[('tracker_audit_new_findings', (
            ('kind', 'forced_down_service'),))])
        self.assertEqual(3, metrics[('tracker_audit_new_findings', (
            ('kind', 'usage_mismatch'),))])
        self.assertGreater(metrics[(
            'tracker_audit_last_run_timestamp_seconds', ())], 1.7e9)

    def test_a_failed_run_still_writes_success_0(self):
        self.start_cloud({'compute': 'here', 'placement': 'closed'})
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'tracker.prom')
        self.assertEqual(1, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '-f', 'prometheus',
                                         '--output', path))
        self.assertIn('placement service unreachable', self.one_error_line())
        with open(path) as source:
            self.stdout.write(source.read())
        metrics = self.metrics()
        self.assertEqual(0, metrics[('tracker_audit_success', ())])
        self.assertEqual(1, metrics[('tracker_audit_read_errors', (
            ('service', 'placement'),))])
        self.assertNotIn('tracker_audit_findings', {
            name for name, _ in metrics})


class TestHtmlOutput(CliTestCase):

    fixture_name = 'orphan_planted'

    def test_html_names_the_orphan_and_draws_a_chart_per_node(self):
        self.start_cloud()
        self.assertEqual(3, self.run_cli('--os-cloud', 'fake', '--settle',
                                         '0', '-f', 'html', '--kind',
                                         'orphan_allocation'))
        page = self.stdout.getvalue()
        self.assertTrue(page.startswith('<!DOCTYPE html>'), page[:100])
        self.assertIn(self.recording['notes']['orphan'], page)
        self.assertIn('<body data-charts="3">', page)
        # Capacity needs inventories, which an orphan-only audit skips.
        self.assertNotIn('Inventories were not read', page)


class TestOptions(CliTestCase):

    def help_text(self):
        self.assertEqual(0, self.run_cli('--help'))
        return self.stdout.getvalue()

    def test_help_offers_only_the_services_it_reads(self):
        text = self.help_text()
        for option in ('--os-compute-endpoint-override',
                       '--os-placement-endpoint-override',
                       '--os-identity-api-version', '--os-cloud',
                       '--os-region-name', '--os-interface',
                       '--fail-on', '--baseline', '--ignore', '-f {',
                       '-c COLUMN', '--output'):
            self.assertIn(option, text)
        for option in cli.MEANINGLESS_OPTIONS + ('--os-network',
                                                 '--os-image'):
            self.assertNotIn(option + ' ', text)

    def test_help_documents_the_exit_codes(self):
        self.assertIn('Exit codes: 0 no new finding, 3 new findings '
                      '(acknowledged ones and, with --fail-on error, '
                      'warnings do not count), 1 error, 2 bad usage.',
                      ' '.join(self.help_text().split()))
        self.assertIn('2 bad usage', cli.__doc__)

    def test_meaningless_sdk_options_exit_2_naming_them(self):
        for option in cli.MEANINGLESS_OPTIONS:
            self.stderr.truncate(0)
            self.stderr.seek(0)
            self.assertEqual(2, self.run_cli(option, 'x'))
            self.assertIn(option, self.one_error_line())

    def test_manual_page_documents_every_option_and_format(self):
        text = self.help_text()
        documented = {'--os-cloud', '--os-*'}
        options = set(re.findall(r'(?<![\w-])(--[a-z][a-z-]*)', text))
        ours = {o for o in options if not o.startswith('--os-')}
        man_page = os.path.join(REPO, 'doc', 'source', 'cli',
                                'tracker-audit.rst')
        with open(man_page) as source:
            page = source.read()
        self.assertTrue(ours, text)
        self.assertEqual(set(), {o for o in ours | documented
                                 if o not in page})
        for name in cli.Audit(cli.Console(None, None), None,
                              [])._formatter_plugins.names():
            self.assertIn('``%s``' % name, page)

    def test_version(self):
        self.assertEqual(0, self.run_cli('--version'))
        self.assertEqual('tracker-audit %s' % cli.version(),
                         self.stdout.getvalue().strip())
        self.assertRegex(cli.version(), r'^\d+\.\d+')

    def test_python_m_runs_the_command(self):
        done = subprocess.run(
            [sys.executable, '-m', 'tracker_tests.audit', '--kind', 'nope'],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(2, done.returncode, done.stderr)
        self.assertIn('tracker-audit: error: --kind', done.stderr)
