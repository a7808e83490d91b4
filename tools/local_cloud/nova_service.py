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
"""Nova: API, conductor, scheduler and fake-driver computes in one cell."""

import dataclasses
import datetime
import re
import shutil
import subprocess
import time
import uuid

from local_cloud import broker
from local_cloud import ini
from local_cloud import layout as layout_mod
from local_cloud import rest
from local_cloud import supervisor
from local_cloud import wsgi

#: The only fake driver of nova whose compute keeps its node (and so its
#: resource provider) across a restart: it reads the node UUID from
#: ``<state_path>/compute_id`` like a real single-node driver.
STABLE_DRIVER = 'fake.FakeDriverWithoutFakeNodes'
#: STABLE_DRIVER plus the faults of its fault file: tracker_tests.faults.
#: compute, whose launcher runs every compute.
FAULT_DRIVER = 'fake.TrackerFaultDriver'
#: nova.virt.fake's fault drivers, made restartable (and programmable) by
#: tracker_tests.faults.compute.
RESTARTABLE = 'fake.Restartable'
LAUNCHER_MODULE = 'tracker_tests.faults.compute'

#: Why each timing differs from nova's default.
TIMINGS = {
    # A stopped compute must show "down" within seconds, not a minute, so
    # that evacuate and down-host tests do not wait for long.
    'report_interval': 5,
    'service_down_time': 15,
    # The resource tracker's periodic update (default: every periodic task
    # run, about 60 s) is what heals hypervisor usage after a failure;
    # a short one lets tests wait for consistency instead of sleeping.
    'update_resources_interval': 10,
    # Nothing to heal: no ports exist.
    'heal_instance_info_cache_interval': -1,
    # A stopped service stops within seconds; nothing it runs here needs
    # oslo.service's default minute to finish.
    'graceful_shutdown_timeout': 5,
}


#: Fault-injecting and strict computes sit in an aggregate (and
#: availability zone) of their own that requires a trait: with isolated
#: aggregate filtering no server lands on them, by boot or by any move,
#: unless its flavor requires the trait too.
FAULT_ZONE = 'faults'
FAULT_TRAIT = 'CUSTOM_TRACKER_FAULT_INJECTION'
STRICT_ZONE = 'strict'
STRICT_TRAIT = 'CUSTOM_TRACKER_STRICT'
#: Computes that tests add and remove (``compute add`` / ``compute
#: remove``): deleting a compute's service is for good, its provider and
#: host mapping go, so the tests that do it need a compute of their own.
THROWAWAY_ZONE = 'throwaway'
THROWAWAY_TRAIT = 'CUSTOM_TRACKER_THROWAWAY'
#: "fault-" keeps upstream tests away, as for the strict computes.
THROWAWAY_HOST = re.compile(r'fault-throwaway-[a-z0-9-]{1,40}')
ZONE_TRAITS = {FAULT_ZONE: FAULT_TRAIT, STRICT_ZONE: STRICT_TRAIT,
               THROWAWAY_ZONE: THROWAWAY_TRAIT}
#: What nova writes as the disabled reason of a compute service it made
#: disabled ([DEFAULT] enable_new_services = False).
NEW_SERVICE_DISABLED_REASON = ('New compute service disabled due to config '
                               'option.')
DEFAULT_ZONE = 'nova'
DEFAULT_RESERVED_MEMORY_MB = 512


@dataclasses.dataclass(frozen=True)
class Compute:
    host: str
    driver: str = FAULT_DRIVER
    zone: str = DEFAULT_ZONE
    #: Also steers the scheduler, whose RAM weigher prefers the host with
    #: the most free memory.
    reserved_host_memory_mb: int = DEFAULT_RESERVED_MEMORY_MB
    #: The [tracker] option of tempest.conf that names this host; hosts
    #: sharing one make a list.
    role: str = None
    reserved_host_disk_mb: int = 0
    reserved_host_cpus: int = 0
    #: [DEFAULT] update_resources_interval, when not TIMINGS'.
    update_resources_interval: int = None


