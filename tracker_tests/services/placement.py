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
from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client

from tracker_tests.services import json_client


class PlacementJsonClient(json_client.JsonClient):
    """Reads Placement's API at a per-call microversion."""

    microversion_service = 'placement'


class AllocationsClient(json_client.JsonClient):
    """Writes consumers' allocations, which tempest's clients cannot.

    Tests use it to plant and remove the leaks the audit must find.
    """

    microversion_service = 'placement'
    # 1.28 carries consumer generations; 1.12 the dict form of allocations.
    microversion = '1.28'

    def show_allocations(self, consumer_uuid):
        """Allocations of one consumer; empty for an unknown consumer."""
        return self.show_path('/allocations/%s' % consumer_uuid,
                              self.microversion)

    def update_allocations(self, consumer_uuid, **kwargs):
        """Replace a consumer's allocations (PUT /allocations/{consumer}).

        ``kwargs``: allocations, project_id, user_id,
        consumer_generation, as the Placement API reference gives them.
        """
        resp, body = self.put(
            'allocations/%s' % consumer_uuid, json.dumps(kwargs),
            headers=self._microversion_headers(self.microversion),
            extra_headers=True)
        self.expected_success(204, resp.status)
        return rest_client.ResponseBody(resp, body)

    def delete_allocations(self, consumer_uuid):
        """Delete every allocation of a consumer."""
        resp, body = self.delete(
            'allocations/%s' % consumer_uuid,
            headers=self._microversion_headers(self.microversion),
            extra_headers=True)
        self.expected_success(204, resp.status)
        return rest_client.ResponseBody(resp, body)


class InventoriesClient(json_client.JsonClient):
    """Writes a provider's inventory, which tempest's clients cannot.

    Tests use it to make Placement disagree with what a compute reports.
    """

    microversion_service = 'placement'
    microversion = '1.28'

    def update_inventory(self, provider_uuid, resource_class, **kwargs):
        """Replace one inventory of a provider (PUT .../inventories/RC).

        ``kwargs``: resource_provider_generation, total, reserved,
        min_unit, max_unit, step_size, allocation_ratio, as the Placement
        API reference gives them.
        """
        resp, body = self.put(
            'resource_providers/%s/inventories/%s' % (provider_uuid,
                                                      resource_class),
            json.dumps(kwargs),
            headers=self._microversion_headers(self.microversion),
            extra_headers=True)
        self.expected_success(200, resp.status)
        return rest_client.ResponseBody(resp, json.loads(body))


__all__ = ['AllocationsClient', 'InventoriesClient', 'PlacementJsonClient']
