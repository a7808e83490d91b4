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
"""A WSGI middleware in front of Placement that answers chosen requests
itself, as its fault file (tracker_tests.faults.spec) says.

A 409 has the shape of Placement's own consumer generation conflict
(placement/handlers/util.py raises it with errors.CONCURRENT_UPDATE;
webob and placement.util.json_error_formatter render it; compared with
one answered by placement 16.0.0 at microversion 1.39), which is what
Nova's report client looks for (``code == placement.concurrent_update``)
before it retries or gives up. A 503 is what a Placement behind a proxy
answers while it is down. The request never reaches Placement: nothing
changes there. A delay holds the request its seconds, then Placement
serves it: the caller is as slow as an overloaded Placement would make
it, and whatever else the cloud does meanwhile can be arranged.

The fault file is read at every request (a stat when there is none), so
that every worker process sees a fault as soon as it is written.
"""

import json
import logging
import re
import time
import uuid

from tracker_tests.faults import spec

LOG = logging.getLogger(__name__)

#: From this Placement microversion on, errors carry a ``code``.
ERROR_CODE_MICROVERSION = (1, 23)
CONCURRENT_UPDATE = 'placement.concurrent_update'
UNDEFINED_CODE = 'placement.undefined_code'
#: status -> (title, webob's explanation, error code)
ANSWERS = {
    409: ('Conflict',
          'There was a conflict when trying to complete your request.',
          CONCURRENT_UPDATE),
    503: ('Service Unavailable',
          'The server is currently unavailable. Please try again at a '
          'later time.', UNDEFINED_CODE),
}
_VERSION = re.compile(r'(?:^|,)\s*placement\s+(latest|\d+\.\d+)\s*(?:,|$)',
                      re.IGNORECASE)


def requested_version(environ):
    """The Placement microversion a request asks for: '1.0' without one."""
    header = environ.get('HTTP_OPENSTACK_API_VERSION', '')
    match = _VERSION.search(header)
    return match.group(1).lower() if match else '1.0'


def _has_error_codes(version):
    if version == 'latest':
        return True
    return tuple(int(part) for part in version.split('.')) >= (
        ERROR_CODE_MICROVERSION)


class PlacementFaults:
    """Wraps Placement's WSGI application."""

    def __init__(self, application, fault_path):
        self.application = application
        self.faults = spec.FaultFile(fault_path, spec.PlacementFault)

    def __call__(self, environ, start_response):
        method = environ.get('REQUEST_METHOD', 'GET')
        path = environ.get('PATH_INFO', '') or '/'
        try:
            fault = self.faults.consume(method, path)
        except spec.FaultError as exc:
            LOG.error('tracker_tests Placement faults: %s; serving %s %s '
                      'normally', exc, method, path)
            fault = None
        if fault is None:
            return self.application(environ, start_response)
        if fault.delays:
            LOG.warning('tracker_tests Placement faults: serving %s %s %g s '
                        'late (%d left after this one)', method, path,
                        fault.seconds, fault.count - 1)
            time.sleep(fault.seconds)
            return self.application(environ, start_response)
        LOG.warning('tracker_tests Placement faults: answering %s %s with '
                    '%d (%d left after this one)', method, path,
                    fault.status, fault.count - 1)
        return self.answer(fault.status, environ, start_response)

    def answer(self, status, environ, start_response):
        title, explanation, code = ANSWERS[status]
        version = requested_version(environ)
        request_id = 'req-%s' % uuid.uuid4()
        what = ('consumer generation conflict - injected by tracker_tests '
                '(%s)' % self.faults.path if status == 409 else
                'injected by tracker_tests (%s)' % self.faults.path)
        # As webob words it from Placement's exception.
        detail = '%s\n\n %s  ' % (explanation, what)
        error = {'status': status, 'title': title, 'detail': detail}
        if _has_error_codes(version):
            error['code'] = code
        error['request_id'] = request_id
        body = json.dumps({'errors': [error]}).encode()
        start_response('%d %s' % (status, title), [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(body))),
            ('openstack-api-version', 'placement %s' % version),
            ('vary', 'openstack-api-version'),
            ('x-openstack-request-id', request_id),
        ])
        return [body]
