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

"""Every API read of the audit and the tests: path, microversion, schema.

A Reader only GETs a path at a microversion. This module says which paths
are read at which microversion, and validates every answer against the
response schema of that microversion before anything parses it, so that
all readers (tempest clients, openstacksdk, recorded fixtures) share one
validation. A field that is missing, renamed or of another type is an
``InvalidResponse`` naming service, path, microversion and field: for a
leak detector a field silently read as None would skip a check, a false
negative.

Nova's schemas are tempest.lib's, chosen by microversion the way tempest's
own clients choose them; each read adds the fields the audit needs that
tempest's schema leaves optional (it validates what a non-admin sees too).
Placement's are ``placement_schemas``.
"""

import copy
import dataclasses
import functools
import importlib
from urllib import parse

from tempest.lib.common import api_version_request
from tempest.lib.common import jsonschema_validator

from tracker_tests.audit import placement_schemas
from tracker_tests.audit import reader as reader_mod

#: 1.14: root and parent provider uuids; 1.18: ``required`` traits;
#: 1.28: consumer generations.
PLACEMENT_MICROVERSION = '1.28'
#: The last microversion with vcpus_used, memory_mb_used, local_gb_used and
#: running_vms; from 2.53 the id is the compute node (and provider) uuid.
HYPERVISORS_MICROVERSION = '2.87'
#: 2.47 embeds the flavor in the server; 2.69 answers for servers of a
#: down cell with a minimal record instead of failing the list.
SERVERS_MICROVERSION = '2.69'
#: 2.59: the migration uuid (the placement consumer of a move's source
#: side) and paging.
MIGRATIONS_MICROVERSION = '2.59'
#: 2.53: forced_down, and uuids as service ids.
SERVICES_MICROVERSION = '2.53'


class InvalidResponse(reader_mod.ReaderError):
    """An answer that does not have the shape of its microversion."""

    def __init__(self, service_type, path, microversion, field, detail):
        self.service_type = service_type
        self.path = path
        self.microversion = microversion
        self.field = field
        self.detail = detail
        super().__init__(
            '%s: GET %s at microversion %s answered an unexpected shape: '
            'field %s: %s' % (service_type, path, microversion or '(none)',
                              field, detail))


#: Nova read -> (tempest's client class, microversion, the schema module
#: that client uses at that microversion). Only the module is imported:
#: importing tempest's compute clients takes a third of the command's
#: start-up. test_api checks that each client still picks that module.
TEMPEST_SCHEMAS = {
    'hypervisors': (
        'tempest.lib.services.compute.hypervisor_client.HypervisorClient',
        HYPERVISORS_MICROVERSION,
        'tempest.lib.api_schema.response.compute.v2_53.hypervisors'),
    'compute services': (
        'tempest.lib.services.compute.services_client.ServicesClient',
        SERVICES_MICROVERSION,
        'tempest.lib.api_schema.response.compute.v2_53.services'),
    'servers': (
        'tempest.lib.services.compute.servers_client.ServersClient',
        SERVERS_MICROVERSION,
        'tempest.lib.api_schema.response.compute.v2_63.servers'),
    'migrations': (
        'tempest.lib.services.compute.migrations_client.MigrationsClient',
        MIGRATIONS_MICROVERSION,
        'tempest.lib.api_schema.response.compute.v2_59.migrations'),
}


def _schema_module(name):
    return importlib.import_module(TEMPEST_SCHEMAS[name][2])


def _tempest_schema(client_class, microversion):
    """The schema module tempest's ``client_class`` uses at a version."""
    wanted = api_version_request.APIVersionRequest(microversion)
    for info in client_class.schema_versions_info:
        low = api_version_request.APIVersionRequest(info['min'])
        high = api_version_request.APIVersionRequest(info['max'])
        if wanted.matches(low, high):
            return info['schema']
    raise LookupError('tempest has no %s schema for %s' % (
        client_class.__name__, microversion))


def _body(schema):
    """The body part of a tempest response schema."""
    return schema['response_body']


_LINKS = {
    'type': 'array',
    'items': {'type': 'object', 'required': ['href', 'rel'],
              'properties': {'href': {'type': 'string'},
                             'rel': {'type': 'string'}}},
}


def _needing(schema, key, fields, fallback=None):
    """A copy of body ``schema`` whose ``key`` also requires ``fields``.

    ``key`` names an object, or a list of objects, of the body. With
    ``fallback``, an item may have that shape instead.
    """
    schema = copy.deepcopy(schema)
    schema.setdefault('required', [])
    if key not in schema['required']:
        schema['required'].append(key)
    holder = schema['properties'][key]
    if holder.get('type') == 'array':
        holder, slot = holder, 'items'
        # Nova adds the next-page link only when there is a next page;
        # tempest's schemas do not all know it.
        schema['properties'].setdefault('%s_links' % key, _LINKS)
    else:
        holder, slot = schema['properties'], key
    needed = {'allOf': [holder[slot], {'type': 'object',
                                       'required': list(fields)}]}
    holder[slot] = {'anyOf': [needed, fallback]} if fallback else needed
    return schema


