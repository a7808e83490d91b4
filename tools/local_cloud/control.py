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
"""Stop, start, kill, freeze or thaw one service (or compute) of the cloud.

The failures that the tests inject: ``stop`` is SIGTERM (a clean
shutdown), ``kill`` SIGKILL (a crash), ``freeze`` SIGSTOP to the process
group (a hung service: connections open, no answer), ``thaw`` SIGCONT.
``start`` and ``thaw`` return only once the service answers again.
"""

import dataclasses
import signal
import time
import typing

from local_cloud import supervisor

ACTIONS = ('stop', 'start', 'kill', 'freeze', 'thaw')


@dataclasses.dataclass(frozen=True)
class Target:
    """What one control command acts on."""

    #: How messages name it: "placement", "nova-compute on compute1".
    label: str
    #: Its processes, in start order.
    specs: list
    #: services.Service.confirm_up, or None.
    confirm_up: typing.Callable = None
    #: services.Service.before_outage, or None.
    before_outage: typing.Callable = None


def _before_outage(sup, target, states):
    # What it notes is read from the service itself, which answers only
    # while some process of it runs unfrozen.
    if target.before_outage and 'running' in states.values():
        target.before_outage(sup.layout)


def act(sup, target, action, timeout=120, poll=1.0):
    """Do ``action`` on ``target``; returns what happened, in one line.

    Raises supervisor.LocalCloudError when it cannot be done, and
    supervisor.ServiceFailed (with the end of the log) when the service
    does not answer again within ``timeout`` seconds.
    """
    states = {spec.name: sup.state(spec.name) for spec in target.specs}
    running = [s for s in target.specs if states[s.name]]
    frozen = [s for s in target.specs if states[s.name] == 'frozen']
    down = [s for s in target.specs if not states[s.name]]
    if action in ('stop', 'kill'):
        if not running:
            return 'not running: %s' % target.label
        signum = signal.SIGTERM if action == 'stop' else signal.SIGKILL
        _before_outage(sup, target, states)
        for spec in reversed(running):
            sup.stop(spec.name, signum=signum)
        return '%s %s' % ('stopped' if action == 'stop' else 'killed',
                          target.label)
    if action == 'freeze':
        if down:
            raise supervisor.LocalCloudError(
                'cannot freeze %s: %s not running' % (
                    target.label, ', '.join(s.name for s in down)))
        if len(frozen) == len(target.specs):
            return 'already frozen: %s' % target.label
        _before_outage(sup, target, states)
        for spec in reversed(target.specs):
            if spec not in frozen:
                sup.freeze(spec.name)
        return 'froze %s' % target.label
    if action == 'thaw':
        if not frozen:
            if down:
                raise supervisor.LocalCloudError(
                    'cannot thaw %s: %s not running; start it' % (
                        target.label, ', '.join(s.name for s in down)))
            return 'not frozen: %s' % target.label
        since = time.time()
        for spec in frozen:
            sup.send_signal(spec.name, signal.SIGCONT)
        _wait_until_it_answers(sup, target, since, timeout, poll)
        return 'thawed %s' % target.label
    if action == 'start':
        if frozen:
            raise supervisor.LocalCloudError(
                '%s is frozen (%s); thaw it instead of starting it' % (
                    target.label, ', '.join(s.name for s in frozen)))
        if not down:
            return 'already running: %s' % target.label
        since = time.time()
        for spec in down:
            sup.start(spec)
        _wait_until_it_answers(sup, target, since, timeout, poll)
        return 'started %s' % target.label
    raise ValueError('unknown action %r; one of %s' % (
        action, ', '.join(ACTIONS)))


def _wait_until_it_answers(sup, target, since, timeout, poll):
    deadline = time.monotonic() + timeout
    for spec in target.specs:
        label = (target.label if spec.name == target.label
                 else '%s (%s)' % (target.label, spec.name))
        sup.wait_ready(spec, max(1, deadline - time.monotonic()), label,
                       'did not come back')
    if not target.confirm_up:
        return
    last = target.specs[-1]
    while True:
        # It must stay up while it reports in.
        for spec in target.specs:
            if not sup.pid(spec.name):
                raise supervisor.ServiceFailed(
                    target.label, 'the process %s exited' % spec.name,
                    sup.log_path(spec.name), 'did not come back')
        why = target.confirm_up(sup.layout, since)
        if why is None:
            return
        if time.monotonic() > deadline:
            raise supervisor.ServiceFailed(
                target.label, '%s after %d s' % (why, timeout),
                sup.log_path(last.name), 'did not come back')
        time.sleep(poll)
