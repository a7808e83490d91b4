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
"""Every wait of the tests, on one polling loop.

Each waiter reads through the audit's reader (so every answer is validated
against its microversion's schema) and fails with what it awaited and the
last state it saw, as tempest's waiters do. ``sleep`` and ``clock`` are
injectable so that unit tests drive the timing without waiting.
"""

import time

from tempest.lib import exceptions as lib_exc

from tracker_tests.audit import checks
from tracker_tests.audit import settle
from tracker_tests.audit import snapshot
from tracker_tests.common import messages

#: Server statuses a wait for another status gives up on at once.
FAILED_SERVER_STATUSES = frozenset({'ERROR'})


class Poller:
    """Calls a condition until it holds or a timeout passes."""

    def __init__(self, timeout, interval, sleep=time.sleep,
                 clock=time.monotonic):
        self.timeout = timeout
        self.interval = interval
        self.sleep = sleep
        self.clock = clock

    def until(self, condition, describe):
        """The first truthy result of ``condition()``.

        On timeout raise TimeoutException with ``describe()``, which says
        what was awaited and what was last seen. The condition is called
        once more at the deadline, so a state reached during the last
        sleep still counts.
        """
        deadline = self.clock() + self.timeout
        while True:
            result = condition()
            if result:
                return result
            now = self.clock()
            if now >= deadline:
                raise lib_exc.TimeoutException(
                    'after %g s: %s' % (self.timeout, describe()))
            self.sleep(min(self.interval, deadline - now))


class ServerFailed(lib_exc.TempestException):
    message = 'server %(server_id)s went to %(status)s: %(fault)s'


def wait_for_server_status(reader, poller, server_id, status,
                           also=None, task_state=None):
    """The server once in ``status`` (one or a tuple) with ``task_state``
    (None: no task in progress).

    ``also``, if given, must hold too: a predicate of the Server, for
    the fields Nova updates after the status. ERROR ends the wait with
    ServerFailed unless ERROR is awaited: a server Nova gave up on never
    reaches another status by itself.
    """
    statuses = (status,) if isinstance(status, str) else tuple(status)
    last = {}

    def reached():
        server = snapshot.show_server(reader, server_id)
        if server is None:
            raise lib_exc.NotFound('server %s is gone while waiting for %s'
                                   % (server_id, '/'.join(statuses)))
        last['server'] = server
        if (server.status in statuses and
                server.task_state == task_state and
                (also is None or also(server))):
            return server
        if server.status in FAILED_SERVER_STATUSES - set(statuses):
            raise ServerFailed(server_id=server_id, status=server.status,
                               fault=server.fault or 'no fault recorded')
        return None

    return poller.until(reached, lambda: (
        'server %s did not reach %s (task %s); last seen %s' % (
            server_id, '/'.join(statuses), task_state,
            _server_state(last.get('server')))))


def _server_state(server):
    if server is None:
        return 'nothing'
    return 'status %s, task %s, host %s' % (
        server.status, server.task_state, server.host)


def wait_for_server_gone(reader, poller, server_id):
    """Wait until Nova no longer shows the server (its delete is done).

    A server in ERROR stays in ERROR until its delete is done: that is
    awaited here, not a failure.
    """
    last = {}

    def gone():
        last['server'] = snapshot.show_server(reader, server_id)
        return last['server'] is None

    poller.until(gone, lambda: 'server %s is still there: %s' % (
        server_id, _server_state(last.get('server'))))


def newest_migration(reader, server_id, migration_type):
    """The server's newest migration of that type, or None."""
    migrations = snapshot.read_migrations(
        reader, {'instance_uuid': server_id,
                 'migration_type': migration_type})
    return max(migrations, key=lambda m: m.id) if migrations else None


def wait_for_migration_status(reader, poller, server_id, migration_type,
                              statuses):
    """The server's newest migration of one type, once in ``statuses``.

    tempest has no such waiter; os-migrations filtered by instance_uuid and
    migration_type finds the one a move created.
    """
    statuses = frozenset([statuses] if isinstance(statuses, str)
                         else statuses)
    last = {}

    def in_status():
        last['migration'] = newest_migration(reader, server_id,
                                             migration_type)
        migration = last['migration']
        return migration if migration and migration.status in statuses \
            else None

    return poller.until(in_status, lambda: (
        '%s migration of server %s did not reach %s; last seen: %s' % (
            migration_type, server_id, '/'.join(sorted(statuses)),
            last['migration'].status if last.get('migration')
            else 'no migration')))


def compute_service(reader, host):
    """The nova-compute service of ``host``; NotFound names the host."""
    services = snapshot.read_compute_services(reader, host=host)
    if not services:
        raise lib_exc.NotFound('no nova-compute service on host %s' % host)
    return services[0]


def wait_for_service_state(reader, poller, host, state, after=None):
    """The nova-compute of ``host`` once reported ``state`` (up or down).

    With ``after`` (a heartbeat time of the service), up counts only once
    a newer heartbeat came: a compute just restarted still shows the last
    heartbeat of its previous process as up for a while, before it has
    started (and before it reached Placement, say).
    """
    last = {}

    def in_state():
        last['service'] = compute_service(reader, host)
        service = last['service']
        fresh = after is None or (service.updated_at is not None and
                                  service.updated_at > after)
        return service if service.state == state and fresh else None

    return poller.until(in_state, lambda: (
        'nova-compute on %s is still %s, expected %s' % (
            host, last['service'].state if last.get('service') else '?',
            state)))


def wait_until_consistent(reader, poller, scope, kinds=None,
                          hosts_compared=()):
    """Poll the audit's checks over ``scope`` until they find nothing.

    ``hosts_compared``: hosts whose hypervisor figures must have been
    compared in the passing read; the checks skip a host while a build or a
    move on it is in flight (or it is down, or its record or provider is
    not there yet: checks.hosts_usage_compared), and that must not count
    as agreement.
    Returns the passing AuditResult; on timeout fails with the last
    findings.
    """
    last = {}

    def consistent():
        result = settle.audit(reader, scope, kinds, settle=0)
        unsettled = sorted(set(hosts_compared) -
                           checks.hosts_usage_compared(result.snapshot))
        last['findings'] = result.findings
        last['unsettled'] = unsettled
        return result if not result.findings and not unsettled else None

    def describe():
        lines = ['Placement and Nova still disagree:']
        lines += messages.finding_lines(last.get('findings', []))
        if last.get('unsettled'):
            lines.append('  - hosts whose figures were never compared '
                         '(%s): %s' % (checks.USAGE_NOT_COMPARED,
                                       ', '.join(last['unsettled'])))
        return '\n'.join(lines)

    return poller.until(consistent, describe)
