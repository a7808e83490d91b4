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

"""One read of Placement and Nova, as plain data.

``collect`` reads Placement before Nova's servers and migrations: a server
that held an allocation when Placement was read still exists when Nova is
read (unless it was deleted meanwhile, and then its allocation is gone on
the settle re-read), so a fast-moving cloud yields fewer false orphans.
"""

from concurrent import futures
import dataclasses
import datetime
import time

from tracker_tests.audit import api
from tracker_tests.audit import lookups
from tracker_tests.audit import reader as reader_mod

COMPUTE_NODE_TRAIT = lookups.COMPUTE_NODE_TRAIT
#: More unknown consumers than this are looked up in the list of every
#: server rather than one GET each.
SHOW_ONE_BY_ONE = 20


def _frozen(values):
    return None if values is None else frozenset(values)


class UnknownHosts(ValueError):
    """A scope names hosts that have no hypervisor and no compute service.

    Raised before anything else is read: a mistyped host would otherwise
    read nothing and report a clean audit.
    """

    def __init__(self, unknown, known):
        self.unknown = sorted(unknown)
        self.known = sorted(known)
        super().__init__('no compute host named %s (known: %s)' % (
            ', '.join(self.unknown), ', '.join(self.known) or 'none'))


class UnknownProviders(ValueError):
    """A scope names providers that Placement does not list."""

    def __init__(self, unknown):
        self.unknown = sorted(unknown)
        super().__init__('no resource provider %s' % ', '.join(self.unknown))


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which hosts, servers, consumers and providers an audit reads.

    Each field is None (not limited by it) or a set. When every field is
    None the whole cloud is read. Otherwise the audit reads and reports the
    union: the named hosts' providers and servers, the named servers (and
    their migrations), the named consumers, the named providers (a root
    with its tree) and the consumers found there.
    """

    hosts: frozenset | None = None
    server_ids: frozenset | None = None
    consumer_ids: frozenset | None = None
    provider_ids: frozenset | None = None
    #: Hosts whose hypervisor figures are compared even while a build or
    #: a move is under way there (the checks skip such a host otherwise):
    #: the caller holds the move still on purpose, with the hosts'
    #: periodic update paused. It reads nothing more.
    held_still: frozenset | None = None

    def __post_init__(self):
        for field in ('hosts', 'server_ids', 'consumer_ids',
                      'provider_ids', 'held_still'):
            object.__setattr__(self, field, _frozen(getattr(self, field)))

    @property
    def everything(self):
        return (self.hosts is None and self.server_ids is None and
                self.consumer_ids is None and self.provider_ids is None)

    @property
    def named_consumers(self):
        return (self.server_ids or frozenset()) | (
            self.consumer_ids or frozenset())


@dataclasses.dataclass(frozen=True)
class Provider:
    uuid: str
    name: str
    generation: int | None
    root_provider_uuid: str
    parent_provider_uuid: str | None


@dataclasses.dataclass(frozen=True)
class Inventory:
    total: int
    reserved: int
    allocation_ratio: float
    min_unit: int = 1
    max_unit: int | None = None
    step_size: int = 1

    @property
    def capacity(self):
        """What Placement lets consumers allocate, as Placement rounds it."""
        return int((self.total - self.reserved) * self.allocation_ratio)


@dataclasses.dataclass(frozen=True)
class Allocation:
    """What one consumer holds on one provider."""

    resources: dict
    consumer_generation: int | None = None


@dataclasses.dataclass(frozen=True)
class Hypervisor:
    id: str  # the compute node uuid, also its resource provider's uuid
    hypervisor_hostname: str
    host: str | None
    state: str
    status: str
    hypervisor_type: str | None
    vcpus_used: int | None
    memory_mb_used: int | None
    local_gb_used: int | None
    running_vms: int | None

    @property
    def first_update_pending(self):
        """A compute node record Nova created but has not updated yet.

        The resource tracker creates the record with the driver's raw
        figures, then creates the provider, and only then saves the
        record with reserved amounts, instance usage and running_vms added.
        Until then running_vms (with current_workload, free_ram_mb,
        free_disk_gb) is null.
        """
        return self.running_vms is None


@dataclasses.dataclass(frozen=True)
class Flavor:
    vcpus: int
    ram: int
    disk: int
    ephemeral: int
    swap: int
    original_name: str | None = None
    extra_specs: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Server:
    id: str
    name: str | None
    status: str
    vm_state: str | None
    task_state: str | None
    host: str | None
    node: str | None
    flavor: Flavor | None
    volume_backed: bool
    project_id: str | None = None
    #: Why Nova put the server in ERROR, when it says.
    fault: str | None = None
    #: When Nova last saved the record (None for a down cell's server).
    updated: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class DeletedServer:
    """A server Nova deleted, from the admin's deleted=true listing."""

    id: str
    name: str | None
    deleted_at: datetime.datetime | None
    host: str | None = None
    node: str | None = None
    project_id: str | None = None


