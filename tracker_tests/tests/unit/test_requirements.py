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

"""requirements.txt and test-requirements.txt name every package that
tracker_tests imports: a package that only comes in through another one's
dependencies can disappear with that one's next release."""

import ast
import importlib.metadata
import os
import re
import sys

import testtools

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                    os.pardir, os.pardir, os.pardir))
PACKAGE = os.path.join(REPO, 'tracker_tests')
TESTS = os.path.join(PACKAGE, 'tests')
#: Top-level modules of this repository.
OURS = {'tracker_tests', 'local_cloud'}
#: Modules that run inside a service of the cloud under test, with that
#: service's own packages (nova-compute's driver, Placement's WSGI app),
#: never in the plugin's environment.
IN_SERVICE_ENVIRONMENTS = (os.path.join(PACKAGE, 'faults', 'compute.py'),
                           os.path.join(PACKAGE, 'faults', 'placement_app.py'))


def python_files(top, skip=None):
    for directory, _, files in os.walk(top):
        if skip and directory.startswith(skip):
            continue
        for name in files:
            path = os.path.join(directory, name)
            if name.endswith('.py') and path not in IN_SERVICE_ENVIRONMENTS:
                yield path


def imported_modules(paths):
    """Third-party top-level modules the files ``paths`` import."""
    modules = set()
    for path in paths:
        with open(path) as source:
            tree = ast.parse(source.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(a.name.split('.')[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split('.')[0])
    return modules - OURS - set(sys.stdlib_module_names)


def requirement_names(filename):
    with open(os.path.join(REPO, filename)) as source:
        return {_normalised(re.split(r'[<>=!~;# \[]', line.strip())[0])
                for line in source
                if line.strip() and not line.startswith(('#', '-'))}


def _normalised(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def distributions(module):
    return {_normalised(name) for name in
            importlib.metadata.packages_distributions().get(module, ())}


class TestRequirements(testtools.TestCase):

    def assert_listed(self, modules, listed, where):
        missing = {module: sorted(distributions(module)) for module in modules
                   if not distributions(module) & listed}
        self.assertEqual({}, missing, 'imported but not in %s' % where)

    def test_runtime_imports_are_in_requirements(self):
        runtime = imported_modules(python_files(PACKAGE, skip=TESTS))
        self.assertIn('keystoneauth1', runtime)
        self.assertNotIn('fixtures', runtime)
        self.assert_listed(runtime, requirement_names('requirements.txt'),
                           'requirements.txt')

    def test_test_imports_are_in_either_file(self):
        tests = imported_modules(python_files(TESTS))
        self.assertIn('fixtures', tests)
        self.assert_listed(tests, requirement_names('requirements.txt') |
                           requirement_names('test-requirements.txt'),
                           'requirements.txt or test-requirements.txt')