FAULT_COMPUTES = (
    # Preferred by the RAM weigher in its zone (nothing reserved), so that
    # a boot into the zone tries it first and is rescheduled to the
    # healthy host, the next best.
    Compute('fault-reschedule', RESTARTABLE + 'RescheduleDriver', FAULT_ZONE,
            0, 'reschedule_host'),
    Compute('fault-healthy', FAULT_DRIVER, FAULT_ZONE, 100000,
            'fault_healthy_host'),
    Compute('fault-build-abort', RESTARTABLE + 'BuildAbortDriver',
            FAULT_ZONE,
            200000, 'build_abort_host'),
    Compute('fault-finish-migration',
            RESTARTABLE + 'FinishMigrationFailDriver',
            FAULT_ZONE, 200000, 'finish_migration_fail_host'),
    Compute('fault-live-migration', RESTARTABLE + 'LiveMigrateDriver',
            FAULT_ZONE, 200000, 'slow_live_migration_host'),
)

#: The strict pair: nova's periodic resource update never runs on them
#: (a negative interval disables the task), so that what only that task
#: would repair (a deleted server's allocation, wrong usage) stays for the
#: tests to see. nova-compute still runs it once at start (pre_start_hook),
#: and every claim still updates the node and its provider.
#: Their reserved disk (1.5 GiB) is rounded up to 2 GiB in Placement but
#: truncated to 1 GiB in os-hypervisors, and reserved CPUs count in both:
#: the audit must stay silent about both here, where no periodic run
#: recomputes the figures.
STRICT_COMPUTES = tuple(
    Compute(host, FAULT_DRIVER, STRICT_ZONE, role='strict_hosts',
            reserved_host_disk_mb=1536, reserved_host_cpus=2,
            update_resources_interval=-1)
    # "fault-", which tempest's [compute] target_hosts_to_avoid keeps
    # upstream tests away from, marks every host outside the default zone.
    for host in ('fault-strict1', 'fault-strict2'))


def throwaway_compute(host):
    """A compute of the throwaway zone; ValueError for a bad name."""
    if not THROWAWAY_HOST.fullmatch(host):
        raise ValueError('a throwaway compute\'s host name matches %s, not '
                         '%r' % (THROWAWAY_HOST.pattern, host))
    return Compute(host, FAULT_DRIVER, THROWAWAY_ZONE)


def default_computes(count, fault_computes=True):
    """computeN, and unless told otherwise the fault and strict computes."""
    computes = [Compute('compute%d' % i) for i in range(1, count + 1)]
    if fault_computes:
        computes += list(FAULT_COMPUTES) + list(STRICT_COMPUTES)
    return computes


#: nova's provider configuration: the zone's trait on the compute's node.
PROVIDER_CONFIG = """meta:
  schema_version: '1.0'
providers:
  - identification:
      name: $COMPUTE_NODE
    traits:
      additional:
        - %s
"""
#: The name it had when only the fault zone had a trait: a second file
#: naming the same node would make nova-compute refuse to start.
PROVIDER_CONFIG_FILE = 'fault-injection.yaml'


API_PASTE_FILE = 'api-paste.ini'


def conf_dir(layout):
    return layout.etc / 'nova'


def conf_path(layout):
    return conf_dir(layout) / 'nova.conf'


def compute_conf_path(layout, host):
    return conf_dir(layout) / ('%s.conf' % host)


def compute_overrides_path(layout, host):
    """Options set on one compute by ``compute set``, read last."""
    return conf_dir(layout) / ('%s-overrides.conf' % host)


def provider_config_dir(layout, host):
    return conf_dir(layout) / 'provider-config' / host


def remove_compute_files(layout, host):
    """A removed compute's configuration and state, node identity
    included: a compute of the same name would start as a new one.
    """
    for path in (compute_conf_path(layout, host),
                 compute_overrides_path(layout, host)):
        path.unlink(missing_ok=True)
    for path in (state_path(layout, host), provider_config_dir(layout, host)):
        shutil.rmtree(path, ignore_errors=True)


#: What ``compute set`` (and ``compute add --options``) may change: the
#: amounts a compute reserves for itself and its allocation ratios, which
#: its resource provider's inventory and os-hypervisors both follow after
#: a restart, and how old a soft-deleted server must be before the
#: compute reclaims it.
INTEGER_OPTIONS = ('reserved_host_memory_mb', 'reserved_host_disk_mb',
                   'reserved_host_cpus', 'reclaim_instance_interval')
SETTABLE_OPTIONS = INTEGER_OPTIONS + (
    'cpu_allocation_ratio', 'ram_allocation_ratio', 'disk_allocation_ratio',
    # Only a compute's first start reads them (``compute add --options``).
    'initial_cpu_allocation_ratio', 'initial_ram_allocation_ratio',
    'initial_disk_allocation_ratio')