@dataclasses.dataclass(frozen=True)
class Migration:
    uuid: str
    instance_uuid: str
    status: str
    migration_type: str | None
    source_compute: str | None
    dest_compute: str | None
    source_node: str | None
    dest_node: str | None
    id: int | None = None
    updated_at: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class ComputeService:
    id: str
    host: str
    state: str
    status: str
    forced_down: bool
    binary: str = 'nova-compute'
    updated_at: datetime.datetime | None = None
    zone: str | None = None


@dataclasses.dataclass
class Snapshot:
    """Everything one audit pass read.

    ``allocations`` maps provider uuid -> consumer uuid -> Allocation. For
    providers in ``whole_providers`` it holds every consumer; for other
    providers only the consumers read one by one (scoped servers and
    consumers). ``usages`` is derived from the whole providers'
    allocations: Placement computes usages from the same rows, and deriving
    them saves a request per provider and cannot disagree with the
    allocations read a moment earlier. ``inventories`` is only filled when
    ``inventories_read`` is True.
    """

    scope: Scope
    providers: dict = dataclasses.field(default_factory=dict)
    compute_node_providers: frozenset = frozenset()
    #: Providers with MISC_SHARES_VIA_AGGREGATE; only read when a consumer
    #: that is no server sits outside the compute trees (it names the
    #: provider's kind in the finding).
    sharing_providers: frozenset = frozenset()
    inventories: dict = dataclasses.field(default_factory=dict)
    allocations: dict = dataclasses.field(default_factory=dict)
    whole_providers: frozenset = frozenset()
    usages: dict = dataclasses.field(default_factory=dict)
    hypervisors: dict = dataclasses.field(default_factory=dict)
    servers: dict = dataclasses.field(default_factory=dict)
    migrations: dict = dataclasses.field(default_factory=dict)
    services: dict = dataclasses.field(default_factory=dict)
    #: Servers deleted since ``deleted_since``: only read when a consumer
    #: is neither a server nor a migration (None: not read).
    deleted_servers: dict = dataclasses.field(default_factory=dict)
    deleted_since: datetime.datetime | None = None
    seconds: float = 0.0
    inventories_read: bool = True

    @property
    def reference_time(self):
        """The cloud's clock when the read began, or None.

        The newest compute service heartbeat: it was read before Placement
        and it is a time of the cloud's own clock, so records saved after
        it may have changed while the audit read.
        """
        heartbeats = [s.updated_at for s in self.services.values()
                      if s.updated_at]
        return max(heartbeats) if heartbeats else None

    def consumers(self):
        """Every consumer uuid seen holding an allocation."""
        return {consumer for by_consumer in self.allocations.values()
                for consumer in by_consumer}


# -- parsing: validated API payload -> dataclasses ---------------------------
# api.py validated every payload against its microversion's schema: the
# fields read with [] are required there, those read with .get() are
# optional in the API itself.

def parse_provider(body):
    return Provider(
        uuid=body['uuid'], name=body['name'],
        generation=body['generation'],
        root_provider_uuid=body['root_provider_uuid'],
        parent_provider_uuid=body['parent_provider_uuid'])


def parse_inventories(body):
    return {
        resource_class: Inventory(
            total=inv['total'], reserved=inv['reserved'],
            allocation_ratio=float(inv['allocation_ratio']),
            min_unit=inv['min_unit'], max_unit=inv['max_unit'],
            step_size=inv['step_size'])
        for resource_class, inv in body['inventories'].items()}