def _allowing_null(schema, key, fields):
    """A copy of body ``schema`` whose list ``key`` allows null ``fields``.
    """
    schema = copy.deepcopy(schema)
    item = schema['properties'][key]['items']['properties']
    for field in fields:
        item[field] = {'anyOf': [item[field], {'type': 'null'}]}
    return schema


# -- Nova ---------------------------------------------------------------------

_HYPERVISOR_FIELDS = (
    'id', 'hypervisor_hostname', 'state', 'status', 'hypervisor_type',
    'service', 'vcpus_used', 'memory_mb_used', 'local_gb_used',
    'running_vms')

#: Nova's ComputeNode declares these nullable and a record just created
#: has them null (snapshot.Hypervisor.first_update_pending); tempest's
#: schema wants integers.
_HYPERVISOR_NULLABLE_FIELDS = (
    'free_ram_mb', 'free_disk_gb', 'current_workload', 'running_vms')

#: What the audit reads of a server; tempest leaves the admin-only and
#: extension fields optional.
_SERVER_FIELDS = (
    'id', 'name', 'status', 'OS-EXT-STS:vm_state', 'OS-EXT-STS:task_state',
    'OS-EXT-SRV-ATTR:host', 'OS-EXT-SRV-ATTR:hypervisor_hostname', 'flavor',
    'image', 'tenant_id')

#: A server of a cell Nova cannot reach (2.69): only these are shown.
_DOWN_CELL_SERVER = {
    'type': 'object',
    'required': ['id', 'status'],
    'properties': {'id': {'type': 'string'},
                   'status': {'enum': ['UNKNOWN']}},
}

_MIGRATION_FIELDS = (
    'id', 'uuid', 'instance_uuid', 'status', 'migration_type',
    'source_compute', 'dest_compute', 'source_node', 'dest_node',
    'updated_at', 'created_at')

_SERVICE_FIELDS = ('id', 'binary', 'host', 'state', 'status', 'forced_down',
                   'updated_at', 'zone')


@dataclasses.dataclass(frozen=True)
class Read:
    """One GET: its service, path template, microversion and schema.

    ``path`` may hold {placeholders}; ``list_key`` names the list of a
    paged Nova answer (followed through its ``<key>_links``).
    """

    name: str
    service_type: str
    path: str
    microversion: str | None
    schema_factory: object
    list_key: str | None = None
    #: quick_check(body) True only for bodies the schema accepts; a body
    #: it refuses is validated by jsonschema (placement_schemas.py).
    quick_check: object = None

    @functools.cached_property
    def validator(self):
        schema = self.schema_factory()
        jsonschema_validator.JSONSCHEMA_VALIDATOR.check_schema(schema)
        return jsonschema_validator.JSONSCHEMA_VALIDATOR(
            schema, format_checker=jsonschema_validator.FORMAT_CHECKER)

    def path_for(self, params=None, **ids):
        return reader_mod.with_query(self.path.format(**ids), params)

    def validate(self, path, body):
        """Raise InvalidResponse unless ``body`` fits the schema."""
        if self.quick_check is not None and self.quick_check(body):
            return body
        errors = list(self.validator.iter_errors(body))
        if errors:
            error = min(errors, key=_relevance)
            field, detail = _describe(error)
            raise InvalidResponse(self.service_type, path,
                                  self.microversion, field, detail)
        return body


def _relevance(error):
    # The deepest error says most about which field is wrong.
    return (-len(error.path), error.validator != 'required')


def _leaf(error):
    """Inside anyOf/allOf, the error of the branch that explains most.

    A record that fits no alternative is described by the first (the full
    record; the others are fallbacks such as a down cell's server, which a
    server in another status can never be).
    """
    while error.context:
        error = min(error.context, key=lambda e: (
            list(e.relative_schema_path)[:1] != [0], -len(e.absolute_path),
            e.validator != 'required'))
    return error


def _location(parts):
    """A JSON path such as servers[3].flavor.vcpus."""
    text = ''
    for part in parts:
        if isinstance(part, int):
            text += '[%d]' % part
        else:
            text += '.%s' % part if text else str(part)
    return text


def _describe(error):
    """(field, what is wrong with it) of a validation error."""
    error = _leaf(error)
    parts = list(error.absolute_path)
    if error.validator == 'required':
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [f for f in error.validator_value if f not in present]
        return _location(parts + missing[:1]), 'missing'
    return _location(parts) or '(body)', error.message


def _placement(name, path, schema, quick_check=None):
    return Read(name, 'placement', path, PLACEMENT_MICROVERSION,
                lambda: schema, quick_check=quick_check)


