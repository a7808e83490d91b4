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
"""A private RabbitMQ node (and its epmd) listening on loopback only."""

import os
import subprocess

from local_cloud import layout as layout_mod
from local_cloud import supervisor

NODE_NAME = 'localcloud@localhost'
RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
#: Not /usr/sbin/rabbitmqctl: that wrapper becomes the system's rabbitmq
#: user, whose home holds another Erlang cookie than our node's.
RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl'


def _dir(layout):
    return layout.data / 'rabbitmq'


def _erlang_env(layout):
    return {
        # Erlang's port mapper of our own, so that a system RabbitMQ or
        # another Erlang node keeps its own.
        'ERL_EPMD_PORT': str(layout.ports['epmd']),
        'ERL_EPMD_ADDRESS': layout_mod.HOST,
        'HOME': str(_dir(layout)),  # where the node's cookie lives
    }


def config_files(ctx):
    layout = ctx.layout
    return {
        _dir(layout) / 'rabbitmq.conf': (
            'listeners.tcp.default = %s:%d\n'
            'log.console = true\n'
            'log.file = false\n' % (layout_mod.HOST,
                                    layout.ports['rabbitmq'])),
        _dir(layout) / 'enabled_plugins': '[].\n',
    }


def process_specs(ctx):
    layout = ctx.layout
    env = _erlang_env(layout)
    rabbit_env = dict(env)
    rabbit_env.update({
        'RABBITMQ_NODENAME': NODE_NAME,
        'RABBITMQ_NODE_IP_ADDRESS': layout_mod.HOST,
        'RABBITMQ_NODE_PORT': str(layout.ports['rabbitmq']),
        'RABBITMQ_DIST_PORT': str(layout.ports['rabbitmq_dist']),
        'RABBITMQ_CONFIG_FILE': str(_dir(layout) / 'rabbitmq.conf'),
        'RABBITMQ_ENABLED_PLUGINS_FILE': str(_dir(layout) / 'enabled_plugins'),
        'RABBITMQ_MNESIA_BASE': str(_dir(layout) / 'mnesia'),
        'RABBITMQ_LOG_BASE': str(layout.logs),
        'RABBITMQ_PID_FILE': str(layout.run / 'rabbitmq.pid'),
        # Erlang distribution must not listen beyond loopback either.
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS':
            '-kernel inet_dist_use_interface {127,0,0,1}',
    })
    return [
        supervisor.ProcessSpec(
            name='epmd',
            argv=['epmd', '-address', layout_mod.HOST,
                  '-port', str(layout.ports['epmd'])],
            env=env, ports=('epmd',), ready='tcp'),
        supervisor.ProcessSpec(
            name='rabbitmq', argv=[RABBITMQ_SERVER], env=rabbit_env,
            ports=('rabbitmq', 'rabbitmq_dist'), ready='tcp'),
    ]


def consumed_queues(layout, timeout=30):
    """The names of the queues that have a consumer now.

    Raises supervisor.LocalCloudError with rabbitmqctl's last line when
    the node does not answer (still starting, or gone).
    """
    env = dict(os.environ)
    env.update(_erlang_env(layout))
    try:
        listing = subprocess.run(
            [RABBITMQCTL, '-n', NODE_NAME, 'list_queues', '--quiet',
             '--no-table-headers', 'name', 'consumers'],
            env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise supervisor.LocalCloudError(
            'rabbitmqctl list_queues did not answer within %d s' % timeout)
    except OSError as exc:
        raise supervisor.LocalCloudError(
            'cannot run %s: %s' % (RABBITMQCTL, exc.strerror))
    if listing.returncode:
        said = (listing.stderr or listing.stdout).strip().splitlines()
        raise supervisor.LocalCloudError(
            'rabbitmqctl list_queues failed: %s' % (
                said[0] if said else 'exit code %d' % listing.returncode))
    consumed = set()
    for line in listing.stdout.splitlines():
        name, _, consumers = line.rpartition('\t')
        if name and consumers.strip().isdigit() and int(consumers):
            consumed.add(name)
    return consumed


def remembered_queues_path(layout):
    # Not *.json: the supervisor's process records are.
    return layout.run / 'message-bus-consumed-queues.txt'


def remember_consumed_queues(layout):
    """The ``before_outage`` of the message bus: which queues have a
    consumer before it is stopped, killed or frozen, for its next start or
    thaw to wait for (the reply queues of the services included, which
    nothing else names). Nothing is remembered when it does not answer.
    """
    try:
        queues = consumed_queues(layout)
    except supervisor.LocalCloudError:
        forget_consumed_queues(layout)
        return
    layout.run.mkdir(parents=True, exist_ok=True)
    remembered_queues_path(layout).write_text(''.join(
        '%s\n' % name for name in sorted(queues)))


def remembered_queues(layout):
    try:
        return set(remembered_queues_path(layout).read_text().split())
    except FileNotFoundError:
        return set()


def forget_consumed_queues(layout):
    remembered_queues_path(layout).unlink(missing_ok=True)