def parse_provider_allocations(body):
    """GET /resource_providers/{uuid}/allocations -> {consumer: Allocation}"""
    return {
        consumer: Allocation(
            resources=dict(alloc['resources']),
            consumer_generation=alloc.get('consumer_generation'))
        for consumer, alloc in body['allocations'].items()}


def parse_consumer_allocations(body):
    """GET /allocations/{consumer} -> {provider: Allocation}"""
    generation = body.get('consumer_generation')
    return {
        provider: Allocation(resources=dict(alloc['resources']),
                             consumer_generation=generation)
        for provider, alloc in body['allocations'].items()}


def parse_hypervisor(body):
    return Hypervisor(
        id=str(body['id']), hypervisor_hostname=body['hypervisor_hostname'],
        host=body['service']['host'],
        state=body['state'], status=body['status'],
        hypervisor_type=body['hypervisor_type'],
        vcpus_used=body['vcpus_used'],
        memory_mb_used=body['memory_mb_used'],
        local_gb_used=body['local_gb_used'],
        running_vms=body['running_vms'])


def parse_flavor(body):
    """The flavor a server embeds (2.47+); None for a down cell's server."""
    if body is None:
        return None
    return Flavor(
        vcpus=body['vcpus'], ram=body['ram'], disk=body['disk'],
        ephemeral=body['ephemeral'], swap=body['swap'],
        original_name=body['original_name'],
        # Only shown to those whom policy lets see extra specs.
        extra_specs=dict(body.get('extra_specs') or {}))


def parse_server(body):
    # A server of a down cell (status UNKNOWN) has only its id and status.
    return Server(
        id=body['id'], name=body.get('name'),
        status=body['status'],
        vm_state=body.get('OS-EXT-STS:vm_state'),
        task_state=body.get('OS-EXT-STS:task_state'),
        host=body.get('OS-EXT-SRV-ATTR:host'),
        node=body.get('OS-EXT-SRV-ATTR:hypervisor_hostname'),
        flavor=parse_flavor(body.get('flavor')),
        # A volume-backed server shows image "" (Nova drops its root disk
        # from the DISK_GB it allocates).
        volume_backed=not body.get('image'),
        project_id=body.get('tenant_id'),
        fault=(body.get('fault') or {}).get('message'),
        updated=parse_time(body.get('updated')))


def parse_deleted_server(body):
    # terminated_at is when the compute (or the API's local delete) ended
    # the server, moments before it destroyed the record.
    return DeletedServer(
        id=body['id'], name=body.get('name'),
        deleted_at=parse_time(body.get('OS-SRV-USG:terminated_at') or
                              body['updated']),
        host=body.get('OS-EXT-SRV-ATTR:host'),
        node=body.get('OS-EXT-SRV-ATTR:hypervisor_hostname'),
        project_id=body.get('tenant_id'))


def parse_time(value):
    """Nova's timestamps ('2026-11-21T12:50:39.000000', UTC), or None."""
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.rstrip('Z')).replace(
            tzinfo=None)
    except ValueError:
        return None


def parse_migration(body):
    return Migration(
        uuid=body['uuid'], instance_uuid=body['instance_uuid'],
        status=body['status'],
        migration_type=body['migration_type'],
        source_compute=body['source_compute'],
        dest_compute=body['dest_compute'],
        source_node=body['source_node'],
        dest_node=body['dest_node'], id=body['id'],
        # updated_at is null until the migration first changes.
        updated_at=parse_time(body['updated_at'] or body['created_at']))


def parse_service(body):
    return ComputeService(
        id=str(body['id']), host=body['host'], state=body['state'],
        status=body['status'],
        forced_down=body['forced_down'],
        binary=body['binary'],
        updated_at=parse_time(body['updated_at']),
        zone=body['zone'])


# -- reading -----------------------------------------------------------------

