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
        placement = {
            'name': 'tracker_placement',
            'service_version': 'tracker_placement',
            'module_path': 'tracker_tests.services.placement',
            'client_names': ['AllocationsClient', 'PlacementJsonClient'],
        }
        placement.update(config.service_client_config('placement'))
        compute = {
            'name': 'tracker_compute',
            'service_version': 'tracker_compute',
            'module_path': 'tracker_tests.services.compute',
            'client_names': ['ComputeJsonClient', 'ServerMigrationsClient'],
        }
        compute.update(config.service_client_config('compute'))
        return [placement, compute]
