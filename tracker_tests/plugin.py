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

import os

from tempest import config
from tempest.test_discover import plugins

from tracker_tests import config as tracker_config
from tracker_tests.services import compute as services_compute
from tracker_tests.services import placement as services_placement


class TrackerTempestPlugin(plugins.TempestPlugin):
    """Registers tracker_tests with tempest: tests, options, clients."""

    def load_tests(self):
        base_path = os.path.split(os.path.dirname(
            os.path.abspath(__file__)))[0]
        # Only the tempest tests: the unit and functional tests beside them
        # run under stestr and need no tempest configuration.
        test_dir = os.path.join(base_path, 'tracker_tests', 'tests',
                                'scenario')
        return test_dir, base_path

    def register_opts(self, conf):
        for group, opts in tracker_config.list_opts():
            config.register_opt_group(conf, group, opts)

    def get_opt_lists(self):
        return [(group.name, opts)
                for group, opts in tracker_config.list_opts()]

    def get_service_clients(self):
        clients = []
        for service, module in (('placement', services_placement),
                                ('compute', services_compute)):
            client = {
                'name': 'tracker_%s' % service,
                'service_version': 'tracker_%s' % service,
                'module_path': module.__name__,
                # As octavia-tempest-plugin does: the module says which
                # clients it has, so a new one needs no edit here.
                'client_names': module.__all__,
            }
            client.update(config.service_client_config(service))
            clients.append(client)
        return clients
