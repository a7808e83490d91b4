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
"""A REST client that reads any path of a service at a chosen microversion.

tempest's compute and placement clients take their microversion from a
module-wide setting shared by every client of the process; the audit reads
hypervisors at 2.87 and migrations at 2.59+ side by side, so each call here
names its own microversion.
"""

from urllib import parse

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client


class JsonClient(rest_client.RestClient):
    """GET a path and return its JSON body; subclasses name the service."""

    #: Service name used in the OpenStack-API-Version header.
    microversion_service = None

    def _microversion_headers(self, microversion):
        if not microversion:
            return None
        return {'OpenStack-API-Version': '%s %s' % (
            self.microversion_service, microversion)}

    def show_path(self, path, microversion=None, **params):
        """GET ``path`` (relative to the service endpoint) as JSON."""
        url = path.lstrip('/')
        if params:
            url += '?%s' % parse.urlencode(params, doseq=True)
        resp, body = self.get(url, headers=self._microversion_headers(
            microversion), extra_headers=True)
        self.expected_success(200, resp.status)
        return rest_client.ResponseBody(resp, json.loads(body))
