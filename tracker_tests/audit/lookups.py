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

"""Indexes over a Snapshot that several checks share, built once a pass.

Also where the audit decides which states are legitimate transients:
which servers are settled, which migrations are still moving, which nodes
are too busy for their hypervisor figures to be compared.
"""

import collections
import datetime

#: The trait of the root provider of every compute node.
COMPUTE_NODE_TRAIT = 'COMPUTE_NODE'
#: The trait of a provider that shares its inventory (shared storage's
#: DISK_GB) with the compute nodes of its aggregates.
SHARING_TRAIT = 'MISC_SHARES_VIA_AGGREGATE'

#: What kind of provider an allocation sits on (provider_kind). Orphans are
#: reported on all four: nova-manage placement audit looks at every
#: provider too.
COMPUTE_TREE = 'compute tree'
SHARING_PROVIDER = 'sharing provider'
LEFT_BY_COMPUTE_NODE = 'provider without compute node'
OUTSIDE_COMPUTE_TREES = 'outside compute trees'
PROVIDER_KINDS = (COMPUTE_TREE, SHARING_PROVIDER, LEFT_BY_COMPUTE_NODE,
                  OUTSIDE_COMPUTE_TREES)

#: Migration statuses after which Nova no longer needs the migration's
#: allocations ('done' ends an evacuation, 'completed' a live migration or
#: an evacuation whose source was cleaned up).
TERMINAL_MIGRATION_STATUSES = frozenset({
    'confirmed', 'reverted', 'error', 'failed', 'completed', 'cancelled',
    'done'})

#: Server statuses during which Nova's records are not final. DELETED is
#: listed while the compute finishes a delete, before it frees the
#: allocation and destroys the record.
UNSETTLED_SERVER_STATUSES = frozenset({'BUILD', 'UNKNOWN', 'DELETED'})

#: vm_states whose servers the resource tracker no longer counts.
REMOVED_VM_STATES = frozenset({'deleted', 'shelved_offloaded'})

#: How long after a move a node's running_vms may still count the moved
#: server on its old node: the resource tracker recounts its instances in
#: the periodic update_available_resource ([DEFAULT]
#: update_resources_interval, 60 s by default), not when a move ends.
RUNNING_VMS_LAG = datetime.timedelta(seconds=120)

# -- what one read can conclude ---------------------------------------------
# Placement is read before Nova, and Nova records every live consumer
# before Placement sees its claim (a build its BuildRequest, a move its
# migration), so a consumer Nova does not know was no server or move of
# Nova's when Placement was read. Most other doubts are dated: a record
# saved shortly before the read began (Snapshot.reference_time) may not be
# reflected yet on the other side. A finding in doubt is re-read (only
# what it touches) after --settle; the others are confirmed by one read.

#: Nova frees a deleted server's allocations right after it marks the
#: instance deleted (the compute's _complete_deletion, or the API's local
#: delete when the compute is down): within seconds. Until this long after
#: the deletion an allocation still held is clean-up in flight, not a
#: finding; later it is a leak, and the finding says when the server went.
DELETE_CLEANUP_GRACE = datetime.timedelta(seconds=60)

#: How far back deleted servers are listed (changes-since). A leak of a
#: server deleted earlier reads as a consumer Nova does not know.
DELETED_SERVERS_LOOKBACK = datetime.timedelta(days=1)

#: After Nova saves a server or migration record, what the change does to
#: the allocations follows within the same operation (the claim of a
#: build, the source freed on confirm, a revert moving them back), in
#: seconds; a minute also covers clock skew between the hosts that write
#: the records and the heartbeats.
RECORD_CHANGE_LAG = datetime.timedelta(seconds=60)

#: Hypervisor figures follow a change at the resource tracker's next
#: periodic run ([DEFAULT] update_resources_interval, 60 s).
HYPERVISOR_LAG = RUNNING_VMS_LAG

#: Kinds re-read whenever found: their evidence is not dated, and the
#: re-read is a few requests.
PROVIDER_LIST_RACE = (
    'the provider list and the hypervisors are read at the same time, and '
    'a compute node\'s record and its provider come and go a moment apart')
INVENTORY_RACE = (
    'a provider\'s inventory and its allocations are two reads, and a '
    'compute rewrites its inventory on its own')
FORCED_DOWN_RACE = (
    'a service is forced down for a moment during a host evacuation')


def migration_in_progress(migration):
    """By its status alone; see Lookups.migration_in_progress."""
    return migration.status not in TERMINAL_MIGRATION_STATUSES


