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
"""Placement's WSGI application behind tracker_tests' fault middleware.

For uwsgi (``module = tracker_tests.faults.placement_app:application``)
with this repository on its ``pythonpath`` and the fault file in the
environment variable TRACKER_PLACEMENT_FAULT_FILE. Imports placement: runs
in the cloud's virtualenv only.
"""

import os

from placement.wsgi import api

from tracker_tests.faults import middleware

FAULT_FILE_VARIABLE = 'TRACKER_PLACEMENT_FAULT_FILE'

application = middleware.PlacementFaults(api.application,
                                         os.environ[FAULT_FILE_VARIABLE])
