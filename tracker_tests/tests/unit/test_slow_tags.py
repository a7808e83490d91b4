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
"""Every scenario that takes a service away is tagged ``slow``, as tempest
tags its long tests, so that a gate job can leave them out with
``--exclude-regex '\\[.*\\bslow\\b.*\\]'``; no other is.

Read from the scenario modules' source: a test takes a service away when
its body, or a method of a class of its module that it calls, calls one
of SERVICE_OUTAGES.
"""

import ast
import pathlib

import fixtures
import testtools

SCENARIOS = pathlib.Path(__file__).resolve().parents[1] / 'scenario'
#: The helpers that stop, kill, freeze or restart a service or a compute
#: (an evacuation stops its source).
SERVICE_OUTAGES = frozenset({
    'stop_compute', 'kill_compute', 'restart_compute', 'restore_compute',
    'set_compute_option', 'take_service_away', 'evacuate_server',
    'pin_conductor_compute_rpc'})


def _attributes(node):
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def _is_slow(function):
    for decorator in function.decorator_list:
        if (isinstance(decorator, ast.Call) and
                isinstance(decorator.func, ast.Attribute) and
                decorator.func.attr == 'attr' and
                any(k.arg == 'type' and isinstance(k.value, ast.Constant) and
                    k.value.value == 'slow' for k in decorator.keywords)):
            return True
    return False


def scenario_tests(directory=SCENARIOS):
    """(name, takes a service away, tagged slow) of every scenario."""
    for path in sorted(directory.glob('test_*.py')):
        tree = ast.parse(path.read_text())
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        # A helper may sit in a base class of the module.
        module_methods = {m.name: m for c in classes for m in c.body
                          if isinstance(m, ast.FunctionDef)}
        for cls in classes:
            methods = dict(module_methods, **{
                m.name: m for m in cls.body
                if isinstance(m, ast.FunctionDef)})

            def used(function, depth=0):
                names = _attributes(function)
                if depth < 2:
                    for name in names & set(methods):
                        if methods[name] is not function:
                            names |= used(methods[name], depth + 1)
                return names

            for method in cls.body:
                name = getattr(method, 'name', '')
                if name.startswith('test_'):
                    yield ('%s.%s.%s' % (path.stem, cls.name, name),
                           bool(used(method) & SERVICE_OUTAGES),
                           _is_slow(method))


class SlowTagTest(testtools.TestCase):

    def test_tests_taking_a_service_away_and_only_they_are_slow(self):
        tests = list(scenario_tests())
        self.assertGreater(len(tests), 50)
        self.assertEqual(
            [], [name for name, outage, slow in tests if outage != slow])

    def test_the_rule_sees_an_outage_through_a_class_helper(self):
        directory = pathlib.Path(self.useFixture(
            fixtures.TempDir()).path)
        (directory / 'test_sample.py').write_text(
            'class T:\n'
            '    def helper(self):\n'
            '        self.stop_compute("h")\n'
            '    def test_indirect(self):\n'
            '        self.helper()\n'
            '    @decorators.attr(type=\'slow\')\n'
            '    def test_tagged(self):\n'
            '        self.boot()\n')
        self.assertEqual(
            [('test_sample.T.test_indirect', True, False),
             ('test_sample.T.test_tagged', False, True)],
            list(scenario_tests(directory)))