def compute_option_value(option, value):
    """The number ``value`` gives ``option``; ValueError says what is
    wrong with either.
    """
    if option not in SETTABLE_OPTIONS:
        raise ValueError('%s cannot be set; one of: %s'
                         % (option, ', '.join(SETTABLE_OPTIONS)))
    whole = option in INTEGER_OPTIONS
    try:
        number = int(value) if whole else float(value)
    except ValueError:
        raise ValueError('%s takes a %s, not %r' % (
            option, 'whole number' if whole else 'number', value))
    if number < 0:
        raise ValueError('%s takes a number of 0 or more, not %s'
                         % (option, value))
    return number


def set_compute_option(layout, host, option, value):
    """Write ``option = value`` into the host's overrides; a number."""
    number = compute_option_value(option, value)
    path = compute_overrides_path(layout, host)
    options = {}
    if path.exists():
        options = dict(ini_section(path.read_text(), 'DEFAULT'))
    options[option] = number
    path.write_text(ini.render({'DEFAULT': options}))


def parse_options(text):
    """``OPTION=VALUE,...`` (or nothing) as [(option, value)], each
    checked as ``compute set`` checks it.
    """
    pairs = []
    for item in filter(None, text.split(',')):
        option, equals, value = item.partition('=')
        if not equals:
            raise ValueError('options are OPTION=VALUE, separated by commas; '
                             'not %r' % item)
        option, value = option.strip(), value.strip()
        compute_option_value(option, value)
        pairs.append((option, value))
    return pairs


def ini_section(text, section):
    """(option, value) pairs of one section of an ini file of ours."""
    current = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('['):
            current = line.strip('[]')
        elif '=' in line and current == section:
            key, _, value = line.partition('=')
            yield key.strip(), value.strip()


def state_path(layout, host=None):
    base = layout.data / 'nova'
    return base / host if host else base


def config_files(ctx):
    """nova.conf, which every nova service reads, and nova-api's uwsgi."""
    layout, secrets = ctx.layout, ctx.secrets
    service_auth = ini.keystone_auth(layout, secrets, 'nova')
    conf = {
        'DEFAULT': dict({
            'debug': False,
            'transport_url': layout.transport_url(),
            'my_ip': '127.0.0.1',
            'state_path': state_path(layout),
            'compute_driver': STABLE_DRIVER,
            'allow_resize_to_same_host': False,
            # Servers boot without ports: nothing will ever plug a VIF.
            'vif_plugging_is_fatal': False,
            'vif_plugging_timeout': 0,
            # Offload on shelve at once, as the scenarios expect.
            'shelved_offload_time': 0,
            # A new compute takes servers only once it sits in its zone's
            # aggregate: up (provision.enable_new_computes) and compute
            # add enable it then. Read by nova-conductor, which creates
            # the service record.
            'enable_new_services': False,
        }, **TIMINGS),
        'wsgi': {'api_paste_config': conf_dir(layout) / API_PASTE_FILE},
        'api': {'auth_strategy': 'keystone'},
        'api_database': {'connection': layout.db_url(
            'nova_api', secrets['db_password'])},
        'database': {'connection': layout.db_url(
            'nova', secrets['db_password'])},
        'keystone_authtoken': ini.authtoken(layout, secrets, 'nova'),
        'service_user': dict(service_auth, send_service_user_token=True),
        'placement': service_auth,
        'neutron': service_auth,
        'glance': {'region_name': 'RegionOne'},
        'cinder': {'os_region_name': 'RegionOne'},
        'scheduler': {
            # Computes that (re)start are mapped into the cell without a
            # manual nova-manage call.
            'discover_hosts_in_cells_interval': 10,
            'workers': 1,
            # Keeps everything but the fault tests off the fault computes.
            'enable_isolated_aggregate_filtering': True,
        },
        'filter_scheduler': {
            # The reschedule host fails the first build of every server
            # and never resets nova's failed-build count; weighing by it
            # would stop the scheduler from ever trying that host again.
            'build_failure_weight_multiplier': 0,
        },
        'compute': {
            # Likewise nova-compute would disable the fault hosts after ten
            # failed builds in a row.
            'consecutive_build_service_disable_threshold': 0,
        },
        'conductor': {'workers': 1},
        'vnc': {'enabled': False},
        'oslo_concurrency': {'lock_path': state_path(layout) / 'locks'},
        'oslo_messaging_notifications': {'driver': 'noop'},
    }
    return {
        conf_path(layout): ini.render(conf),
        wsgi.config_path(layout, 'nova_api'): wsgi.uwsgi_config(
            layout, 'nova_api', 'nova.wsgi.osapi_compute:application',
            {'OS_NOVA_CONFIG_DIR': conf_dir(layout)}, processes=2),
    }


