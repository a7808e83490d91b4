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
"""What the local cloud tells its users: clouds.yaml and tempest.conf."""

import json
import shlex

from local_cloud import ini
from local_cloud import layout as layout_mod
from local_cloud import nova_service

ADMIN_CLOUD = 'localcloud-admin'
MEMBER_CLOUD = 'localcloud-member'
FLAVORS = (
    # (id and name, vcpus, ram MB, disk GB, extra specs): small enough for
    # any host, different in every resource class so that a resize shows
    # in each.
    ('tracker.small', 1, 128, 1, {}),
    ('tracker.medium', 2, 256, 2, {}),
    # Only the fault-injecting computes have the trait it requires.
    ('tracker.fault', 1, 128, 1, {'trait:%s' % nova_service.FAULT_TRAIT:
                                  'required'}),
    # Only the strict computes have theirs; a resize between the two.
    ('tracker.strict', 1, 128, 1, {'trait:%s' % nova_service.STRICT_TRAIT:
                                   'required'}),
    ('tracker.strict-medium', 2, 256, 2, {
        'trait:%s' % nova_service.STRICT_TRAIT: 'required'}),
    # The computes tests add and remove.
    ('tracker.throwaway', 1, 128, 1, {
        'trait:%s' % nova_service.THROWAWAY_TRAIT: 'required'}),
)
THROWAWAY_FLAVOR = 'tracker.throwaway'
IMAGE_NAME = 'localcloud-raw'


def _auth(layout, username, password, project):
    return {
        'auth_url': layout.url('keystone', '/v3'),
        'username': username,
        'password': password,
        'project_name': project,
        'user_domain_name': 'Default',
        'project_domain_name': 'Default',
    }


def clouds_yaml(layout, secrets):
    """clouds.yaml text; JSON is valid YAML and needs no library."""
    clouds = {}
    for name, user, password, project in (
            (ADMIN_CLOUD, 'admin', secrets['admin_password'], 'admin'),
            (MEMBER_CLOUD, 'demo', secrets['demo_password'], 'demo')):
        clouds[name] = {
            'auth': _auth(layout, user, password, project),
            'region_name': layout_mod.REGION,
            'identity_api_version': 3,
            'interface': 'public',
        }
    return json.dumps({'clouds': clouds}, indent=2) + '\n'


def localcloud_command(layout, *words):
    """The command line that drives this cloud from a tempest.conf.

    ``words`` are plain words or {placeholders}, left unquoted.
    """
    return ' '.join([shlex.join([
        str(layout_mod.REPO_ROOT / 'tools' / 'localcloud'),
        '--state-dir', str(layout.root)])] + list(words))


