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

from local_cloud import layout as layout_mod
from local_cloud import supervisor

NODE_NAME = 'localcloud@localhost'
RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'


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
