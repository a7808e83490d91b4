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

"""The checks: one function per finding kind, Snapshot -> [Finding].

Each check is registered once with ``finding_kind``, which names its kind,
severity and what it needs from a snapshot; the list of kinds, the report
order and what a read may skip all derive from that registry. Finding kinds
are public API (JSON output, tests, doc/source/audit.rst): never rename
one. run_checks builds the shared Lookups once per snapshot for every check.
"""

import dataclasses
import typing

from tracker_tests.audit import lookups as lookups_mod
from tracker_tests.audit import resources

ERROR = 'error'
WARNING = 'warning'

PLACEMENT_1_28 = 'openstack --os-placement-api-version 1.28'


@dataclasses.dataclass(frozen=True)
class Finding:
    """One disagreement, with what an operator can run to repair it.

    ``expected`` and ``actual`` are a number or a {resource class: amount}
    mapping; for allocations ``expected`` is what Nova's records imply and
    ``actual`` what Placement holds.
    """

    kind: str
    severity: str
    host: str | None
    provider: str | None
    consumer: str | None
    resource_class: str | None
    expected: typing.Any
    actual: typing.Any
    explanation: str
    remedy: str

    @property
    def key(self):
        """Identity across two reads; the amounts may move meanwhile."""
        return (self.kind, self.host, self.provider, self.consumer,
                self.resource_class)

    def to_dict(self):
        # Not dataclasses.asdict: its deep copies cost seconds on a report
        # of ten thousand findings; expected/actual are flat.
        return {field: (dict(value) if isinstance(value, dict) else value)
                for field, value in zip(_FINDING_FIELDS, (
                    self.kind, self.severity, self.host, self.provider,
                    self.consumer, self.resource_class, self.expected,
                    self.actual, self.explanation, self.remedy))}


_FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))


@dataclasses.dataclass(frozen=True)
class Kind:
    """A finding kind: its name (public API), severity, check and needs.

    ``needs`` names the optional parts of a snapshot the check compares
    against (today only 'inventories'), so that a read for other kinds can
    skip them. ``doubt`` is the rule of lookups.py that tells when a
    finding of this kind needs a re-read to be confirmed.
    """

    name: str
    severity: str
    check: typing.Callable
    needs: frozenset = frozenset()
    #: doubt(lookups, finding) -> why one read cannot confirm it, or None.
    doubt: typing.Callable = lookups_mod.always(
        'no rule says one read is enough for this kind')

    def finding(self, **fields):
        """A Finding of this kind, at this kind's severity."""
        return Finding(kind=self.name, severity=self.severity, **fields)


#: Finding kind -> Kind, in report order (the order they are registered).
CHECKS = {}

#: What a snapshot may be read without; see collect(inventories=).
INVENTORIES = 'inventories'


def finding_kind(name, severity, needs=(), doubt=None):
    """Register the decorated check as the one finding ``name``.

    The check is called as check(snapshot, lookups, kind) and returns the
    list of kind.finding(...) it found. ``doubt`` (a rule of lookups.py)
    says which findings one read cannot confirm; without it every finding
    of the kind is re-read.
    """
    def register(check):
        if name in CHECKS:
            raise ValueError('finding kind %s registered twice' % name)
        extra = {'doubt': doubt} if doubt else {}
        CHECKS[name] = Kind(name, severity, check, frozenset(needs), **extra)
        return check
    return register


def _format_resources(resources_by_class):
    if not resources_by_class:
        return 'nothing'
    return ', '.join('%s=%s' % item for item in sorted(
        resources_by_class.items()))


def _unset_command(provider, consumer):
    return '%s resource provider allocation unset --provider %s %s' % (
        PLACEMENT_1_28, provider, consumer)


def _delete_command(consumer):
    return 'openstack resource provider allocation delete %s' % consumer


def _heal_command(server_id, force=False):
    return 'nova-manage placement heal_allocations --instance %s%s' % (
        server_id, ' --force' if force else '')


# -- Placement consumers ----------------------------------------------------

