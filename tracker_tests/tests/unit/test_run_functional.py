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

"""tools/run-functional's artifacts, with stand-ins for tempest, stestr, the
subunit converters and tracker-audit: no cloud is involved."""

import os
import pathlib
import stat
import subprocess

import fixtures
import testtools

REPO = pathlib.Path(__file__).resolve().parents[3]
SCRIPT = REPO / 'tools' / 'run-functional'

#: Each stand-in logs its arguments to calls.log and does what the real
#: one would do to its output; $FAKE_<NAME>_EXIT sets its exit code.
STAND_IN = '''#!/bin/bash
name=$(basename "$0")
echo "$name $*" >> "$FAKE_LOG"
var=FAKE_$(echo "$name" | tr 'a-z-' 'A-Z_')_EXIT
case $name in
    stestr) echo "subunit stream" ;;
    subunit2junitxml) cat > /dev/null; echo "<testsuite/>" ;;
    subunit2html) echo "<html/>" > "$2" ;;
    tracker-audit)
        for arg in "$@"; do
            [ "$prev" = --output ] && echo "<html>report</html>" > "$arg"
            prev=$arg
        done ;;
esac
exit "${!var:-0}"
'''


class RunFunctionalTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = pathlib.Path(self.useFixture(fixtures.TempDir()).path)
        bin_dir = self.root / 'bin'
        bin_dir.mkdir()
        for name in ('tempest', 'stestr', 'subunit2junitxml',
                     'subunit2html', 'tracker-audit'):
            path = bin_dir / name
            path.write_text(STAND_IN)
            path.chmod(path.stat().st_mode | stat.S_IXUSR)
        cloud = self.root / 'cloud'
        (cloud / 'tempest').mkdir(parents=True)
        self.artifacts = self.root / 'artifacts'
        self.log = self.root / 'calls.log'
        self.env = dict(os.environ, LOCALCLOUD_DIR=str(cloud),
                        TRACKER_ARTIFACTS=str(self.artifacts),
                        FAKE_LOG=str(self.log),
                        PATH='%s:%s' % (bin_dir, os.environ['PATH']))

    def run_script(self, **exits):
        env = dict(self.env, **{'FAKE_%s_EXIT' % k.upper(): str(v)
                                for k, v in exits.items()})
        done = subprocess.run([str(SCRIPT)], env=env, capture_output=True,
                              text=True, timeout=60)
        return done, self.log.read_text().splitlines()

    def test_artifacts_next_to_the_logs(self):
        done, calls = self.run_script()
        self.assertEqual(0, done.returncode, done.stderr)
        self.assertEqual({'tempest.subunit', 'tempest-junit.xml',
                          'tempest-results.html', 'audit.html'},
                         set(os.listdir(self.artifacts)))
        self.assertEqual('subunit stream\n', (
            self.artifacts / 'tempest.subunit').read_text())
        self.assertEqual(['tempest', 'stestr', 'subunit2junitxml',
                          'subunit2html', 'tracker-audit', 'tracker-audit'],
                         [call.split()[0] for call in calls])
        self.assertIn('stestr last --subunit', calls)
        self.assertIn('tracker-audit --settle 0 -f html --output %s'
                      % (self.artifacts / 'audit.html'), calls)
        self.assertIn('tracker-audit exit code: 0', done.stdout)

    def test_failed_tests_still_get_artifacts_and_fail_the_run(self):
        # subunit2junitxml exits 1 on a stream with a failure.
        done, calls = self.run_script(tempest=1, subunit2junitxml=1)
        self.assertEqual(1, done.returncode)
        self.assertTrue((self.artifacts / 'tempest-junit.xml').exists())
        self.assertTrue((self.artifacts / 'tempest-results.html').exists())

    def test_audit_findings_fail_the_run_and_the_page_is_written(self):
        done, calls = self.run_script(tracker_audit=3)
        self.assertEqual(3, done.returncode)
        self.assertIn('tracker-audit exit code: 3', done.stdout)
        self.assertTrue((self.artifacts / 'audit.html').exists())