#: The catalog type of a second nova-api, the one with the API-wide
#: options that only some scenarios may see. Nova reads both in the API
#: only. allow_resize_to_same_host on for the whole cloud would let the
#: scheduler keep any resize on its host, where the move scenarios expect
#: another; reclaim_instance_interval would turn every delete into a
#: soft delete. Only the same-host resize and soft delete scenarios call
#: this one.
OPT_IN_API_TYPE = 'compute_opt_in'
OPT_IN_API_CONF = 'nova-api-opt-in.conf'
RECLAIM_INSTANCE_INTERVAL = 3600


def opt_in_api_config_files(ctx):
    """The second nova-api's uwsgi and its one file read after nova.conf."""
    layout = ctx.layout
    return {
        conf_dir(layout) / OPT_IN_API_CONF: ini.render({'DEFAULT': {
            'allow_resize_to_same_host': True,
            # Any value above 0 makes this API soft delete; the computes
            # reclaim only when a test sets the option on one of them.
            'reclaim_instance_interval': RECLAIM_INSTANCE_INTERVAL,
            # Its own (hidden) os-services record: two APIs creating one
            # record at once, on a fresh cloud, could collide.
            'host': 'localcloud-opt-in-api',
        }}),
        wsgi.config_path(layout, 'nova_api_opt_in'): wsgi.uwsgi_config(
            layout, 'nova_api_opt_in',
            'nova.wsgi.osapi_compute:application',
            {'OS_NOVA_CONFIG_DIR': conf_dir(layout),
             # nova-api takes the first for its paste pipeline.
             'OS_NOVA_CONFIG_FILES': ';'.join((
                 API_PASTE_FILE, conf_path(layout).name,
                 OPT_IN_API_CONF))}),
    }


def compute_config_files(ctx):
    """Each compute's own file, read after nova.conf."""
    layout = ctx.layout
    files = {}
    for compute in ctx.computes:
        sections = {
            'DEFAULT': {
                'host': compute.host,
                'compute_driver': compute.driver,
                'state_path': state_path(layout, compute.host),
                'instances_path': state_path(layout, compute.host) /
                'instances',
                'reserved_host_memory_mb': compute.reserved_host_memory_mb,
            },
        }
        for option in ('reserved_host_disk_mb', 'reserved_host_cpus'):
            if getattr(compute, option):
                sections['DEFAULT'][option] = getattr(compute, option)
        if compute.update_resources_interval is not None:
            sections['DEFAULT']['update_resources_interval'] = (
                compute.update_resources_interval)
        if compute.zone in ZONE_TRAITS:
            provider_dir = provider_config_dir(layout, compute.host)
            sections['compute'] = {'provider_config_location': provider_dir}
            files[provider_dir / PROVIDER_CONFIG_FILE] = (
                PROVIDER_CONFIG % ZONE_TRAITS[compute.zone])
        files[compute_conf_path(layout, compute.host)] = ini.render(sections)
    return files


def manage(layout):
    return [layout.venv_bin('nova-manage'), '--config-file', conf_path(layout)]


def prepare(ctx):
    """The API and cell databases, and cell1."""
    layout, secrets, run = ctx.layout, ctx.secrets, ctx.run
    shutil.copy(layout.venv / 'etc' / 'nova' / API_PASTE_FILE,
                conf_dir(layout) / API_PASTE_FILE)
    (state_path(layout) / 'locks').mkdir(parents=True, exist_ok=True)
    run('nova-api-db-sync', manage(layout) + ['api_db', 'sync'])
    run('nova-map-cell0', manage(layout) + [
        'cell_v2', 'map_cell0', '--database_connection',
        layout.db_url('nova_cell0', secrets['db_password'])])
    cells = subprocess.run(
        [str(a) for a in manage(layout) + ['cell_v2', 'list_cells']],
        capture_output=True, text=True, check=True).stdout
    if ' cell1 ' not in cells:
        run('nova-create-cell1', manage(layout) + [
            'cell_v2', 'create_cell', '--name', 'cell1'])
    run('nova-db-sync', manage(layout) + ['db', 'sync'])


