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

"""An HTTP server on 127.0.0.1 standing in for Keystone, Nova, Placement.

It lets the CLI tests run tracker-audit end to end through openstacksdk
and keystoneauth (authentication, catalog, microversion headers, debug
logging) without a cloud. Nova and Placement answer from a recorded
fixture; Keystone's two answers follow the Identity v3 API reference.
``fail`` makes chosen requests fail the ways a cloud fails: a frozen
process (the connection is accepted and nothing comes back), a dropped
connection, an error status.
"""

import http.server
import json
import socket
import threading
from urllib import parse

import fixtures

TOKEN = 'gAAAAABfaketokenvalue0123456789abcdef'
PASSWORD = 'pa55-w0rd-never-printed'


#: How long a frozen answer waits at most (the test's cleanup ends it).
FROZEN_SECONDS = 120
FREEZE = 'freeze'
DROP = 'drop'


def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class FakeCloud(fixtures.Fixture):
    """Serves one recorded fixture; ``catalog`` says what Keystone lists.

    ``catalog`` maps service type -> 'here' (served), 'closed' (an
    endpoint on a port nothing listens on) or None (left out).
    """

    def __init__(self, fixture_responses, catalog=None):
        super().__init__()
        self.fixture_responses = fixture_responses
        self.catalog = catalog or {'compute': 'here', 'placement': 'here'}
        self.requests = []
        self.unanswered = []
        self.faults = []
        self.released = threading.Event()
        self._fault_lock = threading.Lock()

    def fail(self, where, action, times=None):
        """Make the requests to ``where`` fail with ``action``.

        ``where`` is a prefix of "<service> <path>", such as "placement",
        "identity" or "placement /resource_providers/"; ``action`` is
        FREEZE (accept, read the request, never answer), DROP (close the
        connection without an answer) or an HTTP status. After ``times``
        failures (None: never) the cloud answers again.
        """
        self.faults.append({'where': where, 'action': action,
                            'times': times})

    def _fault_for(self, where):
        with self._fault_lock:
            for fault in self.faults:
                if not where.startswith(fault['where']):
                    continue
                if fault['times'] is not None:
                    if fault['times'] <= 0:
                        continue
                    fault['times'] -= 1
                return fault['action']
        return None

    def _setUp(self):
        cloud = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # Keep-alive, as the services behind a real endpoint allow: a
            # client's cost per request is then what it is on a cloud.
            protocol_version = 'HTTP/1.1'
            # Headers and body go out in two writes; without TCP_NODELAY
            # the second waits for the client's delayed ACK (40 ms).
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_GET(self):
                cloud.handle(self, 'GET')

            def do_POST(self):
                cloud.handle(self, 'POST')

            def do_PUT(self):
                cloud.handle(self, 'PUT')

            def do_DELETE(self):
                cloud.handle(self, 'DELETE')

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        thread = threading.Thread(target=self.server.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        # First of all (cleanups run last in, first out): let frozen
        # answers go.
        self.addCleanup(self.released.set)

    # -- answers

    def endpoint(self, service_type):
        where = self.catalog.get(service_type)
        if where == 'here':
            return '%s/%s' % (self.url, service_type)
        return 'http://127.0.0.1:%d/%s' % (closed_port(), service_type)

    def catalog_entry(self, service_type):
        return {'type': service_type, 'name': service_type,
                'id': '%s-id' % service_type,
                'endpoints': [{'id': '%s-public' % service_type,
                               'interface': 'public', 'region': 'RegionOne',
                               'region_id': 'RegionOne',
                               'url': self.endpoint(service_type)}]}

    def token_body(self):
        listed = sorted(service_type for service_type, where
                        in self.catalog.items() if where is not None)
        catalog = [self.catalog_entry(service_type) for service_type in listed]
        return {'token': {
            'methods': ['password'], 'expires_at': '2099-01-01T00:00:00Z',
            'issued_at': '2020-01-01T00:00:00Z', 'audit_ids': ['a'],
            'user': {'id': 'u1', 'name': 'admin',
                     'domain': {'id': 'default', 'name': 'Default'}},
            'project': {'id': 'p1', 'name': 'admin',
                        'domain': {'id': 'default', 'name': 'Default'}},
            'roles': [{'id': 'r1', 'name': 'admin'}],
            'catalog': catalog}}

    def handle(self, request, method):
        url = parse.urlsplit(request.path)
        self.requests.append((method, request.path,
                              dict(request.headers.items())))
        length = int(request.headers.get('Content-Length') or 0)
        body = json.loads(request.rfile.read(length) or b'null')
        service, _, rest = url.path.lstrip('/').partition('/')
        action = self._fault_for('%s /%s%s' % (
            service, rest, '?' + url.query if url.query else ''))
        if action == FREEZE:
            self.released.wait(FROZEN_SECONDS)
            request.close_connection = True
            return
        if action == DROP:
            request.close_connection = True
            return
        if action is not None:
            return self.send(request, action, {'errors': [{
                'status': action, 'title': 'injected',
                'detail': 'injected by the fake cloud'}]})
        if url.path in ('/identity', '/identity/', '/identity/v3',
                        '/identity/v3/'):
            return self.send(request, 200, {'version': {
                'id': 'v3.14', 'status': 'stable',
                'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self',
                           'href': self.url + '/identity/v3/'}],
                'media-types': [{
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.identity-v3+json'}]}})
        if url.path == '/identity/v3/auth/tokens' and method == 'POST':
            password = body['auth']['identity']['password']['user'][
                'password']
            if password != PASSWORD:
                return self.send(request, 401, {'error': {
                    'code': 401, 'title': 'Unauthorized',
                    'message': 'The request you have made requires '
                               'authentication.'}})
            return self.send(request, 201, self.token_body(),
                             {'X-Subject-Token': TOKEN})
        if method != 'GET':
            # tracker-audit is read-only; anything else is a test failure.
            self.unanswered.append((method, request.path))
            return self.send(request, 405, {'error': 'read-only'})
        if request.headers.get('X-Auth-Token') != TOKEN:
            return self.send(request, 401, {'error': 'no token'})
        service_type, _, path = url.path.lstrip('/').partition('/')
        if service_type == 'compute' and path.startswith('v2.1'):
            path = path[len('v2.1'):]
        else:
            path = '/' + path
        if path in ('', '/'):
            return self.send(request, 200, self.version_document(
                service_type))
        key = '%s %s' % (service_type, path)
        if url.query:
            key += '?' + url.query
        answer = self.fixture_responses.get(key)
        if answer is None:
            self.unanswered.append((method, key))
            return self.send(request, 404, {'itemNotFound': {
                'code': 404, 'message': 'not recorded'}})
        return self.send(request, answer['status'], answer['body'] or {
            'itemNotFound': {'code': 404, 'message': 'not found'}})

    def version_document(self, service_type):
        if service_type == 'compute':
            return {'version': {
                'id': 'v2.1', 'status': 'CURRENT', 'version': '2.96',
                'min_version': '2.1', 'updated': '2013-07-23T11:33:21Z',
                'links': [{'rel': 'self',
                           'href': self.url + '/compute/v2.1/'}]}}
        return {'versions': [{
            'id': 'v1.0', 'max_version': '1.39', 'min_version': '1.0',
            'status': 'CURRENT',
            'links': [{'rel': 'self', 'href': self.url + '/placement/'}]}]}

    def send(self, request, status, body, headers=None):
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header('Content-Type', 'application/json')
        request.send_header('Content-Length', str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
