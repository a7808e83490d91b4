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

"""The plugin's oslo.config groups: [tracker] and [tracker-feature-enabled]."""

import re
import shlex
import string

from oslo_config import cfg
from oslo_config import types

_PLAIN_ARG = re.compile(r'[\w@%+=:,./{}-]+')


class CommandTemplate(types.String):
    """A command run as an argument list, with ``{placeholder}`` fields.

    Each option says which placeholders its command may use (by default
    ``{host}``). Parsed with shlex and never handed to a shell, so a host
    name cannot inject anything. Validation happens when the option is
    read, which makes oslo.config name the option in the error.
    """

    def __init__(self, placeholders=('host',)):
        super().__init__(type_name='command template')
        self.placeholders = frozenset(placeholders)

    def __call__(self, value):
        if isinstance(value, list):
            argv = value
        else:
            value = super().__call__(value)
            try:
                argv = shlex.split(value)
            except ValueError as exc:
                raise ValueError('cannot split %r into arguments: %s'
                                 % (value, exc))
        for arg in argv:
            for _, field, _, _ in string.Formatter().parse(arg):
                if field is not None and field not in self.placeholders:
                    raise ValueError('unknown placeholder {%s} in %r; %s' % (
                        field, value, self.allowed()))
        return argv

    def allowed(self):
        if not self.placeholders:
            return 'this command takes no placeholders'
        return 'allowed: %s' % ', '.join(
            '{%s}' % p for p in sorted(self.placeholders))

    def _formatter(self, value):
        if isinstance(value, list):
            # shlex.join would quote every {placeholder}; they need none.
            return ' '.join(arg if _PLAIN_ARG.fullmatch(arg)
                            else shlex.quote(arg) for arg in value)
        return value


def render_command(argv, **values):
    """Fill a parsed command template's placeholders, argument by argument."""
    return [arg.format(**values) for arg in argv]


tracker_group = cfg.OptGroup(
    name='tracker',
    title='tracker_tests options',
    help='How the resource tracker tests drive and observe the cloud.')

