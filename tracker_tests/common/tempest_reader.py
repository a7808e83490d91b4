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
"""The audit engine's Reader over the plugin's tempest REST clients."""

from tempest.lib import exceptions as lib_exc

from tracker_tests.audit import reader


class TempestReader:
    """Serves ``get(service_type, path, microversion)`` to the audit engine.

    ``clients`` maps a service type ('compute', 'placement') to a
    JsonClient of tracker_tests.services.
    """

    def __init__(self, clients):
        self._clients = dict(clients)

    def get(self, service_type, path, microversion=None):
        try:
            client = self._clients[service_type]
        except KeyError:
            raise reader.EndpointNotFound(service_type)
        try:
            return dict(client.show_path(path, microversion))
        except lib_exc.NotFound:
            raise reader.ResourceNotFound(service_type, path)
        except lib_exc.EndpointNotFound:
            raise reader.EndpointNotFound(service_type)
        except lib_exc.RestClientException as exc:
            raise reader.RequestFailed(
                service_type, path, getattr(exc, 'resp', {}).get(
                    'status', '?'), exc)

    @classmethod
    def for_manager(cls, manager):
        """A reader with the credentials of a tempest client manager."""
        return cls({
            'compute': manager.tracker_compute.ComputeJsonClient(),
            'placement': manager.tracker_placement.PlacementJsonClient(),
        })
