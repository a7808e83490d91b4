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
"""Admin reads of the cloud's APIs with the standard library only.

For the control commands, which run before (and without) the cloud's
virtualenv. Provisioning uses openstacksdk instead (provision.py).
"""

import json
import urllib.error
import urllib.request


class ApiError(Exception):
    """A read that failed; the message names the service, never a secret."""


def _open(request, service):
    try:
        return urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        raise ApiError('%s answered %d to %s %s' % (
            service, exc.code, request.get_method(), request.full_url))
    except (urllib.error.URLError, OSError) as exc:
        raise ApiError('%s does not answer (%s)' % (
            service, getattr(exc, 'reason', exc)))


def admin_token(layout):
    try:
        password = json.loads(
            layout.secrets_file.read_text())['admin_password']
    except (OSError, ValueError, KeyError) as exc:
        raise ApiError('cannot read the admin password from %s: %s' % (
            layout.secrets_file, type(exc).__name__))
    body = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'name': 'Default'},
            'password': password}}},
        'scope': {'project': {'name': 'admin',
                              'domain': {'name': 'Default'}}}}}
    request = urllib.request.Request(
        layout.url('keystone', '/v3/auth/tokens'),
        data=json.dumps(body).encode(), method='POST',
        headers={'Content-Type': 'application/json'})
    with _open(request, 'keystone') as response:
        return response.headers['X-Subject-Token']


def get_json(layout, port, path, token, service):
    request = urllib.request.Request(
        layout.url(port, path),
        headers={'X-Auth-Token': token, 'Accept': 'application/json'})
    with _open(request, service) as response:
        return json.loads(response.read())