def migration_stuck(migration, server):
    """A migration Nova will not finish: its status is not final, but its
    server is settled (no task, not building) and not awaiting the
    confirmation of this move.

    It happens when the compute doing the move died and reset the server
    on restart (bug 1836369). Its allocations are no longer those of a
    move in flight; a server of another cell or not read is given the
    benefit of the doubt.
    """
    if server is None or not migration_in_progress(migration):
        return False
    awaits_confirmation = (migration.status == 'finished' and
                           server.status == 'VERIFY_RESIZE')
    return server_is_settled(server) and not awaits_confirmation


def server_is_settled(server):
    """False while Nova is still working on the server (or cannot say).

    BUILD, DELETED, any task_state and servers of a down cell (UNKNOWN)
    are left alone: their allocations are being made, moved or freed right
    now.
    """
    return (server.status not in UNSETTLED_SERVER_STATUSES and
            server.task_state is None)


def server_holds_no_host(server):
    return (server.host is None or
            server.vm_state == 'shelved_offloaded')


class Lookups:
    """Indexes over one Snapshot."""

    def __init__(self, snapshot):
        self.snapshot = snapshot
        self.hypervisor_by_node = {
            h.hypervisor_hostname: h for h in snapshot.hypervisors.values()}
        self.compute_roots = (set(snapshot.hypervisors) |
                              set(snapshot.compute_node_providers))
        self.allocations_by_consumer = collections.defaultdict(dict)
        for provider, by_consumer in snapshot.allocations.items():
            for consumer, allocation in by_consumer.items():
                self.allocations_by_consumer[consumer][provider] = allocation
        self.migrations_by_instance = collections.defaultdict(list)
        for migration in snapshot.migrations.values():
            self.migrations_by_instance[migration.instance_uuid].append(
                migration)
        self.service_by_host = {
            s.host: s for s in snapshot.services.values()}
        self.servers_by_node = collections.defaultdict(list)
        for server in snapshot.servers.values():
            if server.node:
                self.servers_by_node[server.node].append(server)
        self.busy_nodes = self._busy_nodes()
        self.recently_moved_nodes = self._recently_moved_nodes()
        self.reference = snapshot.reference_time
        self.recent_deletions = sorted(
            (server for server in snapshot.deleted_servers.values()
             if self.deletion_in_flight(server.id)),
            key=lambda server: server.id)
        scope = snapshot.scope
        self.reported_consumers = set(scope.named_consumers) | {
            m.uuid for m in snapshot.migrations.values()
            if m.instance_uuid in (scope.server_ids or ())}

    def _busy_nodes(self):
        """Nodes whose hypervisor figures are in flux right now, but for
        those of the hosts the scope holds still.
        """
        busy = set()
        for migration in self.snapshot.migrations.values():
            if (self.migration_in_progress(migration) and
                    not self._awaits_confirmation(migration)):
                busy.update((migration.source_node, migration.dest_node))
        for server in self.snapshot.servers.values():
            if not server_is_settled(server):
                # A server being scheduled has no node yet but may already
                # hold the allocation the scheduler claimed.
                busy.add(server.node)
                for provider in self.allocations_by_consumer.get(
                        server.id, ()):
                    hypervisor = self.snapshot.hypervisors.get(
                        self.root_of(provider))
                    if hypervisor is not None:
                        busy.add(hypervisor.hypervisor_hostname)
        busy.discard(None)
        held_still = self.snapshot.scope.held_still or frozenset()
        return busy - {h.hypervisor_hostname
                       for h in self.snapshot.hypervisors.values()
                       if h.host in held_still}

    def _recently_moved_nodes(self):
        """Nodes a migration touched within RUNNING_VMS_LAG of now.

        "Now" is the newest compute service heartbeat, a time of the
        cloud's own clock, so that a skewed client clock does not matter.
        """
        heartbeats = [s.updated_at for s in self.snapshot.services.values()
                      if s.updated_at]
        if not heartbeats:
            return set()
        since = max(heartbeats) - RUNNING_VMS_LAG
        nodes = set()
        for migration in self.snapshot.migrations.values():
            if migration.updated_at and migration.updated_at >= since:
                nodes.update((migration.source_node, migration.dest_node))
        nodes.discard(None)
        return nodes

    def _awaits_confirmation(self, migration):
        """A resize or cold migration resting in VERIFY_RESIZE.

        Both resource trackers count it steadily (the source the old
        flavor for the migration, the destination the new one for the
        server), so their figures can be compared with Placement.
        """
        server = self.snapshot.servers.get(migration.instance_uuid)
        return (migration.status == 'finished' and server is not None and
                server.status == 'VERIFY_RESIZE' and
                server.task_state is None)

    def migration_in_progress(self, migration):
        """Not ended, and not stuck (see migration_stuck)."""
        return migration_in_progress(migration) and not migration_stuck(
            migration, self.snapshot.servers.get(migration.instance_uuid))

    # providers ---------------------------------------------------------------

    def root_of(self, provider_uuid):
        provider = self.snapshot.providers.get(provider_uuid)
        return provider.root_provider_uuid if provider else provider_uuid

    def is_compute_provider(self, provider_uuid):
        """In the tree of a compute node (its own provider or nested)."""
        return self.root_of(provider_uuid) in self.compute_roots

    def node_root(self, node):
        """The provider uuid of a node (the compute node uuid), or None."""
        hypervisor = self.hypervisor_by_node.get(node)
        return hypervisor.id if hypervisor else None

    def provider_kind(self, provider_uuid):
        """Which of PROVIDER_KINDS the provider's tree is."""
        root = self.root_of(provider_uuid)
        if root in self.snapshot.hypervisors:
            return COMPUTE_TREE
        if (provider_uuid in self.snapshot.sharing_providers or
                root in self.snapshot.sharing_providers):
            return SHARING_PROVIDER
        if root in self.snapshot.compute_node_providers:
            return LEFT_BY_COMPUTE_NODE
        return OUTSIDE_COMPUTE_TREES

    def host_of_provider(self, provider_uuid):
        """The compute host of a provider's tree, or None outside them.

        For a compute node provider without a hypervisor (COMPUTE_NODE
        trait) the root provider's name stands in: Nova names compute node
        providers after the node, which is the host name for every driver
        but ironic. Sharing providers and other trees belong to no host.
        """
        root = self.root_of(provider_uuid)
        hypervisor = self.snapshot.hypervisors.get(root)
        if hypervisor is not None:
            return hypervisor.host
        provider = self.snapshot.providers.get(root)
        if provider is None or root not in self.compute_roots:
            return None
        return provider.name

    def provider_label(self, provider_uuid):
        provider = self.snapshot.providers.get(provider_uuid)
        if provider is None or provider.name == provider_uuid:
            return provider_uuid
        return '%s (%s)' % (provider.name, provider_uuid)

    def provider_description(self, provider_uuid):
        """The provider's label and what kind of provider it is.

        An orphan's explanation says which kind it sits on: a compute
        node's tree, a sharing provider, a provider left by a compute node
        that no longer exists, or a provider outside every compute tree.
        """
        label = self.provider_label(provider_uuid)
        kind = self.provider_kind(provider_uuid)
        root = self.root_of(provider_uuid)
        if kind == COMPUTE_TREE:
            if root == provider_uuid:
                return 'compute node %s' % label
            return 'provider %s in the tree of compute node %s' % (
                label, self.provider_label(root))
        if kind == SHARING_PROVIDER:
            return 'sharing provider %s (trait %s)' % (label, SHARING_TRAIT)
        if kind == LEFT_BY_COMPUTE_NODE:
            return ('provider %s, which has the %s trait but no compute node'
                    ' (left by a deleted compute node)' % (
                        label, COMPUTE_NODE_TRAIT))
        return 'provider %s, outside every compute node\'s tree' % label

    # moves -------------------------------------------------------------------

    def roots_touched_by(self, migration):
        return {root for root in (self.node_root(migration.source_node),
                                  self.node_root(migration.dest_node))
                if root}

    def source_compute_down(self, migration):
        service = self.service_by_host.get(migration.source_compute)
        return service is None or service.state == 'down'

    def move_roots(self, server):
        """Compute node providers a server may hold allocations on now.

        Those of its in-progress migrations (source and destination), and
        the source of an evacuation while that source compute is down: the
        source cleans up its allocations when it starts again.
        """
        roots = set()
        for migration in self.migrations_by_instance.get(server.id, ()):
            if self.migration_in_progress(migration):
                roots |= self.roots_touched_by(migration)
            elif (migration.migration_type == 'evacuation' and
                    migration.status == 'done' and
                    self.source_compute_down(migration)):
                source = self.node_root(migration.source_node)
                if source:
                    roots.add(source)
        return roots

    def counted_servers(self, hypervisor):
        """Servers the resource tracker of ``hypervisor`` counts."""
        on_node = self.servers_by_node.get(hypervisor.hypervisor_hostname, ())
        return [s for s in on_node
                if s.host == hypervisor.host and
                s.vm_state not in REMOVED_VM_STATES]

    # time --------------------------------------------------------------------

    def deletion_in_flight(self, consumer):
        """A server Nova deleted less than DELETE_CLEANUP_GRACE ago."""
        server = self.snapshot.deleted_servers.get(consumer)
        if server is None:
            return False
        return (self.reference is None or server.deleted_at is None or
                server.deleted_at >= self.reference - DELETE_CLEANUP_GRACE)

    def changed_recently(self, when, lag, what):
        """Why a record saved at ``when`` is in doubt, or None."""
        if self.reference is None:
            return 'no compute service heartbeat dates the read'
        if when is None:
            return '%s has no update time' % what
        if when >= self.reference - lag:
            return '%s changed %d s before the read began' % (
                what, (self.reference - when).total_seconds())
        return None

    # scope -------------------------------------------------------------------

    def reports(self, finding):
        """Whether the snapshot's scope asked about this finding."""
        scope = self.snapshot.scope
        if scope.everything:
            return True
        if scope.hosts and finding.host in scope.hosts:
            return True
        if scope.provider_ids and finding.provider and (
                finding.provider in scope.provider_ids or
                self.root_of(finding.provider) in scope.provider_ids):
            return True
        return finding.consumer in self.reported_consumers

    def host_fully_read(self, host):
        """Every server of ``host`` was listed, so counts can be compared."""
        scope = self.snapshot.scope
        return scope.everything or host in (scope.hosts or ())


