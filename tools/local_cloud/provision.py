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
"""Creates what the cloud's users need, through openstacksdk.

Runs inside the cloud's virtualenv (``up`` re-executes itself there), and
every step is idempotent so that ``up`` can run again on a running cloud.
"""


import time

import openstack

from local_cloud import clients
from local_cloud import layout as layout_mod
from local_cloud import nova_service
from local_cloud import supervisor


def admin_connection(layout, secrets):
    return openstack.connect(
        auth_url=layout.url('keystone', '/v3'), username='admin',
        password=secrets['admin_password'], project_name='admin',
        user_domain_name='Default', project_domain_name='Default',
        region_name=layout_mod.REGION, identity_api_version='3')


def _project(conn, name):
    return (conn.identity.find_project(name, domain_id='default') or
            conn.identity.create_project(name=name, domain_id='default'))


def _role(conn, name):
    return (conn.identity.find_role(name) or
            conn.identity.create_role(name=name))


def _user(conn, name, password, project, roles):
    user = conn.identity.find_user(name, domain_id='default')
    if user is None:
        user = conn.identity.create_user(
            name=name, password=password, domain_id='default',
            default_project_id=project.id)
    for role in roles:
        conn.identity.assign_project_role_to_user(project, user, role)
    return user


def identity(layout, secrets, catalog):
    """Service users, the demo user, and the service catalog.

    ``catalog``: services.CatalogEntry of each service with an endpoint.
    """
    conn = admin_connection(layout, secrets)
    service_project = _project(conn, 'service')
    demo_project = _project(conn, 'demo')
    _user(conn, 'demo', secrets['demo_password'], demo_project,
          [_role(conn, 'member')])
    for entry in catalog:
        _user(conn, entry.user, secrets['service_password'], service_project,
              [_role(conn, role) for role in entry.roles])
        service = next(iter(conn.identity.services(
            type=entry.service_type)), None) or conn.identity.create_service(
                name=entry.user, type=entry.service_type)
        existing = {e.interface for e in conn.identity.endpoints(
            service_id=service.id)}
        for interface in ('public', 'internal'):
            if interface not in existing:
                conn.identity.create_endpoint(
                    service_id=service.id, interface=interface,
                    url=layout.url(entry.port, entry.path),
                    region_id=layout_mod.REGION)


def computes_not_ready(layout, secrets, hosts):
    """{host: why} for each compute not yet up, a hypervisor and a provider."""
    return _computes_not_ready(admin_connection(layout, secrets), hosts)


def _computes_not_ready(conn, hosts):
    missing = {}
    services = {s.host: s for s in conn.compute.services(
        binary='nova-compute')}
    hypervisors = {h.name for h in conn.compute.hypervisors()}
    providers = {p['name'] for p in _call(
        conn.placement, 'GET', '/resource_providers',
        'reading the resource providers').json()['resource_providers']}
    for host in hosts:
        service = services.get(host)
        if service is None or service.state != 'up':
            missing[host] = 'its nova-compute service is not up'
        elif host not in hypervisors:
            missing[host] = 'it is not listed in os-hypervisors'
        elif host not in providers:
            missing[host] = 'Placement has no resource provider for it'
    return missing


def zones(layout, secrets, computes):
    """One aggregate per non-default availability zone, with its hosts."""
    conn = admin_connection(layout, secrets)
    by_zone = {}
    for compute in computes:
        if compute.zone != nova_service.DEFAULT_ZONE:
            by_zone.setdefault(compute.zone, []).append(compute.host)
    for zone, hosts in sorted(by_zone.items()):
        aggregate = conn.compute.find_aggregate(zone) or \
            conn.compute.create_aggregate(name=zone, availability_zone=zone)
        aggregate = conn.compute.get_aggregate(aggregate.id)
        if zone in nova_service.ZONE_TRAITS:
            conn.compute.set_aggregate_metadata(aggregate, {
                'trait:%s' % nova_service.ZONE_TRAITS[zone]: 'required'})
        for host in hosts:
            if host not in (aggregate.hosts or []):
                conn.compute.add_host_to_aggregate(aggregate, host)


#: The compute API version of the service calls: uuid ids (2.53).
SERVICES_MICROVERSION = '2.53'
DISABLED_TRAIT = 'COMPUTE_STATUS_DISABLED'


class ComputeCallFailed(supervisor.LocalCloudError):
    """An API call about a compute failed; the message says which."""


class ComputeRemovalRefused(ComputeCallFailed):
    """Nova or Placement keeps a compute that is asked to go, and why."""


def _call(proxy, method, path, what, refusal=None, **kwargs):
    """A raw API call that must succeed, or answer ``refusal`` (a status
    the caller explains); its response.
    """
    response = proxy.request(path, method, raise_exc=False, **kwargs)
    if not response.ok and response.status_code != refusal:
        raise ComputeCallFailed('%s: %s %s answered %d: %s' % (
            what, method, path, response.status_code,
            response.text.strip()[:300]))
    return response