@finding_kind('orphan_allocation', ERROR, doubt=lookups_mod.orphan_doubt)
def check_orphan_allocation(snapshot, lk, kind):
    """A consumer with no server or move behind it, on any provider.

    Every provider is looked at, as nova-manage placement audit does:
    compute node trees, sharing providers, providers of compute nodes that
    no longer exist and any other tree. The explanation names the kind.
    """
    findings = []
    for provider in sorted(snapshot.allocations):
        for consumer, allocation in sorted(
                snapshot.allocations[provider].items()):
            if consumer in snapshot.servers:
                continue  # a server's allocations are checked per server
            migration = snapshot.migrations.get(consumer)
            if migration is not None:
                if not lk.migration_in_progress(migration):
                    continue  # stale_migration_allocation
                if (lk.provider_kind(provider) ==
                        lookups_mod.SHARING_PROVIDER or
                        lk.root_of(provider) in lk.roots_touched_by(
                            migration)):
                    continue
                why = ('is %s migration %s of server %s (status %s), which '
                       'does not touch this provider'
                       % (migration.migration_type, consumer,
                          migration.instance_uuid, migration.status))
                remedy = _unset_command(provider, consumer)
            elif consumer in snapshot.deleted_servers:
                if lk.deletion_in_flight(consumer):
                    continue  # Nova is freeing it right now
                why = _deleted_why(lk, snapshot.deleted_servers[consumer])
                remedy = _delete_command(consumer)
            else:
                why = 'is neither a server nor a migration'
                remedy = _delete_command(consumer)
            findings.append(kind.finding(
                host=lk.host_of_provider(provider), provider=provider,
                consumer=consumer, resource_class=None, expected={},
                actual=dict(allocation.resources),
                explanation='consumer %s holds %s on %s but %s' % (
                    consumer, _format_resources(allocation.resources),
                    lk.provider_description(provider), why),
                remedy=remedy))
    return findings


def _deleted_why(lk, server):
    when = 'at an unknown time'
    if server.deleted_at is not None:
        when = 'at %s UTC' % server.deleted_at.strftime('%Y-%m-%d %H:%M:%S')
        if lk.reference is not None:
            when += ', %s before the read' % _duration(
                lk.reference - server.deleted_at)
    return 'is server %s (%s), which Nova deleted %s' % (
        server.id, server.name, when)