# -- doubt rules: (lookups, finding) -> why one read cannot confirm, or None

def always(reason):
    """A rule for kinds that are re-read whenever found."""
    def rule(lk, finding):
        return reason
    return rule


def orphan_doubt(lk, finding):
    migration = lk.snapshot.migrations.get(finding.consumer)
    if migration is not None:
        return lk.changed_recently(migration.updated_at, RECORD_CHANGE_LAG,
                                   'migration %s' % migration.uuid)
    if finding.consumer in lk.snapshot.deleted_servers:
        return None  # deleted before the grace: a leak
    if lk.reference is None:
        return 'no compute service heartbeat dates the read'
    if lk.recent_deletions:
        # Nova deletes a server's migration records with it, so this
        # consumer may be the migration of a server whose clean-up is
        # still in flight.
        return ('server %s was deleted %d s before the read began; its '
                'migrations went with it' % (
                    lk.recent_deletions[0].id,
                    (lk.reference - lk.recent_deletions[0].deleted_at
                     ).total_seconds()
                    if lk.recent_deletions[0].deleted_at else 0))
    return None


def _server_and_moves_doubt(lk, server_id, lag):
    server = lk.snapshot.servers.get(server_id)
    if server is None:
        return 'server %s was not read' % server_id
    reason = lk.changed_recently(server.updated, lag, 'server %s'
                                 % server_id)
    for migration in lk.migrations_by_instance.get(server_id, ()):
        reason = reason or lk.changed_recently(
            migration.updated_at, lag, 'migration %s' % migration.uuid)
    return reason