def processes(binary):
    """The ``processes`` of nova-conductor or nova-scheduler: nova.conf,
    then the service's own overrides (``conductor pin``) when there are
    any. Built at each start, so that a restart applies them.
    """
    def specs(ctx):
        argv = [ctx.layout.venv_bin(binary),
                '--config-file', conf_path(ctx.layout)]
        overrides = service_overrides_path(ctx.layout, binary)
        if overrides.exists():
            argv += ['--config-file', overrides]
        return [supervisor.ProcessSpec(name=binary, argv=argv)]
    return specs


#: ``conductor pin VERSION`` takes compute RPC API versions that nova 34
#: still serves: 6.x, and 5.x through its ComputeV5Proxy.
COMPUTE_RPC_VERSION = re.compile(r'[56]\.[0-9]{1,2}')


def check_compute_rpc_version(version):
    """ValueError naming ``version`` unless nova serves it."""
    if not COMPUTE_RPC_VERSION.fullmatch(version):
        raise ValueError('the compute RPC API version to pin is 5.0 to 6.x '
                         '(nova 34 still serves 5.x), not %r' % version)


def service_overrides_path(layout, binary):
    """The overrides of nova-conductor or nova-scheduler, read after
    nova.conf when present; only ``conductor pin`` writes one.
    """
    return conf_dir(layout) / ('%s-overrides.conf' % binary)


def pin_conductor_compute_rpc(layout, version):
    """Cap the compute RPC API version nova-conductor sends at
    ``version``, as a conductor of an older release would ([upgrade_levels]
    compute); it applies at the conductor's next start. ValueError names
    a version nova does not serve.
    """
    check_compute_rpc_version(version)
    service_overrides_path(layout, 'nova-conductor').write_text(
        ini.render({'upgrade_levels': {'compute': version}}))


def conductor_compute_rpc_pin(layout):
    """The version ``conductor pin`` set, or None."""
    path = service_overrides_path(layout, 'nova-conductor')
    if not path.exists():
        return None
    return dict(ini_section(path.read_text(), 'upgrade_levels')).get(
        'compute')


def fresh_heartbeats(layout, binary, since):
    """The os-services records of ``binary`` that are up with a heartbeat
    newer than ``since`` (a time.time()); rest.ApiError when os-services
    cannot be read.
    """
    records = rest.get_json(
        layout, 'nova_api', '/v2.1/os-services?binary=%s' % binary,
        rest.admin_token(layout), 'nova-api')['services']
    return [r for r in records if r['state'] == 'up' and
            _utc_timestamp(r['updated_at']) > since]


def reports_up(binary):
    """The ``confirm_up`` of nova-conductor or nova-scheduler.

    They listen on no port: they work once os-services shows a heartbeat
    of theirs newer than their (re)start. A heartbeat comes every
    report_interval, so this takes seconds.
    """
    def check(layout, since):
        try:
            if fresh_heartbeats(layout, binary, since):
                return None
        except rest.ApiError as exc:
            return 'its os-services record cannot be read: %s' % exc
        return ('os-services shows no heartbeat of %s since %s UTC'
                % (binary, datetime.datetime.fromtimestamp(
                    since, datetime.timezone.utc).strftime('%H:%M:%S')))
    return check


#: The message-bus queues each nova RPC server consumes (one connection
#: each), by process name: a cast to a queue nobody consumes is dropped.
#: A compute has two since nova 34 (nova/compute/rpcapi.py RPC_TOPIC_ALT,
#: the server that finishes work during a graceful shutdown).
RPC_QUEUES = {
    'nova-conductor': ('conductor',),
    'nova-scheduler': ('scheduler',),
}
COMPUTE_RPC_QUEUES = ('compute.%s', 'compute-alt.%s')


def _rpc_queues_of_running(sup):
    expected = {}
    for name in sup.names():
        if sup.state(name) != 'running':
            continue  # a frozen service reconnects when it thaws
        if name.startswith('nova-compute-'):
            host = name[len('nova-compute-'):]
            expected[name] = [q % host for q in COMPUTE_RPC_QUEUES]
        elif name in RPC_QUEUES:
            expected[name] = list(RPC_QUEUES[name])
    return expected


