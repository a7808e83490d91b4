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
import tempfile

from oslo_config import cfg
import testtools

from tracker_tests import config as tracker_config
from tracker_tests import plugin


class PluginOptionsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        plugin.TrackerTempestPlugin().register_opts(self.conf)

    def load(self, text):
        with tempfile.NamedTemporaryFile('w', suffix='.conf',
                                         delete=False) as f:
            f.write(text)
        self.addCleanup(__import__('os').unlink, f.name)
        self.conf(['--config-file', f.name])
        return self.conf

    def test_groups_registered(self):
        self.assertIn('tracker', self.conf)
        self.assertIn('tracker-feature-enabled', self.conf)
        self.assertEqual(120, self.conf.tracker.consistency_timeout)
        self.assertFalse(self.conf['tracker-feature-enabled'].evacuate)

    def test_opt_lists_name_every_group(self):
        lists = dict(plugin.TrackerTempestPlugin().get_opt_lists())
        self.assertEqual({'tracker', 'tracker-feature-enabled'}, set(lists))
        self.assertIn('compute_stop_command',
                      [o.name for o in lists['tracker']])

    def test_load_tests_points_at_tempest_tests_only(self):
        test_dir, base_path = plugin.TrackerTempestPlugin().load_tests()
        self.assertTrue(test_dir.endswith('tracker_tests/tests/scenario'))
        self.assertTrue(test_dir.startswith(base_path))

    def test_valid_file_loads(self):
        conf = self.load(
            '[tracker]\n'
            'consistency_timeout = 30\n'
            'compute_stop_command = ssh {host} sudo systemctl stop '
            '"devstack@n-cpu"\n'
            '[tracker-feature-enabled]\n'
            'evacuate = true\n')
        self.assertEqual(30, conf.tracker.consistency_timeout)
        self.assertEqual(
            ['ssh', '{host}', 'sudo', 'systemctl', 'stop', 'devstack@n-cpu'],
            conf.tracker.compute_stop_command)
        self.assertTrue(conf['tracker-feature-enabled'].evacuate)
        self.assertIsNone(conf.tracker.compute_start_command)

    def _assert_bad_value(self, text, option):
        conf = self.load(text)
        group, name = option.split('.')
        exc = self.assertRaises(cfg.ConfigFileValueError, getattr,
                                conf[group], name)
        self.assertIn(name, str(exc))
        return str(exc)

    def test_unknown_placeholder_names_option_and_placeholder(self):
        message = self._assert_bad_value(
            '[tracker]\ncompute_start_command = ssh {hostname} start\n',
            'tracker.compute_start_command')
        self.assertIn('{hostname}', message)
        self.assertIn('{host}', message)

    def test_each_command_has_its_own_placeholders(self):
        conf = self.load(
            '[tracker]\n'
            'service_command = ctl {action} {service}\n'
            'compute_fault_command = ctl {host} {method} {fault} '
            '{seconds} {count} {exception}\n'
            'compute_fault_clear_command = ctl {host} clear\n'
            'placement_fault_command = ctl {method} {path} {status} '
            '{count}\n'
            'placement_fault_clear_command = ctl clear\n')
        self.assertEqual(['ctl', 'stop', 'placement'],
                         tracker_config.render_command(
                             conf.tracker.service_command,
                             action='stop', service='placement'))
        self.assertEqual(
            ['ctl', 'compute1', 'spawn', 'sleep-raise', '5', '2',
             'BuildAbortException'],
            tracker_config.render_command(
                conf.tracker.compute_fault_command, host='compute1',
                method='spawn', fault='sleep-raise', seconds=5, count=2,
                exception='BuildAbortException'))
        self.assertEqual(['ctl', 'PUT', '^/allocations/', '409', '1'],
                         tracker_config.render_command(
                             conf.tracker.placement_fault_command,
                             method='PUT', path='^/allocations/',
                             status=409, count=1))
        self.assertEqual(['ctl', 'clear'], conf.tracker.
                         placement_fault_clear_command)

    def test_a_placeholder_of_another_command_names_the_allowed_ones(self):
        message = self._assert_bad_value(
            '[tracker]\nservice_command = ssh {host} {action}\n',
            'tracker.service_command')
        self.assertIn('{host}', message)
        self.assertIn('allowed: {action}, {service}', message)

    def test_a_command_without_placeholders_says_so(self):
        message = self._assert_bad_value(
            '[tracker]\nplacement_fault_clear_command = ctl {method}\n',
            'tracker.placement_fault_clear_command')
        self.assertIn('this command takes no placeholders', message)

    def test_strict_hosts_is_a_list(self):
        conf = self.load('[tracker]\nstrict_hosts = strict-a, strict-b\n')
        self.assertEqual(['strict-a', 'strict-b'], conf.tracker.strict_hosts)

    def test_unbalanced_quote_is_an_error(self):
        message = self._assert_bad_value(
            '[tracker]\ncompute_stop_command = ssh "{host} stop\n',
            'tracker.compute_stop_command')
        self.assertIn('cannot split', message)

    def test_malformed_integer_names_option(self):
        self._assert_bad_value('[tracker]\nconsistency_timeout = soon\n',
                               'tracker.consistency_timeout')

    def test_below_minimum_names_option(self):
        self._assert_bad_value('[tracker]\npoll_interval = 0\n',
                               'tracker.poll_interval')

    def test_malformed_boolean_names_option(self):
        self._assert_bad_value(
            '[tracker-feature-enabled]\nevacuate = perhaps\n',
            'tracker-feature-enabled.evacuate')


class CommandTemplateTest(testtools.TestCase):

    def test_render_fills_each_argument(self):
        argv = tracker_config.CommandTemplate()(
            'tools/localcloud compute stop {host}')
        self.assertEqual(['tools/localcloud', 'compute', 'stop', 'compute2'],
                         tracker_config.render_command(argv, host='compute2'))

    def test_host_cannot_inject_arguments(self):
        argv = tracker_config.CommandTemplate()('stop {host}')
        self.assertEqual(['stop', 'a; rm -rf /'],
                         tracker_config.render_command(argv,
                                                       host='a; rm -rf /'))

    def test_empty_is_no_command(self):
        self.assertEqual([], tracker_config.CommandTemplate()(''))

    def test_sample_shows_the_command_as_written(self):
        template = tracker_config.CommandTemplate()
        self.assertEqual("ssh {host} 'a b'",
                         template._formatter(['ssh', '{host}', 'a b']))