RESOURCE_PROVIDERS = _placement(
    'resource providers', '/resource_providers',
    placement_schemas.RESOURCE_PROVIDERS)
PROVIDER_INVENTORIES = _placement(
    'provider inventories', '/resource_providers/{uuid}/inventories',
    placement_schemas.PROVIDER_INVENTORIES,
    placement_schemas.provider_inventories_ok)
PROVIDER_ALLOCATIONS = _placement(
    'provider allocations', '/resource_providers/{uuid}/allocations',
    placement_schemas.PROVIDER_ALLOCATIONS,
    placement_schemas.provider_allocations_ok)
CONSUMER_ALLOCATIONS = _placement(
    'consumer allocations', '/allocations/{consumer}',
    placement_schemas.CONSUMER_ALLOCATIONS,
    placement_schemas.consumer_allocations_ok)

HYPERVISORS = Read(
    'hypervisors', 'compute', '/os-hypervisors/detail',
    HYPERVISORS_MICROVERSION,
    lambda: _needing(_allowing_null(_body(_schema_module(
        'hypervisors').list_hypervisors_detail),
        'hypervisors', _HYPERVISOR_NULLABLE_FIELDS),
        'hypervisors', _HYPERVISOR_FIELDS),
    list_key='hypervisors')
COMPUTE_SERVICES = Read(
    'compute services', 'compute', '/os-services', SERVICES_MICROVERSION,
    lambda: _needing(_body(_schema_module(
        'compute services').list_services),
        'services', _SERVICE_FIELDS))
SERVERS = Read(
    'servers', 'compute', '/servers/detail', SERVERS_MICROVERSION,
    lambda: _needing(_body(_schema_module(
        'servers').list_servers_detail),
        'servers', _SERVER_FIELDS, fallback=_DOWN_CELL_SERVER),
    list_key='servers')
SERVER = Read(
    'server', 'compute', '/servers/{server_id}', SERVERS_MICROVERSION,
    lambda: _needing(_body(_schema_module('servers').get_server), 'server',
                     _SERVER_FIELDS, fallback=_DOWN_CELL_SERVER))
#: A deleted server as the admin's deleted=true listing shows it. Only what
#: the audit reads is required: tempest's schema describes live servers,
#: and a deleted server's record has lost parts (its network cache, its
#: flavor's extra record) that it requires.
_DELETED_SERVERS = {
    'type': 'object',
    'required': ['servers'],
    'properties': {
        'servers': {'type': 'array', 'items': {
            'type': 'object',
            'required': ['id', 'status', 'updated'],
            'properties': {
                'id': {'type': 'string', 'format': 'uuid'},
                'status': {'type': 'string'},
                'name': {'type': ['string', 'null']},
                'updated': {'type': 'string'},
                'tenant_id': {'type': 'string'},
                'OS-SRV-USG:terminated_at': {'type': ['string', 'null']},
                'OS-EXT-SRV-ATTR:host': {'type': ['string', 'null']},
                'OS-EXT-SRV-ATTR:hypervisor_hostname': {
                    'type': ['string', 'null']},
            }}},
        'servers_links': _LINKS,
    },
}

DELETED_SERVERS = Read(
    'deleted servers', 'compute', '/servers/detail', SERVERS_MICROVERSION,
    lambda: _DELETED_SERVERS, list_key='servers')
MIGRATIONS = Read(
    'migrations', 'compute', '/os-migrations', MIGRATIONS_MICROVERSION,
    lambda: _needing(_body(_schema_module(
        'migrations').list_migrations),
        'migrations', _MIGRATION_FIELDS),
    list_key='migrations')


def next_page_query(body, key):
    """The query string of the rel=next link of a Nova list, or None."""
    for link in body.get('%s_links' % key) or ():
        if link.get('rel') == 'next' and link.get('href'):
            return parse.urlsplit(link['href']).query or None
    return None


def get(reader, read, params=None, **ids):
    """GET ``read`` (its {placeholders} from ``ids``), validated."""
    path = read.path_for(params, **ids)
    return read.validate(path, reader.get(read.service_type, path,
                                          read.microversion))


def get_all(reader, read, params=None, **ids):
    """Every item of a paged Nova list, each page validated.

    The next link's host and path prefix belong to whatever URL Nova thinks
    it is served at (a proxy may rewrite it), so only its query (which
    carries the marker and the filters) is reused with the read's path.
    """
    items = []
    seen_queries = set()
    base_path = read.path.format(**ids)
    path = reader_mod.with_query(base_path, params)
    while True:
        body = read.validate(path, reader.get(read.service_type, path,
                                              read.microversion))
        items.extend(body[read.list_key])
        query = next_page_query(body, read.list_key)
        if query is None or query in seen_queries:
            # A repeated query would loop forever on a misbehaving proxy.
            return items
        seen_queries.add(query)
        path = '%s?%s' % (base_path, query)
