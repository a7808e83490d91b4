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
"""What the tests expect of Placement, computed from plain API payloads.

Kept apart from the tempest base class so that unit tests can run it over
recorded payloads; the base class turns the results into failures.
"""

from tracker_tests.audit import snapshot


def providers_by_host(reader):
    """{compute host: resource provider uuids of its nodes}."""
    by_host = {}
    for hypervisor in snapshot.read_hypervisors(reader):
        by_host.setdefault(hypervisor.host, []).append(hypervisor.id)
    return by_host


def consumer_allocations(reader, consumer):
    """{provider uuid: {resource class: amount}} held by ``consumer``."""
    return {provider: allocation.resources for provider, allocation in
            snapshot.read_consumer_allocations(reader, consumer).items()}


def provider_allocations(reader, provider):
    """{consumer uuid: {resource class: amount}} on ``provider``."""
    return {consumer: allocation.resources for consumer, allocation in
            snapshot.read_provider_allocations(reader, provider).items()}


def allocation_problems(consumer, expected, actual, label=str):
    """Each resource class where ``actual`` differs from ``expected``.

    Both map provider uuid -> {resource class: amount}; ``label`` names a
    provider for people (uuid and host). Returns one line per difference,
    naming consumer, provider, resource class, expected and actual.
    """
    problems = []
    for provider in sorted(set(expected) | set(actual)):
        want = expected.get(provider, {})
        have = actual.get(provider, {})
        for resource_class in sorted(set(want) | set(have)):
            if want.get(resource_class, 0) != have.get(resource_class, 0):
                problems.append(
                    'consumer %s on provider %s: %s expected %s, actual %s'
                    % (consumer, label(provider), resource_class,
                       want.get(resource_class, 0),
                       have.get(resource_class, 0)))
    return problems


def added_resources(before, now, is_foreign):
    """Resources held now by consumers that were not there before.

    ``before`` and ``now`` map consumer -> {resource class: amount} on one
    provider. Consumers for which ``is_foreign(consumer)`` is true (other
    tests' servers and migrations) are left out. Returns the summed
    {resource class: amount} without zeros, and the consumers counted.
    """
    counted = {consumer: held for consumer, held in now.items()
               if consumer not in before and not is_foreign(consumer)}
    total = {}
    for held in counted.values():
        for resource_class, amount in held.items():
            total[resource_class] = total.get(resource_class, 0) + amount
    return {rc: n for rc, n in total.items() if n}, counted
