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

"""The audit's single entry point: read, check, re-read what is in doubt.

The cloud moves while it is read: a server deleted between the Placement
and the Nova reads looks like an orphan for a moment, and Nova's resource
tracker catches up with a move only on its next periodic run. Much of
that can be told from one read (lookups.py: Placement is read before Nova,
deleted servers are listed, records are dated against the cloud's clock):
those findings are confirmed by the first read. The others are re-read
``settle`` seconds later, and only the providers, servers and hosts they
touch are read again; a finding is reported when every re-read still
finds it (same kind, host, provider, consumer and resource class; the
amounts may differ) or finds it no longer in doubt.
"""

import dataclasses
import time

from tracker_tests.audit import checks
from tracker_tests.audit import snapshot as snapshot_mod

#: Finding kind -> the Scope field a re-read of such a finding names:
#: the provider it sits on, the server it is about, or its host.
RECHECK_BY = {
    'orphan_allocation': 'consumer_ids',
    'stale_migration_allocation': 'consumer_ids',
    'over_capacity': 'provider_ids',
    'provider_without_compute_node': 'provider_ids',
    'missing_allocation': 'server_ids',
    'allocation_mismatch': 'server_ids',
    'wrong_provider': 'server_ids',
    'usage_mismatch': 'hosts',
    'running_vms_mismatch': 'hosts',
    'compute_node_without_provider': 'hosts',
    'forced_down_service': 'hosts',
}


@dataclasses.dataclass
class AuditResult:
    findings: list
    #: The first read, of the whole scope (re-reads are partial).
    snapshot: snapshot_mod.Snapshot
    seconds: float
    #: Findings of the first read that a later read no longer found.
    transient: list = dataclasses.field(default_factory=list)
    reads: int = 1
    #: Finding key -> why the first read could not confirm it.
    doubts: dict = dataclasses.field(default_factory=dict)


#: A consumer's allocations are one GET; when doubtful consumers outnumber
#: the providers they sit on this many times, the providers are re-read
#: instead (one GET covers all of a provider's consumers).
CONSUMERS_PER_PROVIDER_READ = 2


def recheck_scope(findings, held_still=None):
    """The Scope that re-reads what ``findings`` touch, and no more;
    the hosts the audit's scope held still it holds still too.
    """
    names = {'provider_ids': set(), 'server_ids': set(), 'hosts': set(),
             'consumer_ids': set()}
    by_consumer = [f for f in findings
                   if RECHECK_BY.get(f.kind) == 'consumer_ids']
    providers = {f.provider for f in by_consumer}
    if len({f.consumer for f in by_consumer}) > (
            CONSUMERS_PER_PROVIDER_READ * len(providers)):
        names['provider_ids'] |= providers
        findings = [f for f in findings if f not in by_consumer]
    for finding in findings:
        field = RECHECK_BY.get(finding.kind)
        value = {'provider_ids': finding.provider,
                 'server_ids': finding.consumer,
                 'consumer_ids': finding.consumer,
                 'hosts': finding.host}.get(field)
        if value is None:
            # Nothing narrower names it (a finding of a new kind, a
            # provider on no host): the provider, else the consumer.
            field, value = (('provider_ids', finding.provider)
                            if finding.provider else
                            ('server_ids', finding.consumer))
        names[field].add(value)
    return snapshot_mod.Scope(held_still=held_still,
                              **{field: values or None
                                 for field, values in names.items()})


def _reread(reader, scope, kinds, max_workers):
    """collect() of ``scope``; names that vanished meanwhile are dropped."""
    while True:
        try:
            return snapshot_mod.collect(
                reader, scope, max_workers,
                inventories=checks.needs_inventories(kinds))
        except snapshot_mod.UnknownHosts as exc:
            scope = dataclasses.replace(
                scope, hosts=(scope.hosts - set(exc.unknown)) or None)
        except snapshot_mod.UnknownProviders as exc:
            scope = dataclasses.replace(
                scope, provider_ids=(scope.provider_ids -
                                     set(exc.unknown)) or None)
        if scope.everything:
            return None  # all it touched is gone


def audit(reader, scope=None, kinds=None, settle=3.0, interval=None,
          max_workers=8, progress=None, sleep=time.sleep,
          clock=time.monotonic):
    """Collect, check, and confirm by re-reading what is in doubt.

    ``settle`` <= 0 reports the first read's findings as they are.
    Otherwise the findings one read cannot confirm (checks.examine) are
    re-read: with ``interval`` None once, ``settle`` seconds after the
    first read; with an ``interval``, every ``interval`` seconds until
    none is left in doubt or ``settle`` seconds of waiting have passed.
    A finding is reported when every re-read found it; one that a re-read
    finds no longer in doubt is confirmed there. The wait between two
    reads is never shorter than the last read took, so that on a large
    cloud the audit reads at most half of the time.
    Unknown ``kinds`` raise checks.UnknownKind before anything is read.
    """
    kinds = checks.validate_kinds(kinds)
    started = clock()
    first_snapshot = snapshot_mod.collect(
        reader, scope, max_workers, progress,
        inventories=checks.needs_inventories(kinds))
    last_read = clock() - started
    first, doubts = checks.examine(first_snapshot, kinds)
    if settle <= 0 or not doubts:
        return AuditResult(findings=first, snapshot=first_snapshot,
                           seconds=clock() - started, doubts=doubts)
    confirmed = [f for f in first if f.key not in doubts]
    doubtful = [f for f in first if f.key in doubts]
    transient = []
    step = settle if interval is None else min(max(interval, 0.1), settle)
    reads, waited = 1, 0.0
    while doubtful and waited < settle:
        pause = min(max(step, last_read), settle - waited)
        sleep(pause)
        waited += pause
        read_started = clock()
        doubtful_kinds = {finding.kind for finding in doubtful}
        snapshot = _reread(
            reader, recheck_scope(doubtful, scope and scope.held_still),
            doubtful_kinds, max_workers)
        last_read = clock() - read_started
        reads += 1
        found, still_doubts = (checks.examine(snapshot, doubtful_kinds)
                               if snapshot is not None else ([], {}))
        again = {finding.key: finding for finding in found}
        remaining = []
        for finding in doubtful:
            seen = again.get(finding.key)
            if seen is None:
                transient.append(finding)
            elif seen.key in still_doubts:
                remaining.append(seen)
            else:
                confirmed.append(seen)
        doubtful = remaining
    return AuditResult(
        findings=checks.report_order(confirmed + doubtful),
        snapshot=first_snapshot, seconds=clock() - started,
        transient=transient, reads=reads, doubts=doubts)
