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

"""Sphinx configuration of the documentation (tox -e docs)."""

extensions = ['openstackdocstheme']

# openstackdocstheme
openstackdocs_repo_name = 'openstack/tracker-tempest-plugin'
openstackdocs_bug_project = 'tracker-tempest-plugin'
openstackdocs_bug_tag = 'doc'
openstackdocs_auto_name = False

project = 'tracker-tempest-plugin'
copyright = 'tracker_tests developers'
master_doc = 'index'
exclude_patterns = []
pygments_style = 'native'

html_theme = 'openstackdocs'

# tox -e docs builds the manual page too: doc/build/man/tracker-audit.1
man_pages = [
    ('cli/tracker-audit', 'tracker-audit',
     'report Nova and Placement resource leaks, with their remedies',
     ['tracker_tests developers'], 1),
]