def _duration(delta):
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return '%d s' % seconds
    if seconds < 7200:
        return '%d min' % (seconds // 60)
    return '%.1f h' % (seconds / 3600)


# -- servers ------------------------------------------------------------------

def _settled_servers(snapshot):
    return [server for _, server in sorted(snapshot.servers.items())
            if lookups_mod.server_is_settled(server)]


@finding_kind('missing_allocation', ERROR,
              doubt=lookups_mod.server_doubt)
def check_missing_allocation(snapshot, lk, kind):
    """A server on a host that holds no allocation at all."""
    findings = []
    for server in _settled_servers(snapshot):
        if (lookups_mod.server_holds_no_host(server) or
                lk.allocations_by_consumer.get(server.id)):
            continue
        expected = (resources.expected_resources(
            server.flavor, server.volume_backed) if server.flavor else None)
        findings.append(kind.finding(
            host=server.host,
            provider=lk.node_root(server.node), consumer=server.id,
            resource_class=None, expected=expected, actual={},
            explanation='server %s (%s) is %s on %s but holds no allocation '
                        'in Placement' % (server.id, server.name,
                                          server.status, server.node),
            remedy=_heal_command(server.id)))
    return findings


def _allocated_on_tree(lk, server_id, root):
    allocated = {}
    for provider, allocation in lk.allocations_by_consumer.get(
            server_id, {}).items():
        if lk.root_of(provider) != root:
            continue
        for resource_class, amount in allocation.resources.items():
            allocated[resource_class] = allocated.get(
                resource_class, 0) + amount
    return allocated


@finding_kind('allocation_mismatch', ERROR,
              doubt=lookups_mod.server_doubt)
def check_allocation_mismatch(snapshot, lk, kind):
    """A server's allocation on its node differs from its flavor."""
    findings = []
    for server in _settled_servers(snapshot):
        root = lk.node_root(server.node)
        if (lookups_mod.server_holds_no_host(server) or
                server.flavor is None or root is None):
            continue
        allocated = _allocated_on_tree(lk, server.id, root)
        if not allocated:
            continue  # missing_allocation or wrong_provider says it
        expected = resources.expected_resources(
            server.flavor, server.volume_backed)
        for resource_class in sorted(
                resources.FLAVOR_CLASSES | set(expected)):
            want = expected.get(resource_class, 0)
            have = allocated.get(resource_class, 0)
            if want == have:
                continue
            findings.append(kind.finding(
                host=server.host,
                provider=root, consumer=server.id,
                resource_class=resource_class, expected=want, actual=have,
                explanation='server %s (%s) with flavor %s should hold '
                            '%s=%d on %s but holds %d' % (
                                server.id, server.name,
                                server.flavor.original_name, resource_class,
                                want, server.node, have),
                remedy=_heal_command(server.id, force=True)))
    return findings


@finding_kind('wrong_provider', ERROR,
              doubt=lookups_mod.wrong_provider_doubt)
def check_wrong_provider(snapshot, lk, kind):
    """A server's allocation on a compute node other than its own."""
    findings = []
    for server in _settled_servers(snapshot):
        held = lk.allocations_by_consumer.get(server.id, {})
        if not held:
            continue
        no_host = lookups_mod.server_holds_no_host(server)
        root = lk.node_root(server.node)
        if not no_host and root is None:
            continue  # compute_node_without_provider or no hypervisor
        allowed = lk.move_roots(server) | {root}
        holds_on_own_node = any(lk.root_of(p) == root for p in held)
        for provider, allocation in sorted(held.items()):
            if no_host:
                where = ('server %s (%s) is %s without a host and should '
                         'hold nothing' % (server.id, server.name,
                                           server.vm_state))
                remedy = _delete_command(server.id)
            elif (lk.root_of(provider) in allowed or
                    not lk.is_compute_provider(provider)):
                continue  # its node, a move, or a sharing provider
            else:
                where = 'server %s (%s) runs on %s' % (
                    server.id, server.name, server.node)
                remedy = _unset_command(provider, server.id)
                if not holds_on_own_node:
                    remedy += ' && ' + _heal_command(server.id)
            findings.append(kind.finding(
                host=lk.host_of_provider(provider), provider=provider,
                consumer=server.id, resource_class=None,
                expected=lk.node_root(server.node),
                actual=dict(allocation.resources),
                explanation='%s but holds %s on %s, outside any move' % (
                    where, _format_resources(allocation.resources),
                    lk.provider_label(provider)),
                remedy=remedy))
    return findings


# -- moves --------------------------------------------------------------------

@finding_kind('stale_migration_allocation', ERROR,
              doubt=lookups_mod.stale_migration_doubt)
def check_stale_migration_allocation(snapshot, lk, kind):
    """A finished or stuck migration whose uuid still holds allocations."""
    findings = []
    for uuid, migration in sorted(snapshot.migrations.items()):
        server = snapshot.servers.get(migration.instance_uuid)
        if (lk.migration_in_progress(migration) or
                (server and not lookups_mod.server_is_settled(server))):
            # A revert marks its migration reverted before the compute
            # moves the allocations back; the server's task says so.
            continue
        if lookups_mod.migration_in_progress(migration):
            how = ('is stuck in status %s (server %s is %s on %s with no '
                   'task in progress)' % (
                       migration.status, server.id, server.status,
                       server.host))
        else:
            how = 'ended (%s)' % migration.status
        for provider, allocation in sorted(
                lk.allocations_by_consumer.get(uuid, {}).items()):
            findings.append(kind.finding(
                host=lk.host_of_provider(provider), provider=provider,
                consumer=uuid, resource_class=None, expected={},
                actual=dict(allocation.resources),
                explanation='%s migration %s of server %s %s but still '
                            'holds %s on %s' % (
                                migration.migration_type, uuid,
                                migration.instance_uuid, how,
                                _format_resources(allocation.resources),
                                lk.provider_label(provider)),
                remedy=_delete_command(uuid)))
    return findings


# -- hypervisors and providers ------------------------------------------------

#: os-hypervisors field -> Placement classes it counts.
HYPERVISOR_USAGE_FIELDS = (
    ('vcpus_used', resources.VCPU, (resources.VCPU, resources.PCPU)),
    ('memory_mb_used', resources.MEMORY_MB, (resources.MEMORY_MB,)),
    ('local_gb_used', resources.DISK_GB, (resources.DISK_GB,)),
)


def _hypervisors_to_compare(snapshot, lk):
    """Hypervisors whose figures are current and comparable now."""
    for _, hypervisor in sorted(snapshot.hypervisors.items()):
        if (hypervisor.state == 'down' or
                hypervisor.first_update_pending or
                hypervisor.hypervisor_type == 'ironic' or
                hypervisor.hypervisor_hostname in lk.busy_nodes):
            # A down compute does not refresh its record; a new one holds
            # the driver's raw figures until its first update is saved;
            # ironic nodes report whole-node figures; moves and builds
            # change both sides at different moments.
            continue
        yield hypervisor


def _usage_compared(snapshot, lk):
    """Hypervisors whose figures the usage check compares."""
    return [hypervisor for hypervisor in _hypervisors_to_compare(snapshot, lk)
            if hypervisor.id in snapshot.whole_providers]


#: Why hosts_usage_compared may leave a host out, for messages.
USAGE_NOT_COMPARED = ('down, a move or build under way, record not updated '
                      'yet, or no resource provider')


def hosts_usage_compared(snapshot, lk=None):
    """Hosts whose os-hypervisors figures the usage check compared.

    A test that wants agreement on a host must not take a host the check
    left out (see _hypervisors_to_compare, or a provider not read whole)
    for one that agrees.
    """
    lk = lk or lookups_mod.Lookups(snapshot)
    return {hypervisor.host for hypervisor in _usage_compared(snapshot, lk)}


def _disk_rounding_slack(lk, hypervisor, reserved):
    """How far local_gb_used may legitimately trail DISK_GB usage.

    The resource tracker adds swap as MiB / 1024 and stores the total as an
    integer, while Placement holds swap rounded up to whole GiB; reserved
    disk is likewise rounded up in the inventory only.
    """
    slack = sum(1 for server in lk.counted_servers(hypervisor)
                if server.flavor and server.flavor.swap % 1024)
    return slack + (1 if reserved else 0)


@finding_kind('usage_mismatch', WARNING, needs=(INVENTORIES,),
              doubt=lookups_mod.hypervisor_doubt)
def check_usage_mismatch(snapshot, lk, kind):
    """os-hypervisors *_used minus reserved differs from Placement usage."""
    findings = []
    for hypervisor in _usage_compared(snapshot, lk):
        root = hypervisor.id
        inventories = snapshot.inventories.get(root, {})
        usage = snapshot.usages.get(root, {})
        for field, label, classes in HYPERVISOR_USAGE_FIELDS:
            used = getattr(hypervisor, field)
            inventoried = [rc for rc in classes if rc in inventories]
            if used is None or not inventoried:
                continue
            reserved = sum(inventories[rc].reserved for rc in inventoried)
            nova_used = used - reserved
            placement_used = sum(usage.get(rc, 0) for rc in classes)
            slack = (_disk_rounding_slack(lk, hypervisor, reserved)
                     if label == resources.DISK_GB else 0)
            if 0 <= placement_used - nova_used <= slack:
                continue
            findings.append(kind.finding(
                host=hypervisor.host, provider=root, consumer=None,
                resource_class=label, expected=placement_used,
                actual=nova_used,
                explanation='hypervisor %s reports %s=%d (%d without the '
                            '%d reserved) but Placement usage of %s is %d'
                            % (hypervisor.hypervisor_hostname, field, used,
                               nova_used, reserved, '+'.join(inventoried),
                               placement_used),
                remedy='nova-manage placement audit --verbose '
                       '--resource_provider %s' % root))
    return findings


@finding_kind('running_vms_mismatch', WARNING,
              doubt=lookups_mod.hypervisor_doubt)
def check_running_vms_mismatch(snapshot, lk, kind):
    """os-hypervisors running_vms differs from the servers on the node."""
    findings = []
    for hypervisor in _hypervisors_to_compare(snapshot, lk):
        if (hypervisor.running_vms is None or
                not lk.host_fully_read(hypervisor.host) or
                hypervisor.hypervisor_hostname in lk.recently_moved_nodes):
            continue
        counted = len(lk.counted_servers(hypervisor))
        if counted == hypervisor.running_vms:
            continue
        findings.append(kind.finding(
            host=hypervisor.host, provider=hypervisor.id, consumer=None,
            resource_class=None, expected=counted,
            actual=hypervisor.running_vms,
            explanation='hypervisor %s reports running_vms=%d but Nova has '
                        '%d servers on it' % (
                            hypervisor.hypervisor_hostname,
                            hypervisor.running_vms, counted),
            remedy='openstack server list --all-projects --host %s --long'
                   % hypervisor.host))
    return findings


@finding_kind('over_capacity', ERROR, needs=(INVENTORIES,),
              doubt=lookups_mod.always(lookups_mod.INVENTORY_RACE))
def check_over_capacity(snapshot, lk, kind):
    """Usage above (total - reserved) x allocation_ratio."""
    findings = []
    for provider in sorted(snapshot.whole_providers):
        usage = snapshot.usages.get(provider, {})
        for resource_class, inventory in sorted(
                snapshot.inventories.get(provider, {}).items()):
            used = usage.get(resource_class, 0)
            if used <= inventory.capacity:
                continue
            findings.append(kind.finding(
                host=lk.host_of_provider(provider), provider=provider,
                consumer=None, resource_class=resource_class,
                expected=inventory.capacity, actual=used,
                explanation='%s uses %s=%d above its capacity %d '
                            '((total %d - reserved %d) x ratio %g)' % (
                                lk.provider_label(provider), resource_class,
                                used, inventory.capacity, inventory.total,
                                inventory.reserved,
                                inventory.allocation_ratio),
                remedy='%s resource provider show --allocations %s' % (
                    PLACEMENT_1_28, provider)))
    return findings


@finding_kind('provider_without_compute_node', ERROR,
              doubt=lookups_mod.always(lookups_mod.PROVIDER_LIST_RACE))
def check_provider_without_compute_node(snapshot, lk, kind):
    """A compute node provider whose compute node no longer exists."""
    findings = []
    for uuid in sorted(snapshot.compute_node_providers):
        if uuid in snapshot.hypervisors or uuid not in snapshot.providers:
            continue
        consumers = sorted({
            consumer for p in snapshot.providers.values()
            if p.root_provider_uuid == uuid
            for consumer in snapshot.allocations.get(p.uuid, {})})
        holding = ('; %d consumer(s) still hold allocations on it, remove '
                   'them first' % len(consumers) if consumers else '')
        findings.append(kind.finding(
            host=lk.host_of_provider(uuid), provider=uuid, consumer=None,
            resource_class=None, expected=None, actual=uuid,
            explanation='provider %s has the COMPUTE_NODE trait but no '
                        'hypervisor has its uuid%s' % (
                            lk.provider_label(uuid), holding),
            remedy='openstack resource provider delete %s' % uuid))
    return findings


@finding_kind('compute_node_without_provider', ERROR,
              doubt=lookups_mod.always(lookups_mod.PROVIDER_LIST_RACE))
def check_compute_node_without_provider(snapshot, lk, kind):
    """A hypervisor with no resource provider of its uuid."""
    findings = []
    for uuid, hypervisor in sorted(snapshot.hypervisors.items()):
        if uuid in snapshot.providers:
            continue
        findings.append(kind.finding(
            host=hypervisor.host, provider=uuid, consumer=None,
            resource_class=None, expected=uuid, actual=None,
            explanation='hypervisor %s (%s) has no resource provider, so '
                        'nothing can be scheduled to it' % (
                            hypervisor.hypervisor_hostname, uuid),
            remedy='restart nova-compute on %s; it recreates its provider '
                   'when it starts' % hypervisor.host))
    return findings


@finding_kind('forced_down_service', WARNING,
              doubt=lookups_mod.always(lookups_mod.FORCED_DOWN_RACE))
def check_forced_down_service(snapshot, lk, kind):
    """A compute service left forced down."""
    findings = []
    for _, service in sorted(snapshot.services.items()):
        if not service.forced_down:
            continue
        nodes = [h for h in snapshot.hypervisors.values()
                 if h.host == service.host]
        findings.append(kind.finding(
            host=service.host,
            provider=nodes[0].id if len(nodes) == 1 else None,
            consumer=None, resource_class=None, expected=False,
            actual=True,
            explanation='%s on %s is forced down (state %s); the scheduler '
                        'skips it and its evacuated servers keep their '
                        'allocations' % (service.binary, service.host,
                                         service.state),
            remedy='openstack --os-compute-api-version 2.53 compute service '
                   'set --up %s %s' % (service.host, service.binary)))
    return findings


KINDS = tuple(CHECKS)

#: The kinds that compare against inventories (total, reserved, ratio): a
#: snapshot read for other kinds skips a GET a provider.
INVENTORY_KINDS = frozenset(
    name for name, kind in CHECKS.items() if INVENTORIES in kind.needs)


class UnknownKind(ValueError):
    def __init__(self, kinds):
        self.kinds = kinds
        super().__init__('unknown finding kind(s): %s (known: %s)' % (
            ', '.join(kinds), ', '.join(KINDS)))


def validate_kinds(kinds):
    """The kinds to run, in report order; raise UnknownKind on a typo."""
    if not kinds:
        return KINDS
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise UnknownKind(unknown)
    return tuple(kind for kind in KINDS if kind in set(kinds))


def needs_inventories(kinds):
    """Whether checking ``kinds`` (None: all) needs providers' inventories."""
    return bool(INVENTORY_KINDS.intersection(validate_kinds(kinds)))


def _findings(snapshot, kinds):
    kinds = validate_kinds(kinds)
    inventory_kinds = INVENTORY_KINDS.intersection(kinds)
    if inventory_kinds and not snapshot.inventories_read:
        # Without inventories these checks would find nothing, whatever
        # the cloud holds.
        raise ValueError('%s need a snapshot read with inventories' % (
            ', '.join(sorted(inventory_kinds))))
    lk = lookups_mod.Lookups(snapshot)
    findings = []
    for name in kinds:
        kind = CHECKS[name]
        findings.extend(f for f in kind.check(snapshot, lk, kind)
                        if lk.reports(f))
    return findings, lk


def run_checks(snapshot, kinds=None):
    """Findings of ``kinds`` (default all) within the snapshot's scope."""
    return _findings(snapshot, kinds)[0]


def examine(snapshot, kinds=None):
    """(findings, {finding key: why one read cannot confirm it}).

    The doubts come from each kind's rule in lookups.py; a finding without
    one is confirmed by this read.
    """
    findings, lk = _findings(snapshot, kinds)
    doubts = {}
    for finding in findings:
        reason = CHECKS[finding.kind].doubt(lk, finding)
        if reason:
            doubts[finding.key] = reason
    return findings, doubts


def report_order(findings):
    """``findings`` in report order: by kind, then as each check lists."""
    order = {name: index for index, name in enumerate(KINDS)}
    return sorted(findings, key=lambda f: order[f.kind])