class _Collector:
    """The reads of one ``collect`` call, sharing one bounded pool."""

    def __init__(self, reader, scope, pool, progress, inventories=True):
        self.reader = reader
        self.scope = scope
        self.pool = pool
        self.progress = progress
        self.snapshot = Snapshot(scope=scope, inventories_read=inventories)
        self.migrations_complete = False
        self.consumers_read = set()

    def parallel(self, function, items, report_progress=False):
        """{item: function(item)} with the calls run on the pool."""
        items = list(dict.fromkeys(items))
        pending = {self.pool.submit(function, item): item for item in items}
        results = {}
        try:
            for done in futures.as_completed(pending):
                results[pending[done]] = done.result()
                if report_progress and self.progress:
                    self.progress(len(results), len(items))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        return results

    # Placement --------------------------------------------------------------

    def read_providers(self):
        # One request each, whatever the scope: scope filtering of the tree
        # happens here rather than with a query per host.
        body = api.get(self.reader, api.RESOURCE_PROVIDERS)
        self.snapshot.providers = {
            p.uuid: p for p in map(parse_provider,
                                   body['resource_providers'])}
        body = api.get(self.reader, api.RESOURCE_PROVIDERS,
                       {'required': COMPUTE_NODE_TRAIT})
        self.snapshot.compute_node_providers = frozenset(
            rp['uuid'] for rp in body['resource_providers'])

    def providers_to_read_whole(self):
        snapshot = self.snapshot
        if self.scope.everything:
            return set(snapshot.providers)
        roots = set(self.scope.provider_ids or ())
        if self.scope.hosts:
            roots |= {hyp.id for hyp in snapshot.hypervisors.values()
                      if hyp.host in self.scope.hosts}
            node_names = {hyp.hypervisor_hostname
                          for hyp in snapshot.hypervisors.values()
                          if hyp.host in self.scope.hosts} | self.scope.hosts
            # A compute node provider left behind by a recreated compute
            # node has the node's name but not the hypervisor's uuid.
            roots |= {uuid for uuid in snapshot.compute_node_providers
                      if uuid in snapshot.providers and
                      snapshot.providers[uuid].name in node_names}
        return {p.uuid for p in snapshot.providers.values()
                if p.root_provider_uuid in roots or p.uuid in roots}

    def check_providers(self):
        unknown = set(self.scope.provider_ids or ()) - set(
            self.snapshot.providers)
        if unknown:
            raise UnknownProviders(unknown)

    def read_provider(self, uuid):
        inventories = {}
        if self.snapshot.inventories_read:
            inventories = read_inventories(self.reader, uuid)
        return inventories, read_provider_allocations(self.reader, uuid)

    def read_whole_providers(self, uuids):
        snapshot = self.snapshot
        read = self.parallel(self._read_provider_if_exists, uuids,
                             report_progress=True)
        for uuid, result in read.items():
            if result is None:
                continue  # deleted since the provider list was read
            snapshot.inventories[uuid], snapshot.allocations[uuid] = result
        snapshot.whole_providers = frozenset(snapshot.allocations)
        snapshot.usages = {
            uuid: _sum_resources(by_consumer.values())
            for uuid, by_consumer in snapshot.allocations.items()}

    def _read_provider_if_exists(self, uuid):
        try:
            return self.read_provider(uuid)
        except reader_mod.ResourceNotFound:
            return None

    def read_consumers(self, consumers):
        """Merge GET /allocations/{consumer} of each consumer not yet read."""
        consumers = [c for c in consumers if c not in self.consumers_read]
        read = self.parallel(
            lambda c: read_consumer_allocations(self.reader, c), consumers)
        for consumer, by_provider in read.items():
            for provider, allocation in by_provider.items():
                self.snapshot.allocations.setdefault(
                    provider, {})[consumer] = allocation
        self.consumers_read.update(read)

    # Nova -------------------------------------------------------------------

    def start_hypervisors_and_services(self):
        """Start reading both small Nova lists; returns a function to wait."""
        hypervisors = self.pool.submit(read_hypervisors, self.reader)
        services = self.pool.submit(read_compute_services, self.reader)

        def wait():
            self.snapshot.hypervisors = {
                h.id: h for h in hypervisors.result()}
            self.snapshot.services = {s.id: s for s in services.result()}
        return wait

    def check_hosts(self):
        if not self.scope.hosts:
            return
        known = {h.host for h in self.snapshot.hypervisors.values()} | {
            s.host for s in self.snapshot.services.values()}
        known.discard(None)
        if self.scope.hosts - known:
            raise UnknownHosts(self.scope.hosts - known, known)

    def list_servers(self, params):
        return read_servers(self.reader, params)

    def show_server(self, server_id):
        return show_server(self.reader, server_id)

    def list_migrations(self, params):
        return read_migrations(self.reader, params)

    def read_servers_and_migrations(self):
        scope = self.scope
        server_lists, migration_lists = [], []
        if scope.everything:
            server_lists.append({})
            migration_lists.append({})
        for host in sorted(scope.hosts or ()):
            server_lists.append({'host': host})
            migration_lists.append({'host': host})
        for server_id in sorted(scope.server_ids or ()):
            migration_lists.append({'instance_uuid': server_id})
        tasks = [self.pool.submit(self.list_servers, p)
                 for p in server_lists]
        tasks += [self.pool.submit(self.list_migrations, p)
                  for p in migration_lists]
        shown = self.parallel(self.show_server, scope.server_ids or ())
        for task in tasks:
            for item in task.result():
                self._add_nova_record(item)
        for server in shown.values():
            if server is not None:
                self._add_nova_record(server)
        self.migrations_complete = scope.everything

    def _add_nova_record(self, item):
        if isinstance(item, Server):
            self.snapshot.servers[item.id] = item
        else:
            self.snapshot.migrations[item.uuid] = item

    def unknown_consumers(self):
        snapshot = self.snapshot
        return {c for c in snapshot.consumers()
                if c not in snapshot.servers and
                c not in snapshot.migrations}

    def resolve_unknown_consumers(self):
        """Look up consumers that a partial read cannot place.

        After a scoped read a consumer on a scoped provider may be a server
        of another host (an evacuated server, a server in a move) or a
        migration not touching the host. Only consumers that are not yet
        known are looked up: one GET each, or the list of every server when
        there are more than SHOW_ONE_BY_ONE of them.
        """
        unknown = self.unknown_consumers()
        if unknown and not self.migrations_complete:
            # Telling a stale migration from an orphan needs the migration;
            # Nova has no filter by migration uuid.
            for migration in self.list_migrations({}):
                self._add_nova_record(migration)
            self.migrations_complete = True
            unknown = self.unknown_consumers()
        if not unknown:
            return
        if len(unknown) > SHOW_ONE_BY_ONE:
            shown = {s.id: s for s in self.list_servers({})
                     if s.id in unknown}
        else:
            shown = self.parallel(self.show_server, sorted(unknown))
        for server in shown.values():
            if server is not None:
                self._add_nova_record(server)

    def read_deleted_servers(self):
        """Servers deleted lately, when a consumer is unknown to Nova.

        Read after the servers and migrations, so that a server deleted
        after Placement was read shows up here. An orphan whose server was
        deleted moments ago is clean-up in flight; one deleted earlier is a
        leak whose finding says when (lookups.DELETE_CLEANUP_GRACE).
        """
        snapshot = self.snapshot
        reference = snapshot.reference_time
        if reference is None or not self.unknown_consumers():
            return
        since = reference - lookups.DELETED_SERVERS_LOOKBACK
        servers = api.get_all(self.reader, api.DELETED_SERVERS, {
            'all_tenants': '1', 'deleted': 'true',
            'changes-since': since.strftime('%Y-%m-%dT%H:%M:%SZ')})
        snapshot.deleted_servers = {
            s.id: s for s in map(parse_deleted_server, servers)}
        snapshot.deleted_since = since

    def read_sharing_providers(self):
        """The sharing providers, when an orphan may sit outside compute trees.

        Only a consumer that is no server, on a provider outside every
        compute node's tree, needs the provider's kind named; a clean
        cloud spends no request on it.
        """
        snapshot = self.snapshot
        outside = {uuid for uuid in snapshot.allocations
                   if snapshot.providers.get(uuid) is not None and
                   snapshot.providers[uuid].root_provider_uuid
                   not in snapshot.hypervisors}
        if not any(consumer not in snapshot.servers
                   for uuid in outside
                   for consumer in snapshot.allocations[uuid]):
            return
        body = api.get(self.reader, api.RESOURCE_PROVIDERS,
                       {'required': lookups.SHARING_TRAIT})
        snapshot.sharing_providers = frozenset(
            rp['uuid'] for rp in body['resource_providers'])

    def complete_consumer_allocations(self):
        """Read the allocations of every known server and scoped migration.

        A scoped read saw the scoped hosts' providers only; a server there
        may also hold allocations elsewhere, which the per-server checks
        need to see.
        """
        snapshot = self.snapshot
        consumers = set(snapshot.servers)
        scoped_servers = self.scope.server_ids or frozenset()
        consumers |= {m.uuid for m in snapshot.migrations.values()
                      if m.instance_uuid in scoped_servers}
        self.read_consumers(sorted(consumers))


