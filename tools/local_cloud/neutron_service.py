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
"""Neutron's API with ML2 and no tenant networks.

No agent runs: servers boot with ``networks: none``, so Nova's calls to
neutron list nothing and succeed.
"""

import shutil

from local_cloud import ini
from local_cloud import wsgi


def conf_dir(layout):
    return layout.etc / 'neutron'


def config_files(ctx):
    layout, secrets = ctx.layout, ctx.secrets
    conf = ini.render({
        'DEFAULT': {
            'debug': False,
            'core_plugin': 'ml2',
            # The router plugin loads the models that port queries join
            # (Port.port_forwardings); without it listing ports fails.
            'service_plugins': 'router',
            'auth_strategy': 'keystone',
            'api_paste_config': conf_dir(layout) / 'api-paste.ini',
            'transport_url': layout.transport_url(),
            'state_path': layout.data / 'neutron',
            'notify_nova_on_port_status_changes': False,
            'notify_nova_on_port_data_changes': False,
        },
        'database': {'connection': layout.db_url(
            'neutron', secrets['db_password'])},
        'keystone_authtoken': ini.authtoken(layout, secrets, 'neutron'),
        'oslo_concurrency': {'lock_path': layout.data / 'neutron-locks'},
    })
    ml2 = ini.render({
        'ml2': {
            'type_drivers': 'flat',
            'tenant_network_types': None,
            'mechanism_drivers': None,
            'extension_drivers': None,
        },
        'ml2_type_flat': {'flat_networks': '*'},
    })
    return {
        conf_dir(layout) / 'neutron.conf': conf,
        conf_dir(layout) / 'ml2_conf.ini': ml2,
        wsgi.config_path(layout, 'neutron'): wsgi.uwsgi_config(
            layout, 'neutron', 'local_cloud.neutron_app:application',
            {'OS_NEUTRON_CONFIG_DIR': conf_dir(layout),
             'OS_NEUTRON_CONFIG_FILES': 'neutron.conf;ml2_conf.ini'}),
    }


def prepare(ctx):
    layout, run = ctx.layout, ctx.run
    shutil.copy(layout.venv / 'etc' / 'neutron' / 'api-paste.ini',
                conf_dir(layout) / 'api-paste.ini')
    (layout.data / 'neutron').mkdir(parents=True, exist_ok=True)
    run('neutron-db-manage', [
        layout.venv_bin('neutron-db-manage'),
        '--config-file', conf_dir(layout) / 'neutron.conf',
        '--config-file', conf_dir(layout) / 'ml2_conf.ini',
        'upgrade', 'heads'])
