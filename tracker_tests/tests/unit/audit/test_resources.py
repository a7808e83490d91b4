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

import testtools

from tracker_tests.audit import resources
from tracker_tests.audit import snapshot


def flavor(vcpus=2, ram=512, disk=10, ephemeral=0, swap=0, **extra_specs):
    return snapshot.Flavor(vcpus=vcpus, ram=ram, disk=disk,
                           ephemeral=ephemeral, swap=swap,
                           extra_specs=extra_specs)


class TestExpectedResources(testtools.TestCase):

    def test_plain_flavor(self):
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 512, 'DISK_GB': 10},
                         resources.expected_resources(flavor()))

    def test_disk_adds_ephemeral_and_swap_rounded_up(self):
        # 1025 MiB of swap is 2 GiB in Placement, 1024 MiB exactly 1.
        self.assertEqual(10 + 5 + 2, resources.expected_resources(
            flavor(ephemeral=5, swap=1025))['DISK_GB'])
        self.assertEqual(10 + 1, resources.expected_resources(
            flavor(swap=1024))['DISK_GB'])

    def test_volume_backed_has_no_root_disk(self):
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 512, 'DISK_GB': 1},
                         resources.expected_resources(
                             flavor(swap=512), volume_backed=True))

    def test_volume_backed_without_local_disk_drops_disk_gb(self):
        self.assertNotIn('DISK_GB', resources.expected_resources(
            flavor(), volume_backed=True))

    def test_extra_spec_overrides_flavor_field(self):
        self.assertEqual(
            {'VCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 10},
            resources.expected_resources(flavor(**{'resources:VCPU': '1'})))

    def test_zero_extra_spec_removes_the_class(self):
        self.assertEqual(
            {'VCPU': 2, 'MEMORY_MB': 512},
            resources.expected_resources(flavor(**{'resources:DISK_GB': 0})))

    def test_suffixed_groups_add_up_and_custom_classes_count(self):
        specs = {'resources1:CUSTOM_GOLD': '2', 'resources_x:CUSTOM_GOLD': '3',
                 'resources:VGPU': '1'}
        self.assertEqual(
            {'VCPU': 2, 'MEMORY_MB': 512, 'DISK_GB': 10, 'CUSTOM_GOLD': 5,
             'VGPU': 1},
            resources.expected_resources(flavor(**specs)))

    def test_invalid_specs_are_ignored_like_nova_does(self):
        specs = {'resources:VCPU': 'many', 'resources:lowercase': '1',
                 'resources:MEMORY_MB': '-1',
                 'trait:HW_CPU_X86_AVX': 'required'}
        self.assertEqual({'VCPU': 2, 'MEMORY_MB': 512, 'DISK_GB': 10},
                         resources.expected_resources(flavor(**specs)))

    def test_dedicated_cpu_policy_asks_for_pcpu(self):
        self.assertEqual(
            {'PCPU': 2, 'MEMORY_MB': 512, 'DISK_GB': 10},
            resources.expected_resources(flavor(**{
                'hw:cpu_policy': 'dedicated'})))

    def test_isolated_emulator_threads_add_one_pcpu(self):
        self.assertEqual(3, resources.expected_resources(flavor(**{
            'hw:cpu_policy': 'dedicated',
            'hw:emulator_threads_policy': 'isolate'}))['PCPU'])

    def test_mixed_policy_splits_by_dedicated_mask(self):
        self.assertEqual(
            {'VCPU': 3, 'PCPU': 1, 'MEMORY_MB': 512, 'DISK_GB': 10},
            resources.expected_resources(flavor(vcpus=4, **{
                'hw:cpu_policy': 'mixed', 'hw:cpu_dedicated_mask': '^0-2'})))


class TestCpuSet(testtools.TestCase):

    def test_ranges_and_exclusions(self):
        self.assertEqual({0, 1, 3, 5}, resources.parse_cpu_set(
            '0-3,^2,5', 8))

    def test_leading_exclusion_is_relative_to_all_vcpus(self):
        self.assertEqual({1, 2, 3}, resources.parse_cpu_set('^0', 4))
