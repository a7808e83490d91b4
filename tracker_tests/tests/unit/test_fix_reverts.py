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
"""Unit tests of ``localcloud fix``: the shipped reverts of Nova fixes,
applied with patch(1) to a site-packages that holds only what each
patch's hunks show of nova (no nova installed, nothing restarted)."""

import pathlib
import shutil
import sys

import testtools

TOOLS = pathlib.Path(__file__).resolve().parents[3] / 'tools'
sys.path.insert(0, str(TOOLS))

from local_cloud import cli  # noqa: E402
from local_cloud import fix_reverts  # noqa: E402
from local_cloud import layout as layout_mod  # noqa: E402
from local_cloud import supervisor  # noqa: E402
from tracker_tests.tests.unit import clitools  # noqa: E402


def images(patch_path):
    """{relative path: (before, after)} from a patch's hunks alone."""
    files = {}
    current = None
    for line in patch_path.read_text().splitlines():
        if line.startswith('+++ '):
            current = files.setdefault(
                line[4:].split('/', 1)[1].split('\t')[0], ([], []))
        elif current is None or line.startswith(('--- ', '@@')):
            continue
        elif line.startswith((' ', '-')):
            current[0].append(line[1:])
            if line.startswith(' '):
                current[1].append(line[1:])
        elif line.startswith('+'):
            current[1].append(line[1:])
    return {path: ('\n'.join(before) + '\n', '\n'.join(after) + '\n')
            for path, (before, after) in files.items()}


@testtools.skipIf(shutil.which('patch') is None, 'patch(1) not installed')
class FixRevertsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.layout = layout_mod.Layout(root=clitools.temp_dir(self))
        self.site = self.layout.venv / 'lib' / 'python3.11' / 'site-packages'

    def plant(self, fix, which=0):
        """Write the before (0) or after (1) image of each patched file."""
        for path, both in images(fix.path).items():
            target = self.site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(both[which])

    def read(self, fix):
        return {path: (self.site / path).read_text()
                for path in images(fix.path)}

    def test_every_shipped_revert_names_its_bug_test_and_restarts(self):
        reverts = fix_reverts.available()
        self.assertGreaterEqual(len(reverts), 2)
        for bug, fix in reverts.items():
            self.assertTrue(fix.summary.startswith('Bug %s: ' % bug),
                            fix.summary)
            self.assertIn('Replayed by: test_', fix.path.read_text())
            self.assertTrue(fix.restart)

    def test_revert_then_restore_round_trip(self):
        for fix in fix_reverts.available().values():
            self.plant(fix)
            before = self.read(fix)
            self.assertFalse(fix_reverts.is_reverted(self.layout, fix))
            self.assertTrue(fix_reverts.revert(self.layout, fix))
            self.assertTrue(fix_reverts.is_reverted(self.layout, fix))
            self.assertEqual({p: a for p, (_, a) in
                              images(fix.path).items()}, self.read(fix))
            # A second revert changes nothing.
            self.assertFalse(fix_reverts.revert(self.layout, fix))
            self.assertTrue(fix_reverts.restore(self.layout, fix))
            self.assertEqual(before, self.read(fix))
            self.assertFalse(fix_reverts.restore(self.layout, fix))
            self.assertEqual([], sorted(
                str(p) for p in self.site.rglob('*')
                if p.suffix in ('.orig', '.rej')))

    def test_a_nova_the_patch_does_not_fit_is_left_alone(self):
        fix = fix_reverts.available()['1821594']
        self.plant(fix)
        path, (before, _) = next(iter(images(fix.path).items()))
        changed = before.replace('finally:', 'finally:  # changed')
        (self.site / path).write_text(changed)
        error = self.assertRaises(supervisor.LocalCloudError,
                                  fix_reverts.revert, self.layout, fix)
        self.assertIn('1821594.patch does not apply to the installed nova',
                      str(error))
        self.assertEqual(changed, (self.site / path).read_text())

    def test_without_a_virtualenv_the_error_says_to_run_up(self):
        fix = fix_reverts.available()['1855927']
        error = self.assertRaises(supervisor.LocalCloudError,
                                  fix_reverts.is_reverted, self.layout, fix)
        self.assertIn('run tools/localcloud up first', str(error))

    def test_unknown_bug_is_a_usage_error_naming_the_known_ones(self):
        code, _, err = clitools.run_main(
            cli.main, ['--state-dir', str(self.layout.root), 'fix',
                       'revert', '123'])
        self.assertEqual(2, code)
        self.assertIn("no revert of the fix of bug '123'", err)
        self.assertIn('1821594', err)