TrackerGroup = [
    cfg.StrOpt('flavor_ref',
               help='Flavor the tests boot servers with. Defaults to '
                    '[compute] flavor_ref.'),
    cfg.StrOpt('resize_flavor_ref',
               help='Flavor the tests resize servers to; must differ from '
                    'flavor_ref in VCPU, MEMORY_MB or DISK_GB. Defaults to '
                    '[compute] flavor_ref_alt.'),
    cfg.IntOpt('consistency_timeout',
               default=120, min=1,
               help='Seconds to wait for Placement, os-hypervisors and Nova '
                    'records to agree after an operation before a test '
                    'fails with the last findings. Covers one resource '
                    'tracker update period of the computes.'),
    cfg.FloatOpt('poll_interval',
                 default=1.0, min=0.1,
                 help='Seconds between two reads while waiting.'),
    cfg.IntOpt('service_state_timeout',
               default=120, min=1,
               help='Seconds to wait for a compute service to be reported '
                    'up or down after it was started or stopped; at least '
                    'nova\'s [DEFAULT] service_down_time.'),
    cfg.Opt('compute_stop_command',
            type=CommandTemplate(),
            help='Command that stops the nova-compute service on {host}, '
                 'run as an argument list without a shell. Examples: '
                 '"tools/localcloud compute stop {host}", '
                 '"ssh {host} sudo systemctl stop devstack@n-cpu".'),
    cfg.Opt('compute_start_command',
            type=CommandTemplate(),
            help='Command that starts the nova-compute service on {host}, '
                 'run as an argument list without a shell.'),
    cfg.Opt('compute_kill_command',
            type=CommandTemplate(),
            help='Command that kills (SIGKILL) the nova-compute service on '
                 '{host}, to interrupt an operation midway; tests that '
                 'need it are skipped when it is not set.'),
    cfg.Opt('service_command',
            type=CommandTemplate(('action', 'service')),
            help='Command that does {action} (stop: SIGTERM, start, kill: '
                 'SIGKILL, freeze: SIGSTOP, thaw: SIGCONT) to the shared '
                 'service {service} (placement, nova-api, nova-conductor, '
                 'nova-scheduler, keystone, message-bus, database), run as '
                 'an argument list without a shell; start and thaw must '
                 'return only once the service answers again. Example: '
                 '"tools/localcloud service {action} {service}". Tests '
                 'that need it are skipped when it is not set.'),
    cfg.Opt('compute_fault_command',
            type=CommandTemplate(('host', 'method', 'fault', 'seconds',
                                  'count', 'exception', 'instance')),
            help='Command that makes the next {count} calls of the virt '
                 'driver method {method} on the compute {host} about the '
                 'server {instance} (or "any": every call) fail: {fault} '
                 'is raise (raise the nova.exception class {exception}), '
                 'sleep ({seconds} s, then carry on) or sleep-raise. The '
                 'host must run tracker_tests\' fault driver (see '
                 'doc/source/localcloud.rst). Example: "tools/localcloud '
                 'compute fault {host} {method} {fault} --seconds '
                 '{seconds} --count {count} --exception {exception} '
                 '--instance {instance}". Tests that need it are skipped '
                 'when it is not set.'),
    cfg.Opt('compute_fault_clear_command',
            type=CommandTemplate(('host',)),
            help='Command that removes every pending fault of the compute '
                 '{host}; run at the cleanup of each test that set one.'),
    cfg.Opt('compute_fault_show_command',
            type=CommandTemplate(('host',)),
            help='Command that prints the pending faults of the compute '
                 '{host}, or "no pending faults": tests that wait for a '
                 'fault to be taken (by a periodic task, say) need it.'),
    cfg.Opt('compute_config_command',
            type=CommandTemplate(('host', 'option', 'value')),
            help='Command that sets [DEFAULT] {option} to {value} on the '
                 'compute {host} and restarts it (options: '
                 'reserved_host_memory_mb, reserved_host_disk_mb, '
                 'reserved_host_cpus, cpu/ram/disk_allocation_ratio, '
                 'reclaim_instance_interval). '
                 'It returns once the old process has exited. '
                 'Example: "tools/localcloud compute set {host} {option} '
                 '{value}". Tests that need it are skipped when it is not '
                 'set.'),
    cfg.Opt('compute_config_reset_command',
            type=CommandTemplate(('host',)),
            help='Command that drops what compute_config_command set on '
                 '{host} and restarts it; run at cleanup.'),
    cfg.Opt('compute_add_command',
            type=CommandTemplate(('host', 'options')),
            help='Command that starts a new nova-compute service on the '
                 'new host {host} (a name like fault-throwaway-1a2b3c4d), '
                 'which only throwaway_flavor_ref reaches, with the '
                 '[DEFAULT] options {options} from its first start '
                 '(OPTION=VALUE separated by commas, or empty; options of '
                 'compute_config_command and initial_cpu/ram/disk_'
                 'allocation_ratio), and returns once it is enabled and '
                 'usable. For the tests that delete a compute service, '
                 'which is for good, or need a compute\'s first start. '
                 'Example: "tools/localcloud compute add {host} --options '
                 '{options}". Tests that need it are skipped when it or '
                 'compute_remove_command is not set.'),
    cfg.Opt('compute_remove_command',
            type=CommandTemplate(('host',)),
            help='Command that stops the compute {host} that '
                 'compute_add_command started, deletes its service if the '
                 'test did not, and removes what is left of it; run at '
                 'cleanup.'),
    cfg.StrOpt('throwaway_flavor_ref',
               help='Flavor that only the computes of compute_add_command '
                    'take.'),
    cfg.Opt('conductor_pin_command',
            type=CommandTemplate(('version',)),
            help='Command that makes nova-conductor send the compute RPC '
                 'API at version {version} at most ([upgrade_levels] '
                 'compute), as a conductor of an older release does '
                 'during a rolling upgrade, and returns once the computes '
                 'report through it again. It restarts nova-conductor: the '
                 'tests that use it run alone. Example: "tools/localcloud '
                 'conductor pin {version}". Tests that need it are skipped '
                 'when it or conductor_unpin_command is not set.'),
    cfg.Opt('conductor_unpin_command',
            type=CommandTemplate(()),
            help='Command that undoes conductor_pin_command; run at '
                 'cleanup.'),
    cfg.Opt('placement_fault_command',
            type=CommandTemplate(('method', 'path', 'status', 'count')),
            help='Command that makes Placement answer the next {count} '
                 'requests whose HTTP method is {method} and whose path '
                 'matches the regular expression {path} with {status} '
                 '(409: a consumer generation conflict, '
                 'placement.concurrent_update; 503) instead of serving '
                 'them. Example: "tools/localcloud placement fault '
                 '{method} {path} {status} --count {count}".'),
    cfg.Opt('placement_delay_command',
            type=CommandTemplate(('method', 'path', 'seconds', 'count')),
            help='Command that makes Placement serve the next {count} '
                 'requests whose HTTP method is {method} and whose path '
                 'matches the regular expression {path} {seconds} seconds '
                 'late (held, then served). Example: "tools/localcloud '
                 'placement fault {method} {path} delay --seconds '
                 '{seconds} --count {count}". Tests that need it are '
                 'skipped when it is not set.'),
    cfg.Opt('placement_fault_clear_command',
            type=CommandTemplate(()),
            help='Command that removes every pending Placement fault; run '
                 'at the cleanup of each test that set one.'),
    cfg.Opt('placement_fault_show_command',
            type=CommandTemplate(()),
            help='Command that prints the pending Placement faults, or "no '
                 'pending faults".'),
    cfg.ListOpt('strict_hosts',
                default=[],
                help='Compute hosts whose periodic resource update does not '
                     'run ([DEFAULT] update_resources_interval < 0), so '
                     'that a leak only that task would repair stays '
                     'visible, and which only strict_flavor_ref and '
                     'strict_resize_flavor_ref reach. They run '
                     'tracker_tests\' fault driver.'),
    cfg.StrOpt('strict_flavor_ref',
               help='Flavor that only the strict_hosts can take.'),
    cfg.StrOpt('strict_resize_flavor_ref',
               help='Flavor that only the strict_hosts can take, differing '
                    'from strict_flavor_ref in VCPU, MEMORY_MB and '
                    'DISK_GB, for resizes between them.'),
    cfg.StrOpt('same_host_resize_catalog_type',
               default='',
               help='Catalog type of the compute API that resizes to the '
                    'same host ([DEFAULT] allow_resize_to_same_host), when '
                    'that is not [compute] catalog_type: a cloud that '
                    'allows it for a few scenarios only can serve them '
                    'from a second nova-api. Empty: [compute] '
                    'catalog_type.'),
    cfg.StrOpt('soft_delete_catalog_type',
               default='',
               help='Catalog type of the compute API that soft deletes '
                    '([DEFAULT] reclaim_instance_interval above 0), when '
                    'that is not [compute] catalog_type. Empty: [compute] '
                    'catalog_type.'),
    cfg.StrOpt('fault_flavor_ref',
               help='Flavor that only the fault-injecting compute hosts '
                    'below and fault_healthy_host can take (for example '
                    'through a required trait and an isolated aggregate), '
                    'so that no other server lands on them. Tests that '
                    'use a fault host are skipped when it is not set.'),
    cfg.StrOpt('fault_healthy_host',
               help='A compute host with a normal driver that '
                    'fault_flavor_ref can reach: the alternate of a '
                    'reschedule and the other end of moves to and from '
                    'the fault hosts.'),
    cfg.StrOpt('reschedule_host',
               help='A compute host whose driver fails the first spawn of '
                    'each server so that it is rescheduled '
                    '(nova.virt.fake.FakeRescheduleDriver), and which the '
                    'scheduler prefers for fault_flavor_ref.'),
    cfg.StrOpt('build_abort_host',
               help='A compute host whose driver aborts every build '
                    '(nova.virt.fake.FakeBuildAbortDriver).'),
    cfg.StrOpt('finish_migration_fail_host',
               help='A compute host whose driver fails finish_migration, '
                    'the last step of a resize or cold migration onto it '
                    '(nova.virt.fake.FakeFinishMigrationFailDriver).'),
    cfg.StrOpt('slow_live_migration_host',
               help='A compute host whose driver keeps a live migration '
                    'from it running for about 5 s, long enough to abort '
                    'or force-complete it '
                    '(nova.virt.fake.FakeLiveMigrateDriver).'),
    cfg.IntOpt('host_lock_timeout',
               default=900, min=1,
               help='Seconds a test that disturbs compute hosts (stops, '
                    'kills, disables or fills them) waits for the hosts it '
                    'needs: for other tests to release their locks on '
                    'them, and for other tests\' servers and moves to '
                    'leave a host it took. One other test\'s lifetime is '
                    'usually enough.'),
    cfg.IntOpt('command_timeout',
               default=120, min=1,
               help='Seconds a service control command may run.'),
    cfg.BoolOpt('whole_cloud_audit',
                default=False,
                help='Run test_whole_cloud_audit: the audit of '
                     'tracker-audit over the whole cloud (every compute '
                     'node, server and migration, not only the tests\' '
                     'own), failing with every finding and its remedy. '
                     'It only reads (GET requests with the admin '
                     'credentials) and runs serially, but it also reports '
                     'leaks that were there before the tests ran, so it is '
                     'off by default.'),
    cfg.FloatOpt('whole_cloud_settle',
                 default=60.0, min=0,
                 help='Seconds a finding of test_whole_cloud_audit must '
                      'last to fail it: the cloud is read again every '
                      '[tracker] poll_interval until the findings are gone '
                      'or this time is over, and only findings seen by '
                      'every read are reported (tracker-audit --settle '
                      'with --settle-interval). Nova\'s resource tracker '
                      'catches up with the previous tests only on its '
                      'periodic run. 0 reports the first read.'),
]

