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
"""The tempest tests' allocation and usage expectations, over a recorded
VERIFY_RESIZE (tracker.small resized to tracker.medium, compute1 to
compute3) of the local cloud."""

import testtools

from tracker_tests.audit import resources
from tracker_tests.audit import snapshot
from tracker_tests.common import expectations
from tracker_tests.tests.unit.audit import fakes

COMPUTE1 = '7f9d8af4-6dee-4558-8e2a-45727ec017c3'
COMPUTE3 = 'f14fa9a8-9c59-46c4-9a53-985c97661603'
SMALL = resources.expected_resources(snapshot.Flavor(
    vcpus=1, ram=128, disk=1, ephemeral=0, swap=0))
MEDIUM = resources.expected_resources(snapshot.Flavor(
    vcpus=2, ram=256, disk=2, ephemeral=0, swap=0))


class VerifyResizeExpectationsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.reader = fakes.FixtureReader('verify_resize')
        self.server = self.reader.notes['server']
        self.migration = self.reader.notes['migration']

    def test_providers_by_host(self):
        self.assertEqual(
            {'compute1': [COMPUTE1], 'compute3': [COMPUTE3],
             'compute2': ['bf2bd70a-e0fe-4b45-9ec0-83f6d9c2955e']},
            expectations.providers_by_host(self.reader))

    def test_server_holds_new_flavor_on_dest(self):
        actual = expectations.consumer_allocations(self.reader, self.server)
        self.assertEqual([], expectations.allocation_problems(
            self.server, {COMPUTE3: MEDIUM}, actual))

    def test_migration_holds_old_flavor_on_source(self):
        actual = expectations.consumer_allocations(self.reader,
                                                   self.migration)
        self.assertEqual([], expectations.allocation_problems(
            self.migration, {COMPUTE1: SMALL}, actual))

    def test_a_wrong_amount_names_consumer_provider_class_and_amounts(self):
        actual = expectations.consumer_allocations(self.reader, self.server)
        problems = expectations.allocation_problems(
            self.server, {COMPUTE3: SMALL}, actual,
            label=lambda p: '%s (host compute3)' % p)
        self.assertEqual([
            'consumer %s on provider %s (host compute3): DISK_GB expected '
            '1, actual 2' % (self.server, COMPUTE3),
            'consumer %s on provider %s (host compute3): MEMORY_MB '
            'expected 128, actual 256' % (self.server, COMPUTE3),
            'consumer %s on provider %s (host compute3): VCPU expected 1, '
            'actual 2' % (self.server, COMPUTE3)], problems)

    def test_a_leftover_is_reported_against_nothing_expected(self):
        # What a test that forgot to confirm sees for the migration.
        actual = expectations.consumer_allocations(self.reader,
                                                   self.migration)
        problems = expectations.allocation_problems(
            self.migration, {}, actual)
        self.assertEqual(3, len(problems))
        self.assertIn('VCPU expected 0, actual 1', problems[2])
        self.assertIn(COMPUTE1, problems[2])

    def test_wrong_provider_is_reported_on_both(self):
        actual = expectations.consumer_allocations(self.reader, self.server)
        problems = expectations.allocation_problems(
            self.server, {COMPUTE1: MEDIUM}, actual)
        self.assertEqual(6, len(problems))
        self.assertTrue(any(COMPUTE1 in p and 'actual 0' in p
                            for p in problems))
        self.assertTrue(any(COMPUTE3 in p and 'expected 0' in p
                            for p in problems))

    def test_unknown_consumer_holds_nothing(self):
        self.reader.responses['placement /allocations/gone'] = {
            'status': 200, 'body': {'allocations': {}}}
        self.assertEqual({}, expectations.consumer_allocations(
            self.reader, 'gone'))


class AddedResourcesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        reader = fakes.FixtureReader('verify_resize')
        self.server = reader.notes['server']
        self.now = expectations.provider_allocations(reader, COMPUTE3)

    def test_only_new_consumers_of_this_test_count(self):
        # Before the test the other two consumers were already there.
        before = {c: r for c, r in self.now.items() if c != self.server}
        change, counted = expectations.added_resources(
            before, self.now, is_foreign=lambda c: False)
        self.assertEqual(MEDIUM, change)
        self.assertEqual([self.server], list(counted))

    def test_other_tests_consumers_are_left_out(self):
        others = [c for c in self.now if c != self.server]
        change, counted = expectations.added_resources(
            {}, self.now, is_foreign=lambda c: c in others)
        self.assertEqual(MEDIUM, change)

    def test_an_unknown_new_consumer_counts(self):
        change, counted = expectations.added_resources(
            {}, self.now, is_foreign=lambda c: False)
        self.assertEqual({'VCPU': 5, 'MEMORY_MB': 640, 'DISK_GB': 5}, change)
        self.assertEqual(3, len(counted))

    def test_back_to_baseline_is_empty(self):
        change, counted = expectations.added_resources(
            self.now, self.now, is_foreign=lambda c: False)
        self.assertEqual(({}, {}), (change, counted))
