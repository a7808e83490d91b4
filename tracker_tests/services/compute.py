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


class ComputeJsonClient(json_client.JsonClient):
    """Reads Nova's API at a per-call microversion."""

    microversion_service = 'compute'


class ServerMigrationsClient(json_client.JsonClient):
    """Server migration actions tempest's clients lack."""

    microversion_service = 'compute'

    def abort_live_migration(self, server_id, migration_id):
        """Abort a running live migration (DELETE, 2.24)."""
        resp, body = self.delete(
            'servers/%s/migrations/%s' % (server_id, migration_id),
            headers=self._microversion_headers('2.24'), extra_headers=True)
        self.expected_success(202, resp.status)
        return rest_client.ResponseBody(resp, body)

    def force_complete_live_migration(self, server_id, migration_id):
        """Force a running live migration to complete (2.22).

        tempest's servers client sends the string 'null', which Nova
        rejects; the API wants a JSON null.
        """
        resp, body = self.post(
            'servers/%s/migrations/%s/action' % (server_id, migration_id),
            json.dumps({'force_complete': None}),
            headers=self._microversion_headers('2.22'), extra_headers=True)
        self.expected_success(202, resp.status)
        return rest_client.ResponseBody(resp, body)


class ComputeServicesClient(json_client.JsonClient):
    """Deletes a compute service, which tempest's services client cannot.

    Tests use it to check that Nova refuses to delete a service with a
    move in progress.
    """

    microversion_service = 'compute'

    def delete_service(self, service_id):
        """DELETE /os-services/{service_id} (2.53: the service uuid)."""
        resp, body = self.delete(
            'os-services/%s' % service_id,
            headers=self._microversion_headers('2.53'), extra_headers=True)
        self.expected_success(204, resp.status)
        return rest_client.ResponseBody(resp, body)


__all__ = ['ComputeJsonClient', 'ComputeServicesClient',
           'ServerMigrationsClient']
