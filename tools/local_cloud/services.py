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
"""The local cloud's services: the one table that everything iterates.

``up`` starts them stage by stage, ``down`` stops them, ``status`` lists
their processes, ``service ACTION NAME`` controls one; the ports, the
databases and keystone's catalog are derived from it. A service's module
holds how it is configured, prepared and started; its row here says which
of those it has. See doc/source/localcloud.rst, "Adding a local cloud service".
"""

import dataclasses
import typing

from local_cloud import broker
from local_cloud import database
from local_cloud import glance_service
from local_cloud import keystone_service
from local_cloud import neutron_service
from local_cloud import nova_service
from local_cloud import placement_service
from local_cloud import wsgi


@dataclasses.dataclass
class Context:
    """What a service's functions get: the cloud and, during ``up``, how
    to run a logged set-up command.

    ``status``, ``down`` and the control commands build one without
    secrets: they only ask for process specs.
    """

    layout: typing.Any
    computes: list = dataclasses.field(default_factory=list)
    secrets: dict = None
    #: run(name, argv): a one-off command logged to logs/<name>.log.
    run: typing.Callable = None
    sup: typing.Any = None


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    """A service's keystone user (same name as its catalog service)."""

    user: str
    service_type: str
    #: Port name in Layout.ports, and the path of the endpoint.
    port: str
    path: str = ''
    roles: tuple = ('admin',)


@dataclasses.dataclass(frozen=True)
class Service:
    #: The name tests and ``tools/localcloud service`` use.
    name: str
    #: Start order: stages start one after the other, the services of a
    #: stage together (and their ``prepare`` in parallel).
    stage: int
    #: ctx -> [supervisor.ProcessSpec], in start order. A spec's ``ready``
    #: says how ``up`` and ``start`` see it answer.
    processes: typing.Callable
    #: Port name -> default port; the ports must be free before start.
    ports: dict = dataclasses.field(default_factory=dict)
    databases: tuple = ()
    #: ctx -> {path: text}; written before anything starts.
    config_files: typing.Callable = None
    #: ctx -> None: database migrations and the like, run by ``up`` when
    #: one of the service's processes is not running.
    prepare: typing.Callable = None
    #: ctx -> None: run by ``up`` once the service answers, every time.
    after_start: typing.Callable = None
    #: (layout, since) -> None when the service shows that it works again
    #: since ``since`` (time.time()), beyond answering on a port, or why
    #: not yet; polled after ``service start|thaw``.
    confirm_up: typing.Callable = None
    #: layout -> None: run before a stop, kill or freeze of the running
    #: service (control.act), to note what ``confirm_up`` waits for after.
    before_outage: typing.Callable = None
    catalog: CatalogEntry = None
    #: Used by every other service: ``down`` stops it last.
    infrastructure: bool = False
    #: One process per compute host, controlled with ``compute ACTION
    #: HOST`` rather than ``service ACTION NAME``.
    per_host: bool = False


def _create_databases(ctx):
    database.create_databases(ctx.layout, ctx.secrets['db_password'],
                              databases())


def _identity(ctx):
    # Imported late: it needs openstacksdk, found only in the cloud's venv.
    from local_cloud import provision
    provision.identity(ctx.layout, ctx.secrets, catalog())


#: Ports sit in one block (28xxx) so that the local cloud can run beside a
#: devstack or a system MariaDB/RabbitMQ that use the standard ones; each
#: keeps the last digits of the service's usual port so that logs stay
#: readable.
REGISTRY = (
    Service('database', 0, database.process_specs,
            ports={'mariadb': 28306},
            prepare=database.prepare,
            after_start=_create_databases,
            infrastructure=True),
    Service('message-bus', 1, broker.process_specs,
            ports={'epmd': 28369, 'rabbitmq': 28672, 'rabbitmq_dist': 28673},
            config_files=broker.config_files,
            before_outage=broker.remember_consumed_queues,
            confirm_up=nova_service.back_on_the_bus,
            infrastructure=True),
    Service('keystone', 2, wsgi.processes('keystone'),
            ports={'keystone': 28500},
            databases=('keystone',),
            config_files=keystone_service.config_files,
            prepare=keystone_service.prepare,
            after_start=_identity),
    Service('placement', 3, wsgi.processes('placement'),
            ports={'placement': 28778},
            databases=('placement',),
            config_files=placement_service.config_files,
            prepare=placement_service.prepare,
            catalog=CatalogEntry('placement', 'placement', 'placement')),
    Service('glance', 3, wsgi.processes('glance'),
            ports={'glance': 28292},
            databases=('glance',),
            config_files=glance_service.config_files,
            prepare=glance_service.prepare,
            catalog=CatalogEntry('glance', 'image', 'glance')),
    Service('neutron', 3, wsgi.processes('neutron'),
            ports={'neutron': 28696},
            databases=('neutron',),
            config_files=neutron_service.config_files,
            prepare=neutron_service.prepare,
            catalog=CatalogEntry('neutron', 'network', 'neutron')),
    Service('nova-api', 3, wsgi.processes('nova_api'),
            ports={'nova_api': 28774},
            databases=('nova_api', 'nova_cell0', 'nova'),
            config_files=nova_service.config_files,
            prepare=nova_service.prepare,
            catalog=CatalogEntry('nova', 'compute', 'nova_api', '/v2.1',
                                 roles=('admin', 'service'))),
    Service('nova-api-opt-in', 3, wsgi.processes('nova_api_opt_in'),
            ports={'nova_api_opt_in': 28775},
            config_files=nova_service.opt_in_api_config_files,
            catalog=CatalogEntry('nova', nova_service.OPT_IN_API_TYPE,
                                 'nova_api_opt_in', '/v2.1',
                                 roles=('admin', 'service'))),
    Service('nova-conductor', 3, nova_service.processes('nova-conductor'),
            confirm_up=nova_service.reports_up('nova-conductor')),
    Service('nova-scheduler', 3, nova_service.processes('nova-scheduler'),
            confirm_up=nova_service.reports_up('nova-scheduler')),
    Service('nova-compute', 4, nova_service.compute_process_specs,
            config_files=nova_service.compute_config_files,
            prepare=nova_service.prepare_computes,
            after_start=nova_service.wait_until_computes_usable,
            per_host=True),
)


def by_name(name):
    for service in REGISTRY:
        if service.name == name:
            return service
    return None


def controllable():
    """Names ``tools/localcloud service ACTION NAME`` accepts."""
    return [s.name for s in REGISTRY if not s.per_host]


def stages():
    """The services grouped by stage, in start order."""
    grouped = {}
    for service in REGISTRY:
        grouped.setdefault(service.stage, []).append(service)
    return [grouped[stage] for stage in sorted(grouped)]


def default_ports():
    return {port: number for service in REGISTRY
            for port, number in service.ports.items()}


def databases():
    return tuple(name for service in REGISTRY for name in service.databases)


def catalog():
    return tuple(s.catalog for s in REGISTRY if s.catalog)


def config_files(ctx):
    files = {}
    for service in REGISTRY:
        if service.config_files:
            files.update(service.config_files(ctx))
    return files


def process_specs(ctx, services=REGISTRY):
    """Every process of ``services``, in start order."""
    return [spec for service in services
            for spec in service.processes(ctx)]