# -- reads the tests share with the audit ------------------------------------

def read_hypervisors(reader):
    return [parse_hypervisor(h) for h in api.get_all(reader, api.HYPERVISORS)]


def read_servers(reader, params=None):
    """Servers of every project (filtered by ``params``)."""
    return [parse_server(s) for s in api.get_all(
        reader, api.SERVERS, dict(params or {}, all_tenants='1'))]


def read_compute_services(reader, host=None):
    params = {'binary': 'nova-compute'}
    if host:
        params['host'] = host
    return [parse_service(s) for s in api.get(
        reader, api.COMPUTE_SERVICES, params)['services']]


def read_migrations(reader, params=None):
    return [parse_migration(m) for m in api.get_all(
        reader, api.MIGRATIONS, params)]


def show_server(reader, server_id):
    """The server, or None once Nova no longer knows it."""
    try:
        body = api.get(reader, api.SERVER, server_id=server_id)
    except reader_mod.ResourceNotFound:
        return None
    return parse_server(body['server'])


def read_consumer_allocations(reader, consumer):
    """{provider uuid: Allocation} of one consumer."""
    return parse_consumer_allocations(api.get(
        reader, api.CONSUMER_ALLOCATIONS, consumer=consumer))


def read_inventories(reader, provider):
    """{resource class: Inventory} of one provider."""
    return parse_inventories(api.get(reader, api.PROVIDER_INVENTORIES,
                                     uuid=provider))