def _compute_services(conn, host=None):
    query = '/os-services?binary=nova-compute'
    if host:
        query += '&host=%s' % host
    return _call(conn.compute, 'GET', query, 'reading compute services',
                 microversion=SERVICES_MICROVERSION).json()['services']


def _provider(conn, host):
    """The resource provider named after ``host``, or None."""
    found = _call(conn.placement, 'GET', '/resource_providers?name=%s' % host,
                  'reading the resource provider of %s' % host).json()[
                      'resource_providers']
    return found[0] if found else None


def enable_new_computes(layout, secrets, hosts, timeout=120):
    """Enable each of ``hosts`` that nova made disabled because it was
    new, once it sits in its zone; returns when their providers lost the
    disabled trait, which nova-compute drops on its own a moment later.

    Only these hosts: another compute being added at the same moment may
    not sit in its zone yet.
    """
    conn = admin_connection(layout, secrets)
    waiting = []
    for service in _compute_services(conn):
        if service['host'] in hosts and service['disabled_reason'] == \
                nova_service.NEW_SERVICE_DISABLED_REASON:
            _call(conn.compute, 'PUT', '/os-services/%s' % service['id'],
                  'enabling the compute service of %s' % service['host'],
                  json={'status': 'enabled'},
                  microversion=SERVICES_MICROVERSION)
            waiting.append(service['host'])
    deadline = time.monotonic() + timeout
    while waiting:
        provider = _provider(conn, waiting[0])
        if provider and DISABLED_TRAIT not in _call(
                conn.placement, 'GET',
                '/resource_providers/%s/traits' % provider['uuid'],
                'reading the traits of %s' % waiting[0],
                microversion='1.6').json()['traits']:
            waiting.pop(0)
        elif time.monotonic() > deadline:
            raise ComputeCallFailed(
                'the resource provider of %s %s %d s after its service was '
                'enabled' % (waiting[0], 'still has %s' % DISABLED_TRAIT
                             if provider else 'is missing in Placement',
                             timeout))
        else:
            time.sleep(1)


def disabled_reason(layout, secrets, host):
    """The disabled reason of the compute service of ``host`` (None when
    enabled).
    """
    services = _compute_services(admin_connection(layout, secrets), host)
    return services[0]['disabled_reason'] if services else None


def delete_compute(layout, secrets, host):
    """Delete the compute service of ``host`` (nova deletes its node,
    provider, host mapping and aggregate membership), then its provider
    if nova left it. ComputeRemovalRefused says what keeps either.
    """
    conn = admin_connection(layout, secrets)
    for service in _compute_services(conn, host):
        response = _call(conn.compute, 'DELETE',
                         '/os-services/%s' % service['id'],
                         'deleting the compute service of %s' % host,
                         refusal=409, microversion=SERVICES_MICROVERSION)
        if response.status_code == 409:
            raise ComputeRemovalRefused(
                'nova refuses to delete the compute service of %s: %s'
                % (host, response.text.strip()[:300]))
    provider = _provider(conn, host)
    if provider is None:
        return
    path = '/resource_providers/%s' % provider['uuid']
    response = _call(conn.placement, 'DELETE', path,
                     'deleting the resource provider of %s' % host,
                     refusal=409)
    if response.status_code == 409:
        consumers = _call(conn.placement, 'GET', path + '/allocations',
                          'reading the allocations on %s' % host).json()[
                              'allocations']
        raise ComputeRemovalRefused(
            'Placement keeps the resource provider %s of %s: consumers %s '
            'hold allocations there' % (provider['uuid'], host,
                                        ', '.join(sorted(consumers))))


def image(layout, secrets):
    """A small raw image; fake computes never read its bytes."""
    conn = admin_connection(layout, secrets)
    found = conn.image.find_image(clients.IMAGE_NAME)
    if found is not None:
        return found.id
    blob = layout.data / 'localcloud.raw'
    # Glance checks the data against disk_format: zeros are valid raw.
    blob.write_bytes(b'\0' * (1024 * 1024))
    created = conn.create_image(
        clients.IMAGE_NAME, filename=str(blob), disk_format='raw',
        container_format='bare', visibility='public', wait=True)
    return created.id


def flavors(layout, secrets):
    conn = admin_connection(layout, secrets)
    for flavor_id, vcpus, ram, disk, extra_specs in clients.FLAVORS:
        flavor = conn.compute.find_flavor(flavor_id)
        if flavor is None:
            flavor = conn.compute.create_flavor(
                id=flavor_id, name=flavor_id, vcpus=vcpus, ram=ram,
                disk=disk, is_public=True)
            if extra_specs:
                conn.compute.create_flavor_extra_specs(flavor, extra_specs)
