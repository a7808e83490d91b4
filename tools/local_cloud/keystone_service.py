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
"""Keystone: fernet tokens, bootstrap admin, and the service users."""

import os

from local_cloud import ini
from local_cloud import wsgi


def conf_path(layout):
    return layout.etc / 'keystone' / 'keystone.conf'


def config_files(ctx):
    layout, secrets = ctx.layout, ctx.secrets
    conf = ini.render({
        'DEFAULT': {'debug': False},
        'database': {'connection': layout.db_url(
            'keystone', secrets['db_password'])},
        'token': {'provider': 'fernet'},
        # Each tempest class creates two users and asks for about ten
        # tokens: at bcrypt's default 12 rounds every one costs 0.3 to 1 s
        # of this 2-core machine's CPU, seconds per class. This cloud is
        # thrown away and listens on 127.0.0.1 only: 4 rounds, the least.
        'identity': {'password_hash_rounds': 4},
        'fernet_tokens': {'key_repository': layout.data / 'keystone-fernet'},
        'credential': {'key_repository': layout.data / 'keystone-credential'},
    })
    return {
        conf_path(layout): conf,
        wsgi.config_path(layout, 'keystone'): wsgi.uwsgi_config(
            layout, 'keystone', 'keystone.wsgi.api:application',
            {'OS_KEYSTONE_CONFIG_FILES': conf_path(layout)}, processes=2),
    }


def prepare(ctx):
    layout, secrets, run = ctx.layout, ctx.secrets, ctx.run
    manage = [layout.venv_bin('keystone-manage'),
              '--config-file', conf_path(layout)]
    for repo in ('keystone-fernet', 'keystone-credential'):
        (layout.data / repo).mkdir(parents=True, exist_ok=True)
    run('keystone-db-sync', manage + ['db_sync'])
    run('keystone-fernet-setup', manage + [
        'fernet_setup', '--keystone-user', 'root', '--keystone-group', 'root'])
    run('keystone-credential-setup', manage + [
        'credential_setup', '--keystone-user', 'root',
        '--keystone-group', 'root'])
    url = layout.url('keystone', '/v3')
    # keystone-manage reads the password from its environment: on the
    # command line it would show in ps and /proc/<pid>/cmdline.
    run('keystone-bootstrap', manage + [
        'bootstrap',
        '--bootstrap-admin-url', url, '--bootstrap-public-url', url,
        '--bootstrap-internal-url', url,
        '--bootstrap-region-id', 'RegionOne'],
        env=dict(os.environ,
                 OS_BOOTSTRAP_PASSWORD=secrets['admin_password']))
