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

"""A Reader over an openstacksdk Connection.

openstacksdk and keystoneauth authenticate, read the catalog and discover
each service's endpoint, once; the GETs then go through ``transport`` (a
tenth of the client CPU per request). Only GET is ever sent: the audit is
read-only.

Never hang: every request, Keystone's included (the token, the catalog,
version discovery), has a timeout; an idempotent GET that fails on the
connection or with a 5xx answer is sent again up to ``retries`` times,
after RETRY_BACKOFF seconds doubling each time. A read that still fails
raises a ReaderError naming the service, the path and what happened; the
other threads then stop retrying, so a run ends within about
timeout x (retries + 1) plus the backoff.
"""

import json
import logging
import threading
import time

from keystoneauth1 import exceptions as ks_exceptions
from openstack import exceptions as sdk_exceptions

from tracker_tests.audit import reader
from tracker_tests.audit import transport

#: Seconds a request may take before it counts as failed (--timeout).
DEFAULT_TIMEOUT = 20.0
#: Repeats of a GET that failed on the connection or with a 5xx (--retries).
DEFAULT_RETRIES = 2
#: Seconds before the first repeat; each further one waits twice as long.
RETRY_BACKOFF = 0.5

#: keystoneauth errors meaning nothing answered at the endpoint.
UNREACHABLE_ERRORS = (
    ks_exceptions.ConnectFailure, ks_exceptions.ConnectTimeout,
    ks_exceptions.SSLError, ks_exceptions.UnknownConnectionError,
    ks_exceptions.DiscoveryFailure, ks_exceptions.RetriableConnectionFailure)

GATEWAY_ERRORS = (502, 503, 504)

MISSING_ENDPOINT_ERRORS = (
    ks_exceptions.EndpointNotFound, sdk_exceptions.ServiceDisabledException,
    sdk_exceptions.ServiceDiscoveryException)

#: Services whose microversion header names them (OpenStack-API-Version).
MICROVERSION_HEADERS = {
    'compute': ('OpenStack-API-Version', 'compute %s'),
    'placement': ('OpenStack-API-Version', 'placement %s'),
}

LOG = logging.getLogger(__name__)


def backoff(attempt):
    """Seconds to wait before repeat number ``attempt`` (1, 2, ...)."""
    return RETRY_BACKOFF * 2 ** (attempt - 1)


def total_backoff(retries):
    return sum(backoff(attempt) for attempt in range(1, retries + 1))


def _error_detail(body):
    try:
        document = json.loads(body)
    except ValueError:
        return body.decode('utf-8', 'replace') if body else ''
    # Nova: {"itemNotFound": {"message": ...}}; Placement: {"errors": [..]}
    if isinstance(document, dict):
        for value in document.values():
            if isinstance(value, dict) and 'message' in value:
                return value['message']
            if isinstance(value, list) and value and isinstance(
                    value[0], dict):
                return value[0].get('detail') or value[0].get('title', '')
    return ''


