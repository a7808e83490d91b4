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
"""nova-compute with tracker_tests' fault driver.

Runs in the cloud's virtualenv, with this repository on PYTHONPATH::

    python -P -m tracker_tests.faults.compute --config-file nova.conf \
        --config-file compute1.conf

and ``[DEFAULT] compute_driver = fake.TrackerFaultDriver`` (or one of the
``fake.Restartable*`` drivers below). nova loads drivers from nova.virt
only (nova.virt.driver.load_compute_driver), so main() adds these classes
to nova.virt.fake before it runs nova-compute.

Every driver here keeps its node identity across restarts as a real
single-node driver does (nova's FakeDriverWithoutFakeNodes: the node UUID
comes from ``<state_path>/compute_id``), and injects the faults of its
fault file (tracker_tests.faults.spec) into any ComputeDriver method: with
no fault file it behaves exactly as the nova driver it extends. A few
methods of nova's ResourceTracker take faults too (RESOURCE_TRACKER_METHODS),
where no driver call marks a point a test must stop at.
"""

import functools
import inspect
import sys
import time

# First: nova-compute's start script chooses eventlet or native threads
# (nova 34: native threads unless [DEFAULT] concurrency_backend or
# OS_NOVA_DISABLE_EVENTLET_PATCHING say otherwise) before anything else
# is imported.
from nova.cmd import compute as compute_cmd
from nova.compute import resource_tracker
import nova.conf
from nova import exception
from nova.virt import driver
from nova.virt import fake
from oslo_log import log as logging

from tracker_tests.faults import spec

CONF = nova.conf.CONF
LOG = logging.getLogger(__name__)


def _interface_methods():
    """Every public method of ComputeDriver, the calls a fault can fail."""
    names = []
    for name, value in vars(driver.ComputeDriver).items():
        if name.startswith('_') or isinstance(
                value, (staticmethod, classmethod)) or not callable(value):
            continue
        names.append(name)
    return tuple(sorted(names))


FAULT_METHODS = _interface_methods()
#: ResourceTracker methods a fault can also hold, fail or slow, at their
#: entry, before the resource semaphore they take (where upstream's tests
#: stub them): dropping a move's claim after a confirm or revert, which
#: marks the migration confirmed or reverted under that semaphore.
RESOURCE_TRACKER_METHODS = ('drop_move_claim_at_dest',
                            'drop_move_claim_at_source')
EXCEPTIONS = tuple(sorted(
    name for name, value in vars(exception).items()
    if isinstance(value, type) and issubclass(value, Exception) and
    value.__module__ == exception.__name__))


