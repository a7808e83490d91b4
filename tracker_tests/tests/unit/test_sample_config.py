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

"""etc/tracker-tests.conf.sample matches the option definitions."""

import difflib
import os

import fixtures
from oslo_config import cfg
from oslo_config import generator
import testtools

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                    os.pardir, os.pardir, os.pardir))
GENERATOR_CONF = os.path.join(REPO, 'etc', 'config-generator',
                              'tracker-tests.conf')
SAMPLE = os.path.join(REPO, 'etc', 'tracker-tests.conf.sample')


def render_sample(output_file):
    """Render the sample as "tox -e genconfig" does, into output_file."""
    conf = cfg.ConfigOpts()
    generator.register_cli_opts(conf)
    conf(['--config-file', GENERATOR_CONF, '--output-file', output_file],
         default_config_files=[], default_config_dirs=[])
    generator.generate(conf)


class TestSampleConfig(testtools.TestCase):

    def test_generator_config(self):
        # The namespace is the oslo.config.opts entry point in setup.cfg.
        conf = cfg.ConfigOpts()
        generator.register_cli_opts(conf)
        conf(['--config-file', GENERATOR_CONF], default_config_files=[],
             default_config_dirs=[])
        self.assertEqual(['tracker_tests.config'], conf.namespace)
        self.assertEqual('etc/tracker-tests.conf.sample', conf.output_file)

    def test_sample_is_current(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        rendered_path = os.path.join(tmp, 'tracker-tests.conf.sample')
        render_sample(rendered_path)
        with open(rendered_path) as f:
            rendered = f.read()
        # Guard against comparing two empty renderings.
        self.assertIn('[tracker]', rendered)
        self.assertIn('[tracker-feature-enabled]', rendered)
        with open(SAMPLE) as f:
            committed = f.read()
        if rendered != committed:
            diff = ''.join(difflib.unified_diff(
                committed.splitlines(True), rendered.splitlines(True),
                'etc/tracker-tests.conf.sample (committed)',
                'etc/tracker-tests.conf.sample (generated)'))
            self.fail('etc/tracker-tests.conf.sample is stale: run tox -e '
                      'genconfig\n' + diff)
