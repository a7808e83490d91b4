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
"""API services under uwsgi, the way devstack runs them."""

import pathlib

from local_cloud import ini
from local_cloud import layout as layout_mod
from local_cloud import supervisor


def uwsgi_config(layout, name, module, env, processes=1):
    options = {
        # uwsgi's HTTP router holds the clients' keep-alive connections and
        # hands workers one request at a time. Workers on http-socket or
        # http11-socket serve one connection until it closes, so a few
        # idle keep-alive clients (keystonemiddleware, tempest) starve
        # everybody else for seconds; http-socket also reset reused
        # connections.
        'http': '%s:%d' % (layout_mod.HOST, layout.ports[name]),
        'http-keepalive': 1,
        'http-auto-chunked': True,
        'http-timeout': 600,
        'module': module,
        'virtualenv': str(layout.venv),
        # Lets an application module of ours (local_cloud's, or
        # tracker_tests') wrap a service's; neither folder holds anything
        # named like a module the services import.
        'pythonpath': [str(layout_mod.REPO_ROOT / 'tools'),
                       str(layout_mod.REPO_ROOT)],
        'master': True,
        'lazy-apps': True,
        'need-app': True,
        'die-on-term': True,
        'processes': processes,
        'threads': 1,
        'enable-threads': True,
        'thunder-lock': True,
        # Keystone tokens and service catalogs make large headers.
        'buffer-size': 65535,
        'env': ['%s=%s' % kv for kv in sorted(env.items())],
    }
    lines = ['[uwsgi]']
    for key, value in options.items():
        for one in value if isinstance(value, list) else [value]:
            lines.append('%s = %s' % (key, ini._value(one)))
    return '\n'.join(lines) + '\n'


def config_path(layout, name):
    return layout.etc / 'uwsgi' / ('%s.ini' % name)


def ini_environment(path):
    """The ``env`` options of a uwsgi ini file, as a mapping."""
    env = {}
    try:
        lines = pathlib.Path(path).read_text().splitlines()
    except FileNotFoundError:
        return env
    for line in lines:
        key, _, value = line.partition('=')
        if key.strip() == 'env':
            name, _, setting = value.strip().partition('=')
            env[name] = setting
    return env


def process_spec(layout, name):
    # pyuwsgi runs uwsgi inside an interpreter that is already up, so the
    # ini's env options reach the C environment after Python copied it
    # into os.environ, where the services look: the process gets them from
    # the start too.
    path = config_path(layout, name)
    return supervisor.ProcessSpec(
        name=name,
        argv=[layout.venv_bin('uwsgi'), '--ini', path],
        env=ini_environment(path), ports=(name,), ready='http')


def processes(name):
    """The ``processes`` of a service that is one uwsgi application."""
    return lambda ctx: [process_spec(ctx.layout, name)]
