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
