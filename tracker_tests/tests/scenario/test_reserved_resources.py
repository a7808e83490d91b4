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
"""What a compute reserves for itself, and how far it over-commits.

Placement and os-hypervisors agree on what a compute reserves.

Nova puts [DEFAULT] reserved_host_* in the provider's inventory as
``reserved`` and counts them inside os-hypervisors' ``*_used``. Placement
rounds reserved disk up to whole GiB, os-hypervisors truncates: the audit
must stay silent when the two agree that way, and report when they do not.
"""

import math

from tempest import config
from tempest.lib import decorators

from tracker_tests.audit import api
from tracker_tests.audit import snapshot
from tracker_tests.tests import base

CONF = config.CONF

#: The compute option that sets each resource class's allocation ratio.
RATIO_OPTIONS = {'VCPU': 'cpu_allocation_ratio',
                 'MEMORY_MB': 'ram_allocation_ratio',
                 'DISK_GB': 'disk_allocation_ratio'}


class _InventoryReads:

    def reserved(self, host):
        """{resource class: reserved} of the host's inventory."""
        return {rc: inventory.reserved for rc, inventory in
                snapshot.read_inventories(
                    self.reader, self.provider_of(host)).items()}

    def allocation_ratios(self, host):
        """{resource class: allocation ratio} of the host's inventory."""
        return {rc: inventory.allocation_ratio for rc, inventory in
                snapshot.read_inventories(
                    self.reader, self.provider_of(host)).items()
                if rc in RATIO_OPTIONS}


class ReservedResourcesTest(_InventoryReads, base.StrictHostsTestBase):

    def hypervisor(self, host):
        return next(h for h in snapshot.read_hypervisors(self.reader)
                    if h.host == host)

    def change_inventory_by_hand(self, host, rc, **fields):
        """Set ``fields`` of the host's ``rc`` inventory through the
        Placement API, as an operator would, behind the compute's back.
        """
        provider = self.provider_of(host)
        body = api.get(self.reader, api.PROVIDER_INVENTORIES, uuid=provider)
        self.inventories_client.update_inventory(
            provider, rc, resource_provider_generation=body[
                'resource_provider_generation'],
            **dict(body['inventories'][rc], **fields))

    def set_allocation_ratios_in_placement(self, host, ratios):
        for rc, ratio in ratios.items():
            self.change_inventory_by_hand(host, rc, allocation_ratio=ratio)

    @decorators.idempotent_id('91e2cf1d-f401-4289-9aeb-2a3b4c5d6e13')
    def test_reserved_amounts_reach_both_sides(self):
        """The strict computes reserve 1536 MB of disk and 2 CPUs: the
        inventory reserves 2 GiB (rounded up) and 2 VCPU, os-hypervisors
        counts 1 GiB (truncated) and 2 VCPU as used, and the audit finds
        nothing, before and with a server on the host.
        """
        host = self.source
        self.assertEqual({'DISK_GB': 2, 'VCPU': 2},
                         {rc: n for rc, n in self.reserved(host).items()
                          if rc in ('DISK_GB', 'VCPU')})
        # The host is empty (every strict test locks both strict hosts):
        # its used figures are the reserved amounts alone.
        hypervisor = self.hypervisor(host)
        self.assertEqual((0, 2, 1), (hypervisor.running_vms,
                                     hypervisor.vcpus_used,
                                     hypervisor.local_gb_used))
        self.assert_findings(set())
        server = self.boot(host=host)
        self.assert_allocations(server.id, {host: self.strict_flavor})
        self.assert_findings(set())
        self.assert_hypervisor_matches_placement(host)

    @decorators.attr(type='slow')
    @decorators.idempotent_id('a2f3d02e-0512-439a-8bfc-3b4c5d6e7f14')
    def test_changed_reserved_amounts_follow_a_restart(self):
        """Reserve more memory and disk on a compute and restart it: its
        inventory and hypervisor figures follow (disk rounded up in
        Placement, truncated in os-hypervisors) and the audit stays silent.
        """
        if not CONF.tracker.compute_config_command:
            raise self.skipException(
                '[tracker] compute_config_command is not set')
        host = self.source
        self.set_compute_option(host, 'reserved_host_memory_mb', 2048)
        self.set_compute_option(host, 'reserved_host_disk_mb', 2560)
        reserved = self.reserved(host)
        self.assertEqual((2048, math.ceil(2560 / 1024)),
                         (reserved['MEMORY_MB'], reserved['DISK_GB']))
        hypervisor = self.hypervisor(host)
        used = snapshot.read_provider_allocations(
            self.reader, self.provider_of(host))
        self.assertEqual(
            (2048 + sum(a.resources.get('MEMORY_MB', 0)
                        for a in used.values()),
             2560 // 1024 + sum(a.resources.get('DISK_GB', 0)
                                for a in used.values())),
            (hypervisor.memory_mb_used, hypervisor.local_gb_used))
        self.assert_findings(set())

    @decorators.attr(type='slow')
    @decorators.idempotent_id('b304e13f-1623-44ab-9c0d-4c5d6e7f8015')
    def test_reserved_amount_changed_behind_novas_back_is_reported(self):
        """Placement's reserved memory of a compute set by hand to what
        the compute does not reserve: the audit reports usage_mismatch on
        that host (os-hypervisors still counts the compute's own reserve).
        """
        host = self.source
        reserved_memory = self.reserved(host)['MEMORY_MB']
        self.change_inventory_by_hand(host, 'MEMORY_MB',
                                      reserved=reserved_memory + 1024)
        # The compute sets it back when it next updates its provider, at
        # the latest when it starts.
        self.addCleanup(self.restart_compute, host)
        self.assert_findings({('usage_mismatch', None, host)})

    @decorators.attr(type='slow')
    @decorators.idempotent_id('5d0c7a43-1e8b-4f6a-9c2d-8e4f1a7b3c95')
    def test_allocation_ratios_from_placement_then_from_config(self):
        """Bugs 1799727 and 1661243, replaying
        ``compute/test_resource_tracker.py``
        ``TestUpdateComputeNodeReservedAndAllocationRatio``
        (``test_allocation_ratio_overwritten_from_config`` and
        ``test_update_inventory_reserved_and_allocation_ratio_from_conf``).

        Allocation ratios written into a compute's inventory through the
        Placement API survive its restart while its configuration sets
        none; once its [DEFAULT] *_allocation_ratio options are set, the
        restarted compute writes those, keeping its reserved amounts. The
        audit finds nothing with a server on the host at either point.
        """
        if not CONF.tracker.compute_config_command:
            raise self.skipException(
                '[tracker] compute_config_command is not set')
        host = self.source
        before = self.allocation_ratios(host)
        reserved = self.reserved(host)
        # Runs after the compute's reset (cleanups run last first): with
        # no ratio in its configuration the compute keeps whatever
        # Placement holds, so the ratios are put back by hand.
        self.addCleanup(self.set_allocation_ratios_in_placement, host,
                        before)
        by_hand = {'VCPU': 16.1, 'MEMORY_MB': 1.6, 'DISK_GB': 1.1}
        self.set_allocation_ratios_in_placement(host, by_hand)
        self.restart_compute(host)
        self.assertEqual(by_hand, self.allocation_ratios(host))
        server = self.boot(host=host)
        self.assert_allocations(server.id, {host: self.strict_flavor})
        self.assert_findings(set())

        # 2.0 differs from every default (4.0, 1.0, 1.0) and from by_hand.
        for option in RATIO_OPTIONS.values():
            self.set_compute_option(host, option, 2.0)
        self.assertEqual(dict.fromkeys(RATIO_OPTIONS, 2.0),
                         self.allocation_ratios(host))
        self.assertEqual(reserved, self.reserved(host))
        self.assert_allocations(server.id, {host: self.strict_flavor})
        self.assert_hypervisor_matches_placement(host)
        self.assert_findings(set())


