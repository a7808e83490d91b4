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
"""Placement."""

from local_cloud import ini
from local_cloud import wsgi


def conf_dir(layout):
    return layout.etc / 'placement'


def config_files(ctx):
    layout, secrets = ctx.layout, ctx.secrets
    conf = ini.render({
        'DEFAULT': {'debug': False},
        'placement_database': {'connection': layout.db_url(
            'placement', secrets['db_password'])},
        'api': {'auth_strategy': 'keystone'},
        'keystone_authtoken': ini.authtoken(layout, secrets, 'placement'),
    })
    return {
        conf_dir(layout) / 'placement.conf': conf,
        # Placement behind tracker_tests' fault middleware, which serves
        # every request to it while the fault file is empty.
        # One process: placement 16.0.0 over-commits a provider when
        # allocation writes run concurrently in several processes (a write
        # retried after a generation conflict checks capacity against the
        # usage its transaction saw before the conflict; see
        # doc/source/scenarios.rst and tools/probe-placement-overcommit).
        # The claim-race scenarios test Nova's claims against a Placement
        # that keeps its own promise.
        wsgi.config_path(layout, 'placement'): wsgi.uwsgi_config(
            layout, 'placement',
            'tracker_tests.faults.placement_app:application',
            {'OS_PLACEMENT_CONFIG_DIR': conf_dir(layout),
             'TRACKER_PLACEMENT_FAULT_FILE': fault_file(layout)},
            processes=1),
    }


def fault_file(layout):
    """What tracker_tests.faults.middleware reads at every request."""
    return layout.data / 'placement' / 'tracker-faults.json'


def prepare(ctx):
    layout, run = ctx.layout, ctx.run
    fault_file(layout).parent.mkdir(parents=True, exist_ok=True)
    run('placement-db-sync', [
        layout.venv_bin('placement-manage'),
        '--config-dir', conf_dir(layout), 'db', 'sync'])
