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
"""Renders the services' configuration files from plain dictionaries."""


def render(sections):
    """``{section: {option: value}}`` as ini text, in the given order.

    Lists become comma-separated values, booleans lower-case, None an empty
    value, as oslo.config reads them.
    """
    lines = []
    for section, options in sections.items():
        if lines:
            lines.append('')
        lines.append('[%s]' % section)
        for key, value in options.items():
            lines.append('%s = %s' % (key, _value(value)))
    return '\n'.join(lines) + '\n'


def _value(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return ','.join(_value(v) for v in value)
    return str(value)


def keystone_auth(layout, secrets, username, section_extra=None):
    """A keystoneauth password section for a service user."""
    options = {
        'auth_type': 'password',
        'auth_url': layout.url('keystone', '/v3'),
        'username': username,
        'password': secrets['service_password'],
        'user_domain_name': 'Default',
        'project_name': 'service',
        'project_domain_name': 'Default',
        'region_name': 'RegionOne',
    }
    options.update(section_extra or {})
    return options


def authtoken(layout, secrets, username):
    """[keystone_authtoken] of an API service."""
    return keystone_auth(layout, secrets, username, {
        'www_authenticate_uri': layout.url('keystone', '/v3'),
        'memcached_servers': None,
        'service_token_roles_required': True,
    })
