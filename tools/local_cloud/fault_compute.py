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
"""nova-compute with nova.virt.fake's fault drivers made restartable.

nova's fault-injecting fake drivers make up their node's UUID in each
process, so one that restarts fails with "Duplicate compute node record".
Each class here mixes in FakeDriverWithoutFakeNodes, which takes the node
identity from ``<state_path>/compute_id`` as a real single-node driver
does, and keeps its fault. nova loads drivers from nova.virt only, so this
launcher adds them to nova.virt.fake and then runs nova-compute:
``compute_driver = fake.RestartableRescheduleDriver`` and so on.
"""

import sys

# First, as nova-compute's own script: it patches the standard library.
from nova.cmd import compute
from nova.virt import fake


class RestartableRescheduleDriver(fake.FakeDriverWithoutFakeNodes,
                                  fake.FakeRescheduleDriver):
    """Fails the first spawn of each server: it is rescheduled."""


class RestartableBuildAbortDriver(fake.FakeDriverWithoutFakeNodes,
                                  fake.FakeBuildAbortDriver):
    """Aborts every build: no reschedule."""


class RestartableFinishMigrationFailDriver(
        fake.FakeDriverWithoutFakeNodes,
        fake.FakeFinishMigrationFailDriver):
    """Fails finish_migration on the destination of a resize."""


class RestartableLiveMigrateDriver(fake.FakeDriverWithoutFakeNodes,
                                   fake.FakeLiveMigrateDriver):
    """Keeps a live migration from it running about 5 s."""


DRIVERS = (RestartableRescheduleDriver, RestartableBuildAbortDriver,
           RestartableFinishMigrationFailDriver,
           RestartableLiveMigrateDriver)

if __name__ == '__main__':
    for driver in DRIVERS:
        setattr(fake, driver.__name__, driver)
    sys.exit(compute.main())