class _Retry(Exception):
    """An attempt failed in a way worth repeating; ``error`` if it was last."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


class SdkReader:
    """reader.Reader over ``connection``'s compute and placement endpoints."""

    def __init__(self, connection, timeout=DEFAULT_TIMEOUT,
                 retries=DEFAULT_RETRIES, sleep=time.sleep):
        self.connection = connection
        self.timeout = timeout
        self.retries = retries
        self.sleep = sleep
        # keystoneauth uses it for the token, the catalog and discovery.
        connection.session.timeout = timeout
        self._lock = threading.Lock()
        self._endpoint_lock = threading.Lock()
        self._endpoints = {}
        self._token = None
        self._context = None
        #: The error that ended the run; other threads stop retrying.
        self._failure = None
        #: Requests sent so far, repeats included (the summary reports it).
        self.requests = 0
        #: The same by service type.
        self.requests_by_service = {}

    # -- Keystone ------------------------------------------------------------

    def authenticate(self):
        """The token (and so the catalog), retried like a GET."""
        auth_url = (self.connection.config.auth or {}).get('auth_url', '')
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(backoff(attempt))
            try:
                self._token = self.connection.session.get_token()
                return self._token
            except UNREACHABLE_ERRORS as exc:
                error = reader.ServiceUnreachable(
                    'identity', exc, auth_url, attempt + 1, method='POST')
            except ks_exceptions.HttpError as exc:
                if (exc.http_status or 0) < 500:
                    raise
                error = reader.ServiceUnreachable(
                    'identity', 'HTTP %s: %s' % (exc.http_status, exc),
                    auth_url, attempt + 1, method='POST')
        raise error

    def _token_header(self, renew=False):
        with self._lock:
            if renew:
                self.connection.session.invalidate()
                self._token = None
            if self._token is None:
                self._token = self.connection.session.get_token()
            return self._token

    # -- endpoints -----------------------------------------------------------

    def _proxy(self, service_type):
        try:
            return getattr(self.connection, service_type)
        except MISSING_ENDPOINT_ERRORS:
            raise reader.EndpointNotFound(service_type)
        except sdk_exceptions.NotSupported as exc:
            # openstacksdk's version discovery swallows connection errors
            # and reports "no supported versions"; ask the endpoint itself.
            raise self._why_unsupported(service_type, exc)
        except UNREACHABLE_ERRORS as exc:
            raise reader.ServiceUnreachable(service_type, exc)

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
            return reader.ServiceUnreachable(service_type, exc, url)
        return reader.ReaderError('%s: %s' % (service_type, error))

    def _endpoint(self, service_type):
        with self._endpoint_lock:
            endpoint = self._endpoints.get(service_type)
            if endpoint is not None:
                return endpoint
            proxy = self._proxy(service_type)
            try:
                url = proxy.get_endpoint()
            except MISSING_ENDPOINT_ERRORS:
                raise reader.EndpointNotFound(service_type)
            except UNREACHABLE_ERRORS as exc:
                raise reader.ServiceUnreachable(service_type, exc)
            if not url:
                raise reader.EndpointNotFound(service_type)
            if self._context is None and url.startswith('https:'):
                session = self.connection.session
                self._context = transport.ssl_context(session.verify,
                                                      session.cert)
            endpoint = transport.Endpoint(url, self.timeout, self._context,
                                          transport.proxy_for(url))
            self._endpoints[service_type] = endpoint
            return endpoint

    # -- GET -----------------------------------------------------------------

    def _headers(self, service_type, microversion):
        headers = {'Accept': 'application/json',
                   'User-Agent': 'tracker-audit',
                   'X-Auth-Token': self._token_header()}
        if microversion:
            name, value = MICROVERSION_HEADERS.get(
                service_type, ('OpenStack-API-Version',
                               service_type + ' %s'))
            headers[name] = value % microversion
            if service_type == 'compute':
                # Nova before 2.27 reads only its own header.
                headers['X-OpenStack-Nova-API-Version'] = microversion
        return headers

    def get(self, service_type, path, microversion=None):
        endpoint = self._endpoint(service_type)
        renewed = False
        attempt = 0
        while True:
            if self._failure is not None:
                # Another read already ended the run: do not keep a
                # frozen service's connections busy any longer.
                raise self._failure
            try:
                return self._attempt(endpoint, service_type, path,
                                     microversion, attempt + 1)
            except _Unauthorized:
                if renewed:
                    error = reader.ReaderError(
                        '%s: authentication failed: GET %s answered HTTP '
                        '401 with a new token' % (service_type, path))
                    self._fail(error)
                renewed = True
                self._token_header(renew=True)
                continue
            except _Retry as retry:
                attempt += 1
                if attempt > self.retries:
                    self._fail(retry.error)
                self.sleep(backoff(attempt))

    def _fail(self, error):
        with self._lock:
            if self._failure is None:
                self._failure = error
        raise error

    def _attempt(self, endpoint, service_type, path, microversion, attempt):
        headers = self._headers(service_type, microversion)
        with self._lock:
            self.requests += 1
            self.requests_by_service[service_type] = (
                self.requests_by_service.get(service_type, 0) + 1)
        started = time.monotonic()
        try:
            response = endpoint.get(path, headers)
        except transport.CONNECTION_ERRORS as exc:
            LOG.debug('GET %s%s (%s): %s', endpoint.url, path,
                      microversion, exc)
            detail = transport.describe(exc)
            if detail == 'no answer within the timeout':
                detail = 'no answer within %g s' % self.timeout
            raise _Retry(reader.ServiceUnreachable(
                service_type, detail, path, attempt))
        LOG.debug('GET %s%s (%s) -> %d in %.3f s', endpoint.url, path,
                  microversion, response.status,
                  time.monotonic() - started)
        status = response.status
        if status == 401:
            raise _Unauthorized()
        if status == 404:
            raise reader.ResourceNotFound(service_type, path)
        if status in GATEWAY_ERRORS:
            # A proxy or load balancer answered for a service that did not.
            raise _Retry(reader.ServiceUnreachable(
                service_type, 'HTTP %d %s' % (status, response.reason),
                path, attempt))
        if status >= 500:
            raise _Retry(reader.RequestFailed(
                service_type, path, status, _error_detail(response.body),
                attempt))
        if status >= 400:
            raise reader.RequestFailed(service_type, path, status,
                                       _error_detail(response.body))
        try:
            return json.loads(response.body)
        except ValueError:
            raise reader.RequestFailed(service_type, path, status,
                                       'the answer is not JSON')


class _Unauthorized(Exception):
    """The token was refused; it may have expired during the run."""