feature_group = cfg.OptGroup(
    name='tracker-feature-enabled',
    title='Features of the cloud under test that tracker_tests uses')

FeatureGroup = [
    cfg.BoolOpt('resize', default=True,
                help='Servers can be resized to another host.'),
    cfg.BoolOpt('same_host_resize', default=False,
                help='Nova allows a resize to the same host '
                     '([DEFAULT] allow_resize_to_same_host).'),
    cfg.BoolOpt('soft_delete', default=False,
                help='Nova soft deletes servers through the compute API '
                     'of [tracker] soft_delete_catalog_type ([DEFAULT] '
                     'reclaim_instance_interval above 0 there).'),
    cfg.BoolOpt('cold_migration', default=True,
                help='Servers can be cold migrated.'),
    cfg.BoolOpt('live_migration', default=True,
                help='Servers can be live migrated (block migration auto).'),
    cfg.BoolOpt('evacuate', default=False,
                help='Servers can be evacuated; needs service control.'),
    cfg.BoolOpt('shelve', default=True,
                help='Servers can be shelved, offloaded and unshelved.'),
    cfg.BoolOpt('service_control', default=False,
                help='[tracker] compute_stop_command and '
                     'compute_start_command can stop and start compute '
                     'services of this cloud.'),
]


def list_opts():
    """Options for oslo-config-generator and tempest's plugin listing."""
    return [
        (tracker_group, TrackerGroup),
        (feature_group, FeatureGroup),
    ]