class FaultInjecting:
    """Mixed in before a nova driver: each call of a ComputeDriver method
    first takes its fault, if the fault file has one for it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec.write_driver_info(CONF.state_path, type(self).__name__,
                               FAULT_METHODS + RESOURCE_TRACKER_METHODS,
                               EXCEPTIONS)
        LOG.info('tracker_tests fault driver %s: faults are read from %s',
                 type(self).__name__, self._tracker_faults.path)

    @functools.cached_property
    def _tracker_faults(self):
        return spec.compute_fault_file(CONF.state_path)

    def _tracker_fault(self, method, instance_uuid):
        try:
            fault = self._tracker_faults.consume(method, instance_uuid)
        except spec.FaultError as exc:
            LOG.error('tracker_tests fault driver: %s; %s runs without a '
                      'fault', exc, method)
            return
        if fault is None:
            return
        LOG.warning('tracker_tests fault driver: injecting into %s: %s '
                    '(%d left after this one)', method, fault.describe(),
                    fault.count - 1)
        if fault.action == 'hold':
            self._tracker_hold(method, fault)
        elif fault.sleeps:
            # Looked up at call time: under eventlet this is the green
            # sleep, under native threads the thread's; either way only
            # this call waits, as on a slow hypervisor.
            time.sleep(fault.seconds)
        if fault.raises:
            raise self._tracker_exception(method, fault.exception)

    def _tracker_hold(self, method, fault):
        """Wait until the test releases the call, or fault.seconds."""
        faults = self._tracker_faults
        faults.hold(fault.describe())
        deadline = time.monotonic() + fault.seconds
        while faults.held() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if faults.release():
            LOG.warning('tracker_tests fault driver: %s held for %g s, '
                        'nobody released it', method, fault.seconds)

    def _tracker_exception(self, method, name):
        message = ('fault injected by tracker_tests into %s on %s (%s)'
                   % (method, CONF.host, self._tracker_faults.path))
        cls = getattr(exception, name, None)
        if name not in EXCEPTIONS:
            # The command line checks names against EXCEPTIONS; a fault
            # file written by hand may still hold a wrong one.
            LOG.error('tracker_tests fault driver: nova.exception has no '
                      'class %r; raising NovaException instead', name)
            cls = exception.NovaException
        for build in (lambda: cls(message=message), lambda: cls(message)):
            try:
                return build()
            except TypeError:
                continue
        LOG.error('tracker_tests fault driver: cannot build %s from a '
                  'message; raising NovaException instead', name)
        return exception.NovaException(message=message)


def _fault_point(name):
    interface = getattr(driver.ComputeDriver, name)
    signature = inspect.signature(interface)

    def call(self, *args, **kwargs):
        # The server the call is about, so that a fault meant for one
        # test's server is never taken by another's on the same compute.
        try:
            instance = signature.bind_partial(
                self, *args, **kwargs).arguments.get('instance')
        except TypeError:
            instance = None
        self._tracker_fault(name, getattr(instance, 'uuid', None))
        return getattr(super(FaultInjecting, self), name)(*args, **kwargs)

    functools.update_wrapper(call, interface)
    call.__qualname__ = 'FaultInjecting.%s' % name
    return call


for _name in FAULT_METHODS:
    setattr(FaultInjecting, _name, _fault_point(_name))


def _resource_tracker_point(name):
    """ResourceTracker.``name`` (context, instance, migration), taking the
    fault of its driver first when the driver injects faults.
    """
    original = getattr(resource_tracker.ResourceTracker, name)

    @functools.wraps(original)
    def call(tracker, context, instance, migration, *args, **kwargs):
        if isinstance(tracker.driver, FaultInjecting):
            tracker.driver._tracker_fault(name, instance.uuid)
        return original(tracker, context, instance, migration, *args,
                        **kwargs)
    return call


class TrackerFaultDriver(FaultInjecting, fake.FakeDriverWithoutFakeNodes):
    """FakeDriverWithoutFakeNodes plus the faults of its fault file."""


class RestartableRescheduleDriver(FaultInjecting,
                                  fake.FakeDriverWithoutFakeNodes,
                                  fake.FakeRescheduleDriver):
    """Fails the first spawn of each server: it is rescheduled."""


class RestartableBuildAbortDriver(FaultInjecting,
                                  fake.FakeDriverWithoutFakeNodes,
                                  fake.FakeBuildAbortDriver):
    """Aborts every build: no reschedule."""


class RestartableFinishMigrationFailDriver(
        FaultInjecting, fake.FakeDriverWithoutFakeNodes,
        fake.FakeFinishMigrationFailDriver):
    """Fails finish_migration on the destination of a resize."""


class RestartableLiveMigrateDriver(FaultInjecting,
                                   fake.FakeDriverWithoutFakeNodes,
                                   fake.FakeLiveMigrateDriver):
    """Keeps a live migration from it running about 5 s."""


DRIVERS = (TrackerFaultDriver, RestartableRescheduleDriver,
           RestartableBuildAbortDriver, RestartableFinishMigrationFailDriver,
           RestartableLiveMigrateDriver)


def main():
    for cls in DRIVERS:
        setattr(fake, cls.__name__, cls)
    for name in RESOURCE_TRACKER_METHODS:
        setattr(resource_tracker.ResourceTracker, name,
                _resource_tracker_point(name))
    return compute_cmd.main()


if __name__ == '__main__':
    sys.exit(main())