def back_on_the_bus(layout, since):
    """The ``confirm_up`` of the message bus: its port answers before
    the services are back on it. Each connection of theirs reconnects on
    its own back-off (up to 30 s apart) and declares its queues anew, the
    restarted broker having lost them; until then what is sent to them is
    lost: a confirm cast to the source compute, a conductor's reply. None
    once every running nova RPC server, and every queue consumed before
    the outage (its before_outage remembered them), has a consumer
    again.
    """
    try:
        consumed = broker.consumed_queues(layout)
    except supervisor.LocalCloudError as exc:
        return str(exc)
    late = sorted('%s (%s)' % (name, ', '.join(q for q in queues
                                               if q not in consumed))
                  for name, queues in _rpc_queues_of_running(
                      supervisor.Supervisor(layout)).items()
                  if not set(queues) <= consumed)
    unconsumed = sorted(broker.remembered_queues(layout) - consumed)
    if unconsumed:
        # Named after their process: one that stopped meanwhile never
        # declares them again.
        late.append('queues consumed before the outage (%s; remove it '
                    'if a service stopped meanwhile): %s' % (
                        broker.remembered_queues_path(layout),
                        ', '.join(unconsumed)))
    if late:
        return 'not back on the message bus yet: %s' % '; '.join(late)
    broker.forget_consumed_queues(layout)
    return None


def wait_for_compute_heartbeats(layout, hosts, since, timeout=120):
    """Wait until os-services shows each of ``hosts`` up with a heartbeat
    newer than ``since`` (a time.time()).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            late = sorted(set(hosts) - {r['host'] for r in fresh_heartbeats(
                layout, 'nova-compute', since)})
        except rest.ApiError as exc:
            late = ['(os-services cannot be read: %s)' % exc]
        if not late:
            return
        if time.monotonic() > deadline:
            raise supervisor.LocalCloudError(
                'no heartbeat since the restart after %d s from: %s'
                % (timeout, ', '.join(late)))
        time.sleep(1)


def _utc_timestamp(text):
    if not text:
        return 0
    return datetime.datetime.fromisoformat(text).replace(
        tzinfo=datetime.timezone.utc).timestamp()


def prepare_computes(ctx):
    """Each compute's state directory and node identity."""
    for compute in ctx.computes:
        host_state = state_path(ctx.layout, compute.host)
        (host_state / 'instances').mkdir(parents=True, exist_ok=True)
        compute_id = host_state / 'compute_id'
        if not compute_id.exists():
            compute_id.write_text('%s\n' % uuid.uuid4())


def compute_spec(layout, compute):
    """nova-compute through the fault driver's launcher, which serves any
    driver of nova too.

    The cloud's virtualenv does not hold tracker_tests: the repository
    root goes on PYTHONPATH, where only tracker_tests (and setup.py) can
    be imported, nothing nova needs; -P keeps the working directory off
    sys.path.
    """
    argv = [layout.venv_bin('python'), '-P', '-m', LAUNCHER_MODULE,
            '--config-file', conf_path(layout),
            '--config-file', compute_conf_path(layout, compute.host)]
    overrides = compute_overrides_path(layout, compute.host)
    if overrides.exists():
        argv += ['--config-file', overrides]
    return supervisor.ProcessSpec(
        name='nova-compute-%s' % compute.host, argv=argv,
        env={'PYTHONPATH': str(layout_mod.REPO_ROOT)})


def compute_process_specs(ctx):
    return [compute_spec(ctx.layout, c) for c in ctx.computes]


def wait_until_computes_usable(ctx, timeout=240):
    """Wait until every compute is usable, then map it into the cell."""
    # Imported late: it needs openstacksdk, found only in the cloud's venv.
    from local_cloud import provision
    hosts = [c.host for c in ctx.computes]
    deadline = time.monotonic() + timeout
    while True:
        for host in hosts:
            if not ctx.sup.pid('nova-compute-%s' % host):
                raise supervisor.ServiceFailed(
                    'nova-compute on %s' % host, 'the process exited',
                    ctx.sup.log_path('nova-compute-%s' % host))
        missing = provision.computes_not_ready(ctx.layout, ctx.secrets,
                                               hosts)
        if not missing:
            break
        if time.monotonic() > deadline:
            host, why = sorted(missing.items())[0]
            raise supervisor.ServiceFailed(
                'nova-compute on %s' % host, why,
                ctx.sup.log_path('nova-compute-%s' % host))
        time.sleep(2)
    # Every compute node exists now: one discover maps them all, and
    # the scheduler only picks hosts mapped to the cell. The scheduler's
    # own discovery ([scheduler] discover_hosts_in_cells_interval) may map
    # one at the same moment, which fails ours (HostMappingExists); the
    # next finds it mapped.
    discover = manage(ctx.layout) + ['cell_v2', 'discover_hosts']
    try:
        ctx.run('nova-discover-hosts', discover)
    except supervisor.ServiceFailed:
        time.sleep(2)
        ctx.run('nova-discover-hosts', discover)
