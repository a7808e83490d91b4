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

"""A Reader over an openstacksdk Connection's keystoneauth adapters.

Only GET is ever sent: the audit is read-only.
"""

import threading

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

from tracker_tests.audit import reader

#: keystoneauth errors meaning nothing answered at the endpoint.
UNREACHABLE_ERRORS = (
    ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout,
    ks_exceptions.SSLError, ks_exceptions.UnknownConnectionError,
    ks_exceptions.DiscoveryFailure, ks_exceptions.RetriableConnectionFailure)

GATEWAY_ERRORS = (502, 503, 504)

MISSING_ENDPOINT_ERRORS = (
    ks_exceptions.EndpointNotFound, sdk_exceptions.ServiceDisabledException,
    sdk_exceptions.ServiceDiscoveryException)


def _error_detail(response):
    try:
        body = response.json()
    except ValueError:
        return response.text or ''
    # Nova: {"itemNotFound": {"message": ...}}; Placement: {"errors": [..]}
    if isinstance(body, dict):
        for value in body.values():
            if isinstance(value, dict) and 'message' in value:
                return value['message']
            if isinstance(value, list) and value and isinstance(
                    value[0], dict):
                return value[0].get('detail') or value[0].get('title', '')
    return ''


class SdkReader:
    """reader.Reader over ``conn.compute`` and ``conn.placement``."""

    def __init__(self, connection):
        self.connection = connection
        self._lock = threading.Lock()
        #: GETs sent so far (the benchmark reports it).
        self.requests = 0

    def _proxy(self, service_type):
        try:
            return getattr(self.connection, service_type)
        except MISSING_ENDPOINT_ERRORS:
            raise reader.EndpointNotFound(service_type)
        except sdk_exceptions.NotSupported as exc:
            # openstacksdk's version discovery swallows connection errors
            # and reports "no supported versions"; ask the endpoint itself.
            raise self._why_unsupported(service_type, exc)

    def _why_unsupported(self, service_type, error):
        session = self.connection.session
        try:
            url = session.get_endpoint(
                service_type=service_type,
                interface=self.connection.config.get_interface(service_type),
                region_name=self.connection.config.get_region_name(
                    service_type))
        except MISSING_ENDPOINT_ERRORS:
            return reader.EndpointNotFound(service_type)
        try:
            session.get(url, authenticated=False, raise_exc=False)
        except UNREACHABLE_ERRORS as exc:
            return reader.ServiceUnreachable(service_type, exc)
        return reader.ReaderError('%s: %s' % (service_type, error))

    def get(self, service_type, path, microversion=None):
        with self._lock:
            self.requests += 1
        proxy = self._proxy(service_type)
        try:
            response = proxy.get(path, microversion=microversion,
                                 raise_exc=False)
        except MISSING_ENDPOINT_ERRORS:
            raise reader.EndpointNotFound(service_type)
        except UNREACHABLE_ERRORS as exc:
            raise reader.ServiceUnreachable(service_type, exc)
        except ks_exceptions.Unauthorized as exc:
            raise reader.ReaderError(
                '%s: authentication failed: %s' % (service_type, exc))
        if response.status_code == 404:
            raise reader.ResourceNotFound(service_type, path)
        if response.status_code in GATEWAY_ERRORS:
            # A proxy or load balancer answered for a service that did not.
            raise reader.ServiceUnreachable(
                service_type, 'HTTP %d from %s' % (response.status_code,
                                                   response.url))
        if response.status_code >= 400:
            raise reader.RequestFailed(service_type, path,
                                       response.status_code,
                                       _error_detail(response))
        try:
            return response.json()
        except ValueError:
            raise reader.RequestFailed(
                service_type, path, response.status_code,
                'the answer is not JSON')