def read_provider_allocations(reader, provider):
    """{consumer uuid: Allocation} on one provider."""
    return parse_provider_allocations(api.get(
        reader, api.PROVIDER_ALLOCATIONS, uuid=provider))


def _sum_resources(allocations):
    total = {}
    for allocation in allocations:
        for resource_class, amount in allocation.resources.items():
            total[resource_class] = total.get(resource_class, 0) + amount
    return total


def collect(reader, scope=None, max_workers=8, progress=None,
            inventories=True):
    """Read one Snapshot of the cloud (or of ``scope``) through ``reader``.

    ``max_workers`` bounds the concurrent GETs. ``progress``, if given, is
    called as progress(done, total) while providers are read.
    ``inventories`` False skips each provider's inventory read, for checks
    that do not need it (checks.needs_inventories).
    """
    scope = scope or Scope()
    started = time.monotonic()
    pool = futures.ThreadPoolExecutor(max_workers=max_workers)
    try:
        collector = _Collector(reader, scope, pool, progress, inventories)
        wait_for_nova_lists = collector.start_hypervisors_and_services()
        collector.read_providers()
        wait_for_nova_lists()
        collector.check_hosts()
        collector.check_providers()
        collector.read_whole_providers(collector.providers_to_read_whole())
        collector.read_consumers(sorted(scope.named_consumers))
        collector.read_servers_and_migrations()
        if not scope.everything:
            collector.resolve_unknown_consumers()
            collector.complete_consumer_allocations()
        collector.read_deleted_servers()
        collector.read_sharing_providers()
    except BaseException:
        # A failed read ends the run now: the requests still in flight
        # are not waited for (the reader stops retrying them).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    snapshot = collector.snapshot
    snapshot.seconds = time.monotonic() - started
    return snapshot
