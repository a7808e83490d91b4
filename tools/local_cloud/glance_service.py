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
"""Glance with a file store."""

import shutil

from local_cloud import ini
from local_cloud import wsgi


def conf_dir(layout):
    return layout.etc / 'glance'


def config_files(ctx):
    layout, secrets = ctx.layout, ctx.secrets
    images = layout.data / 'glance'
    conf = ini.render({
        'DEFAULT': {
            'debug': False,
            'enabled_backends': 'local:file',
            'image_cache_dir': images / 'cache',
        },
        'database': {'connection': layout.db_url(
            'glance', secrets['db_password'])},
        'keystone_authtoken': ini.authtoken(layout, secrets, 'glance'),
        'paste_deploy': {
            'flavor': 'keystone',
            'config_file': conf_dir(layout) / 'glance-api-paste.ini',
        },
        'glance_store': {'default_backend': 'local'},
        'local': {'filesystem_store_datadir': images / 'images'},
        'os_glance_staging_store': {
            'filesystem_store_datadir': images / 'staging'},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': images / 'tasks'},
        'oslo_concurrency': {'lock_path': layout.data / 'glance-locks'},
    })
    return {
        conf_dir(layout) / 'glance-api.conf': conf,
        wsgi.config_path(layout, 'glance'): wsgi.uwsgi_config(
            layout, 'glance', 'glance.wsgi.api:application',
            {'OS_GLANCE_CONFIG_DIR': conf_dir(layout)}),
    }


def prepare(ctx):
    layout, run = ctx.layout, ctx.run
    shutil.copy(layout.venv / 'etc' / 'glance' / 'glance-api-paste.ini',
                conf_dir(layout) / 'glance-api-paste.ini')
    for sub in ('images', 'staging', 'tasks', 'cache'):
        (layout.data / 'glance' / sub).mkdir(parents=True, exist_ok=True)
    run('glance-db-sync', [
        layout.venv_bin('glance-manage'),
        '--config-file', conf_dir(layout) / 'glance-api.conf', 'db_sync'])
