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

"""Response schemas of the Placement reads, at microversion 1.28.

tempest.lib has none for these answers. They follow the Placement API
reference and list only what the audit reads as required; other fields
(links, generations) may come and go with microversions.

Each per-provider and per-consumer schema has a quick check beside it:
jsonschema spends about a millisecond of the client's CPU on a provider's
allocations, three quarters of what a GET costs the client, and there is
a GET of each per provider. A quick check accepts only bodies its schema
accepts (it may refuse more: numbers written as 1.0, say); whatever it
refuses is validated by jsonschema, which names the field that is wrong.
test_api checks both agree on every recorded answer and on broken ones.
"""

_UUID = {'type': 'string', 'format': 'uuid'}
_NON_NEGATIVE = {'type': 'integer', 'minimum': 0}

#: {resource class: amount}
_RESOURCES = {
    'type': 'object',
    'additionalProperties': _NON_NEGATIVE,
}

RESOURCE_PROVIDERS = {
    'type': 'object',
    'required': ['resource_providers'],
    'properties': {
        'resource_providers': {
            'type': 'array',
            'items': {
                'type': 'object',
                'required': ['uuid', 'name', 'generation',
                             'root_provider_uuid', 'parent_provider_uuid'],
                'properties': {
                    'uuid': _UUID,
                    'name': {'type': 'string'},
                    'generation': {'type': 'integer'},
                    'root_provider_uuid': _UUID,
                    'parent_provider_uuid': {
                        'type': ['string', 'null'], 'format': 'uuid'},
                },
            },
        },
    },
}

PROVIDER_INVENTORIES = {
    'type': 'object',
    'required': ['inventories', 'resource_provider_generation'],
    'properties': {
        'inventories': {
            'type': 'object',
            'additionalProperties': {
                'type': 'object',
                'required': ['total', 'reserved', 'allocation_ratio',
                             'min_unit', 'max_unit', 'step_size'],
                'properties': {
                    'total': _NON_NEGATIVE,
                    'reserved': _NON_NEGATIVE,
                    'allocation_ratio': {'type': 'number'},
                    'min_unit': _NON_NEGATIVE,
                    'max_unit': _NON_NEGATIVE,
                    'step_size': _NON_NEGATIVE,
                },
            },
        },
        'resource_provider_generation': {'type': 'integer'},
    },
}

PROVIDER_ALLOCATIONS = {
    'type': 'object',
    'required': ['allocations', 'resource_provider_generation'],
    'properties': {
        'allocations': {
            'type': 'object',
            'additionalProperties': {
                'type': 'object',
                'required': ['resources'],
                'properties': {'resources': _RESOURCES,
                               'consumer_generation': {
                                   'type': ['integer', 'null']}},
            },
        },
        'resource_provider_generation': {'type': 'integer'},
    },
}

#: An unknown consumer answers {"allocations": {}} only, so the consumer's
#: generation, project and user are optional.
CONSUMER_ALLOCATIONS = {
    'type': 'object',
    'required': ['allocations'],
    'properties': {
        'allocations': {
            'type': 'object',
            'additionalProperties': {
                'type': 'object',
                'required': ['resources'],
                'properties': {'resources': _RESOURCES,
                               'generation': {'type': 'integer'}},
            },
        },
        'consumer_generation': {'type': ['integer', 'null']},
        'project_id': {'type': 'string'},
        'user_id': {'type': 'string'},
    },
}


# -- quick checks: True only for bodies the schema above accepts -------------

def _is_int(value):
    return type(value) is int  # not bool, not float


def _amounts(resources):
    return type(resources) is dict and all(
        _is_int(amount) and amount >= 0 for amount in resources.values())


def _per_provider(body, key):
    """body[key] of a per-provider answer with its generation, or None."""
    if type(body) is not dict or not _is_int(
            body.get('resource_provider_generation')):
        return None
    value = body.get(key)
    return value if type(value) is dict else None


def provider_allocations_ok(body):
    """A body PROVIDER_ALLOCATIONS accepts (or False: ask jsonschema)."""
    allocations = _per_provider(body, 'allocations')
    if allocations is None:
        return False
    for allocation in allocations.values():
        if type(allocation) is not dict or not _amounts(
                allocation.get('resources')):
            return False
        generation = allocation.get('consumer_generation')
        if generation is not None and not _is_int(generation):
            return False
    return True


_INVENTORY_AMOUNTS = ('total', 'reserved', 'min_unit', 'max_unit',
                      'step_size')


def provider_inventories_ok(body):
    """A body PROVIDER_INVENTORIES accepts (or False: ask jsonschema)."""
    inventories = _per_provider(body, 'inventories')
    if inventories is None:
        return False
    for inventory in inventories.values():
        if type(inventory) is not dict:
            return False
        for field in _INVENTORY_AMOUNTS:
            amount = inventory.get(field)
            if not _is_int(amount) or amount < 0:
                return False
        if type(inventory.get('allocation_ratio')) not in (int, float):
            return False
    return True


def consumer_allocations_ok(body):
    """A body CONSUMER_ALLOCATIONS accepts (or False: ask jsonschema)."""
    if type(body) is not dict:
        return False
    allocations = body.get('allocations')
    if type(allocations) is not dict:
        return False
    for allocation in allocations.values():
        if type(allocation) is not dict or not _amounts(
                allocation.get('resources')):
            return False
        if 'generation' in allocation and not _is_int(
                allocation['generation']):
            return False
    generation = body.get('consumer_generation')
    if generation is not None and not _is_int(generation):
        return False
    for field in ('project_id', 'user_id'):
        if field in body and type(body[field]) is not str:
            return False
    return True
