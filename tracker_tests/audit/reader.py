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

"""The one thing the audit needs from a cloud: GET a path as JSON.

A Reader is anything with ``get(service_type, path, microversion=None)``
returning the decoded JSON body of a successful GET. ``service_type`` is
'compute' or 'placement'; ``path`` is relative to that service's endpoint
and may carry a query string. Readers raise the exceptions below so the
engine and the command can tell a missing endpoint, an unreachable
service and a missing resource apart.
"""

import typing
from urllib import parse


class ReaderError(Exception):
    """Base of every error a Reader raises; str() is one line."""


class EndpointNotFound(ReaderError):
    """The service catalog has no endpoint for the service."""

    def __init__(self, service_type):
        self.service_type = service_type
        super().__init__(
            'no %s endpoint in the service catalog' % service_type)


def _attempts(attempts):
    return ' (%d attempts)' % attempts if attempts and attempts > 1 else ''


class ServiceUnreachable(ReaderError):
    """The service's endpoint did not answer (connection, timeout)."""

    def __init__(self, service_type, detail, path=None, attempts=None,
                 method='GET'):
        self.service_type = service_type
        self.detail = detail
        self.path = path
        self.attempts = attempts
        where = '%s %s: ' % (method, path) if path else ''
        super().__init__('%s service unreachable: %s%s%s' % (
            service_type, where, ' '.join(str(detail).split()),
            _attempts(attempts)))


class ResourceNotFound(ReaderError):
    """The service answered 404 for the path."""

    def __init__(self, service_type, path):
        self.service_type = service_type
        self.path = path
        super().__init__('%s: %s not found' % (service_type, path))


class RequestFailed(ReaderError):
    """The service answered with an error status other than 404."""

    def __init__(self, service_type, path, status, detail='', attempts=None):
        self.service_type = service_type
        self.path = path
        self.status = status
        self.attempts = attempts
        message = '%s: GET %s failed with HTTP %s' % (
            service_type, path, status)
        detail = ' '.join(str(detail).split())
        if detail:
            message += ': %s' % detail[:200]
        super().__init__(message + _attempts(attempts))


class Reader(typing.Protocol):
    """GET a path of a service at a microversion; return its JSON."""

    def get(self, service_type: str, path: str,
            microversion: str | None = None) -> dict:
        ...


def with_query(path, params):
    """``path`` with ``params`` (a mapping) added to its query string."""
    if not params:
        return path
    separator = '&' if '?' in path else '?'
    return path + separator + parse.urlencode(
        sorted(params.items()), doseq=True)