def server_doubt(lk, finding):
    return _server_and_moves_doubt(lk, finding.consumer, RECORD_CHANGE_LAG)


def wrong_provider_doubt(lk, finding):
    reason = server_doubt(lk, finding)
    if reason:
        return reason
    root = lk.root_of(finding.provider)
    for migration in lk.migrations_by_instance.get(finding.consumer, ()):
        if (migration.migration_type == 'evacuation' and
                lk.node_root(migration.source_node) == root):
            return ('the source of evacuation %s frees it when its compute '
                    'starts, which may be now' % migration.uuid)
    return None


def stale_migration_doubt(lk, finding):
    migration = lk.snapshot.migrations.get(finding.consumer)
    if migration is None:
        return 'migration %s was not read' % finding.consumer
    return (lk.changed_recently(migration.updated_at, RECORD_CHANGE_LAG,
                                'migration %s' % migration.uuid) or
            _server_and_moves_doubt(lk, migration.instance_uuid,
                                    RECORD_CHANGE_LAG))


def hypervisor_doubt(lk, finding):
    hypervisor = lk.snapshot.hypervisors.get(finding.provider)
    if hypervisor is None:
        return 'hypervisor %s was not read' % finding.provider
    node = hypervisor.hypervisor_hostname
    for server in lk.servers_by_node.get(node, ()):
        reason = lk.changed_recently(server.updated, HYPERVISOR_LAG,
                                     'server %s' % server.id)
        if reason:
            return reason
    for migration in lk.snapshot.migrations.values():
        if node in (migration.source_node, migration.dest_node):
            reason = lk.changed_recently(
                migration.updated_at, HYPERVISOR_LAG,
                'migration %s' % migration.uuid)
            if reason:
                return reason
    return None
