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

"""What a server's flavor should hold in Placement, by Nova's rules.

Nova turns a flavor into a resource request in its scheduler utils
(``ResourceRequest.from_request_spec``):

- ``resources:RC=N`` and ``resources<SUFFIX>:RC=N`` extra specs request
  RC; the same class in several groups adds up. An amount that is not a
  non-negative integer is ignored, as Nova ignores it.
- ``hw:cpu_policy=dedicated`` asks for PCPU (one per vCPU, plus one when
  ``hw:emulator_threads_policy=isolate``) instead of VCPU;
  ``hw:cpu_policy=mixed`` splits the vCPUs between PCPU (the
  ``hw:cpu_dedicated_mask`` or realtime mask) and VCPU.
- VCPU, MEMORY_MB and DISK_GB come from the flavor unless an extra spec
  already requested the class (VCPU is also left out when PCPU is there).
- DISK_GB is ephemeral + swap in GiB rounded up + root (root only when the
  server is not volume-backed).
- Classes with amount 0 are dropped.

Image properties can also ask for pinning; the audit does not read images,
so only the flavor's extra specs are honoured.
"""

import math
import re

VCPU = 'VCPU'
PCPU = 'PCPU'
MEMORY_MB = 'MEMORY_MB'
DISK_GB = 'DISK_GB'

#: Classes a flavor always speaks about; allocations of other classes
#: (ports' bandwidth, accelerators) come from elsewhere and are not compared
#: unless an extra spec requests them.
FLAVOR_CLASSES = frozenset({VCPU, PCPU, MEMORY_MB, DISK_GB})

_RESOURCES_SPEC = re.compile(r'^resources([a-zA-Z0-9_-]{1,64})?:(.*)$')
# Standard classes are upper case and CUSTOM_ ones too; Nova drops others.
_RESOURCE_CLASS = re.compile(r'^[A-Z0-9_]+$')
_TRUE_STRINGS = ('1', 't', 'true', 'on', 'y', 'yes')


def swap_gb(swap_mb):
    """Swap in GiB as Placement sees it: MiB rounded up to whole GiB."""
    return int(math.ceil(swap_mb / 1024)) if swap_mb else 0


def parse_cpu_set(spec, vcpus):
    """CPU numbers of a Nova CPU mask such as '0-3,^2' or '^0'.

    A mask that starts with '^' excludes from all of the flavor's vCPUs.
    """
    spec = spec.strip()
    if spec.startswith('^'):
        spec = '0-%d,%s' % (vcpus - 1, spec)
    included, excluded = set(), set()
    for token in spec.split(','):
        token = token.strip()
        if not token:
            continue
        target = included
        if token.startswith('^'):
            target, token = excluded, token[1:]
        if '-' in token:
            first, last = token.split('-', 1)
            target.update(range(int(first), int(last) + 1))
        else:
            target.add(int(token))
    return included - excluded


def _dedicated_cpu_count(flavor):
    """PCPUs of an hw:cpu_policy=mixed flavor."""
    specs = flavor.extra_specs
    mask = specs.get('hw:cpu_dedicated_mask')
    if not mask and str(specs.get('hw:cpu_realtime', '')).lower() in (
            _TRUE_STRINGS):
        mask = specs.get('hw:cpu_realtime_mask') or '0-%d' % (
            flavor.vcpus - 1)
    return len(parse_cpu_set(mask, flavor.vcpus)) if mask else 0


def _requested_by_extra_specs(extra_specs):
    requested = {}
    for key, value in extra_specs.items():
        match = _RESOURCES_SPEC.match(key)
        if not match:
            continue
        group, resource_class = match.groups()
        if not _RESOURCE_CLASS.match(resource_class):
            continue
        try:
            amount = int(value)
        except (TypeError, ValueError):
            continue
        if amount < 0:
            continue
        requested.setdefault(group, {})[resource_class] = amount
    return requested


def expected_resources(flavor, volume_backed=False):
    """{resource class: amount} Nova allocates for ``flavor``."""
    groups = _requested_by_extra_specs(flavor.extra_specs)
    unsuffixed = groups.setdefault(None, {})
    policy = flavor.extra_specs.get('hw:cpu_policy')
    if policy in ('dedicated', 'mixed'):
        if policy == 'dedicated':
            pcpus = flavor.vcpus
        else:
            pcpus = _dedicated_cpu_count(flavor)
            unsuffixed[VCPU] = flavor.vcpus - pcpus
        if flavor.extra_specs.get('hw:emulator_threads_policy') == 'isolate':
            pcpus += 1
        unsuffixed[PCPU] = pcpus

    merged = {}
    for resources in groups.values():
        for resource_class, amount in resources.items():
            merged[resource_class] = merged.get(resource_class, 0) + amount

    if VCPU not in merged and PCPU not in merged:
        merged[VCPU] = flavor.vcpus
    if MEMORY_MB not in merged:
        merged[MEMORY_MB] = flavor.ram
    if DISK_GB not in merged:
        disk = flavor.ephemeral + swap_gb(flavor.swap)
        if not volume_backed:
            disk += flavor.disk
        merged[DISK_GB] = disk
    return {rc: amount for rc, amount in merged.items() if amount}