class InitialAllocationRatiosTest(_InventoryReads,
                                  base.ThrowawayComputesTestBase):

    @decorators.attr(type='slow')
    @decorators.idempotent_id('2d7f9b31-4c6e-4a85-b0d2-8e1f3a5c7b94')
    def test_a_new_compute_takes_the_initial_allocation_ratios(self):
        """Bugs 1799727 and 1661243, replaying
        ``compute/test_resource_tracker.py``
        ``TestUpdateComputeNodeReservedAndAllocationRatio.``
        ``test_allocation_ratio_create_with_initial_allocation_ratio``.

        A compute whose first start sets [DEFAULT]
        initial_*_allocation_ratio and no *_allocation_ratio gives its new
        provider's inventory those ratios. Beyond upstream: they are the
        ratios of a new compute only, a restart with other initial ratios
        keeps them, and a server on it leaves the audit silent.
        """
        if not CONF.tracker.compute_config_command:
            raise self.skipException(
                '[tracker] compute_config_command is not set')
        # Upstream's values, none of them nova's default (4.0, 1.0, 1.0).
        initial = {'VCPU': 16.1, 'MEMORY_MB': 1.6, 'DISK_GB': 1.1}
        host = self.add_compute(**{
            'initial_%s' % RATIO_OPTIONS[rc]: ratio
            for rc, ratio in initial.items()})
        self.assertEqual(initial, self.allocation_ratios(host))
        self.set_compute_option(host, 'initial_cpu_allocation_ratio', 2.0)
        self.assertEqual(initial, self.allocation_ratios(host))
        server = self.boot(host)
        self.assert_allocations(server.id, {host: self.throwaway_flavor})
        self.assert_findings(set())
