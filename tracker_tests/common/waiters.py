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
"""Waiters tempest does not have: migrations, service state, consistency."""

import collections
import time

from tempest.lib import exceptions as lib_exc

from tracker_tests.audit import lookups
from tracker_tests.audit import reader as reader_mod
from tracker_tests.audit import settle

#: os-migrations with the migration uuid (the source side's consumer).
MIGRATIONS_MICROVERSION = '2.59'
#: os-services with forced_down and uuids as ids.
SERVICES_MICROVERSION = '2.53'


def poll(condition, timeout, interval, describe):
    """Call ``condition`` until it returns a truthy value; return it.

    On timeout raise TimeoutException with ``describe()``, which should say
    what was awaited and what was last seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise lib_exc.TimeoutException(
                'after %d s: %s' % (timeout, describe()))
        time.sleep(interval)


def list_migrations(reader, server_id, migration_type=None):
    params = {'instance_uuid': server_id}
    if migration_type:
        params['migration_type'] = migration_type
    return reader_mod.get_all(reader, 'compute', '/os-migrations',
                              'migrations', MIGRATIONS_MICROVERSION, params)


def wait_for_migration_status(reader, server_id, migration_type, statuses,
                              timeout, interval):
    """The newest migration of a server of one type, once in ``statuses``.

    tempest has no such waiter; os-migrations filtered by instance_uuid and
    migration_type finds the one a move created.
    """
    statuses = frozenset([statuses] if isinstance(statuses, str)
                         else statuses)
    last = {}

    def newest_in_status():
        migrations = list_migrations(reader, server_id, migration_type)
        if not migrations:
            return None
        newest = max(migrations, key=lambda m: m['id'])
        last['migration'] = newest
        return newest if newest['status'] in statuses else None

    return poll(newest_in_status, timeout, interval, lambda: (
        '%s migration of server %s did not reach %s; last seen: %s' % (
            migration_type, server_id, '/'.join(sorted(statuses)),
            last.get('migration', {}).get('status', 'no migration'))))


def compute_service(reader, host):
    services = reader.get('compute', reader_mod.with_query(
        '/os-services', {'binary': 'nova-compute', 'host': host}),
        SERVICES_MICROVERSION)['services']
    if not services:
        raise lib_exc.NotFound('no nova-compute service on host %s' % host)
    return services[0]


def wait_for_service_state(reader, host, state, timeout, interval):
    """Wait until the nova-compute on ``host`` is reported up or down."""
    last = {}

    def in_state():
        service = compute_service(reader, host)
        last['state'] = service['state']
        return service if service['state'] == state else None

    return poll(in_state, timeout, interval, lambda: (
        'nova-compute on %s is still %s, expected %s' % (
            host, last.get('state'), state)))


def describe_finding(finding):
    """A finding as the one line a failing test shows.

    It names consumer, provider, resource class, expected and actual.
    """
    parts = [finding.kind]
    if finding.consumer:
        parts.append('consumer %s' % finding.consumer)
    if finding.provider or finding.host:
        parts.append('on provider %s (host %s)' % (
            finding.provider, finding.host))
    if finding.resource_class:
        parts.append(finding.resource_class)
    parts.append('expected %s, actual %s' % (finding.expected,
                                             finding.actual))
    return '%s: %s [remedy: %s]' % (
        ' '.join(parts), finding.explanation, finding.remedy)


def describe_findings(findings, limit=200):
    """Findings as a failure message's lines, at most ``limit`` of them.

    Past the limit the rest are counted by kind: a test's whole failure
    message travels in one subunit packet, and a message of a few MB (a
    few thousand findings) makes the test vanish from the results instead
    of failing.
    """
    lines = ['  - %s %s' % (finding.severity, describe_finding(finding))
             for finding in findings[:limit]]
    rest = findings[limit:]
    if rest:
        counts = collections.Counter(finding.kind for finding in rest)
        lines.append('  ... and %d more (%s); tracker-audit lists them all '
                     'with their remedies' % (len(rest), ', '.join(
                         '%d %s' % (count, kind)
                         for kind, count in sorted(counts.items()))))
    return lines


def wait_until_consistent(reader, scope, timeout, interval, kinds=None,
                          hosts_compared=()):
    """Poll the audit's checks over ``scope`` until they find nothing.

    ``hosts_compared``: hosts whose hypervisor figures must have been
    compared in the passing read; the checks skip a host while a build or a
    move on it is in flight, and that must not count as agreement.
    Returns the passing AuditResult; on timeout fails with the last
    findings.
    """
    last = {}

    def consistent():
        result = settle.audit(reader, scope, kinds, settle=0)
        busy = lookups.Lookups(result.snapshot).busy_nodes
        unsettled = sorted(
            host for host in hosts_compared
            if host in busy or not any(
                h.host == host and h.state == 'up'
                for h in result.snapshot.hypervisors.values()))
        last['findings'] = result.findings
        last['unsettled'] = unsettled
        return result if not result.findings and not unsettled else None

    def describe():
        lines = ['Placement and Nova still disagree:']
        lines += describe_findings(last.get('findings', []))
        if last.get('unsettled'):
            lines.append('  - hosts never quiet or up long enough to '
                         'compare: %s' % ', '.join(last['unsettled']))
        return '\n'.join(lines)

    return poll(consistent, timeout, interval, describe)