def tempest_conf(layout, secrets, image_id, computes):
    flavors = [f[0] for f in FLAVORS]
    hosts_by_role = {}
    for compute in computes:
        if compute.role:
            hosts_by_role.setdefault(compute.role, []).append(compute.host)
    regular = [c for c in computes if not c.role and
               c.zone == nova_service.DEFAULT_ZONE]
    strict = 'strict_hosts' in hosts_by_role
    fault = any(role != 'strict_hosts' for role in hosts_by_role)
    return ini.render({
        'DEFAULT': {'log_dir': layout.logs, 'log_file': 'tempest.log'},
        'auth': {
            'admin_username': 'admin',
            'admin_password': secrets['admin_password'],
            'admin_project_name': 'admin',
            'admin_domain_name': 'Default',
            'use_dynamic_credentials': True,
            # Dynamic credentials would try to create networks, which this
            # neutron (no tenant network types) refuses.
            'create_isolated_networks': False,
        },
        'identity': {
            'uri_v3': layout.url('keystone', '/v3'),
            'auth_version': 'v3',
            'region': layout_mod.REGION,
        },
        'identity-feature-enabled': {'api_v2': False},
        'compute': {
            'image_ref': image_id,
            'image_ref_alt': image_id,
            'flavor_ref': flavors[0],
            'flavor_ref_alt': flavors[1],
            'min_compute_nodes': len(regular),
            # Upstream tests pick migration targets among all computes;
            # the fault-injecting ones are not for them.
            'target_hosts_to_avoid': 'fault-',
            'min_microversion': '2.1',
            'max_microversion': 'latest',
            'build_timeout': 180,
        },
        'compute-feature-enabled': {
            'resize': True,
            'cold_migration': True,
            'live_migration': True,
            'block_migration_for_live_migration': True,
            'shelve': True,
            'console_output': False,
            'interface_attach': False,
            'vnc_console': False,
        },
        'service_available': {
            'nova': True, 'glance': True, 'neutron': True,
            'cinder': False, 'swift': False,
        },
        'validation': {'run_validation': False},
        'placement': {'region': layout_mod.REGION},
        'tracker': {
            'flavor_ref': flavors[0],
            'resize_flavor_ref': flavors[1],
            'compute_stop_command': localcloud_command(
                layout, 'compute', 'stop', '{host}'),
            'compute_start_command': localcloud_command(
                layout, 'compute', 'start', '{host}'),
            'compute_kill_command': localcloud_command(
                layout, 'compute', 'kill', '{host}'),
            'service_command': localcloud_command(
                layout, 'service', '{action}', '{service}'),
            'compute_fault_command': localcloud_command(
                layout, 'compute', 'fault', '{host}', '{method}', '{fault}',
                '--seconds', '{seconds}', '--count', '{count}',
                '--exception', '{exception}', '--instance', '{instance}'),
            'compute_fault_clear_command': localcloud_command(
                layout, 'compute', 'fault', '{host}', 'clear'),
            'compute_fault_show_command': localcloud_command(
                layout, 'compute', 'fault', '{host}', 'show'),
            'compute_config_command': localcloud_command(
                layout, 'compute', 'set', '{host}', '{option}', '{value}'),
            'compute_config_reset_command': localcloud_command(
                layout, 'compute', 'reset', '{host}'),
            'compute_add_command': localcloud_command(
                layout, 'compute', 'add', '{host}', '--options',
                '{options}'),
            'compute_remove_command': localcloud_command(
                layout, 'compute', 'remove', '{host}'),
            'throwaway_flavor_ref': THROWAWAY_FLAVOR,
            'conductor_pin_command': localcloud_command(
                layout, 'conductor', 'pin', '{version}'),
            'conductor_unpin_command': localcloud_command(
                layout, 'conductor', 'unpin'),
            'placement_fault_command': localcloud_command(
                layout, 'placement', 'fault', '{method}', '{path}',
                '{status}', '--count', '{count}'),
            'placement_delay_command': localcloud_command(
                layout, 'placement', 'fault', '{method}', '{path}',
                'delay', '--seconds', '{seconds}', '--count', '{count}'),
            'placement_fault_clear_command': localcloud_command(
                layout, 'placement', 'fault', 'clear'),
            'placement_fault_show_command': localcloud_command(
                layout, 'placement', 'fault', 'show'),
            'fault_flavor_ref': 'tracker.fault' if fault else None,
            'strict_flavor_ref': 'tracker.strict' if strict else None,
            'strict_resize_flavor_ref': (
                'tracker.strict-medium' if strict else None),
            'same_host_resize_catalog_type': nova_service.OPT_IN_API_TYPE,
            'soft_delete_catalog_type': nova_service.OPT_IN_API_TYPE,
            'whole_cloud_audit': True,
            # A compute restarted by the evacuate and failure tests reports
            # its running_vms again only after a periodic run or two.
            'whole_cloud_settle': 90,
            # One host each, but strict_hosts: a list.
            **hosts_by_role,
        },
        'tracker-feature-enabled': {
            'resize': True,
            # Through the second nova-api, [tracker]
            # same_host_resize_catalog_type.
            'same_host_resize': True,
            # Likewise, [tracker] soft_delete_catalog_type.
            'soft_delete': True,
            'cold_migration': True,
            'live_migration': True,
            'evacuate': True,
            'shelve': True,
            'service_control': True,
        },
        'oslo_concurrency': {'lock_path': layout.tempest_dir / 'lock'},
    })
