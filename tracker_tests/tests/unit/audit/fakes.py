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

"""Readers that serve payloads recorded by tools/record-audit-fixtures."""

import copy
import json
import os
import threading

from tracker_tests.audit import reader

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'audit')


def fixture_names():
    return sorted(name[:-len('.json')] for name in os.listdir(FIXTURES)
                  if name.endswith('.json'))


def load(name):
    """A recorded fixture: description, notes and responses by request."""
    with open(os.path.join(FIXTURES, '%s.json' % name)) as source:
        return json.load(source)


def hypervisor_named(reader, name):
    """The recorded os-hypervisors entry of ``name``, editable in place."""
    for hypervisor in reader.body('compute', '/os-hypervisors/detail')[
            'hypervisors']:
        if hypervisor['hypervisor_hostname'] == name:
            return hypervisor
    raise AssertionError('no hypervisor %s recorded' % name)


def before_first_update(hypervisor):
    """Edit a recorded os-hypervisors entry, in place, into the record
    Nova creates for a new compute node, before the resource tracker's
    first update: the driver's raw figures (no reserved memory counted)
    and nulls where the update fills in the rest.
    """
    hypervisor.update(memory_mb_used=0, current_workload=None,
                      running_vms=None, free_ram_mb=None, free_disk_gb=None)
    return hypervisor


class NotRecorded(AssertionError):
    """The code under test asked for something the recording lacks."""


class FixtureReader:
    """reader.Reader answering from one recording (deep-copied).

    ``responses`` maps "<service_type> <path>" to {status, body}; tests may
    edit bodies to derive a state the shared cloud cannot be put in, and
    say so where they do.
    """

    def __init__(self, name):
        self.fixture = load(name)
        self.notes = self.fixture['notes']
        self.responses = copy.deepcopy(self.fixture['responses'])
        self.requests = []
        self._lock = threading.Lock()

    def body(self, service_type, path):
        return self.responses['%s %s' % (service_type, path)]['body']

    def get(self, service_type, path, microversion=None):
        with self._lock:
            self.requests.append((service_type, path, microversion))
        key = '%s %s' % (service_type, path)
        if key not in self.responses:
            raise NotRecorded('not recorded: %s' % key)
        answer = self.responses[key]
        if answer['status'] == 404:
            raise reader.ResourceNotFound(service_type, path)
        return copy.deepcopy(answer['body'])


class SwitchingReader:
    """Answers from one reader until switch(), then from the next."""

    def __init__(self, *readers):
        self.readers = list(readers)

    def switch(self, *_):
        self.readers.pop(0)

    def get(self, service_type, path, microversion=None):
        return self.readers[0].get(service_type, path, microversion)
